/*
 * lock.c - image locking with open-file-description (OFD) byte locks.
 *
 * Byte layout (QEMU-compatible as we understand it): byte 100+i is
 * read-locked by an open that USES permission i, byte 200+i by an open
 * that does NOT SHARE permission i. Permissions: 0 consistent read,
 * 1 write, 3 resize. A reader uses 0 and does not share 1 (write) or 3;
 * a writer uses 0,1,3 and does not share 1,3. Before taking them we test
 * the opposite bytes with F_OFD_GETLK: a conflict there means another open
 * holds the image in a way we cannot coexist with.
 *
 * OFD locks have no owner pid (F_OFD_GETLK reports -1), so the message
 * cannot name the process; it says how to inspect the image anyway (-U).
 *
 * Threading: called at open/close on the loop thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "block/block-int.h"

enum { LOCK_PERM_BASE = 100, LOCK_SHARED_BASE = 200 };
enum { PERM_READ = 0, PERM_WRITE = 1, PERM_RESIZE = 3 };

static int ofd(int fd, int cmd, short type, off_t start, struct flock *out)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start,
			    .l_len = 1 };
	if (fcntl(fd, cmd, &fl) < 0)
		return -errno;
	if (out)
		*out = fl;
	return 0;
}

/* Does another open description hold byte `at`? */
static int held_by_other(int fd, off_t at)
{
	struct flock fl = { .l_type = F_UNLCK };
	int r = ofd(fd, F_OFD_GETLK, F_WRLCK, at, &fl);
	if (r < 0)
		return r;
	return fl.l_type != F_UNLCK;
}

static const char *perm_name(int i)
{
	return i == PERM_WRITE ? "write" : i == PERM_RESIZE ? "resize" : "consistent read";
}

int blk_lock_apply(int fd, const char *path, bool write, bool force_share, char *err,
		   size_t errlen)
{
	int used[3] = { PERM_READ, PERM_WRITE, PERM_RESIZE };
	int nused = write ? 3 : 1;
	int unshared[2] = { PERM_WRITE, PERM_RESIZE };
	int nunshared = force_share ? 0 : 2;
	if (force_share && write) {
		blk_err(err, errlen, "'%s': force-share (-U) is only allowed read-only", path);
		return -EINVAL;
	}
	for (int i = 0; i < nused; i++) {
		int r = held_by_other(fd, LOCK_SHARED_BASE + used[i]);
		if (r < 0) {
			if (r == -EINVAL || r == -ENOLCK || r == -EOPNOTSUPP)
				return 0; /* filesystem without OFD locks: no locking */
			blk_err(err, errlen, "'%s': lock test failed: %s", path, strerror(-r));
			return r;
		}
		if (r) {
			blk_err(err, errlen, "Failed to get \"%s\" lock: '%s' is locked by "
				"another process (is it in use? use -U to inspect it read-only)",
				perm_name(used[i]), path);
			return -EAGAIN;
		}
	}
	for (int i = 0; i < nunshared; i++) {
		int r = held_by_other(fd, LOCK_PERM_BASE + unshared[i]);
		if (r > 0) {
			blk_err(err, errlen, "Failed to get shared \"%s\" lock: '%s' is locked "
				"by another process (is it in use? use -U to inspect it "
				"read-only)", perm_name(unshared[i]), path);
			return -EAGAIN;
		}
	}
	for (int i = 0; i < nused; i++)
		if (ofd(fd, F_OFD_SETLK, F_RDLCK, LOCK_PERM_BASE + used[i], NULL) < 0)
			goto race;
	for (int i = 0; i < nunshared; i++)
		if (ofd(fd, F_OFD_SETLK, F_RDLCK, LOCK_SHARED_BASE + unshared[i], NULL) < 0)
			goto race;
	return 0;
race:
	blk_lock_release(fd);
	blk_err(err, errlen, "Failed to lock '%s': it is locked by another process "
		"(is it in use? use -U to inspect it read-only)", path);
	return -EAGAIN;
}

void blk_lock_release(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET,
			    .l_start = LOCK_PERM_BASE, .l_len = 200 };
	(void)fcntl(fd, F_OFD_SETLK, &fl);
}
