/*
 * virtio-blk.c - the block device (virtio 1.2, 5.2) on a struct blk.
 *
 * Reactor thread only (the transport posts QueueNotify here). Each chain
 * becomes one struct vblk_req holding a struct blk_req whose iovec points
 * straight into guest RAM (zero copy; a bounce buffer only when O_DIRECT
 * alignment demands one). Requests from all queues are submitted in the
 * same loop turn and go to the kernel in one ring enter at its end.
 * Completions write status + used ring; the interrupt decision runs once
 * per turn per queue (virtq_schedule_signal).
 *
 * Ownership: a vblk_req comes from the device's free list (or malloc when
 * the list has none big enough) at pop and goes back in its completion, so
 * the steady state allocates nothing; it holds one in-flight token of the
 * device, so a reset waits for it. If the epoch moved meanwhile, it
 * completes without touching the guest. The free list is the reactor's.
 *
 * Request size: the queue is 1024 entries by default and SEG_MAX is the
 * queue size minus header and status, so a guest's largest request (Linux:
 * max_sectors_kb 1280 = 320 pages, each its own segment when the pages are
 * scattered) is one chain, not two.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "hw/virtio/virtio-int.h"

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VBLK_MAX_SEGS 16              /* max_discard_seg, max_write_zeroes_seg */
#define VBLK_MAX_ZERO_SECTORS 0x400000u /* 2 GiB per discard/zeroes segment */
#define VBLK_SIZE_MAX (1u << 22)
#define VBLK_DEF_QUEUE_SIZE 1024
#define VBLK_POOL_MAX 64              /* free requests kept for reuse */
#define VBLK_MIN_IOV 16               /* smallest iovec room a request gets */

/* Config space layout (5.2.4), little-endian. */
enum {
	C_CAPACITY = 0, C_SIZE_MAX = 8, C_SEG_MAX = 12, C_BLK_SIZE = 20,
	C_NUM_QUEUES = 34, C_MAX_DISCARD_SECTORS = 36, C_MAX_DISCARD_SEG = 40,
	C_DISCARD_ALIGN = 44, C_MAX_WZ_SECTORS = 48, C_MAX_WZ_SEG = 52,
	C_WZ_MAY_UNMAP = 56, C_LEN = 60,
};

struct vblk {
	struct virtio_mmio dev; /* first: container_of by cast */
	struct blk *blk;
	bool ro;
	uint64_t capacity;      /* sectors */
	unsigned align;         /* blk_align */
	char serial[VIRTIO_BLK_ID_BYTES];
	uint8_t config[C_LEN];
	struct vblk_req *pool;  /* [reactor] finished requests for reuse */
	unsigned npool;
};

struct vblk_req {
	struct blk_req br;      /* first: the blk_req is our completion key */
	struct vblk *b;
	struct virtq *q;
	uint32_t epoch;
	uint64_t t_submit;      /* hop statistics only */
	uint16_t head;
	uint8_t *status;        /* last writable byte of the chain */
	uint32_t used_len;
	unsigned nsub, left;    /* discard / write-zeroes segments */
	int err;
	void *bounce;           /* aligned copy when the guest's iovec is not */
	struct iovec *guest_iov;/* where a bounced read goes back to */
	unsigned guest_iovcnt;
	struct blk_req *sub;    /* discard / write-zeroes only (own malloc) */
	struct vblk_req *next;  /* free list link */
	unsigned cap;           /* entries in iov[] */
	struct iovec iov[];     /* data segments (guest RAM, then guest_iov) */
};

static void put_le16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put_le32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_le64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ---- request pool ------------------------------------------------------- */

/* A request with room for niov iovecs, its fields cleared: the pool's head
 * if it is big enough, else a new one. NULL on ENOMEM. */
static struct vblk_req *vblk_req_get(struct vblk *b, unsigned niov)
{
	struct vblk_req *r = b->pool;
	unsigned cap;

	if (r && r->cap >= niov) {
		b->pool = r->next;
		b->npool--;
		cap = r->cap;
	} else {
		cap = VBLK_MIN_IOV;
		while (cap < niov)
			cap *= 2;
		r = malloc(sizeof(*r) + cap * sizeof(struct iovec));
		if (!r)
			return NULL;
	}
	/* Only the header is cleared: iov[] is filled before it is read. */
	memset(r, 0, sizeof(*r));
	r->cap = cap;
	return r;
}

