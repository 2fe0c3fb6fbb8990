/*
 * tap-backpressure.c - a NIC with no rx buffers pushes back on the tap
 * instead of losing frames: while the port refuses, the backend offers
 * nothing more (frames wait in its buffers and the kernel's queue); after
 * the port resumes, every frame the kernel sent arrives, in order.
 */
#include "net-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define COUNT 40

static bool is_ours(const uint8_t *f, size_t len)
{
	/* IPv4 UDP to port 9 */
	return len >= 42 && f[12] == 8 && f[13] == 0 && f[23] == 17 && f[36] == 0 && f[37] == 9;
}

static bool all(void *arg)
{
	return ((struct nt_cap *)arg)->count >= COUNT;
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
	REQUIRE(net_parse_netdev("tap,id=t,ifname=rvtap1,script=no,downscript=no", &o, err,
				 sizeof(err)) == 0);
	struct net_backend *b;
	REQUIRE(net_tap_open(&b, f.e, &o, err, sizeof(err)) == 0);
	(void)!system("sysctl -qw net.ipv6.conf.rvtap1.disable_ipv6=1 2>/dev/null");
	nt_sh("ip addr add 10.9.1.1/24 dev rvtap1 && ip link set rvtap1 up && "
	      "ip neigh replace 10.9.1.2 lladdr 52:54:00:00:01:02 dev rvtap1");
	static struct nt_cap c;
	nt_cap_init(&c, "nic", false);
	c.filter = is_ours;
	c.refuse_every = 1; /* no rx buffers at all */
	REQUIRE(net_port_connect(&c.port, net_backend_port(b)) == 0);

	/* The kernel sends COUNT datagrams out of the tap. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	inet_pton(AF_INET, "10.9.1.2", &to.sin_addr);
	for (uint32_t i = 0; i < COUNT; i++)
		REQUIRE(sendto(s, &i, sizeof(i), 0, (struct sockaddr *)&to, sizeof(to)) == 4);
	close(s);

	nt_run_for(&f, 300);
	CHECK_EQ(c.count, 0);
	/* One refusal, then silence until we resume: no retry storm, no loss. */
	CHECK_EQ(c.offered, 1);
	CHECK_EQ(net_port_stats(net_backend_port(b))->tx_drops, 0);

	c.refuse_every = 0;
	nt_cap_resume(&c);
	REQUIRE(nt_run_until(&f, all, &c, 5000));
	nt_run_for(&f, 50);
	CHECK_EQ(c.count, COUNT);
	for (unsigned i = 0; i < c.count; i++) {
		uint32_t seq;
		memcpy(&seq, c.frames[i].data + 42, 4);
		if (seq != i) {
			fprintf(stderr, "frame %u carries datagram %u\n", i, seq);
			t_failures++;
			break;
		}
	}
	net_backend_close(b);
	nt_cap_clear(&c);
	nt_close(&f);
	return t_finish();
}
