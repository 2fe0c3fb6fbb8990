/* Bad indirect tables: size not a multiple of 16, empty, outside RAM,
 * nested, INDIRECT with NEXT, indirect when not negotiated, next index
 * beyond the table. Each: NEEDS_RESET, then the device recovers. */
#include "vt.h"

static uint64_t g_hdr, g_buf, g_st;

/* A valid 3-entry table in guest RAM. */
static uint64_t table3(struct vt *t)
{
	uint64_t tab = vt_alloc(t, 48, 16);

	vt_put_desc(vt_ptr(t, tab), 0, g_hdr, 16, D_NEXT, 1);
	vt_put_desc(vt_ptr(t, tab), 1, g_buf, 512, D_WRITE | D_NEXT, 2);
	vt_put_desc(vt_ptr(t, tab), 2, g_st, 1, D_WRITE, 0);
	return tab;
}

static void submit_head(struct vt *t, uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	unsigned head = vt_take_desc(&t->vq[0]);

	vt_put_desc(vt_ptr(t, t->vq[0].desc), head, addr, len, flags, next);
	vt_publish(t, &t->vq[0], (uint16_t)head);
	vt_kick(t, &t->vq[0]);
}

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	uint64_t tab, outer;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX | F_INDIRECT, 16);
	vt_blk_hdr(&t, &r, BLK_T_IN, 0);
	g_hdr = r.hdr;
	g_st = r.status;
	g_buf = vt_alloc(&t, 512, 512);

	submit_head(&t, table3(&t), 40, D_INDIRECT, 0);        /* not /16 */
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));

	submit_head(&t, table3(&t), 0, D_INDIRECT, 0);         /* empty */
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));

	submit_head(&t, VT_RAM_BASE + (1 << 20) - 32, 48, D_INDIRECT, 0); /* past RAM */
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));

	tab = table3(&t);                                      /* nested */
	outer = vt_alloc(&t, 16, 16);
	vt_put_desc(vt_ptr(&t, outer), 0, tab, 48, D_INDIRECT, 0);
	submit_head(&t, outer, 16, D_INDIRECT, 0);
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));

	submit_head(&t, table3(&t), 48, D_INDIRECT | D_NEXT, 1); /* with NEXT */
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));

	tab = table3(&t);                                      /* next past table */
	vt_put_desc(vt_ptr(&t, tab), 1, g_buf, 512, D_WRITE | D_NEXT, 7);
	submit_head(&t, tab, 48, D_INDIRECT, 0);
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));

	/* Indirect without negotiating VIRTIO_F_INDIRECT_DESC. */
	vt_w32(&t, 0x70, 0);
	vt_bringup(&t, F_EVENT_IDX, 1, 16);
	submit_head(&t, table3(&t), 48, D_INDIRECT, 0);
	CHECK(vt_needs_reset(&t));
	CHECK(vt_recovers(&t, 16));

	/* And a good one works. */
	*(uint8_t *)vt_ptr(&t, g_st) = 0xee;
	submit_head(&t, table3(&t), 48, D_INDIRECT, 0);
	CHECK(vt_wait_used(&t, &t.vq[0], 1));
	CHECK_EQ(*(uint8_t *)vt_ptr(&t, g_st), 0);
	vt_free(&t, b);
	return t_finish();
}
