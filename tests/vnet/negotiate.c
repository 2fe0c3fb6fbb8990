/* Features follow the link: all offloads with a vnet header, and what the
 * driver accepts for receive reaches the backend (set_offload); without one
 * only those the device does itself (CSUM, HOST_TSO4/6, GUEST_CSUM) and the
 * backend hears nothing. */
#include "vn.h"

static void no_header(void)
{
	struct vn v;
	uint64_t f;

	vn_init(&v, false, 64);
	f = vt_dev_features(&v.t);
	CHECK(f & NF_MAC);
	CHECK(f & NF_STATUS);
	CHECK(f & NF_MRG_RXBUF);
	CHECK(f & F_EVENT_IDX);
	CHECK(f & NF_CSUM);
	CHECK(f & NF_GUEST_CSUM);
	CHECK(f & NF_HOST_TSO4);
	CHECK(!(f & (NF_GUEST_TSO4 | NF_GUEST_TSO6)));
	CHECK_EQ(vt_r32(&v.t, 0x08), 1); /* device id: network card */
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(vt_cfg(&v.t, i, 1), vn_mac[i]);
	CHECK_EQ(vt_cfg(&v.t, 6, 2), 1); /* link up: the peer is up */
	vt_bringup(&v.t, NF_MAC | NF_STATUS | NF_MRG_RXBUF | NF_GUEST_CSUM, 2, 64);
	vt_run(&v.t, 4);
	CHECK_EQ(v.tp.offload_calls, 0);
	vn_fini(&v);
}

static void with_header(void)
{
	struct vn v;
	uint64_t f;

	vn_init(&v, true, 64);
	f = vt_dev_features(&v.t);
	CHECK(f & NF_CSUM);
	CHECK(f & NF_GUEST_CSUM);
	CHECK(f & NF_HOST_TSO4);
	CHECK(f & NF_GUEST_TSO4);
	CHECK(f & NF_GUEST_TSO6);
	vt_bringup(&v.t, NF_MAC | NF_STATUS | NF_GUEST_CSUM | NF_GUEST_TSO4, 2, 64);
	vt_run(&v.t, 4);
	CHECK(v.tp.offload_calls >= 1);
	CHECK_EQ(v.tp.offloads, NET_OFFLOAD_CSUM | NET_OFFLOAD_TSO4);
	/* A reset takes them back. */
	vt_w32(&v.t, 0x70, 0);
	vt_run(&v.t, 2);
	vt_bringup(&v.t, NF_MAC, 2, 64);
	vt_run(&v.t, 4);
	CHECK_EQ(v.tp.offloads, 0);
	vn_fini(&v);
}

int main(void)
{
	no_header();
	with_header();
	return t_finish();
}
