/*
 * raw-rw.c - raw images: random concurrent reads/writes against a shadow
 * buffer with writeback and O_DIRECT (cache=none), on each aio engine;
 * flush, discard and write-zeroes; a sparse file larger than 4 GiB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

static void run(enum aio_engine_kind kind, unsigned flags)
{
	struct tb t;
	tb_init(&t, kind);
	const char *p = tb_path("raw.img");
	uint64_t size = 8 << 20;
	struct blk_create_opts co = { .format = "raw", .size = size };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, "raw", BLK_O_RDWR | BLK_O_DISCARD | flags);
	CHECK_EQ(blk_size(b), size);
	unsigned align = blk_align(b);
	if (flags & BLK_O_DIRECT)
		CHECK(align == 512 || align == 4096);
	else
		CHECK_EQ(align, 1);
	uint8_t *shadow = calloc(1, size);
	tb_random_io(&t, b, shadow, size, 2000, 65536, align > 1 ? align : 512);
	CHECK_EQ(blk_flush_sync(b), 0);
	/* write-zeroes and discard read back as zeroes */
	CHECK_EQ(blk_pwrite_zeroes(b, 65536, 131072, 0), 0);
	memset(shadow + 65536, 0, 131072);
	CHECK_EQ(blk_pwrite_zeroes(b, 1 << 20, 1 << 20, BLK_F_MAY_UNMAP), 0);
	memset(shadow + (1 << 20), 0, 1 << 20);
	CHECK_EQ(blk_discard_sync(b, 4 << 20, 1 << 20), 0);
	memset(shadow + (4 << 20), 0, 1 << 20);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	/* read-only reopen sees the same bytes and refuses writes */
	b = tb_open(&t, p, NULL, flags);
	CHECK(!strcmp(blk_format(b), "raw"));
	tb_verify(b, shadow, size);
	CHECK(blk_pwrite(b, 0, shadow, 512) == -EROFS);
	CHECK_EQ(blk_close(b), 0);
	free(shadow);
	tb_fini(&t);
}

static void sparse_big(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("big.img");
	uint64_t size = 6ull << 30;
	struct blk_create_opts co = { .format = "raw", .size = size };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, "raw", BLK_O_RDWR);
	CHECK_EQ(blk_size(b), size);
	char buf[4096], back[4096];
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(blk_pwrite(b, size - 4096, buf, 4096), 0);
	CHECK_EQ(blk_pread(b, size - 4096, back, 4096), 0);
	CHECK(!memcmp(buf, back, 4096));
	CHECK_EQ(blk_pread(b, 5ull << 30, back, 4096), 0);
	CHECK(back[0] == 0 && back[4095] == 0);
	struct blk_status st;
	CHECK_EQ(blk_block_status(b, 0, 1 << 20, &st), 0);
	CHECK(st.flags & BLK_STATUS_ZERO);
	struct blk_info info;
	CHECK_EQ(blk_get_info(b, &info), 0);
	CHECK(info.actual_size < (1 << 20));
	/* resize: grow, then shrink only when allowed */
	char err[256];
	CHECK_EQ(blk_truncate(b, size + (1 << 20), false, err, sizeof(err)), 0);
	CHECK_EQ(blk_size(b), size + (1 << 20));
	CHECK(blk_truncate(b, 1 << 20, false, err, sizeof(err)) < 0);
	CHECK_EQ(blk_truncate(b, 1 << 20, true, err, sizeof(err)), 0);
	CHECK_EQ(blk_size(b), 1 << 20);
	CHECK_EQ(blk_close(b), 0);
	/* preallocation=falloc reserves the blocks */
	co.size = 4 << 20;
	co.prealloc = BLK_PREALLOC_FALLOC;
	tb_create(&t, p, &co);
	struct stat sb;
	CHECK(stat(p, &sb) == 0 && sb.st_blocks * 512 >= (4 << 20));
	co.prealloc = BLK_PREALLOC_FULL;
	tb_create(&t, p, &co);
	CHECK(stat(p, &sb) == 0 && sb.st_blocks * 512 >= (4 << 20) && sb.st_size == (4 << 20));
	tb_fini(&t);
}

int main(void)
{
	run(AIO_ENGINE_URING, 0);
	run(AIO_ENGINE_THREADS, 0);
	run(AIO_ENGINE_URING, BLK_O_DIRECT);
	run(AIO_ENGINE_THREADS, BLK_O_DIRECT);
	run(AIO_ENGINE_NATIVE, BLK_O_DIRECT);
	sparse_big();
	return t_finish();
}
