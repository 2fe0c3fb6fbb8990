/*
 * vt.h - a tiny virtio driver for tests: fake guest RAM, a real loop, and
 * register-level access to a device through virtio_mmio_read/write.
 *
 * By default the test's thread plays both the vCPU (MMIO) and the reactor
 * (vt_run); vt_start_reactor() moves the loop to its own thread instead.
 */
#ifndef RINGVM_TEST_VT_H
#define RINGVM_TEST_VT_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aio/aio.h"
#include "block/block.h"
#include "harness.h"
#include "hw/virtio/virtio-mmio.h"
#include "loop/loop.h"

#define VT_RAM_BASE 0x80000000ull

#define F_INDIRECT (1ull << 28)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)

#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u

#define D_NEXT 1u
#define D_WRITE 2u
#define D_INDIRECT 4u

struct vt_vq {
	unsigned qi, num;
	uint64_t desc, avail, used;
	uint16_t avail_idx, last_used;
	uint8_t busy[1024];
};

struct vt {
	struct loop *loop;
	struct aio_engine *eng;
	struct virtio_host host;
	struct virtio_mmio *d;
	uint8_t *ram;
	uint64_t ram_size, brk;
	atomic_int irq_level;
	atomic_int irq_raises;
	struct vt_vq vq[4];
	pthread_t reactor;
	bool threaded;
};

static void vt_set_irq(void *opaque, int level)
{
	struct vt *t = opaque;

	if (level && !atomic_load(&t->irq_level))
		atomic_fetch_add(&t->irq_raises, 1);
	atomic_store(&t->irq_level, level);
}

static inline void vt_init(struct vt *t, uint64_t ram_size)
{
	memset(t, 0, sizeof(*t));
	t_timeout(60);
	REQUIRE(loop_new(&t->loop, NULL) == 0);
	REQUIRE(aio_engine_open(&t->eng, t->loop, AIO_ENGINE_AUTO) == 0);
	t->ram = aligned_alloc(4096, ram_size);
	REQUIRE(t->ram);
	memset(t->ram, 0, ram_size);
	t->ram_size = ram_size;
	t->brk = 0x1000; /* keep gpa RAM_BASE itself unused */
	t->host = (struct virtio_host){ t->ram, VT_RAM_BASE, ram_size, t->loop, vt_set_irq, t };
}

/* Guest memory. */
static inline uint64_t vt_alloc(struct vt *t, uint64_t size, uint64_t align)
{
	uint64_t a = (t->brk + align - 1) & ~(align - 1);

	REQUIRE(a + size <= t->ram_size);
	t->brk = a + size;
	return VT_RAM_BASE + a;
}

static inline void *vt_ptr(struct vt *t, uint64_t gpa)
{
	return t->ram + (gpa - VT_RAM_BASE);
}

static inline uint32_t vt_r32(struct vt *t, uint64_t off)
{
	uint64_t v;

	REQUIRE(virtio_mmio_read(t->d, off, 4, &v) == 0);
	return (uint32_t)v;
}

static inline void vt_w32(struct vt *t, uint64_t off, uint32_t v)
{
	REQUIRE(virtio_mmio_write(t->d, off, 4, v) == 0);
}

static inline uint64_t vt_cfg(struct vt *t, uint64_t off, unsigned size)
{
	uint64_t v;

	REQUIRE(virtio_mmio_read(t->d, 0x100 + off, size, &v) == 0);
	return v;
}

static inline uint64_t vt_dev_features(struct vt *t)
{
	vt_w32(t, 0x14, 0);
	uint64_t lo = vt_r32(t, 0x10);
	vt_w32(t, 0x14, 1);
	return lo | (uint64_t)vt_r32(t, 0x10) << 32;
}

/* Reset, ACK, DRIVER, features (want & offered), FEATURES_OK. Returns the
 * status read back. */
static inline uint32_t vt_negotiate(struct vt *t, uint64_t want)
{
	uint64_t f = vt_dev_features(t) & want;

	/* The spec: after writing 0 the driver waits for status to read 0
	 * (a reset with requests in flight completes asynchronously). */
	vt_w32(t, 0x70, 0);
	for (int i = 0; i < 250000 && vt_r32(t, 0x70) != 0; i++)
		usleep(20);
	REQUIRE(vt_r32(t, 0x70) == 0);
	vt_w32(t, 0x70, S_ACK);
	vt_w32(t, 0x70, S_ACK | S_DRIVER);
	vt_w32(t, 0x24, 0);
	vt_w32(t, 0x20, (uint32_t)f);
	vt_w32(t, 0x24, 1);
	vt_w32(t, 0x20, (uint32_t)(f >> 32));
	vt_w32(t, 0x70, S_ACK | S_DRIVER | S_FEATURES_OK);
	return vt_r32(t, 0x70);
}

