/*
 * qcow2-alloc.c - qcow2 cluster allocation: random concurrent writes and
 * reads (partial clusters, runs across clusters, scatter/gather) against a
 * shadow buffer for several cluster sizes, v2 and v3, on the io_uring and
 * threads engines, with the default L2 cache and a tiny one (dirty slices
 * evicted all the time); the image survives close/reopen and passes qemu-img
 * check, and qemu-img reads the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void run_cache(enum aio_engine_kind kind, uint32_t cs, int compat, unsigned flags,
		      uint64_t l2_cache)
{
	struct tb t;
	tb_init(&t, kind);
	const char *p = tb_path("a.qcow2");
	uint64_t size = 24 << 20;
	struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = cs,
				      .compat = compat };
	tb_create(&t, p, &co);
	struct blk *b = NULL;
	char err[256];
	struct blk_open_opts oo = { .filename = p, .flags = BLK_O_RDWR | flags,
				    .l2_cache_bytes = l2_cache };
	REQUIRE(blk_open(&b, t.e, &oo, err, sizeof(err)) == 0);
	CHECK(!strcmp(blk_format(b), "qcow2"));
	CHECK_EQ(blk_size(b), size);
	uint8_t *shadow = calloc(1, size);
	unsigned align = blk_align(b) > 1 ? blk_align(b) : 512;
	tb_random_io(&t, b, shadow, size, 1500, 3 * cs > 262144 ? 262144 : 3 * cs, align);
	CHECK_EQ(blk_flush_sync(b), 0);
	tb_random_io(&t, b, shadow, size, 500, 65536, align);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	b = tb_open(&t, p, NULL, flags);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_qemu_check(p), 0);
		const char *raw = tb_path("a.raw");
		FILE *f = fopen(raw, "w");
		REQUIRE(f && fwrite(shadow, 1, size, f) == size);
		fclose(f);
		CHECK_EQ(tb_sh("qemu-img compare -U -f raw -F qcow2 '%s' '%s' >/dev/null", raw, p), 0);
	}
	free(shadow);
	tb_fini(&t);
}

static void run(enum aio_engine_kind kind, uint32_t cs, int compat, unsigned flags)
{
	run_cache(kind, cs, compat, flags, 0);
}

int main(void)
{
	run_cache(AIO_ENGINE_URING, 512, 3, 0, 4096); /* tiny L2 cache: constant eviction */
	run_cache(AIO_ENGINE_URING, 4096, 3, 0, 8192);
	run(AIO_ENGINE_URING, 65536, 3, 0);
	run(AIO_ENGINE_THREADS, 65536, 3, 0);
	run(AIO_ENGINE_URING, 512, 3, 0);
	run(AIO_ENGINE_URING, 4096, 2, 0);
	run(AIO_ENGINE_URING, 2 << 20, 3, 0);
	run(AIO_ENGINE_URING, 65536, 3, BLK_O_DIRECT);
	return t_finish();
}
