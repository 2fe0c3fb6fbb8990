/* Indirect descriptors: a read and a write whose data is split over many
 * segments of an indirect table (header and status inside the table too). */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	struct vt_seg s[10];
	uint64_t seg[8];
	uint32_t len;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX | F_INDIRECT, 16);
	for (int i = 0; i < 8; i++)
		seg[i] = vt_alloc(&t, 512, 8);

	/* Write 8 sectors at 100 from 8 separate 512-byte segments. */
	vt_blk_hdr(&t, &r, BLK_T_OUT, 100);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	for (int i = 0; i < 8; i++) {
		memset(vt_ptr(&t, seg[i]), 0x30 + i, 512);
		s[1 + i] = (struct vt_seg){ seg[i], 512, 0 };
	}
	s[9] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add_indirect(&t, &t.vq[0], s, 10);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 1);
	CHECK_EQ(vt_status(&t, &r), 0);

	/* Read them back into segments of odd sizes (200 + 312 ... ). */
	uint64_t big = vt_alloc(&t, 4096, 8);
	vt_blk_hdr(&t, &r, BLK_T_IN, 100);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[1] = (struct vt_seg){ big, 200, D_WRITE };
	s[2] = (struct vt_seg){ big + 200, 3000, D_WRITE };
	s[3] = (struct vt_seg){ big + 3200, 896, D_WRITE };
	s[4] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add_indirect(&t, &t.vq[0], s, 5);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 4097);
	CHECK_EQ(vt_status(&t, &r), 0);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(((uint8_t *)vt_ptr(&t, big))[i * 512 + 77], 0x30 + i);
	vt_free(&t, b);
	return t_finish();
}
