/*
 * qcow2-check.c - consistency check and repair (check -r leaks|all
 * semantics) and the refcount rebuild done when a lazy-refcount image was
 * not closed cleanly.
 *
 * The walk counts, per host cluster, the references the format implies:
 * header, L1 tables (active and snapshots), L2 tables and data clusters
 * reached through each L1 table, refcount table and blocks, snapshot
 * table. Stored refcounts above that are leaks; below it, corruptions.
 *
 * Threading: loop thread; the caller has no requests in flight (we drain).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

struct walk {
	struct qcow2 *q;
	uint32_t *refs;
	uint64_t nclusters;    /* clusters counted (file size rounded up) */
	uint64_t file_end;
	bool fix_errors;
	struct blk_check_result *res;
	void (*report)(void *ctx, const char *line);
	void *ctx;
	uint64_t last_data;    /* for fragmentation statistics */
};

static void say(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct walk *w, const char *fmt, ...)
{
	if (!w->report)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	w->report(w->ctx, line);
}

/* Count references to [off, off+len). Returns false if out of the file. */
static bool ref(struct walk *w, uint64_t off, uint64_t len, const char *what)
{
	uint64_t cs = w->q->cluster_size;
	if (!len)
		return true;
	if (off + len > w->file_end || off + len < off) {
		say(w, "ERROR %s at offset 0x%llx is beyond the end of the image file", what,
		    (unsigned long long)off);
		w->res->corruptions++;
		return false;
	}
	for (uint64_t c = off / cs; c <= (off + len - 1) / cs; c++)
		if (w->refs[c] != UINT32_MAX)
			w->refs[c]++;
	return true;
}

static int walk_l2(struct walk *w, uint64_t l2, uint64_t l1i, bool active)
{
	struct qcow2 *q = w->q;
	uint64_t cs = q->cluster_size, per = 1ull << q->l2_bits;
	for (uint64_t j = 0; j < per; j++) {
		uint64_t *s;
		int r = q_l2_slice(q, l2, j, &s, false);
		if (r < 0)
			return r;
		uint64_t *slot = s;
		uint64_t e = __builtin_bswap64(*slot);
		bool bad = false;
		if (e & Q_COMPRESSED) {
			uint64_t off, len;
			q_comp_range(q, e, &off, &len);
			if (off < cs || len > 2 * cs + 512) {
				say(w, "ERROR invalid compressed cluster descriptor 0x%llx",
				    (unsigned long long)e);
				w->res->corruptions++;
				bad = true;
			} else if (!ref(w, off, len, "compressed cluster")) {
				bad = true;
			} else if (active) {
				w->res->allocated_clusters++;
				w->res->compressed_clusters++;
			}
		} else if (e & Q_OFFSET_MASK) {
			uint64_t off = e & Q_OFFSET_MASK;
			if ((off & (cs - 1)) || (e & Q_L2_RESERVED)) {
				say(w, "ERROR L2 entry 0x%llx (guest cluster %llu) is misaligned or "
				    "has reserved bits set", (unsigned long long)e,
				    (unsigned long long)(l1i * per + j));
				w->res->corruptions++;
				bad = true;
			} else if (!ref(w, off, cs, "data cluster")) {
				bad = true;
			} else if (active && !(e & Q_ZERO)) {
				w->res->allocated_clusters++;
				if (w->last_data && off != w->last_data + cs)
					w->res->fragmented_clusters++;
				w->last_data = off;
			}
		}
		if (bad && w->fix_errors && q->rw) {
			if ((r = q_l2_slice(q, l2, j, &s, true)) < 0)
				return r;
			*s = 0;
			if (q->extl2)
				s[1] = 0;
			w->res->corruptions_fixed++;
		}
	}
	return 0;
}

static int walk_l1(struct walk *w, const uint64_t *l1, uint32_t n, bool active)
{
	struct qcow2 *q = w->q;
	uint64_t cs = q->cluster_size;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l2 = l1[i] & Q_OFFSET_MASK;
		if (!l2)
			continue;
		if ((l2 & (cs - 1)) || (l1[i] & Q_L1_RESERVED) || !ref(w, l2, cs, "L2 table")) {
			if ((l2 & (cs - 1)) || (l1[i] & Q_L1_RESERVED)) {
				say(w, "ERROR L1 entry %u (0x%llx) is invalid", i,
				    (unsigned long long)l1[i]);
				w->res->corruptions++;
			}
			if (w->fix_errors && active && q->rw) {
				q->l1[i] = 0;
				q->l1_dirty = true;
				w->res->corruptions_fixed++;
			}
			continue;
		}
		int r = walk_l2(w, l2, i, active);
		if (r < 0)
			return r;
	}
	return 0;
}

