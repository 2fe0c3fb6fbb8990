/* Without EVENT_IDX: VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the interrupt,
 * clearing it brings interrupts back; the device leaves
 * VIRTQ_USED_F_NO_NOTIFY clear once it has drained the ring. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r[2];
	struct vt_vq *q;
	uint64_t buf;
	uint16_t one = 1, zero = 0;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, 0, 16);
	q = &t.vq[0];
	buf = vt_alloc(&t, 512, 512);

	memcpy(vt_ptr(&t, q->avail), &one, 2);
	vt_blk_submit(&t, q, &r[0], BLK_T_IN, 0, buf, 512);
	vt_kick(&t, q);
	REQUIRE(vt_wait_used(&t, q, 1));
	vt_pop_used(&t, q, NULL, NULL);
	vt_run(&t, 2);
	CHECK_EQ(t.irq_raises, 0);
	CHECK_EQ(vt_status(&t, &r[0]), 0);
	CHECK_EQ(*(uint16_t *)vt_ptr(&t, q->used), 0); /* NO_NOTIFY clear */

	memcpy(vt_ptr(&t, q->avail), &zero, 2);
	vt_blk_submit(&t, q, &r[1], BLK_T_IN, 0, buf, 512);
	vt_kick(&t, q);
	REQUIRE(vt_wait_used(&t, q, 1));
	vt_run(&t, 2);
	CHECK_EQ(t.irq_raises, 1);
	CHECK_EQ(vt_r32(&t, 0x60), 1);
	vt_free(&t, b);
	return t_finish();
}
