/*
 * qcow2-subcluster.c - writes to images with extended L2 entries (made by
 * qemu-img): a small write into an unallocated cluster allocates only the
 * subclusters it touches (the rest still reads from the backing file);
 * write-zeroes and discard over whole clusters; copy-on-write of clusters
 * shared with a snapshot and of compressed clusters; random concurrent
 * I/O against a shadow copy. Afterwards qemu-img check is clean and
 * qemu-img compare agrees with the shadow, byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { CS = 65536, SC = CS / 32 };

static void status_at(struct blk *b, uint64_t off, uint64_t len, unsigned *flags, int *depth,
		      uint64_t *run)
{
	struct blk_status st;
	CHECK_EQ(blk_block_status(b, off, len, &st), 0);
	*flags = st.flags;
	*depth = st.depth;
	*run = st.len;
}

static void write_shadow(struct blk *b, uint8_t *shadow, uint64_t off, uint64_t len, int seed)
{
	uint8_t *buf;
	REQUIRE(posix_memalign((void **)&buf, 4096, len) == 0);
	for (uint64_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
	memcpy(shadow + off, buf, len);
	CHECK_EQ(blk_pwrite(b, off, buf, len), 0);
	free(buf);
}

int main(void)
{
	if (!tb_have_qemu_img())
		t_skip("qemu-img is needed to make images with extended L2 entries");
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	uint64_t size = 16 << 20;
	const char *base = tb_path("base.raw"), *top = tb_path("top.qcow2");
	uint8_t *shadow = malloc(size);
	REQUIRE(shadow);
	for (uint64_t i = 0; i < size; i++)
		shadow[i] = (uint8_t)(i / 512 * 13 + 1);
	FILE *f = fopen(base, "wb");
	REQUIRE(f && fwrite(shadow, 1, size, f) == size && fclose(f) == 0);
	REQUIRE(tb_sh("qemu-img create -q -f qcow2 -o extended_l2=on,cluster_size=%d "
		      "-b base.raw -F raw '%s'", CS, top) == 0);

	struct blk *b = tb_open(&t, top, NULL, BLK_O_RDWR);
	/* 1. 2 KiB into subcluster 2 of an unallocated cluster: only that
	 * subcluster is allocated, the rest still comes from the backing */
	write_shadow(b, shadow, 3 * CS + 2 * SC + 512, 1024, 11);
	unsigned fl;
	int depth;
	uint64_t run;
	status_at(b, 3 * CS, CS, &fl, &depth, &run);
	CHECK(depth == 1 && run == 2 * SC);
	status_at(b, 3 * CS + 2 * SC, CS - 2 * SC, &fl, &depth, &run);
	CHECK(depth == 0 && (fl & BLK_STATUS_ALLOCATED) && (fl & BLK_STATUS_DATA) && run == SC);
	status_at(b, 3 * CS + 3 * SC, CS - 3 * SC, &fl, &depth, &run);
	CHECK(depth == 1);
	/* 2. another subcluster of the same (now allocated) cluster, and one
	 * spanning two clusters */
	write_shadow(b, shadow, 3 * CS + 30 * SC + 100 * 0, SC + 512, 22);
	write_shadow(b, shadow, 5 * CS - SC / 2, SC, 33);
	tb_verify(b, shadow, size);
	/* 3. write-zeroes over whole clusters hides the backing file; a
	 * partial one writes zeroes */
	CHECK_EQ(blk_pwrite_zeroes(b, 8 * CS, 2 * CS, 0), 0);
	memset(shadow + 8 * CS, 0, 2 * CS);
	CHECK_EQ(blk_pwrite_zeroes(b, 3 * CS + 5 * SC, 3 * SC, 0), 0);
	memset(shadow + 3 * CS + 5 * SC, 0, 3 * SC);
	tb_verify(b, shadow, size);
	/* 4. a compressed cluster, then a partial write into it (whole-cluster
	 * copy-on-write) */
	uint8_t *cbuf = malloc(CS);
	REQUIRE(cbuf);
	memset(cbuf, 0x5a, CS);
	CHECK_EQ(blk_write_compressed(b, 12 * CS, cbuf, CS), 0);
	memcpy(shadow + 12 * CS, cbuf, CS);
	write_shadow(b, shadow, 12 * CS + 7 * SC + 512, 512, 44);
	free(cbuf);
	tb_verify(b, shadow, size);
	/* 5. a snapshot shares every cluster: writes copy them */
	char err[256];
	CHECK_EQ(blk_snapshot_create(b, "s1", 0, err, sizeof(err)), 0);
	write_shadow(b, shadow, 3 * CS + 2 * SC + 1024, 512, 55);
	write_shadow(b, shadow, 5 * CS - SC, 3 * SC, 66);
	tb_verify(b, shadow, size);
	/* 6. many requests in flight */
	tb_random_io(&t, b, shadow, size, 2000, 3 * SC, 512);
	CHECK_EQ(blk_close(b), 0);

	b = tb_open(&t, top, NULL, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	CHECK_EQ(tb_qemu_check(top), 0);
	const char *want = tb_path("want.raw");
	f = fopen(want, "wb");
	REQUIRE(f && fwrite(shadow, 1, size, f) == size && fclose(f) == 0);
	CHECK_EQ(tb_sh("qemu-img compare -q -f raw -F qcow2 '%s' '%s'", want, top), 0);
	/* discard with a backing file: whole clusters read as zeroes */
	struct blk_open_opts o = { .filename = top, .flags = BLK_O_RDWR | BLK_O_DISCARD };
	REQUIRE(blk_open(&b, t.e, &o, err, sizeof(err)) == 0);
	CHECK_EQ(blk_discard_sync(b, 2 * CS, 4 * CS), 0);
	memset(shadow + 2 * CS, 0, 4 * CS);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	CHECK_EQ(tb_qemu_check(top), 0);
	f = fopen(want, "wb");
	REQUIRE(f && fwrite(shadow, 1, size, f) == size && fclose(f) == 0);
	CHECK_EQ(tb_sh("qemu-img compare -q -f raw -F qcow2 '%s' '%s'", want, top), 0);
	free(shadow);
	tb_fini(&t);
	return t_finish();
}
