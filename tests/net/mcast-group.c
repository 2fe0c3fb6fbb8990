/*
 * mcast-group.c - three socket backends on one UDP multicast group (as
 * three VMs on one host would be, no root needed outside this test's
 * namespace) each see the frames of the other two, and not their own.
 */
#include "net-test.h"

#define N 3

static struct nt_cap cap[N];

static bool all_two(void *arg)
{
	(void)arg;
	for (int i = 0; i < N; i++)
		if (cap[i].count < N - 1)
			return false;
	return true;
}

int main(int argc, char **argv)
{
	t_timeout(30);
	nt_netns();
	nt_sh("ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo");
	struct nt f;
	nt_open(&f, argc >= 2 ? argv[1] : NULL);
	/* argv[2] "noaddr": no localaddr=, the route picks the interface. */
	bool noaddr = argc >= 3 && !strcmp(argv[2], "noaddr");
	struct net_backend *b[N];
	for (int i = 0; i < N; i++) {
		struct net_netdev_opts o;
		char err[256], spec[128], name[16];
		snprintf(spec, sizeof(spec), "socket,id=m%d,mcast=239.192.7.7:7010%s", i,
			 noaddr ? "" : ",localaddr=127.0.0.1");
		REQUIRE(net_parse_netdev(spec, &o, err, sizeof(err)) == 0);
		int ret = net_socket_open(&b[i], f.e, &o, err, sizeof(err));
		if (ret)
			fprintf(stderr, "%s\n", err);
		REQUIRE(ret == 0);
		snprintf(name, sizeof(name), "nic%d", i);
		nt_cap_init(&cap[i], name, false);
		REQUIRE(net_port_connect(&cap[i].port, net_backend_port(b[i])) == 0);
	}
	for (int i = 0; i < N; i++) {
		uint8_t fr[100];
		memset(fr, 0x40 + i, sizeof(fr));
		fr[0] = (uint8_t)i;
		struct iovec iov = { fr, sizeof(fr) - (size_t)i }; /* lengths differ too */
		CHECK_EQ(net_port_send(&cap[i].port, &iov, 1), 0);
	}
	REQUIRE(nt_run_until(&f, all_two, NULL, 5000));
	nt_run_for(&f, 100); /* anything extra (our own frames) would show now */
	for (int i = 0; i < N; i++) {
		CHECK_EQ(cap[i].count, N - 1);
		bool seen[N] = { false };
		for (unsigned k = 0; k < cap[i].count; k++) {
			const struct nt_frame *fr = &cap[i].frames[k];
			int from = fr->data[0];
			REQUIRE(from >= 0 && from < N);
			CHECK(from != i);
			CHECK_EQ(fr->len, 100 - from);
			CHECK_EQ(fr->data[fr->len - 1], 0x40 + from);
			seen[from] = true;
		}
		for (int j = 0; j < N; j++)
			CHECK(seen[j] == (j != i));
	}
	for (int i = 0; i < N; i++) {
		net_backend_close(b[i]);
		nt_cap_clear(&cap[i]);
	}
	nt_close(&f);
	return t_finish();
}
