/* QueueNotify only posts to the reactor and returns: nothing is processed
 * on the writing thread, and a burst of notifies before the reactor runs
 * costs one callback (the queue's node is posted once). */
#include "vt.h"

static int run_count(struct vt *t)
{
	int total = 0, n;

	while ((n = loop_run_once(t->loop, 0)) > 0)
		total += n;
	return total;
}

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r;
	uint64_t buf;
	int one, many;

	vt_init(&t, 1 << 20);
	b = vt_blk_dev(&t, F_EVENT_IDX, 16);
	buf = vt_alloc(&t, 512, 512);
	run_count(&t);

	/* Baseline: callbacks for one notify with an empty ring. */
	vt_kick(&t, &t.vq[0]);
	one = run_count(&t);
	CHECK(one >= 1);

	/* 1000 notifies: the same number of callbacks. */
	for (int i = 0; i < 1000; i++)
		vt_kick(&t, &t.vq[0]);
	many = run_count(&t);
	CHECK_EQ(many, one);

	/* A request is not touched until the reactor runs. */
	vt_blk_submit(&t, &t.vq[0], &r, BLK_T_IN, 0, buf, 512);
	vt_kick(&t, &t.vq[0]);
	CHECK_EQ(vt_used_idx(&t, &t.vq[0]), 0);
	CHECK_EQ(vt_status(&t, &r), 0xee);
	CHECK_EQ(virtio_mmio_inflight(t.d), 0);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK_EQ(vt_status(&t, &r), 0);

	/* Out-of-range queue indexes are ignored. */
	vt_w32(&t, 0x50, 7);
	vt_w32(&t, 0x50, 0xffff);
	CHECK_EQ(run_count(&t), 0);
	vt_free(&t, b);
	return t_finish();
}
