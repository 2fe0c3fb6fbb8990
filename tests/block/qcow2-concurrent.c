/*
 * qcow2-concurrent.c - requests touching the same cluster are serialized
 * correctly while others proceed: many small writes submitted at once
 * into the same unallocated clusters of an overlay (each one needs the
 * cluster allocated with copy-on-write from the backing file), mixed with
 * reads and write-zeroes of other clusters; the result equals the shadow.
 * Also FUA writes and a writethrough open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { N = 64 };

struct w {
	struct blk_req r;
	struct iovec iov;
	uint8_t buf[4096];
	int res;
	bool done;
};

static void done(struct blk_req *r, int res)
{
	struct w *w = r->opaque;
	w->res = res;
	w->done = true;
}

static void run(enum aio_engine_kind kind, unsigned flags)
{
	struct tb t;
	tb_init(&t, kind);
	uint64_t size = 2 << 20, cs = 65536;
	const char *base = tb_path("cb.raw"), *p = tb_path("c.qcow2");
	struct blk_create_opts co = { .format = "raw", .size = size };
	tb_create(&t, base, &co);
	uint8_t *shadow = malloc(size);
	for (uint64_t i = 0; i < size; i++)
		shadow[i] = (uint8_t)(i * 11 + (i >> 12));
	struct blk *b = tb_open(&t, base, "raw", BLK_O_RDWR);
	CHECK_EQ(blk_pwrite(b, 0, shadow, size), 0);
	CHECK_EQ(blk_close(b), 0);
	co = (struct blk_create_opts){ .format = "qcow2", .backing_file = "cb.raw",
				       .backing_fmt = "raw" };
	tb_create(&t, p, &co);
	b = tb_open(&t, p, NULL, BLK_O_RDWR | flags);
	static struct w ws[N];
	for (int i = 0; i < N; i++) {
		struct w *w = &ws[i];
		/* 4 clusters, 16 writes each, interleaved submission order */
		uint64_t off = (uint64_t)(i % 4) * cs + (uint64_t)(i / 4) * 4096;
		memset(w->buf, 0x80 + i, sizeof(w->buf));
		memcpy(shadow + off, w->buf, 4096);
		w->iov = (struct iovec){ w->buf, 4096 };
		w->r = (struct blk_req){ .op = BLK_WRITE, .offset = off, .iov = &w->iov,
					 .iovcnt = 1, .done = done, .opaque = w,
					 .flags = (i % 5 == 0) ? BLK_F_FUA : 0 };
		w->done = false;
		CHECK_EQ(blk_submit(b, &w->r), 0);
	}
	/* others in flight at the same time: zeroes and reads elsewhere */
	struct w z = { .r = { .op = BLK_WRITE_ZEROES, .offset = 8 * cs, .len = 2 * cs,
			      .done = done } };
	z.r.opaque = &z;
	CHECK_EQ(blk_submit(b, &z.r), 0);
	memset(shadow + 8 * cs, 0, 2 * cs);
	struct w rd = { 0 };
	rd.iov = (struct iovec){ rd.buf, 4096 };
	rd.r = (struct blk_req){ .op = BLK_READ, .offset = 12 * cs, .iov = &rd.iov,
				 .iovcnt = 1, .done = done, .opaque = &rd };
	CHECK_EQ(blk_submit(b, &rd.r), 0);
	for (int i = 0; i < N; i++)
		while (!ws[i].done)
			loop_run_once(t.loop, -1);
	while (!z.done || !rd.done)
		loop_run_once(t.loop, -1);
	for (int i = 0; i < N; i++)
		CHECK_EQ(ws[i].res, 0);
	CHECK_EQ(z.res, 0);
	CHECK(!memcmp(rd.buf, shadow + 12 * cs, 4096));
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img())
		CHECK_EQ(tb_qemu_check(p), 0);
	b = tb_open(&t, p, NULL, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	free(shadow);
	tb_fini(&t);
}

int main(void)
{
	run(AIO_ENGINE_URING, 0);
	run(AIO_ENGINE_THREADS, 0);
	run(AIO_ENGINE_URING, BLK_O_WRITETHROUGH);
	return t_finish();
}
