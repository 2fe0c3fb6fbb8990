/* Feature negotiation and the status state machine of the MMIO transport:
 * identity registers, FEATURES_OK refused for unoffered features or without
 * VERSION_1, DRIVER_OK needs FEATURES_OK, reset reads back 0. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	uint64_t f;

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);

	CHECK_EQ(vt_r32(&t, 0x000), 0x74726976);
	CHECK_EQ(vt_r32(&t, 0x004), 2);
	CHECK_EQ(vt_r32(&t, 0x008), 2);
	CHECK_EQ(vt_r32(&t, 0x070), 0);
	f = vt_dev_features(&t);
	CHECK(f & F_VERSION_1);
	CHECK(f & F_EVENT_IDX);
	CHECK(f & F_INDIRECT);
	CHECK(f & (1ull << 9));  /* FLUSH */
	CHECK(!(f & (1ull << 5))); /* not RO */
	vt_w32(&t, 0x030, 0);
	CHECK_EQ(vt_r32(&t, 0x034), 1024); /* default queue size */
	CHECK_EQ(vt_cfg(&t, 12, 4), 1022);  /* seg_max: the queue minus header, status */
	vt_w32(&t, 0x030, 1);
	CHECK_EQ(vt_r32(&t, 0x034), 0); /* no queue 1 */
	CHECK_EQ(vt_cfg(&t, 0, 8), (1 << 20) / 512); /* capacity */

	/* Without VERSION_1: FEATURES_OK does not stick. */
	CHECK(!(vt_negotiate(&t, F_EVENT_IDX) & S_FEATURES_OK));
	/* A feature the device did not offer: refused too. */
	vt_w32(&t, 0x70, 0);
	vt_w32(&t, 0x70, S_ACK | S_DRIVER);
	vt_w32(&t, 0x24, 1);
	vt_w32(&t, 0x20, 1 | (1u << 2)); /* VERSION_1 | RING_PACKED */
	vt_w32(&t, 0x70, S_ACK | S_DRIVER | S_FEATURES_OK);
	CHECK(!(vt_r32(&t, 0x70) & S_FEATURES_OK));
	/* DRIVER_OK without FEATURES_OK is ignored. */
	vt_w32(&t, 0x70, S_ACK | S_DRIVER | S_DRIVER_OK);
	CHECK(!(vt_r32(&t, 0x70) & S_DRIVER_OK));

	/* A proper negotiation. */
	CHECK(vt_negotiate(&t, F_VERSION_1 | F_EVENT_IDX) & S_FEATURES_OK);
	/* Features are frozen after FEATURES_OK. */
	vt_w32(&t, 0x24, 0);
	vt_w32(&t, 0x20, 0);
	vt_queue(&t, 0, 128);
	vt_driver_ok(&t);
	CHECK_EQ(vt_r32(&t, 0x70), S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	vt_w32(&t, 0x030, 0);
	CHECK_EQ(vt_r32(&t, 0x044), 1);

	/* A request works, proving the negotiated state is live. */
	struct vt_breq r;
	uint64_t buf = vt_alloc(&t, 512, 512);

	vt_blk_submit(&t, &t.vq[0], &r, BLK_T_IN, 0, buf, 512);
	vt_kick(&t, &t.vq[0]);
	CHECK(vt_wait_used(&t, &t.vq[0], 1));
	CHECK_EQ(vt_status(&t, &r), 0);

	/* Reset with nothing in flight: status reads 0 at once, queue unready. */
	vt_w32(&t, 0x70, 0);
	CHECK_EQ(vt_r32(&t, 0x70), 0);
	vt_w32(&t, 0x030, 0);
	CHECK_EQ(vt_r32(&t, 0x044), 0);
	CHECK_EQ(t.irq_level, 0);

	vt_free(&t, b);
	return t_finish();
}
