/*
 * bench-vblk - the device path's own cost, without a guest: a virtio-blk on
 * a real reactor thread, driven through its MMIO registers by this thread
 * playing a Linux-like driver (indirect chains, EVENT_IDX both ways, sleeps
 * until the device raises its interrupt line, like a vCPU in WFI).
 *
 * usage: bench-vblk IMAGE FORMAT CASE SECONDS
 *   FORMAT raw|qcow2 (opened cache=none: O_DIRECT, the engine chosen as for
 *   -drive aio=auto), CASE rr1 | rr32 | rw32 | seq1m (4 KiB random
 *   reads/writes at QD1/QD32 in the first 512 MiB, or 1 MiB sequential
 *   reads at QD1 made of 256 scattered 4 KiB segments as a Linux guest's
 *   O_DIRECT dd sends them).
 * Prints one JSON line: requests/s, and the reactor thread's CPU time per
 * request (device + block layer + aio submission/completion), which is what
 * the disk path costs the host no matter how loaded the machine is.
 *
 * WARNING: rw32 overwrites the image's data.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aio/aio.h"
#include "block/block.h"
#include "hw/virtio/virtio-mmio.h"
#include "loop/loop.h"

#define RAM_BASE 0x80000000ull
#define QSIZE 256u
#define SEGS 256u               /* data segments of a seq1m request */
#define RAM_SIZE (64ull << 20)  /* rings, tables, 32 x 4 KiB or 256 x 4 KiB buffers */

struct slot {
	uint64_t hdr, status, table, data; /* guest addresses */
	unsigned nseg;
};

static uint8_t *ram;
static uint64_t brk_off = 4096;
static struct virtio_mmio *dev;
static struct loop *loop;
static uint64_t q_desc, q_avail, q_used;
static uint16_t avail_idx, staged, last_used; /* staged: posted, not yet published */
static pthread_mutex_t irq_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t irq_cv = PTHREAD_COND_INITIALIZER;
static int irq_level;

static uint64_t galloc(uint64_t size, uint64_t align)
{
	uint64_t a = (brk_off + align - 1) & ~(align - 1);

	if (a + size > RAM_SIZE) {
		fprintf(stderr, "bench-vblk: out of fake guest RAM\n");
		exit(1);
	}
	brk_off = a + size;
	return RAM_BASE + a;
}

static void *gp(uint64_t gpa) { return ram + (gpa - RAM_BASE); }

static void set_irq(void *opaque, int level)
{
	(void)opaque;
	pthread_mutex_lock(&irq_mu);
	irq_level = level;
	if (level)
		pthread_cond_signal(&irq_cv);
	pthread_mutex_unlock(&irq_mu);
}

static uint32_t rd(uint64_t off)
{
	uint64_t v;

	virtio_mmio_read(dev, off, 4, &v);
	return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t v) { virtio_mmio_write(dev, off, 4, v); }

static void desc(uint8_t *table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	memcpy(table + 16 * i, &addr, 8);
	memcpy(table + 16 * i + 8, &len, 4);
	memcpy(table + 16 * i + 12, &flags, 2);
	memcpy(table + 16 * i + 14, &next, 2);
}

static void bringup(void)
{
	uint64_t f = (1ull << 28) | (1ull << 29) | (1ull << 32); /* INDIRECT, EVENT_IDX, V1 */

	wr(0x70, 1);
	wr(0x70, 3);
	wr(0x24, 0);
	wr(0x20, (uint32_t)f);
	wr(0x24, 1);
	wr(0x20, (uint32_t)(f >> 32));
	wr(0x70, 11);
	q_desc = galloc(16 * QSIZE, 16);
	q_avail = galloc(6 + 2 * QSIZE, 2);
	q_used = galloc(6 + 8 * QSIZE, 4);
	wr(0x30, 0);
	wr(0x38, QSIZE);
	wr(0x80, (uint32_t)q_desc);
	wr(0x84, (uint32_t)(q_desc >> 32));
	wr(0x90, (uint32_t)q_avail);
	wr(0x94, (uint32_t)(q_avail >> 32));
	wr(0xa0, (uint32_t)q_used);
	wr(0xa4, (uint32_t)(q_used >> 32));
	wr(0x44, 1);
	wr(0x70, 15);
}

