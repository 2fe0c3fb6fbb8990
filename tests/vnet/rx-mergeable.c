/* Backend -> guest: a frame larger than one buffer spreads over several
 * (num_buffers says how many) with MRG_RXBUF; without it, a frame that
 * does not fit one buffer is dropped and the buffer stays available. */
#include "vn.h"

static void mrg(void)
{
	uint8_t f[3000], got[3100];
	uint64_t b[3];
	uint32_t id, len, total = 0;
	uint16_t nb;
	struct vn v;
	struct vt_vq *q;

	vn_init(&v, false, 64);
	vt_bringup(&v.t, NF_MAC | NF_MRG_RXBUF | F_EVENT_IDX, 2, 64);
	q = &v.t.vq[0];
	for (unsigned i = 0; i < 3; i++)
		b[i] = vn_rxbuf(&v, q, 1200);
	vt_kick(&v.t, q);
	vt_run(&v.t, 3);
	vn_frame(f, sizeof(f), 9);
	CHECK_EQ(vn_send(&v, f, sizeof(f)), 0);
	REQUIRE(vt_wait_used(&v.t, q, 3));
	for (unsigned i = 0; i < 3; i++) {
		REQUIRE(vt_pop_used(&v.t, q, &id, &len));
		REQUIRE(len <= 1200);
		memcpy(got + total, vt_ptr(&v.t, b[i]), len);
		total += len;
	}
	CHECK_EQ(total, 12 + sizeof(f));
	memcpy(&nb, got + 10, 2);
	CHECK_EQ(nb, 3);
	CHECK_EQ(got[0], 0); /* no offload flags */
	CHECK(memcmp(got + 12, f, sizeof(f)) == 0);
	vt_run(&v.t, 2); /* the interrupt decision runs at the end of a turn */
	CHECK(v.t.irq_raises > 0);
	vn_fini(&v);
}

static void no_mrg(void)
{
	uint8_t f[1000];
	uint64_t b;
	uint32_t len;
	uint16_t nb;
	struct vn v;
	struct vt_vq *q;

	vn_init(&v, true, 64);
	vt_bringup(&v.t, NF_MAC, 2, 64);
	q = &v.t.vq[0];
	b = vn_rxbuf(&v, q, 600);
	vt_kick(&v.t, q);
	vt_run(&v.t, 3);
	vn_frame(f, sizeof(f), 1);
	CHECK(vn_send(&v, f, sizeof(f)) < 0); /* too big for 600 */
	vt_run(&v.t, 3);
	CHECK_EQ(vt_used_idx(&v.t, q), 0);
	CHECK_EQ(vn_send(&v, f, 500), 0); /* fits */
	REQUIRE(vt_wait_used(&v.t, q, 1));
	REQUIRE(vt_pop_used(&v.t, q, NULL, &len));
	CHECK_EQ(len, 512);
	memcpy(&nb, (uint8_t *)vt_ptr(&v.t, b) + 10, 2);
	CHECK_EQ(nb, 1);
	CHECK(memcmp((uint8_t *)vt_ptr(&v.t, b) + 12, f, 500) == 0);
	vn_fini(&v);
}

/* A frame the whole ring cannot hold is dropped, not waited for forever. */
static void too_big_for_ring(void)
{
	uint8_t f[1400];
	struct vn v;
	struct vt_vq *q;

	vn_init(&v, false, 4);
	vt_bringup(&v.t, NF_MAC | NF_MRG_RXBUF, 2, 4);
	q = &v.t.vq[0];
	for (unsigned i = 0; i < 4; i++)
		vn_rxbuf(&v, q, 100);
	vt_kick(&v.t, q);
	vt_run(&v.t, 3);
	vn_frame(f, sizeof(f), 2);
	CHECK_EQ(vn_send(&v, f, sizeof(f)), -EMSGSIZE);
	CHECK_EQ(vn_send(&v, f, 300), 0); /* 312 bytes: 4 buffers */
	REQUIRE(vt_wait_used(&v.t, q, 4));
	vn_fini(&v);
}

int main(void)
{
	too_big_for_ring();
	mrg();
	no_mrg();
	return t_finish();
}
