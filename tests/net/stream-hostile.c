/*
 * stream-hostile.c - a hostile stream peer cannot hurt the listener: an
 * oversized length prefix and a frame cut short each close that connection
 * (with a logged sentence) and deliver nothing; the next client is served
 * normally, and frames leave with QEMU's framing (4-byte big-endian length).
 */
#include "net-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

static struct nt_cap cl;
static int want_down;

static bool downs(void *arg)
{
	(void)arg;
	return cl.link_downs == want_down;
}

static int dial(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7003) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	/* The kernel completes the handshake from the backlog: no accept needed. */
	REQUIRE(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/* The listener must have closed fd's connection: EOF or reset. */
static void expect_closed(struct nt *f, int fd)
{
	uint8_t b[16];
	for (int i = 0; i < 300; i++) {
		nt_run_for(f, 10);
		ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			close(fd);
			return;
		}
	}
	fprintf(stderr, "the hostile connection was not closed\n");
	t_failures++;
	close(fd);
}

int main(void)
{
	t_timeout(40);
	nt_netns();
	struct nt f;
	nt_open(&f, NULL);
	nt_cap_init(&cl, "nic", false);
	struct net_netdev_opts o;
	char err[256];
	REQUIRE(net_parse_netdev("socket,id=l,listen=127.0.0.1:7003", &o, err, sizeof(err)) == 0);
	struct net_backend *l;
	REQUIRE(net_socket_open(&l, f.e, &o, err, sizeof(err)) == 0);
	REQUIRE(net_port_connect(&cl.port, net_backend_port(l)) == 0);

	/* 1. A length far beyond any frame. */
	int fd = dial();
	uint8_t hostile[12] = { 0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8 };
	REQUIRE(send(fd, hostile, sizeof(hostile), 0) == sizeof(hostile));
	want_down = 1;
	REQUIRE(nt_run_until(&f, downs, NULL, 5000));
	expect_closed(&f, fd);
	CHECK_EQ(cl.count, 0);

	/* 2. A frame announced as 100 bytes, cut after 50. */
	fd = dial();
	uint8_t part[54] = { 0, 0, 0, 100 };
	REQUIRE(send(fd, part, sizeof(part), 0) == sizeof(part));
	nt_run_for(&f, 50);
	close(fd);
	want_down = 2;
	REQUIRE(nt_run_until(&f, downs, NULL, 5000));
	CHECK_EQ(cl.count, 0);

	/* 3. A well-behaved client: two frames in one send, then one from us. */
	fd = dial();
	uint8_t good[4 + 60 + 4 + 70];
	memset(good, 0xaa, sizeof(good));
	memcpy(good, (uint8_t[]){ 0, 0, 0, 60 }, 4);
	memcpy(good + 64, (uint8_t[]){ 0, 0, 0, 70 }, 4);
	REQUIRE(send(fd, good, sizeof(good), 0) == sizeof(good));
	REQUIRE(nt_run_until(&f, nt_cap_has, &cl, 3000));
	nt_run_for(&f, 50);
	CHECK_EQ(cl.count, 2);
	CHECK(cl.count == 2 && cl.frames[0].len == 60 && cl.frames[1].len == 70);
	CHECK(cl.count == 2 && cl.frames[1].data[69] == 0xaa);
	uint8_t out[300];
	for (int i = 0; i < 300; i++)
		out[i] = (uint8_t)i;
	struct iovec iov = { out, sizeof(out) };
	CHECK_EQ(net_port_send(&cl.port, &iov, 1), 0);
	uint8_t in[304];
	size_t got = 0;
	for (int i = 0; i < 300 && got < sizeof(in); i++) {
		nt_run_for(&f, 5);
		ssize_t n = recv(fd, in + got, sizeof(in) - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
	}
	CHECK_EQ(got, 304);
	CHECK(in[0] == 0 && in[1] == 0 && in[2] == 1 && in[3] == 44); /* 300, big-endian */
	CHECK(!memcmp(in + 4, out, 300));
	close(fd);

	net_backend_close(l);
	nt_cap_clear(&cl);
	nt_close(&f);
	return t_finish();
}
