/*
 * qcow2-snap.c - internal snapshots: the snapshot table (read, validated,
 * rewritten safely: new table, sync, header, sync, old table freed),
 * create / apply / delete with refcount updates over whole L1 trees, the
 * COPIED flag fix-up, and the vmstate area (the guest-address range just
 * after the virtual disk, rounded up to an L1 entry, as the format puts it).
 *
 * Threading: loop thread. Every operation drains requests first and is
 * synchronous. Crash safety: references are added and made durable before
 * anything points at them, and dropped only after nothing does: a crash
 * can leak clusters but not corrupt the image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block/qcow2.h"

enum { SNAP_MAX_TABLE = 64 << 20, SNAP_EXTRA_MAX = 1024 };

void q_snap_free_table(struct qcow2 *q)
{
	for (uint32_t i = 0; q->snaps && i < q->nb_snapshots; i++) {
		free(q->snaps[i].id);
		free(q->snaps[i].name);
		free(q->snaps[i].extra);
	}
	free(q->snaps);
	q->snaps = NULL;
}

static int parse_snap(struct qcow2 *q, const uint8_t *p, uint64_t avail, struct q_snap *s,
		      uint64_t *used)
{
	if (avail < 40)
		return -EINVAL;
	s->l1_offset = q_be64(p);
	s->l1_size = q_be32(p + 8);
	uint16_t idl = q_be16(p + 12), nl = q_be16(p + 14);
	s->date_sec = q_be32(p + 16);
	s->date_nsec = q_be32(p + 20);
	s->vm_clock_nsec = q_be64(p + 24);
	s->vm_state_size = q_be32(p + 32);
	s->extra_size = q_be32(p + 36);
	if (s->extra_size > SNAP_EXTRA_MAX)
		return -EINVAL;
	uint64_t len = 40 + (uint64_t)s->extra_size + idl + nl;
	if (len > avail)
		return -EINVAL;
	const uint8_t *x = p + 40;
	s->disk_size = q->size;
	s->icount = UINT64_MAX;
	if (s->extra_size >= 8)
		s->vm_state_size = q_be64(x);
	if (s->extra_size >= 16)
		s->disk_size = q_be64(x + 8);
	if (s->extra_size >= 24)
		s->icount = q_be64(x + 16);
	s->extra = malloc(s->extra_size ? s->extra_size : 1);
	s->id = strndup((const char *)x + s->extra_size, idl);
	s->name = strndup((const char *)x + s->extra_size + idl, nl);
	if (!s->extra || !s->id || !s->name)
		return -ENOMEM;
	memcpy(s->extra, x, s->extra_size);
	if ((s->l1_offset & (q->cluster_size - 1)) ||
	    (uint64_t)s->l1_size * 8 > Q_MAX_L1_BYTES)
		return -EINVAL;
	/* Entries are 8-byte aligned; the padding of the last one may lie past
	 * what was read, and the next entry must not start beyond it. */
	*used = q_align_up(len, 8);
	if (*used > avail)
		*used = avail;
	return 0;
}

int q_snap_read_table(struct qcow2 *q, char *err, size_t errlen)
{
	const char *fn = q->b->filename;
	q->snaptab_bytes = 0;
	if (!q->nb_snapshots)
		return 0;
	uint64_t fsz = (uint64_t)blk_file_size(&q->f);
	uint64_t max = fsz - q->snapshots_offset;
	if (max > SNAP_MAX_TABLE)
		max = SNAP_MAX_TABLE;
	uint8_t *buf = malloc(max ? max : 1);
	q->snaps = calloc(q->nb_snapshots, sizeof(*q->snaps));
	if (!buf || !q->snaps) {
		free(buf);
		return -ENOMEM;
	}
	int r = blk_file_pread(&q->f, buf, max, q->snapshots_offset, true);
	uint64_t at = 0;
	for (uint32_t i = 0; !r && i < q->nb_snapshots; i++) {
		uint64_t used = 0;
		r = parse_snap(q, buf + at, max - at, &q->snaps[i], &used);
		at += used;
	}
	free(buf);
	if (r < 0) {
		blk_err(err, errlen, "'%s': the snapshot table is invalid or truncated", fn);
		return -EINVAL;
	}
	q->snaptab_bytes = at;
	int ign = Q_OL_SNAPTAB | Q_OL_SNAPL1 | Q_OL_L2 | Q_OL_RB;
	if (q_overlap(q, q->snapshots_offset, at, ign)) {
		blk_err(err, errlen, "'%s': the snapshot table overlaps other metadata", fn);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < q->nb_snapshots; i++) {
		struct q_snap *s = &q->snaps[i];
		if (s->l1_size && q_overlap(q, s->l1_offset, (uint64_t)s->l1_size * 8,
					    Q_OL_SNAPL1 | Q_OL_L2 | Q_OL_RB)) {
			blk_err(err, errlen, "'%s': the L1 table of snapshot '%s' overlaps other "
				"metadata", fn, s->name);
			return -EINVAL;
		}
	}
	return 0;
}

