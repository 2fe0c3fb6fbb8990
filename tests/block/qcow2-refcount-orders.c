/*
 * qcow2-refcount-orders.c - images we create with every refcount width
 * (1..64 bits) and small clusters: random I/O grows the image past what
 * the first refcount block covers (new refcount blocks and a larger
 * refcount table), snapshots raise refcounts (1-bit refcounts refuse a
 * snapshot with a clear overflow error), qemu-img check stays clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void run(int bits, uint32_t cs)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("r.qcow2");
	uint64_t size = 6 << 20;
	struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = cs,
				      .refcount_bits = bits };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR);
	struct blk_info info;
	CHECK_EQ(blk_get_info(b, &info), 0);
	CHECK_EQ(info.refcount_bits, bits);
	uint8_t *shadow = calloc(1, size);
	tb_random_io(&t, b, shadow, size, 800, 16384, 512);
	char err[256];
	int r = blk_snapshot_create(b, "s", 0, err, sizeof(err));
	if (bits == 1) {
		CHECK(r < 0);
		CHECK(strstr(err, "overflow") != NULL);
	} else {
		CHECK_EQ(r, 0);
		tb_random_io(&t, b, shadow, size, 300, 16384, 512);
	}
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

/* One large write into a fresh image with small clusters: the run spans
 * many refcount block ranges, whose blocks must be created on the way
 * (this used to loop forever). */
static void big_run(int bits)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("big.qcow2");
	uint64_t size = 12 << 20;
	struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = 512,
				      .refcount_bits = bits };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR);
	uint8_t *data = malloc(size);
	for (uint64_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 5 + (i >> 13));
	CHECK_EQ(blk_pwrite(b, 0, data, size), 0);
	tb_verify(b, data, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img())
		CHECK_EQ(tb_qemu_check(p), 0);
	free(data);
	tb_fini(&t);
}

int main(void)
{
	big_run(16);
	big_run(64);
	for (int bits = 1; bits <= 64; bits *= 2)
		run(bits, 512);
	run(16, 1024);
	run(64, 4096);
	return t_finish();
}
