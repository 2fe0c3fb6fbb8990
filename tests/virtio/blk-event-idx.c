/* VIRTIO_F_EVENT_IDX: the device interrupts only when the used index
 * passes the driver's used_event, and publishes avail_event (= the next
 * avail index it wants to hear about) after draining. */
#include "vt.h"

static void rd(struct vt *t, struct vt_breq *r, uint64_t buf)
{
	vt_blk_submit(t, &t->vq[0], r, BLK_T_IN, 0, buf, 512);
}

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r[8];
	struct vt_vq *q;
	uint64_t buf;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX, 64);
	q = &t.vq[0];
	buf = vt_alloc(&t, 512, 512);

	/* used_event = 3: completions 1..3 stay quiet, the 4th (idx 3->4) rings. */
	vt_set_used_event(&t, q, 3);
	for (int i = 0; i < 3; i++) {
		rd(&t, &r[i], buf);
		vt_kick(&t, q);
		REQUIRE(vt_wait_used(&t, q, 1));
		vt_pop_used(&t, q, NULL, NULL);
		vt_run(&t, 2);
		CHECK_EQ(t.irq_raises, 0);
		CHECK_EQ(vt_r32(&t, 0x60), 0);
		/* The device asks to be notified at the next avail index. */
		CHECK_EQ(vt_avail_event(&t, q), i + 1);
	}
	rd(&t, &r[3], buf);
	vt_kick(&t, q);
	REQUIRE(vt_wait_used(&t, q, 1));
	vt_pop_used(&t, q, NULL, NULL);
	vt_run(&t, 2);
	CHECK_EQ(t.irq_raises, 1);
	CHECK_EQ(vt_r32(&t, 0x60), 1);
	vt_w32(&t, 0x64, 1);

	/* used_event far behind (already passed): no interrupt. */
	vt_set_used_event(&t, q, 1);
	rd(&t, &r[4], buf);
	vt_kick(&t, q);
	REQUIRE(vt_wait_used(&t, q, 1));
	vt_pop_used(&t, q, NULL, NULL);
	vt_run(&t, 2);
	CHECK_EQ(t.irq_raises, 1);

	/* used_event = current used idx (5): the next completion rings. Two
	 * requests in one batch give one interrupt. */
	vt_set_used_event(&t, q, 5);
	rd(&t, &r[5], buf);
	rd(&t, &r[6], buf);
	vt_kick(&t, q);
	REQUIRE(vt_wait_used(&t, q, 2));
	vt_pop_used(&t, q, NULL, NULL);
	vt_pop_used(&t, q, NULL, NULL);
	vt_run(&t, 2);
	CHECK_EQ(t.irq_raises, 2);
	CHECK_EQ(vt_avail_event(&t, q), 7);
	vt_free(&t, b);
	return t_finish();
}
