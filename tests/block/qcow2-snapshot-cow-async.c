/*
 * qcow2-snapshot-cow-async.c - the first writes after a snapshot copy the
 * L2 tables the snapshot shares without blocking the loop in fdatasync
 * (meta_syncs does not move while they run): the copy is built from the
 * cached slices over the file's copy. Checked with the whole L2 cache and
 * with a cache too small to hold a table (the file's copy is read then),
 * with many writes in flight; the active image and the snapshot read back
 * right after a reopen, and qemu-img check is clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "common.h"

static struct qcow2 *qc(struct blk *b) { return b->opaque; }

struct wr {
	struct blk_req r;
	struct iovec iov;
	uint8_t buf[512];
	int *left, res;
};

static void wr_done(struct blk_req *r, int res)
{
	struct wr *w = r->opaque;
	w->res = res;
	(*w->left)--;
}

/* One 512-byte write in every L2 table's range (each table maps 2 MiB
 * with 4 KiB clusters), all in flight at once. */
static void write_all_tables(struct tb *t, struct blk *b, uint8_t *shadow, uint64_t size,
			     int seed)
{
	unsigned n = (unsigned)(size >> 21);
	struct wr *w = calloc(n, sizeof(*w));
	REQUIRE(w);
	int left = (int)n;
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = ((uint64_t)i << 21) + ((t_rand() % 4096) << 9) % (2u << 20);
		memset(w[i].buf, seed + (int)i, sizeof(w[i].buf));
		memcpy(shadow + off, w[i].buf, sizeof(w[i].buf));
		w[i].iov = (struct iovec){ w[i].buf, sizeof(w[i].buf) };
		w[i].left = &left;
		w[i].r = (struct blk_req){ .op = BLK_WRITE, .offset = off, .iov = &w[i].iov,
					   .iovcnt = 1, .done = wr_done, .opaque = &w[i] };
		REQUIRE(blk_submit(b, &w[i].r) == 0);
	}
	while (left)
		REQUIRE(loop_run_once(t->loop, -1) >= 0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(w[i].res, 0);
	free(w);
}

static void run(uint64_t cache_bytes)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("snap.qcow2");
	uint64_t size = 32 << 20;
	struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = 4096 };
	tb_create(&t, p, &co);
	uint8_t *shadow = calloc(1, size), *snap = calloc(1, size);
	REQUIRE(shadow && snap);
	char err[256];
	struct blk *b;
	struct blk_open_opts o = { .filename = p, .flags = BLK_O_RDWR,
				   .l2_cache_bytes = cache_bytes };
	REQUIRE(blk_open(&b, t.e, &o, err, sizeof(err)) == 0);
	tb_random_io(&t, b, shadow, size, 400, 65536, 512);
	write_all_tables(&t, b, shadow, size, 1); /* every table exists */
	CHECK_EQ(blk_snapshot_create(b, "s", 0, err, sizeof(err)), 0);
	memcpy(snap, shadow, size);

	uint64_t syncs = qc(b)->meta_syncs;
	write_all_tables(&t, b, shadow, size, 100); /* each copies a shared table */
	CHECK_EQ(qc(b)->meta_syncs, syncs);
	tb_random_io(&t, b, shadow, size, 400, 65536, 512);
	CHECK_EQ(blk_flush_sync(b), 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);

	b = tb_open(&t, p, NULL, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	struct blk_open_opts so = { .filename = p, .snapshot = "s" };
	REQUIRE(blk_open(&b, t.e, &so, err, sizeof(err)) == 0);
	tb_verify(b, snap, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img())
		CHECK_EQ(tb_qemu_check(p), 0);
	free(shadow);
	free(snap);
	tb_fini(&t);
}

int main(void)
{
	run(0);    /* default: the cache covers the image */
	run(8192); /* 2 slices: tables are mostly read from the file */
	return t_finish();
}
