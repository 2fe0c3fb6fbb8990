/* A full filesystem (a 64 KiB tmpfs in a private mount namespace) reports
 * -ENOSPC in the completion, never a silent short success. */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aio-test.h"

static struct aio_fixture f;
static ssize_t result;
static int done_flag;

static void on_done(struct aio_req *r, ssize_t res)
{
	(void)r;
	result = res;
	done_flag = 1;
}

int main(int argc, char **argv)
{
	char dir[300], path[320];
	t_timeout(30);
	if (unshare(CLONE_NEWNS) != 0)
		t_skip("cannot make a mount namespace (needs root)");
	REQUIRE(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	snprintf(dir, sizeof(dir), "%s/small", t_tmpdir());
	REQUIRE(mkdir(dir, 0700) == 0);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0)
		t_skip("cannot mount a tmpfs");
	aio_fixture_open(&f, argc, argv);
	snprintf(path, sizeof(path), "%s/fill", dir);
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	REQUIRE(fd >= 0);
	size_t len = 1 << 20;
	char *buf = calloc(1, len);
	struct aio_req r;
	aio_prep_write(&r, fd, buf, len, 0, on_done, NULL);
	REQUIRE(aio_submit(f.e, &r) == 0);
	aio_run_until(&f, &done_flag);
	CHECK_EQ(result, -ENOSPC);

	done_flag = 0;
	aio_prep_fallocate(&r, fd, 0, 0, len, on_done, NULL);
	REQUIRE(aio_submit(f.e, &r) == 0);
	aio_run_until(&f, &done_flag);
	CHECK_EQ(result, -ENOSPC);
	free(buf);
	close(fd);
	aio_fixture_close(&f);
	umount(dir);
	return t_finish();
}
