/* A request as large as SEG_MAX allows (1022 scattered 512-byte segments in
 * one indirect table on the default 1024-entry queue) is written and read
 * back intact, and requests of alternating sizes (the device reuses its
 * request structs) keep their data apart; one segment more than SEG_MAX
 * (a 1025-entry table) is refused with NEEDS_RESET, not served. */
#include "vt.h"

#define NSEG 1022

static struct vt_seg s[NSEG + 3];

/* Header, n segments of 512 bytes at seg[perm(i)], status; via indirect. */
static uint8_t rw(struct vt *t, uint32_t type, uint64_t sector, const uint64_t *seg,
		  unsigned n)
{
	struct vt_breq r;
	uint32_t len;
	uint16_t fl = type == BLK_T_IN ? D_WRITE : 0;

	vt_blk_hdr(t, &r, type, sector);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	for (unsigned i = 0; i < n; i++)
		s[1 + i] = (struct vt_seg){ seg[(i * 5) % n], 512, fl }; /* scattered order */
	s[1 + n] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add_indirect(t, &t->vq[0], s, n + 2);
	vt_kick(t, &t->vq[0]);
	REQUIRE(vt_wait_used(t, &t->vq[0], 1));
	REQUIRE(vt_pop_used(t, &t->vq[0], NULL, &len));
	CHECK_EQ(len, type == BLK_T_IN ? n * 512 + 1 : 1);
	return vt_status(t, &r);
}

int main(void)
{
	struct vt t;
	struct blk *b;
	static uint64_t seg[NSEG];

	vt_init(&t, 4 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	REQUIRE(vt_cfg(&t, 12, 4) == NSEG);
	vt_bringup(&t, F_EVENT_IDX | F_INDIRECT, 1, 1024);
	for (unsigned i = 0; i < NSEG; i++)
		seg[i] = vt_alloc(&t, 512, 8); /* used in a permuted order below */

	for (int round = 0; round < 3; round++) {
		unsigned n = round == 1 ? 3 : NSEG; /* big, small, big: pool reuse */
		uint8_t base = (uint8_t)(0x40 + round);

		for (unsigned i = 0; i < n; i++)
			memset(vt_ptr(&t, seg[(i * 5) % n]), (uint8_t)(base + i), 512);
		CHECK_EQ(rw(&t, BLK_T_OUT, 10, seg, n), 0);
		for (unsigned i = 0; i < n; i++)
			memset(vt_ptr(&t, seg[i]), 0, 512);
		CHECK_EQ(rw(&t, BLK_T_IN, 10, seg, n), 0);
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *p = vt_ptr(&t, seg[(i * 5) % n]);

			if (p[0] != (uint8_t)(base + i) || p[511] != (uint8_t)(base + i)) {
				CHECK(!"segment data misplaced");
				break;
			}
		}
	}

	/* SEG_MAX + 1 data segments: the table has 1025 entries. */
	{
		struct vt_breq r;

		vt_blk_hdr(&t, &r, BLK_T_IN, 0);
		s[0] = (struct vt_seg){ r.hdr, 16, 0 };
		for (unsigned i = 0; i < NSEG + 1; i++)
			s[1 + i] = (struct vt_seg){ seg[i % NSEG], 512, D_WRITE };
		s[NSEG + 2] = (struct vt_seg){ r.status, 1, D_WRITE };
		vt_add_indirect(&t, &t.vq[0], s, NSEG + 3);
		vt_kick(&t, &t.vq[0]);
		CHECK(vt_needs_reset(&t));
		CHECK_EQ(vt_status(&t, &r), 0xee); /* not answered */
	}
	CHECK(vt_recovers(&t, 1024));
	vt_free(&t, b);
	return t_finish();
}
