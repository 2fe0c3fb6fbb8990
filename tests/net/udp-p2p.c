/*
 * udp-p2p.c - two socket backends joined by point-to-point UDP
 * (udp=PEER,localaddr=SELF) exchange frames both ways, one datagram per
 * frame; datagrams from a stranger are not taken (the socket is connected).
 */
#include "net-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct nt_cap ca, cb;

static bool both(void *arg)
{
	unsigned n = (unsigned)(uintptr_t)arg;
	return ca.count >= n && cb.count >= n;
}

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

int main(void)
{
	t_timeout(20);
	nt_netns();
	struct nt f;
	nt_open(&f, NULL);
	struct net_backend *a = open_spec(&f, "socket,id=a,udp=127.0.0.1:7021,localaddr=127.0.0.1:7020");
	struct net_backend *b = open_spec(&f, "socket,id=b,udp=127.0.0.1:7020,localaddr=127.0.0.1:7021");
	nt_cap_init(&ca, "nic-a", false);
	nt_cap_init(&cb, "nic-b", false);
	REQUIRE(net_port_connect(&ca.port, net_backend_port(a)) == 0);
	REQUIRE(net_port_connect(&cb.port, net_backend_port(b)) == 0);

	/* A stranger writes to a's port: not from a's peer, so not a frame. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7020) };
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	uint8_t noise[64] = { 0xee };
	REQUIRE(sendto(s, noise, sizeof(noise), 0, (struct sockaddr *)&to, sizeof(to)) == 64);
	close(s);

	const size_t sizes[] = { 60, 1514, 9000, 14, 4000 };
	for (unsigned i = 0; i < 5; i++) {
		static uint8_t fr[9000];
		memset(fr, (int)i + 1, sizes[i]);
		struct iovec iov = { fr, sizes[i] };
		CHECK_EQ(net_port_send(&ca.port, &iov, 1), 0);
		CHECK_EQ(net_port_send(&cb.port, &iov, 1), 0);
		REQUIRE(nt_run_until(&f, both, (void *)(uintptr_t)(i + 1), 3000));
	}
	nt_run_for(&f, 50);
	CHECK_EQ(ca.count, 5);
	CHECK_EQ(cb.count, 5);
	for (unsigned i = 0; i < 5 && i < ca.count && i < cb.count; i++) {
		CHECK_EQ(ca.frames[i].len, sizes[i]);
		CHECK_EQ(cb.frames[i].len, sizes[i]);
		CHECK_EQ(ca.frames[i].data[sizes[i] - 1], i + 1);
		CHECK_EQ(cb.frames[i].data[0], i + 1);
	}
	net_backend_close(a);
	net_backend_close(b);
	nt_cap_clear(&ca);
	nt_cap_clear(&cb);
	nt_close(&f);
	return t_finish();
}
