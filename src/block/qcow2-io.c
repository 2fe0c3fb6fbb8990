/*
 * qcow2-io.c - the qcow2 request path.
 *
 * A request (struct q_req) is issued cluster run by cluster run. Each run
 * becomes a sub-I/O (struct q_sub): a data read/write on the host file, a
 * read from the backing image, a compressed cluster read, or a memset for
 * zero/unallocated clusters. The fast path (L2 slice cache hit on an
 * allocated cluster we own, the COPIED flag) is one aio submission with
 * the caller's iovec slice: no copy, no lock.
 *
 * Writes that need a new cluster go through the allocation state machine
 * (struct q_alloc, steps numbered below). Allocations in flight are on a
 * list; a write, discard or write-zeroes touching a cluster that is being
 * allocated waits on that allocation and resumes when it ends, while
 * everything else proceeds in parallel.
 *
 * Threading: loop thread only. Ownership: q_req and q_sub come from free
 * lists in struct qcow2; a q_req is owned by its blk_req until finish.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

enum { SUB_IOV = 4, MAX_RUN_BYTES = 8 << 20 };

struct q_req {
	struct qcow2 *q;
	struct blk_req *r;
	uint64_t pos, end;       /* guest range still to issue */
	int pending;             /* subs in flight, +1 while issuing */
	int err;
	uint8_t stale;           /* slice loads in a row that raced with a write-back */
	struct q_req *next;      /* free list / waiters of an allocation */
};

enum { SUB_DATA, SUB_BACKING, SUB_COMPRESSED };

struct q_sub {
	struct aio_req a;
	struct blk_req br;
	struct q_req *parent;
	int kind;
	uint64_t goff, len;      /* guest range of the sub */
	uint8_t *bounce;
	struct iovec *iov;
	unsigned iovcnt;
	struct iovec iov_inline[SUB_IOV];
	struct q_sub *next;
};

/* Allocation state machine:
 *  1. allocate host clusters (refcount 1, in the refcount cache)
 *  2. read the COW head/tail (current content: backing, old cluster,
 *     zeroes, compressed) through the read path
 *  3. write head + guest data + tail to the new clusters in one writev
 *  4. point the L2 entries at the new clusters (COPIED); drop the old
 *     clusters' references (deferred until the L2 change is durable)
 *  5. leave the in-flight list and wake the requests that waited */
enum { ALLOC_CLUSTERS, ALLOC_SUB_NEW, ALLOC_SUB_OWNED, ALLOC_COMPRESSED };

struct q_alloc {
	struct qcow2 *q;
	struct q_req *qr;
	uint64_t gstart, gend;   /* guest range written: clusters, or subclusters
	                            (extended L2) */
	uint64_t wstart, wend;   /* guest data of qr inside it */
	uint64_t lstart, lend;   /* range others wait for (whole clusters) */
	int mode;                /* ALLOC_*: what step 4 links */
	int64_t host;            /* host offset of gstart */
	int64_t fresh;           /* clusters allocated in step 1 (-1: none) */
	uint64_t nfresh;
	uint64_t clen;           /* ALLOC_COMPRESSED: bytes at host (in head) */
	int step, pending, err;
	uint8_t *head, *tail;
	struct aio_req a;
	struct blk_req cow[2];
	struct iovec cow_iov[2];
	struct iovec *iov;
	unsigned iovcnt;
	struct q_req *waiters;
	struct q_alloc *next;
};

static void issue(struct q_req *qr);
static void start_req(struct qcow2 *q, struct q_req *qr);

static inline uint64_t cs_of(const struct qcow2 *q) { return q->cluster_size; }

static bool entry_owned(uint64_t e)
{
	return (e & Q_COPIED) && !(e & (Q_COMPRESSED | Q_ZERO)) && (e & Q_OFFSET_MASK);
}

static bool entry_normal(uint64_t e)
{
	return !(e & (Q_COMPRESSED | Q_ZERO)) && (e & Q_OFFSET_MASK);
}

static bool in(uint64_t off, uint64_t start, uint64_t len)
{
	return off >= start && off - start < len;
}

/* Cheap checks on every mapped cluster (O(1)): aligned, no reserved bits,
 * inside the file, not on the header, L1 table or refcount table. */
static int check_entry(struct qcow2 *q, uint64_t goff, uint64_t e)
{
	if (e & Q_COMPRESSED)
		return 0;
	uint64_t off = e & Q_OFFSET_MASK;
	const char *what = NULL;
	if ((e & Q_L2_RESERVED) || (off & (cs_of(q) - 1)))
		what = "is misaligned or has reserved bits";
	else if (off && off >= q->host_end)
		what = "points past the end of the image file";
	else if (off && (off < cs_of(q) || in(off, q->l1_offset, (uint64_t)q->l1_size * 8) ||
			 in(off, q->rt_offset, (uint64_t)q->rt_clusters * cs_of(q))))
		what = "points into metadata (header, L1 or refcount table)";
	if (!what)
		return 0;
	char why[160];
	snprintf(why, sizeof(why), "L2 entry for guest offset 0x%llx (0x%llx) %s",
		 (unsigned long long)goff, (unsigned long long)e, what);
	q_mark_corrupt(q, why);
	return -EIO;
}

/* ---- request bookkeeping ------------------------------------------------ */

static void finish_req(struct q_req *qr)
{
	struct qcow2 *q = qr->q;
	struct blk_req *r = qr->r;
	int err = qr->err;
	qr->next = q->free_reqs;
	q->free_reqs = qr;
	q->nreqs--;
	blk_req_finish(q->b, r, err);
}

static void put_req(struct q_req *qr, int err)
{
	if (err < 0 && !qr->err)
		qr->err = err;
	if (--qr->pending == 0)
		finish_req(qr);
}

static struct q_sub *get_sub(struct qcow2 *q, struct q_req *qr, int kind, uint64_t goff,
			     uint64_t len)
{
	struct q_sub *s = q->free_subs;
	if (s)
		q->free_subs = s->next;
	else if (!(s = malloc(sizeof(*s))))
		return NULL;
	s->parent = qr;
	s->kind = kind;
	s->goff = goff;
	s->len = len;
	s->bounce = NULL;
	s->iov = s->iov_inline;
	s->iovcnt = 0;
	return s;
}

static void put_sub(struct qcow2 *q, struct q_sub *s)
{
	if (s->iov != s->iov_inline)
		free(s->iov);
	free(s->bounce);
	s->next = q->free_subs;
	q->free_subs = s;
}

