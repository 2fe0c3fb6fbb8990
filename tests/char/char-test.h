/*
 * char-test.h - a test frontend for chardev backends on a real loop.
 *
 * A tfe is a device model stand-in: it sends a deterministic byte stream
 * with chr_write (resuming on write_ready), and checks every byte it
 * receives against the stream the peer is expected to send. Options make
 * it slow on purpose (1 byte per loop turn) to exercise flow control.
 *
 * Every test program runs with "--epoll" too (CMake adds the variant): the
 * loop then uses epoll and the engine is not io_uring, so the backends take
 * their poll + non-blocking path.
 */
#ifndef RINGVM_CHAR_TEST_H
#define RINGVM_CHAR_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "aio/aio.h"
#include "char/backends.h"
#include "char/char.h"
#include "harness.h"
#include "loop/loop.h"

static inline uint64_t tfe_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Byte i of the stream named seed. */
static inline uint8_t tfe_byte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(tfe_mix(seed * 0x100000001b3ull + (i >> 3)) >> ((i & 7) * 8));
}

struct tfe {
	struct chr_dev *chr;
	struct loop *loop;
	/* sending */
	uint64_t tx_seed, tx_total, tx_sent;
	unsigned write_ready_calls;
	/* receiving */
	uint64_t rx_seed, rx_count, rx_bad;
	size_t rx_max;      /* most bytes per can_receive; 0 = 64 KiB */
	bool rx_slow;       /* after each receive, take nothing until next turn */
	bool rx_blocked;
	struct loop_post_node unblock;
	bool rx_store;      /* keep the bytes (small tests) */
	uint8_t store[4096];
	size_t stored;
};

static inline void tfe_pump(struct tfe *t)
{
	uint8_t buf[8192];

	while (t->tx_sent < t->tx_total) {
		size_t len = sizeof(buf);

		if (len > t->tx_total - t->tx_sent)
			len = (size_t)(t->tx_total - t->tx_sent);
		for (size_t i = 0; i < len; i++)
			buf[i] = tfe_byte(t->tx_seed, t->tx_sent + i);
		size_t n = chr_write(t->chr, buf, len);

		t->tx_sent += n;
		if (n < len)
			return; /* write_ready resumes */
	}
}

static inline size_t tfe_can_receive(void *opaque)
{
	struct tfe *t = opaque;

	if (t->rx_blocked)
		return 0;
	return t->rx_max ? t->rx_max : 65536;
}

static inline void tfe_unblock(void *arg)
{
	struct tfe *t = arg;

	t->rx_blocked = false;
	chr_accept_input(t->chr);
}

static inline void tfe_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct tfe *t = opaque;

	CHECK(len <= tfe_can_receive(t));
	for (size_t i = 0; i < len; i++) {
		if (t->rx_store && t->stored < sizeof(t->store))
			t->store[t->stored++] = buf[i];
		else if (!t->rx_store && buf[i] != tfe_byte(t->rx_seed, t->rx_count + i) &&
			 t->rx_bad++ == 0)
			fprintf(stderr, "first bad byte at %" PRIu64 "\n", t->rx_count + i);
	}
	t->rx_count += len;
	if (t->rx_slow) {
		t->rx_blocked = true;
		t->unblock.fn = tfe_unblock;
		t->unblock.arg = t;
		loop_post_node(t->loop, &t->unblock); /* next turn, not this one */
	}
}

static inline void tfe_write_ready(void *opaque)
{
	struct tfe *t = opaque;

	t->write_ready_calls++;
	tfe_pump(t);
}

static inline void tfe_attach(struct tfe *t, struct chr_dev *chr, struct loop *loop)
{
	struct chr_frontend fe = {
		.can_receive = tfe_can_receive,
		.receive = tfe_receive,
		.write_ready = tfe_write_ready,
		.opaque = t,
	};

	t->chr = chr;
	t->loop = loop;
	chr_attach(chr, &fe);
}

/* How long one loop turn may sleep in t_run_until (cond is polled once a turn). */
static int64_t t_tick_ns = 20 * 1000000;

/* Run the loop until cond(arg) or seconds pass; returns cond's last value. */
static inline bool t_run_until(struct loop *loop, bool (*cond)(void *), void *arg,
			       double seconds)
{
	uint64_t end = loop_now_ns() + (uint64_t)(seconds * 1e9);

	while (!cond(arg)) {
		if (loop_now_ns() >= end)
			return false;
		loop_run_once(loop, t_tick_ns);
	}
	return true;
}

/* Loop + engine, io_uring by default, epoll + native with --epoll. */
struct tenv {
	struct loop *loop;
	struct aio_engine *aio;
	bool epoll;
};

static inline void tenv_open(struct tenv *e, int argc, char **argv)
{
	struct loop_opts lo = { .poller = LOOP_POLLER_AUTO };

	e->epoll = argc > 1 && !strcmp(argv[1], "--epoll");
	if (e->epoll)
		lo.poller = LOOP_POLLER_EPOLL;
	REQUIRE(loop_new(&e->loop, &lo) == 0);
	REQUIRE(aio_engine_open(&e->aio, e->loop, AIO_ENGINE_AUTO) == 0);
	fprintf(stderr, "poller %s, engine %s\n", loop_poller_name(e->loop),
		aio_engine_name(e->aio));
}

static inline void tenv_close(struct tenv *e)
{
	aio_engine_close(e->aio);
	loop_free(e->loop);
}

/* Parse and open a -chardev spec, failing the test on error. */
static inline struct chr_dev *t_open(struct tenv *e, const char *spec)
{
	struct chr_spec s;
	struct chr_dev *chr = NULL;
	char err[256];

	if (chr_parse_chardev(spec, &s, err, sizeof(err)) < 0 ||
	    chr_open(&chr, e->loop, e->aio, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", spec, err);
		REQUIRE(0);
	}
	return chr;
}

struct t_pair {
	struct tfe *a, *b;
	uint64_t size;
};

static inline bool t_pair_done(void *arg)
{
	struct t_pair *p = arg;

	return p->a->rx_count >= p->size && p->b->rx_count >= p->size;
}

/* Attach frontends to x and y, send size bytes each way at once, check
 * every byte and the counters. */
static inline void t_exchange(struct tenv *e, struct chr_dev *x, struct chr_dev *y,
			      uint64_t size, double seconds)
{
	struct tfe a = { .tx_seed = 11, .tx_total = size, .rx_seed = 12 };
	struct tfe b = { .tx_seed = 12, .tx_total = size, .rx_seed = 11 };
	struct t_pair p = { &a, &b, size };
	struct chr_stats sx, sy;

	tfe_attach(&a, x, e->loop);
	tfe_attach(&b, y, e->loop);
	tfe_pump(&a);
	tfe_pump(&b);
	CHECK(t_run_until(e->loop, t_pair_done, &p, seconds));
	CHECK_EQ(a.rx_count, size);
	CHECK_EQ(b.rx_count, size);
	CHECK_EQ(a.rx_bad, 0);
	CHECK_EQ(b.rx_bad, 0);
	REQUIRE(chr_get_stats(x, &sx) == 0 && chr_get_stats(y, &sy) == 0);
	CHECK_EQ(sx.bytes_out, size);
	CHECK_EQ(sy.bytes_out, size);
	CHECK_EQ(sx.bytes_in, size);
	CHECK_EQ(sy.bytes_in, size);
	CHECK_EQ(sx.bytes_dropped + sy.bytes_dropped, 0);
}

#endif
