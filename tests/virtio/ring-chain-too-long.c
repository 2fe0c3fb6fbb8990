/* Chain length bounds: an indirect table may hold more entries than the
 * queue (Linux does that), up to 1024; a bigger table, or a loop inside an
 * indirect table, is refused with NEEDS_RESET. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	static struct vt_seg s[1100];
	uint64_t data;

	vt_init(&t, 2 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX | F_INDIRECT, 8);
	data = vt_alloc(&t, 512 * 16, 512);

	/* 18 entries (header, 16 data, status) in an 8-entry queue: fine. */
	vt_blk_hdr(&t, &r, BLK_T_IN, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	for (unsigned i = 1; i <= 16; i++)
		s[i] = (struct vt_seg){ data + 512 * (i - 1), 512, D_WRITE };
	s[17] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add_indirect(&t, &t.vq[0], s, 18);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, NULL));
	CHECK_EQ(vt_status(&t, &r), 0);
	CHECK_EQ(((uint8_t *)vt_ptr(&t, data))[512 * 15], (uint8_t)(512 * 15 * 7 + 3));

	/* 1025 entries: too many. */
	vt_blk_hdr(&t, &r, BLK_T_IN, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	for (unsigned i = 1; i < 1024; i++)
		s[i] = (struct vt_seg){ data, 1, D_WRITE };
	s[1024] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add_indirect(&t, &t.vq[0], s, 1025);
	vt_kick(&t, &t.vq[0]);
	CHECK(vt_needs_reset(&t));
	CHECK_EQ(vt_status(&t, &r), 0xee);
	CHECK(vt_recovers(&t, 8));

	/* A loop inside an indirect table (entry 2 -> 1). */
	vt_blk_hdr(&t, &r, BLK_T_IN, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[1] = (struct vt_seg){ data, 512, D_WRITE };
	s[2] = (struct vt_seg){ data, 512, D_WRITE };
	s[3] = (struct vt_seg){ r.status, 1, D_WRITE };
	{
		unsigned head = vt_take_desc(&t.vq[0]);
		uint64_t tab = vt_alloc(&t, 64, 16);

		for (unsigned i = 0; i < 4; i++)
			vt_put_desc(vt_ptr(&t, tab), i, s[i].addr, s[i].len, s[i].flags | D_NEXT,
				    i == 2 ? 1 : i + 1);
		vt_put_desc(vt_ptr(&t, t.vq[0].desc), head, tab, 64, D_INDIRECT, 0);
		vt_publish(&t, &t.vq[0], (uint16_t)head);
	}
	vt_kick(&t, &t.vq[0]);
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 8));
	vt_free(&t, b);
	return t_finish();
}