/* The caller's iovec for guest range [goff, goff+len) of qr. */
static int sub_slice(struct q_sub *s, uint64_t goff, uint64_t len)
{
	struct blk_req *r = s->parent->r;
	size_t off = goff - r->offset;
	int n = blk_iov_slice(r->iov, r->iovcnt, off, len, s->iov_inline, SUB_IOV);
	if (n == -E2BIG) {
		s->iov = malloc(sizeof(struct iovec) * r->iovcnt);
		if (!s->iov) {
			s->iov = s->iov_inline;
			return -ENOMEM;
		}
		n = blk_iov_slice(r->iov, r->iovcnt, off, len, s->iov, r->iovcnt);
	}
	if (n < 0)
		return n;
	s->iovcnt = (unsigned)n;
	return 0;
}

static void sub_done(struct aio_req *a, ssize_t res);

static int submit_data(struct q_req *qr, uint64_t goff, uint64_t len, uint64_t host,
		       bool write)
{
	struct qcow2 *q = qr->q;
	struct q_sub *s = get_sub(q, qr, SUB_DATA, goff, len);
	if (!s)
		return -ENOMEM;
	int r = sub_slice(s, goff, len);
	if (r < 0) {
		put_sub(q, s);
		return r;
	}
	/* one buffer: plain READ/WRITE, which spares the kernel the iovec
	 * import of READV/WRITEV */
	if (s->iovcnt == 1 && write)
		aio_prep_write(&s->a, q->f.fd, s->iov[0].iov_base, s->iov[0].iov_len, host,
			       sub_done, s);
	else if (s->iovcnt == 1)
		aio_prep_read(&s->a, q->f.fd, s->iov[0].iov_base, s->iov[0].iov_len, host,
			      sub_done, s);
	else if (write)
		aio_prep_writev(&s->a, q->f.fd, s->iov, s->iovcnt, host, sub_done, s);
	else
		aio_prep_readv(&s->a, q->f.fd, s->iov, s->iovcnt, host, sub_done, s);
	qr->pending++;
	q->inflight++;
	r = aio_submit(q->b->engine, &s->a);
	if (r < 0) {
		qr->pending--;
		q->inflight--;
		put_sub(q, s);
	}
	return r;
}

static void sub_done(struct aio_req *a, ssize_t res)
{
	struct q_sub *s = (struct q_sub *)a;
	struct q_req *qr = s->parent;
	struct qcow2 *q = qr->q;
	q->inflight--;
	int err = res < 0 ? (int)res : 0;
	if (s->kind == SUB_DATA && !err && (uint64_t)res < s->len && qr->r->op == BLK_READ) {
		/* data cluster past the end of the file reads as zeroes */
		blk_iov_memset(s->iov, s->iovcnt, (size_t)res, 0, s->len - (uint64_t)res);
	} else if (s->kind == SUB_COMPRESSED && !err) {
		uint64_t coff, clen;
		q_comp_range(q, s->br.offset, &coff, &clen); /* br.offset holds the entry */
		if ((uint64_t)res < clen)
			memset(s->bounce + res, 0, clen - (uint64_t)res);
		uint8_t *plain = malloc(cs_of(q));
		if (!plain)
			err = -ENOMEM;
		else if (q_decompress(q, s->bounce, clen, plain, cs_of(q)) < 0) {
			fprintf(stderr, "qcow2: '%s': compressed cluster at 0x%llx is invalid\n",
				q->b->filename, (unsigned long long)coff);
			err = -EIO;
		} else {
			blk_iov_from_buf(s->iov, s->iovcnt, 0,
					 plain + (s->goff & (cs_of(q) - 1)), s->len);
		}
		free(plain);
	}
	put_sub(q, s);
	put_req(qr, err);
}

static void backing_done(struct blk_req *br, int res)
{
	struct q_sub *s = br->opaque;
	struct q_req *qr = s->parent;
	put_sub(qr->q, s);
	put_req(qr, res);
}

static int submit_backing(struct q_req *qr, uint64_t goff, uint64_t len)
{
	struct qcow2 *q = qr->q;
	struct q_sub *s = get_sub(q, qr, SUB_BACKING, goff, len);
	if (!s)
		return -ENOMEM;
	int r = sub_slice(s, goff, len);
	if (r < 0) {
		put_sub(q, s);
		return r;
	}
	memset(&s->br, 0, sizeof(s->br));
	s->br.op = BLK_READ;
	s->br.offset = goff;
	s->br.iov = s->iov;
	s->br.iovcnt = s->iovcnt;
	s->br.done = backing_done;
	s->br.opaque = s;
	qr->pending++;
	r = q->b->backing->drv->submit(q->b->backing, &s->br);
	if (r < 0) {
		qr->pending--;
		put_sub(q, s);
	}
	return r;
}

static int submit_compressed(struct q_req *qr, uint64_t goff, uint64_t len, uint64_t e)
{
	struct qcow2 *q = qr->q;
	uint64_t coff, clen;
	q_comp_range(q, e, &coff, &clen);
	if (clen > 2 * cs_of(q) + 512 || coff < cs_of(q)) {
		q_mark_corrupt(q, "invalid compressed cluster descriptor");
		return -EIO;
	}
	struct q_sub *s = get_sub(q, qr, SUB_COMPRESSED, goff, len);
	if (!s)
		return -ENOMEM;
	int r = sub_slice(s, goff, len);
	s->bounce = malloc(clen);
	if (r < 0 || !s->bounce) {
		put_sub(q, s);
		return r < 0 ? r : -ENOMEM;
	}
	s->br.offset = e;
	aio_prep_read(&s->a, q->f.mfd, s->bounce, clen, coff, sub_done, s);
	qr->pending++;
	q->inflight++;
	r = aio_submit(q->b->engine, &s->a);
	if (r < 0) {
		qr->pending--;
		q->inflight--;
		put_sub(q, s);
	}
	return r;
}

/* ---- reads -------------------------------------------------------------- */

/* Length of the run at pos (< end) whose clusters map like entry e. */
static int run_len(struct q_req *qr, uint64_t e, uint64_t *len, bool write)
{
	struct qcow2 *q = qr->q;
	uint64_t cs = cs_of(q), pos = qr->pos;
	uint64_t n = cs - (pos & (cs - 1));
	if (n > qr->end - pos)
		n = qr->end - pos;
	while (pos + n < qr->end && n < MAX_RUN_BYTES && !(e & Q_COMPRESSED)) {
		uint64_t ne, key;
		if (!q_l2_cached(q, pos + n, &key))
			break; /* the next issue step loads it asynchronously */
		int r = q_l2_lookup(q, pos + n, &ne);
		if (r < 0)
			return r;
		bool same;
		if (entry_normal(e))
			same = entry_normal(ne) && (ne & Q_OFFSET_MASK) ==
				(e & Q_OFFSET_MASK) + ((pos + n) & ~(cs - 1)) - (pos & ~(cs - 1)) &&
				(!write || (ne & Q_COPIED));
		else if (e & Q_ZERO)
			same = (ne & Q_ZERO) != 0;
		else
			same = !(ne & ~Q_COPIED);
		if (!same)
			break;
		uint64_t add = qr->end - (pos + n) < cs ? qr->end - (pos + n) : cs;
		n += add;
	}
	*len = n;
	return 0;
}

