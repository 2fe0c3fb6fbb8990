/* Three virtio-nets on one hub: a frame one guest sends reaches the other
 * two guests' receive buffers (and not its own). */
#include "vn.h"

int main(void)
{
	struct vt t[3];
	struct net_hub *hub;
	uint8_t f[600];
	uint64_t rx[3];
	struct virtio_net_stats st;

	REQUIRE(net_hub_new(&hub, 0) == 0);
	for (unsigned i = 0; i < 3; i++) {
		struct virtio_net_conf c = { .queue_size = 16 };

		virtio_net_default_mac(i, c.mac);
		vt_init(&t[i], 1 << 20);
		REQUIRE(virtio_net_new(&t[i].d, &t[i].host, &c) == 0);
		REQUIRE(net_port_connect(virtio_net_port(t[i].d), net_hub_add_port(hub, "h")) == 0);
		vt_bringup(&t[i], NF_MAC | NF_MRG_RXBUF, 2, 16);
		uint64_t g = vt_alloc(&t[i], 2048, 16);
		struct vt_seg s = { g, 2048, D_WRITE };
		vt_add(&t[i], &t[i].vq[0], &s, 1);
		rx[i] = g;
		vt_kick(&t[i], &t[i].vq[0]);
		vt_run(&t[i], 3);
	}
	/* NIC 0 transmits a broadcast. */
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x52\x54\x00\x12\x34\x56", 6);
	f[12] = 0x08, f[13] = 0x06;
	for (unsigned i = 14; i < sizeof(f); i++)
		f[i] = (uint8_t)i;
	uint64_t g = vt_alloc(&t[0], 12 + sizeof(f), 16);
	memset(vt_ptr(&t[0], g), 0, 12);
	memcpy(vt_ptr(&t[0], g + 12), f, sizeof(f));
	struct vt_seg s = { g, 12 + sizeof(f), 0 };
	vt_add(&t[0], &t[0].vq[1], &s, 1);
	vt_kick(&t[0], &t[0].vq[1]);
	REQUIRE(vt_wait_used(&t[0], &t[0].vq[1], 1));
	for (unsigned i = 1; i < 3; i++) {
		uint32_t len;

		REQUIRE(vt_pop_used(&t[i], &t[i].vq[0], NULL, &len));
		CHECK_EQ(len, 12 + sizeof(f));
		CHECK(memcmp((uint8_t *)vt_ptr(&t[i], rx[i]) + 12, f, sizeof(f)) == 0);
	}
	CHECK_EQ(vt_used_idx(&t[0], &t[0].vq[0]), 0); /* not echoed back */
	virtio_net_get_stats(t[0].d, &st);
	CHECK_EQ(st.tx_frames, 1);
	for (unsigned i = 0; i < 3; i++)
		vt_free(&t[i], NULL);
	net_hub_free(hub);
	return t_finish();
}
