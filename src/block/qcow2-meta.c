/*
 * qcow2-meta.c - qcow2 metadata: the L2 slice cache and refcount block
 * cache (write-back, clock replacement), refcount get/set for any
 * refcount_order, cluster allocation (growing the refcount structures as
 * needed), deferred frees, the crash-safe write-back order and the overlap
 * check done before every metadata write.
 *
 * Threading: loop thread; metadata I/O here is synchronous pwrite/pread on
 * the buffered metadata fd, except what qcow2-io.c submits (see qcow2.h).
 * Ownership: cache memory belongs to struct qcow2. Pointers into a cache
 * item are valid only until the next cache call.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/qcow2.h"

/* ---- generic cache ---------------------------------------------------- */

int q_cache_init(struct q_cache *c, unsigned item_size, unsigned n, unsigned spare)
{
	memset(c, 0, sizeof(*c));
	c->item_size = item_size;
	c->n = n;
	c->cap = n + spare;
	unsigned h = 1;
	while (h < c->cap * 2)
		h <<= 1;
	c->hmask = h - 1;
	c->keys = malloc(sizeof(uint64_t) * c->cap);
	c->data = blk_alloc_buf((size_t)item_size * c->cap);
	c->dirty = calloc(c->cap, 1);
	c->ref = calloc(c->cap, 1);
	c->hash = calloc(h + c->cap, sizeof(uint32_t)); /* heads, then next links */
	if (!c->keys || !c->data || !c->dirty || !c->ref || !c->hash) {
		q_cache_free(c);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < c->cap; i++)
		c->keys[i] = UINT64_MAX;
	return 0;
}

void q_cache_free(struct q_cache *c)
{
	free(c->keys);
	free(c->data);
	free(c->dirty);
	free(c->ref);
	free(c->hash);
	memset(c, 0, sizeof(*c));
}

static inline uint32_t *c_next(struct q_cache *c) { return c->hash + c->hmask + 1; }

static inline unsigned c_bucket(const struct q_cache *c, uint64_t key)
{
	return (unsigned)((key >> 9) * 0x9e3779b97f4a7c15ull >> 40) & c->hmask;
}

static inline int c_find(struct q_cache *c, uint64_t key)
{
	uint32_t i = c->hash[c_bucket(c, key)];
	while (i) {
		if (c->keys[i - 1] == key)
			return (int)(i - 1);
		i = c_next(c)[i - 1];
	}
	return -1;
}

static void c_unlink(struct q_cache *c, unsigned idx)
{
	uint32_t *p = &c->hash[c_bucket(c, c->keys[idx])];
	while (*p && *p != idx + 1)
		p = &c_next(c)[*p - 1];
	if (*p)
		*p = c_next(c)[idx];
	c->keys[idx] = UINT64_MAX;
	if (c->dirty[idx]) {
		c->dirty[idx] = 0;
		c->ndirty--;
	}
	c->used--;
}

static void c_link(struct q_cache *c, unsigned idx, uint64_t key)
{
	unsigned bkt = c_bucket(c, key);
	c->keys[idx] = key;
	c_next(c)[idx] = c->hash[bkt];
	c->hash[bkt] = idx + 1;
	c->ref[idx] = 1;
	c->used++;
}

static inline uint8_t *c_data(struct q_cache *c, unsigned idx)
{
	return c->data + (size_t)idx * c->item_size;
}

static inline void c_set_dirty(struct q_cache *c, unsigned idx)
{
	if (!c->dirty[idx]) {
		c->dirty[idx] = 1;
		c->ndirty++;
	}
}

/* Drop items whose key lies in [off, off+len) (freed clusters). */
static void c_invalidate(struct q_cache *c, uint64_t off, uint64_t len)
{
	for (uint64_t k = off; k < off + len; k += c->item_size) {
		int i = c_find(c, k);
		if (i >= 0)
			c_unlink(c, (unsigned)i);
	}
}

static int write_item(struct qcow2 *q, struct q_cache *c, unsigned idx, int kind)
{
	int r = q_meta_write(q, c->keys[idx], c_data(c, idx), c->item_size, kind);
	if (r < 0)
		return r;
	c->dirty[idx] = 0;
	c->ndirty--;
	return 0;
}

/* Find a slot for key: a free one, or the clock victim. A dirty L2 slice
 * is not written back here: the clock passes over it and an asynchronous
 * write-back (q_wb_kick, the flush state machine without waiters) is
 * started, which makes it clean soon. When a whole sweep finds every
 * slice dirty, the cache grows by one of its spare slots (Q_L2_SPARE: the
 * requests that get here are synchronous steps such as linking an
 * allocation, which cannot wait; asynchronous loads wait for the
 * write-back instead, see q_l2_all_dirty); only with no spare left is the
 * write-back done synchronously (rare: the cache covers the image by
 * default). A dirty refcount block is written with one
 * pwrite to the page cache (no sync needed: L2 slices reach disk only
 * after a sync that follows it). */
