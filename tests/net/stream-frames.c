/*
 * stream-frames.c - two socket backends (listen= and connect= on
 * 127.0.0.1, in a private network namespace) carry frames of many sizes
 * both ways at once, in order and intact, while the receiving ports refuse
 * a frame now and then (flow control: nothing may be lost or reordered).
 */
#include "net-test.h"

#define NFRAMES 500

struct dir {
	struct nt_cap *from, *to;
	unsigned next;     /* next frame to send */
	unsigned seed;
	size_t sizes[NFRAMES];
};

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Frame i: [i][len][bytes from a PRNG seeded by (seed, i)][fnv of all before]. */
static void make(const struct dir *d, unsigned i, uint8_t *buf)
{
	size_t len = d->sizes[i];
	uint32_t x = d->seed * 2654435761u + i * 40503u + 1;
	memcpy(buf, &i, 4);
	memcpy(buf + 4, &len, 4);
	for (size_t k = 8; k < len - 4; k++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[k] = (uint8_t)x;
	}
	uint32_t h = fnv(buf, len - 4);
	memcpy(buf + len - 4, &h, 4);
}

static void pump(struct dir *d, uint8_t *buf)
{
	while (d->next < NFRAMES) {
		make(d, d->next, buf);
		struct iovec iov = { buf, d->sizes[d->next] };
		int ret = net_port_send(&d->from->port, &iov, 1);
		if (ret == -EAGAIN) {
			if (!d->from->resumed)
				break; /* wait for ops->resume */
			continue;
		}
		REQUIRE(ret == 0);
		d->from->resumed = false;
		d->next++;
	}
}

static void verify(const struct dir *d, uint8_t *buf)
{
	CHECK_EQ(d->to->count, NFRAMES);
	for (unsigned i = 0; i < d->to->count && i < NFRAMES; i++) {
		make(d, i, buf);
		const struct nt_frame *fr = &d->to->frames[i];
		if (fr->len != d->sizes[i] || memcmp(fr->data, buf, fr->len)) {
			fprintf(stderr, "frame %u: len %zu (want %zu) or bytes differ\n", i, fr->len,
				d->sizes[i]);
			t_failures++;
			break;
		}
		uint32_t h;
		memcpy(&h, fr->data + fr->len - 4, 4);
		CHECK_EQ(h, fnv(fr->data, fr->len - 4));
	}
}

static struct nt_cap ca, cb;

static bool both_up(void *arg)
{
	(void)arg;
	return ca.link_ups == 1 && cb.link_ups == 1;
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

int main(int argc, char **argv)
{
	t_timeout(60);
	nt_netns();
	struct nt f;
	nt_open(&f, argc >= 2 ? argv[1] : NULL);
	struct net_backend *a = open_spec(&f, "socket,id=a,listen=127.0.0.1:7001");
	struct net_backend *b = open_spec(&f, "socket,id=b,connect=127.0.0.1:7001");
	nt_cap_init(&ca, "nic-a", true); /* hdr-capable, but sockets are not: bare */
	nt_cap_init(&cb, "nic-b", false);
	REQUIRE(net_port_connect(&ca.port, net_backend_port(a)) == 0);
	REQUIRE(net_port_connect(&cb.port, net_backend_port(b)) == 0);
	CHECK_EQ(net_port_hdr_len(&ca.port), 0);
	REQUIRE(nt_run_until(&f, both_up, NULL, 5000));

	static struct dir ab = { .from = &ca, .to = &cb, .seed = 1 };
	static struct dir ba = { .from = &cb, .to = &ca, .seed = 2 };
	for (unsigned i = 0; i < NFRAMES; i++) {
		uint64_t r = t_rand();
		size_t sz = 60 + r % 1455;                    /* typical frames */
		if (r % 10 == 0)
			sz = 14 + (r >> 8) % 9000;            /* jumbo-ish */
		if (r % 50 == 1)
			sz = NET_MAX_FRAME;                   /* the largest allowed */
		if (sz < 16)
			sz = 16;
		ab.sizes[i] = sz;
		ba.sizes[NFRAMES - 1 - i] = sz;
	}
	ca.refuse_every = 13;
	cb.refuse_every = 17;
	static uint8_t buf[NET_MAX_FRAME];
	uint64_t end = loop_now_ns() + 30000000000ull;
	while ((ca.count < NFRAMES || cb.count < NFRAMES) && loop_now_ns() < end) {
		pump(&ab, buf);
		pump(&ba, buf);
		REQUIRE(loop_run_once(f.loop, 10000000) >= 0);
		/* The "guest" adds rx buffers after a turn: let held frames flow. */
		nt_cap_resume(&ca);
		nt_cap_resume(&cb);
	}
	verify(&ab, buf);
	verify(&ba, buf);
	CHECK(net_port_stats(net_backend_port(a))->tx_refused > 0); /* flow control ran */
	CHECK(net_port_stats(&ca.port)->tx_refused > 0); /* the socket's queue filled */
	CHECK_EQ(net_port_stats(&ca.port)->tx_drops, 0);
	CHECK_EQ(net_port_stats(&cb.port)->tx_drops, 0);

	net_backend_close(b);
	net_backend_close(a);
	nt_cap_clear(&ca);
	nt_cap_clear(&cb);
	nt_close(&f);
	return t_finish();
}
