/*
 * stream-garbage.c - random bytes from a stream peer, in random chunks,
 * never crash or confuse the listener: whatever it delivers is a frame the
 * bytes really announced (length <= NET_MAX_FRAME, contents as sent), and
 * after each garbage client the listener serves a good client normally.
 * Run under ASan in CI.
 */
#include "net-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ROUNDS 20

static struct nt_cap cl;

static int dial(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7004) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	REQUIRE(fd >= 0);
	REQUIRE(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

static int want_down;

static bool downs(void *arg)
{
	(void)arg;
	return cl.link_downs >= want_down;
}

/* Parse stream as the listener should; count frames it must deliver. */
static unsigned expected_frames(const uint8_t *b, size_t n, size_t *offs, size_t *lens)
{
	unsigned k = 0;
	size_t p = 0;
	while (n - p >= 4) {
		uint32_t len = (uint32_t)b[p] << 24 | (uint32_t)b[p + 1] << 16 |
			       (uint32_t)b[p + 2] << 8 | b[p + 3];
		if (len > NET_MAX_FRAME || n - p - 4 < len)
			break;
		if (len) {
			offs[k] = p + 4;
			lens[k++] = len;
		}
		p += 4 + len;
	}
	return k;
}

int main(void)
{
	t_timeout(60);
	nt_netns();
	struct nt f;
	nt_open(&f, NULL);
	nt_cap_init(&cl, "nic", false);
	struct net_netdev_opts o;
	char err[256];
	REQUIRE(net_parse_netdev("socket,id=l,listen=127.0.0.1:7004", &o, err, sizeof(err)) == 0);
	struct net_backend *l;
	REQUIRE(net_socket_open(&l, f.e, &o, err, sizeof(err)) == 0);
	REQUIRE(net_port_connect(&cl.port, net_backend_port(l)) == 0);

	static uint8_t junk[8192];
	static size_t offs[4096], lens[4096];
	for (int round = 0; round < ROUNDS; round++) {
		size_t n = 16 + t_rand() % (sizeof(junk) - 16);
		for (size_t i = 0; i < n; i++)
			junk[i] = (uint8_t)t_rand();
		/* Small lengths now and then, so some frames are real. */
		for (size_t p = 0; p + 4 < n; p += 4 + t_rand() % 200)
			if (t_rand() % 2) {
				junk[p] = junk[p + 1] = 0;
				junk[p + 2] = (uint8_t)(t_rand() % 2);
			}
		unsigned want = expected_frames(junk, n, offs, lens);
		nt_cap_clear(&cl);
		int fd = dial();
		for (size_t p = 0; p < n;) { /* random chunks */
			size_t c = 1 + t_rand() % 700;
			if (c > n - p)
				c = n - p;
			if (send(fd, junk + p, c, MSG_NOSIGNAL) != (ssize_t)c)
				break; /* the listener already hung up on us */
			p += c;
			nt_run_for(&f, 1);
		}
		close(fd);
		want_down = round + 1;
		REQUIRE(nt_run_until(&f, downs, NULL, 5000));
		CHECK_EQ(cl.count, want);
		for (unsigned k = 0; k < cl.count && k < want; k++)
			CHECK(cl.frames[k].len == lens[k] &&
			      !memcmp(cl.frames[k].data, junk + offs[k], lens[k]));
	}
	CHECK_EQ(cl.link_ups, ROUNDS);

	net_backend_close(l);
	nt_cap_clear(&cl);
	nt_close(&f);
	return t_finish();
}
