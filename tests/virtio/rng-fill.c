/* virtio-rng fills every writable buffer (several segments, an indirect
 * chain) with random bytes and reports the length. */
#include "vt.h"

static bool looks_random(const uint8_t *p, size_t n)
{
	unsigned zeros = 0;

	for (size_t i = 0; i < n; i++)
		zeros += p[i] == 0;
	return zeros < n / 16 + 4;
}

int main(void)
{
	struct vt t;
	struct vt_seg s[2];
	uint64_t a, b2;
	uint32_t len;

	vt_init(&t, 1 << 20);
	REQUIRE(virtio_rng_new(&t.d, &t.host) == 0);
	CHECK_EQ(vt_r32(&t, 0x008), 4);
	vt_bringup(&t, F_EVENT_IDX | F_INDIRECT, 1, 16);
	a = vt_alloc(&t, 256, 8);
	b2 = vt_alloc(&t, 4096, 8);

	s[0] = (struct vt_seg){ a, 256, D_WRITE };
	s[1] = (struct vt_seg){ b2, 4096, D_WRITE };
	vt_add(&t, &t.vq[0], s, 2);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 256 + 4096);
	CHECK(looks_random(vt_ptr(&t, a), 256));
	CHECK(looks_random(vt_ptr(&t, b2), 4096));
	CHECK(t.irq_level);

	memset(vt_ptr(&t, a), 0, 256);
	s[0] = (struct vt_seg){ a, 64, D_WRITE };
	s[1] = (struct vt_seg){ a + 64, 64, D_WRITE };
	vt_add_indirect(&t, &t.vq[0], s, 2);
	vt_kick(&t, &t.vq[0]);
	REQUIRE(vt_wait_used(&t, &t.vq[0], 1));
	CHECK(vt_pop_used(&t, &t.vq[0], NULL, &len));
	CHECK_EQ(len, 128);
	CHECK(looks_random(vt_ptr(&t, a), 128));
	CHECK(memcmp(vt_ptr(&t, a), vt_ptr(&t, a + 64), 64) != 0);
	vt_free(&t, NULL);
	return t_finish();
}
