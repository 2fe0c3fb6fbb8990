/*
 * vn.h - virtio-net test fixture: the vt.h driver plus a "test port" that
 * plays the backend: it records frames the NIC sends, can refuse them
 * (-EAGAIN), remembers offload requests, and can send frames to the NIC.
 */
#ifndef RINGVM_TEST_VN_H
#define RINGVM_TEST_VN_H

#include "vt.h"
#include "hw/virtio/virtio-net.h"
#include "net/net.h"

#define NF_CSUM (1ull << 0)
#define NF_GUEST_CSUM (1ull << 1)
#define NF_MAC (1ull << 5)
#define NF_GUEST_TSO4 (1ull << 7)
#define NF_GUEST_TSO6 (1ull << 8)
#define NF_HOST_TSO4 (1ull << 11)
#define NF_MRG_RXBUF (1ull << 15)
#define NF_STATUS (1ull << 16)

#define VN_MAXF 64

struct tport {
	struct net_port port;
	bool refuse;                 /* receive says -EAGAIN */
	unsigned refuse_at;          /* also refuse once nframes reaches it (0: off) */
	unsigned nframes;
	size_t len[VN_MAXF];
	uint8_t *frame[VN_MAXF];
	unsigned resumes;
	unsigned offload_calls;
	unsigned offloads;
};

static int tp_receive(struct net_port *p, const struct iovec *iov, int iovcnt)
{
	struct tport *t = p->opaque;
	size_t n = net_iov_size(iov, iovcnt);

	if (t->refuse || (t->refuse_at && t->nframes >= t->refuse_at))
		return -EAGAIN;
	REQUIRE(t->nframes < VN_MAXF);
	t->frame[t->nframes] = malloc(n);
	net_iov_copy(t->frame[t->nframes], n, iov, iovcnt, 0);
	t->len[t->nframes++] = n;
	return 0;
}

static void tp_resume(struct net_port *p)
{
	((struct tport *)p->opaque)->resumes++;
}

static int tp_set_offload(struct net_port *p, unsigned o)
{
	struct tport *t = p->opaque;

	t->offload_calls++;
	t->offloads = o;
	return 0;
}

static const struct net_port_ops tp_ops = {
	.receive = tp_receive, .resume = tp_resume, .set_offload = tp_set_offload,
};

struct vn {
	struct vt t;
	struct tport tp;
};

static const uint8_t vn_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

/* Device with queue size qsize, connected to a test port (hdr: vnet header). */
static inline void vn_init(struct vn *v, bool hdr, unsigned qsize)
{
	struct virtio_net_conf c = { .queue_size = qsize };

	memcpy(c.mac, vn_mac, 6);
	vt_init(&v->t, 4 << 20);
	REQUIRE(virtio_net_new(&v->t.d, &v->t.host, &c) == 0);
	memset(&v->tp, 0, sizeof(v->tp));
	net_port_init(&v->tp.port, &tp_ops, &v->tp, "test", hdr);
	REQUIRE(net_port_connect(virtio_net_port(v->t.d), &v->tp.port) == 0);
}

static inline void vn_fini(struct vn *v)
{
	virtio_mmio_free(v->t.d);
	for (unsigned i = 0; i < v->tp.nframes; i++)
		free(v->tp.frame[i]);
	aio_engine_close(v->t.eng);
	loop_free(v->t.loop);
	free(v->t.ram);
}

/* A test frame: dst = our mac, src, ethertype 0x0800, then a pattern. */
static inline void vn_frame(uint8_t *buf, size_t len, unsigned seed)
{
	memcpy(buf, vn_mac, 6);
	memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01", 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
}

/* Guest tx: [12-byte hdr][frame] in one buffer; returns the head. */
static inline uint16_t vn_tx(struct vn *v, struct vt_vq *q, const uint8_t *frame, size_t len)
{
	uint64_t g = vt_alloc(&v->t, 12 + len, 16);
	struct vt_seg s[2] = { { g, 12, 0 }, { g + 12, (uint32_t)len, 0 } };

	memset(vt_ptr(&v->t, g), 0, 12);
	memcpy(vt_ptr(&v->t, g + 12), frame, len);
	return vt_add(&v->t, q, s, 2);
}

/* Guest rx buffer of len bytes; returns its gpa. */
static inline uint64_t vn_rxbuf(struct vn *v, struct vt_vq *q, uint32_t len)
{
	uint64_t g = vt_alloc(&v->t, len, 16);
	struct vt_seg s = { g, len, D_WRITE };

	memset(vt_ptr(&v->t, g), 0xee, len);
	vt_add(&v->t, q, &s, 1);
	return g;
}

/* Backend -> NIC: send a frame (with a zero vnet header if the link has one). */
static inline int vn_send(struct vn *v, const uint8_t *frame, size_t len)
{
	uint8_t hdr[12] = { 0 };
	struct iovec iov[2] = { { hdr, 12 }, { (void *)frame, len } };

	if (net_port_hdr_len(&v->tp.port))
		return net_port_send(&v->tp.port, iov, 2);
	return net_port_send(&v->tp.port, iov + 1, 1);
}

#endif
