/*
 * virtio-mmio.c - the MMIO transport (version 2): register file, feature
 * negotiation, status state machine, QueueNotify -> reactor, interrupts,
 * asynchronous reset.
 *
 * Threads: virtio_mmio_read/write run on a vCPU thread and hold d->lock for
 * a few instructions each; QueueNotify takes no lock and only posts the
 * queue's node (a node per queue, posted once until the reactor picks it
 * up, so a burst of notifies costs one wake-up). Everything else here runs
 * on the reactor.
 *
 * Reset (status = 0): if nothing is in flight (or status is already 0)
 * the register file is cleared at once and status reads 0 immediately
 * (drivers such as Linux's do not poll after a reset). Otherwise the
 * reset completes on the reactor when the last request drains, and status
 * keeps its old value until then (the spec's "driver polls until status
 * reads 0"). Either way the epoch moves
 * first, so no request of the old epoch touches the rings again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-int.h"

enum {
	R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_VENDOR_ID = 0x00c,
	R_DEV_FEATURES = 0x010, R_DEV_FEATURES_SEL = 0x014,
	R_DRV_FEATURES = 0x020, R_DRV_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044, R_QUEUE_NOTIFY = 0x050,
	R_ISR = 0x060, R_ISR_ACK = 0x064, R_STATUS = 0x070,
	R_DESC_LO = 0x080, R_DESC_HI = 0x084, R_DRIVER_LO = 0x090, R_DRIVER_HI = 0x094,
	R_DEVICE_LO = 0x0a0, R_DEVICE_HI = 0x0a4,
	R_SHM_SEL = 0x0ac, R_SHM_LEN_LO = 0x0b0, R_SHM_LEN_HI = 0x0b4,
	R_SHM_BASE_LO = 0x0b8, R_SHM_BASE_HI = 0x0bc,
	R_CONFIG_GEN = 0x0fc, R_CONFIG = 0x100,
};

static void notify_cb(void *arg);
static void notify(struct virtio_mmio *d, uint32_t qi);

int virtio_dev_init(struct virtio_mmio *d, const struct virtio_dev_ops *ops,
		    const struct virtio_host *host, unsigned nq, unsigned qmax,
		    uint64_t features, const uint8_t *config, uint32_t config_len)
{
	pthread_mutexattr_t a;

	if (!host || !host->ram || !host->loop || !host->set_irq || nq == 0 ||
	    nq > VIRTIO_MAX_QUEUES || qmax == 0 || qmax > VIRTIO_MAX_QUEUE_SIZE ||
	    (qmax & (qmax - 1)) || config_len > VIRTIO_MMIO_SLOT_SIZE - R_CONFIG)
		return -EINVAL;
	d->ops = ops;
	d->host = *host;
	d->features = features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	d->config = config;
	d->config_len = config_len;
	d->nq = nq;
	for (unsigned i = 0; i < nq; i++) {
		struct virtq *q = &d->q[i];

		q->dev = d;
		q->index = i;
		q->max = qmax;
		q->scratch = calloc(VIRTIO_MAX_SEGS(qmax), sizeof(*q->scratch));
		if (!q->scratch) {
			while (i--)
				free(d->q[i].scratch);
			return -ENOMEM;
		}
		q->notify_node.fn = notify_cb;
		q->notify_node.arg = q;
	}
	virtio_hops_init(d);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&d->lock, &a);
	pthread_mutexattr_destroy(&a);
	return 0;
}

/* ---- reset -------------------------------------------------------------- */

/* Clear the register file. Lock held. */
static void reset_regs_locked(struct virtio_mmio *d)
{
	d->status = 0;
	atomic_store(&d->notify_ok, false);
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	d->drv_features = 0;
	memset(d->regs, 0, sizeof(d->regs));
	d->reset_pending = false;
	if (d->isr) {
		d->isr = 0;
		d->host.set_irq(d->host.irq_opaque, 0);
	}
}