/* Unallocated here: the backing file below its size, zeroes elsewhere. */
static int read_unallocated(struct q_req *qr, uint64_t pos, uint64_t n)
{
	struct qcow2 *q = qr->q;
	int r = 0;
	if (q->b->backing && pos < q->size && pos < blk_size(q->b->backing)) {
		uint64_t bend = blk_size(q->b->backing);
		if (bend > q->size)
			bend = q->size;
		uint64_t bn = pos + n <= bend ? n : bend - pos;
		r = submit_backing(qr, pos, bn);
		if (!r && bn < n)
			blk_iov_memset(qr->r->iov, qr->r->iovcnt, pos + bn - qr->r->offset, 0,
				       n - bn);
	} else {
		blk_iov_memset(qr->r->iov, qr->r->iovcnt, pos - qr->r->offset, 0, n);
	}
	return r;
}

/* Extended L2: 32 subclusters, each allocated, zero or unallocated. */
static int sc_state(uint64_t bm, unsigned i)
{
	return (bm >> i) & 1 ? 1 : (bm >> (32 + i)) & 1 ? 2 : 0;
}

static int issue_read_ext(struct q_req *qr, uint64_t e, uint64_t bm)
{
	struct qcow2 *q = qr->q;
	uint64_t cs = cs_of(q), sc = cs >> 5, pos = qr->pos, in = pos & (cs - 1);
	unsigned i = (unsigned)(in / sc), j = i + 1;
	int st = sc_state(bm, i);
	while (j < 32 && sc_state(bm, j) == st)
		j++;
	uint64_t n = j * sc - in;
	if (n > qr->end - pos)
		n = qr->end - pos;
	int r = 0;
	if (st == 1 && !(e & Q_OFFSET_MASK)) {
		q_mark_corrupt(q, "an allocated subcluster has no host cluster");
		return -EIO;
	}
	if (st == 1)
		r = submit_data(qr, pos, n, (e & Q_OFFSET_MASK) + in, false);
	else if (st == 2)
		blk_iov_memset(qr->r->iov, qr->r->iovcnt, pos - qr->r->offset, 0, n);
	else
		r = read_unallocated(qr, pos, n);
	qr->pos += n;
	return r;
}

static int issue_read_one(struct q_req *qr)
{
	struct qcow2 *q = qr->q;
	uint64_t pos = qr->pos, e, n;
	int r = q_l2_lookup(q, pos, &e);
	if (r < 0 || (r = check_entry(q, pos, e)) < 0)
		return r;
	if (q->extl2 && !(e & Q_COMPRESSED))
		return issue_read_ext(qr, e, q->last_bitmap);
	if ((r = run_len(qr, e, &n, false)) < 0)
		return r;
	uint64_t in = pos & (cs_of(q) - 1);
	if (e & Q_COMPRESSED)
		r = submit_compressed(qr, pos, n, e);
	else if (entry_normal(e))
		r = submit_data(qr, pos, n, (e & Q_OFFSET_MASK) + in, false);
	else if (!(e & Q_ZERO))
		r = read_unallocated(qr, pos, n);
	else
		blk_iov_memset(qr->r->iov, qr->r->iovcnt, pos - qr->r->offset, 0, n);
	qr->pos += n;
	return r;
}

/* ---- allocation ----------------------------------------------------------- */

static struct q_alloc *alloc_overlapping(struct qcow2 *q, uint64_t gstart, uint64_t gend)
{
	for (struct q_alloc *a = q->allocs; a; a = a->next)
		if (a->lstart < gend && gstart < a->lend)
			return a;
	return NULL;
}

static void alloc_step(struct q_alloc *a);

static void alloc_cow_done(struct blk_req *r, int res)
{
	struct q_alloc *a = r->opaque;
	if (res < 0 && !a->err)
		a->err = res;
	if (--a->pending == 0)
		alloc_step(a);
}

static void alloc_write_done(struct aio_req *ar, ssize_t res)
{
	struct q_alloc *a = ar->opaque;
	a->q->inflight--;
	if (res < 0 && !a->err)
		a->err = (int)res;
	alloc_step(a);
}

static int q_start_internal(struct qcow2 *q, struct blk_req *r);

/* Step 2: read the parts of the first/last cluster the write leaves. */
static int alloc_cow_reads(struct q_alloc *a)
{
	struct qcow2 *q = a->q;
	uint64_t hl = a->wstart - a->gstart, tl = a->gend - a->wend;
	a->pending = 1;
	uint8_t **bufs[2] = { &a->head, &a->tail };
	uint64_t offs[2] = { a->gstart, a->wend }, lens[2] = { hl, tl };
	for (int i = 0; i < 2; i++) {
		if (!lens[i])
			continue;
		*bufs[i] = blk_alloc_buf(lens[i]);
		if (!*bufs[i])
			return -ENOMEM;
		a->cow_iov[i] = (struct iovec){ *bufs[i], lens[i] };
		a->cow[i] = (struct blk_req){ .op = BLK_READ, .offset = offs[i],
					      .iov = &a->cow_iov[i], .iovcnt = 1,
					      .done = alloc_cow_done, .opaque = a };
		a->pending++;
		int r = q_start_internal(q, &a->cow[i]);
		if (r < 0) {
			a->pending--;
			return r;
		}
	}
	return 0;
}

/* Step 3: one writev of head + guest data + tail. */
static int alloc_write(struct q_alloc *a)
{
	struct qcow2 *q = a->q;
	struct blk_req *r = a->qr->r;
	unsigned max = r->iovcnt + 2;
	a->iov = malloc(sizeof(struct iovec) * max);
	if (!a->iov)
		return -ENOMEM;
	unsigned n = 0;
	if (a->head)
		a->iov[n++] = (struct iovec){ a->head, a->wstart - a->gstart };
	int k = blk_iov_slice(r->iov, r->iovcnt, a->wstart - r->offset, a->wend - a->wstart,
			      a->iov + n, r->iovcnt);
	if (k < 0)
		return k;
	n += (unsigned)k;
	if (a->tail)
		a->iov[n++] = (struct iovec){ a->tail, a->gend - a->wend };
	a->iovcnt = n;
	aio_prep_writev(&a->a, q->f.fd, a->iov, n, (uint64_t)a->host, alloc_write_done, a);
	q->inflight++;
	int ret = aio_submit(q->b->engine, &a->a);
	if (ret < 0)
		q->inflight--;
	return ret;
}

