/* O_DIRECT: aligned requests work; a misaligned buffer or offset comes back
 * as -EINVAL in the completion (not a crash, not silent success). */
#include <fcntl.h>
#include <stdlib.h>
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

static ssize_t do_io(int op_write, int fd, void *buf, size_t len, uint64_t off)
{
	struct aio_req r;
	done_flag = 0;
	if (op_write)
		aio_prep_write(&r, fd, buf, len, off, on_done, NULL);
	else
		aio_prep_read(&r, fd, buf, len, off, on_done, NULL);
	REQUIRE(aio_submit(f.e, &r) == 0);
	aio_run_until(&f, &done_flag);
	return result;
}

int main(int argc, char **argv)
{
	char path[300];
	void *buf;
	t_timeout(30);
	aio_fixture_open(&f, argc, argv);
	snprintf(path, sizeof(path), "%s/direct", getenv("RINGVM_DIRECT_DIR") ?
		 getenv("RINGVM_DIRECT_DIR") : t_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
	if (fd < 0 && errno == EINVAL)
		t_skip("the temporary directory's filesystem has no O_DIRECT");
	REQUIRE(fd >= 0);
	REQUIRE(posix_memalign(&buf, 4096, 3 * 4096) == 0);
	memset(buf, 0x5a, 3 * 4096);

	CHECK_EQ(do_io(1, fd, buf, 8192, 0), 8192);
	memset(buf, 0, 8192);
	CHECK_EQ(do_io(0, fd, buf, 8192, 0), 8192);
	CHECK(((unsigned char *)buf)[8191] == 0x5a);

	CHECK_EQ(do_io(0, fd, (char *)buf + 1, 4096, 0), -EINVAL);  /* buffer */
	CHECK_EQ(do_io(0, fd, buf, 4096, 1), -EINVAL);              /* offset */
	CHECK_EQ(do_io(1, fd, buf, 100, 0), -EINVAL);               /* length */
	CHECK_EQ(aio_inflight(f.e), 0);
	free(buf);
	close(fd);
	unlink(path);
	aio_fixture_close(&f);
	return t_finish();
}