static int c_victim(struct qcow2 *q, struct q_cache *c)
{
	if (c->used < c->n) {
		for (unsigned i = 0; i < c->n; i++) {
			unsigned j = (c->hand + i) % c->n;
			if (c->keys[j] == UINT64_MAX) {
				c->hand = (j + 1) % c->n;
				return (int)j;
			}
		}
	}
	bool l2 = c == &q->l2c;
	for (uint64_t steps = 0;; steps++) {
		unsigned j = c->hand;
		c->hand = (j + 1) % c->n;
		if (c->keys[j] == UINT64_MAX)
			return (int)j; /* freed meanwhile (the write-back applied frees) */
		if (c->ref[j]) {
			c->ref[j] = 0;
			continue;
		}
		if (c->dirty[j] && l2 && steps < 2ull * c->n) {
			q_wb_kick(q);
			continue;
		}
		if (c->dirty[j] && l2 && c->n < c->cap) {
			/* every slice dirty: rather than a write-back on the loop
			 * thread (fdatasyncs), take a spare slot; the asynchronous
			 * write-back kicked above cleans the others */
			q->spare_slices++;
			return (int)c->n++;
		}
		if (c->dirty[j]) {
			/* L2 slices may only reach disk after the refcounts they
			 * depend on: a full write-back keeps that order. It can
			 * change the cache (frees drop items), so look again. */
			if (l2)
				q->sync_evictions++;
			int r = l2 ? q_writeback(q, false) : write_item(q, c, j, Q_OL_RB);
			if (r < 0)
				return r;
			if (l2)
				continue;
		}
		c_unlink(c, j);
		return (int)j;
	}
}

/* Get item at key, reading it from disk on a miss. */
static int c_get(struct qcow2 *q, struct q_cache *c, uint64_t key, unsigned *out)
{
	int i = c_find(c, key);
	if (i >= 0) {
		c->ref[i] = 1;
		*out = (unsigned)i;
		return 0;
	}
	i = c_victim(q, c);
	if (i < 0)
		return i;
	int r = blk_file_pread(&q->f, c_data(c, (unsigned)i), c->item_size, key, true);
	if (r < 0)
		return r;
	c_link(c, (unsigned)i, key);
	*out = (unsigned)i;
	return 0;
}

/* ---- overlap checks ---------------------------------------------------- */