/* Subclusters [gstart, gend) of one cluster as a bitmap mask. */
static uint64_t sub_mask(const struct qcow2 *q, uint64_t gstart, uint64_t gend)
{
	uint64_t cs = cs_of(q), sc = cs >> 5, c0 = gstart & ~(cs - 1);
	unsigned s0 = (unsigned)((gstart - c0) / sc);
	unsigned s1 = (unsigned)((gend - c0 + sc - 1) / sc);
	return (s1 - s0 == 32 ? 0xffffffffull : ((1ull << (s1 - s0)) - 1)) << s0;
}

/* Step 4 with extended L2 entries (one cluster): the written subclusters
 * become allocated (and no longer read as zeroes). */
static int alloc_link_ext(struct q_alloc *a)
{
	struct qcow2 *q = a->q;
	uint64_t cs = cs_of(q), c0 = a->gstart & ~(cs - 1), *p;
	int r = q_l2_prepare_write(q, c0, &p);
	if (r < 0)
		return r;
	uint64_t old = __builtin_bswap64(p[0]), bm = __builtin_bswap64(p[1]);
	uint64_t m = sub_mask(q, a->gstart, a->gend);
	if (a->mode == ALLOC_CLUSTERS) { /* whole cluster copied */
		p[0] = __builtin_bswap64((uint64_t)a->host | Q_COPIED);
		p[1] = __builtin_bswap64(0xffffffffull);
		if ((old & Q_COMPRESSED) || (old & Q_OFFSET_MASK))
			return q_defer_free_entry(q, old);
		return 0;
	}
	if (a->mode == ALLOC_SUB_NEW && (old & Q_OFFSET_MASK))
		return -EIO; /* cannot happen: the cluster was unallocated and locked */
	if (a->mode == ALLOC_SUB_NEW)
		p[0] = __builtin_bswap64((uint64_t)a->fresh | Q_COPIED);
	p[1] = __builtin_bswap64((bm | m) & ~(m << 32));
	return 0;
}