static uint64_t snap_entry_size(const struct q_snap *s)
{
	uint32_t extra = s->extra_size > 24 ? s->extra_size : 24;
	return q_align_up(40 + extra + strlen(s->id) + strlen(s->name), 8);
}

/* Write the in-memory table to new clusters, then switch the header. */
static int write_snap_table(struct qcow2 *q)
{
	uint64_t cs = q->cluster_size, bytes = 0;
	for (uint32_t i = 0; i < q->nb_snapshots; i++)
		bytes += snap_entry_size(&q->snaps[i]);
	uint64_t old_off = q->snapshots_offset, old_bytes = q->snaptab_bytes;
	int64_t off = 0;
	uint8_t *buf = NULL;
	int r = 0;
	if (bytes) {
		buf = calloc(1, q_align_up(bytes, cs));
		if (!buf)
			return -ENOMEM;
		uint64_t at = 0;
		for (uint32_t i = 0; i < q->nb_snapshots; i++) {
			const struct q_snap *s = &q->snaps[i];
			uint8_t *p = buf + at;
			uint32_t extra = s->extra_size > 24 ? s->extra_size : 24;
			size_t idl = strlen(s->id), nl = strlen(s->name);
			q_put64(p, s->l1_offset);
			q_put32(p + 8, s->l1_size);
			q_put16(p + 12, (uint16_t)idl);
			q_put16(p + 14, (uint16_t)nl);
			q_put32(p + 16, s->date_sec);
			q_put32(p + 20, s->date_nsec);
			q_put64(p + 24, s->vm_clock_nsec);
			q_put32(p + 32, s->vm_state_size > UINT32_MAX ? 0 : (uint32_t)s->vm_state_size);
			q_put32(p + 36, extra);
			if (s->extra_size > 24)
				memcpy(p + 40, s->extra, s->extra_size);
			q_put64(p + 40, s->vm_state_size);
			q_put64(p + 48, s->disk_size);
			q_put64(p + 56, s->icount);
			memcpy(p + 40 + extra, s->id, idl);
			memcpy(p + 40 + extra + idl, s->name, nl);
			at += snap_entry_size(s);
		}
		off = q_alloc_clusters(q, q_align_up(bytes, cs) / cs);
		/* 1. the new table, and its refcounts, durable */
		r = off < 0 ? (int)off : q_meta_write(q, (uint64_t)off, buf, bytes, Q_OL_SNAPTAB);
		free(buf);
		if (!r)
			r = q_writeback(q, true);
		if (r < 0)
			return r;
	}
	/* 2. the header points at it */
	q->snapshots_offset = (uint64_t)off;
	q->snaptab_bytes = bytes;
	r = q_write_header(q);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	if (r < 0)
		return r;
	/* 3. the old table is freed */
	if (old_bytes)
		r = q_defer_free(q, old_off, q_align_up(old_bytes, cs) / cs);
	return r ? r : q_writeback(q, true);
}