static inline struct vt_vq *vt_queue(struct vt *t, unsigned qi, unsigned num)
{
	struct vt_vq *q = &t->vq[qi];

	memset(q, 0, sizeof(*q));
	q->qi = qi;
	q->num = num;
	q->desc = vt_alloc(t, 16 * num, 16);
	q->avail = vt_alloc(t, 6 + 2 * num, 2);
	q->used = vt_alloc(t, 6 + 8 * num, 4);
	/* A driver hands the device zeroed rings (the memory may be reused). */
	memset(vt_ptr(t, q->desc), 0, 16 * num);
	memset(vt_ptr(t, q->avail), 0, 6 + 2 * num);
	memset(vt_ptr(t, q->used), 0, 6 + 8 * num);
	vt_w32(t, 0x30, qi);
	vt_w32(t, 0x38, num);
	vt_w32(t, 0x80, (uint32_t)q->desc);
	vt_w32(t, 0x84, (uint32_t)(q->desc >> 32));
	vt_w32(t, 0x90, (uint32_t)q->avail);
	vt_w32(t, 0x94, (uint32_t)(q->avail >> 32));
	vt_w32(t, 0xa0, (uint32_t)q->used);
	vt_w32(t, 0xa4, (uint32_t)(q->used >> 32));
	vt_w32(t, 0x44, 1);
	return q;
}

static inline void vt_driver_ok(struct vt *t)
{
	vt_w32(t, 0x70, vt_r32(t, 0x70) | S_DRIVER_OK);
}

/* Fully set up a device with nq queues of num entries. */
static inline void vt_bringup(struct vt *t, uint64_t want, unsigned nq, unsigned num)
{
	REQUIRE(vt_negotiate(t, want | F_VERSION_1) & S_FEATURES_OK);
	for (unsigned i = 0; i < nq; i++)
		vt_queue(t, i, num);
	vt_driver_ok(t);
}

struct vt_seg {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* D_WRITE / D_INDIRECT (no NEXT: added) */
};

