/* Streams (AIO_OFFSET_NONE): a read on a pipe completes with what arrived
 * instead of waiting to fill its buffer; writes go through whole; a poll
 * on a FIFO opened read-write works on every engine (libaio refuses such
 * files, so that engine must hand it on). */
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aio-test.h"

static struct aio_fixture f;

struct op {
	struct aio_req r;
	ssize_t res;
	int done;
};

static void on_done(struct aio_req *r, ssize_t res)
{
	struct op *o = r->opaque;
	o->res = res;
	o->done = 1;
}

int main(int argc, char **argv)
{
	int p[2];
	char buf[4096];
	struct op rd = { 0 }, wr = { 0 }, pl = { 0 };
	t_timeout(30);
	aio_fixture_open(&f, argc, argv);
	REQUIRE(pipe(p) == 0);

	aio_prep_read(&rd.r, p[0], buf, sizeof(buf), AIO_OFFSET_NONE, on_done, &rd);
	REQUIRE(aio_submit(f.e, &rd.r) == 0);
	aio_prep_write(&wr.r, p[1], "hello", 5, AIO_OFFSET_NONE, on_done, &wr);
	REQUIRE(aio_submit(f.e, &wr.r) == 0);
	aio_run_until(&f, &wr.done);
	aio_run_until(&f, &rd.done);
	CHECK_EQ(wr.res, 5);
	CHECK_EQ(rd.res, 5);
	CHECK(!memcmp(buf, "hello", 5));

	char path[300];
	snprintf(path, sizeof(path), "%s/fifo", t_tmpdir());
	REQUIRE(mkfifo(path, 0600) == 0);
	int fd = open(path, O_RDWR | O_NONBLOCK);
	REQUIRE(fd >= 0);
	aio_prep_poll(&pl.r, fd, POLLIN, on_done, &pl);
	REQUIRE(aio_submit(f.e, &pl.r) == 0);
	REQUIRE(loop_run_once(f.loop, 5000000) >= 0);
	CHECK_EQ(pl.done, 0);
	REQUIRE(write(fd, "z", 1) == 1);
	aio_run_until(&f, &pl.done);
	CHECK(pl.res > 0 && (pl.res & POLLIN));
	close(fd);
	close(p[0]);
	close(p[1]);
	aio_fixture_close(&f);
	return t_finish();
}
