/* Offloads done by the device on a link without a vnet header: a TSO frame
 * from the guest leaves as MSS segments with correct lengths, IPv4 ids and
 * header checksums, sequence numbers, flags and TCP checksums, carrying the
 * original payload; a peer that refuses half way gets the remaining
 * segments (no repeats) after resume; a partial checksum (NEEDS_CSUM) is
 * finished (Ethernet padding left out); received TCP frames with a good checksum reach the guest with
 * DATA_VALID, bad ones without. */
#include "vn.h"

#include "hw/virtio/net-sw-offload.h"

#define PAY 10000
#define MSS 1448
#define L4 34

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Ethernet + IPv4 + TCP (seq 1000, flags PSH|ACK|FIN) + PAY pattern bytes.
 * The TCP checksum field holds the pseudo-header sum for payload bytes pl. */
static size_t tcp_frame(uint8_t *f, size_t pl)
{
	size_t l4len = 20 + pl;
	vn_frame(f, 14, 0);
	uint8_t *ip = f + 14, *t = f + L4;
	memset(ip, 0, 40);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4len) >> 8), ip[3] = (uint8_t)(20 + l4len);
	ip[4] = 0x12, ip[5] = 0x34; /* id */
	ip[6] = 0x40;               /* DF */
	ip[8] = 64, ip[9] = 6;
	memcpy(ip + 12, "\x0a\x01\x00\x01\x0a\x01\x00\x02", 8);
	t[0] = 0x13, t[1] = 0x8b, t[2] = 0x13, t[3] = 0x8c;
	t[4] = 0, t[5] = 0, t[6] = 0x03, t[7] = 0xe8; /* seq 1000 */
	t[12] = 5 << 4;
	t[13] = 0x19; /* FIN PSH ACK */
	for (size_t i = 0; i < pl; i++)
		f[L4 + 20 + i] = (uint8_t)(i * 13 + 5);
	uint8_t ph[12] = { 0 };
	memcpy(ph, ip + 12, 8);
	ph[9] = 6, ph[10] = (uint8_t)(l4len >> 8), ph[11] = (uint8_t)l4len;
	uint16_t ps = sum16(ph, 12, 0);
	t[16] = (uint8_t)(ps >> 8), t[17] = (uint8_t)ps;
	return L4 + l4len;
}

static uint16_t vn_tx_hdr(struct vn *v, struct vt_vq *q, const uint8_t *f, size_t len,
			  uint8_t gso, uint16_t mss)
{
	uint64_t g = vt_alloc(&v->t, 12 + len, 16);
	struct vt_seg s[2] = { { g, 12, 0 }, { g + 12, (uint32_t)len, 0 } };
	uint8_t *h = vt_ptr(&v->t, g);

	memset(h, 0, 12);
	h[0] = NET_VNET_F_NEEDS_CSUM;
	h[1] = gso;
	memcpy(h + 4, &mss, 2);                        /* little endian, as virtio */
	h[6] = L4;                                     /* csum_start */
	h[8] = 16;                                     /* csum_offset */
	h[2] = L4 + 20;                                /* hdr_len */
	memcpy(h + 12, f, len);
	return vt_add(&v->t, q, s, 2);
}

/* Check segments [first, first+n) of the tp against frame f. */
static void check_segments(struct vn *v, const uint8_t *f, unsigned first, unsigned n)
{
	size_t off = 0;
	CHECK_EQ(v->tp.nframes, first + n);
	for (unsigned i = 0; i < n && first + i < v->tp.nframes; i++) {
		const uint8_t *s = v->tp.frame[first + i];
		size_t len = v->tp.len[first + i], chunk = PAY - off < MSS ? PAY - off : MSS;
		CHECK_EQ(len, L4 + 20 + chunk);
		CHECK_EQ((size_t)(s[16] << 8 | s[17]), 40 + chunk);   /* IPv4 total length */
		CHECK_EQ((unsigned)(s[18] << 8 | s[19]), 0x1234 + i); /* id */
		CHECK_EQ(sum16(s + 14, 20, 0), 0xffff);               /* IP header checksum */
		uint32_t seq = (uint32_t)(s[L4 + 4] << 24 | s[L4 + 5] << 16 | s[L4 + 6] << 8 | s[L4 + 7]);
		CHECK_EQ(seq, 1000 + off);
		CHECK_EQ(s[L4 + 13], i + 1 == n ? 0x19 : 0x10);
		CHECK(virtio_net_sw_rx_csum_ok(s, len));
		CHECK(memcmp(s + L4 + 20, f + L4 + 20 + off, chunk) == 0);
		off += chunk;
	}
	CHECK_EQ(off, PAY);
}