/* Guest wrote status = 0. Lock held, vCPU thread. */
static void reset_locked(struct virtio_mmio *d)
{
	atomic_store(&d->notify_ok, false);
	/* Dekker with virtio_hold: epoch first, then look at inflight. A
	 * device whose status is already 0 has nothing of the driver's to
	 * drain: anything counted in flight then is a reactor hold about to
	 * fail on the epoch, and a pending reset would leave status reading 0
	 * while the driver's next writes are dropped (seen once in
	 * virtio-blk-reset-stress: FEATURES_OK refused). */
	atomic_fetch_add(&d->epoch, 1);
	if (atomic_load(&d->inflight) == 0 || d->status == 0) {
		reset_regs_locked(d);
		return;
	}
	d->reset_pending = true;
	if (d->isr) { /* nothing more to tell the old driver */
		d->isr = 0;
		d->host.set_irq(d->host.irq_opaque, 0);
	}
}

void virtio_sync_epoch(struct virtio_mmio *d)
{
	uint32_t e = atomic_load(&d->epoch);

	if (e == d->r_epoch)
		return;
	for (unsigned i = 0; i < d->nq; i++)
		d->q[i].active = d->q[i].broken = false;
	d->r_epoch = e;
	if (d->ops->reset)
		d->ops->reset(d);
}

bool virtio_hold(struct virtio_mmio *d)
{
	atomic_fetch_add(&d->inflight, 1);
	if (atomic_load(&d->epoch) != d->r_epoch) {
		virtio_put(d);
		return false;
	}
	return true;
}

void virtio_put(struct virtio_mmio *d)
{
	if (atomic_fetch_sub(&d->inflight, 1) != 1)
		return;
	pthread_mutex_lock(&d->lock);
	if (d->reset_pending && atomic_load(&d->inflight) == 0)
		reset_regs_locked(d);
	pthread_mutex_unlock(&d->lock);
}

/* ---- interrupts --------------------------------------------------------- */

/* The hart wake-up (a futex wake when it sleeps) after the device lock is
 * released: the vCPU reads InterruptStatus under that lock right after
 * it wakes. */
static void wake_after_raise(struct virtio_mmio *d)
{
	if (d->host.wake_irq)
		d->host.wake_irq(d->host.irq_opaque);
}

