/*
 * qcow2-cow-backing.c - backing chains: partial-cluster writes copy the
 * rest of the cluster from the backing file (raw and qcow2 backing, a
 * chain of depth 3), a relative backing path resolves against the image's
 * directory, block status reports the depth, a backing loop is refused
 * with a clear error, and qemu-img agrees with the content.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void fill(uint8_t *p, uint64_t n, uint8_t seed)
{
	for (uint64_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 9));
}

int main(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	uint64_t size = 4 << 20;
	uint8_t *shadow = malloc(size);
	/* base.raw <- mid.qcow2 <- top.qcow2 (relative names) */
	const char *base = tb_path("base.raw"), *mid = tb_path("mid.qcow2"),
		   *top = tb_path("top.qcow2");
	struct blk_create_opts co = { .format = "raw", .size = size };
	tb_create(&t, base, &co);
	struct blk *b = tb_open(&t, base, "raw", BLK_O_RDWR);
	fill(shadow, size, 1);
	CHECK_EQ(blk_pwrite(b, 0, shadow, size), 0);
	CHECK_EQ(blk_close(b), 0);

	co = (struct blk_create_opts){ .format = "qcow2", .backing_file = "base.raw",
				       .backing_fmt = "raw", .cluster_size = 65536 };
	tb_create(&t, mid, &co); /* size 0: taken from the backing file */
	b = tb_open(&t, mid, NULL, BLK_O_RDWR);
	CHECK_EQ(blk_size(b), size);
	CHECK(blk_backing(b) != NULL);
	uint8_t buf[8192];
	fill(buf, sizeof(buf), 99);
	CHECK_EQ(blk_pwrite(b, 65536 + 1000, buf, 3000), 0); /* COW head and tail */
	memcpy(shadow + 65536 + 1000, buf, 3000);
	CHECK_EQ(blk_close(b), 0);

	co.backing_file = "mid.qcow2";
	co.backing_fmt = NULL; /* probed */
	tb_create(&t, top, &co);
	b = tb_open(&t, top, NULL, BLK_O_RDWR);
	CHECK_EQ(blk_size(b), size);
	CHECK_EQ(blk_pwrite(b, 3 * 65536 - 512, buf, 1024), 0); /* spans two clusters */
	memcpy(shadow + 3 * 65536 - 512, buf, 1024);
	tb_random_io(&t, b, shadow, size, 300, 20000, 512);
	tb_verify(b, shadow, size);
	struct blk_status st;
	CHECK_EQ(blk_block_status(b, 65536, 65536, &st), 0);
	CHECK_EQ(st.depth >= 0, 1);
	CHECK_EQ(blk_close(b), 0);

	/* a fresh overlay: unwritten areas come from depth 2 (the raw base) */
	const char *top2 = tb_path("top2.qcow2");
	co.backing_file = "top.qcow2";
	tb_create(&t, top2, &co);
	b = tb_open(&t, top2, NULL, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_block_status(b, 0, 65536, &st), 0);
	CHECK(!(st.flags & BLK_STATUS_ALLOCATED));
	CHECK(st.depth >= 1);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_qemu_check(top), 0);
		CHECK_EQ(tb_qemu_check(mid), 0);
		const char *out = tb_path("out.raw");
		CHECK_EQ(tb_sh("qemu-img convert -U -O raw '%s' '%s'", top2, out), 0);
		FILE *f = fopen(out, "r");
		uint8_t *cmp = malloc(size);
		CHECK(f && fread(cmp, 1, size, f) == size && !memcmp(cmp, shadow, size));
		if (f)
			fclose(f);
		free(cmp);
	}

	/* a loop: a.qcow2 -> b.qcow2 -> a.qcow2 */
	const char *la = tb_path("la.qcow2"), *lb = tb_path("lb.qcow2");
	co = (struct blk_create_opts){ .format = "qcow2", .size = size };
	tb_create(&t, la, &co);
	co.backing_file = "la.qcow2";
	co.backing_fmt = "qcow2";
	tb_create(&t, lb, &co);
	b = tb_open(&t, la, NULL, BLK_O_RDWR);
	CHECK_EQ(blk_change_backing(b, "lb.qcow2", "qcow2"), 0);
	CHECK_EQ(blk_close(b), 0);
	struct blk_open_opts oo = { .filename = lb };
	char err[512] = "";
	struct blk *bad = NULL;
	CHECK(blk_open(&bad, t.e, &oo, err, sizeof(err)) == -ELOOP);
	CHECK(strstr(err, "loop") != NULL);
	fprintf(stderr, "loop refused: %s\n", err);
	free(shadow);
	tb_fini(&t);
	return t_finish();
}