/* Step 4: L2 entries point at the new clusters. */
static int alloc_link(struct q_alloc *a)
{
	struct qcow2 *q = a->q;
	uint64_t cs = cs_of(q);
	if (q->extl2)
		return alloc_link_ext(a);
	for (uint64_t g = a->gstart; g < a->gend; g += cs) {
		uint64_t *p;
		int r = q_l2_prepare_write(q, g, &p);
		if (r < 0)
			return r;
		uint64_t old = __builtin_bswap64(*p);
		*p = __builtin_bswap64(((uint64_t)a->host + (g - a->gstart)) | Q_COPIED);
		if ((old & Q_COMPRESSED) || (old & Q_OFFSET_MASK)) {
			r = q_defer_free_entry(q, old);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void alloc_end(struct q_alloc *a)
{
	struct qcow2 *q = a->q;
	struct q_alloc **pp = &q->allocs;
	while (*pp && *pp != a)
		pp = &(*pp)->next;
	if (*pp)
		*pp = a->next;
	if (a->err && a->fresh >= 0) /* nothing points at them: free right away */
		for (uint64_t i = 0; i < a->nfresh; i++)
			(void)q_refcount_add(q, (uint64_t)a->fresh / cs_of(q) + i, -1);
	struct q_req *w = a->waiters;
	struct q_req *qr = a->qr;
	int err = a->err;
	free(a->head);
	free(a->tail);
	free(a->iov);
	free(a);
	/* 5. wake the waiters: they re-read the mapping and continue */
	while (w) {
		struct q_req *next = w->next;
		issue(w);
		w = next;
	}
	put_req(qr, err);
}

static void alloc_step(struct q_alloc *a)
{
	for (;;) {
		int r;
		if (a->err) {
			alloc_end(a);
			return;
		}
		switch (a->step) {
		case 0: /* 2. COW reads (none when whole clusters are written) */
			a->step = 1;
			r = alloc_cow_reads(a);
			if (r < 0)
				a->err = r;
			if (--a->pending > 0)
				return; /* alloc_cow_done() continues */
			continue;
		case 1: /* 3. data write */
			a->step = 2;
			r = alloc_write(a);
			if (r < 0) {
				a->err = r;
				continue;
			}
			return; /* alloc_write_done() continues */
		default: /* 4. link, 5. wake */
			r = alloc_link(a);
			if (r < 0) {
				/* some entries may point at the new clusters now:
				 * leak them rather than free them */
				a->fresh = -1;
				a->err = r;
			}
			alloc_end(a);
			return;
		}
	}
}

/* Steps 1.. of an allocation: a->gstart/gend/wstart/wend/lstart/lend and
 * mode are set; ncl > 0 clusters are allocated here (host = fresh +
 * host_in), or none (host = host_in). Takes ownership of a. */
static int alloc_begin(struct q_req *qr, struct q_alloc *a, uint64_t ncl, uint64_t host_in)
{
	struct qcow2 *q = qr->q;
	a->q = q;
	a->qr = qr;
	a->fresh = -1;
	a->nfresh = ncl;
	a->host = (int64_t)host_in;
	if (ncl) { /* 1. host clusters */
		a->fresh = q_alloc_clusters(q, ncl);
		if (a->fresh < 0) {
			int r = (int)a->fresh;
			free(a);
			return r;
		}
		a->host = a->fresh + (int64_t)host_in;
	}
	a->a.opaque = a;
	a->next = q->allocs;
	q->allocs = a;
	qr->pending++;
	qr->pos = a->wend;
	alloc_step(a);
	return 0;
}

/* Start an allocation for the run of clusters at qr->pos that need one. */
static int start_alloc(struct q_req *qr)
{
	struct qcow2 *q = qr->q;
	uint64_t cs = cs_of(q), pos = qr->pos;
	uint64_t gstart = pos & ~(cs - 1), gend = gstart + cs;
	while (gend < qr->end && gend - gstart < MAX_RUN_BYTES) {
		uint64_t e, key;
		if (!q_l2_cached(q, gend, &key))
			break;
		int r = q_l2_lookup(q, gend, &e);
		if (r < 0)
			return r;
		if (entry_owned(e) || alloc_overlapping(q, gend, gend + cs))
			break;
		gend += cs;
	}
	if (gend > q_align_up(qr->end, cs))
		gend = q_align_up(qr->end, cs);
	struct q_alloc *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->gstart = a->lstart = gstart;
	a->gend = a->lend = gend;
	a->wstart = pos;
	a->wend = qr->end < gend ? qr->end : gend;
	a->mode = ALLOC_CLUSTERS;
	return alloc_begin(qr, a, (gend - gstart) / cs, 0);
}

/* Extended L2 entries: a write into one cluster. Subclusters already
 * allocated in a cluster we own are written in place; otherwise the
 * touched subclusters are allocated (in a new cluster, or in ours), with
 * copy-on-write of their uncovered parts; a compressed or shared cluster
 * is copied whole. Other writes to the cluster wait meanwhile. */
static int issue_write_ext(struct q_req *qr, uint64_t e, uint64_t bm)
{
	struct qcow2 *q = qr->q;
	uint64_t cs = cs_of(q), sc = cs >> 5, pos = qr->pos;
	uint64_t c0 = pos & ~(cs - 1), end = qr->end < c0 + cs ? qr->end : c0 + cs;
	uint64_t m = sub_mask(q, pos, end);
	bool owned = entry_owned(e);
	if (owned && (bm & m) == m) {
		int r = submit_data(qr, pos, end - pos, (e & Q_OFFSET_MASK) + (pos - c0), true);
		qr->pos = end;
		return r;
	}
	struct q_alloc *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->lstart = c0;
	a->lend = c0 + cs;
	a->wstart = pos;
	a->wend = end;
	if ((e & Q_COMPRESSED) || ((e & Q_OFFSET_MASK) && !owned)) {
		a->mode = ALLOC_CLUSTERS;
		a->gstart = c0;
		a->gend = c0 + cs;
		return alloc_begin(qr, a, 1, 0);
	}
	a->gstart = pos & ~(sc - 1);
	a->gend = q_align_up(end, sc);
	if (owned) {
		a->mode = ALLOC_SUB_OWNED;
		return alloc_begin(qr, a, 0, (e & Q_OFFSET_MASK) + (a->gstart - c0));
	}
	a->mode = ALLOC_SUB_NEW;
	return alloc_begin(qr, a, 1, a->gstart - c0);
}

/* ---- compressed writes (BLK_F_COMPRESSED: convert -c) ---------------------
 * Per cluster: 1. wait for allocations on it, 2. compress it (CPU work on
 * this thread), 3. host bytes, packed after the last compressed cluster,
 * 4. write them with aio (on the buffered metadata fd: compressed data is
 * not sector aligned), 5. link the L2 entry and wake the waiters
 * (alloc_end). A cluster that does not shrink becomes a normal write, as
 * a child request. */
struct q_plain {
	struct blk_req r;
	struct iovec iov;
};

static void plain_write_done(struct blk_req *r, int res)
{
	struct q_plain *w = (struct q_plain *)r;
	struct q_req *parent = r->opaque;
	free(w->iov.iov_base);
	free(w);
	put_req(parent, res);
}

static void comp_write_done(struct aio_req *ar, ssize_t res)
{
	struct q_alloc *a = ar->opaque;
	struct qcow2 *q = a->q;
	q->inflight--;
	if (res >= 0 && (uint64_t)res != a->clen)
		res = -EIO;
	a->err = res < 0 ? (int)res : q_comp_link(q, a->gstart, (uint64_t)a->host, a->clen);
	alloc_end(a);
}

static int comp_plain(struct q_req *qr, uint8_t *plain, uint64_t pos, uint64_t n)
{
	struct q_plain *w = calloc(1, sizeof(*w));
	if (!w) {
		free(plain);
		return -ENOMEM;
	}
	w->iov = (struct iovec){ plain, n };
	w->r = (struct blk_req){ .op = BLK_WRITE, .offset = pos, .iov = &w->iov, .iovcnt = 1,
				 .done = plain_write_done, .opaque = qr };
	qr->pending++;
	qr->pos = pos + n;
	int r = q_start_internal(qr->q, &w->r);
	if (r < 0) {
		qr->pending--;
		free(plain);
		free(w);
	}
	return r;
}

static int issue_comp_one(struct q_req *qr, bool *wait)
{
	struct qcow2 *q = qr->q;
	uint64_t cs = cs_of(q), pos = qr->pos, n = qr->end - pos < cs ? qr->end - pos : cs;
	if ((pos & (cs - 1)) || (n < cs && pos + n < q->size))
		return -EINVAL;
	struct q_alloc *busy = alloc_overlapping(q, pos, pos + cs);
	if (busy) {
		qr->next = busy->waiters;
		busy->waiters = qr;
		*wait = true;
		return 0;
	}
	uint8_t *plain = blk_alloc_buf(cs), *out = malloc(cs);
	if (!plain || !out) {
		free(plain);
		free(out);
		return -ENOMEM;
	}
	memset(plain + n, 0, cs - n); /* the last cluster is compressed zero padded */
	blk_iov_to_buf(qr->r->iov, qr->r->iovcnt, pos - qr->r->offset, plain, n);
	long clen = q_compress(q, plain, cs, out, cs - 1);
	if (clen <= 0 || (uint64_t)clen >= cs - 512) {
		free(out);
		return comp_plain(qr, plain, pos, n);
	}
	free(plain);
	int64_t at = q_comp_alloc(q, (uint64_t)clen);
	struct q_alloc *a = at < 0 ? NULL : calloc(1, sizeof(*a));
	if (!a) {
		free(out);
		return at < 0 ? (int)at : -ENOMEM;
	}
	if (q_overlap(q, (uint64_t)at, (uint64_t)clen, 0)) {
		free(out);
		free(a);
		q_mark_corrupt(q, "compressed data would overwrite metadata");
		return -EIO;
	}
	*a = (struct q_alloc){ .q = q, .qr = qr, .mode = ALLOC_COMPRESSED, .gstart = pos,
			       .gend = pos + cs, .lstart = pos, .lend = pos + cs, .wstart = pos,
			       .wend = pos + n, .host = at, .fresh = -1,
			       .clen = (uint64_t)clen, .head = out };
	a->next = q->allocs;
	q->allocs = a;
	qr->pending++;
	qr->pos = pos + n;
	aio_prep_write(&a->a, q->f.mfd, out, (size_t)clen, (uint64_t)at, comp_write_done, a);
	q->inflight++;
	int r = aio_submit(q->b->engine, &a->a);
	if (r < 0) {
		q->inflight--;
		a->err = r;
		alloc_end(a);
	}
	return 0;
}

static int issue_write_one(struct q_req *qr, bool *wait)
{
	struct qcow2 *q = qr->q;
	uint64_t cs = cs_of(q), pos = qr->pos, e, n;
	struct q_alloc *busy = alloc_overlapping(q, pos & ~(cs - 1), (pos & ~(cs - 1)) + cs);
	if (busy) {
		qr->next = busy->waiters;
		busy->waiters = qr;
		*wait = true;
		return 0;
	}
	int r = q_l2_lookup(q, pos, &e);
	if (r < 0 || (r = check_entry(q, pos, e)) < 0)
		return r;
	if (!entry_owned(e) && q->alloc_hold) { /* new clusters: see wb_step */
		qr->next = q->wb_resume;
		q->wb_resume = qr;
		*wait = true;
		return 0;
	}
	if (q->extl2)
		return issue_write_ext(qr, e, q->last_bitmap);
	if (!entry_owned(e))
		return start_alloc(qr);
	if ((r = run_len(qr, e, &n, true)) < 0)
		return r;
	/* runs of owned clusters never include one being allocated: those
	 * are not owned yet */
	r = submit_data(qr, pos, n, (e & Q_OFFSET_MASK) + (pos & (cs - 1)), true);
	qr->pos += n;
	return r;
}

/* ---- discard / write zeroes ------------------------------------------------ */

static void zero_write_done(struct blk_req *r, int res)
{
	struct q_req *parent = r->opaque;
	free(r->iov);
	free(r);
	put_req(parent, res);
}

/* A real write of zeroes for [pos, pos+len) (partial clusters, v2 with a
 * backing file), as a child request of qr. */
static int zero_write(struct q_req *qr, uint64_t pos, uint64_t len)
{
	struct qcow2 *q = qr->q;
	uint64_t cs = cs_of(q);
	unsigned cnt = (unsigned)((len + cs - 1) / cs);
	struct blk_req *r = calloc(1, sizeof(*r));
	struct iovec *iov = calloc(cnt, sizeof(*iov));
	if (!r || !iov) {
		free(r);
		free(iov);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cnt; i++)
		iov[i] = (struct iovec){ q->zero_cluster, len - i * cs < cs ? len - i * cs : cs };
	*r = (struct blk_req){ .op = BLK_WRITE, .offset = pos, .iov = iov, .iovcnt = cnt,
			       .done = zero_write_done, .opaque = qr };
	qr->pending++;
	int ret = q_start_internal(q, r);
	if (ret < 0) {
		qr->pending--;
		free(iov);
		free(r);
	}
	return ret;
}

/* zero_cluster with extended L2 entries: the cluster is freed and its
 * subclusters read as zeroes (to hide a backing file) or are unallocated. */
static int zero_cluster_ext(struct q_req *qr, uint64_t g, bool hide_backing)
{
	struct qcow2 *q = qr->q;
	uint64_t old, nbm = hide_backing ? 0xffffffffull << 32 : 0, *p;
	int r = q_l2_lookup(q, g, &old);
	if (r < 0)
		return r;
	if (!(old & ~Q_COPIED) && q->last_bitmap == nbm)
		return 0;
	if ((r = q_l2_prepare_write(q, g, &p)) < 0)
		return r;
	old = __builtin_bswap64(p[0]);
	p[0] = 0;
	p[1] = __builtin_bswap64(nbm);
	return ((old & Q_COMPRESSED) || (old & Q_OFFSET_MASK)) ? q_defer_free_entry(q, old) : 0;
}

static int zero_cluster(struct q_req *qr, uint64_t g)
{
	struct qcow2 *q = qr->q;
	bool discard = qr->r->op == BLK_DISCARD;
	bool backing = q->b->backing && g < blk_size(q->b->backing);
	uint64_t old, neu;
	if (q->extl2)
		return zero_cluster_ext(qr, g, backing && !(qr->r->flags & BLK_F_UNALLOCATE));
	int r = q_l2_lookup(q, g, &old);
	if (r < 0)
		return r;
	if (qr->r->flags & BLK_F_UNALLOCATE)
		neu = 0; /* reads fall through to the backing file */
	else if (q->version >= 3)
		neu = backing ? Q_ZERO : 0;
	else if (!backing)
		neu = 0;
	else if (discard)
		return 0; /* v2 cannot hide the backing file without writing */
	else
		return zero_write(qr, g, cs_of(q));
	if ((old & ~Q_COPIED) == neu)
		return 0;
	uint64_t *p;
	if ((r = q_l2_prepare_write(q, g, &p)) < 0)
		return r;
	old = __builtin_bswap64(*p);
	*p = __builtin_bswap64(neu);
	return ((old & Q_COMPRESSED) || (old & Q_OFFSET_MASK)) ? q_defer_free_entry(q, old) : 0;
}

static int issue_zero_one(struct q_req *qr, bool *wait)
{
	struct qcow2 *q = qr->q;
	uint64_t cs = cs_of(q), pos = qr->pos;
	uint64_t cend = (pos & ~(cs - 1)) + cs;
	uint64_t n = (cend < qr->end ? cend : qr->end) - pos;
	bool whole = n == cs || (pos + n == q->size && !(pos & (cs - 1)) &&
				 q->size <= qr->end);
	struct q_alloc *busy = alloc_overlapping(q, pos & ~(cs - 1), cend);
	if (busy) {
		qr->next = busy->waiters;
		busy->waiters = qr;
		*wait = true;
		return 0;
	}
	int r = 0;
	if (whole)
		r = zero_cluster(qr, pos & ~(cs - 1));
	else if (qr->r->op == BLK_WRITE_ZEROES)
		r = zero_write(qr, pos, n);
	qr->pos += n;
	return r;
}

/* ---- asynchronous L2 slice loads ------------------------------------------- */

/* A request whose next cluster maps through an L2 slice that is not cached
 * waits here while the slice is read with aio; requests that need the same
 * slice share the load. A load that raced with an L2 write-back is thrown
 * away and issued again (after 4 in a row the slice is read synchronously).
 * When every cached slice is dirty there is no room for a new one without
 * writing back first: the request then waits (wb_resume) for the
 * asynchronous write-back and tries again, and so does a load that
 * completes into such a cache. Synchronous paths still read a missing
 * slice with pread: snapshot and check walks, copying a shared L2 table
 * whose slices are not all cached, and linking an allocation whose slice
 * was evicted while its data write was in flight. */
struct q_load {
	struct aio_req a;
	struct qcow2 *q;
	uint64_t key;
	uint64_t gen;            /* q->l2_writes when the read was issued */
	void *buf;
	struct q_req *waiters;
	struct q_load *next;
};

static void load_done(struct aio_req *a, ssize_t res)
{
	struct q_load *ld = a->opaque;
	struct qcow2 *q = ld->q;
	q->inflight--;
	struct q_load **pp = &q->loads;
	while (*pp != ld)
		pp = &(*pp)->next;
	*pp = ld->next;
	int err = 0;
	bool stale = q->l2_writes != ld->gen; /* a write-back raced with the read */
	if (res < 0) {
		err = (int)res;
	} else if (!stale) {
		if ((size_t)res < q->l2c.item_size) /* short: past EOF reads as zero */
			memset((uint8_t *)ld->buf + res, 0, q->l2c.item_size - (size_t)res);
		err = q_l2_insert(q, ld->key, ld->buf);
		if (err == -EAGAIN)
			err = 0; /* no clean slot: the waiters wait for the write-back */
	}
	struct q_req *w = ld->waiters;
	free(ld->buf);
	free(ld);
	while (w) {
		struct q_req *next = w->next;
		if (err < 0 && !w->err)
			w->err = err;
		w->stale = stale ? w->stale + 1 : 0;
		issue(w);
		w = next;
	}
}

/* true: qr now waits for a load (issue() resumes it). */
static bool wait_for_slice(struct q_req *qr)
{
	struct qcow2 *q = qr->q;
	uint64_t key;
	if (q_l2_cached(q, qr->pos, &key))
		return false;
	if (qr->stale > 3) { /* write-backs keep racing: read it synchronously */
		qr->stale = 0;
		return false;
	}
	for (struct q_load *ld = q->loads; ld; ld = ld->next) {
		if (ld->key == key) {
			qr->next = ld->waiters;
			ld->waiters = qr;
			return true;
		}
	}
	if (q_l2_all_dirty(q) && q->rw && !q->broken) {
		/* no clean slice to evict: rather than a synchronous write-back
		 * (fdatasyncs on the loop thread), wait for the asynchronous one */
		qr->next = q->wb_resume;
		q->wb_resume = qr;
		q_wb_kick(q);
		return true;
	}
	struct q_load *ld = calloc(1, sizeof(*ld));
	void *buf = ld ? blk_alloc_buf(q->l2c.item_size) : NULL;
	if (!buf) {
		free(ld);
		return false; /* the synchronous path will load it */
	}
	ld->q = q;
	ld->key = key;
	ld->gen = q->l2_writes;
	ld->buf = buf;
	aio_prep_read(&ld->a, q->f.mfd, buf, q->l2c.item_size, key, load_done, ld);
	q->inflight++;
	if (aio_submit(q->b->engine, &ld->a) < 0) {
		q->inflight--;
		free(buf);
		free(ld);
		return false;
	}
	ld->next = q->loads;
	q->loads = ld;
	qr->next = NULL;
	ld->waiters = qr;
	return true;
}

/* ---- issuing ---------------------------------------------------------------- */

/* ---- flush: asynchronous metadata write-back ---------------------------------

 * The crash-safe order of q_writeback(), with each fdatasync submitted to
 * aio instead of blocking the loop. The writes themselves go to the page
 * cache (buffered metadata fd) and are cheap. Steps:
 *  0. dirty refcount blocks written (not with lazy refcounts), fdatasync
 *  1. dirty L2 slices written - only once no refcount is dirty any more
 *     (allocations go on meanwhile; then back to 0, or after a few rounds
 *     the synchronous path), fdatasync if the L1 table changed
 *  2. L1 written if changed, with the same re-check; then the fdatasync
 *     that also makes guest data durable
 *  3. the frees queued before the flush began are applied (their dropped
 *     references are durable now); waiting flush requests complete.
 * One write-back runs at a time; flushes that arrive meanwhile wait for
 * the next one (they may need metadata dirtied after this one began). */
struct q_wb {
	struct aio_req a;
	struct qcow2 *q;
	int step, rounds, err;
	bool held;               /* this write-back set q->alloc_hold */
	uint64_t free_seq;
	struct q_req *waiters;
};

static void wb_step(struct q_wb *w);

static void wb_sync_done(struct aio_req *a, ssize_t res)
{
	struct q_wb *w = a->opaque;
	if (res < 0 && !w->err)
		w->err = (int)res;
	wb_step(w);
}

static void wb_sync(struct q_wb *w)
{
	struct qcow2 *q = w->q;
	aio_prep_fsync(&w->a, q->f.fd, 1, wb_sync_done, w);
	int r = aio_submit(q->b->engine, &w->a);
	if (r < 0) {
		w->err = r;
		wb_step(w);
	}
}

static void wb_start(struct qcow2 *q, struct q_req *waiters);

static void wb_finish(struct q_wb *w)
{
	struct qcow2 *q = w->q;
	if (!w->err && q->inflight == 0)
		q_apply_deferred_upto(q, w->free_seq);
	q->wb = NULL;
	struct q_req *qr = w->waiters;
	int err = w->err;
	free(w);
	while (qr) {
		struct q_req *next = qr->next;
		put_req(qr, err);
		qr = next;
	}
	if (q->wb_next) {
		struct q_req *n = q->wb_next;
		q->wb_next = NULL;
		wb_start(q, n);
	}
	/* slices are clean now: requests that waited for room load theirs,
	 * and held-back allocations start */
	q->alloc_hold = false;
	struct q_req *rs = q->wb_resume;
	q->wb_resume = NULL;
	while (rs) {
		struct q_req *next = rs->next;
		issue(rs);
		rs = next;
	}
}

/* Dirty refcounts that L2/L1 writes would depend on? */
static bool rc_dirty(const struct qcow2 *q)
{
	return !(q->compat & Q_COMPAT_LAZY) && q->rbc.ndirty;
}

static void wb_step(struct q_wb *w)
{
	struct qcow2 *q = w->q;
	for (;;) {
		int r = 0;
		if (w->err || q->broken) {
			if (!w->err)
				w->err = -EIO;
			wb_finish(w);
			return;
		}
		switch (w->step) {
		case 0:
			w->step = 1;
			if (rc_dirty(q)) {
				if ((r = q_write_refcounts(q)) < 0)
					break;
				wb_sync(w);
				return;
			}
			continue;
		case 1:
			if (rc_dirty(q) && w->rounds++ < 3) {
				w->step = 0;
				continue;
			}
			if (rc_dirty(q) && !w->held) {
				/* allocations keep coming: hold new ones back until
				 * this write-back ends, and sync the refcounts of
				 * those in flight a few more times */
				w->held = true;
				q->alloc_hold = true;
				w->rounds = 0;
				w->step = 0;
				continue;
			}
			if (rc_dirty(q)) { /* still dirty: do it in one go */
				q->wb_sync_fallbacks++;
				r = q_writeback(q, false);
				w->step = 3;
				if (!r)
					wb_sync(w);
				break;
			}
			if ((r = q_write_l2(q)) < 0)
				break;
			w->step = 2;
			if (q->l1_dirty) {
				wb_sync(w);
				return;
			}
			continue;
		case 2:
			if (q->l1_dirty)
				r = (rc_dirty(q) || q->l2c.ndirty) ? q_writeback(q, false)
								   : q_write_l1(q);
			w->step = 3;
			if (!r)
				wb_sync(w);
			break;
		default:
			wb_finish(w);
			return;
		}
		if (r < 0)
			w->err = r;
		if (r < 0)
			continue;
		return;
	}
}

static void wb_start(struct qcow2 *q, struct q_req *waiters)
{
	struct q_wb *w = calloc(1, sizeof(*w));
	if (!w) {
		while (waiters) {
			struct q_req *next = waiters->next;
			put_req(waiters, -ENOMEM);
			waiters = next;
		}
		return;
	}
	w->q = q;
	w->a.opaque = w;
	w->waiters = waiters;
	w->free_seq = q->defer_base + q->ndefer;
	q->wb = w;
	wb_step(w);
}

static void wb_kicked(void *arg)
{
	struct qcow2 *q = arg;
	q->wb_kicked = false;
	if (!q->wb && q->rw && !q->broken && (q->l2c.ndirty || q->rbc.ndirty || q->l1_dirty))
		wb_start(q, NULL);
}

void q_wb_kick(struct qcow2 *q)
{
	if (q->wb || q->wb_kicked || !q->rw || q->broken)
		return;
	q->wb_kicked = true;
	q->wb_kick = (struct loop_post_node){ .fn = wb_kicked, .arg = q };
	loop_defer(q->b->loop, &q->wb_kick);
}

static void issue_flush(struct q_req *qr)
{
	struct qcow2 *q = qr->q;
	if (q->wb) {
		qr->next = q->wb_next;
		q->wb_next = qr;
		return;
	}
	qr->next = NULL;
	wb_start(q, qr);
}

/* Issue what is left of qr; holds one pending reference while issuing. */
static void issue(struct q_req *qr)
{
	int r = 0;
	bool wait = false;
	uint8_t op = qr->r->op;
	if (op == BLK_FLUSH) {
		issue_flush(qr);
		return;
	}
	while (qr->pos < qr->end && !qr->err) {
		if (wait_for_slice(qr))
			return; /* resumed by load_done() */
		if (op == BLK_READ)
			r = issue_read_one(qr);
		else if (op == BLK_WRITE && (qr->r->flags & BLK_F_COMPRESSED))
			r = issue_comp_one(qr, &wait);
		else if (op == BLK_WRITE)
			r = issue_write_one(qr, &wait);
		else
			r = issue_zero_one(qr, &wait);
		if (r < 0) {
			qr->err = r;
			break;
		}
		if (wait)
			return; /* resumed by the allocation we wait for */
	}
	put_req(qr, 0);
}

static void start_req(struct qcow2 *q, struct q_req *qr)
{
	qr->pending = 1;
	issue(qr);
}

static int q_start(struct qcow2 *q, struct blk_req *r)
{
	if (r->op != BLK_READ && q->broken)
		return -EIO;
	struct q_req *qr = q->free_reqs;
	if (qr)
		q->free_reqs = qr->next;
	else if (!(qr = malloc(sizeof(*qr))))
		return -ENOMEM;
	qr->q = q;
	qr->r = r;
	qr->pos = r->offset;
	qr->end = r->offset + (r->op == BLK_READ || r->op == BLK_WRITE
				       ? blk_iov_size(r->iov, r->iovcnt) : r->len);
	qr->err = 0;
	qr->stale = 0;
	q->nreqs++;
	start_req(q, qr);
	return 0;
}

static int q_start_internal(struct qcow2 *q, struct blk_req *r)
{
	return q_start(q, r);
}

int q_submit(struct blk *b, struct blk_req *r)
{
	return q_start(b->opaque, r);
}

int q_drain(struct qcow2 *q)
{
	while (q->nreqs || q->inflight || q->allocs || q->loads || q->wb || q->wb_kicked) {
		int r = loop_run_once(q->b->loop, -1);
		if (r < 0 && r != -EINTR)
			return r;
	}
	return 0;
}

void q_io_free(struct qcow2 *q)
{
	while (q->free_reqs) {
		struct q_req *n = q->free_reqs->next;
		free(q->free_reqs);
		q->free_reqs = n;
	}
	while (q->free_subs) {
		struct q_sub *n = q->free_subs->next;
		free(q->free_subs);
		q->free_subs = n;
	}
}

/* ---- block status ------------------------------------------------------------ */

int q_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_status *st)
{
	struct qcow2 *q = b->opaque;
	struct q_req qr = { .q = q, .pos = off, .end = off + len };
	uint64_t e, n = 0;
	int r = q_l2_lookup(q, off, &e);
	if (r < 0 || (r = check_entry(q, off, e)) < 0)
		return r;
	uint64_t bm = q->last_bitmap; /* run_len's lookups overwrite it */
	bool ext = q->extl2 && !(e & Q_COMPRESSED);
	if (!ext && (r = run_len(&qr, e, &n, false)) < 0)
		return r;
	st->len = n;
	st->depth = 0;
	st->host_file = b->filename;
	if (ext) {
		uint64_t cs = cs_of(q), sc = cs >> 5, in = off & (cs - 1);
		unsigned i = (unsigned)(in / sc), j = i + 1;
		int s0 = sc_state(bm, i);
		while (j < 32 && sc_state(bm, j) == s0)
			j++;
		st->len = j * sc - in < len ? j * sc - in : len;
		e = s0 == 1 ? (e & ~Q_ZERO) : s0 == 2 ? Q_ZERO : 0;
		n = st->len;
	}
	if (e & Q_COMPRESSED) {
		st->flags = BLK_STATUS_DATA | BLK_STATUS_ALLOCATED | BLK_STATUS_COMPRESSED;
	} else if (e & Q_ZERO) {
		st->flags = BLK_STATUS_ZERO | BLK_STATUS_ALLOCATED;
	} else if (entry_normal(e)) {
		st->flags = BLK_STATUS_DATA | BLK_STATUS_ALLOCATED;
		st->host_offset = (e & Q_OFFSET_MASK) + (off & (cs_of(q) - 1));
	} else if (b->backing && off < blk_size(b->backing)) {
		uint64_t bl = blk_size(b->backing) - off < n ? blk_size(b->backing) - off : n;
		r = blk_block_status(b->backing, off, bl, st);
		if (r < 0)
			return r;
		st->flags &= ~(unsigned)BLK_STATUS_ALLOCATED;
		st->depth++;
	} else {
		st->flags = BLK_STATUS_ZERO;
	}
	return 0;
}
