/*
 * raw-bdev.c - raw on a host block device (a loop device over a file in
 * the test directory): size from BLKGETSIZE64, O_DIRECT alignment from
 * the device, random I/O, flush, discard and write-zeroes, a resize that
 * is refused. Skips (77) when loop devices cannot be set up (not root, no
 * loop driver).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static char dev[64];

static void detach(void)
{
	if (dev[0])
		tb_sh("losetup -d %s 2>/dev/null", dev);
}

int main(void)
{
	const char *backing = tb_path("bdev.img");
	uint64_t size = 16 << 20;
	if (tb_sh("truncate -s %llu '%s'", (unsigned long long)size, backing) != 0)
		t_skip("cannot create the loop backing file");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "losetup -f --show '%s' 2>/dev/null", backing);
	FILE *f = popen(cmd, "r");
	if (!f || !fgets(dev, sizeof(dev), f) || strncmp(dev, "/dev/loop", 9)) {
		if (f)
			pclose(f);
		dev[0] = 0;
		t_skip("no loop device (needs root and the loop driver)");
	}
	pclose(f);
	dev[strcspn(dev, "\n")] = 0;
	atexit(detach);
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	for (int direct = 0; direct < 2; direct++) {
		struct blk *b = tb_open(&t, dev, "raw", BLK_O_RDWR | BLK_O_DISCARD |
					(direct ? BLK_O_DIRECT : 0));
		CHECK_EQ(blk_size(b), size);
		if (direct)
			CHECK(blk_align(b) == 512 || blk_align(b) == 4096);
		uint8_t *shadow = calloc(1, size);
		CHECK_EQ(blk_pwrite_zeroes(b, 0, size, 0), 0);
		unsigned align = blk_align(b) > 1 ? blk_align(b) : 512;
		tb_random_io(&t, b, shadow, size, 500, 65536, align);
		CHECK_EQ(blk_flush_sync(b), 0);
		CHECK_EQ(blk_pwrite_zeroes(b, 1 << 20, 1 << 20, BLK_F_MAY_UNMAP), 0);
		memset(shadow + (1 << 20), 0, 1 << 20);
		CHECK_EQ(blk_pwrite_zeroes(b, 4 << 20, 65536, 0), 0);
		memset(shadow + (4 << 20), 0, 65536);
		tb_verify(b, shadow, size);
		char err[256];
		CHECK(blk_truncate(b, size * 2, false, err, sizeof(err)) < 0);
		fprintf(stderr, "resize refused: %s\n", err);
		CHECK_EQ(blk_close(b), 0);
		free(shadow);
	}
	tb_fini(&t);
	return t_finish();
}
