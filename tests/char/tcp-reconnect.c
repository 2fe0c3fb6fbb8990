/*
 * tcp-reconnect: a tcp client chardev with reconnect-ms=100 talks to a
 * server chardev, loses it (the server closes), drops and counts its output
 * while disconnected, and connects again by itself when a new server comes
 * up on the same port; data then flows again both ways.
 */
#include <stdio.h>

#include "char-test.h"

struct st {
	struct chr_dev *chr;
	bool want;
};

static bool conn_is(void *arg)
{
	struct st *x = arg;
	struct chr_stats s;

	return chr_get_stats(x->chr, &s) == 0 && s.connected == x->want;
}

static bool got(void *arg)
{
	struct tfe *t = arg;

	return t->stored >= 5;
}

int main(int argc, char **argv)
{
	struct tenv e;
	char spec[256];
	struct tfe ts = { .rx_store = true }, tc = { .rx_store = true };
	struct chr_stats s;
	int port;

	t_timeout(60);
	tenv_open(&e, argc, argv);
	struct chr_dev *srv = t_open(&e, "socket,id=srv,host=127.0.0.1,port=0,server=on,wait=off");

	port = chr_socket_port(srv);
	REQUIRE(port > 0);
	snprintf(spec, sizeof(spec), "socket,id=cli,host=127.0.0.1,port=%d,reconnect-ms=100",
		 port);
	struct chr_dev *cli = t_open(&e, spec);

	tfe_attach(&ts, srv, e.loop);
	tfe_attach(&tc, cli, e.loop);
	CHECK_EQ(chr_wait_connected(cli, 5000000000ll), 0);
	CHECK_EQ(chr_write(cli, (const uint8_t *)"hello", 5), 5);
	CHECK(t_run_until(e.loop, got, &ts, 10));
	CHECK(ts.stored == 5 && !memcmp(ts.store, "hello", 5));

	/* The server goes away: the client notices and drops its output. */
	chr_close(srv);
	struct st want_down = { cli, false };

	CHECK(t_run_until(e.loop, conn_is, &want_down, 10));
	CHECK_EQ(chr_write(cli, (const uint8_t *)"lost!", 5), 5);
	REQUIRE(chr_get_stats(cli, &s) == 0);
	CHECK(s.bytes_dropped >= 5);
	CHECK_EQ(s.connects, 1);

	/* A new server on the same port: the client comes back alone. */
	snprintf(spec, sizeof(spec), "socket,id=srv2,host=127.0.0.1,port=%d,server=on,wait=off",
		 port);
	srv = t_open(&e, spec);
	struct tfe ts2 = { .rx_store = true };

	tfe_attach(&ts2, srv, e.loop);
	struct st want_up = { cli, true };

	CHECK(t_run_until(e.loop, conn_is, &want_up, 10));
	CHECK_EQ(chr_wait_connected(srv, 5000000000ll), 0);
	CHECK_EQ(chr_write(cli, (const uint8_t *)"again", 5), 5);
	CHECK_EQ(chr_write(srv, (const uint8_t *)"welcome", 7), 7);
	CHECK(t_run_until(e.loop, got, &ts2, 10));
	CHECK(t_run_until(e.loop, got, &tc, 10));
	CHECK(ts2.stored == 5 && !memcmp(ts2.store, "again", 5));
	CHECK(tc.stored == 7 && !memcmp(tc.store, "welcome", 7));
	REQUIRE(chr_get_stats(cli, &s) == 0);
	CHECK_EQ(s.connects, 2);
	chr_close(cli);
	chr_close(srv);
	tenv_close(&e);
	return t_finish();
}
