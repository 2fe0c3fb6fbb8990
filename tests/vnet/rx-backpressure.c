/* No guest receive buffers: the NIC refuses (-EAGAIN); when the guest adds
 * buffers and kicks, the sender's resume runs and the frame goes in. */
#include "vn.h"

static void run(uint64_t feat)
{
	uint8_t f[200];
	uint64_t b;
	uint32_t len;
	struct vn v;
	struct vt_vq *q;

	vn_init(&v, false, 64);
	vt_bringup(&v.t, NF_MAC | NF_MRG_RXBUF | feat, 2, 64);
	q = &v.t.vq[0];
	vt_run(&v.t, 3);
	vn_frame(f, sizeof(f), 4);
	v.tp.resumes = 0;
	CHECK_EQ(vn_send(&v, f, sizeof(f)), -EAGAIN);
	CHECK_EQ(v.tp.resumes, 0);
	b = vn_rxbuf(&v, q, 2048);
	if (feat & F_EVENT_IDX) /* the device asked to hear of the next buffer */
		CHECK_EQ(vt_avail_event(&v.t, q), 0);
	vt_kick(&v.t, q);
	vt_run(&v.t, 3);
	CHECK_EQ(v.tp.resumes, 1);
	CHECK_EQ(vn_send(&v, f, sizeof(f)), 0);
	REQUIRE(vt_wait_used(&v.t, q, 1));
	REQUIRE(vt_pop_used(&v.t, q, NULL, &len));
	CHECK_EQ(len, 12 + sizeof(f));
	CHECK(memcmp((uint8_t *)vt_ptr(&v.t, b) + 12, f, sizeof(f)) == 0);
	vn_fini(&v);
}

int main(void)
{
	run(0);
	run(F_EVENT_IDX);
	return t_finish();
}
