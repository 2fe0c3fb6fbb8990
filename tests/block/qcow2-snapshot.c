/*
 * qcow2-snapshot.c - internal snapshots: create (with VM state), list,
 * writes after a snapshot copy-on-write, apply reverts the disk and brings
 * back the VM state, delete frees what only the snapshot held; qemu-img
 * check is clean at each step and qemu-img snapshot -l sees our snapshots
 * (with their VM state size); a snapshot qemu-img made can be applied.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void fill(uint8_t *p, uint64_t n, uint8_t seed)
{
	for (uint64_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 13 + (i >> 10));
}

static void check_clean(const char *p)
{
	if (tb_have_qemu_img())
		CHECK_EQ(tb_qemu_check(p), 0);
}

int main(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("s.qcow2");
	uint64_t size = 8 << 20;
	struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = 65536 };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR);
	uint8_t *a = malloc(size), *c = malloc(size), *buf = malloc(size);
	fill(a, size, 1);
	CHECK_EQ(blk_pwrite(b, 0, a, size), 0);
	char err[512];
	uint8_t vm[100000];
	fill(vm, sizeof(vm), 7);
	CHECK_EQ(blk_vmstate_write(b, 0, vm, sizeof(vm)), 0);
	CHECK_EQ(blk_snapshot_create(b, "first", sizeof(vm), err, sizeof(err)), 0);
	CHECK(blk_snapshot_create(b, "first", 0, err, sizeof(err)) < 0); /* duplicate */
	/* overwrite half: COW of clusters shared with the snapshot */
	memcpy(c, a, size);
	fill(c + 4096, size / 2, 2);
	CHECK_EQ(blk_pwrite(b, 4096, c + 4096, size / 2), 0);
	CHECK_EQ(blk_pread(b, 0, buf, size), 0);
	CHECK(!memcmp(buf, c, size));
	CHECK_EQ(blk_snapshot_create(b, "second", 0, err, sizeof(err)), 0);
	struct blk_snapshot sn[4];
	CHECK_EQ(blk_snapshot_list(b, sn, 4), 2);
	CHECK(!strcmp(sn[0].name, "first") && !strcmp(sn[1].name, "second"));
	CHECK_EQ(sn[0].vm_state_size, sizeof(vm));
	CHECK_EQ(sn[0].disk_size, size);
	CHECK_EQ(blk_close(b), 0);
	check_clean(p);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_sh("qemu-img snapshot -l '%s' | grep -q first", p), 0);
		CHECK_EQ(tb_sh("qemu-img snapshot -l '%s' | grep first | grep -Eq '97.7 KiB|98 KiB'",
			       p), 0);
		/* qemu-img reads our snapshot's disk content */
		const char *out = tb_path("first.raw");
		CHECK_EQ(tb_sh("qemu-img convert -U -f qcow2 -O raw -l snapshot.name=first '%s' "
			       "'%s'", p, out), 0);
		FILE *f = fopen(out, "r");
		CHECK(f && fread(buf, 1, size, f) == size && !memcmp(buf, a, size));
		if (f)
			fclose(f);
	}

	b = tb_open(&t, p, NULL, BLK_O_RDWR);
	CHECK_EQ(blk_snapshot_apply(b, "first", err, sizeof(err)), 0);
	CHECK_EQ(blk_pread(b, 0, buf, size), 0);
	CHECK(!memcmp(buf, a, size));
	uint8_t vm2[sizeof(vm)];
	CHECK_EQ(blk_vmstate_read(b, 0, vm2, sizeof(vm2)), 0);
	CHECK(!memcmp(vm, vm2, sizeof(vm)));
	/* write after apply, then go to the second snapshot by id */
	CHECK_EQ(blk_pwrite(b, 0, c, 65536), 0);
	CHECK_EQ(blk_snapshot_apply(b, "2", err, sizeof(err)), 0);
	CHECK_EQ(blk_pread(b, 0, buf, size), 0);
	CHECK(!memcmp(buf, c, size));
	CHECK_EQ(blk_snapshot_delete(b, "first", err, sizeof(err)), 0);
	CHECK(blk_snapshot_delete(b, "nonexistent", err, sizeof(err)) == -ENOENT);
	CHECK_EQ(blk_snapshot_list(b, sn, 4), 1);
	CHECK_EQ(blk_close(b), 0);
	check_clean(p);
	b = tb_open(&t, p, NULL, BLK_O_RDWR);
	CHECK_EQ(blk_snapshot_delete(b, "second", err, sizeof(err)), 0);
	CHECK_EQ(blk_pread(b, 0, buf, size), 0);
	CHECK(!memcmp(buf, c, size));
	CHECK_EQ(blk_close(b), 0);
	check_clean(p);

	/* many snapshots, interleaved with writes */
	b = tb_open(&t, p, NULL, BLK_O_RDWR);
	static uint8_t c4[65536];
	CHECK_EQ(blk_pread(b, 4 * 65536, c4, 65536), 0);
	for (int i = 0; i < 20; i++) {
		char name[16];
		snprintf(name, sizeof(name), "n%d", i);
		fill(buf, 65536, (uint8_t)i);
		CHECK_EQ(blk_pwrite(b, (uint64_t)i * 65536, buf, 65536), 0);
		CHECK_EQ(blk_snapshot_create(b, name, 0, err, sizeof(err)), 0);
	}
	CHECK_EQ(blk_snapshot_apply(b, "n3", err, sizeof(err)), 0);
	CHECK_EQ(blk_pread(b, 3 * 65536, buf, 65536), 0);
	fill(c, 65536, 3);
	CHECK(!memcmp(buf, c, 65536));
	CHECK_EQ(blk_pread(b, 4 * 65536, buf, 65536), 0);
	CHECK(!memcmp(buf, c4, 65536)); /* n4's data was written after n3 */
	CHECK_EQ(blk_close(b), 0);
	check_clean(p);

	/* a snapshot qemu-img created is applied by us */
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_sh("qemu-img snapshot -c qemu_snap '%s'", p), 0);
		b = tb_open(&t, p, NULL, BLK_O_RDWR);
		CHECK_EQ(blk_pread(b, 0, c, size), 0);
		fill(buf, size, 9);
		CHECK_EQ(blk_pwrite(b, 0, buf, size), 0);
		CHECK_EQ(blk_snapshot_apply(b, "qemu_snap", err, sizeof(err)), 0);
		CHECK_EQ(blk_pread(b, 0, buf, size), 0);
		CHECK(!memcmp(buf, c, size));
		CHECK_EQ(blk_close(b), 0);
		check_clean(p);
		CHECK_EQ(tb_sh("qemu-img snapshot -a n5 '%s'", p), 0);
		check_clean(p);
	}
	free(a);
	free(c);
	free(buf);
	tb_fini(&t);
	return t_finish();
}