static inline void vt_put_desc(uint8_t *table, unsigned i, uint64_t addr, uint32_t len,
			       uint16_t flags, uint16_t next)
{
	uint8_t *p = table + 16 * i;

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static inline unsigned vt_take_desc(struct vt_vq *q)
{
	for (unsigned i = 0; i < q->num; i++)
		if (!q->busy[i]) {
			q->busy[i] = 1;
			return i;
		}
	REQUIRE(!"descriptor table full");
	return 0;
}

/* Publish head in the avail ring (does not notify). */
static inline void vt_publish(struct vt *t, struct vt_vq *q, uint16_t head)
{
	uint8_t *av = vt_ptr(t, q->avail);

	memcpy(av + 4 + 2 * (q->avail_idx % q->num), &head, 2);
	q->avail_idx++;
	__atomic_store_n((uint16_t *)(av + 2), q->avail_idx, __ATOMIC_RELEASE);
}

/* Add a chain of n segments (direct descriptors). Returns the head. */
static inline uint16_t vt_add(struct vt *t, struct vt_vq *q, const struct vt_seg *s, unsigned n)
{
	uint8_t *table = vt_ptr(t, q->desc);
	unsigned idx[64];

	REQUIRE(n <= 64);
	for (unsigned i = 0; i < n; i++)
		idx[i] = vt_take_desc(q);
	for (unsigned i = 0; i < n; i++)
		vt_put_desc(table, idx[i], s[i].addr, s[i].len,
			    s[i].flags | (i + 1 < n ? D_NEXT : 0), i + 1 < n ? idx[i + 1] : 0);
	vt_publish(t, q, idx[0]);
	return idx[0];
}

/* Add a chain through one indirect table (allocated in guest RAM). */
static inline uint16_t vt_add_indirect(struct vt *t, struct vt_vq *q, const struct vt_seg *s,
				       unsigned n)
{
	uint64_t tab = vt_alloc(t, 16 * n, 16);
	unsigned head = vt_take_desc(q);

	for (unsigned i = 0; i < n; i++)
		vt_put_desc(vt_ptr(t, tab), i, s[i].addr, s[i].len,
			    s[i].flags | (i + 1 < n ? D_NEXT : 0), i + 1 < n ? i + 1 : 0);
	vt_put_desc(vt_ptr(t, q->desc), head, tab, 16 * n, D_INDIRECT, 0);
	vt_publish(t, q, (uint16_t)head);
	return (uint16_t)head;
}

static inline void vt_kick(struct vt *t, struct vt_vq *q)
{
	vt_w32(t, 0x50, q->qi);
}

static inline uint16_t vt_used_idx(struct vt *t, struct vt_vq *q)
{
	return __atomic_load_n((uint16_t *)((uint8_t *)vt_ptr(t, q->used) + 2), __ATOMIC_ACQUIRE);
}

/* Run the loop (or wait for the reactor thread) until n more used entries. */
static inline bool vt_wait_used(struct vt *t, struct vt_vq *q, unsigned n)
{
	uint64_t end = loop_now_ns() + 10000000000ull;

	while ((uint16_t)(vt_used_idx(t, q) - q->last_used) < n) {
		if (loop_now_ns() > end)
			return false;
		if (t->threaded)
			usleep(100);
		else
			loop_run_once(t->loop, 10000000);
	}
	return true;
}

/* Run a few loop turns (single-threaded mode). */
static inline void vt_run(struct vt *t, int turns)
{
	for (int i = 0; i < turns; i++)
		loop_run_once(t->loop, 0);
}

/* Consume one used entry; frees the (direct) chain's descriptors. */
static inline bool vt_pop_used(struct vt *t, struct vt_vq *q, uint32_t *id, uint32_t *len)
{
	uint8_t *u = vt_ptr(t, q->used), *table = vt_ptr(t, q->desc);
	uint32_t i, l;
	uint16_t flags, next;

	if (vt_used_idx(t, q) == q->last_used)
		return false;
	memcpy(&i, u + 4 + 8 * (q->last_used % q->num), 4);
	memcpy(&l, u + 8 + 8 * (q->last_used % q->num), 4);
	q->last_used++;
	if (id)
		*id = i;
	if (len)
		*len = l;
	for (unsigned k = 0; i < q->num && k < q->num; k++) {
		q->busy[i] = 0;
		memcpy(&flags, table + 16 * i + 12, 2);
		memcpy(&next, table + 16 * i + 14, 2);
		if (!(flags & D_NEXT))
			break;
		i = next;
	}
	return true;
}

static inline void vt_set_used_event(struct vt *t, struct vt_vq *q, uint16_t v)
{
	memcpy((uint8_t *)vt_ptr(t, q->avail) + 4 + 2 * q->num, &v, 2);
}

static inline uint16_t vt_avail_event(struct vt *t, struct vt_vq *q)
{
	uint16_t v;

	memcpy(&v, (uint8_t *)vt_ptr(t, q->used) + 4 + 8 * q->num, 2);
	return v;
}

/* ---- reactor on its own thread ------------------------------------------ */

static void *vt_reactor_main(void *arg)
{
	struct vt *t = arg;

	loop_run(t->loop);
	return NULL;
}

static inline void vt_start_reactor(struct vt *t)
{
	t->threaded = true;
	REQUIRE(pthread_create(&t->reactor, NULL, vt_reactor_main, t) == 0);
}

static inline void vt_stop_reactor(struct vt *t)
{
	if (!t->threaded)
		return;
	loop_stop(t->loop);
	pthread_join(t->reactor, NULL);
	t->threaded = false;
}

/* ---- virtio-blk helpers -------------------------------------------------- */

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8
#define BLK_T_DISCARD 11
#define BLK_T_WRITE_ZEROES 13

/* A request's guest memory: header, status byte (data is the caller's). */
struct vt_breq {
	uint64_t hdr, status;
	uint16_t head;
};

static inline void vt_blk_hdr(struct vt *t, struct vt_breq *r, uint32_t type, uint64_t sector)
{
	uint8_t *h;

	r->hdr = vt_alloc(t, 16, 8);
	r->status = vt_alloc(t, 1, 1);
	h = vt_ptr(t, r->hdr);
	memset(h, 0, 16);
	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
	*(uint8_t *)vt_ptr(t, r->status) = 0xee; /* device must overwrite */
}

/* Header, one data buffer (written by the device for IN/GET_ID), status. */
static inline void vt_blk_submit(struct vt *t, struct vt_vq *q, struct vt_breq *r,
				 uint32_t type, uint64_t sector, uint64_t data, uint32_t len)
{
	bool dev_writes = type == BLK_T_IN || type == BLK_T_GET_ID;
	struct vt_seg s[3] = {
		{ 0, 16, 0 },
		{ data, len, dev_writes ? D_WRITE : 0 },
		{ 0, 1, D_WRITE },
	};

	vt_blk_hdr(t, r, type, sector);
	s[0].addr = r->hdr;
	s[2].addr = r->status;
	if (len) {
		r->head = vt_add(t, q, s, 3);
	} else {
		s[1] = s[2];
		r->head = vt_add(t, q, s, 2);
	}
}

static inline uint8_t vt_status(struct vt *t, const struct vt_breq *r)
{
	return *(uint8_t *)vt_ptr(t, r->status);
}

/* A raw image of size bytes filled with a pattern; opened on t's engine. */
static inline struct blk *vt_raw_blk(struct vt *t, const char *name, uint64_t size,
				     unsigned flags, char *path_out)
{
	char path[4096], err[256];
	struct blk *b = NULL;
	struct blk_open_opts o = { 0 };
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	REQUIRE(fd >= 0);
	for (uint64_t off = 0; off < size; off += 4096) {
		uint8_t buf[4096];

		for (unsigned i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)((off + i) * 7 + 3);
		REQUIRE(pwrite(fd, buf, sizeof(buf), (off_t)off) == sizeof(buf));
	}
	close(fd);
	o.filename = path;
	o.format = "raw";
	o.flags = flags;
	rc = blk_open(&b, t->eng, &o, err, sizeof(err));
	if (rc == -ENOSYS || rc == -EOPNOTSUPP)
		t_skip("blk_open is not implemented yet");
	if (rc < 0)
		fprintf(stderr, "blk_open: %s\n", err);
	REQUIRE(rc == 0);
	if (path_out)
		strcpy(path_out, path);
	return b;
}

/* The device flagged NEEDS_RESET with a config interrupt (and the host is
 * fine). Acks the interrupt. */
static inline bool vt_needs_reset(struct vt *t)
{
	bool ok;

	vt_run(t, 3);
	ok = (vt_r32(t, 0x70) & S_NEEDS_RESET) && (vt_r32(t, 0x60) & 2) &&
	     atomic_load(&t->irq_level);
	vt_w32(t, 0x64, vt_r32(t, 0x60));
	return ok;
}

/* A 1 MiB raw virtio-blk with nq queues of num entries. */
static inline struct blk *vt_blk_dev(struct vt *t, uint64_t want, unsigned num)
{
	struct blk *b = vt_raw_blk(t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);

	REQUIRE(virtio_blk_new(&t->d, &t->host, b, NULL) == 0);
	vt_bringup(t, want, 1, num);
	return b;
}

/* After an error: reset, set up again, and prove a read still works. */
static inline bool vt_recovers(struct vt *t, unsigned num)
{
	struct vt_breq r;
	uint64_t buf = vt_alloc(t, 512, 512);

	vt_w32(t, 0x70, 0);
	if (vt_r32(t, 0x70) != 0)
		return false;
	vt_bringup(t, F_EVENT_IDX | F_INDIRECT, 1, num);
	vt_blk_submit(t, &t->vq[0], &r, BLK_T_IN, 1, buf, 512);
	vt_kick(t, &t->vq[0]);
	return vt_wait_used(t, &t->vq[0], 1) && vt_pop_used(t, &t->vq[0], NULL, NULL) &&
	       vt_status(t, &r) == 0 &&
	       ((uint8_t *)vt_ptr(t, buf))[0] == (uint8_t)(512 * 7 + 3);
}

static inline void vt_free(struct vt *t, struct blk *b)
{
	vt_stop_reactor(t);
	virtio_mmio_free(t->d);
	if (b)
		blk_close(b);
	aio_engine_close(t->eng);
	loop_free(t->loop);
	free(t->ram);
}

#endif