static int read_l1(struct qcow2 *q, uint64_t off, uint32_t n, uint64_t **out)
{
	uint64_t *l1 = calloc(n ? n : 1, 8);
	if (!l1)
		return -ENOMEM;
	int r = blk_file_pread(&q->f, l1, (size_t)n * 8, off, false);
	if (r < 0) {
		free(l1);
		return -EIO;
	}
	for (uint32_t i = 0; i < n; i++)
		l1[i] = __builtin_bswap64(l1[i]);
	*out = l1;
	return 0;
}

/* Add delta to the refcount of every cluster reachable from l1 (L2 tables
 * and data). delta 0 = dry run: -ERANGE if +1 would overflow somewhere. */
int q_update_refs(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size, int delta)
{
	uint64_t cs = q->cluster_size, per = 1ull << q->l2_bits;
	for (uint32_t i = 0; i < l1_size; i++) {
		uint64_t l2 = l1[i] & Q_OFFSET_MASK;
		if (!l2)
			continue;
		uint64_t rc;
		int r = q_refcount_get(q, l2 / cs, &rc);
		if (r < 0)
			return r;
		if (!delta && rc >= q->refcount_max)
			return -ERANGE;
		for (uint64_t j = 0; j < per; j++) {
			uint64_t *s;
			if ((r = q_l2_slice(q, l2, j, &s, false)) < 0)
				return r;
			uint64_t e = __builtin_bswap64(*s);
			uint64_t first, n;
			if (e & Q_COMPRESSED) {
				uint64_t off, len;
				q_comp_range(q, e, &off, &len);
				first = off / cs;
				n = (off + len - 1) / cs - first + 1;
			} else {
				first = (e & Q_OFFSET_MASK) / cs;
				n = first ? 1 : 0;
			}
			for (uint64_t c = first; c < first + n; c++) {
				if (!delta) {
					if ((r = q_refcount_get(q, c, &rc)) < 0)
						return r;
					if (rc >= q->refcount_max)
						return -ERANGE;
				} else if ((r = q_refcount_add(q, c, delta)) < 0) {
					return r;
				}
			}
		}
		if (delta && (r = q_refcount_add(q, l2 / cs, delta)) < 0)
			return r;
	}
	return 0;
}

/* Set COPIED exactly where the refcount is 1 in the active tables. */
int q_fix_copied(struct qcow2 *q)
{
	uint64_t cs = q->cluster_size, per = 1ull << q->l2_bits;
	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t l2 = q->l1[i] & Q_OFFSET_MASK, rc;
		if (!l2)
			continue;
		int r = q_refcount_get(q, l2 / cs, &rc);
		if (r < 0)
			return r;
		uint64_t want = rc == 1 ? (q->l1[i] | Q_COPIED) : (q->l1[i] & ~Q_COPIED);
		if (want != q->l1[i]) {
			q->l1[i] = want;
			q->l1_dirty = true;
		}
		for (uint64_t j = 0; j < per; j++) {
			uint64_t *s;
			if ((r = q_l2_slice(q, l2, j, &s, false)) < 0)
				return r;
			uint64_t e = __builtin_bswap64(*s);
			if ((e & Q_COMPRESSED) || !(e & Q_OFFSET_MASK))
				continue;
			if ((r = q_refcount_get(q, (e & Q_OFFSET_MASK) / cs, &rc)) < 0)
				return r;
			uint64_t ne = rc == 1 ? (e | Q_COPIED) : (e & ~Q_COPIED);
			if (ne != e) {
				if ((r = q_l2_slice(q, l2, j, &s, true)) < 0)
					return r;
				*s = __builtin_bswap64(ne);
			}
		}
	}
	return 0;
}

static struct q_snap *find_snap(struct qcow2 *q, const char *id)
{
	for (uint32_t i = 0; i < q->nb_snapshots; i++)
		if (!strcmp(q->snaps[i].id, id))
			return &q->snaps[i];
	for (uint32_t i = 0; i < q->nb_snapshots; i++)
		if (!strcmp(q->snaps[i].name, id))
			return &q->snaps[i];
	return NULL;
}