/* Back to the pool (bounded: a burst of huge requests is not kept). */
static void vblk_req_put(struct vblk *b, struct vblk_req *r)
{
	free(r->bounce);
	free(r->sub);
	if (b->npool >= VBLK_POOL_MAX) {
		free(r);
		return;
	}
	r->next = b->pool;
	b->pool = r;
	b->npool++;
}

/* ---- completion --------------------------------------------------------- */

/* Finish: status byte, used ring, interrupt at end of turn; free. */
static void vblk_finish(struct vblk_req *r, uint8_t st)
{
	struct vblk *b = r->b;
	struct virtq *q = r->q;

	if (virtio_epoch_current(&b->dev, r->epoch) && q->active && !q->broken &&
	    q->act_epoch == r->epoch) {
		if (r->bounce && r->guest_iov && st == VIRTIO_BLK_S_OK)
			virtio_iov_from_buf(r->guest_iov, r->guest_iovcnt, 0, r->bounce,
					    r->br.iov[0].iov_len);
		*r->status = st;
		virtq_push(q, r->head, r->used_len);
		virtq_schedule_signal(q);
	}
	vblk_req_put(b, r);
	virtio_put(&b->dev);
}

static void vblk_done(struct blk_req *br, int res)
{
	struct vblk_req *r = (struct vblk_req *)br;
	struct virtio_mmio *d = &r->b->dev;

	if (d->hops.on) {
		d->hops.t_done = virtio_hops_now();
		virtio_hops_add(d, VIRTIO_HOP_IO, r->t_submit, d->hops.t_done);
	}
	vblk_finish(r, res < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

static void vblk_sub_done(struct blk_req *br, int res)
{
	struct vblk_req *r = br->opaque;

	if (res < 0)
		r->err = res;
	if (--r->left == 0)
		vblk_finish(r, r->err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

/* ---- request building --------------------------------------------------- */

static bool in_range(struct vblk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t cap = b->capacity * 512;

	return sector <= b->capacity && bytes <= cap - sector * 512;
}

/* O_DIRECT images need aligned buffers: bounce when the guest's aren't. */
static int maybe_bounce(struct vblk_req *r, bool is_read, size_t len)
{
	unsigned a = r->b->align;
	bool ok = true;

	if (a <= 1)
		return 0;
	for (unsigned i = 0; i < r->br.iovcnt; i++)
		if (((uintptr_t)r->iov[i].iov_base | r->iov[i].iov_len) & (a - 1))
			ok = false;
	if (ok)
		return 0;
	if (posix_memalign(&r->bounce, a, len))
		return -ENOMEM;
	/* r->iov has one spare entry: slide the guest's segments behind it. */
	memmove(r->iov + 1, r->iov, r->br.iovcnt * sizeof(*r->iov));
	r->guest_iov = r->iov + 1;
	r->guest_iovcnt = r->br.iovcnt;
	if (!is_read) {
		virtio_iov_to_buf(r->guest_iov, r->guest_iovcnt, 0, r->bounce, len);
		r->guest_iov = NULL; /* nothing to copy back */
	}
	r->iov[0].iov_base = r->bounce;
	r->iov[0].iov_len = len;
	r->br.iovcnt = 1;
	return 0;
}

/* IN / OUT: data after the header (OUT) or before the status byte (IN). */
static int vblk_rw(struct vblk_req *r, const struct virtq_elem *e, uint64_t sector,
		   bool is_read)
{
	size_t len = is_read ? e->in_len - 1 : e->out_len - 16;

	if (len % 512 || !in_range(r->b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (!is_read && r->b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (is_read)
		r->br.iovcnt = virtio_iov_slice(e->iov + e->out_num, e->in_num, 0, len, r->iov);
	else
		r->br.iovcnt = virtio_iov_slice(e->iov, e->out_num, 16, len, r->iov);
	r->br.op = is_read ? BLK_READ : BLK_WRITE;
	r->br.offset = sector * 512;
	r->br.iov = r->iov;
	r->used_len = is_read ? (uint32_t)len + 1 : 1;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	if (maybe_bounce(r, is_read, len) < 0)
		return VIRTIO_BLK_S_IOERR;
	return -1; /* submit */
}

/* DISCARD / WRITE_ZEROES: 16-byte segments after the header. */
static int vblk_zero(struct vblk_req *r, const struct virtq_elem *e, bool discard)
{
	size_t bytes = e->out_len - 16;
	unsigned n = bytes / 16;

	if (bytes % 16 || n == 0 || n > VBLK_MAX_SEGS)
		return VIRTIO_BLK_S_UNSUPP;
	if (r->b->ro)
		return VIRTIO_BLK_S_IOERR;
	r->sub = calloc(n, sizeof(*r->sub));
	if (!r->sub)
		return VIRTIO_BLK_S_IOERR;
	for (unsigned i = 0; i < n; i++) {
		uint8_t seg[16];
		uint64_t sector;
		uint32_t nsec, flags;
		struct blk_req *s = &r->sub[i];

		virtio_iov_to_buf(e->iov, e->out_num, 16 + 16 * (size_t)i, seg, 16);
		memcpy(&sector, seg, 8);
		memcpy(&nsec, seg + 8, 4);
		memcpy(&flags, seg + 12, 4);
		if ((flags & ~1u) || (discard && (flags & 1)))
			return VIRTIO_BLK_S_UNSUPP;
		if (nsec > VBLK_MAX_ZERO_SECTORS || !in_range(r->b, sector, (uint64_t)nsec * 512))
			return VIRTIO_BLK_S_IOERR;
		memset(s, 0, sizeof(*s));
		s->op = discard ? BLK_DISCARD : BLK_WRITE_ZEROES;
		s->flags = (flags & 1) ? BLK_F_MAY_UNMAP : 0;
		s->offset = sector * 512;
		s->len = (uint64_t)nsec * 512;
		s->done = vblk_sub_done;
		s->opaque = r;
	}
	r->nsub = n;
	return -1;
}

/* Parse the request. Returns a VIRTIO_BLK_S_* to answer at once, or -1
 * when r is ready to submit. */
static int vblk_parse(struct vblk_req *r, const struct virtq_elem *e)
{
	uint8_t hdr[16];
	uint32_t type;
	uint64_t sector;

	virtio_iov_to_buf(e->iov, e->out_num, 0, hdr, 16);
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	r->used_len = 1;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (e->out_len != 16)
			return VIRTIO_BLK_S_IOERR; /* data in a device-readable buffer */
		return vblk_rw(r, e, sector, true);
	case VIRTIO_BLK_T_OUT:
		if (e->in_len != 1)
			return VIRTIO_BLK_S_IOERR;
		return vblk_rw(r, e, sector, false);
	case VIRTIO_BLK_T_FLUSH:
		r->br.op = BLK_FLUSH;
		return -1;
	case VIRTIO_BLK_T_GET_ID: {
		size_t n = e->in_len - 1 < VIRTIO_BLK_ID_BYTES ? e->in_len - 1 : VIRTIO_BLK_ID_BYTES;

		virtio_iov_from_buf(e->iov + e->out_num, e->in_num, 0, r->b->serial, n);
		r->used_len = (uint32_t)n + 1;
		return VIRTIO_BLK_S_OK;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return vblk_zero(r, e, type == VIRTIO_BLK_T_DISCARD);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static uint8_t *status_byte(const struct virtq_elem *e)
{
	const struct iovec *last;

	if (e->in_num == 0)
		return NULL;
	last = &e->iov[e->out_num + e->in_num - 1]; /* zero-length ones are skipped */
	return (uint8_t *)last->iov_base + last->iov_len - 1;
}

static void vblk_start(struct vblk *b, struct virtq *q, const struct virtq_elem *e)
{
	struct virtio_mmio *d = &b->dev;
	unsigned niov = e->out_num + e->in_num + 1;
	struct vblk_req *r;
	uint8_t *st = status_byte(e);
	int rc;

	if (!st || e->out_len < 16) { /* no header or nowhere to answer */
		virtq_push(q, e->head, 0);
		return;
	}
	r = vblk_req_get(b, niov);
	if (!r) {
		*st = VIRTIO_BLK_S_IOERR;
		virtq_push(q, e->head, 1);
		return;
	}
	r->b = b;
	r->q = q;
	r->epoch = d->r_epoch;
	r->head = e->head;
	r->status = st;
	r->br.done = vblk_done;
	r->br.opaque = r;
	atomic_fetch_add(&d->inflight, 1); /* the walk token covers the epoch */
	rc = vblk_parse(r, e);
	if (rc >= 0) {
		vblk_finish(r, (uint8_t)rc);
		return;
	}
	if (r->nsub) {
		unsigned n = r->nsub; /* r may be freed by the last completion */

		r->left = n;
		for (unsigned i = 0; i < n; i++)
			if (blk_submit(b->blk, &r->sub[i]) < 0)
				vblk_sub_done(&r->sub[i], -EIO);
		return;
	}
	if (d->hops.on)
		r->t_submit = virtio_hops_now();
	if (blk_submit(b->blk, &r->br) < 0)
		vblk_finish(r, VIRTIO_BLK_S_IOERR);
}

static void vblk_notify(struct virtio_mmio *d, struct virtq *q)
{
	struct vblk *b = (struct vblk *)d;
	struct virtq_elem e;
	int rc = 0;

	do {
		virtq_disable_notify(q);
		while ((rc = virtq_pop(q, &e)) > 0)
			vblk_start(b, q, &e);
		if (rc < 0)
			return;
	} while (virtq_enable_notify(q));
	virtq_schedule_signal(q);
}

static void vblk_free(struct virtio_mmio *d)
{
	struct vblk *b = (struct vblk *)d;

	while (b->pool) {
		struct vblk_req *r = b->pool;

		b->pool = r->next;
		free(r);
	}
	free(d);
}

static const struct virtio_dev_ops vblk_ops = {
	.name = "virtio-blk",
	.device_id = 2,
	.queue_notify = vblk_notify,
	.free = vblk_free,
};

static void vblk_fill_config(struct vblk *b, unsigned nq, unsigned qsize)
{
	uint8_t *c = b->config;

	put_le64(c + C_CAPACITY, b->capacity);
	put_le32(c + C_SIZE_MAX, VBLK_SIZE_MAX);
	put_le32(c + C_SEG_MAX, qsize - 2); /* header and status take two */
	put_le32(c + C_BLK_SIZE, b->align > 512 ? b->align : 512);
	put_le16(c + C_NUM_QUEUES, (uint16_t)nq);
	put_le32(c + C_MAX_DISCARD_SECTORS, VBLK_MAX_ZERO_SECTORS);
	put_le32(c + C_MAX_DISCARD_SEG, VBLK_MAX_SEGS);
	put_le32(c + C_DISCARD_ALIGN, 8);
	put_le32(c + C_MAX_WZ_SECTORS, VBLK_MAX_ZERO_SECTORS);
	put_le32(c + C_MAX_WZ_SEG, VBLK_MAX_SEGS);
	c[C_WZ_MAY_UNMAP] = 1;
}

int virtio_blk_new(struct virtio_mmio **out, const struct virtio_host *host,
		   struct blk *bk, const struct virtio_blk_conf *conf)
{
	struct virtio_blk_conf def = { 0 };
	unsigned nq, qsize;
	uint64_t feat;
	struct vblk *b;
	int rc;

	if (!conf)
		conf = &def;
	nq = conf->num_queues ? conf->num_queues : 1;
	qsize = conf->queue_size ? conf->queue_size : VBLK_DEF_QUEUE_SIZE;
	if (!bk || nq > VIRTIO_MAX_QUEUES || qsize < 4)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->blk = bk;
	b->ro = conf->read_only || blk_read_only(bk);
	b->capacity = blk_size(bk) / 512;
	b->align = blk_align(bk);
	if (conf->serial)
		/* NUL-padded; a 20-byte serial fills the field (no NUL, as specified) */
		memcpy(b->serial, conf->serial, strnlen(conf->serial, sizeof(b->serial)));
	vblk_fill_config(b, nq, qsize);
	feat = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
	       VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
	       VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
	       VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	if (b->ro)
		feat |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	if (nq > 1)
		feat |= VIRTIO_BIT(VIRTIO_BLK_F_MQ);
	rc = virtio_dev_init(&b->dev, &vblk_ops, host, nq, qsize, feat, b->config, C_LEN);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*out = &b->dev;
	return 0;
}
