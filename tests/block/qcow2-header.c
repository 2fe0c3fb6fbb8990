/*
 * qcow2-header.c - header handling: v3 by default with a feature name
 * table, v2 with compat=2; unknown header extensions survive a header
 * rewrite (rebase); the dirty bit is set while a lazy-refcounts image is
 * open read-write and cleared at close, and a read-only open never writes
 * (not even the dirty bit); unknown autoclear bits are cleared on a rw
 * open; resize grows (L1 grows too) and shrinks; backing_fmt is kept.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static struct tb t;

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void read_head(const char *p, uint8_t *h, size_t n)
{
	int fd = open(p, O_RDONLY);
	REQUIRE(fd >= 0 && pread(fd, h, n, 0) == (ssize_t)n);
	close(fd);
}

static bool has_ext(const uint8_t *h, uint32_t type)
{
	uint64_t at = be(h + 100, 4);
	while (at + 8 < 65536) {
		uint32_t ty = (uint32_t)be(h + at, 4), len = (uint32_t)be(h + at + 4, 4);
		if (ty == 0)
			return false;
		if (ty == type)
			return true;
		at += 8 + ((len + 7) & ~7u);
	}
	return false;
}

int main(void)
{
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("h.qcow2");
	static uint8_t h[65536], h2[65536];
	struct blk_create_opts co = { .format = "qcow2", .size = 1 << 20, .lazy_refcounts = true };
	tb_create(&t, p, &co);
	read_head(p, h, sizeof(h));
	CHECK_EQ(be(h + 4, 4), 3);
	CHECK(has_ext(h, 0x6803f857));
	CHECK_EQ(be(h + 80, 8) & 1, 1); /* lazy refcounts */

	/* an unknown extension inserted by hand survives a rewrite */
	uint64_t at = be(h + 100, 4);
	int fd = open(p, O_RDWR);
	uint8_t ext[24] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
	memmove(h + at + 16, h + at, 4096);
	memcpy(h + at, ext, 16);
	REQUIRE(pwrite(fd, h, 65536, 0) == 65536);
	/* and an unknown autoclear bit */
	uint8_t ac[8] = { 0, 0, 0, 0, 0, 0, 0, 0x80 };
	REQUIRE(pwrite(fd, ac, 8, 88) == 8);
	close(fd);

	/* read-only open: the file is not touched */
	read_head(p, h, sizeof(h));
	struct blk *b = tb_open(&t, p, NULL, 0);
	struct blk_info info;
	CHECK_EQ(blk_get_info(b, &info), 0);
	CHECK(!info.dirty);
	CHECK_EQ(blk_close(b), 0);
	read_head(p, h2, sizeof(h2));
	CHECK(!memcmp(h, h2, sizeof(h)));

	/* read-write: dirty while open, autoclear cleared, extension kept */
	b = tb_open(&t, p, NULL, BLK_O_RDWR);
	read_head(p, h, sizeof(h));
	CHECK_EQ(be(h + 72, 8) & 1, 1);
	CHECK_EQ(be(h + 88, 8), 0);
	CHECK_EQ(blk_change_backing(b, "base-raw.img", "raw"), 0);
	char buf[4096];
	memset(buf, 7, sizeof(buf));
	CHECK_EQ(blk_pwrite(b, 0, buf, sizeof(buf)), 0);
	char err[256];
	/* resize: grow well past what the L1 table covered, then shrink */
	CHECK_EQ(blk_truncate(b, 10ull << 30, false, err, sizeof(err)), 0);
	CHECK_EQ(blk_size(b), 10ull << 30);
	CHECK_EQ(blk_pwrite(b, (10ull << 30) - 4096, buf, sizeof(buf)), 0);
	CHECK_EQ(blk_truncate(b, 2 << 20, true, err, sizeof(err)), 0);
	CHECK_EQ(blk_size(b), 2 << 20);
	CHECK_EQ(blk_truncate(b, 10ull << 30, false, err, sizeof(err)), 0);
	char z[4096];
	CHECK_EQ(blk_pread(b, (10ull << 30) - 4096, z, sizeof(z)), 0);
	CHECK(z[0] == 0 && z[4095] == 0); /* shrunk away, not back */
	CHECK_EQ(blk_truncate(b, 2 << 20, true, err, sizeof(err)), 0);
	CHECK_EQ(blk_close(b), 0);
	read_head(p, h, sizeof(h));
	CHECK_EQ(be(h + 72, 8) & 1, 0);
	CHECK(has_ext(h, 0x12345678));
	CHECK(has_ext(h, 0xe2792aca));
	CHECK(has_ext(h, 0x6803f857));
	CHECK(!memcmp(h + be(h + 8, 8), "base-raw.img", 12));
	CHECK_EQ(be(h + 24, 8), 2 << 20);
	b = tb_open(&t, p, NULL, BLK_O_NO_BACKING);
	char back[4096];
	CHECK_EQ(blk_pread(b, 0, back, sizeof(back)), 0);
	CHECK(!memcmp(buf, back, sizeof(back)));
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_sh("truncate -s 2M '%s'", tb_path("base-raw.img")), 0);
		CHECK_EQ(tb_qemu_check(p), 0);
	}

	/* v2 */
	co = (struct blk_create_opts){ .format = "qcow2", .size = 1 << 20, .compat = 2 };
	tb_create(&t, p, &co);
	read_head(p, h, 128);
	CHECK_EQ(be(h + 4, 4), 2);
	b = tb_open(&t, p, NULL, BLK_O_RDWR);
	CHECK_EQ(blk_get_info(b, &info), 0);
	CHECK_EQ(info.qcow2_version, 2);
	CHECK_EQ(blk_pwrite(b, 4096, buf, sizeof(buf)), 0);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_qemu_check(p), 0);
		CHECK_EQ(tb_sh("qemu-img info '%s' | grep -q 'compat: 0.10'", p), 0);
	}
	/* bad create options are refused with a sentence */
	co = (struct blk_create_opts){ .format = "qcow2", .size = 1 << 20, .cluster_size = 3000 };
	CHECK(blk_create(p, &co, t.e, err, sizeof(err)) < 0 && err[0]);
	co = (struct blk_create_opts){ .format = "qcow2", .size = 1 << 20, .compat = 2,
				       .lazy_refcounts = true };
	CHECK(blk_create(p, &co, t.e, err, sizeof(err)) < 0 && err[0]);
	co = (struct blk_create_opts){ .format = "qcow2", .size = 1 << 20, .refcount_bits = 3 };
	CHECK(blk_create(p, &co, t.e, err, sizeof(err)) < 0 && err[0]);
	tb_fini(&t);
	return t_finish();
}
