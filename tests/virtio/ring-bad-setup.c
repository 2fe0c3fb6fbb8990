/* Bad queue setup (size not a power of two, larger than QueueNumMax,
 * misaligned or out-of-RAM rings) and an avail index that runs ahead by
 * more than the queue size: NEEDS_RESET at first use, never a crash. */
#include "vt.h"

static void setup(struct vt *t, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	vt_w32(t, 0x70, 0);
	REQUIRE(vt_negotiate(t, F_VERSION_1) & S_FEATURES_OK);
	vt_w32(t, 0x30, 0);
	vt_w32(t, 0x38, num);
	vt_w32(t, 0x80, (uint32_t)desc);
	vt_w32(t, 0x84, (uint32_t)(desc >> 32));
	vt_w32(t, 0x90, (uint32_t)avail);
	vt_w32(t, 0x94, (uint32_t)(avail >> 32));
	vt_w32(t, 0xa0, (uint32_t)used);
	vt_w32(t, 0xa4, (uint32_t)(used >> 32));
	vt_w32(t, 0x44, 1);
	vt_driver_ok(t);
	vt_w32(t, 0x50, 0);
}

int main(void)
{
	struct vt t;
	struct blk *b;
	uint64_t d, a, u;

	vt_init(&t, 1 << 20);
	b = vt_raw_blk(&t, "disk.raw", 1 << 20, BLK_O_RDWR, NULL);
	REQUIRE(virtio_blk_new(&t.d, &t.host, b, &(struct virtio_blk_conf){ .queue_size = 256 }) == 0);
	d = vt_alloc(&t, 16 * 1024, 4096);
	a = vt_alloc(&t, 4096, 4096);
	u = vt_alloc(&t, 16384, 4096);

	setup(&t, 12, d, a, u);                   /* not a power of two */
	CHECK(vt_needs_reset(&t));
	setup(&t, 512, d, a, u);                  /* > QueueNumMax (256) */
	CHECK(vt_needs_reset(&t));
	setup(&t, 0, d, a, u);                    /* zero */
	CHECK(vt_needs_reset(&t));
	setup(&t, 16, d + 8, a, u);               /* desc not 16-aligned */
	CHECK(vt_needs_reset(&t));
	setup(&t, 16, d, a + 1, u);               /* avail not 2-aligned */
	CHECK(vt_needs_reset(&t));
	setup(&t, 16, d, a, u + 2);               /* used not 4-aligned */
	CHECK(vt_needs_reset(&t));
	setup(&t, 16, VT_RAM_BASE + (1 << 20) - 128, a, u); /* desc past RAM */
	CHECK(vt_needs_reset(&t));
	setup(&t, 16, d, a, 0x1000);              /* used below RAM */
	CHECK(vt_needs_reset(&t));

	/* Good rings, but avail->idx jumps by 100 on a 16-entry queue. */
	setup(&t, 16, d, a, u);
	vt_run(&t, 2);
	CHECK(!(vt_r32(&t, 0x70) & S_NEEDS_RESET));
	memset(vt_ptr(&t, a), 0, 4096);
	*(uint16_t *)((uint8_t *)vt_ptr(&t, a) + 2) = 100;
	vt_w32(&t, 0x50, 0);
	CHECK(vt_needs_reset(&t));
	/* An avail ring entry naming a descriptor beyond the queue. */
	setup(&t, 16, d, a, u);
	memset(vt_ptr(&t, a), 0, 4096);
	memset(vt_ptr(&t, u), 0, 4096);
	*(uint16_t *)((uint8_t *)vt_ptr(&t, a) + 4) = 200;
	*(uint16_t *)((uint8_t *)vt_ptr(&t, a) + 2) = 1;
	vt_w32(&t, 0x50, 0);
	CHECK(vt_needs_reset(&t));
	vt_free(&t, b);
	return t_finish();
}
