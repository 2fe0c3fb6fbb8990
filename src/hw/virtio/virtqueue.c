/*
 * virtqueue.c - the split virtqueue, device side: activation, chain walk
 * with validation, used ring, notification and interrupt suppression.
 *
 * Reactor thread only. The rings live in guest RAM and a hostile guest may
 * rewrite them at any moment, so every descriptor is read once into a local
 * copy and validated there; every address is translated with virtio_gpa
 * (inside RAM or refused); a walk that visits more descriptors than its
 * table holds (the ring, or one indirect table of <= 1024) is a loop. Any rule broken -> the device goes
 * NEEDS_RESET and the queue stops (virtio 1.2, 2.1.2 / 2.7).
 *
 * Ordering with the vCPU: avail->idx is read with acquire before the ring
 * entries it covers; used entries are written before used->idx (release);
 * a full fence separates "publish" from "read the other side's event index".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/virtio/virtio-int.h"

/* Little-endian ring fields on a little-endian host (x86-64): plain loads. */
static inline uint16_t ld16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
}

static inline uint16_t ld16_acq(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static inline void st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELAXED);
}

static inline void st16_rel(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

#define AVAIL_FLAGS(q) ((q)->avail)
#define AVAIL_IDX(q) ((q)->avail + 2)
#define AVAIL_RING(q, i) ((q)->avail + 4 + 2 * (i))
#define USED_EVENT(q) ((q)->avail + 4 + 2 * (q)->num)
#define USED_FLAGS(q) ((q)->used)
#define USED_IDX(q) ((q)->used + 2)
#define USED_ELEM(q, i) ((q)->used + 4 + 8 * (i))
#define AVAIL_EVENT(q) ((q)->used + 4 + 8 * (q)->num)

static int fail(struct virtq *q, const char *why)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "queue %u: %s", q->index, why);
	q->broken = true;
	virtio_needs_reset(q->dev, msg);
	return -EIO;
}

/* Validate and map the queue's snapshot; false (and NEEDS_RESET) if bad. */
static bool map_rings(struct virtq *q, const struct virtq_regs *r)
{
	struct virtio_mmio *d = q->dev;
	uint64_t n = r->num;

	if (n == 0 || n > q->max || (n & (n - 1))) {
		fail(q, "queue size is not a power of two <= QueueNumMax");
		return false;
	}
	if ((r->desc & 15) || (r->driver & 1) || (r->device & 3)) {
		fail(q, "ring address misaligned");
		return false;
	}
	q->desc = virtio_gpa(d, r->desc, 16 * n);
	q->avail = virtio_gpa(d, r->driver, 6 + 2 * n);
	q->used = virtio_gpa(d, r->device, 6 + 8 * n);
	if (!q->desc || !q->avail || !q->used) {
		fail(q, "ring outside guest RAM");
		return false;
	}
	q->num = (uint16_t)n;
	return true;
}

bool virtq_activate(struct virtq *q)
{
	struct virtio_mmio *d = q->dev;
	struct virtq_regs r;
	uint64_t feat;
	bool ok;

	if (q->active)
		return !q->broken;
	pthread_mutex_lock(&d->lock);
	ok = atomic_load(&d->epoch) == d->r_epoch && !d->reset_pending &&
	     (d->status & VIRTIO_S_DRIVER_OK) && !(d->status & VIRTIO_S_NEEDS_RESET) &&
	     d->regs[q->index].ready;
	r = d->regs[q->index];
	feat = d->drv_features;
	pthread_mutex_unlock(&d->lock);
	if (!ok)
		return false;
	q->active = true;
	q->broken = false;
	q->act_epoch = d->r_epoch;
	if (!map_rings(q, &r))
		return false;
	q->event_idx = feat & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	q->indirect = feat & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	q->last_avail = q->used_idx = q->signalled_used = 0;
	return true;
}

