/* virtio-blk round trip on a qcow2 image: writes across cluster boundaries
 * (allocation), flush, read back through the device and through a fresh
 * blk_open of the image. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r[3];
	char path[4096], err[512];
	struct blk_create_opts co = { .format = "qcow2", .size = 4 << 20, .cluster_size = 4096 };
	struct blk_open_opts oo = { .format = "qcow2", .flags = BLK_O_RDWR };
	uint64_t wbuf, rbuf;
	uint8_t check[12288];
	int rc;

	vt_init(&t, 1 << 20);
	snprintf(path, sizeof(path), "%s/disk.qcow2", t_tmpdir());
	rc = blk_create(path, &co, t.eng, err, sizeof(err));
	if (rc == -ENOSYS || rc == -EOPNOTSUPP)
		t_skip("qcow2 is not implemented yet");
	REQUIRE(rc == 0);
	oo.filename = path;
	REQUIRE(blk_open(&b, t.eng, &oo, err, sizeof(err)) == 0);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	CHECK_EQ(vt_cfg(&t, 0, 8), (4 << 20) / 512);
	vt_bringup(&t, F_EVENT_IDX | F_INDIRECT, 1, 16);

	wbuf = vt_alloc(&t, 12288, 4096);
	rbuf = vt_alloc(&t, 12288, 4096);
	for (unsigned i = 0; i < 12288; i++)
		((uint8_t *)vt_ptr(&t, wbuf))[i] = (uint8_t)(i * 13 + 1);
	/* 12 KiB at sector 5: straddles four 4 KiB clusters. */
	vt_blk_submit(&t, &t.vq[0], &r[0], BLK_T_OUT, 5, wbuf, 12288);
	vt_blk_submit(&t, &t.vq[0], &r[1], BLK_T_FLUSH, 0, 0, 0);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 2));
	vt_pop_used(&t, &t.vq[0], NULL, NULL);
	vt_pop_used(&t, &t.vq[0], NULL, NULL);
	CHECK_EQ(vt_status(&t, &r[0]), 0);
	CHECK_EQ(vt_status(&t, &r[1]), 0);
	vt_blk_submit(&t, &t.vq[0], &r[2], BLK_T_IN, 5, rbuf, 12288);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	vt_pop_used(&t, &t.vq[0], NULL, NULL);
	CHECK_EQ(vt_status(&t, &r[2]), 0);
	CHECK(memcmp(vt_ptr(&t, rbuf), vt_ptr(&t, wbuf), 12288) == 0);
	virtio_mmio_free(t.d);
	t.d = NULL;
	CHECK_EQ(blk_close(b), 0);

	REQUIRE(blk_open(&b, t.eng, &oo, err, sizeof(err)) == 0);
	CHECK_EQ(blk_pread(b, 5 * 512, check, sizeof(check)), 0);
	CHECK(memcmp(check, vt_ptr(&t, wbuf), sizeof(check)) == 0);
	CHECK_EQ(blk_pread(b, 0, check, 512), 0);
	CHECK_EQ(check[0], 0); /* unallocated area reads zero */
	blk_close(b);
	vt_free(&t, NULL);
	return t_finish();
}
