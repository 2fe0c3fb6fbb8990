/*
 * virtio-net.c - the network device (virtio 1.2, 5.1): one receive and one
 * transmit queue, plugged into a net port (src/net).
 *
 * Reactor thread only (QueueNotify is posted here by the transport; the
 * backend calls the port's callbacks on the same loop). Frames are copied
 * only where the spec's layout forces it: tx hands the guest's buffers to
 * the peer as an iovec (the peer copies during the call), rx copies the
 * peer's bytes into the guest's receive buffers.
 *
 * Flow control both ways (see net.h):
 *   - rx: no (or not enough) guest buffers -> the chains popped so far are
 *     given back (last_avail rewound, nothing pushed), the port says
 *     -EAGAIN, and we ask the driver to notify on its next buffer; that
 *     notify calls net_port_resume.
 *   - tx: the peer says -EAGAIN -> the chain stays in the ring (rewound)
 *     and tx stops until the port's resume callback.
 * Rewinding is safe because a chain not yet pushed still belongs to the
 * device; it is re-read and re-validated when popped again.
 *
 * Offloads: with a vnet header on the link all of them are offered and
 * passed through; after the driver is up, what it accepts for receive is
 * pushed to the backend with net_port_set_offload (and cleared on reset).
 * Without one (socket, hub, bare tap) the device itself does what it
 * offers (net-sw-offload.c): CSUM and HOST_TSO4/6 on transmit (finish the
 * checksum, cut TSO frames into MSS segments) and GUEST_CSUM on receive
 * (DATA_VALID when the checksum verifies), so the emulated guest kernel
 * does not do this work per packet. A TSO frame the peer refuses half way
 * resumes at the first segment not yet taken (tx_seg_next).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-int.h"
#include "hw/virtio/virtio-net.h"
#include "hw/virtio/net-sw-offload.h"
#include "net/net.h"

#define F_CSUM 0
#define F_GUEST_CSUM 1
#define F_MTU 3
#define F_MAC 5
#define F_GUEST_TSO4 7
#define F_GUEST_TSO6 8
#define F_GUEST_ECN 9
#define F_GUEST_UFO 10
#define F_HOST_TSO4 11
#define F_HOST_TSO6 12
#define F_HOST_ECN 13
#define F_HOST_UFO 14
#define F_MRG_RXBUF 15
#define F_STATUS 16

#define S_LINK_UP 1u

#define RXQ 0
#define TXQ 1
#define HDR NET_VNET_HDR_LEN /* the guest's header: always 12 with VERSION_1 */

/* Config space (5.1.4): mac, status, max_virtqueue_pairs, mtu. */
enum { C_MAC = 0, C_STATUS = 6, C_MAX_PAIRS = 8, C_MTU = 10, C_LEN = 12 };

struct vnet {
	struct virtio_mmio dev; /* first: container_of by cast */
	struct net_port port;
	uint8_t config[C_LEN];
	char name[64];
	unsigned qmax;
	/* [reactor] */
	uint64_t feat;          /* negotiated, valid when feat_epoch == r_epoch */
	uint32_t feat_epoch;
	bool feat_valid;
	bool rx_waiting;        /* we refused a frame: net_port_resume is owed */
	bool tx_blocked;        /* the peer refused: wait for our resume */
	bool in_tx;             /* tx drain running (resume may re-enter) */
	bool offload_on;        /* offloads pushed to the backend */
	struct virtio_net_stats st;
	uint16_t *rx_heads;     /* qmax: chains of one merged frame */
	uint32_t *rx_lens;
	struct iovec *tx_iov;   /* VIRTIO_MAX_SEGS(qmax) + 1 */
	uint8_t *sw_frame;      /* NET_MAX_FRAME: a tx frame finished in software */
	uint8_t *sw_seg;        /* NET_MAX_FRAME: one segment of it */
	unsigned tx_seg_next;   /* segments of the head tx chain already taken */
};

static struct vnet *to_vnet(struct virtio_mmio *d)
{
	return (struct vnet *)d;
}

static bool has(const struct vnet *n, unsigned bit)
{
	return n->feat & VIRTIO_BIT(bit);
}

/* ---- negotiation side effects ------------------------------------------- */

