/* Reads that reach EOF complete with the short count (0 at EOF), plain and
 * vectored; with AIO_F_FULL cleared the raw result is reported too. */
#include <fcntl.h>
#include <unistd.h>

#include "aio-test.h"

static struct aio_fixture f;
static ssize_t run(struct aio_req *r)
{
	return aio_submit_wait(&f, r);
}

int main(int argc, char **argv)
{
	char path[300], buf[8192], a[600], b[600];
	struct aio_req r;
	t_timeout(30);
	aio_fixture_open(&f, argc, argv);
	snprintf(path, sizeof(path), "%s/small", t_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	for (int i = 0; i < 1000; i++)
		buf[i] = (char)i;
	REQUIRE(write(fd, buf, 1000) == 1000);

	memset(buf, 0, sizeof(buf));
	aio_prep_read(&r, fd, buf, sizeof(buf), 0, NULL, NULL);
	CHECK_EQ(run(&r), 1000);
	CHECK(buf[999] == (char)999 && buf[1000] == 0);

	aio_prep_read(&r, fd, buf, 100, 1000, NULL, NULL);
	CHECK_EQ(run(&r), 0);
	aio_prep_read(&r, fd, buf, 100, 5000, NULL, NULL);
	CHECK_EQ(run(&r), 0);

	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	aio_prep_readv(&r, fd, iov, 2, 300, NULL, NULL);
	CHECK_EQ(run(&r), 700);
	CHECK(a[0] == (char)300 && b[99] == (char)999);
	CHECK(iov[0].iov_base == a && iov[0].iov_len == sizeof(a)); /* untouched */

	aio_prep_read(&r, fd, buf, 4096, 900, NULL, NULL);
	r.aflags = 0;
	CHECK_EQ(run(&r), 100);
	close(fd);
	aio_fixture_close(&f);
	return t_finish();
}