void virtio_raise(struct virtio_mmio *d, uint32_t bit, uint32_t e)
{
	bool raised = false;

	pthread_mutex_lock(&d->lock);
	if (atomic_load(&d->epoch) == e && !d->reset_pending) {
		d->isr |= bit;
		d->host.set_irq(d->host.irq_opaque, 1);
		raised = true;
		if (d->hops.on) {
			uint64_t now = virtio_hops_now();

			virtio_hops_add(d, VIRTIO_HOP_IRQ, d->hops.t_done, now);
			d->hops.t_done = 0;
			atomic_store(&d->hops.t_raise, now);
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (raised)
		wake_after_raise(d);
}

void virtio_needs_reset(struct virtio_mmio *d, const char *why)
{
	bool raise = false;

	/* A guest looping on reset + bad ring must not flood the host log. */
	if (d->warned < 5)
		fprintf(stderr, "ringvm: %s: guest error: %s; device needs reset%s\n",
			d->ops->name, why, ++d->warned == 5 ? " (further errors not logged)" : "");
	pthread_mutex_lock(&d->lock);
	if (atomic_load(&d->epoch) == d->r_epoch && !d->reset_pending &&
	    !(d->status & VIRTIO_S_NEEDS_RESET)) {
		d->status |= VIRTIO_S_NEEDS_RESET;
		d->isr |= VIRTIO_ISR_CONFIG;
		raise = true;
	}
	if (raise)
		d->host.set_irq(d->host.irq_opaque, 1);
	pthread_mutex_unlock(&d->lock);
	if (raise)
		wake_after_raise(d);
}

/* ---- notify (vCPU -> reactor) ------------------------------------------- */

static void notify_cb(void *arg)
{
	struct virtq *q = arg;
	struct virtio_mmio *d = q->dev;

	/* Clear first: a notify racing with the drain below posts again. */
	atomic_store(&q->notify_pending, false);
	if (d->hops.on)
		virtio_hops_add(d, VIRTIO_HOP_REACTOR, atomic_exchange(&d->hops.t_notify, 0),
				virtio_hops_now());
	virtio_sync_epoch(d);
	if (!virtio_hold(d))
		return;
	if (virtq_activate(q))
		d->ops->queue_notify(d, q);
	virtio_put(d);
}

static void notify(struct virtio_mmio *d, uint32_t qi)
{
	struct virtq *q;

	if (qi >= d->nq)
		return;
	q = &d->q[qi];
	if (d->hops.on) {
		uint64_t now = virtio_hops_now();

		virtio_hops_add(d, VIRTIO_HOP_GUEST, d->hops.t_isr, now);
		d->hops.t_isr = 0;
		virtio_hops_add_insns(d);
		if (!atomic_load(&q->notify_pending))
			atomic_store(&d->hops.t_notify, now);
	}
	if (!atomic_exchange(&q->notify_pending, true))
		loop_post_node(d->host.loop, &q->notify_node);
}

/* ---- registers (vCPU thread) -------------------------------------------- */

static uint64_t config_read(struct virtio_mmio *d, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	if (off >= d->config_len || size > d->config_len - off)
		return 0;
	memcpy(&v, d->config + off, size); /* little-endian host, LE config */
	return v;
}

static uint32_t reg_read_locked(struct virtio_mmio *d, uint64_t off)
{
	struct virtq_regs *r = d->queue_sel < d->nq ? &d->regs[d->queue_sel] : NULL;

	switch (off) {
	case R_MAGIC: return VIRTIO_MMIO_MAGIC;
	case R_VERSION: return 2;
	case R_DEVICE_ID: return d->ops->device_id;
	case R_VENDOR_ID: return VIRTIO_VENDOR_ID;
	case R_DEV_FEATURES:
		return d->dev_feat_sel < 2 ? (uint32_t)(d->features >> (32 * d->dev_feat_sel)) : 0;
	case R_QUEUE_NUM_MAX: return r ? d->q[d->queue_sel].max : 0;
	case R_QUEUE_READY: return r ? r->ready : 0;
	case R_ISR:
		if (d->hops.on) {
			uint64_t now = virtio_hops_now();

			virtio_hops_add(d, VIRTIO_HOP_WAKE, atomic_exchange(&d->hops.t_raise, 0), now);
			d->hops.t_isr = now;
			if (d->host.guest_insns)
				d->hops.i_isr = d->host.guest_insns(d->host.insns_opaque);
		}
		return d->isr;
	case R_STATUS: return d->status;
	case R_SHM_LEN_LO: case R_SHM_LEN_HI: return 0xffffffffu; /* no regions */
	case R_SHM_BASE_LO: case R_SHM_BASE_HI: return 0xffffffffu;
	case R_CONFIG_GEN: return 0; /* config never changes */
	default: return 0;
	}
}

int virtio_mmio_read(struct virtio_mmio *d, uint64_t off, unsigned size, uint64_t *val)
{
	*val = 0;
	if (off >= R_CONFIG) {
		if (size == 1 || size == 2 || size == 4 || size == 8)
			*val = config_read(d, off - R_CONFIG, size);
		return 0;
	}
	if (size != 4 || (off & 3))
		return 0;
	pthread_mutex_lock(&d->lock);
	*val = reg_read_locked(d, off);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void status_write_locked(struct virtio_mmio *d, uint32_t v)
{
	if (v == 0) {
		reset_locked(d);
		return;
	}
	/* FEATURES_OK sticks only for a subset of ours that includes VERSION_1
	 * (no legacy interface on transport version 2). */
	if ((v & VIRTIO_S_FEATURES_OK) && !(d->status & VIRTIO_S_FEATURES_OK) &&
	    ((d->drv_features & ~d->features) ||
	     !(d->drv_features & VIRTIO_BIT(VIRTIO_F_VERSION_1))))
		v &= ~VIRTIO_S_FEATURES_OK;
	/* DRIVER_OK without FEATURES_OK: the device cannot operate. */
	if ((v & VIRTIO_S_DRIVER_OK) && !(v & VIRTIO_S_FEATURES_OK))
		v &= ~VIRTIO_S_DRIVER_OK;
	/* DRIVER_OK: look at every ready queue once, so buffers a driver made
	 * available (and kicked) before DRIVER_OK are not stranded. */
	if ((v & VIRTIO_S_DRIVER_OK) && !(d->status & VIRTIO_S_DRIVER_OK))
		for (unsigned i = 0; i < d->nq; i++)
			if (d->regs[i].ready)
				notify(d, i);
	/* Bits are only ever added by the driver; NEEDS_RESET is ours. */
	d->status |= v & ~VIRTIO_S_NEEDS_RESET;
	atomic_store(&d->notify_ok, (d->status & VIRTIO_S_DRIVER_OK) != 0);
}

static void set_half(uint64_t *p, bool hi, uint32_t v)
{
	if (hi)
		*p = (*p & 0xffffffffull) | (uint64_t)v << 32;
	else
		*p = (*p & ~0xffffffffull) | v;
}

static void queue_reg_write_locked(struct virtio_mmio *d, uint64_t off, uint32_t v)
{
	struct virtq_regs *r;

	if (d->queue_sel >= d->nq)
		return;
	r = &d->regs[d->queue_sel];
	if (off == R_QUEUE_READY) {
		r->ready = v & 1;
		return;
	}
	if (r->ready) /* configuration is frozen while the queue is ready */
		return;
	switch (off) {
	case R_QUEUE_NUM: r->num = v; break;
	case R_DESC_LO: case R_DESC_HI: set_half(&r->desc, off == R_DESC_HI, v); break;
	case R_DRIVER_LO: case R_DRIVER_HI: set_half(&r->driver, off == R_DRIVER_HI, v); break;
	case R_DEVICE_LO: case R_DEVICE_HI: set_half(&r->device, off == R_DEVICE_HI, v); break;
	}
}

int virtio_mmio_write(struct virtio_mmio *d, uint64_t off, unsigned size, uint64_t val)
{
	uint32_t v = (uint32_t)val;

	if (off >= R_CONFIG || size != 4 || (off & 3))
		return 0; /* config space is read-only for our devices */
	/* The doorbell takes no lock: the vCPU never waits here for a reactor
	 * that holds the lock (raising an interrupt wakes a thread under it).
	 * A reset racing with this post is caught by the reactor (epoch and
	 * status are checked again in virtq_activate). */
	if (off == R_QUEUE_NOTIFY) {
		if (atomic_load(&d->notify_ok))
			notify(d, v & 0xffff);
		return 0;
	}
	pthread_mutex_lock(&d->lock);
	if (d->reset_pending) { /* the driver must wait for status 0 */
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	switch (off) {
	case R_DEV_FEATURES_SEL: d->dev_feat_sel = v; break;
	case R_DRV_FEATURES_SEL: d->drv_feat_sel = v; break;
	case R_DRV_FEATURES:
		if (d->drv_feat_sel < 2 && !(d->status & VIRTIO_S_FEATURES_OK))
			set_half(&d->drv_features, d->drv_feat_sel == 1, v);
		break;
	case R_QUEUE_SEL: d->queue_sel = v; break;
	case R_ISR_ACK:
		d->isr &= ~v;
		if (!d->isr)
			d->host.set_irq(d->host.irq_opaque, 0);
		break;
	case R_STATUS: status_write_locked(d, v); break;
	case R_SHM_SEL: break;
	default: queue_reg_write_locked(d, off, v); break;
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* ---- facts and teardown ------------------------------------------------- */

uint32_t virtio_mmio_device_id(const struct virtio_mmio *d)
{
	return d->ops->device_id;
}

const char *virtio_mmio_name(const struct virtio_mmio *d)
{
	return d->ops->name;
}

unsigned virtio_mmio_inflight(const struct virtio_mmio *d)
{
	return (unsigned)atomic_load(&((struct virtio_mmio *)d)->inflight);
}

static bool busy(struct virtio_mmio *d)
{
	if (atomic_load(&d->inflight))
		return true;
	for (unsigned i = 0; i < d->nq; i++)
		if (atomic_load(&d->q[i].notify_pending) || d->q[i].signal_pending)
			return true;
	return false;
}

void virtio_mmio_free(struct virtio_mmio *d)
{
	if (!d)
		return;
	/* Posted notifies and deferred signals point into d: let them run. */
	while (busy(d))
		if (loop_run_once(d->host.loop, 100000000) < 0)
			break;
	virtio_hops_print(d);
	for (unsigned i = 0; i < d->nq; i++)
		free(d->q[i].scratch);
	pthread_mutex_destroy(&d->lock);
	d->ops->free(d);
}
