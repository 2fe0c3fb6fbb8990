/*
 * qcow2-corrupt.c - bad qcow2 input is refused with a clear sentence and
 * never crashes: truncated header, bad version, cluster_bits out of range,
 * absurd L1/header/refcount sizes, unknown incompatible features (named),
 * encryption, snapshot tables overlapping metadata, L1/L2 entries that are
 * misaligned, past EOF or point into metadata (read fails with -EIO, a rw
 * image is marked corrupt and then refused rw), and random header damage.
 * A read-only open never modifies the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static struct tb t;
static const char *img, *good;
static uint64_t cs = 65536;
static uint64_t l2_off, data_off; /* found in the image made by main() */

static void patch(const char *p, uint64_t off, uint64_t v, int bytes)
{
	uint8_t b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	int fd = open(p, O_WRONLY);
	REQUIRE(fd >= 0 && pwrite(fd, b, (size_t)bytes, (off_t)off) == bytes);
	close(fd);
}

static void fresh(void)
{
	REQUIRE(tb_sh("cp '%s' '%s'", good, img) == 0);
}

/* Open must fail with err and a sentence containing word; returns err. */
static int refuse(unsigned flags, const char *word)
{
	struct blk *b = NULL;
	char err[512] = "";
	struct blk_open_opts o = { .filename = img, .format = "qcow2", .flags = flags };
	int r = blk_open(&b, t.e, &o, err, sizeof(err));
	CHECK(r < 0);
	if (r == 0) {
		blk_close(b);
		return 0;
	}
	fprintf(stderr, "  refused (%d): %s\n", r, err);
	CHECK(err[0] != 0);
	if (word && !strstr(err, word)) {
		fprintf(stderr, "  expected '%s' in the message\n", word);
		t_failures++;
	}
	return r;
}

static void header_cases(void)
{
	fresh();
	REQUIRE(truncate(img, 50) == 0);
	CHECK(refuse(0, "truncated") == -EINVAL);
	fresh();
	patch(img, 4, 4, 4);
	CHECK(refuse(0, "version") < 0);
	fresh();
	patch(img, 20, 30, 4);
	CHECK(refuse(0, "cluster size") == -EINVAL);
	fresh();
	patch(img, 20, 8, 4);
	CHECK(refuse(0, "cluster size") == -EINVAL);
	fresh();
	patch(img, 36, 0x7fffffff, 4);
	CHECK(refuse(0, "L1") < 0);
	fresh();
	patch(img, 36, 0, 4);
	CHECK(refuse(0, "L1") < 0);
	fresh();
	patch(img, 24, 1ull << 62, 8); /* absurd virtual size */
	CHECK(refuse(0, "L1") < 0);
	fresh();
	patch(img, 100, 1 << 20, 4);
	CHECK(refuse(0, "header length") == -EINVAL);
	fresh();
	patch(img, 96, 7, 4);
	CHECK(refuse(0, "refcount order") == -EINVAL);
	fresh();
	patch(img, 72, 1ull << 10, 8);
	CHECK(refuse(0, "bit 10") == -ENOTSUP);
	fresh();
	patch(img, 72, 1ull << 4, 8); /* extended L2 needs clusters >= 16 KiB */
	patch(img, 20, 13, 4);
	CHECK(refuse(BLK_O_RDWR, "16 KiB") == -EINVAL);
	fresh();
	patch(img, 72, 1ull << 2, 8);
	CHECK(refuse(0, "external data file") == -ENOTSUP);
	fresh();
	patch(img, 32, 1, 4);
	CHECK(refuse(0, "encrypted") == -ENOTSUP);
	fresh();
	patch(img, 60, 1, 4); /* one snapshot at offset 0 */
	CHECK(refuse(0, "snapshot") < 0);
	fresh();
	patch(img, 60, 1, 4);
	patch(img, 64, cs, 8); /* snapshot table on the refcount table */
	CHECK(refuse(0, "snapshot") < 0);
	fresh();
	patch(img, 48, 12345, 8); /* misaligned refcount table */
	CHECK(refuse(0, "refcount table") == -EINVAL);
	fresh();
	patch(img, 56, 1 << 20, 4); /* refcount table of 64 GiB */
	CHECK(refuse(0, "refcount table") == -EINVAL);
	fresh();
	patch(img, 8, 3 * cs, 8); /* backing name outside the header cluster */
	patch(img, 16, 100, 4);
	CHECK(refuse(0, "backing") == -EINVAL);
}

static char *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "r");
	REQUIRE(f);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	char *d = malloc(*n + 1);
	REQUIRE(fread(d, 1, *n, f) == *n);
	fclose(f);
	return d;
}

