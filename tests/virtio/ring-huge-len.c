/* A descriptor with a huge length (4 GiB - 1) at a valid address is
 * refused (NEEDS_RESET), not read or written past guest RAM. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	uint64_t buf;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX, 16);
	buf = vt_alloc(&t, 4096, 4096);
	/* OUT: the device would read 4 GiB from guest RAM. */
	vt_blk_submit(&t, &t.vq[0], &r, BLK_T_OUT, 0, buf, 0xffffffffu);
	vt_kick(&t, &t.vq[0]);
	CHECK(vt_needs_reset(&t));
	CHECK_EQ(vt_status(&t, &r), 0xee);
	CHECK(vt_recovers(&t, 16));
	/* IN: the device would write 4 GiB. */
	vt_blk_submit(&t, &t.vq[0], &r, BLK_T_IN, 0, buf, 0xfffffe00u);
	vt_kick(&t, &t.vq[0]);
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));
	vt_free(&t, b);
	return t_finish();
}
