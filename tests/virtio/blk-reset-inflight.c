/* A reset written while requests are in flight completes asynchronously:
 * status keeps reading non-zero until they drained, then reads 0; the old
 * requests never write the used ring or raise an interrupt afterwards. */
#include "vt.h"

static unsigned seen_inflight;
static uint32_t status_after_reset, status_after_ack;

static void probe(void *arg)
{
	struct vt *t = arg;

	seen_inflight = virtio_mmio_inflight(t->d);
	vt_w32(t, 0x70, 0);
	status_after_reset = vt_r32(t, 0x70);
	/* Poison the used ring: nothing of the old epoch may write it now. */
	memset(vt_ptr(t, t->vq[0].used), 0x5c, 6 + 8 * 64);
	vt_w32(t, 0x70, S_ACK);      /* ignored while the reset is pending */
	status_after_ack = vt_r32(t, 0x70);
}

int main(void)
{
	struct vt t;
	struct blk *b;
	struct vt_breq r[20];
	struct vt_vq *q;
	uint64_t buf;
	int polls = 0;

	vt_init(&t, 4 << 20);
	aio_engine_close(t.eng);
	REQUIRE(aio_engine_open(&t.eng, t.loop, AIO_ENGINE_THREADS) == 0);
	b = vt_blk_dev(&t, F_EVENT_IDX, 64);
	q = &t.vq[0];
	buf = vt_alloc(&t, 20 * 65536, 4096);
	for (int i = 0; i < 20; i++)
		vt_blk_submit(&t, q, &r[i], BLK_T_IN, 0, buf + 65536 * i, 65536);
	vt_kick(&t, q);
	/* Posts run in order: the probe runs right after the drain submitted
	 * the batch and before any completion can be delivered. */
	REQUIRE(loop_post(t.loop, probe, &t) == 0);
	loop_run_once(t.loop, 0);
	CHECK_EQ(seen_inflight, 20);
	CHECK(status_after_reset != 0); /* reset pending */
	CHECK_EQ(status_after_ack, status_after_reset);
	while (vt_r32(&t, 0x70) != 0 && polls++ < 10000)
		loop_run_once(t.loop, 1000000);
	CHECK_EQ(vt_r32(&t, 0x70), 0);
	CHECK_EQ(virtio_mmio_inflight(t.d), 0);
	vt_run(&t, 3);
	for (int i = 0; i < 6 + 8 * 64; i++)
		if (((uint8_t *)vt_ptr(&t, q->used))[i] != 0x5c) {
			CHECK(!"used ring written after reset");
			break;
		}
	CHECK_EQ(t.irq_level, 0);
	CHECK_EQ(vt_r32(&t, 0x60), 0);
	/* The device works again after re-initialisation. */
	CHECK(vt_recovers(&t, 64));
	vt_free(&t, b);
	return t_finish();
}
