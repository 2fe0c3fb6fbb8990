/* A descriptor chain that loops (0 -> 1 -> 0, and a self-loop) is caught
 * by the chain-length bound: NEEDS_RESET, no hang. */
#include "vt.h"

static void loop_chain(struct vt *t, unsigned a, unsigned b)
{
	uint8_t *table = vt_ptr(t, t->vq[0].desc);
	uint64_t buf = vt_alloc(t, 512, 512);

	vt_put_desc(table, a, buf, 16, D_NEXT, (uint16_t)b);
	vt_put_desc(table, b, buf, 16, D_NEXT, (uint16_t)a);
	vt_publish(t, &t->vq[0], (uint16_t)a);
	vt_kick(t, &t->vq[0]);
	CHECK(vt_needs_reset(t));
	CHECK(vt_recovers(t, 8));
}

int main(void)
{
	struct vt t;
	struct blk *b;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX, 8);
	loop_chain(&t, 0, 1);
	loop_chain(&t, 3, 3);
	vt_free(&t, b);
	return t_finish();
}
