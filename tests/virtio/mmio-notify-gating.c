/* QueueNotify (which takes no device lock) only starts work on a live
 * device: before DRIVER_OK and after a reset a notify is ignored, a notify
 * for a queue the device does not have is ignored, and DRIVER_OK itself
 * picks up buffers made available earlier. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	struct vt_vq *q;
	uint64_t buf;

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	buf = vt_alloc(&t, 512, 512);

	/* Queue ready, request available, but no DRIVER_OK yet. */
	REQUIRE(vt_negotiate(&t, F_VERSION_1 | F_EVENT_IDX) & S_FEATURES_OK);
	q = vt_queue(&t, 0, 16);
	vt_blk_submit(&t, q, &r, BLK_T_IN, 1, buf, 512);
	vt_kick(&t, q);
	vt_w32(&t, 0x50, 7); /* no such queue */
	vt_run(&t, 5);
	CHECK_EQ(vt_used_idx(&t, q), 0);
	CHECK_EQ(vt_status(&t, &r), 0xee);

	/* DRIVER_OK: the request made available before it is served. */
	vt_driver_ok(&t);
	REQUIRE(vt_wait_used(&t, q, 1));
	CHECK(vt_pop_used(&t, q, NULL, NULL));
	CHECK_EQ(vt_status(&t, &r), 0);
	CHECK_EQ(((uint8_t *)vt_ptr(&t, buf))[0], (uint8_t)(512 * 7 + 3));

	/* After a reset the old ring is dead: a notify must not touch it. */
	vt_w32(&t, 0x70, 0);
	REQUIRE(vt_r32(&t, 0x70) == 0);
	vt_blk_submit(&t, q, &r, BLK_T_IN, 2, buf, 512);
	vt_kick(&t, q);
	vt_run(&t, 5);
	CHECK_EQ(vt_used_idx(&t, q), 1);
	CHECK_EQ(vt_status(&t, &r), 0xee);
	CHECK_EQ(vt_r32(&t, 0x70), 0);

	/* And the device still works after a fresh bring-up. */
	CHECK(vt_recovers(&t, 16));
	vt_free(&t, b);
	return t_finish();
}
