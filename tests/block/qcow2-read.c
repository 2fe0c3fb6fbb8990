/*
 * qcow2-read.c - images written by qemu-img read correctly: convert from a
 * raw file with holes into qcow2 v2 and v3, cluster sizes 512 B..2 MiB,
 * refcount widths 1..64 bits, compressed (zlib, and zstd when built in),
 * extended L2 entries (read-only: subclusters allocated, zero, or from the
 * backing file), and zero clusters made by qemu-io; compared byte for byte with the raw
 * source. Skips (77) without qemu-img.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static uint8_t *src;
static const uint64_t size = 9 << 20; /* not a multiple of 2 MiB on purpose */

static void make_source(const char *raw)
{
	src = calloc(1, size);
	/* data, holes, a run of zeroes inside data, compressible text */
	for (uint64_t off = 0; off < size; off += 65536) {
		int kind = (int)(t_rand() % 4);
		for (uint64_t k = 0; k < 65536 && off + k < size; k++)
			src[off + k] = kind == 0 ? 0 : kind == 1 ? (uint8_t)t_rand()
				     : kind == 2 ? (uint8_t)("qcow2 text "[k % 11]) : (uint8_t)(k >> 8);
	}
	FILE *f = fopen(raw, "w");
	REQUIRE(f && fwrite(src, 1, size, f) == size);
	fclose(f);
}

static void check_image(struct tb *t, const char *img, const char *what)
{
	struct blk *b = tb_open(t, img, NULL, 0);
	CHECK_EQ(blk_size(b), size);
	uint8_t *buf = malloc(size);
	CHECK_EQ(blk_pread(b, 0, buf, size), 0);
	if (memcmp(buf, src, size)) {
		fprintf(stderr, "%s: content differs\n", what);
		t_failures++;
	}
	/* unaligned small reads too */
	for (int i = 0; i < 200; i++) {
		uint64_t off = t_rand() % (size - 5000), len = t_rand() % 5000 + 1;
		CHECK_EQ(blk_pread(b, off, buf, len), 0);
		if (memcmp(buf, src + off, len)) {
			fprintf(stderr, "%s: small read at %llu differs\n", what,
				(unsigned long long)off);
			t_failures++;
			break;
		}
	}
	free(buf);
	CHECK_EQ(blk_close(b), 0);
}

int main(void)
{
	if (!tb_have_qemu_img())
		t_skip("qemu-img not installed");
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *raw = tb_path("src.raw"), *img = tb_path("img.qcow2");
	make_source(raw);
	static const char *const opts[] = {
		"compat=0.10,cluster_size=65536",
		"compat=0.10,cluster_size=512",
		"compat=1.1,cluster_size=512,refcount_bits=1",
		"compat=1.1,cluster_size=4096,refcount_bits=2",
		"compat=1.1,cluster_size=8192,refcount_bits=4",
		"compat=1.1,cluster_size=16384,refcount_bits=8",
		"compat=1.1,cluster_size=65536,refcount_bits=32",
		"compat=1.1,cluster_size=131072,refcount_bits=64",
		"compat=1.1,cluster_size=2M",
		"compat=1.1,lazy_refcounts=on",
		"compat=1.1,extended_l2=on,cluster_size=65536",
		"compat=1.1,extended_l2=on,cluster_size=16384,refcount_bits=8",
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		REQUIRE(tb_sh("qemu-img convert -f raw -O qcow2 -o %s '%s' '%s'", opts[i], raw,
			      img) == 0);
		check_image(&t, img, opts[i]);
		REQUIRE(tb_sh("qemu-img convert -c -f raw -O qcow2 -o %s '%s' '%s'", opts[i],
			      raw, img) == 0);
		check_image(&t, img, opts[i]);
	}
#ifdef RINGVM_HAVE_ZSTD
	if (tb_sh("qemu-img convert -c -f raw -O qcow2 -o compression_type=zstd '%s' '%s' "
		  "2>/dev/null", raw, img) == 0)
		check_image(&t, img, "zstd");
#endif
	/* extended L2 over a backing file: allocated, zero and unallocated
	 * subclusters (the last read through from the backing file) */
	const char *ext = tb_path("ext.qcow2");
	REQUIRE(tb_sh("qemu-img create -q -f qcow2 -o extended_l2=on,cluster_size=64k -b '%s' "
		      "-F raw '%s'", raw, ext) == 0);
	REQUIRE(tb_sh("qemu-io -f qcow2 -c 'write -P 0x11 2k 4k' -c 'write -z 70k 6k' "
		      "-c 'write -P 0x22 200k 100k' '%s' >/dev/null", ext) == 0);
	memset(src + 2048, 0x11, 4096);
	memset(src + 70 * 1024, 0, 6 * 1024);
	memset(src + 200 * 1024, 0x22, 100 * 1024);
	check_image(&t, ext, "extended L2 overlay");
	{
		struct blk *b = NULL;
		char err[256];
		/* writable too now (writes: tests/block/qcow2-subcluster.c) */
		struct blk_open_opts o = { .filename = ext, .flags = BLK_O_RDWR };
		CHECK(blk_open(&b, t.e, &o, err, sizeof(err)) == 0);
		if (b)
			CHECK_EQ(blk_close(b), 0);
	}
	/* back to the unmodified source for what follows */
	FILE *rf = fopen(raw, "r");
	REQUIRE(rf && fread(src, 1, size, rf) == size);
	fclose(rf);

	/* zero clusters (v3 zero flag) written by qemu-io over data */
	REQUIRE(tb_sh("qemu-img convert -f raw -O qcow2 '%s' '%s'", raw, img) == 0);
	REQUIRE(tb_sh("qemu-io -f qcow2 -c 'write -z 65536 131072' -c 'write -z -u 1M 1M' "
		      "'%s' >/dev/null", img) == 0);
	memset(src + 65536, 0, 131072);
	memset(src + (1 << 20), 0, 1 << 20);
	check_image(&t, img, "zero clusters");
	free(src);
	tb_fini(&t);
	return t_finish();
}