static void read_desc(const uint8_t *table, unsigned i, struct vring_desc *out)
{
	/* One copy of the guest's bytes; validation looks only at the copy. */
	memcpy(out, table + 16 * (size_t)i, sizeof(*out));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Walk the chain at head into q->scratch. 0 or -EIO (after fail()). */
static int walk(struct virtq *q, uint16_t head, struct virtq_elem *e)
{
	const uint8_t *table = q->desc;
	uint32_t tsize = q->num, count = 0, idx = head;
	struct vring_desc dsc;
	unsigned n = 0;

	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	e->iov = q->scratch;
	for (;;) {
		/* Visiting more descriptors than the table holds means a loop. */
		if (++count > tsize)
			return fail(q, "descriptor chain longer than its table (a loop)");
		read_desc(table, idx, &dsc);
		if (dsc.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect)
				return fail(q, "indirect descriptor not negotiated");
			if (table != q->desc)
				return fail(q, "nested indirect descriptor");
			if (dsc.flags & VIRTQ_DESC_F_NEXT)
				return fail(q, "indirect descriptor with NEXT");
			if (dsc.len == 0 || dsc.len % 16)
				return fail(q, "indirect table size not a multiple of 16");
			if (dsc.len / 16 > VIRTIO_MAX_INDIRECT)
				return fail(q, "indirect table larger than 1024 entries");
			table = virtio_gpa(q->dev, dsc.addr, dsc.len);
			if (!table)
				return fail(q, "indirect table outside guest RAM");
			tsize = dsc.len / 16;
			idx = 0;
			count = 0;
			continue;
		}
		if (dsc.len) {
			void *p = virtio_gpa(q->dev, dsc.addr, dsc.len);

			if (!p)
				return fail(q, "descriptor buffer outside guest RAM");
			if (dsc.flags & VIRTQ_DESC_F_WRITE) {
				e->in_num++;
				e->in_len += dsc.len;
			} else {
				if (e->in_num)
					return fail(q, "readable descriptor after a writable one");
				e->out_num++;
				e->out_len += dsc.len;
			}
			/* n <= num - 1 direct + VIRTIO_MAX_INDIRECT: scratch has room. */
			q->scratch[n].iov_base = p;
			q->scratch[n].iov_len = dsc.len;
			n++;
		}
		if (!(dsc.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (dsc.next >= tsize)
			return fail(q, "descriptor next index out of range");
		idx = dsc.next;
	}
}

int virtq_pop(struct virtq *q, struct virtq_elem *e)
{
	uint16_t avail_idx, head;

	if (!q->active || q->broken)
		return q->broken ? -EIO : 0;
	/* A reset written meanwhile ends the drain: the guest may reuse the
	 * ring as soon as status reads 0. */
	if (!virtio_epoch_current(q->dev, q->act_epoch))
		return 0;
	avail_idx = ld16_acq(AVAIL_IDX(q));
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->num)
		return fail(q, "available index ran ahead by more than the queue size");
	head = ld16(AVAIL_RING(q, q->last_avail & (q->num - 1)));
	if (head >= q->num)
		return fail(q, "available ring entry out of range");
	if (walk(q, head, e) < 0)
		return -EIO;
	q->last_avail++;
	return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint8_t *el = USED_ELEM(q, q->used_idx & (q->num - 1));
	uint32_t id = head;

	memcpy(el, &id, 4);
	memcpy(el + 4, &len, 4);
	q->used_idx++;
	st16_rel(USED_IDX(q), q->used_idx);
}

void virtq_signal(struct virtq *q)
{
	uint16_t old = q->signalled_used, now = q->used_idx;
	bool need;

	if (!q->active || q->broken || old == now)
		return;
	/* Our used->idx store must be visible before we read used_event. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		uint16_t ev = ld16(USED_EVENT(q));

		need = (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
	} else {
		need = !(ld16(AVAIL_FLAGS(q)) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	q->signalled_used = now;
	if (need)
		virtio_raise(q->dev, VIRTIO_ISR_USED, q->act_epoch);
}

static void signal_cb(void *arg)
{
	struct virtq *q = arg;

	q->signal_pending = false;
	virtio_sync_epoch(q->dev);
	virtq_signal(q);
}

void virtq_schedule_signal(struct virtq *q)
{
	if (q->signal_pending)
		return;
	q->signal_pending = true;
	q->signal_node.fn = signal_cb;
	q->signal_node.arg = q;
	loop_defer(q->dev->host.loop, &q->signal_node);
}

void virtq_disable_notify(struct virtq *q)
{
	/* With EVENT_IDX the stale avail_event already keeps the driver quiet
	 * until it passes the entry we asked for. */
	if (!q->event_idx && q->active && !q->broken)
		st16(USED_FLAGS(q), VIRTQ_USED_F_NO_NOTIFY);
}

bool virtq_enable_notify(struct virtq *q)
{
	if (!q->active || q->broken || !virtio_epoch_current(q->dev, q->act_epoch))
		return false;
	if (q->event_idx)
		st16(AVAIL_EVENT(q), q->last_avail);
	else
		st16(USED_FLAGS(q), 0);
	/* Publish before re-reading avail->idx: a buffer added in between is
	 * either seen here or notified by the driver. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ld16_acq(AVAIL_IDX(q)) != q->last_avail;
}

/* ---- iovec helpers ------------------------------------------------------ */

size_t virtio_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf,
			 size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, c;

		if (off >= l) {
			off -= l;
			continue;
		}
		c = l - off < len - done ? l - off : len - done;
		memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off, c);
		done += c;
		off = 0;
	}
	return done;
}

size_t virtio_iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
			   const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, c;

		if (off >= l) {
			off -= l;
			continue;
		}
		c = l - off < len - done ? l - off : len - done;
		memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, c);
		done += c;
		off = 0;
	}
	return done;
}

unsigned virtio_iov_slice(const struct iovec *src, unsigned n, size_t off, size_t len,
			  struct iovec *dst)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n && len; i++) {
		size_t l = src[i].iov_len, c;

		if (off >= l) {
			off -= l;
			continue;
		}
		c = l - off < len ? l - off : len;
		dst[k].iov_base = (uint8_t *)src[i].iov_base + off;
		dst[k].iov_len = c;
		k++;
		len -= c;
		off = 0;
	}
	return k;
}
