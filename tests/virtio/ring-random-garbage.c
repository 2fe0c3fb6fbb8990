/* Random garbage in the descriptor table, indirect tables and avail ring
 * (addresses biased towards RAM edges, random flags/lengths/next indices),
 * and random register writes: the device answers, flags NEEDS_RESET or
 * ignores, but never touches memory outside guest RAM (ASan watches the
 * exact-size RAM buffer) and never hangs. */
#include "vt.h"

#define RAM (256u << 10)

static uint64_t rnd_addr(void)
{
	switch (t_rand() % 12) {
	case 6: case 7: case 8: case 9: case 10: case 11:
	case 0: return VT_RAM_BASE + 0x8000 + (t_rand() % 64) * 512;
	case 1: return VT_RAM_BASE + RAM - t_rand() % 64;
	case 2: return VT_RAM_BASE - t_rand() % 64;
	case 3: return t_rand();
	case 4: return ~0ull - t_rand() % 4096;
	default: return VT_RAM_BASE + (t_rand() % 64) * 16;
	}
}

static uint32_t rnd_len(void)
{
	switch (t_rand() % 5) {
	case 0: return (uint32_t)t_rand();
	case 1: return 16 * (1 + t_rand() % 8);
	case 2: return 1;
	case 3: return 512 * (t_rand() % 9);
	default: return (uint32_t)(t_rand() % 64);
	}
}

int main(void)
{
	struct vt t;
	struct blk *b;
	unsigned needs_reset = 0, answered = 0;

	vt_init(&t, RAM);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, NULL) == 0);
	for (int iter = 0; iter < 3000; iter++) {
		struct vt_vq *q;
		uint8_t *desc;

		t.brk = 0x1000;
		vt_w32(&t, 0x70, 0);
		vt_run(&t, 1);
		if (vt_r32(&t, 0x70) != 0) {
			loop_run_once(t.loop, 100000000);
			continue;
		}
		vt_bringup(&t, F_EVENT_IDX | F_INDIRECT, 1, 8);
		q = &t.vq[0];
		desc = vt_ptr(&t, q->desc);
		/* Some scratch tables in RAM filled with random descriptors. */
		for (unsigned i = 0; i < 64 * 16; i += 16)
			vt_put_desc(t.ram + i + 0x100, 0, rnd_addr(), rnd_len(),
				    (uint16_t)(t_rand() & 7), (uint16_t)(t_rand() % 10));
		for (unsigned i = 0; i < 8; i++)
			vt_put_desc(desc, i, rnd_addr(), rnd_len(), (uint16_t)(t_rand() & 7),
				    (uint16_t)(t_rand() % 10));
		for (unsigned i = 0, n = 1 + t_rand() % 9; i < n; i++)
			vt_publish(&t, q, (uint16_t)(t_rand() % 10));
		if (t_rand() % 4 == 0) { /* random register noise too */
			uint64_t off = (t_rand() % 0x100) & ~3ull;

			if (off != 0x70)
				vt_w32(&t, off, (uint32_t)t_rand());
		}
		vt_kick(&t, q);
		vt_run(&t, 2);
		while (virtio_mmio_inflight(t.d))
			loop_run_once(t.loop, 1000000);
		if (vt_r32(&t, 0x70) & S_NEEDS_RESET)
			needs_reset++;
		else if (vt_used_idx(&t, q))
			answered++;
	}
	fprintf(stderr, "needs_reset %u, answered %u\n", needs_reset, answered);
	CHECK(needs_reset > 100);
	/* Let any request still in flight finish before tearing down. */
	vt_w32(&t, 0x70, 0);
	while (vt_r32(&t, 0x70) != 0)
		loop_run_once(t.loop, 100000000);
	vt_free(&t, b);
	return t_finish();
}