/* Put slot i's request (one indirect descriptor at head i) in the ring. */
static void post(struct slot *s, unsigned i, uint32_t type, uint64_t sector)
{
	uint8_t *h = gp(s->hdr), *t = gp(s->table);
	bool in = type == 0;

	memset(h, 0, 16);
	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
	desc(t, 0, s->hdr, 16, 1 /* NEXT */, 1);
	for (unsigned k = 0; k < s->nseg; k++) /* scattered: every other page */
		desc(t, 1 + k, s->data + 8192ull * k, 4096, 1 | (in ? 2 : 0), (uint16_t)(2 + k));
	desc(t, 1 + s->nseg, s->status, 1, 2, 0);
	*(uint8_t *)gp(s->status) = 0xff; /* the device must write it */
	desc(gp(q_desc), i, s->table, 16 * (s->nseg + 2), 4, 0);
	memcpy((uint8_t *)gp(q_avail) + 4 + 2 * ((uint16_t)(avail_idx + staged++) % QSIZE),
	       &(uint16_t){ (uint16_t)i }, 2);
}

/* Publish the staged entries and kick if the device asked (EVENT_IDX). */
static void publish(void)
{
	uint16_t old = avail_idx, ev;

	avail_idx += staged;
	staged = 0;
	__atomic_store_n((uint16_t *)((uint8_t *)gp(q_avail) + 2), avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memcpy(&ev, (uint8_t *)gp(q_used) + 4 + 8 * QSIZE, 2);
	if ((uint16_t)(avail_idx - ev - 1) < (uint16_t)(avail_idx - old))
		wr(0x50, 0);
}

static uint64_t thread_cpu_ns(pthread_t t)
{
	clockid_t c;
	struct timespec ts;

	if (pthread_getcpuclockid(t, &c) || clock_gettime(c, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *reactor(void *arg)
{
	(void)arg;
	loop_run(loop);
	return NULL;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Where the next request goes: 1 MiB steps for seq1m, else random 4 KiB. */
static uint64_t next_sector(unsigned nseg, uint64_t span, uint64_t *seq)
{
	uint64_t off = nseg > 1 ? ((*seq)++ * 4096ull * nseg) % span
			       : (next_rand() % (span / 4096)) * 4096;

	return off / 512;
}

/* One driver round: sleep until the interrupt (unless completions are
 * already there), ack it, check and re-post every completed request, ask
 * for an interrupt at the next completion, publish. -1 on a failed one. */
static int reap(struct slot *sl, unsigned qd, uint32_t type, uint64_t span, uint64_t *seq,
		uint64_t *done)
{
	uint16_t used, n = 0;

	/* Sleep only if nothing new is used (checked after used_event was
	 * published, as Linux's virtqueue_enable_cb does). */
	if (__atomic_load_n((uint16_t *)((uint8_t *)gp(q_used) + 2), __ATOMIC_ACQUIRE) ==
	    last_used) {
		pthread_mutex_lock(&irq_mu);
		while (!irq_level)
			pthread_cond_wait(&irq_cv, &irq_mu);
		pthread_mutex_unlock(&irq_mu);
	}
	if (irq_level)
		wr(0x64, rd(0x60)); /* ISR read + ack, as the guest's handler does */
	used = __atomic_load_n((uint16_t *)((uint8_t *)gp(q_used) + 2), __ATOMIC_ACQUIRE);
	while (last_used != used) {
		uint32_t id;

		memcpy(&id, (uint8_t *)gp(q_used) + 4 + 8 * (last_used % QSIZE), 4);
		last_used++;
		if (id >= qd || *(uint8_t *)gp(sl[id].status) != 0) {
			fprintf(stderr, "bench-vblk: request %u failed (status %u)\n", id,
				id < qd ? *(uint8_t *)gp(sl[id].status) : 0u);
			return -1;
		}
		(*done)++;
		post(&sl[id], id, type, next_sector(sl[id].nseg, span, seq));
		n++;
	}
	/* Interrupt me at the next completion. */
	memcpy((uint8_t *)gp(q_avail) + 4 + 2 * QSIZE, &last_used, 2);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (n)
		publish();
	return 0;
}

int main(int argc, char **argv)
{
	struct blk_open_opts o = { 0 };
	struct aio_engine *eng;
	struct blk *b;
	struct slot *sl;
	char err[256];
	pthread_t th;
	unsigned qd, nseg;
	uint32_t type;
	uint64_t span, seq = 0, done = 0, t0, t1, c0, c1;
	double secs;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-vblk IMAGE raw|qcow2 rr1|rr32|rw32|seq1m SECONDS\n");
		return 2;
	}
	secs = atof(argv[4]);
	qd = !strcmp(argv[3], "rr1") || !strcmp(argv[3], "seq1m") ? 1 : 32;
	nseg = !strcmp(argv[3], "seq1m") ? SEGS : 1;
	type = !strcmp(argv[3], "rw32") ? 1 : 0;
	if (strcmp(argv[3], "rr1") && strcmp(argv[3], "rr32") && strcmp(argv[3], "rw32") &&
	    strcmp(argv[3], "seq1m")) {
		fprintf(stderr, "bench-vblk: unknown case '%s'\n", argv[3]);
		return 2;
	}
	ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram || loop_new(&loop, NULL) || aio_engine_open(&eng, loop, AIO_ENGINE_AUTO)) {
		fprintf(stderr, "bench-vblk: cannot set up the loop\n");
		return 1;
	}
	memset(ram, 0, RAM_SIZE);
	o.filename = argv[1];
	o.format = argv[2];
	o.flags = BLK_O_RDWR | BLK_O_DIRECT;
	if (blk_open(&b, eng, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench-vblk: %s\n", err);
		return 1;
	}
	span = blk_size(b) < (512ull << 20) ? blk_size(b) : 512ull << 20;
	struct virtio_host h = { ram, RAM_BASE, RAM_SIZE, loop, set_irq, NULL };
	if (virtio_blk_new(&dev, &h, b, NULL) < 0) {
		fprintf(stderr, "bench-vblk: virtio_blk_new failed\n");
		return 1;
	}
	bringup();
	sl = calloc(qd, sizeof(*sl));
	for (unsigned i = 0; i < qd; i++) {
		sl[i].hdr = galloc(16, 16);
		sl[i].status = galloc(1, 1);
		sl[i].table = galloc(16 * (nseg + 2), 16);
		sl[i].data = galloc(8192ull * nseg, 4096);
		sl[i].nseg = nseg;
	}
	pthread_create(&th, NULL, reactor, NULL);
	t0 = loop_now_ns();
	c0 = thread_cpu_ns(th);
	for (unsigned i = 0; i < qd; i++) {
		post(&sl[i], i, type, next_sector(nseg, span, &seq));
		publish();
	}
	while (loop_now_ns() - t0 < (uint64_t)(secs * 1e9))
		if (reap(sl, qd, type, span, &seq, &done) < 0)
			return 1;
	t1 = loop_now_ns();
	c1 = thread_cpu_ns(th);
	/* Let the last requests land, then stop the reactor. */
	while (virtio_mmio_inflight(dev))
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	loop_stop(loop);
	pthread_join(th, NULL);
	printf("{\"suite\":\"disk-device\",\"metric\":\"vblk_%s_%s\",\"value\":%.0f,\"unit\":\"req/s\","
	       "\"anchor\":null,\"anchor_value\":null,\"reactor_cpu_ns_per_req\":%.0f,"
	       "\"requests\":%llu}\n",
	       argv[3], argv[2], done / ((t1 - t0) / 1e9), done ? (double)(c1 - c0) / done : 0.0,
	       (unsigned long long)done);
	virtio_mmio_free(dev);
	blk_close(b);
	aio_engine_close(eng);
	loop_free(loop);
	free(ram);
	free(sl);
	return 0;
}