static unsigned rx_offloads(const struct vnet *n)
{
	unsigned o = 0;

	if (has(n, F_GUEST_CSUM))
		o |= NET_OFFLOAD_CSUM;
	if (has(n, F_GUEST_TSO4))
		o |= NET_OFFLOAD_TSO4;
	if (has(n, F_GUEST_TSO6))
		o |= NET_OFFLOAD_TSO6;
	if (has(n, F_GUEST_ECN))
		o |= NET_OFFLOAD_ECN;
	if (has(n, F_GUEST_UFO))
		o |= NET_OFFLOAD_UFO;
	return o;
}

/* After a queue activated (so DRIVER_OK was seen in this epoch): load the
 * driver's features once per epoch and tell the backend what it accepts. */
static void sync_features(struct vnet *n)
{
	struct virtio_mmio *d = &n->dev;
	unsigned off;

	if (n->feat_valid && n->feat_epoch == d->r_epoch)
		return;
	pthread_mutex_lock(&d->lock);
	n->feat = d->drv_features;
	pthread_mutex_unlock(&d->lock);
	n->feat_epoch = d->r_epoch;
	n->feat_valid = true;
	if (net_port_hdr_len(&n->port) != HDR)
		return;
	off = rx_offloads(n);
	if (off || n->offload_on) {
		int rc = net_port_set_offload(&n->port, off);

		if (rc < 0 && rc != -ENOTCONN)
			fprintf(stderr, "ringvm: %s: the backend refused offloads (%s)\n",
				n->name, strerror(-rc));
		n->offload_on = off != 0;
	}
}

/* Enter ring work from a port callback: token + active queue. */
static bool enter(struct vnet *n, struct virtq *q)
{
	virtio_sync_epoch(&n->dev);
	if (!virtio_hold(&n->dev))
		return false;
	if (!virtq_activate(q)) {
		virtio_put(&n->dev);
		return false;
	}
	sync_features(n);
	return true;
}

/* ---- receive (backend -> guest) ----------------------------------------- */

/* The header the guest gets; false if the frame cannot be given to it. */
static bool rx_header(struct vnet *n, const struct iovec *iov, int iovcnt, size_t hl,
		      struct net_vnet_hdr *h)
{
	memset(h, 0, sizeof(*h));
	if (hl == 0) {
		if (has(n, F_GUEST_CSUM) && iovcnt == 1 &&
		    virtio_net_sw_rx_csum_ok(iov[0].iov_base, iov[0].iov_len))
			h->flags = NET_VNET_F_DATA_VALID;
		return true;
	}
	net_iov_copy(h, HDR, iov, iovcnt, 0);
	h->num_buffers = 0;
	if (!has(n, F_GUEST_CSUM))
		h->flags &= (uint8_t)~NET_VNET_F_DATA_VALID;
	if ((h->flags & NET_VNET_F_NEEDS_CSUM) && !has(n, F_GUEST_CSUM))
		return false;
	switch (h->gso_type & (uint8_t)~NET_VNET_GSO_ECN) {
	case NET_VNET_GSO_NONE: return !(h->gso_type & NET_VNET_GSO_ECN);
	case NET_VNET_GSO_TCPV4: break;
	case NET_VNET_GSO_TCPV6: break;
	case NET_VNET_GSO_UDP: return has(n, F_GUEST_UFO);
	default: return false;
	}
	if ((h->gso_type & NET_VNET_GSO_ECN) && !has(n, F_GUEST_ECN))
		return false;
	return has(n, (h->gso_type & 0x7f) == NET_VNET_GSO_TCPV4 ? F_GUEST_TSO4 : F_GUEST_TSO6);
}

/* Fill the chain's writable part with [hdr][frame] bytes from pos on. */
static size_t rx_fill(const struct virtq_elem *e, const struct net_vnet_hdr *h,
		      const struct iovec *iov, int iovcnt, size_t hl, size_t pos, size_t total)
{
	const struct iovec *w = e->iov + e->out_num;
	size_t done = 0;

	for (unsigned i = 0; i < e->in_num && pos + done < total; i++) {
		uint8_t *p = w[i].iov_base;
		size_t l = w[i].iov_len, c;

		while (l && pos + done < total) {
			size_t at = pos + done;

			if (at < HDR) {
				c = HDR - at < l ? HDR - at : l;
				memcpy(p, (const uint8_t *)h + at, c);
			} else {
				c = total - at < l ? total - at : l;
				c = net_iov_copy(p, c, iov, iovcnt, hl + at - HDR);
				if (!c)
					return done; /* the sender's iovec ended early */
			}
			p += c;
			l -= c;
			done += c;
		}
	}
	return done;
}

