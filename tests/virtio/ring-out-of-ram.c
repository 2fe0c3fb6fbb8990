/* Descriptors pointing outside guest RAM (below, above, wrapping past 2^64)
 * put the device in NEEDS_RESET; nothing outside RAM is touched, and a
 * reset brings the device back. */
#include "vt.h"

static void one(struct vt *t, uint64_t addr, uint32_t len)
{
	struct vt_breq r;
	struct vt_seg s[3];

	vt_blk_hdr(t, &r, BLK_T_IN, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[1] = (struct vt_seg){ addr, len, D_WRITE };
	s[2] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add(t, &t->vq[0], s, 3);
	vt_kick(t, &t->vq[0]);
	CHECK(vt_needs_reset(t));
	CHECK_EQ(vt_status(t, &r), 0xee); /* never answered */
	CHECK(vt_recovers(t, 16));
}

int main(void)
{
	struct vt t;
	struct blk *b;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX | F_INDIRECT, 16);
	one(&t, VT_RAM_BASE - 4096, 512);               /* below RAM */
	one(&t, VT_RAM_BASE + (1 << 20), 512);          /* just past the end */
	one(&t, VT_RAM_BASE + (1 << 20) - 256, 512);    /* straddles the end */
	one(&t, 0xfffffffffffff000ull, 0x2000);         /* wraps around 2^64 */
	one(&t, 0, 512);
	vt_free(&t, b);
	return t_finish();
}
