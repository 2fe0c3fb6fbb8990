/* Guest tx: several frames in flight reach the peer in order, bare on a
 * link without vnet header, with the 12-byte header on one that has it;
 * a refusing peer keeps the chain in the ring until it resumes. */
#include "vn.h"

static void tx(bool hdr)
{
	uint8_t f[3][1600];
	size_t len[3] = { 60, 1514, 700 };
	size_t hl = hdr ? 12 : 0;
	struct vn v;
	struct vt_vq *q;

	vn_init(&v, hdr, 64);
	vt_bringup(&v.t, NF_MAC | NF_STATUS | F_EVENT_IDX, 2, 64);
	q = &v.t.vq[1];
	for (unsigned i = 0; i < 3; i++) {
		vn_frame(f[i], len[i], i);
		vn_tx(&v, q, f[i], len[i]);
	}
	vt_kick(&v.t, q);
	REQUIRE(vt_wait_used(&v.t, q, 3));
	CHECK_EQ(v.tp.nframes, 3);
	for (unsigned i = 0; i < 3 && i < v.tp.nframes; i++) {
		CHECK_EQ(v.tp.len[i], len[i] + hl);
		CHECK(memcmp(v.tp.frame[i] + hl, f[i], len[i]) == 0);
	}
	for (unsigned i = 0; i < 3; i++)
		CHECK(vt_pop_used(&v.t, q, NULL, NULL));

	/* Backpressure: refused -> not used; resume -> sent. */
	v.tp.refuse = true;
	vn_tx(&v, q, f[0], len[0]);
	vn_tx(&v, q, f[1], len[1]);
	vt_kick(&v.t, q);
	vt_run(&v.t, 5);
	CHECK_EQ(vt_used_idx(&v.t, q), q->last_used);
	CHECK_EQ(v.tp.nframes, 3);
	v.tp.refuse = false;
	net_port_resume(&v.tp.port);
	REQUIRE(vt_wait_used(&v.t, q, 2));
	CHECK_EQ(v.tp.nframes, 5);
	CHECK(v.tp.nframes == 5 && v.tp.len[4] == len[1] + hl &&
	      memcmp(v.tp.frame[4] + hl, f[1], len[1]) == 0);
	vn_fini(&v);
}

int main(void)
{
	tx(false);
	tx(true);
	return t_finish();
}
