/* Resets racing with I/O: the reactor on its own thread, the test thread as
 * the vCPU submitting reads/writes and resetting at random moments. Every
 * reset completes (status reaches 0), the device comes back each time, and
 * nothing is left in flight at the end. */
#include "vt.h"

int main(void)
{
	struct vt t;
	struct blk *b;
	unsigned async_resets = 0;

	vt_init(&t, 4 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	vt_start_reactor(&t);
	for (int iter = 0; iter < 300; iter++) {
		struct vt_breq r[16];
		struct vt_vq *q;
		unsigned n = 1 + t_rand() % 16;
		uint64_t end;

		t.brk = 0x1000;
		vt_bringup(&t, F_EVENT_IDX | F_INDIRECT, 1, 64);
		q = &t.vq[0];
		for (unsigned i = 0; i < n; i++) {
			uint64_t buf = vt_alloc(&t, 65536, 4096);

			bool wr = t_rand() & 1;

			/* Writes stay in the upper half: vt_recovers reads sector 1. */
			vt_blk_submit(&t, q, &r[i], wr ? BLK_T_OUT : BLK_T_IN,
				      (wr ? 1024 : 0) + (t_rand() % 8) * 128, buf, 65536);
			if (t_rand() % 4 == 0)
				vt_kick(&t, q);
		}
		vt_kick(&t, q);
		if (t_rand() & 1)
			usleep(t_rand() % 300);
		if (t_rand() % 3 == 0)
			CHECK(vt_wait_used(&t, q, n));
		vt_w32(&t, 0x70, 0);
		if (vt_r32(&t, 0x70) != 0)
			async_resets++;
		end = loop_now_ns() + 5000000000ull;
		while (vt_r32(&t, 0x70) != 0 && loop_now_ns() < end)
			usleep(20);
		if (vt_r32(&t, 0x70) != 0)
			fprintf(stderr, "stuck: status %x inflight %u aio %u iter %d\n", vt_r32(&t, 0x70), virtio_mmio_inflight(t.d), aio_inflight(t.eng), iter);
		REQUIRE(vt_r32(&t, 0x70) == 0);
	}
	fprintf(stderr, "asynchronous resets: %u of 300\n", async_resets);
	CHECK(vt_recovers(&t, 64));
	vt_stop_reactor(&t);
	CHECK_EQ(virtio_mmio_inflight(t.d), 0);
	vt_free(&t, b);
	return t_finish();
}
