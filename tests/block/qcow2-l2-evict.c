/*
 * qcow2-l2-evict.c - dirty L2 slices leave the cache through an
 * asynchronous write-back: once half the cache is dirty a write-back
 * starts by itself (no flush asked for) and runs in the background, so
 * later evictions find clean slices and never write back synchronously;
 * with a tiny cache under many concurrent writes (where the synchronous
 * fallback may run) the data and the image stay right (qemu-img check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "common.h"

static struct qcow2 *qc(struct blk *b) { return b->opaque; }

static void settle(struct tb *t, struct blk *b)
{
	while (qc(b)->wb || qc(b)->wb_kicked)
		loop_run_once(t->loop, -1);
}

int main(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("ev.qcow2");
	/* 4 KiB clusters: one 4 KiB slice maps 2 MiB of guest space */
	uint64_t size = 64 << 20, slice = 2 << 20;
	struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = 4096 };
	tb_create(&t, p, &co);
	uint8_t *shadow = calloc(1, size);
	REQUIRE(shadow);
	struct blk *b;
	char err[256];
	/* 8 KiB asked: the cache holds 2 + 4 slices */
	struct blk_open_opts o = { .filename = p, .flags = BLK_O_RDWR, .l2_cache_bytes = 8192 };
	REQUIRE(blk_open(&b, t.e, &o, err, sizeof(err)) == 0);
	unsigned n = qc(b)->l2c.n;
	CHECK_EQ(n, 6u);

	/* dirty half the cache: a write-back starts without a flush */
	uint8_t buf[4096];
	for (unsigned i = 0; i < n / 2; i++) {
		memset(buf, (int)i + 1, sizeof(buf));
		memcpy(shadow + i * slice, buf, sizeof(buf));
		CHECK_EQ(blk_pwrite(b, i * slice, buf, sizeof(buf)), 0);
	}
	CHECK(qc(b)->wb != NULL || qc(b)->wb_kicked || qc(b)->l2c.ndirty == 0);
	settle(&t, b);
	CHECK_EQ(qc(b)->l2c.ndirty, 0u); /* the background write-back cleaned them */

	/* walk many more slices than the cache holds, one write at a time:
	 * each eviction finds a clean slice */
	for (unsigned i = n / 2; i < 24; i++) {
		memset(buf, (int)i + 1, sizeof(buf));
		memcpy(shadow + i * slice + 8192, buf, sizeof(buf));
		CHECK_EQ(blk_pwrite(b, i * slice + 8192, buf, sizeof(buf)), 0);
		settle(&t, b);
	}
	CHECK_EQ(qc(b)->sync_evictions, 0u);
	tb_verify(b, shadow, size);

	/* many writes in flight through the tiny cache */
	tb_random_io(&t, b, shadow, size, 3000, 65536, 512);
	printf("synchronous evictions under random I/O: %llu\n",
	       (unsigned long long)qc(b)->sync_evictions);
	CHECK_EQ(blk_close(b), 0);

	b = tb_open(&t, p, NULL, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img())
		CHECK_EQ(tb_qemu_check(p), 0);
	free(shadow);
	tb_fini(&t);
	return t_finish();
}
