/* A chain longer than the queue size (through an indirect table with more
 * entries than the queue has) is refused: NEEDS_RESET. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	struct vt_seg s[10];

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX | F_INDIRECT, 8);
	vt_blk_hdr(&t, &r, BLK_T_IN, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	for (unsigned i = 1; i < 9; i++)
		s[i] = (struct vt_seg){ vt_alloc(&t, 512, 512), 512, D_WRITE };
	s[9] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add_indirect(&t, &t.vq[0], s, 10); /* 1 + 10 descriptors > 8 */
	vt_kick(&t, &t.vq[0]);
	CHECK(vt_needs_reset(&t));
	CHECK_EQ(vt_status(&t, &r), 0xee);
	CHECK(vt_recovers(&t, 8));

	/* Exactly at the bound (1 indirect + 7 entries = 8) is fine. */
	vt_blk_hdr(&t, &r, BLK_T_IN, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[6] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add_indirect(&t, &t.vq[0], s, 7);
	vt_kick(&t, &t.vq[0]);
	CHECK(vt_wait_used(&t, &t.vq[0], 1));
	CHECK_EQ(vt_status(&t, &r), 0);
	CHECK(!(vt_r32(&t, 0x70) & S_NEEDS_RESET));
	vt_free(&t, b);
	return t_finish();
}