static bool ovl(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Returns the first kind of metadata (Q_OL_*) that [off, off+len) would
 * overwrite, or 0. Cost: O(L1 size + refcount table size + snapshots). */
int q_overlap(struct qcow2 *q, uint64_t off, uint64_t len, int ignore)
{
	uint64_t cs = q->cluster_size;
	if (!(ignore & Q_OL_HEADER) && ovl(off, len, 0, cs))
		return Q_OL_HEADER;
	if (!(ignore & Q_OL_L1) && ovl(off, len, q->l1_offset, (uint64_t)q->l1_size * 8))
		return Q_OL_L1;
	if (!(ignore & Q_OL_RT) && ovl(off, len, q->rt_offset, (uint64_t)q->rt_clusters * cs))
		return Q_OL_RT;
	if (!(ignore & Q_OL_SNAPTAB) && ovl(off, len, q->snapshots_offset, q->snaptab_bytes))
		return Q_OL_SNAPTAB;
	if (!(ignore & Q_OL_SNAPL1))
		for (uint32_t i = 0; i < q->nb_snapshots; i++)
			if (ovl(off, len, q->snaps[i].l1_offset, (uint64_t)q->snaps[i].l1_size * 8))
				return Q_OL_SNAPL1;
	if (!(ignore & Q_OL_RB))
		for (uint64_t i = 0; i < q->rt_entries; i++)
			if (q->rt[i] && ovl(off, len, q->rt[i], cs))
				return Q_OL_RB;
	if (!(ignore & Q_OL_L2))
		for (uint32_t i = 0; i < q->l1_size; i++) {
			uint64_t l2 = q->l1[i] & Q_OFFSET_MASK;
			if (l2 && ovl(off, len, l2, cs))
				return Q_OL_L2;
		}
	return 0;
}

static const char *ol_name(int kind)
{
	switch (kind) {
	case Q_OL_HEADER: return "the header";
	case Q_OL_L1: return "the active L1 table";
	case Q_OL_RT: return "the refcount table";
	case Q_OL_RB: return "a refcount block";
	case Q_OL_L2: return "an active L2 table";
	case Q_OL_SNAPTAB: return "the snapshot table";
	default: return "a snapshot L1 table";
	}
}

void q_mark_corrupt(struct qcow2 *q, const char *why)
{
	fprintf(stderr, "qcow2: '%s' is corrupt: %s; further writes are refused "
		"(run check -r all)\n", q->b->filename, why);
	if (q->rw && !q->broken && !(q->incompat & Q_INCOMPAT_CORRUPT) && q->version >= 3) {
		q->incompat |= Q_INCOMPAT_CORRUPT;
		(void)q_write_header(q);
		(void)q_meta_sync(q);
	}
	q->broken = true;
}

/* Every metadata write goes through here: refuse (and mark the image
 * corrupt) if it would overwrite metadata of another kind. kind is what
 * is being written, so it is not checked against itself. */
int q_meta_write(struct qcow2 *q, uint64_t off, const void *buf, size_t len, int kind)
{
	if (q->broken)
		return -EIO;
	if (!q->rw)
		return -EROFS;
	int o = q_overlap(q, off, len, kind);
	if (o) {
		char why[160];
		snprintf(why, sizeof(why), "a metadata write at offset 0x%llx would overwrite %s",
			 (unsigned long long)off, ol_name(o));
		q_mark_corrupt(q, why);
		return -EIO;
	}
	if (kind == Q_OL_L2)
		q->l2_writes++; /* asynchronous slice reads in flight may be stale */
	return blk_file_pwrite(&q->f, buf, len, off);
}

/* ---- L2 ---------------------------------------------------------------- */

static int bad_l1(struct qcow2 *q, uint64_t i)
{
	char why[128];
	snprintf(why, sizeof(why), "L1 entry %llu (0x%llx) is misaligned, has reserved bits "
		 "set or points outside the image file", (unsigned long long)i,
		 (unsigned long long)q->l1[i]);
	q_mark_corrupt(q, why);
	return -EIO;
}

/* Pointer (into the cache) to entry idx of the L2 table at l2_off; with
 * extended L2 entries the subcluster bitmap follows it. */
int q_l2_slice(struct qcow2 *q, uint64_t l2_off, uint64_t idx, uint64_t **entry,
	       bool for_write)
{
	uint64_t sl = idx >> q->slice_bits;
	unsigned ci, ext = q->extl2;
	int r = c_get(q, &q->l2c, l2_off + (sl << (q->slice_bits + 3 + ext)), &ci);
	if (r < 0)
		return r;
	if (for_write) {
		c_set_dirty(&q->l2c, ci);
		/* half the cache dirty: write back in the background, so that
		 * evictions find clean slices */
		if (q->l2c.ndirty * 2 >= q->l2c.n)
			q_wb_kick(q);
	}
	*entry = (uint64_t *)c_data(&q->l2c, ci) + ((idx & ((1ull << q->slice_bits) - 1)) << ext);
	return 0;
}

/* Is the slice mapping goff in the cache (or is there nothing to load)?
 * If not, *key is the host offset of the slice to load. O(1). */
bool q_l2_cached(struct qcow2 *q, uint64_t goff, uint64_t *key)
{
	uint64_t l1i = goff >> (q->cluster_bits + q->l2_bits);
	if (l1i >= q->l1_size)
		return true;
	uint64_t l1e = q->l1[l1i], l2_off = l1e & Q_OFFSET_MASK;
	if (!l2_off || (l1e & Q_L1_RESERVED) || (l2_off & (q->cluster_size - 1)) ||
	    l2_off >= q->host_end)
		return true; /* q_l2_lookup() answers (or reports) without I/O */
	uint64_t idx = (goff >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
	*key = l2_off + ((idx >> q->slice_bits) << (q->slice_bits + 3 + q->extl2));
	return c_find(&q->l2c, *key) >= 0;
}

/* Put a slice read asynchronously into the cache (unless a synchronous
 * path loaded it meanwhile). -EAGAIN: every slice is dirty; a write-back
 * was kicked. */
int q_l2_insert(struct qcow2 *q, uint64_t key, const void *data)
{
	if (c_find(&q->l2c, key) >= 0)
		return 0;
	if (q_l2_all_dirty(q)) {
		/* no room without a synchronous write-back: the caller waits
		 * for the asynchronous one and loads again */
		q_wb_kick(q);
		return -EAGAIN;
	}
	int i = c_victim(q, &q->l2c);
	if (i < 0)
		return i;
	if (c_find(&q->l2c, key) >= 0) { /* write-back may have loaded it */
		return 0;
	}
	memcpy(c_data(&q->l2c, (unsigned)i), data, q->l2c.item_size);
	c_link(&q->l2c, (unsigned)i, key);
	return 0;
}

/* L2 entry (host order) for guest offset goff; 0 if no L2 table. */
int q_l2_lookup(struct qcow2 *q, uint64_t goff, uint64_t *entry)
{
	uint64_t l1i = goff >> (q->cluster_bits + q->l2_bits);
	if (l1i >= q->l1_size) {
		*entry = 0;
		return 0;
	}
	uint64_t l1e = q->l1[l1i];
	uint64_t l2_off = l1e & Q_OFFSET_MASK;
	if (!l2_off) {
		*entry = 0;
		return 0;
	}
	if ((l1e & Q_L1_RESERVED) || (l2_off & (q->cluster_size - 1)) ||
	    l2_off >= q->host_end || l2_off < q->cluster_size)
		return bad_l1(q, l1i);
	uint64_t idx = (goff >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
	uint64_t *s;
	int r = q_l2_slice(q, l2_off, idx, &s, false);
	if (r < 0)
		return r;
	*entry = __builtin_bswap64(*s);
	if (q->extl2) {
		q->last_bitmap = __builtin_bswap64(s[1]);
		if (!(*entry & Q_COMPRESSED))
			*entry &= ~Q_ZERO; /* zeroes are in the subcluster bitmap */
	}
	return 0;
}

/* The current content of the L2 table at off: its cached slices (the
 * newest, dirty or not) over the file's copy, which is read (pread, page
 * cache) only when some slice is not cached. Nothing is written back, so
 * no fdatasync blocks the loop here. */
static int l2_table_now(struct qcow2 *q, uint64_t off, uint8_t *buf)
{
	struct q_cache *c = &q->l2c;
	uint64_t cs = q->cluster_size;
	bool all = true;
	for (uint64_t at = 0; at < cs && all; at += c->item_size)
		all = c_find(c, off + at) >= 0;
	if (!all) {
		int r = blk_file_pread(&q->f, buf, cs, off, true);
		if (r < 0)
			return r;
	}
	for (uint64_t at = 0; at < cs; at += c->item_size) {
		int i = c_find(c, off + at);
		if (i >= 0)
			memcpy(buf + at, c_data(c, (unsigned)i), c->item_size);
	}
	return 0;
}

/* Make L1 entry l1i point at an L2 table this image alone owns. The copy
 * of a shared table is written (page cache) before L1 points at it; the
 * write-back that makes L1 durable syncs it first (qcow2.h's order). */
static int l2_own(struct qcow2 *q, uint64_t l1i)
{
	uint64_t l1e = q->l1[l1i];
	uint64_t old = l1e & Q_OFFSET_MASK;
	uint64_t cs = q->cluster_size;
	if (old && (l1e & Q_COPIED))
		return 0;
	if (old) {
		uint64_t rc;
		int r = q_refcount_get(q, old / cs, &rc);
		if (r < 0)
			return r;
		if (rc == 1) { /* flag was stale: we are the only owner */
			q->l1[l1i] |= Q_COPIED;
			q->l1_dirty = true;
			return 0;
		}
	}
	int64_t n = q_alloc_clusters(q, 1);
	if (n < 0)
		return (int)n;
	uint8_t *buf = blk_alloc_buf(cs);
	if (!buf)
		return -ENOMEM;
	int r = 0;
	if (old)
		r = l2_table_now(q, old, buf);
	else
		memset(buf, 0, cs);
	/* 1. the new table's content is written before anything points to it */
	if (!r)
		r = q_meta_write(q, (uint64_t)n, buf, cs, Q_OL_L2);
	free(buf);
	if (r < 0)
		return r;
	/* 2. L1 points to it (written by q_writeback after a sync) */
	q->l1[l1i] = (uint64_t)n | Q_COPIED;
	q->l1_dirty = true;
	/* 3. the shared table loses our reference once that is durable */
	if (old)
		r = q_defer_free(q, old, 1);
	return r;
}

/* Pointer (into the cache, big-endian) to the L2 entry of goff, in a table
 * this image owns; the slice is marked dirty. Valid until the next cache
 * call. */
int q_l2_prepare_write(struct qcow2 *q, uint64_t goff, uint64_t **entry)
{
	uint64_t l1i = goff >> (q->cluster_bits + q->l2_bits);
	if (l1i >= q->l1_size) {
		int r = q_grow_l1(q, l1i + 1);
		if (r < 0)
			return r;
	}
	uint64_t l2_off = q->l1[l1i] & Q_OFFSET_MASK;
	if (l2_off && ((q->l1[l1i] & Q_L1_RESERVED) || (l2_off & (q->cluster_size - 1)) ||
		       l2_off >= q->host_end || l2_off < q->cluster_size))
		return bad_l1(q, l1i);
	int r = l2_own(q, l1i);
	if (r < 0)
		return r;
	l2_off = q->l1[l1i] & Q_OFFSET_MASK;
	uint64_t idx = (goff >> q->cluster_bits) & ((1ull << q->l2_bits) - 1);
	uint64_t *s;
	r = q_l2_slice(q, l2_off, idx, &s, true);
	if (r < 0)
		return r;
	*entry = s;
	return 0;
}

/* ---- refcounts --------------------------------------------------------- */

static uint64_t rb_read(const struct qcow2 *q, const uint8_t *blk, uint64_t i)
{
	unsigned bits = 1u << q->refcount_order;
	switch (bits) {
	case 64: return q_be64(blk + i * 8);
	case 32: return q_be32(blk + i * 4);
	case 16: return q_be16(blk + i * 2);
	case 8: return blk[i];
	default: {
		uint64_t bit = i * bits;
		return (blk[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
	}
	}
}

static void rb_write(const struct qcow2 *q, uint8_t *blk, uint64_t i, uint64_t v)
{
	unsigned bits = 1u << q->refcount_order;
	switch (bits) {
	case 64: q_put64(blk + i * 8, v); break;
	case 32: q_put32(blk + i * 4, (uint32_t)v); break;
	case 16: q_put16(blk + i * 2, (uint16_t)v); break;
	case 8: blk[i] = (uint8_t)v; break;
	default: {
		uint64_t bit = i * bits;
		uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
		blk[bit / 8] = (uint8_t)((blk[bit / 8] & ~mask) | ((v << (bit % 8)) & mask));
	}
	}
}

static int bad_rt(struct qcow2 *q, uint64_t i)
{
	char why[128];
	snprintf(why, sizeof(why), "refcount table entry %llu (0x%llx) is misaligned",
		 (unsigned long long)i, (unsigned long long)q->rt[i]);
	q_mark_corrupt(q, why);
	return -EIO;
}

int q_refcount_get(struct qcow2 *q, uint64_t cl, uint64_t *rc)
{
	uint64_t bi = cl >> q->rb_bits;
	if (bi >= q->rt_entries || !q->rt[bi]) {
		*rc = 0;
		return 0;
	}
	if (q->rt[bi] & (q->cluster_size - 1))
		return bad_rt(q, bi);
	unsigned ci;
	int r = c_get(q, &q->rbc, q->rt[bi], &ci);
	if (r < 0)
		return r;
	*rc = rb_read(q, c_data(&q->rbc, ci), cl & ((1ull << q->rb_bits) - 1));
	return 0;
}

static int grow_rt(struct qcow2 *q, uint64_t min_entries);

/* Create missing refcount block bi at the first cluster of the range it
 * covers (a missing block means that whole range is free). */
static int ensure_block(struct qcow2 *q, uint64_t bi)
{
	uint64_t cs = q->cluster_size;
	if (bi >= q->rt_entries) {
		int r = grow_rt(q, bi + 1);
		if (r < 0)
			return r;
	}
	if (q->rt[bi])
		return 0;
	uint64_t c0 = bi << q->rb_bits;
	if (c0 == 0) {
		q_mark_corrupt(q, "the refcount block for the header is missing");
		return -EIO;
	}
	uint8_t *buf = blk_alloc_buf(cs);
	if (!buf)
		return -ENOMEM;
	memset(buf, 0, cs);
	rb_write(q, buf, 0, 1);
	/* 1. block content, 2. table entry pointing at it */
	int r = q_meta_write(q, c0 * cs, buf, cs, Q_OL_RB);
	free(buf);
	if (r < 0)
		return r;
	uint8_t be[8];
	q_put64(be, c0 * cs);
	q->rt[bi] = c0 * cs; /* so the overlap check knows the block */
	r = q_meta_write(q, q->rt_offset + bi * 8, be, 8, Q_OL_RT);
	if (r < 0) {
		q->rt[bi] = 0;
		return r;
	}
	if ((c0 + 1) * cs > q->host_end)
		q->host_end = (c0 + 1) * cs;
	return 0;
}

int q_refcount_set(struct qcow2 *q, uint64_t cl, uint64_t rc)
{
	uint64_t bi = cl >> q->rb_bits;
	if (rc > q->refcount_max)
		return -ERANGE;
	if (bi >= q->rt_entries || !q->rt[bi]) {
		if (rc == 0)
			return 0;
		int r = ensure_block(q, bi);
		if (r < 0)
			return r;
		if (cl == bi << q->rb_bits)
			return -EIO; /* cannot happen: that cluster is the block itself */
	}
	if (q->rt[bi] & (q->cluster_size - 1))
		return bad_rt(q, bi);
	unsigned ci;
	int r = c_get(q, &q->rbc, q->rt[bi], &ci);
	if (r < 0)
		return r;
	rb_write(q, c_data(&q->rbc, ci), cl & ((1ull << q->rb_bits) - 1), rc);
	c_set_dirty(&q->rbc, ci);
	return 0;
}

int q_refcount_add(struct qcow2 *q, uint64_t cl, int64_t delta)
{
	uint64_t rc;
	int r = q_refcount_get(q, cl, &rc);
	if (r < 0)
		return r;
	if (delta < 0 && rc < (uint64_t)-delta) {
		char why[128];
		snprintf(why, sizeof(why), "refcount of cluster %llu would drop below zero",
			 (unsigned long long)cl);
		q_mark_corrupt(q, why);
		return -EIO;
	}
	if (delta > 0 && rc + (uint64_t)delta > q->refcount_max)
		return -ERANGE; /* refcount overflow: refcount_bits too small */
	r = q_refcount_set(q, cl, rc + (uint64_t)delta);
	if (r == 0 && rc + (uint64_t)delta == 0) {
		if (cl < q->free_hint)
			q->free_hint = cl;
		if ((q->comp_next & ~(uint64_t)(q->cluster_size - 1)) == cl * q->cluster_size)
			q->comp_next = 0;
		c_invalidate(&q->l2c, cl * q->cluster_size, q->cluster_size);
		q->l2_writes++;
		c_invalidate(&q->rbc, cl * q->cluster_size, q->cluster_size);
	}
	return r;
}

/* Grow the refcount table to at least min_entries. The new table and the
 * refcount blocks describing it go after the end of the image:
 * 1. lay out table + new blocks, 2. write blocks and table, sync,
 * 3. header points to the new table, sync, 4. old table freed (deferred). */
static int grow_rt(struct qcow2 *q, uint64_t min_entries)
{
	uint64_t cs = q->cluster_size, per_cl = cs / 8;
	uint64_t want = q->rt_entries * 2 > min_entries ? q->rt_entries * 2 : min_entries;
	uint64_t pc = q_align_up(q->host_end, cs) / cs; /* first new cluster */
	uint64_t k, nb, entries;
	for (;;) {
		entries = q_align_up(want, per_cl);
		k = entries / per_cl;
		nb = 0;
		/* count blocks missing for [pc, pc+k+nb) until stable */
		for (int it = 0; it < 64; it++) {
			uint64_t first = pc >> q->rb_bits, last = (pc + k + nb - 1) >> q->rb_bits;
			uint64_t need = 0;
			for (uint64_t j = first; j <= last; j++)
				if (j >= q->rt_entries || !q->rt[j])
					need++;
			if (need == nb)
				break;
			nb = need;
		}
		if (((pc + k + nb - 1) >> q->rb_bits) < entries)
			break;
		want = ((pc + k + nb) >> q->rb_bits) + 1;
	}
	if (entries * 8 > Q_MAX_RT_BYTES)
		return -EFBIG;
	uint64_t *nrt = calloc(entries, 8);
	uint8_t *tab = blk_alloc_buf(k * cs);
	uint8_t *blocks = blk_alloc_buf((nb ? nb : 1) * cs);
	int r = -ENOMEM;
	if (!nrt || !tab || !blocks)
		goto out;
	memcpy(nrt, q->rt, q->rt_entries * 8);
	memset(blocks, 0, (nb ? nb : 1) * cs);
	uint64_t first = pc >> q->rb_bits, last = (pc + k + nb - 1) >> q->rb_bits, m = 0;
	for (uint64_t j = first; j <= last; j++)
		if (!nrt[j])
			nrt[j] = (pc + k + m++) * cs;
	/* refcount 1 for every new cluster: in new blocks directly, in
	 * existing blocks through the cache */
	for (uint64_t c = pc; c < pc + k + nb; c++) {
		uint64_t j = c >> q->rb_bits;
		if (j < q->rt_entries && q->rt[j]) {
			r = q_refcount_set(q, c, 1);
			if (r < 0)
				goto out;
		} else {
			uint64_t bi = nrt[j] / cs - (pc + k);
			rb_write(q, blocks + bi * cs, c & ((1ull << q->rb_bits) - 1), 1);
		}
	}
	for (uint64_t i = 0; i < entries; i++)
		q_put64(tab + i * 8, nrt[i]);
	r = q_write_refcounts(q);
	if (!r && nb)
		r = q_meta_write(q, (pc + k) * cs, blocks, nb * cs, Q_OL_RB | Q_OL_RT);
	if (!r)
		r = q_meta_write(q, pc * cs, tab, k * cs, Q_OL_RT | Q_OL_RB);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	if (r < 0)
		goto out;
	uint64_t old_off = q->rt_offset, old_cl = q->rt_clusters;
	uint64_t *old_rt = q->rt;
	q->rt = nrt;
	q->rt_entries = entries;
	q->rt_offset = pc * cs;
	q->rt_clusters = (uint32_t)k;
	nrt = old_rt;
	q->host_end = (pc + k + nb) * cs;
	r = q_write_header(q);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	if (!r)
		r = q_defer_free(q, old_off, old_cl);
out:
	free(nrt);
	free(tab);
	free(blocks);
	return r;
}

/* Create the refcount blocks missing for clusters [start, start+n) of
 * fresh space, placed right after them (they describe themselves or are
 * described by an existing block). -EAGAIN: the refcount table had to grow
 * (and moved the end of the image); the caller starts over. */
static int blocks_after(struct qcow2 *q, uint64_t start, uint64_t n)
{
	uint64_t cs = q->cluster_size, nb = 0;
	for (int it = 0; it < 64; it++) { /* the new blocks need blocks too */
		uint64_t need = 0;
		for (uint64_t j = start >> q->rb_bits; j <= (start + n + nb - 1) >> q->rb_bits; j++)
			if (j >= q->rt_entries || !q->rt[j])
				need++;
		if (need == nb)
			break;
		nb = need;
	}
	uint64_t last = (start + n + nb - 1) >> q->rb_bits;
	if (last >= q->rt_entries) {
		int r = grow_rt(q, last + 1);
		return r < 0 ? r : -EAGAIN;
	}
	uint8_t *blocks = blk_alloc_buf(nb * cs);
	uint64_t *pos = calloc(last + 1, sizeof(uint64_t));
	int r = -ENOMEM;
	if (!blocks || !pos)
		goto out;
	memset(blocks, 0, nb * cs);
	uint64_t m = 0;
	for (uint64_t j = start >> q->rb_bits; j <= last; j++)
		if (!q->rt[j])
			pos[j] = start + n + m++; /* cluster index of block j */
	r = 0;
	for (uint64_t k = 0; k < nb && !r; k++) {
		uint64_t c = start + n + k, j = c >> q->rb_bits;
		if (pos[j]) /* described by a new block */
			rb_write(q, blocks + (pos[j] - start - n) * cs, c & ((1ull << q->rb_bits) - 1), 1);
		else
			r = q_refcount_set(q, c, 1);
	}
	/* 1. the blocks, 2. the table entries pointing at them */
	if (!r)
		r = q_meta_write(q, (start + n) * cs, blocks, nb * cs, Q_OL_RB);
	for (uint64_t j = start >> q->rb_bits; j <= last && !r; j++) {
		if (!pos[j])
			continue;
		uint8_t be[8];
		q_put64(be, pos[j] * cs);
		q->rt[j] = pos[j] * cs;
		r = q_meta_write(q, q->rt_offset + j * 8, be, 8, Q_OL_RT);
	}
	if (!r && (start + n + nb) * cs > q->host_end)
		q->host_end = (start + n + nb) * cs;
out:
	free(blocks);
	free(pos);
	return r;
}

/* Allocate n contiguous free clusters (refcount 1 each, in the cache).
 * Returns the host offset or -errno. */
int64_t q_alloc_clusters(struct qcow2 *q, uint64_t n)
{
	uint64_t cs = q->cluster_size;
	if (q->broken)
		return -EIO;
restart:;
	uint64_t start = q->free_hint, len = 0, end_cl = q->host_end / cs;
	for (uint64_t c = start; len < n; c++) {
		if (c >= end_cl) { /* past the end everything is free */
			if (!len)
				start = c;
			len = n;
			break;
		}
		uint64_t rc;
		int r = q_refcount_get(q, c, &rc);
		if (r < 0)
			return r;
		if (rc) {
			len = 0;
			start = c + 1;
			if (c == q->free_hint)
				q->free_hint = c + 1;
		} else {
			len++;
		}
	}
	for (uint64_t bi = start >> q->rb_bits; bi <= (start + n - 1) >> q->rb_bits; bi++) {
		if (bi >= q->rt_entries || !q->rt[bi]) {
			/* blocks missing: take fresh space at the end and put the
			 * blocks right after the run */
			if (start < end_cl)
				start = end_cl;
			int r = blocks_after(q, start, n);
			if (r == -EAGAIN)
				goto restart; /* the refcount table moved the end */
			if (r < 0)
				return r;
			break;
		}
	}
	for (uint64_t c = start; c < start + n; c++) {
		int r = q_refcount_set(q, c, 1);
		if (r < 0)
			return r;
	}
	if ((start + n) * cs > q->host_end)
		q->host_end = (start + n) * cs;
	if (q->host_end > q->file_size && !q->f.is_bdev) {
		/* extend the file ahead: O_DIRECT writes inside the file size
		 * are not serialized by the filesystem like extending ones */
		uint64_t ahead = q->host_end / 8 > (16u << 20) ? q->host_end / 8 : (16u << 20);
		uint64_t want = q_align_up(q->host_end + ahead, cs);
		if (ftruncate(q->f.mfd, (off_t)want) == 0)
			q->file_size = want;
	}
	if (q->free_hint == start)
		q->free_hint = start + n;
	/* refcounts said free: make sure no metadata lives there before data
	 * or a new table is written (O(L1 + refcount table) per allocation) */
	int o = q_overlap(q, start * cs, n * cs, 0);
	if (o) {
		char why[160];
		snprintf(why, sizeof(why), "cluster %llu has refcount 0 but holds %s",
			 (unsigned long long)start, ol_name(o));
		q_mark_corrupt(q, why);
		return -EIO;
	}
	return (int64_t)(start * cs);
}

/* ---- deferred frees ------------------------------------------------------ */

int q_defer_free(struct qcow2 *q, uint64_t host_off, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (q->ndefer == q->cap_defer) {
			size_t cap = q->cap_defer ? q->cap_defer * 2 : 64;
			uint64_t *d = realloc(q->defer, cap * 8);
			if (!d)
				return -ENOMEM;
			q->defer = d;
			q->cap_defer = cap;
		}
		q->defer[q->ndefer++] = host_off + i * q->cluster_size;
	}
	return 0;
}

void q_comp_range(const struct qcow2 *q, uint64_t l2e, uint64_t *off, uint64_t *len)
{
	unsigned x = 62 - (q->cluster_bits - 8);
	uint64_t o = l2e & ((1ull << x) - 1);
	uint64_t nsec = ((l2e & ~(Q_COPIED | Q_COMPRESSED)) >> x) + 1;
	*off = o;
	*len = nsec * 512 - (o & 511);
}

/* Drop the reference an L2 entry holds (deferred). */
int q_defer_free_entry(struct qcow2 *q, uint64_t l2e)
{
	uint64_t cs = q->cluster_size;
	if (l2e & Q_COMPRESSED) {
		uint64_t off, len;
		q_comp_range(q, l2e, &off, &len);
		uint64_t first = off & ~(cs - 1), last = (off + len - 1) & ~(cs - 1);
		return q_defer_free(q, first, (last - first) / cs + 1);
	}
	uint64_t off = l2e & Q_OFFSET_MASK;
	return off ? q_defer_free(q, off, 1) : 0;
}

/* Apply the deferred frees queued before sequence number seq (counted
 * since open); the others stay queued. */
void q_apply_deferred_upto(struct qcow2 *q, uint64_t seq)
{
	uint64_t cs = q->cluster_size;
	size_t n = seq > q->defer_base ? (size_t)(seq - q->defer_base) : 0;
	if (n > q->ndefer)
		n = q->ndefer;
	for (size_t i = 0; i < n; i++) {
		uint64_t off = q->defer[i], rc = 0;
		if (q_refcount_add(q, off / cs, -1) < 0)
			break;
		if ((q->b->flags & BLK_O_DISCARD) && q_refcount_get(q, off / cs, &rc) == 0 &&
		    rc == 0)
			(void)fallocate(q->f.mfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)off, (off_t)cs);
	}
	if (n && q->ndefer > n)
		memmove(q->defer, q->defer + n, (q->ndefer - n) * 8);
	q->ndefer -= n;
	q->defer_base += n;
}

static void apply_deferred(struct qcow2 *q)
{
	q_apply_deferred_upto(q, q->defer_base + q->ndefer);
}

/* ---- write-back ----------------------------------------------------------- */

int q_write_refcounts(struct qcow2 *q)
{
	struct q_cache *c = &q->rbc;
	for (unsigned i = 0; i < c->n && c->ndirty; i++) {
		if (c->keys[i] != UINT64_MAX && c->dirty[i]) {
			int r = write_item(q, c, i, Q_OL_RB);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int q_write_l2(struct qcow2 *q)
{
	struct q_cache *c = &q->l2c;
	for (unsigned i = 0; i < c->n && c->ndirty; i++) {
		if (c->keys[i] != UINT64_MAX && c->dirty[i]) {
			int r = write_item(q, c, i, Q_OL_L2);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int q_write_l1(struct qcow2 *q)
{
	size_t bytes = (size_t)q->l1_size * 8;
	uint8_t *buf = blk_alloc_buf(bytes ? bytes : 8);
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->l1_size; i++)
		q_put64(buf + (size_t)i * 8, q->l1[i]);
	int r = bytes ? q_meta_write(q, q->l1_offset, buf, bytes, Q_OL_L1) : 0;
	free(buf);
	if (!r)
		q->l1_dirty = false;
	return r;
}

/* The crash-safe order: 1. refcount blocks (skipped with lazy refcounts:
 * the dirty bit makes the next open rebuild them), 2. sync, 3. L2 slices,
 * 4. sync, 5. L1, 6. sync when asked (or when frees wait), 7. apply the
 * deferred frees, whose dropped references are now durable. */
int q_writeback(struct qcow2 *q, bool sync_end)
{
	if (q->broken)
		return -EIO;
	if (!q->rw)
		return 0;
	bool lazy = q->compat & Q_COMPAT_LAZY;
	bool unsynced = false;
	int r;
	if (!lazy && q->rbc.ndirty) {
		if ((r = q_write_refcounts(q)) < 0)
			return r;
		unsynced = true;
	}
	if (q->l2c.ndirty) {
		if (unsynced && q_meta_sync(q) < 0)
			return -errno;
		if ((r = q_write_l2(q)) < 0)
			return r;
		unsynced = true;
	}
	if (q->l1_dirty) {
		if (unsynced && q_meta_sync(q) < 0)
			return -errno;
		if ((r = q_write_l1(q)) < 0)
			return r;
		unsynced = true;
	}
	bool can_free = q->ndefer && q->inflight == 0;
	if ((sync_end || can_free) && q_meta_sync(q) < 0)
		return -errno;
	if (can_free)
		apply_deferred(q);
	return 0;
}

/* Everything, including refcounts under lazy_refcounts, durable. */
int q_flush_all(struct qcow2 *q)
{
	if (!q->rw || q->broken)
		return q->broken ? -EIO : 0;
	int r = q_writeback(q, true);
	if (r < 0)
		return r;
	if (q->ndefer && q->inflight == 0) {
		r = q_writeback(q, true); /* frees applied: write them too */
		if (r < 0)
			return r;
	}
	r = q_write_refcounts(q);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	return r;
}

/* Grow the active L1 table to min_entries: new table written, synced, then
 * the header points at it, then the old one is freed (deferred). */
int q_grow_l1(struct qcow2 *q, uint64_t min_entries)
{
	uint64_t cs = q->cluster_size;
	uint64_t want = min_entries + min_entries / 2;
	if (min_entries * 8 > Q_MAX_L1_BYTES)
		return -EFBIG;
	if (want * 8 > Q_MAX_L1_BYTES)
		want = Q_MAX_L1_BYTES / 8;
	uint64_t bytes = q_align_up(want * 8, cs);
	uint64_t *nl1 = calloc(bytes / 8, 8);
	if (!nl1)
		return -ENOMEM;
	memcpy(nl1, q->l1, (size_t)q->l1_size * 8);
	int r = q_writeback(q, false); /* old L1 current on disk, L2s before L1 */
	int64_t off = r < 0 ? r : q_alloc_clusters(q, bytes / cs);
	if (off < 0) {
		free(nl1);
		return (int)off;
	}
	r = q_write_refcounts(q);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	uint64_t old_off = q->l1_offset, old_size = q->l1_size;
	uint64_t *old = q->l1;
	q->l1 = nl1;
	q->l1_size = (uint32_t)want;
	q->l1_offset = (uint64_t)off;
	if (!r)
		r = q_write_l1(q);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	if (!r)
		r = q_write_header(q);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	if (r < 0) {
		q->l1 = old;
		q->l1_size = (uint32_t)old_size;
		q->l1_offset = old_off;
		free(nl1);
		return r;
	}
	free(old);
	return old_size ? q_defer_free(q, old_off, q_align_up(old_size * 8, cs) / cs) : 0;
}
