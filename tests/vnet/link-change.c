/* The peer's link going down/up shows in the status field and raises a
 * configuration-change interrupt (ISR bit 1). */
#include "vn.h"

int main(void)
{
	struct vn v;

	vn_init(&v, false, 64);
	vt_bringup(&v.t, NF_MAC | NF_STATUS, 2, 64);
	vt_run(&v.t, 3);
	CHECK_EQ(vt_cfg(&v.t, 6, 2), 1);
	CHECK_EQ(vt_r32(&v.t, 0x60), 0);
	net_port_set_link(&v.tp.port, false);
	CHECK_EQ(vt_cfg(&v.t, 6, 2), 0);
	CHECK(vt_r32(&v.t, 0x60) & 2);
	CHECK(atomic_load(&v.t.irq_level));
	vt_w32(&v.t, 0x64, 2);
	CHECK_EQ(vt_r32(&v.t, 0x60), 0);
	net_port_set_link(&v.tp.port, true);
	CHECK_EQ(vt_cfg(&v.t, 6, 2), 1);
	CHECK(vt_r32(&v.t, 0x60) & 2);
	vn_fini(&v);
	return t_finish();
}
