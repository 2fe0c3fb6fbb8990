/*
 * qcow2-compressed.c - blk_write_compressed: compressible clusters are
 * stored compressed (packed several per host cluster), incompressible ones
 * normally; they read back, qemu-img check is clean and qemu-img reads the
 * same bytes; a later partial write copies the compressed cluster (COW)
 * and frees its reference. zlib, and zstd when built in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void run(int ctype, uint32_t cs)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("c.qcow2");
	uint64_t size = 64 * (uint64_t)cs - 4096; /* last cluster partial */
	struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = cs,
				      .compression_type = ctype };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR);
	uint8_t *shadow = calloc(1, size);
	for (uint64_t off = 0; off < size; off += cs) {
		uint64_t n = size - off < cs ? size - off : cs;
		int kind = (int)((off / cs) % 3);
		for (uint64_t k = 0; k < n; k++)
			shadow[off + k] = kind == 0 ? (uint8_t)("compress me "[k % 12])
				   : kind == 1 ? (uint8_t)t_rand() : (uint8_t)(k / 100);
		CHECK_EQ(blk_write_compressed(b, off, shadow + off, n), 0);
	}
	tb_verify(b, shadow, size);
	struct blk_status st;
	CHECK_EQ(blk_block_status(b, 0, cs, &st), 0);
	CHECK(st.flags & BLK_STATUS_COMPRESSED);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_qemu_check(p), 0);
		CHECK_EQ(tb_sh("qemu-img check -U '%s' | grep -q 'compressed clusters'", p), 0);
	}
	b = tb_open(&t, p, NULL, BLK_O_RDWR);
	tb_verify(b, shadow, size);
	/* partial overwrite of compressed clusters: COW through decompression */
	uint8_t buf[3000];
	memset(buf, 0x5a, sizeof(buf));
	for (uint64_t off = 100; off < size; off += 5 * cs + 777) {
		uint64_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		CHECK_EQ(blk_pwrite(b, off, buf, n), 0);
		memcpy(shadow + off, buf, n);
	}
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_qemu_check(p), 0);
		const char *raw = tb_path("c.raw");
		FILE *f = fopen(raw, "w");
		REQUIRE(f && fwrite(shadow, 1, size, f) == size);
		fclose(f);
		CHECK_EQ(tb_sh("qemu-img compare -U -f raw -F qcow2 '%s' '%s' >/dev/null", raw, p), 0);
	}
	free(shadow);
	tb_fini(&t);
}

int main(void)
{
	run(0, 65536);
	run(0, 4096);
	run(0, 2 << 20);
#ifdef RINGVM_HAVE_ZSTD
	run(1, 65536);
#endif
	return t_finish();
}
