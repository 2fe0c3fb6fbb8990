/*
 * file.c - the host file under an image: open (O_DIRECT and its alignment,
 * regular files and block devices), size, synchronous metadata I/O.
 *
 * Threading: loop thread of the owning blk. The synchronous helpers are
 * for metadata and tools; the data path goes through aio.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block-int.h"

void *blk_alloc_buf(size_t len)
{
	void *p = NULL;
	if (posix_memalign(&p, 4096, len ? len : 1))
		return NULL;
	return p;
}

/* O_DIRECT alignment: the device's logical block size, else probe a read. */
static unsigned probe_align(int fd, bool is_bdev)
{
	if (is_bdev) {
		int ssz = 0;
		if (ioctl(fd, BLKSSZGET, &ssz) == 0 && ssz >= 512 && ssz <= 65536)
			return (unsigned)ssz;
	}
	void *buf = blk_alloc_buf(4096);
	if (!buf)
		return 4096;
	unsigned align = 4096;
	/* a 512-byte read at offset 0 into a 512-aligned buffer succeeds (or
	 * hits EOF) only if the filesystem accepts 512-byte direct I/O */
	ssize_t n = pread(fd, (char *)buf + 512, 512, 0);
	if (n >= 0)
		align = 512;
	free(buf);
	return align;
}

int blk_file_open(struct blk_file *f, const char *path, unsigned flags, char *err,
		  size_t errlen)
{
	bool rw = flags & BLK_O_RDWR;
	int oflags = (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	memset(f, 0, sizeof(*f));
	f->fd = f->mfd = -1;
	f->align = 1;
	int fd = open(path, oflags);
	if (fd < 0) {
		int e = errno;
		blk_err(err, errlen, "Could not open '%s': %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		blk_err(err, errlen, "Could not stat '%s': %s", path, strerror(e));
		return -e;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		blk_err(err, errlen, "'%s' is a directory, not an image", path);
		return -EISDIR;
	}
	f->is_bdev = S_ISBLK(st.st_mode);
	f->mfd = f->fd = fd;
	if (!(flags & BLK_O_NO_LOCK)) {
		int r = blk_lock_apply(fd, path, rw, flags & BLK_O_FORCE_SHARE, err, errlen);
		if (r < 0) {
			close(fd);
			f->fd = f->mfd = -1;
			return r;
		}
		f->locked = true;
	}
	if (flags & BLK_O_DIRECT) {
		int dfd = open(path, oflags | O_DIRECT);
		if (dfd < 0) {
			int e = errno;
			blk_file_close(f);
			blk_err(err, errlen, "Could not open '%s' with cache=none (O_DIRECT): %s",
				path, strerror(e));
			return -e;
		}
		f->fd = dfd;
		f->align = probe_align(dfd, f->is_bdev);
	}
	return 0;
}

void blk_file_register(struct blk_file *f, struct aio_engine *e)
{
	if (f->reg || aio_register_file(e, f->fd) < 0)
		return;
	f->reg = e;
	if (f->mfd != f->fd)
		(void)aio_register_file(e, f->mfd); /* metadata: nice to have */
}

void blk_file_close(struct blk_file *f)
{
	/* before close(): a registered slot would outlive the fd number */
	if (f->reg) {
		aio_unregister_file(f->reg, f->fd);
		if (f->mfd != f->fd)
			aio_unregister_file(f->reg, f->mfd);
		f->reg = NULL;
	}
	if (f->locked)
		blk_lock_release(f->mfd);
	if (f->fd >= 0 && f->fd != f->mfd)
		close(f->fd);
	if (f->mfd >= 0)
		close(f->mfd);
	f->fd = f->mfd = -1;
	f->locked = false;
}

int64_t blk_file_size(const struct blk_file *f)
{
	if (f->is_bdev) {
		uint64_t sz = 0;
		if (ioctl(f->mfd, BLKGETSIZE64, &sz) < 0)
			return -errno;
		return (int64_t)sz;
	}
	struct stat st;
	if (fstat(f->mfd, &st) < 0)
		return -errno;
	return st.st_size;
}

uint64_t blk_file_allocated(const struct blk_file *f)
{
	struct stat st;
	if (fstat(f->mfd, &st) < 0)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

int blk_file_pread(const struct blk_file *f, void *buf, size_t len, uint64_t off,
		   bool zero_fill)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(f->mfd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			if (!zero_fill)
				return -EIO;
			memset((char *)buf + done, 0, len - done);
			return 0;
		}
		done += (size_t)n;
	}
	return 0;
}

int blk_file_pwrite(const struct blk_file *f, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(f->mfd, (const char *)buf + done, len - done,
				   (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}
