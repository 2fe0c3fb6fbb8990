/*
 * qcow2-prealloc.c - qcow2 create with preallocation=metadata|falloc|full:
 * every cluster is mapped (block status: data, allocated), the image reads
 * as zeroes, falloc/full reserve the space on the host, writes go in place
 * and qemu-img check is clean. With a backing file it is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void run(enum blk_prealloc mode)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("pre.qcow2");
	uint64_t size = (8 << 20) + 4096;
	struct blk_create_opts co = { .format = "qcow2", .size = size, .prealloc = mode };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR);
	struct blk_status st;
	CHECK_EQ(blk_block_status(b, 0, size, &st), 0);
	CHECK(st.flags & BLK_STATUS_ALLOCATED);
	CHECK(st.flags & BLK_STATUS_DATA);
	CHECK_EQ(blk_block_status(b, size - 4096, 4096, &st), 0);
	CHECK(st.flags & BLK_STATUS_DATA);
	struct blk_info info;
	CHECK_EQ(blk_get_info(b, &info), 0);
	if (mode != BLK_PREALLOC_METADATA)
		CHECK(info.actual_size >= size);
	uint8_t *shadow = calloc(1, size);
	tb_verify(b, shadow, size);
	tb_random_io(&t, b, shadow, size, 300, 65536, 512);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img())
		CHECK_EQ(tb_qemu_check(p), 0);
	co.backing_file = "x.raw";
	co.size = 1 << 20;
	char err[256];
	CHECK(blk_create(p, &co, t.e, err, sizeof(err)) < 0 && err[0]);
	free(shadow);
	tb_fini(&t);
}

int main(void)
{
	run(BLK_PREALLOC_METADATA);
	run(BLK_PREALLOC_FALLOC);
	run(BLK_PREALLOC_FULL);
	return t_finish();
}
