/*
 * tap-gone.c - the tap interface is deleted on the host under a running
 * backend: the backend takes its link down once (the NIC hears it), frames
 * sent to it are refused with -ENOTCONN (dropped, counted), and it stops
 * reading instead of spinning on the dead fd (the loop sits idle); closing
 * it afterwards is clean. Run with each engine (argv[1]).
 */
#include "net-test.h"

static bool down(void *arg)
{
	return ((struct nt_cap *)arg)->link_downs > 0;
}

int main(int argc, char **argv)
{
	t_timeout(30);
	nt_need_tun();
	nt_netns();
	struct nt f;
	nt_open(&f, argc >= 2 ? argv[1] : "io_uring");
	struct net_netdev_opts o;
	char err[256];
	REQUIRE(net_parse_netdev("tap,id=t,ifname=rvtap2,script=no,downscript=no", &o, err,
				 sizeof(err)) == 0);
	struct net_backend *b;
	REQUIRE(net_tap_open(&b, f.e, &o, err, sizeof(err)) == 0);
	nt_sh("ip link set rvtap2 up");
	static struct nt_cap c;
	nt_cap_init(&c, "nic", false);
	REQUIRE(net_port_connect(&c.port, net_backend_port(b)) == 0);
	CHECK(net_port_peer_link_up(&c.port));
	nt_run_for(&f, 100);

	nt_sh("ip link del rvtap2");
	REQUIRE(nt_run_until(&f, down, &c, 5000));
	CHECK_EQ(c.link_downs, 1);
	CHECK(!net_port_peer_link_up(&c.port));

	uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x06 };
	struct iovec iov = { frame, sizeof(frame) };
	CHECK_EQ(net_port_send(&c.port, &iov, 1), -ENOTCONN);
	unsigned seen = c.count; /* e.g. IPv6 router solicitations before the delete */

	/* Idle: half a second of 100 ms waits is a handful of turns, not a
	 * spin on an fd that polls as an error forever. */
	unsigned turns = 0;
	uint64_t end = loop_now_ns() + 500000000ull;
	while (loop_now_ns() < end) {
		REQUIRE(loop_run_once(f.loop, 100000000) >= 0);
		turns++;
	}
	if (turns > 30) {
		fprintf(stderr, "%u loop turns in 500 ms after the tap went away\n", turns);
		t_failures++;
	}
	CHECK_EQ(c.link_downs, 1);
	CHECK_EQ(c.count, seen);
	net_backend_close(b);
	nt_close(&f);
	return t_finish();
}
