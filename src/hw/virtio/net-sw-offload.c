/*
 * net-sw-offload.c - checksum and TCP segmentation done by virtio-net in
 * native code when the link carries no vnet header (socket, hub, tap with
 * vnet_hdr=off). The guest is then told it has a NIC with CSUM and TSO
 * offloads, so its (emulated, slow) kernel hands over 64 KiB TCP frames
 * with a partial checksum instead of computing checksums and segmenting
 * itself; the device finishes the work here, where it is cheap. For
 * receive, a frame whose TCP/UDP checksum verifies here is marked
 * DATA_VALID so the guest skips its own check.
 *
 * Pure functions on byte buffers: no state, any thread (virtio-net calls
 * them on the reactor). Frames are Ethernet II (optionally one 802.1Q tag)
 * with IPv4 or IPv6 (no extension headers before TCP/UDP).
 */
#include <errno.h>
#include <string.h>

#include "hw/virtio/net-sw-offload.h"

static uint16_t ld16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void st16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ones' complement sum of len bytes (big-endian 16-bit words) plus sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i = 0;

	for (; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int parse_l3(const uint8_t *f, size_t len, unsigned *l3, int *ver);

int virtio_net_sw_csum(uint8_t *frame, size_t len, unsigned start, unsigned offset)
{
	unsigned l3;
	int ver;

	if ((size_t)start + offset + 2 > len || start >= len)
		return -EINVAL;
	/* Sum only up to the end of the IP packet: Ethernet padding after it
	 * is not part of the checksum. */
	if (parse_l3(frame, len, &l3, &ver) == 0) {
		size_t end = ver == 4 ? l3 + (size_t)ld16be(frame + l3 + 2)
				      : l3 + 40 + (size_t)ld16be(frame + l3 + 4);
		if (end < len && end >= (size_t)start + offset + 2)
			len = end;
	}
	/* The driver left the pseudo-header sum in the field (virtio 5.1.6.2). */
	st16be(frame + start + offset, csum_fold(csum_add(0, frame + start, len - start)));
	return 0;
}

/* Ethernet + IP layout: l3 offset and IP version (4/6), or -EINVAL. */
static int parse_l3(const uint8_t *f, size_t len, unsigned *l3, int *ver)
{
	unsigned off = 12;
	uint16_t type;

	if (len < 14)
		return -EINVAL;
	type = ld16be(f + off);
	if (type == 0x8100) {
		if (len < 18)
			return -EINVAL;
		off += 4;
		type = ld16be(f + off);
	}
	*l3 = off + 2;
	if (type == 0x0800 && len >= *l3 + 20 && (f[*l3] >> 4) == 4)
		*ver = 4;
	else if (type == 0x86dd && len >= *l3 + 40 && (f[*l3] >> 4) == 6)
		*ver = 6;
	else
		return -EINVAL;
	return 0;
}

/* Sum of the pseudo header for an L4 segment of l4len bytes. */
static uint32_t pseudo(const uint8_t *f, unsigned l3, int ver, uint8_t proto, size_t l4len)
{
	uint8_t t[4] = { 0, 0, 0, proto };
	uint32_t s;

	if (ver == 4)
		s = csum_add(0, f + l3 + 12, 8);
	else
		s = csum_add(0, f + l3 + 8, 32);
	s = csum_add(s, t, 4);
	st16be(t, (uint16_t)(l4len >> 16));
	st16be(t + 2, (uint16_t)l4len);
	return csum_add(s, t, 4);
}

int virtio_net_sw_gso_parse(const uint8_t *f, size_t len, unsigned csum_start,
			    unsigned mss, struct virtio_net_gso *g)
{
	int ver;
	unsigned l3;

	memset(g, 0, sizeof(*g));
	/* Linux never sends below 48 (tcp_min_snd_mss); refusing tinier ones
	 * bounds the segments one frame can make (a broken driver). */
	if (mss < 32 || parse_l3(f, len, &l3, &ver) < 0)
		return -EINVAL;
	if (ver == 4 ? (f[l3 + 9] != 6 || (f[l3] & 15) * 4u != csum_start - l3 ||
			(ld16be(f + l3 + 6) & 0x3fff))
		     : (f[l3 + 6] != 6 || csum_start != l3 + 40))
		return -EINVAL; /* not plain TCP, or fragmented */
	if ((size_t)csum_start + 20 > len)
		return -EINVAL;
	unsigned thl = (f[csum_start + 12] >> 4) * 4u;
	if (thl < 20 || (size_t)csum_start + thl > len)
		return -EINVAL;
	g->ver = ver;
	g->l3 = l3;
	g->l4 = csum_start;
	g->hlen = csum_start + thl;
	g->mss = mss;
	g->payload = len - g->hlen;
	g->segs = g->payload ? (unsigned)((g->payload + mss - 1) / mss) : 1;
	return (int)g->segs;
}

size_t virtio_net_sw_gso_segment(const struct virtio_net_gso *g, const uint8_t *f,
				 unsigned i, uint8_t *out)
{
	size_t off = (size_t)i * g->mss;
	size_t chunk = g->payload - off < g->mss ? g->payload - off : g->mss;
	size_t l4len = g->hlen - g->l4 + chunk;
	bool last = i + 1 == g->segs;
	uint8_t *ip = out + g->l3, *tcp = out + g->l4;

	memcpy(out, f, g->hlen);
	memcpy(out + g->hlen, f + g->hlen + off, chunk);
	if (g->ver == 4) {
		st16be(ip + 2, (uint16_t)(g->l4 - g->l3 + l4len));
		st16be(ip + 4, (uint16_t)(ld16be(f + g->l3 + 4) + i));
		st16be(ip + 10, 0);
		st16be(ip + 10, csum_fold(csum_add(0, ip, g->l4 - g->l3)));
	} else {
		st16be(ip + 4, (uint16_t)l4len);
	}
	uint32_t seq = (uint32_t)(f[g->l4 + 4] << 24 | f[g->l4 + 5] << 16 |
				  f[g->l4 + 6] << 8 | f[g->l4 + 7]) + (uint32_t)off;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	if (!last)
		tcp[13] &= (uint8_t)~0x09; /* FIN and PSH only on the last segment */
	if (i > 0)
		tcp[13] &= (uint8_t)~0x80; /* CWR only on the first */
	st16be(tcp + 16, 0);
	st16be(tcp + 16, csum_fold(csum_add(pseudo(out, g->l3, g->ver, 6, l4len), tcp, l4len)));
	return g->hlen + chunk;
}

bool virtio_net_sw_rx_csum_ok(const uint8_t *f, size_t len)
{
	unsigned l3, l4;
	int ver;
	size_t l4len;
	uint8_t proto;

	if (parse_l3(f, len, &l3, &ver) < 0)
		return false;
	if (ver == 4) {
		unsigned ihl = (f[l3] & 15) * 4u, tot = ld16be(f + l3 + 2);
		if (ihl < 20 || tot < ihl || l3 + (size_t)tot > len || (ld16be(f + l3 + 6) & 0x3fff))
			return false; /* short, padded beyond, or a fragment */
		proto = f[l3 + 9];
		l4 = l3 + ihl;
		l4len = tot - ihl;
	} else {
		size_t pl = ld16be(f + l3 + 4);
		if (l3 + 40 + pl > len)
			return false;
		proto = f[l3 + 6];
		l4 = l3 + 40;
		l4len = pl;
	}
	if (proto == 6 ? l4len < 20 : proto == 17 ? l4len < 8 : true)
		return false;
	if (proto == 17 && ver == 4 && ld16be(f + l4 + 6) == 0)
		return false; /* no checksum sent: nothing to vouch for */
	return csum_fold(csum_add(pseudo(f, l3, ver, proto, l4len), f + l4, l4len)) == 0;
}