/* L1 at cluster 3 in the image made below; l2_off/data_off read from it. */
static void entry_cases(void)
{
	uint8_t buf[4096];
	size_t n1, n2;
	/* misaligned L1 entry: read-only read fails, file untouched */
	fresh();
	patch(img, 3 * cs, 0x8000000000012345ull, 8);
	char *before = slurp(img, &n1);
	struct blk *b = tb_open(&t, img, "qcow2", 0);
	CHECK(blk_pread(b, 0, buf, sizeof(buf)) == -EIO);
	CHECK_EQ(blk_close(b), 0);
	char *after = slurp(img, &n2);
	CHECK(n1 == n2 && !memcmp(before, after, n1));
	free(before);
	free(after);
	/* L1 entry past EOF */
	fresh();
	patch(img, 3 * cs, 0x8000000000000000ull | (1ull << 40), 8);
	b = tb_open(&t, img, "qcow2", 0);
	CHECK(blk_pread(b, 0, buf, sizeof(buf)) == -EIO);
	CHECK_EQ(blk_close(b), 0);
	/* L2 entry into the L1 table: the write is refused, image marked corrupt */
	fresh();
	patch(img, l2_off, 0x8000000000000000ull | (3 * cs), 8);
	b = tb_open(&t, img, "qcow2", BLK_O_RDWR);
	memset(buf, 0xee, sizeof(buf));
	CHECK(blk_pwrite(b, 0, buf, sizeof(buf)) == -EIO);
	struct blk_info info;
	CHECK_EQ(blk_get_info(b, &info), 0);
	CHECK(info.corrupt);
	CHECK(blk_pwrite(b, 1 << 20, buf, sizeof(buf)) < 0); /* no more writes */
	blk_close(b);
	CHECK(refuse(BLK_O_RDWR, "corrupt") == -EIO);
	b = tb_open(&t, img, "qcow2", 0); /* read-only is allowed */
	CHECK_EQ(blk_pread(b, 1 << 20, buf, sizeof(buf)), 0);
	blk_close(b);
	if (tb_have_qemu_img())
		CHECK(tb_sh("qemu-img info '%s' | grep -q 'corrupt: true'", img) == 0);
	/* refcount 0 on the L2 table: the allocator must not hand it out */
	fresh();
	patch(img, 2 * cs + (l2_off / cs) * 2, 0, 2);
	b = tb_open(&t, img, "qcow2", BLK_O_RDWR);
	CHECK(blk_pwrite(b, 4 << 20, buf, sizeof(buf)) == -EIO);
	CHECK_EQ(blk_get_info(b, &info), 0);
	CHECK(info.corrupt);
	blk_close(b);
	b = tb_open(&t, img, "qcow2", 0);
	CHECK_EQ(blk_pread(b, 0, buf, sizeof(buf)), 0);
	CHECK(buf[0] == 0x42 && buf[4095] == 0x42); /* the L2 table was not overwritten */
	blk_close(b);
	/* misaligned L2 entry */
	fresh();
	patch(img, l2_off + 8, 0x8000000000000000ull | (data_off + 512), 8);
	b = tb_open(&t, img, "qcow2", 0);
	CHECK(blk_pread(b, cs, buf, sizeof(buf)) == -EIO);
	blk_close(b);
}

/* Random damage to the first cluster and the tables: never a crash. */
static void fuzz(void)
{
	uint8_t buf[65536];
	for (int i = 0; i < 300; i++) {
		fresh();
		int nflip = 1 + (int)(t_rand() % 4);
		for (int k = 0; k < nflip; k++) {
			uint64_t off = (t_rand() & 1) ? t_rand() % 128 : t_rand() % (5 * cs);
			patch(img, off, t_rand() & 0xff, 1);
		}
		struct blk *b = NULL;
		char err[512];
		struct blk_open_opts o = { .filename = img, .format = "qcow2",
					   .flags = (i & 1) ? BLK_O_RDWR : 0 };
		if (blk_open(&b, t.e, &o, err, sizeof(err)) == 0) {
			(void)blk_pread(b, 0, buf, sizeof(buf));
			(void)blk_pread(b, (t_rand() % 128) * 65536, buf, 4096);
			if (i & 1)
				(void)blk_pwrite(b, (t_rand() % 128) * 65536, buf, 4096);
			blk_close(b);
		} else {
			CHECK(err[0] != 0);
		}
	}
}

int main(void)
{
	tb_init(&t, AIO_ENGINE_AUTO);
	img = tb_path("bad.qcow2");
	good = tb_path("good.qcow2");
	struct blk_create_opts co = { .format = "qcow2", .size = 8 << 20, .cluster_size = 65536 };
	tb_create(&t, good, &co);
	struct blk *b = tb_open(&t, good, NULL, BLK_O_RDWR);
	uint8_t *data = malloc(2 * cs);
	memset(data, 0x42, 2 * cs);
	CHECK_EQ(blk_pwrite(b, 0, data, 2 * cs), 0);
	free(data);
	CHECK_EQ(blk_close(b), 0);
	uint8_t e[8];
	FILE *f = fopen(good, "r");
	REQUIRE(f && fseek(f, 3 * 65536, SEEK_SET) == 0 && fread(e, 1, 8, f) == 8);
	for (int i = 0; i < 8; i++)
		l2_off = l2_off << 8 | e[i];
	l2_off &= 0x00fffffffffffe00ull;
	REQUIRE(fseek(f, (long)l2_off, SEEK_SET) == 0 && fread(e, 1, 8, f) == 8);
	for (int i = 0; i < 8; i++)
		data_off = data_off << 8 | e[i];
	data_off &= 0x00fffffffffffe00ull;
	fclose(f);
	REQUIRE(l2_off && data_off);
	header_cases();
	entry_cases();
	fuzz();
	tb_fini(&t);
	return t_finish();
}