/* No room: give back what we popped, ask the driver to notify on its next
 * buffer (event index = what we have seen). True if more came meanwhile. */
static bool rx_wait(struct vnet *n, struct virtq *q, uint16_t rewind_to)
{
	uint16_t seen;

	q->last_avail = rewind_to;
	seen = __atomic_load_n((uint16_t *)(q->avail + 2), __ATOMIC_ACQUIRE);
	if (q->event_idx)
		__atomic_store_n((uint16_t *)(q->used + 4 + 8 * q->num), seen, __ATOMIC_RELAXED);
	else
		__atomic_store_n((uint16_t *)q->used, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n->rx_waiting = true;
	return __atomic_load_n((uint16_t *)(q->avail + 2), __ATOMIC_ACQUIRE) != seen;
}

/* Place one frame. 0 placed, -EAGAIN no room, -EMSGSIZE does not fit one
 * buffer (no MRG_RXBUF), -EIO ring broken. */
static int rx_place(struct vnet *n, struct virtq *q, const struct net_vnet_hdr *h,
		    const struct iovec *iov, int iovcnt, size_t hl, size_t total)
{
	bool mrg = has(n, F_MRG_RXBUF);
	uint16_t start = q->last_avail, nb = 0;
	struct iovec first[HDR];
	unsigned nfirst = 0;
	struct virtq_elem e;
	size_t pos = 0;
	int rc;

	while (pos < total) {
		rc = virtq_pop(q, &e);
		if (rc < 0)
			return -EIO;
		if (rc == 0 && (uint16_t)(__atomic_load_n((uint16_t *)(q->avail + 2),
							  __ATOMIC_ACQUIRE) - start) >= q->num) {
			q->last_avail = start; /* a full ring cannot hold it: drop */
			return -EMSGSIZE;
		}
		if (rc == 0) {
			if (rx_wait(n, q, start))
				return -EINTR; /* retry */
			return -EAGAIN;
		}
		if (e.in_len == 0 || (!mrg && e.in_len < total) || (nb == 0 && e.in_len < HDR)) {
			q->last_avail = start;
			if (e.in_len == 0) {
				virtio_needs_reset(&n->dev, "receive buffer with no writable space");
				q->broken = true;
				return -EIO;
			}
			return -EMSGSIZE;
		}
		if (nb == 0) { /* keep where the header went: num_buffers comes last */
			nfirst = e.in_num < HDR ? e.in_num : HDR;
			memcpy(first, e.iov + e.out_num, nfirst * sizeof(*first));
		}
		n->rx_lens[nb] = (uint32_t)rx_fill(&e, h, iov, iovcnt, hl, pos, total);
		n->rx_heads[nb] = e.head;
		pos += n->rx_lens[nb];
		nb++;
		if (n->rx_lens[nb - 1] == 0)
			break; /* cannot happen with a consistent sender; do not spin */
	}
	virtio_iov_from_buf(first, nfirst, 10, &nb, 2);
	for (unsigned i = 0; i < nb; i++)
		virtq_push(q, n->rx_heads[i], n->rx_lens[i]);
	virtq_schedule_signal(q);
	return 0;
}

static int vnet_receive(struct net_port *p, const struct iovec *iov, int iovcnt)
{
	struct vnet *n = p->opaque;
	struct virtq *q = &n->dev.q[RXQ];
	size_t hl = net_port_hdr_len(p), size = net_iov_size(iov, iovcnt);
	struct net_vnet_hdr h;
	int rc;

	if (size < hl + 14 || size - hl > NET_MAX_FRAME) {
		n->st.rx_dropped++;
		return -EINVAL;
	}
	if (!enter(n, q)) { /* driver not up: the wire is dark, drop */
		n->st.rx_dropped++;
		return -ENETDOWN;
	}
	if (!rx_header(n, iov, iovcnt, hl, &h)) {
		rc = -EPROTO;
	} else {
		do
			rc = rx_place(n, q, &h, iov, iovcnt, hl, HDR + size - hl);
		while (rc == -EINTR);
	}
	virtio_put(&n->dev);
	if (rc == 0)
		n->st.rx_frames++;
	else if (rc == -EAGAIN)
		n->st.rx_refused++;
	else
		n->st.rx_dropped++;
	return rc;
}

/* The guest added receive buffers (rx queue notify). */
static void rx_notify(struct vnet *n)
{
	if (!n->rx_waiting)
		return;
	n->rx_waiting = false;
	net_port_resume(&n->port); /* may call vnet_receive right here */
}

/* ---- transmit (guest -> backend) ---------------------------------------- */

static bool tx_header_ok(const struct vnet *n, const struct net_vnet_hdr *h, size_t flen)
{
	if (h->flags & ~NET_VNET_F_NEEDS_CSUM)
		return false;
	if (h->flags & NET_VNET_F_NEEDS_CSUM) {
		if (!has(n, F_CSUM) || (size_t)h->csum_start + h->csum_offset + 2 > flen)
			return false;
	}
	switch (h->gso_type & (uint8_t)~NET_VNET_GSO_ECN) {
	case NET_VNET_GSO_NONE: return !(h->gso_type & NET_VNET_GSO_ECN);
	case NET_VNET_GSO_TCPV4: if (!has(n, F_HOST_TSO4)) return false; break;
	case NET_VNET_GSO_TCPV6: if (!has(n, F_HOST_TSO6)) return false; break;
	case NET_VNET_GSO_UDP: if (!has(n, F_HOST_UFO)) return false; break;
	default: return false;
	}
	if ((h->gso_type & NET_VNET_GSO_ECN) && !has(n, F_HOST_ECN))
		return false;
	return h->gso_size != 0 && (h->flags & NET_VNET_F_NEEDS_CSUM);
}

/* No header on the link: finish the offloads the guest asked for here and
 * send the frame (or its segments). -EAGAIN: keep the chain, tx_seg_next
 * says where to go on; anything else: the chain is done. */
static int tx_sw(struct vnet *n, const struct virtq_elem *e, const struct net_vnet_hdr *h,
		 size_t flen)
{
	struct virtio_net_gso g;
	struct iovec iov;
	int rc = 0;

	virtio_iov_to_buf(e->iov, e->out_num, HDR, n->sw_frame, flen);
	if (h->gso_type == NET_VNET_GSO_NONE) {
		if (virtio_net_sw_csum(n->sw_frame, flen, h->csum_start, h->csum_offset) < 0)
			return -EINVAL;
		iov = (struct iovec){ n->sw_frame, flen };
		return net_port_send(&n->port, &iov, 1);
	}
	if (virtio_net_sw_gso_parse(n->sw_frame, flen, h->csum_start, h->gso_size, &g) < 0 ||
	    g.hlen + g.mss > NET_MAX_FRAME)
		return -EINVAL;
	for (unsigned i = n->tx_seg_next; i < g.segs; i++) {
		iov.iov_base = n->sw_seg;
		iov.iov_len = virtio_net_sw_gso_segment(&g, n->sw_frame, i, n->sw_seg);
		rc = net_port_send(&n->port, &iov, 1);
		if (rc == -EAGAIN) {
			n->tx_seg_next = i;
			return rc;
		}
		if (rc < 0)
			break; /* link down: the rest goes the same way */
	}
	n->tx_seg_next = 0;
	return rc;
}

/* Send one chain. -EAGAIN: keep it; anything else: it is done. */
static int tx_one(struct vnet *n, const struct virtq_elem *e)
{
	size_t hl = net_port_hdr_len(&n->port), flen;
	struct net_vnet_hdr h;
	unsigned k = 0;
	int rc;

	if (e->in_num || e->out_len < HDR + 14 || e->out_len - HDR > NET_MAX_FRAME) {
		n->st.tx_errors++;
		return -EINVAL;
	}
	flen = e->out_len - HDR;
	virtio_iov_to_buf(e->iov, e->out_num, 0, &h, HDR);
	h.num_buffers = 0;
	if ((h.flags || h.gso_type) && !tx_header_ok(n, &h, flen)) {
		n->st.tx_errors++;
		return -EINVAL;
	}
	if (hl == 0 && (h.flags || h.gso_type)) {
		rc = tx_sw(n, e, &h, flen);
		if (rc == 0)
			n->st.tx_frames++;
		else if (rc == -EINVAL)
			n->st.tx_errors++;
		return rc;
	}
	if (hl) { /* our validated copy, not the guest's (it may change it) */
		n->tx_iov[0].iov_base = &h;
		n->tx_iov[0].iov_len = HDR;
		k = 1;
	}
	k += virtio_iov_slice(e->iov, e->out_num, HDR, flen, n->tx_iov + k);
	rc = net_port_send(&n->port, n->tx_iov, (int)k);
	if (rc == 0)
		n->st.tx_frames++;
	return rc;
}

/* Drain the tx ring until empty or the peer refuses. Token held, q active. */
static void tx_run(struct vnet *n, struct virtq *q)
{
	struct virtq_elem e;
	int rc = 0;

	if (n->tx_blocked || n->in_tx)
		return;
	n->in_tx = true;
	do {
		virtq_disable_notify(q);
		while ((rc = virtq_pop(q, &e)) > 0) {
			if (tx_one(n, &e) == -EAGAIN) {
				q->last_avail--; /* still ours: re-popped on resume */
				n->tx_blocked = true;
				goto out;
			}
			virtq_push(q, e.head, 0);
		}
		if (rc < 0)
			goto out;
	} while (virtq_enable_notify(q));
out:
	n->in_tx = false;
	virtq_schedule_signal(q);
}

/* ---- port callbacks ------------------------------------------------------ */

/* Publish the link bit; config interrupt when it changed. */
static void set_link(struct vnet *n, bool up)
{
	uint16_t old = __atomic_load_n((uint16_t *)(n->config + C_STATUS), __ATOMIC_RELAXED);
	uint16_t now = up ? S_LINK_UP : 0;
	bool driver_ok;

	if (old == now)
		return;
	__atomic_store_n((uint16_t *)(n->config + C_STATUS), now, __ATOMIC_RELEASE);
	virtio_sync_epoch(&n->dev);
	/* Only a running driver hears of it; a later one reads the field. */
	pthread_mutex_lock(&n->dev.lock);
	driver_ok = n->dev.status & VIRTIO_S_DRIVER_OK;
	pthread_mutex_unlock(&n->dev.lock);
	if (driver_ok)
		virtio_raise(&n->dev, VIRTIO_ISR_CONFIG, n->dev.r_epoch);
}

static void update_offered(struct vnet *n)
{
	/* What net-sw-offload.c does when the link has no header. */
	uint64_t sw = VIRTIO_BIT(F_CSUM) | VIRTIO_BIT(F_GUEST_CSUM) |
		      VIRTIO_BIT(F_HOST_TSO4) | VIRTIO_BIT(F_HOST_TSO6);
	uint64_t all = sw | VIRTIO_BIT(F_HOST_ECN) | VIRTIO_BIT(F_GUEST_TSO4) |
		       VIRTIO_BIT(F_GUEST_TSO6) | VIRTIO_BIT(F_GUEST_ECN);
	struct virtio_mmio *d = &n->dev;

	pthread_mutex_lock(&d->lock);
	d->features &= ~all;
	d->features |= net_port_hdr_len(&n->port) == HDR ? all : sw;
	pthread_mutex_unlock(&d->lock);
}

/* The peer can take frames again (also: we were just connected). */
static void vnet_resume(struct net_port *p)
{
	struct vnet *n = p->opaque;
	struct virtq *q = &n->dev.q[TXQ];

	update_offered(n);
	set_link(n, net_port_peer_link_up(p) && net_port_link_up(p));
	n->tx_blocked = false;
	if (!enter(n, q))
		return;
	tx_run(n, q);
	virtio_put(&n->dev);
}

static void vnet_link_changed(struct net_port *p, bool up)
{
	(void)up;
	set_link(p->opaque, net_port_peer_link_up(p) && net_port_link_up(p));
}

static const struct net_port_ops vnet_port_ops = {
	.receive = vnet_receive,
	.resume = vnet_resume,
	.link_changed = vnet_link_changed,
};

/* ---- device ops ----------------------------------------------------------- */

static void vnet_notify(struct virtio_mmio *d, struct virtq *q)
{
	struct vnet *n = to_vnet(d);

	sync_features(n);
	if (q->index == TXQ)
		tx_run(n, q);
	else
		rx_notify(n);
}

static void vnet_reset(struct virtio_mmio *d)
{
	struct vnet *n = to_vnet(d);

	n->feat_valid = false;
	n->tx_blocked = false;
	n->tx_seg_next = 0;
	if (n->offload_on) {
		net_port_set_offload(&n->port, 0);
		n->offload_on = false;
	}
}

static void vnet_free(struct virtio_mmio *d)
{
	struct vnet *n = to_vnet(d);

	net_port_disconnect(&n->port);
	free(n->rx_heads);
	free(n->rx_lens);
	free(n->tx_iov);
	free(n->sw_frame);
	free(n->sw_seg);
	free(n);
}

static const struct virtio_dev_ops vnet_ops = {
	.name = "virtio-net",
	.device_id = 1,
	.queue_notify = vnet_notify,
	.reset = vnet_reset,
	.free = vnet_free,
};

int virtio_net_new(struct virtio_mmio **out, const struct virtio_host *host,
		   const struct virtio_net_conf *conf)
{
	unsigned qsize = conf && conf->queue_size ? conf->queue_size : 256;
	uint64_t feat = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
			VIRTIO_BIT(F_MAC) | VIRTIO_BIT(F_STATUS) | VIRTIO_BIT(F_MRG_RXBUF);
	struct vnet *n;
	int rc;

	if (!conf || qsize < 2 || qsize > VIRTIO_MAX_QUEUE_SIZE || (qsize & (qsize - 1)) ||
	    (conf->mac[0] & 1))
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->qmax = qsize;
	n->rx_heads = calloc(qsize, sizeof(*n->rx_heads));
	n->rx_lens = calloc(qsize, sizeof(*n->rx_lens));
	n->tx_iov = calloc(VIRTIO_MAX_SEGS(qsize) + 1, sizeof(*n->tx_iov));
	n->sw_frame = malloc(NET_MAX_FRAME);
	n->sw_seg = malloc(NET_MAX_FRAME);
	snprintf(n->name, sizeof(n->name), "%s", conf->name ? conf->name : "virtio-net");
	memcpy(n->config + C_MAC, conf->mac, 6);
	n->config[C_MAX_PAIRS] = 1;
	n->config[C_MTU] = 1500 & 0xff;
	n->config[C_MTU + 1] = 1500 >> 8;
	rc = -ENOMEM;
	if (n->rx_heads && n->rx_lens && n->tx_iov && n->sw_frame && n->sw_seg)
		rc = virtio_dev_init(&n->dev, &vnet_ops, host, 2, qsize, feat, n->config, C_LEN);
	if (rc < 0) {
		free(n->rx_heads);
		free(n->rx_lens);
		free(n->tx_iov);
		free(n->sw_frame);
		free(n->sw_seg);
		free(n);
		return rc;
	}
	net_port_init(&n->port, &vnet_port_ops, n, n->name, true);
	*out = &n->dev;
	return 0;
}

struct net_port *virtio_net_port(struct virtio_mmio *d)
{
	return &to_vnet(d)->port;
}

void virtio_net_set_link(struct virtio_mmio *d, bool up)
{
	struct vnet *n = to_vnet(d);

	/* Our own port's link: net_port_send drops both ways while it is down. */
	net_port_set_link(&n->port, up);
	set_link(n, net_port_peer_link_up(&n->port) && up);
}

bool virtio_net_link_up(struct virtio_mmio *d)
{
	struct vnet *n = to_vnet(d);

	return __atomic_load_n((uint16_t *)(n->config + C_STATUS), __ATOMIC_ACQUIRE) & S_LINK_UP;
}

void virtio_net_get_stats(struct virtio_mmio *d, struct virtio_net_stats *s)
{
	*s = to_vnet(d)->st;
}

void virtio_net_default_mac(unsigned index, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)(base[5] + index);
}
