/*
 * virtio-console.c - one console port (virtio 1.2, 5.3) without MULTIPORT:
 * queue 0 receiveq (host -> guest), queue 1 transmitq (guest -> host).
 *
 * Reactor thread only. The host side is a struct virtio_console_backend
 * (write + rx_ready); the integrator glues it to a chardev.
 * Flow control, nobody blocks:
 *   guest -> host: each TX chain's bytes go to be.write(); what it does not
 *     take stays in the one held chain until virtio_console_write_ready().
 *   host -> guest: the backend asks virtio_console_can_receive() (this pops
 *     and holds one RX buffer) and hands over at most that much; each
 *     receive() returns the filled buffer at once (console latency first).
 * A reset drops held chains (they belong to the old rings).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-int.h"

#define VCON_QSIZE 64
#define VCON_RX 0
#define VCON_TX 1

struct held {
	bool valid;
	struct virtq_elem e;
	size_t off;           /* bytes already consumed (TX) */
	struct iovec *iov;    /* own copy: the queue's scratch is reused */
};

struct vcon {
	struct virtio_mmio dev;
	struct virtio_console_backend be;
	struct held rx, tx;
	uint8_t config[12];   /* cols, rows, max_nr_ports, emerg_wr: unused */
};

static void hold(struct held *h, const struct virtq_elem *e)
{
	h->valid = true;
	h->e = *e;
	h->off = 0;
	memcpy(h->iov, e->iov, (e->out_num + e->in_num) * sizeof(*h->iov));
	h->e.iov = h->iov;
}

/* Enter from a backend call: the queue, active and held by a token. */
static struct virtq *enter(struct vcon *c, unsigned qi)
{
	struct virtio_mmio *d = &c->dev;

	virtio_sync_epoch(d);
	if (!virtio_hold(d))
		return NULL;
	if (!virtq_activate(&d->q[qi])) {
		virtio_put(d);
		return NULL;
	}
	return &d->q[qi];
}

/* ---- guest -> host ------------------------------------------------------ */

/* Send the held TX chain; true if it all went out (and was pushed). */
static bool tx_flush_held(struct vcon *c, struct virtq *q)
{
	struct held *h = &c->tx;

	while (h->off < h->e.out_len) {
		uint8_t buf[512];
		size_t n = virtio_iov_to_buf(h->e.iov, h->e.out_num, h->off, buf, sizeof(buf));
		size_t took = c->be.write ? c->be.write(c->be.opaque, buf, n) : n;

		h->off += took;
		if (took < n)
			return false; /* write_ready() resumes */
	}
	virtq_push(q, h->e.head, 0);
	h->valid = false;
	return true;
}

static void tx_run(struct vcon *c, struct virtq *q)
{
	struct virtq_elem e;
	int rc = 0;

	if (c->tx.valid && !tx_flush_held(c, q))
		goto out;
	do {
		virtq_disable_notify(q);
		while ((rc = virtq_pop(q, &e)) > 0) {
			hold(&c->tx, &e);
			if (!tx_flush_held(c, q))
				goto out;
		}
		if (rc < 0)
			return;
	} while (virtq_enable_notify(q));
out:
	virtq_signal(q);
}

void virtio_console_write_ready(struct virtio_mmio *d)
{
	struct vcon *c = (struct vcon *)d;
	struct virtq *q = enter(c, VCON_TX);

	if (!q)
		return;
	tx_run(c, q);
	virtio_put(d);
}

/* ---- host -> guest ------------------------------------------------------ */

static size_t rx_room(struct vcon *c, struct virtq *q)
{
	struct virtq_elem e;

	while (!c->rx.valid) {
		if (virtq_pop(q, &e) <= 0)
			return 0;
		if (e.in_len == 0) { /* nothing writable: hand it straight back */
			virtq_push(q, e.head, 0);
			continue;
		}
		hold(&c->rx, &e);
	}
	return c->rx.e.in_len;
}

size_t virtio_console_can_receive(struct virtio_mmio *d)
{
	struct vcon *c = (struct vcon *)d;
	struct virtq *q = enter(c, VCON_RX);
	size_t n;

	if (!q)
		return 0;
	n = rx_room(c, q);
	virtio_put(d);
	return n;
}

size_t virtio_console_receive(struct virtio_mmio *d, const uint8_t *buf, size_t len)
{
	struct vcon *c = (struct vcon *)d;
	struct virtq *q = enter(c, VCON_RX);
	size_t done = 0;

	if (!q)
		return 0;
	while (done < len && rx_room(c, q)) {
		struct held *h = &c->rx;
		size_t n = virtio_iov_from_buf(h->e.iov + h->e.out_num, h->e.in_num, 0,
					       buf + done, len - done);

		virtq_push(q, h->e.head, (uint32_t)n);
		h->valid = false;
		done += n;
	}
	virtq_signal(q);
	virtio_put(d);
	return done;
}

/* ---- device ops --------------------------------------------------------- */

static void vcon_notify(struct virtio_mmio *d, struct virtq *q)
{
	struct vcon *c = (struct vcon *)d;

	if (q->index == VCON_TX)
		tx_run(c, q);
	else if (c->be.rx_ready)
		c->be.rx_ready(c->be.opaque);
}

static void vcon_reset(struct virtio_mmio *d)
{
	struct vcon *c = (struct vcon *)d;

	c->rx.valid = c->tx.valid = false;
}

static void vcon_free(struct virtio_mmio *d)
{
	struct vcon *c = (struct vcon *)d;

	free(c->rx.iov);
	free(c->tx.iov);
	free(c);
}

static const struct virtio_dev_ops vcon_ops = {
	.name = "virtio-console",
	.device_id = 3,
	.queue_notify = vcon_notify,
	.reset = vcon_reset,
	.free = vcon_free,
};

int virtio_console_new(struct virtio_mmio **out, const struct virtio_host *host,
		       const struct virtio_console_backend *be)
{
	struct vcon *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	if (be)
		c->be = *be;
	c->rx.iov = calloc(VIRTIO_MAX_SEGS(VCON_QSIZE), sizeof(struct iovec));
	c->tx.iov = calloc(VIRTIO_MAX_SEGS(VCON_QSIZE), sizeof(struct iovec));
	rc = -ENOMEM;
	if (c->rx.iov && c->tx.iov)
		rc = virtio_dev_init(&c->dev, &vcon_ops, host, 2, VCON_QSIZE,
				     VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
					     VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
				     c->config, sizeof(c->config));
	if (rc < 0) {
		free(c->rx.iov);
		free(c->tx.iov);
		free(c);
		return rc;
	}
	*out = &c->dev;
	return 0;
}