static int walk_all(struct walk *w)
{
	struct qcow2 *q = w->q;
	uint64_t cs = q->cluster_size;
	ref(w, 0, cs, "header");
	ref(w, q->l1_offset, (uint64_t)q->l1_size * 8, "L1 table");
	int r = walk_l1(w, q->l1, q->l1_size, true);
	if (r < 0)
		return r;
	ref(w, q->snapshots_offset, q->snaptab_bytes, "snapshot table");
	for (uint32_t i = 0; i < q->nb_snapshots; i++) {
		const struct q_snap *s = &q->snaps[i];
		uint64_t *l1 = calloc(s->l1_size ? s->l1_size : 1, 8);
		if (!l1)
			return -ENOMEM;
		if (!ref(w, s->l1_offset, (uint64_t)s->l1_size * 8, "snapshot L1 table") ||
		    blk_file_pread(&q->f, l1, (size_t)s->l1_size * 8, s->l1_offset, false) < 0) {
			w->res->check_errors++;
			free(l1);
			continue;
		}
		for (uint32_t j = 0; j < s->l1_size; j++)
			l1[j] = __builtin_bswap64(l1[j]);
		r = walk_l1(w, l1, s->l1_size, false);
		free(l1);
		if (r < 0)
			return r;
	}
	ref(w, q->rt_offset, (uint64_t)q->rt_clusters * cs, "refcount table");
	for (uint64_t i = 0; i < q->rt_entries; i++)
		if (q->rt[i])
			ref(w, q->rt[i], cs, "refcount block");
	return 0;
}

static int walk_init(struct walk *w, struct qcow2 *q)
{
	int64_t fsz = blk_file_size(&q->f);
	if (fsz < 0)
		return (int)fsz;
	w->q = q;
	w->file_end = q_align_up((uint64_t)fsz, q->cluster_size);
	if (q->host_end > w->file_end)
		w->file_end = q->host_end;
	w->nclusters = w->file_end / q->cluster_size;
	w->refs = calloc(w->nclusters ? w->nclusters : 1, sizeof(uint32_t));
	return w->refs ? 0 : -ENOMEM;
}

/* Compare and (optionally) set stored refcounts. */
static int compare(struct walk *w, unsigned fix)
{
	struct qcow2 *q = w->q;
	/* like qemu-img: clusters past the end of the file are not checked
	 * (the allocator overwrites any stale refcount there) */
	uint64_t n = w->nclusters;
	for (uint64_t c = 0; c < n; c++) {
		uint64_t stored, want = c < w->nclusters ? w->refs[c] : 0;
		int r = q_refcount_get(q, c, &stored);
		if (r < 0) {
			w->res->check_errors++;
			continue;
		}
		if (stored == want)
			continue;
		if (want > q->refcount_max) {
			say(w, "ERROR cluster %llu has %llu references: more than refcount_bits "
			    "can count", (unsigned long long)c, (unsigned long long)want);
			w->res->corruptions++;
			continue;
		}
		bool leak = stored > want;
		say(w, "%s cluster %llu refcount=%llu reference=%llu",
		    leak ? "Leaked" : "ERROR", (unsigned long long)c,
		    (unsigned long long)stored, (unsigned long long)want);
		if (leak)
			w->res->leaks++;
		else
			w->res->corruptions++;
		bool do_fix = leak ? (fix & BLK_CHECK_FIX_LEAKS) : (fix & BLK_CHECK_FIX_ERRORS);
		if (do_fix && q_refcount_set(q, c, want) == 0) {
			if (leak)
				w->res->leaks_fixed++;
			else
				w->res->corruptions_fixed++;
			if (want == 0 && c < q->free_hint)
				q->free_hint = c;
		}
	}
	return 0;
}

