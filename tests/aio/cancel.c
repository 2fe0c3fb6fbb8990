/* Cancelling a request that cannot complete (recv on a silent socket, poll)
 * ends it with -ECANCELED exactly once; cancelling what is not in flight
 * says -ENOENT. */
#include <poll.h>
#include <sys/socket.h>
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
	o->done++;
}

int main(int argc, char **argv)
{
	int sv[2];
	char buf[16];
	struct op rcv = { 0 }, pol = { 0 };
	t_timeout(30);
	aio_fixture_open(&f, argc, argv);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);

	aio_prep_recv(&rcv.r, sv[0], buf, sizeof(buf), 0, on_done, &rcv);
	REQUIRE(aio_submit(f.e, &rcv.r) == 0);
	aio_prep_poll(&pol.r, sv[0], POLLIN, on_done, &pol);
	REQUIRE(aio_submit(f.e, &pol.r) == 0);
	for (int i = 0; i < 3; i++)
		REQUIRE(loop_run_once(f.loop, 2000000) >= 0);
	CHECK_EQ(rcv.done + pol.done, 0);

	CHECK_EQ(aio_cancel(f.e, &rcv.r), 0);
	CHECK_EQ(aio_cancel(f.e, &pol.r), 0);
	aio_run_until(&f, &rcv.done);
	aio_run_until(&f, &pol.done);
	CHECK_EQ(rcv.res, -ECANCELED);
	CHECK_EQ(pol.res, -ECANCELED);
	for (int i = 0; i < 3; i++)
		REQUIRE(loop_run_once(f.loop, 1000000) >= 0);
	CHECK_EQ(rcv.done, 1);
	CHECK_EQ(pol.done, 1);
	CHECK_EQ(aio_cancel(f.e, &rcv.r), -ENOENT);
	CHECK_EQ(aio_inflight(f.e), 0);

	/* The socket still works after the cancels. */
	rcv.done = 0;
	aio_prep_recv(&rcv.r, sv[0], buf, sizeof(buf), 0, on_done, &rcv);
	REQUIRE(aio_submit(f.e, &rcv.r) == 0);
	REQUIRE(write(sv[1], "hi", 2) == 2);
	aio_run_until(&f, &rcv.done);
	CHECK_EQ(rcv.res, 2);
	close(sv[0]);
	close(sv[1]);
	aio_fixture_close(&f);
	return t_finish();
}