static void tx(void)
{
	static uint8_t f[L4 + 20 + PAY];
	struct vn v;
	struct vt_vq *q;
	size_t len = tcp_frame(f, PAY);

	vn_init(&v, false, 64);
	vt_bringup(&v.t, NF_MAC | NF_STATUS | F_EVENT_IDX | NF_CSUM | NF_HOST_TSO4, 2, 64);
	q = &v.t.vq[1];
	vn_tx_hdr(&v, q, f, len, NET_VNET_GSO_TCPV4, MSS);
	vt_kick(&v.t, q);
	REQUIRE(vt_wait_used(&v.t, q, 1));
	CHECK(vt_pop_used(&v.t, q, NULL, NULL));
	check_segments(&v, f, 0, (PAY + MSS - 1) / MSS);

	/* The peer takes 3 segments, then refuses: the chain stays; after
	 * resume the other 4 follow, none twice. */
	unsigned base = v.tp.nframes;
	v.tp.refuse_at = base + 3;
	vn_tx_hdr(&v, q, f, len, NET_VNET_GSO_TCPV4, MSS);
	vt_kick(&v.t, q);
	vt_run(&v.t, 5);
	CHECK_EQ(v.tp.nframes, base + 3);
	CHECK_EQ(vt_used_idx(&v.t, q), q->last_used);
	v.tp.refuse_at = 0;
	net_port_resume(&v.tp.port);
	REQUIRE(vt_wait_used(&v.t, q, 1));
	CHECK(vt_pop_used(&v.t, q, NULL, NULL));
	check_segments(&v, f, base, (PAY + MSS - 1) / MSS);

	/* No GSO, a partial checksum: finished by the device (over the IP
	 * packet, not the 10 bytes of Ethernet padding after it). */
	base = v.tp.nframes;
	len = tcp_frame(f, 300);
	memset(f + len, 0xab, 10);
	len += 10;
	vn_tx_hdr(&v, q, f, len, NET_VNET_GSO_NONE, 0);
	vt_kick(&v.t, q);
	REQUIRE(vt_wait_used(&v.t, q, 1));
	CHECK_EQ(v.tp.nframes, base + 1);
	CHECK(v.tp.nframes == base + 1 && virtio_net_sw_rx_csum_ok(v.tp.frame[base], len));
	vn_fini(&v);
}

static void rx(void)
{
	static uint8_t f[L4 + 20 + 500];
	struct vn v;
	struct vt_vq *q;
	size_t len = tcp_frame(f, 500);
	uint64_t b[2];
	uint8_t *t = f + L4;

	/* Make the checksum complete (what a peer puts on the wire). */
	t[16] = t[17] = 0;
	uint8_t ph[12] = { 0 };
	memcpy(ph, f + 26, 8);
	ph[9] = 6, ph[10] = (uint8_t)((len - L4) >> 8), ph[11] = (uint8_t)(len - L4);
	uint16_t c = (uint16_t)~sum16(t, len - L4, sum16(ph, 12, 0));
	t[16] = (uint8_t)(c >> 8), t[17] = (uint8_t)c;
	CHECK(virtio_net_sw_rx_csum_ok(f, len));

	vn_init(&v, false, 64);
	vt_bringup(&v.t, NF_MAC | NF_STATUS | F_EVENT_IDX | NF_GUEST_CSUM | NF_MRG_RXBUF, 2, 64);
	q = &v.t.vq[0];
	b[0] = vn_rxbuf(&v, q, 1600);
	b[1] = vn_rxbuf(&v, q, 1600);
	vt_kick(&v.t, q);
	vt_run(&v.t, 2);
	CHECK_EQ(vn_send(&v, f, len), 0);
	f[len - 1] ^= 0x40; /* corrupt the payload: no DATA_VALID */
	CHECK_EQ(vn_send(&v, f, len), 0);
	REQUIRE(vt_wait_used(&v.t, q, 2));
	CHECK_EQ(*(uint8_t *)vt_ptr(&v.t, b[0]), NET_VNET_F_DATA_VALID);
	CHECK_EQ(*(uint8_t *)vt_ptr(&v.t, b[1]), 0);
	CHECK(memcmp((uint8_t *)vt_ptr(&v.t, b[1]) + 12, f, len) == 0);
	vn_fini(&v);
}

int main(void)
{
	tx();
	rx();
	return t_finish();
}
