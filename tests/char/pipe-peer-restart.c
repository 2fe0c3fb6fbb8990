/*
 * pipe-peer-restart: when the pipe client goes away, the pipe server keeps
 * running, holds its output (nothing dropped), and when a new client opens
 * the FIFOs it delivers the held output and takes input again.
 */
#include <stdio.h>
#include <string.h>

#include "char-test.h"

static bool stored(void *arg)
{
	struct tfe *t = arg;

	return t->stored >= 5;
}

static bool disconnected(void *arg)
{
	struct chr_stats st;

	return chr_get_stats(arg, &st) == 0 && !st.connected;
}

int main(int argc, char **argv)
{
	struct tenv e;
	char base[512], sspec[700], cspec[700];
	struct tfe ts = { .rx_store = true }, tc = { .rx_store = true };
	struct chr_stats st;

	t_timeout(60);
	tenv_open(&e, argc, argv);
	snprintf(base, sizeof(base), "%s/q", t_tmpdir());
	snprintf(sspec, sizeof(sspec), "pipe,id=srv,path=%s,server=on", base);
	snprintf(cspec, sizeof(cspec), "pipe,id=cli,path=%s,client=on", base);
	struct chr_dev *srv = t_open(&e, sspec);
	struct chr_dev *cli = t_open(&e, cspec);

	tfe_attach(&ts, srv, e.loop);
	tfe_attach(&tc, cli, e.loop);
	CHECK_EQ(chr_write(cli, (const uint8_t *)"one..", 5), 5);
	CHECK(t_run_until(e.loop, stored, &ts, 10));

	chr_close(cli); /* the peer goes away */
	/* Let the kernel finish releasing its files (io_uring drops its
	 * references asynchronously); the server notices at its next write. */
	for (uint64_t end = loop_now_ns() + 100000000; loop_now_ns() < end;)
		loop_run_once(e.loop, 10000000);
	CHECK_EQ(chr_write(srv, (const uint8_t *)"held!", 5), 5);
	CHECK(t_run_until(e.loop, disconnected, srv, 10));
	CHECK(!loop_stopping(e.loop));

	struct tfe tc2 = { .rx_store = true };

	cli = t_open(&e, cspec);
	tfe_attach(&tc2, cli, e.loop);
	CHECK(t_run_until(e.loop, stored, &tc2, 10));
	CHECK(tc2.stored == 5 && !memcmp(tc2.store, "held!", 5));
	ts.stored = 0;
	CHECK_EQ(chr_write(cli, (const uint8_t *)"two..", 5), 5);
	CHECK(t_run_until(e.loop, stored, &ts, 10));
	CHECK(!memcmp(ts.store, "two..", 5));
	REQUIRE(chr_get_stats(srv, &st) == 0);
	CHECK_EQ(st.bytes_dropped, 0);
	CHECK(st.connects >= 2);
	chr_close(cli);
	chr_close(srv);
	tenv_close(&e);
	return t_finish();
}
