/* A reset of a device whose status is already 0 while the reactor holds an
 * in-flight token (a hold between its count and its epoch check, made here
 * by hand): the reset is immediate, so status reading 0 means the driver's
 * next writes land. It used to wait for that token, dropping the writes
 * while status already read 0. */
#include "vt.h"
#include "hw/virtio/virtio-int.h"

int main(void)
{
	struct vt t;
	struct blk *b;

	vt_init(&t, 4 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	vt_bringup(&t, F_EVENT_IDX, 1, 64);
	vt_w32(&t, 0x70, 0);
	CHECK_EQ(vt_r32(&t, 0x70), 0);

	atomic_fetch_add(&t.d->inflight, 1); /* the reactor's hold, mid-way */
	vt_w32(&t, 0x70, 0);                 /* the driver resets again */
	CHECK_EQ(vt_r32(&t, 0x70), 0);
	vt_w32(&t, 0x70, S_ACK);
	CHECK_EQ(vt_r32(&t, 0x70), S_ACK);   /* the write was not dropped */
	virtio_put(t.d);                     /* the hold fails and lets go */
	CHECK_EQ(vt_r32(&t, 0x70), S_ACK);   /* and does not reset again */

	CHECK(vt_negotiate(&t, F_EVENT_IDX | F_VERSION_1) & S_FEATURES_OK);
	CHECK_EQ(virtio_mmio_inflight(t.d), 0);
	vt_free(&t, b);
	return t_finish();
}
