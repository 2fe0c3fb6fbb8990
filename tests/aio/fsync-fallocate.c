/* fsync and fdatasync complete with 0; fallocate extends a file; punching
 * a hole makes that range read back as zeroes and keeps the size. */
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aio-test.h"

static struct aio_fixture f;
static ssize_t run(struct aio_req *r)
{
	return aio_submit_wait(&f, r);
}

int main(int argc, char **argv)
{
	char path[300], buf[65536];
	struct aio_req r;
	struct stat st;
	t_timeout(30);
	aio_fixture_open(&f, argc, argv);
	snprintf(path, sizeof(path), "%s/falloc", t_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);

	aio_prep_fallocate(&r, fd, 0, 0, 1 << 20, NULL, NULL);
	CHECK_EQ(run(&r), 0);
	REQUIRE(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, 1 << 20);

	memset(buf, 0xab, sizeof(buf));
	aio_prep_write(&r, fd, buf, sizeof(buf), 65536, NULL, NULL);
	CHECK_EQ(run(&r), (ssize_t)sizeof(buf));
	aio_prep_fsync(&r, fd, 0, NULL, NULL);
	CHECK_EQ(run(&r), 0);
	aio_prep_fsync(&r, fd, 1, NULL, NULL);
	CHECK_EQ(run(&r), 0);

	aio_prep_fallocate(&r, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 65536 + 4096,
			   8192, NULL, NULL);
	ssize_t ret = run(&r);
	if (ret == -EOPNOTSUPP)
		t_skip("this filesystem cannot punch holes");
	CHECK_EQ(ret, 0);
	REQUIRE(pread(fd, buf, sizeof(buf), 65536) == (ssize_t)sizeof(buf));
	CHECK((unsigned char)buf[4095] == 0xab);
	CHECK(buf[4096] == 0 && buf[4096 + 8191] == 0);
	CHECK((unsigned char)buf[4096 + 8192] == 0xab);
	REQUIRE(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, 1 << 20);
	close(fd);
	aio_fixture_close(&f);
	return t_finish();
}
