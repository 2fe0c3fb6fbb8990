/* VIRTIO_BLK_F_MQ: num_queues in config; requests on every queue complete
 * on the queue they came from (one reactor serves all). */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct virtio_blk_conf conf = { .num_queues = 4 };
	struct vt_breq r[4][3];
	uint64_t buf;

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, &conf) == 0);
	CHECK(vt_dev_features(&t) & (1ull << 12));
	CHECK_EQ(vt_cfg(&t, 34, 2), 4);
	vt_bringup(&t, F_EVENT_IDX | (1ull << 12), 4, 16);
	buf = vt_alloc(&t, 4 * 3 * 512, 512);
	for (int qi = 0; qi < 4; qi++) {
		for (int i = 0; i < 3; i++)
			vt_blk_submit(&t, &t.vq[qi], &r[qi][i], BLK_T_IN, qi * 3 + i,
				      buf + 512 * (qi * 3 + i), 512);
		vt_kick(&t, &t.vq[qi]);
	}
	for (int qi = 0; qi < 4; qi++) {
		CHECK(vt_wait_used(&t, &t.vq[qi], 3));
		for (int i = 0; i < 3; i++) {
			uint32_t id;

			CHECK(vt_pop_used(&t, &t.vq[qi], &id, NULL));
			CHECK_EQ(vt_status(&t, &r[qi][i]), 0);
			CHECK_EQ(((uint8_t *)vt_ptr(&t, buf))[512 * (qi * 3 + i)],
				 (uint8_t)(512 * (qi * 3 + i) * 7 + 3));
		}
	}
	vt_free(&t, b);
	return t_finish();
}
