/*
 * qcow2-check.c - blk_check finds what qemu-img check finds and repairs it
 * like check -r: a leaked cluster (refcount too high) is reported as a
 * leak and fixed with FIX_LEAKS; a refcount too low is a corruption fixed
 * with FIX_ERRORS; a broken L2 entry is counted; after repair qemu-img
 * check is clean. A corrupt-marked image opened with BLK_O_REPAIR is
 * repaired and the corrupt bit cleared.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static struct tb t;
static const uint64_t cs = 65536;

static void patch(const char *p, uint64_t off, uint64_t v, int bytes)
{
	uint8_t b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	int fd = open(p, O_WRONLY);
	REQUIRE(fd >= 0 && pwrite(fd, b, (size_t)bytes, (off_t)off) == bytes);
	close(fd);
}

static void report(void *ctx, const char *line)
{
	(*(int *)ctx)++;
	fprintf(stderr, "  check: %s\n", line);
}

static void make(const char *p)
{
	struct blk_create_opts co = { .format = "qcow2", .size = 8 << 20 };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR);
	uint8_t *d = malloc(4 * cs);
	memset(d, 0x33, 4 * cs);
	CHECK_EQ(blk_pwrite(b, 0, d, 4 * cs), 0); /* data clusters 4..7, L2 at 8 */
	free(d);
	CHECK_EQ(blk_close(b), 0);
}

/* refcount block at cluster 2, 16-bit entries */
static void set_refcount(const char *p, uint64_t cluster, uint16_t v)
{
	patch(p, 2 * cs + cluster * 2, v, 2);
}

static void run_check(const char *p, unsigned fix, struct blk_check_result *res,
		      unsigned flags)
{
	struct blk *b = tb_open(&t, p, "qcow2", (fix ? BLK_O_RDWR : 0) | flags);
	int lines = 0;
	CHECK_EQ(blk_check(b, fix, res, report, &lines), 0);
	if (res->leaks || res->corruptions)
		CHECK(lines > 0);
	CHECK_EQ(blk_close(b), 0);
}

int main(void)
{
	tb_init(&t, AIO_ENGINE_AUTO);
	bool q = tb_have_qemu_img();
	const char *p = tb_path("k.qcow2");
	struct blk_check_result res;

	make(p);
	run_check(p, 0, &res, 0);
	CHECK_EQ(res.leaks, 0);
	CHECK_EQ(res.corruptions, 0);
	CHECK_EQ(res.allocated_clusters, 4);
	CHECK_EQ(res.total_clusters, 128);

	/* a leak: cluster 20 (free, inside the file) gets refcount 1 */
	REQUIRE(truncate(p, 30 * cs) == 0);
	set_refcount(p, 20, 1);
	if (q)
		CHECK_EQ(tb_sh("qemu-img check '%s' >/dev/null 2>&1", p), 3);
	run_check(p, 0, &res, 0);
	CHECK_EQ(res.leaks, 1);
	CHECK_EQ(res.corruptions, 0);
	run_check(p, BLK_CHECK_FIX_LEAKS, &res, 0);
	CHECK_EQ(res.leaks_fixed, 1);
	CHECK_EQ(res.leaks, 0);
	if (q)
		CHECK_EQ(tb_qemu_check(p), 0);

	/* a corruption: data cluster 5 has refcount 0 */
	set_refcount(p, 5, 0);
	if (q)
		CHECK_EQ(tb_sh("qemu-img check '%s' >/dev/null 2>&1", p), 2);
	run_check(p, 0, &res, 0);
	CHECK(res.corruptions >= 1);
	run_check(p, BLK_CHECK_FIX_LEAKS, &res, 0);
	CHECK(res.corruptions >= 1); /* leaks-only repair leaves it */
	run_check(p, BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS, &res, 0);
	CHECK(res.corruptions_fixed >= 1);
	CHECK_EQ(res.corruptions, 0);
	if (q)
		CHECK_EQ(tb_qemu_check(p), 0);

	/* refcount 2 on a data cluster: a leak plus a COPIED flag mismatch */
	set_refcount(p, 6, 2);
	run_check(p, 0, &res, 0);
	CHECK_EQ(res.leaks, 1);
	run_check(p, BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS, &res, 0);
	CHECK_EQ(res.leaks + res.corruptions, 0);
	if (q)
		CHECK_EQ(tb_qemu_check(p), 0);

	/* an L2 entry past the end of the file: corruption, repaired by -r all */
	make(p);
	patch(p, 8 * cs + 16, 0x8000000000000000ull | (1ull << 36), 8);
	run_check(p, 0, &res, 0);
	CHECK(res.corruptions >= 1);
	run_check(p, BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS, &res, 0);
	CHECK_EQ(res.corruptions, 0);
	if (q)
		CHECK_EQ(tb_qemu_check(p), 0);

	/* a corrupt-marked image: refused rw, repaired with BLK_O_REPAIR */
	make(p);
	patch(p, 72, 2, 8); /* incompatible bit 1: corrupt */
	struct blk *b = NULL;
	char err[256];
	struct blk_open_opts o = { .filename = p, .flags = BLK_O_RDWR };
	CHECK(blk_open(&b, t.e, &o, err, sizeof(err)) < 0);
	run_check(p, BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS, &res, BLK_O_REPAIR);
	b = tb_open(&t, p, NULL, BLK_O_RDWR);
	struct blk_info info;
	CHECK_EQ(blk_get_info(b, &info), 0);
	CHECK(!info.corrupt);
	CHECK_EQ(blk_close(b), 0);

	/* check of images qemu-img made, with snapshots and compression */
	if (q) {
		REQUIRE(tb_sh("qemu-img create -q -f qcow2 '%s' 8M && qemu-io -f qcow2 -c "
			      "'write -P 1 0 1M' '%s' >/dev/null && qemu-img snapshot -c s1 '%s' "
			      "&& qemu-io -f qcow2 -c 'write -P 2 512k 1M' -c 'write -c -P 3 4M "
			      "64k' '%s' >/dev/null", p, p, p, p) == 0);
		run_check(p, 0, &res, 0);
		CHECK_EQ(res.leaks, 0);
		CHECK_EQ(res.corruptions, 0);
		CHECK_EQ(res.compressed_clusters, 1);
	}
	tb_fini(&t);
	return t_finish();
}
