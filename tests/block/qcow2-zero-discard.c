/*
 * qcow2-zero-discard.c - write-zeroes and discard on qcow2: whole clusters
 * become zero clusters (v3) or unallocated (no backing), partial clusters
 * are written with zeroes, discarded clusters are freed (refcount drops,
 * qemu-img check stays clean), v2 with a backing file writes real zeroes,
 * and a backing file's data is hidden by zeroed clusters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void run(int compat, bool with_backing)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	uint64_t size = 4 << 20, cs = 65536;
	uint8_t *shadow = malloc(size);
	for (uint64_t i = 0; i < size; i++)
		shadow[i] = (uint8_t)(i * 3 + 1);
	const char *p = tb_path("z.qcow2"), *base = tb_path("zb.qcow2");
	struct blk_create_opts co = { .format = "qcow2", .size = size, .compat = compat };
	if (with_backing) {
		tb_create(&t, base, &co);
		struct blk *b = tb_open(&t, base, NULL, BLK_O_RDWR);
		CHECK_EQ(blk_pwrite(b, 0, shadow, size), 0);
		CHECK_EQ(blk_close(b), 0);
		co.backing_file = "zb.qcow2";
		co.backing_fmt = "qcow2";
	}
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR | BLK_O_DISCARD);
	if (!with_backing)
		CHECK_EQ(blk_pwrite(b, 0, shadow, size), 0);
	else
		CHECK_EQ(blk_pwrite(b, 0, shadow, size / 2), 0); /* half in this layer */
	CHECK_EQ(blk_pwrite_zeroes(b, cs, 2 * cs, 0), 0);           /* whole clusters */
	memset(shadow + cs, 0, 2 * cs);
	CHECK_EQ(blk_pwrite_zeroes(b, 5 * cs + 100, 1000, 0), 0);   /* partial */
	memset(shadow + 5 * cs + 100, 0, 1000);
	CHECK_EQ(blk_pwrite_zeroes(b, 8 * cs - 512, cs + 1024, BLK_F_MAY_UNMAP), 0);
	memset(shadow + 8 * cs - 512, 0, cs + 1024);
	CHECK_EQ(blk_pwrite_zeroes(b, size / 2 + cs, 3 * cs, 0), 0); /* over backing data */
	memset(shadow + size / 2 + cs, 0, 3 * cs);
	tb_verify(b, shadow, size);
	struct blk_info info;
	CHECK_EQ(blk_flush_sync(b), 0);
	CHECK_EQ(blk_get_info(b, &info), 0);
	/* discard: afterwards the content is zero (no backing) or unspecified */
	CHECK_EQ(blk_discard_sync(b, 16 * cs, 8 * cs), 0);
	if (!with_backing) {
		memset(shadow + 16 * cs, 0, 8 * cs);
		tb_verify(b, shadow, size);
		struct blk_status st;
		CHECK_EQ(blk_block_status(b, 16 * cs, 8 * cs, &st), 0);
		CHECK(!(st.flags & BLK_STATUS_DATA));
		CHECK(st.len == 8 * cs);
	} else {
		uint8_t *tmp = malloc(8 * cs);
		CHECK_EQ(blk_pread(b, 16 * cs, tmp, 8 * cs), 0);
		memcpy(shadow + 16 * cs, tmp, 8 * cs);
		free(tmp);
	}
	CHECK_EQ(blk_close(b), 0);
	b = tb_open(&t, p, NULL, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_qemu_check(p), 0);
		/* the freed clusters are reused, not leaked: the file stays small */
		b = tb_open(&t, p, NULL, BLK_O_RDWR);
		uint8_t *d = malloc(8 * cs);
		memset(d, 0x11, 8 * cs);
		CHECK_EQ(blk_pwrite(b, size - 8 * cs, d, 8 * cs), 0);
		memcpy(shadow + size - 8 * cs, d, 8 * cs);
		free(d);
		tb_verify(b, shadow, size);
		CHECK_EQ(blk_close(b), 0);
		CHECK_EQ(tb_qemu_check(p), 0);
	}
	free(shadow);
	tb_fini(&t);
}

int main(void)
{
	run(3, false);
	run(3, true);
	run(2, false);
	run(2, true);
	return t_finish();
}
