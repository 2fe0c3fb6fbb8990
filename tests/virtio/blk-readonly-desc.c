/* Direction rules: an IN whose data buffer is device-readable gets IOERR
 * and the buffer is not written; a readable descriptor after a writable
 * one is a ring error (NEEDS_RESET); a chain with no writable status byte
 * is returned with length 0. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	struct vt_seg s[3];
	uint64_t buf;
	uint32_t len;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX, 16);
	buf = vt_alloc(&t, 512, 512);
	memset(vt_ptr(&t, buf), 0x11, 512);

	vt_blk_hdr(&t, &r, BLK_T_IN, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[1] = (struct vt_seg){ buf, 512, 0 }; /* should be D_WRITE */
	s[2] = (struct vt_seg){ r.status, 1, D_WRITE };
	vt_add(&t, &t.vq[0], s, 3);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(vt_status(&t, &r), 1); /* IOERR */
	CHECK_EQ(len, 1);
	CHECK_EQ(((uint8_t *)vt_ptr(&t, buf))[0], 0x11);
	CHECK_EQ(((uint8_t *)vt_ptr(&t, buf))[511], 0x11);

	/* Status byte not writable: no answer possible, used len 0. */
	vt_blk_hdr(&t, &r, BLK_T_FLUSH, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[1] = (struct vt_seg){ r.status, 1, 0 };
	vt_add(&t, &t.vq[0], s, 2);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 0);
	CHECK_EQ(vt_status(&t, &r), 0xee);

	/* Readable after writable breaks the ring rules. */
	vt_blk_hdr(&t, &r, BLK_T_IN, 0);
	s[0] = (struct vt_seg){ r.hdr, 16, 0 };
	s[1] = (struct vt_seg){ r.status, 1, D_WRITE };
	s[2] = (struct vt_seg){ buf, 512, 0 };
	vt_add(&t, &t.vq[0], s, 3);
	vt_kick(&t, &t.vq[0]);
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));
	vt_free(&t, b);
	return t_finish();
}
