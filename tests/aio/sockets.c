/* Sockets through the engine: accept and connect on loopback TCP, send and
 * recv a message both ways, poll for readability, and see EOF as 0. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	struct op acc = { 0 }, con = { 0 }, snd = { 0 }, rcv = { 0 }, pol = { 0 };
	char msg[] = "ping through the ring", in[64] = { 0 };
	t_timeout(30);
	aio_fixture_open(&f, argc, argv);

	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(ls >= 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(ls, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	REQUIRE(listen(ls, 4) == 0);
	REQUIRE(getsockname(ls, (struct sockaddr *)&addr, &alen) == 0);
	int cs = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(cs >= 0);

	aio_prep_accept(&acc.r, ls, NULL, NULL, SOCK_CLOEXEC, on_done, &acc);
	REQUIRE(aio_submit(f.e, &acc.r) == 0);
	aio_prep_connect(&con.r, cs, (struct sockaddr *)&addr, sizeof(addr), on_done, &con);
	REQUIRE(aio_submit(f.e, &con.r) == 0);
	aio_run_until(&f, &acc.done);
	aio_run_until(&f, &con.done);
	CHECK_EQ(con.res, 0);
	REQUIRE(acc.res >= 0);
	int ss = (int)acc.res;

	/* poll first: nothing to read yet, so it completes only after send */
	aio_prep_poll(&pol.r, ss, POLLIN, on_done, &pol);
	REQUIRE(aio_submit(f.e, &pol.r) == 0);
	REQUIRE(loop_run_once(f.loop, 5000000) >= 0);
	CHECK_EQ(pol.done, 0);
	aio_prep_send(&snd.r, cs, msg, sizeof(msg), 0, on_done, &snd);
	REQUIRE(aio_submit(f.e, &snd.r) == 0);
	aio_run_until(&f, &snd.done);
	CHECK_EQ(snd.res, (ssize_t)sizeof(msg));
	aio_run_until(&f, &pol.done);
	CHECK(pol.res & POLLIN);

	aio_prep_recv(&rcv.r, ss, in, sizeof(in), 0, on_done, &rcv);
	REQUIRE(aio_submit(f.e, &rcv.r) == 0);
	aio_run_until(&f, &rcv.done);
	CHECK_EQ(rcv.res, (ssize_t)sizeof(msg));
	CHECK(!strcmp(in, msg));

	/* the peer closes: recv reports 0 (EOF) */
	close(cs);
	rcv.done = 0;
	aio_prep_recv(&rcv.r, ss, in, sizeof(in), 0, on_done, &rcv);
	REQUIRE(aio_submit(f.e, &rcv.r) == 0);
	aio_run_until(&f, &rcv.done);
	CHECK_EQ(rcv.res, 0);
	close(ss);
	close(ls);
	aio_fixture_close(&f);
	return t_finish();
}