/* COPIED must be set exactly where the refcount is 1 (active tables). */
static int check_copied(struct walk *w)
{
	struct qcow2 *q = w->q;
	uint64_t cs = q->cluster_size, per = 1ull << q->l2_bits;
	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t l2 = q->l1[i] & Q_OFFSET_MASK, rc;
		if (!l2 || (l2 & (cs - 1)) || l2 >= w->file_end)
			continue;
		if (q_refcount_get(q, l2 / cs, &rc) < 0)
			return -EIO;
		if ((rc == 1) != !!(q->l1[i] & Q_COPIED)) {
			say(w, "ERROR OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%llx "
			    "refcount=%llu", i, (unsigned long long)q->l1[i],
			    (unsigned long long)rc);
			w->res->corruptions++;
		}
		for (uint64_t j = 0; j < per; j++) {
			uint64_t *s;
			int r = q_l2_slice(q, l2, j, &s, false);
			if (r < 0)
				return r;
			uint64_t e = __builtin_bswap64(*s);
			uint64_t off = e & Q_OFFSET_MASK;
			if ((e & Q_COMPRESSED) || !off || (off & (cs - 1)) || off >= w->file_end)
				continue;
			if (q_refcount_get(q, off / cs, &rc) < 0)
				return -EIO;
			if ((rc == 1) != !!(e & Q_COPIED)) {
				say(w, "ERROR OFLAG_COPIED data cluster: l2_entry=%llx refcount=%llu",
				    (unsigned long long)e, (unsigned long long)rc);
				w->res->corruptions++;
			}
		}
	}
	return 0;
}

static int check_once(struct qcow2 *q, unsigned fix, struct blk_check_result *res,
		      void (*report)(void *ctx, const char *line), void *ctx)
{
	struct walk w = { .res = res, .report = report, .ctx = ctx,
			  .fix_errors = fix & BLK_CHECK_FIX_ERRORS };
	int r = walk_init(&w, q);
	if (r < 0)
		return r;
	r = walk_all(&w);
	if (!r)
		r = compare(&w, fix);
	if (!r && (fix & BLK_CHECK_FIX_ERRORS) && q->rw)
		r = q_fix_copied(q);
	if (!r)
		r = check_copied(&w);
	uint64_t end = 0;
	for (uint64_t c = 0; c < w.nclusters; c++)
		if (w.refs[c])
			end = (c + 1) * q->cluster_size;
	res->image_end_offset = end;
	res->total_clusters = q_size_to_l1(q, q->size) << q->l2_bits;
	uint64_t vc = (q->size + q->cluster_size - 1) / q->cluster_size;
	if (res->total_clusters > vc)
		res->total_clusters = vc;
	free(w.refs);
	return r;
}

int q_check(struct blk *b, unsigned fix, struct blk_check_result *res,
	    void (*report)(void *ctx, const char *line), void *ctx)
{
	struct qcow2 *q = b->opaque;
	int r = q_drain(q);
	if (r < 0)
		return r;
	if (q->rw && (r = q_writeback(q, true)) < 0)
		return r;
	r = check_once(q, fix, res, report, ctx);
	if (r < 0 || !fix)
		return r;
	if ((r = q_flush_all(q)) < 0)
		return r;
	/* report what is left after repairing, like qemu-img check -r */
	struct blk_check_result after = { 0 };
	r = check_once(q, 0, &after, NULL, NULL);
	if (r < 0)
		return r;
	res->corruptions = after.corruptions;
	res->leaks = after.leaks;
	res->check_errors += after.check_errors;
	res->allocated_clusters = after.allocated_clusters;
	res->fragmented_clusters = after.fragmented_clusters;
	res->compressed_clusters = after.compressed_clusters;
	res->image_end_offset = after.image_end_offset;
	if (!after.corruptions && (q->incompat & Q_INCOMPAT_CORRUPT)) {
		q->incompat &= ~Q_INCOMPAT_CORRUPT;
		q->broken = false;
		r = q_write_header(q);
	}
	return r;
}

int q_rebuild_refcounts(struct qcow2 *q)
{
	struct blk_check_result res = { 0 };
	int r = check_once(q, BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS, &res, NULL, NULL);
	if (!r)
		r = q_flush_all(q);
	return r;
}