int q_snapshot_list(struct blk *b, struct blk_snapshot *out, unsigned max)
{
	struct qcow2 *q = b->opaque;
	for (uint32_t i = 0; i < q->nb_snapshots && i < max; i++) {
		const struct q_snap *s = &q->snaps[i];
		struct blk_snapshot *o = &out[i];
		memset(o, 0, sizeof(*o));
		snprintf(o->id, sizeof(o->id), "%s", s->id);
		snprintf(o->name, sizeof(o->name), "%s", s->name);
		o->vm_state_size = s->vm_state_size;
		o->date_sec = s->date_sec;
		o->date_nsec = s->date_nsec;
		o->vm_clock_nsec = s->vm_clock_nsec;
		o->disk_size = s->disk_size;
		o->icount = s->icount;
	}
	return (int)q->nb_snapshots;
}

int q_vmstate_discard(struct blk *b, uint64_t len);

static uint64_t vmstate_base(const struct qcow2 *q)
{
	return q_size_to_l1(q, q->size) << (q->cluster_bits + q->l2_bits);
}

static int prepare(struct qcow2 *q)
{
	int r = q_drain(q);
	return r ? r : q_writeback(q, true);
}

/* A copy of the active L1 table in new clusters; its offset in *out. */
static int copy_active_l1(struct qcow2 *q, int64_t *out)
{
	uint64_t cs = q->cluster_size, bytes = (uint64_t)q->l1_size * 8;
	*out = 0;
	if (!bytes)
		return 0;
	uint8_t *buf = blk_alloc_buf(q_align_up(bytes, cs));
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->l1_size; i++)
		q_put64(buf + (size_t)i * 8, q->l1[i]);
	int64_t off = q_alloc_clusters(q, q_align_up(bytes, cs) / cs);
	int r = off < 0 ? (int)off : q_meta_write(q, (uint64_t)off, buf, bytes, Q_OL_SNAPL1);
	free(buf);
	*out = off < 0 ? 0 : off;
	return r;
}

