/*
 * stream-reconnect.c - a lost stream peer takes the link down without harm
 * and a new one brings it back: the listener accepts again after its client
 * goes away, and a connector retries until its listener returns.
 */
#include "net-test.h"

static struct nt_cap cl, cc;

static struct net_backend *open_spec(struct nt *f, const char *spec)
{
	struct net_netdev_opts o;
	char err[256];
	REQUIRE(net_parse_netdev(spec, &o, err, sizeof(err)) == 0);
	struct net_backend *b;
	int ret = net_socket_open(&b, f->e, &o, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s\n", err);
	REQUIRE(ret == 0);
	return b;
}

static int want_l_up, want_l_down, want_c_up, want_c_down;

static bool links(void *arg)
{
	(void)arg;
	return cl.link_ups == want_l_up && cl.link_downs == want_l_down &&
	       cc.link_ups == want_c_up && cc.link_downs == want_c_down;
}

/* One frame each way, tagged, must arrive. */
static void exchange(struct nt *f, uint8_t tag)
{
	uint8_t fr[64];
	memset(fr, tag, sizeof(fr));
	struct iovec iov = { fr, sizeof(fr) };
	nt_cap_clear(&cl);
	nt_cap_clear(&cc);
	CHECK_EQ(net_port_send(&cl.port, &iov, 1), 0);
	fr[0] = (uint8_t)(tag + 1);
	CHECK_EQ(net_port_send(&cc.port, &iov, 1), 0);
	REQUIRE(nt_run_until(f, nt_cap_has, &cl, 3000));
	REQUIRE(nt_run_until(f, nt_cap_has, &cc, 3000));
	CHECK(cc.frames[0].len == 64 && cc.frames[0].data[0] == tag && cc.frames[0].data[63] == tag);
	CHECK(cl.frames[0].len == 64 && cl.frames[0].data[0] == tag + 1);
}

int main(void)
{
	t_timeout(60);
	nt_netns();
	struct nt f;
	nt_open(&f, NULL);
	nt_cap_init(&cl, "nic-l", false);
	nt_cap_init(&cc, "nic-c", false);

	struct net_backend *l = open_spec(&f, "socket,id=l,listen=127.0.0.1:7002");
	struct net_backend *c = open_spec(&f, "socket,id=c,connect=127.0.0.1:7002");
	REQUIRE(net_port_connect(&cl.port, net_backend_port(l)) == 0);
	REQUIRE(net_port_connect(&cc.port, net_backend_port(c)) == 0);
	CHECK(!net_port_peer_link_up(&cc.port)); /* not connected yet */
	want_l_up = want_c_up = 1;
	REQUIRE(nt_run_until(&f, links, NULL, 5000));
	CHECK(net_port_peer_link_up(&cc.port) && net_port_peer_link_up(&cl.port));
	exchange(&f, 10);

	/* 1. The client goes away: the listener's link goes down... */
	net_backend_close(c);
	want_c_up = 0; /* cc's peer is gone; cc saw the close as a down */
	cc.link_ups = 0;
	cc.link_downs = 0;
	want_l_down = 1;
	REQUIRE(nt_run_until(&f, links, NULL, 5000));
	CHECK(!net_port_peer_link_up(&cl.port));
	/* ...frames sent meanwhile are refused, not queued... */
	uint8_t junk[60] = { 0 };
	struct iovec iov = { junk, sizeof(junk) };
	CHECK_EQ(net_port_send(&cl.port, &iov, 1), -ENOTCONN);
	/* ...and a new client is accepted. */
	c = open_spec(&f, "socket,id=c2,connect=127.0.0.1:7002");
	REQUIRE(net_port_connect(&cc.port, net_backend_port(c)) == 0);
	want_l_up = 2;
	want_c_up = 1;
	REQUIRE(nt_run_until(&f, links, NULL, 5000));
	exchange(&f, 20);

	/* 2. The listener goes away: the connector's link goes down and it
	 * retries (once a second) until a listener is back. */
	net_backend_close(l);
	cl.link_ups = cl.link_downs = 0;
	want_l_up = want_l_down = 0;
	want_c_down = 1;
	REQUIRE(nt_run_until(&f, links, NULL, 5000));
	nt_run_for(&f, 1500); /* at least one refused retry */
	l = open_spec(&f, "socket,id=l2,listen=127.0.0.1:7002");
	REQUIRE(net_port_connect(&cl.port, net_backend_port(l)) == 0);
	want_l_up = 1;
	want_c_up = 2;
	REQUIRE(nt_run_until(&f, links, NULL, 5000));
	exchange(&f, 30);

	net_backend_close(c);
	net_backend_close(l);
	nt_cap_clear(&cl);
	nt_cap_clear(&cc);
	nt_close(&f);
	return t_finish();
}
