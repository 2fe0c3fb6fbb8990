/* A hostile guest: bad tx/rx chains end in a counted drop or NEEDS_RESET,
 * never a crash (this runs under ASan/UBSan in CI), and random garbage in
 * the rings is survived. */
#include "vn.h"

static struct virtio_net_stats stats(struct vn *v)
{
	struct virtio_net_stats s;

	virtio_net_get_stats(v->t.d, &s);
	return s;
}

static void bad_tx_frames(void)
{
	uint8_t f[100];
	struct vn v;
	struct vt_vq *q;
	uint64_t g;

	vn_init(&v, false, 64);
	vt_bringup(&v.t, NF_MAC, 2, 64);
	q = &v.t.vq[1];
	vn_frame(f, sizeof(f), 0);
	/* 1: a writable descriptor in a tx chain. */
	g = vt_alloc(&v.t, 200, 16);
	struct vt_seg s1[2] = { { g, 112, 0 }, { g + 112, 64, D_WRITE } };
	vt_add(&v.t, q, s1, 2);
	/* 2: shorter than header + Ethernet header. */
	struct vt_seg s2 = { g, 20, 0 };
	vt_add(&v.t, q, &s2, 1);
	/* 3: an offload request on a link that offered none. */
	uint64_t h = vt_alloc(&v.t, 112, 16);
	memset(vt_ptr(&v.t, h), 0, 12);
	((uint8_t *)vt_ptr(&v.t, h))[0] = 1; /* NEEDS_CSUM */
	((uint8_t *)vt_ptr(&v.t, h))[1] = 1; /* GSO TCPv4 */
	memcpy((uint8_t *)vt_ptr(&v.t, h) + 12, f, 100);
	struct vt_seg s3 = { h, 112, 0 };
	vt_add(&v.t, q, &s3, 1);
	/* 4: a good one after them still goes out. */
	vn_tx(&v, q, f, sizeof(f));
	vt_kick(&v.t, q);
	REQUIRE(vt_wait_used(&v.t, q, 4));
	CHECK_EQ(stats(&v).tx_errors, 3);
	CHECK_EQ(stats(&v).tx_frames, 1);
	CHECK_EQ(v.tp.nframes, 1);
	CHECK(!(vt_r32(&v.t, 0x70) & S_NEEDS_RESET));
	vn_fini(&v);
}

static void tx_out_of_ram(void)
{
	struct vn v;
	struct vt_vq *q;

	vn_init(&v, false, 64);
	vt_bringup(&v.t, NF_MAC, 2, 64);
	q = &v.t.vq[1];
	struct vt_seg s = { VT_RAM_BASE + v.t.ram_size - 8, 200, 0 };
	vt_add(&v.t, q, &s, 1);
	vt_kick(&v.t, q);
	vt_run(&v.t, 5);
	CHECK(vt_r32(&v.t, 0x70) & S_NEEDS_RESET);
	CHECK_EQ(v.tp.nframes, 0);
	vn_fini(&v);
}

static void rx_readonly_buffer(void)
{
	uint8_t f[100];
	struct vn v;
	struct vt_vq *q;

	vn_init(&v, false, 64);
	vt_bringup(&v.t, NF_MAC | NF_MRG_RXBUF, 2, 64);
	q = &v.t.vq[0];
	struct vt_seg s = { vt_alloc(&v.t, 2048, 16), 2048, 0 }; /* not writable */
	vt_add(&v.t, q, &s, 1);
	vt_kick(&v.t, q);
	vt_run(&v.t, 3);
	vn_frame(f, sizeof(f), 0);
	CHECK(vn_send(&v, f, sizeof(f)) < 0);
	CHECK(vn_send(&v, f, sizeof(f)) < 0); /* and stays refused, no crash */
	CHECK(vt_r32(&v.t, 0x70) & S_NEEDS_RESET);
	CHECK_EQ(vt_used_idx(&v.t, q), 0);
	vn_fini(&v);
}

static void garbage(uint64_t seed)
{
	uint8_t f[1514];
	struct vn v;

	t_seed(seed);
	vn_init(&v, true, 16);
	vt_bringup(&v.t, NF_MAC | NF_MRG_RXBUF | NF_CSUM | NF_HOST_TSO4 | F_INDIRECT |
				 F_EVENT_IDX, 2, 16);
	vn_frame(f, sizeof(f), 3);
	for (int round = 0; round < 200; round++) {
		for (unsigned qi = 0; qi < 2; qi++) {
			struct vt_vq *q = &v.t.vq[qi];
			uint8_t *d = vt_ptr(&v.t, q->desc);

			for (unsigned i = 0; i < 16 * q->num; i++)
				d[i] = (uint8_t)t_rand();
			/* some descriptors point into RAM with sane lengths */
			for (unsigned i = 0; i < q->num; i += 2) {
				uint64_t a = VT_RAM_BASE + (t_rand() % (v.t.ram_size - 4096));
				uint32_t l = (uint32_t)(t_rand() % 4096);

				memcpy(d + 16 * i, &a, 8);
				memcpy(d + 16 * i + 8, &l, 4);
			}
			uint8_t *av = vt_ptr(&v.t, q->avail);
			for (unsigned i = 0; i < q->num; i++) {
				uint16_t h = (uint16_t)(t_rand() % (q->num + 2));

				memcpy(av + 4 + 2 * i, &h, 2);
			}
			q->avail_idx += (uint16_t)(t_rand() % 20);
			__atomic_store_n((uint16_t *)(av + 2), q->avail_idx, __ATOMIC_RELEASE);
			vt_kick(&v.t, q);
		}
		vt_run(&v.t, 2);
		vn_send(&v, f, 14 + t_rand() % 1500);
		if (vt_r32(&v.t, 0x70) & S_NEEDS_RESET || t_rand() % 8 == 0) {
			vt_w32(&v.t, 0x70, 0);
			vt_run(&v.t, 2);
			vt_bringup(&v.t, NF_MAC | NF_MRG_RXBUF | NF_CSUM | NF_HOST_TSO4 |
						 F_INDIRECT | F_EVENT_IDX, 2, 16);
		}
	}
	vn_fini(&v);
}

int main(void)
{
	bad_tx_frames();
	tx_out_of_ram();
	rx_readonly_buffer();
	for (uint64_t s = 1; s <= 5; s++)
		garbage(s);
	return t_finish();
}