/* Append the in-memory table entry (next free numeric id). */
static int add_entry(struct qcow2 *q, const char *name, uint64_t vmsz, int64_t l1_off)
{
	struct q_snap *ns = realloc(q->snaps, (q->nb_snapshots + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	q->snaps = ns;
	unsigned long maxid = 0;
	for (uint32_t i = 0; i < q->nb_snapshots; i++) {
		unsigned long v = strtoul(ns[i].id, NULL, 10);
		if (v > maxid)
			maxid = v;
	}
	char id[32];
	snprintf(id, sizeof(id), "%lu", maxid + 1);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ns[q->nb_snapshots] = (struct q_snap){
		.l1_offset = (uint64_t)l1_off, .l1_size = q->l1_size, .id = strdup(id),
		.name = strdup(name), .date_sec = (uint32_t)ts.tv_sec,
		.date_nsec = (uint32_t)ts.tv_nsec, .vm_state_size = vmsz, .disk_size = q->size,
		.icount = UINT64_MAX };
	q->nb_snapshots++;
	return 0;
}

int q_snapshot_create(struct blk *b, const char *name, uint64_t vmsz, char *err,
		      size_t errlen)
{
	struct qcow2 *q = b->opaque;
	if (!name || !*name || strlen(name) > 65535 || find_snap(q, name)) {
		blk_err(err, errlen, "'%s': a snapshot named '%s' already exists (or the name "
			"is invalid)", b->filename, name ? name : "");
		return -EEXIST;
	}
	if (q->nb_snapshots >= Q_MAX_SNAPSHOTS) {
		blk_err(err, errlen, "'%s' has too many snapshots", b->filename);
		return -EFBIG;
	}
	int r = prepare(q);
	if (!r && (r = q_update_refs(q, q->l1, q->l1_size, 0)) == -ERANGE) {
		blk_err(err, errlen, "'%s': refcount overflow: refcount_bits=%u is too small "
			"for another snapshot", b->filename, 1u << q->refcount_order);
		return r;
	}
	int64_t l1_off = 0;
	/* 1. copy of the active L1 in new clusters; 2. one more reference to
	 * everything reachable; 3. COPIED cleared; 4. all durable before the
	 * snapshot table mentions the copy */
	if (r < 0 || (r = copy_active_l1(q, &l1_off)) < 0 ||
	    (r = q_update_refs(q, q->l1, q->l1_size, 1)) < 0 || (r = q_fix_copied(q)) < 0 ||
	    (r = q_writeback(q, true)) < 0 || (r = add_entry(q, name, vmsz, l1_off)) < 0)
		goto fail;
	/* 5. the snapshot table: new table, header, old table freed */
	if ((r = write_snap_table(q)) < 0) {
		struct q_snap *s = &q->snaps[--q->nb_snapshots]; /* not on disk: forget it */
		free(s->id);
		free(s->name);
		goto fail;
	}
	/* 6. the active image no longer needs the VM state (the snapshot
	 * keeps it); failing here only leaves it allocated */
	if (vmsz)
		(void)q_vmstate_discard(b, vmsz);
	return 0;
fail:
	blk_err(err, errlen, "'%s': could not create snapshot '%s': %s", b->filename, name,
		strerror(-r));
	return r;
}

/* Open-time: make snapshot id the (read-only) image this blk shows. The
 * snapshot's L1 table replaces the active one in memory only; the active
 * L1's location stays known to the overlap checks. */
int q_snap_view(struct qcow2 *q, const char *id, char *err, size_t errlen)
{
	if (q->rw) {
		blk_err(err, errlen, "'%s': snapshot '%s' can only be opened read-only",
			q->b->filename, id);
		return -EROFS;
	}
	struct q_snap *s = find_snap(q, id);
	if (!s) {
		blk_err(err, errlen, "'%s' has no snapshot '%s' (see snapshot -l)",
			q->b->filename, id);
		return -ENOENT;
	}
	uint64_t *sl1;
	if (read_l1(q, s->l1_offset, s->l1_size, &sl1) < 0) {
		blk_err(err, errlen, "'%s': could not read the L1 table of snapshot '%s'",
			q->b->filename, id);
		return -EIO;
	}
	free(q->l1);
	q->l1 = sl1;
	q->l1_size = s->l1_size;
	/* the virtual size stays the active image's, as with qemu-img
	 * convert -l: past the snapshot's L1 table nothing is allocated */
	return 0;
}

int q_snapshot_apply(struct blk *b, const char *id, char *err, size_t errlen)
{
	struct qcow2 *q = b->opaque;
	struct q_snap *s = find_snap(q, id);
	if (!s) {
		blk_err(err, errlen, "'%s' has no snapshot '%s'", b->filename, id);
		return -ENOENT;
	}
	uint64_t *sl1 = NULL, *old = NULL;
	uint32_t old_size = q->l1_size;
	int r = prepare(q);
	if (!r)
		r = read_l1(q, s->l1_offset, s->l1_size, &sl1);
	if (r < 0)
		goto fail;
	if ((r = q_update_refs(q, sl1, s->l1_size, 0)) == -ERANGE) {
		blk_err(err, errlen, "'%s': refcount overflow applying snapshot '%s'",
			b->filename, id);
		free(sl1);
		return r;
	}
	/* 1. references from the snapshot's tree, durable */
	if (r < 0 || (r = q_update_refs(q, sl1, s->l1_size, 1)) < 0 ||
	    (r = q_writeback(q, true)) < 0)
		goto fail;
	/* 2. the active L1 becomes the snapshot's */
	old = malloc((size_t)old_size * 8 + 8);
	if (!old) {
		r = -ENOMEM;
		goto fail;
	}
	memcpy(old, q->l1, (size_t)old_size * 8);
	if (s->l1_size > q->l1_size && (r = q_grow_l1(q, s->l1_size)) < 0)
		goto fail;
	memset(q->l1, 0, (size_t)q->l1_size * 8);
	memcpy(q->l1, sl1, (size_t)s->l1_size * 8);
	q->l1_dirty = true;
	q->size = s->disk_size;
	b->size = q->size;
	if ((r = q_writeback(q, true)) < 0 || (r = q_write_header(q)) < 0 ||
	    q_meta_sync(q) < 0)
		goto fail;
	/* 3. the old tree loses the active image's references */
	if ((r = q_update_refs(q, old, old_size, -1)) < 0 || (r = q_fix_copied(q)) < 0 ||
	    (r = q_writeback(q, true)) < 0)
		goto fail;
	free(old);
	free(sl1);
	return 0;
fail:
	free(old);
	free(sl1);
	blk_err(err, errlen, "'%s': could not apply snapshot '%s': %s", b->filename, id,
		strerror(r < 0 ? -r : EIO));
	return r < 0 ? r : -EIO;
}

int q_snapshot_delete(struct blk *b, const char *id, char *err, size_t errlen)
{
	struct qcow2 *q = b->opaque;
	uint64_t cs = q->cluster_size;
	struct q_snap *s = find_snap(q, id);
	if (!s) {
		blk_err(err, errlen, "'%s' has no snapshot '%s'", b->filename, id);
		return -ENOENT;
	}
	struct q_snap gone = *s;
	uint64_t *sl1 = NULL;
	int r = prepare(q);
	if (!r)
		r = read_l1(q, gone.l1_offset, gone.l1_size, &sl1);
	if (r < 0)
		goto fail;
	/* 1. the table without it, durable (the header no longer leads to it) */
	uint32_t idx = (uint32_t)(s - q->snaps);
	memmove(&q->snaps[idx], &q->snaps[idx + 1],
		(q->nb_snapshots - idx - 1) * sizeof(*s));
	q->nb_snapshots--;
	if ((r = write_snap_table(q)) < 0)
		goto fail_free;
	/* 2. its references dropped, its L1 freed, COPIED where now sole */
	if ((r = q_update_refs(q, sl1, gone.l1_size, -1)) < 0)
		goto fail_free;
	for (uint64_t o = 0; o < (uint64_t)gone.l1_size * 8; o += cs)
		if ((r = q_refcount_add(q, (gone.l1_offset + o) / cs, -1)) < 0)
			goto fail_free;
	if ((r = q_fix_copied(q)) < 0 || (r = q_writeback(q, true)) < 0)
		goto fail_free;
fail_free:
	free(gone.id);
	free(gone.name);
	free(gone.extra);
fail:
	free(sl1);
	if (r < 0)
		blk_err(err, errlen, "'%s': could not delete snapshot '%s': %s", b->filename,
			id, strerror(-r));
	return r;
}

struct vm_wait {
	bool done;
	int res;
};

static void vm_done(struct blk_req *r, int res)
{
	struct vm_wait *w = r->opaque;
	w->res = res;
	w->done = true;
}

int q_sync_req(struct blk *b, uint8_t op, uint64_t off, void *buf, uint64_t len)
{
	struct iovec iov = { buf, len };
	struct vm_wait w = { 0 };
	struct blk_req r = { .op = op, .offset = off, .iov = &iov, .iovcnt = 1, .len = len,
			     .done = vm_done, .opaque = &w };
	int ret = q_submit(b, &r);
	if (ret < 0)
		return ret;
	ret = blk_wait(b, &w.done);
	return ret < 0 ? ret : w.res;
}

int q_vmstate_rw(struct blk *b, uint64_t pos, void *buf, size_t len, bool write)
{
	struct qcow2 *q = b->opaque;
	if (!len)
		return 0;
	void *io = buf;
	if (b->align > 1) { /* O_DIRECT: go through an aligned bounce buffer */
		uint64_t a = b->align;
		if ((pos | len) & (a - 1))
			return -EINVAL;
		if (!(io = blk_alloc_buf(len)))
			return -ENOMEM;
		if (write)
			memcpy(io, buf, len);
	}
	int r = q_sync_req(b, write ? BLK_WRITE : BLK_READ, vmstate_base(q) + pos, io, len);
	if (io != buf) {
		if (!write && !r)
			memcpy(buf, io, len);
		free(io);
	}
	return r;
}

/* Drop the VM state from the active image (after a snapshot kept it). */
int q_vmstate_discard(struct blk *b, uint64_t len)
{
	struct qcow2 *q = b->opaque;
	return q_sync_req(b, BLK_DISCARD, vmstate_base(q), NULL, q_align_up(len, q->cluster_size));
}
