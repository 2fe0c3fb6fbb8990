/* Errors come back as -errno in the completion: EBADF for a closed fd and
 * for writing a read-only fd; the engine stays usable afterwards. */
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
	char path[300], buf[64] = "x";
	struct aio_req r;
	t_timeout(30);
	aio_fixture_open(&f, argc, argv);
	snprintf(path, sizeof(path), "%s/ro", t_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	REQUIRE(fd >= 0);
	close(fd);
	/* A descriptor surely not open (a closed one could be reused by the
	 * engine's own eventfds). */
	int closed = 65000;
	REQUIRE(fcntl(closed, F_GETFD) < 0);

	aio_prep_read(&r, closed, buf, sizeof(buf), 0, NULL, NULL);
	CHECK_EQ(run(&r), -EBADF);
	aio_prep_fsync(&r, closed, 1, NULL, NULL);
	CHECK_EQ(run(&r), -EBADF);

	int ro = open(path, O_RDONLY);
	REQUIRE(ro >= 0);
	aio_prep_write(&r, ro, buf, 1, 0, NULL, NULL);
	CHECK_EQ(run(&r), -EBADF);
	aio_prep_read(&r, ro, buf, sizeof(buf), 0, NULL, NULL);
	CHECK_EQ(run(&r), 0);

	/* malformed requests are refused at submit, done() never runs */
	struct aio_wait w = { 0, 0 };
	aio_prep_readv(&r, ro, NULL, 0, 0, aio_wait_done, &w);
	CHECK_EQ(aio_submit(f.e, &r), -EINVAL);
	for (int i = 0; i < 3; i++)
		REQUIRE(loop_run_once(f.loop, 1000000) >= 0);
	CHECK_EQ(w.done, 0);
	close(ro);
	aio_fixture_close(&f);
	return t_finish();
}
