/*
 * qcow2.c - the qcow2 driver's open/close, header parsing and validation,
 * header rewrite (extensions kept), create, info, resize, rebase and the
 * driver ops table. See qcow2.h for how the driver is split.
 *
 * Threading: loop thread. Bad input is refused with one sentence in err
 * and -EINVAL/-EIO/-ENOTSUP; an image opened read-only is never written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/qcow2.h"

static int q_probe(const uint8_t *buf, size_t len)
{
	return len >= 8 && q_be32(buf) == QCOW2_MAGIC ? 100 : 0;
}

uint64_t q_size_to_l1(const struct qcow2 *q, uint64_t size)
{
	unsigned shift = q->cluster_bits + q->l2_bits;
	return (size + (1ull << shift) - 1) >> shift;
}

static void set_geometry(struct qcow2 *q)
{
	q->cluster_size = 1u << q->cluster_bits;
	q->l2_bits = q->cluster_bits - 3 - q->extl2;
	q->slice_bits = q->l2_bits < 9u - q->extl2 ? q->l2_bits : 9u - q->extl2; /* 4 KiB */
	q->rb_bits = q->cluster_bits + 3 - q->refcount_order;
	q->refcount_max = q->refcount_order == 6 ? UINT64_MAX
						 : (1ull << (1u << q->refcount_order)) - 1;
}

static const char *feature_name(uint64_t bit)
{
	switch (bit) {
	case 2: return "external data file";
	case 4: return "extended L2 entries";
	default: return NULL;
	}
}

/* Parse header extensions in cluster 0 from `at`. */
static int parse_exts(struct qcow2 *q, const uint8_t *h, size_t at, size_t end,
		      char *err, size_t errlen)
{
	const char *fn = q->b->filename;
	while (at + 8 <= end) {
		uint32_t type = q_be32(h + at), len = q_be32(h + at + 4);
		at += 8;
		if (type == Q_EXT_END)
			return 0;
		if (len > end - at) {
			blk_err(err, errlen, "'%s': header extension 0x%x is longer than the "
				"header cluster", fn, type);
			return -EINVAL;
		}
		if (type == Q_EXT_BACKING_FMT) {
			free(q->backing_fmt);
			q->backing_fmt = strndup((const char *)h + at, len);
		} else {
			struct q_ext *e = realloc(q->exts, (q->n_exts + 1) * sizeof(*e));
			if (!e)
				return -ENOMEM;
			q->exts = e;
			e = &q->exts[q->n_exts++];
			e->type = type;
			e->len = len;
			e->data = malloc(len ? len : 1);
			if (!e->data)
				return -ENOMEM;
			memcpy(e->data, h + at, len);
		}
		at += q_align_up(len, 8);
	}
	return 0; /* no end marker before the cluster ends: tolerated */
}

/* Sentence for unknown incompatible bits, using the image's own feature
 * name table when it has one. */
static void unknown_features(struct qcow2 *q, uint64_t bits, char *err, size_t errlen)
{
	char names[512] = "";
	for (unsigned b = 0; b < 64; b++) {
		if (!(bits & (1ull << b)))
			continue;
		const char *name = feature_name(b);
		char tmp[64];
		for (unsigned i = 0; i < q->n_exts && !name; i++) {
			if (q->exts[i].type != Q_EXT_FEATURES)
				continue;
			for (uint32_t o = 0; o + 48 <= q->exts[i].len; o += 48) {
				const uint8_t *f = q->exts[i].data + o;
				if (f[0] == 0 && f[1] == b) {
					snprintf(tmp, sizeof(tmp), "%.46s", (const char *)f + 2);
					name = tmp;
				}
			}
		}
		char one[96];
		snprintf(one, sizeof(one), "%s%s", names[0] ? ", " : "",
			 name ? name : "unknown");
		strncat(names, one, sizeof(names) - strlen(names) - 1);
		snprintf(one, sizeof(one), " (bit %u)", b);
		strncat(names, one, sizeof(names) - strlen(names) - 1);
	}
	blk_err(err, errlen, "'%s' uses unsupported qcow2 feature(s): %s", q->b->filename,
		names);
}

/* Table offsets and sizes from the header: aligned, in the file, bounded. */
static int check_tables(struct qcow2 *q, uint64_t file_size, char *err, size_t errlen)
{
	const char *fn = q->b->filename;
	uint64_t cs = q->cluster_size;
	uint64_t l1_need = q_size_to_l1(q, q->size);
	if ((uint64_t)q->l1_size * 8 > Q_MAX_L1_BYTES || l1_need * 8 > Q_MAX_L1_BYTES) {
		blk_err(err, errlen, "'%s': L1 table too large (%u entries for a virtual size of "
			"%llu bytes; the limit is 32 MiB)", fn, q->l1_size,
			(unsigned long long)q->size);
		return -EFBIG;
	}
	if (q->l1_size < l1_need) {
		blk_err(err, errlen, "'%s': L1 table has %u entries, too few for the virtual "
			"size", fn, q->l1_size);
		return -EINVAL;
	}
	if ((q->l1_offset & (cs - 1)) || (q->l1_size && q->l1_offset == 0) ||
	    q->l1_offset > file_size) {
		blk_err(err, errlen, "'%s': invalid L1 table offset 0x%llx", fn,
			(unsigned long long)q->l1_offset);
		return -EINVAL;
	}
	if ((q->rt_offset & (cs - 1)) || q->rt_offset == 0 || q->rt_clusters == 0 ||
	    (uint64_t)q->rt_clusters * cs > Q_MAX_RT_BYTES || q->rt_offset > file_size) {
		blk_err(err, errlen, "'%s': invalid refcount table (offset 0x%llx, %u clusters)",
			fn, (unsigned long long)q->rt_offset, q->rt_clusters);
		return -EINVAL;
	}
	if (q->nb_snapshots > Q_MAX_SNAPSHOTS ||
	    (q->nb_snapshots && ((q->snapshots_offset & (cs - 1)) || !q->snapshots_offset ||
				 q->snapshots_offset > file_size))) {
		blk_err(err, errlen, "'%s': invalid snapshot table (offset 0x%llx, %u entries)",
			fn, (unsigned long long)q->snapshots_offset, q->nb_snapshots);
		return -EINVAL;
	}
	return 0;
}

static int parse_header(struct qcow2 *q, const uint8_t *h, uint64_t file_size,
			char *err, size_t errlen)
{
	const char *fn = q->b->filename;
	q->version = q_be32(h + 4);
	q->cluster_bits = q_be32(h + 20);
	q->size = q_be64(h + 24);
	q->l1_size = q_be32(h + 36);
	q->l1_offset = q_be64(h + 40);
	q->rt_offset = q_be64(h + 48);
	q->rt_clusters = q_be32(h + 56);
	q->nb_snapshots = q_be32(h + 60);
	q->snapshots_offset = q_be64(h + 64);
	uint64_t cs = 1ull << q->cluster_bits;
	if (q->version == 2) {
		q->refcount_order = 4;
		q->header_length = 72;
	} else {
		q->incompat = q_be64(h + 72);
		q->compat = q_be64(h + 80);
		q->autoclear = q_be64(h + 88);
		q->refcount_order = q_be32(h + 96);
		q->header_length = q_be32(h + 100);
		if (q->header_length < 104 || q->header_length > cs || (q->header_length & 7)) {
			blk_err(err, errlen, "'%s': invalid qcow2 header length %u", fn,
				q->header_length);
			return -EINVAL;
		}
		if (q->header_length > 104)
			q->compression_type = h[104];
	}
	if (q_be32(h + 32)) {
		blk_err(err, errlen, "'%s' is encrypted (crypt_method %u): encrypted qcow2 "
			"images are not supported", fn, q_be32(h + 32));
		return -ENOTSUP;
	}
	if (q->refcount_order > 6) {
		blk_err(err, errlen, "'%s': invalid refcount order %u (0..6)", fn,
			q->refcount_order);
		return -EINVAL;
	}
	q->extl2 = q->version >= 3 && (q_be64(h + 72) & Q_INCOMPAT_EXTL2);
	if (q->extl2 && q->cluster_bits < 14) {
		blk_err(err, errlen, "'%s': extended L2 entries need clusters of at least "
			"16 KiB", fn);
		return -EINVAL;
	}
	set_geometry(q);
	int r = parse_exts(q, h, q->version == 2 ? 72 : q->header_length, cs, err, errlen);
	if (r < 0)
		return r;
	if (q->incompat & ~Q_INCOMPAT_KNOWN) {
		unknown_features(q, q->incompat & ~Q_INCOMPAT_KNOWN, err, errlen);
		return -ENOTSUP;
	}
	bool has_comp = q->incompat & Q_INCOMPAT_COMPRESSION;
	if ((has_comp && q->compression_type == 0) || (!has_comp && q->compression_type) ||
	    q->compression_type > 1) {
		blk_err(err, errlen, "'%s': invalid compression type %u", fn,
			q->compression_type);
		return -EINVAL;
	}
	if ((r = check_tables(q, file_size, err, errlen)) < 0)
		return r;
	uint64_t bo = q_be64(h + 8);
	uint32_t bl = q_be32(h + 16);
	if (bo) {
		if (bl > 1023 || bo > cs || bl > cs - bo) {
			blk_err(err, errlen, "'%s': invalid backing file name (offset %llu, "
				"length %u)", fn, (unsigned long long)bo, bl);
			return -EINVAL;
		}
		q->backing_file = strndup((const char *)h + bo, bl);
	}
	q->hdr_raw = malloc(q->header_length);
	if (!q->hdr_raw)
		return -ENOMEM;
	memcpy(q->hdr_raw, h, q->header_length);
	return 0;
}

int q_write_header(struct qcow2 *q)
{
	uint64_t cs = q->cluster_size;
	uint8_t *h = blk_alloc_buf(cs);
	if (!h)
		return -ENOMEM;
	memset(h, 0, cs);
	memcpy(h, q->hdr_raw, q->header_length);
	q_put32(h, QCOW2_MAGIC);
	q_put32(h + 4, q->version);
	q_put32(h + 20, q->cluster_bits);
	q_put64(h + 24, q->size);
	q_put32(h + 32, 0);
	q_put32(h + 36, q->l1_size);
	q_put64(h + 40, q->l1_offset);
	q_put64(h + 48, q->rt_offset);
	q_put32(h + 56, q->rt_clusters);
	q_put32(h + 60, q->nb_snapshots);
	q_put64(h + 64, q->snapshots_offset);
	if (q->version >= 3) {
		q_put64(h + 72, q->incompat);
		q_put64(h + 80, q->compat);
		q_put64(h + 88, q->autoclear);
		q_put32(h + 96, q->refcount_order);
		q_put32(h + 100, q->header_length);
		if (q->header_length > 104)
			h[104] = q->compression_type;
	}
	size_t at = q->header_length;
	int r = -ENOSPC;
	if (q->backing_fmt && q->backing_file) {
		size_t l = strlen(q->backing_fmt);
		if (at + 8 + q_align_up(l, 8) > cs)
			goto out;
		q_put32(h + at, Q_EXT_BACKING_FMT);
		q_put32(h + at + 4, (uint32_t)l);
		memcpy(h + at + 8, q->backing_fmt, l);
		at += 8 + q_align_up(l, 8);
	}
	for (unsigned i = 0; i < q->n_exts; i++) {
		const struct q_ext *e = &q->exts[i];
		if (at + 8 + q_align_up(e->len, 8) > cs)
			goto out;
		q_put32(h + at, e->type);
		q_put32(h + at + 4, e->len);
		memcpy(h + at + 8, e->data, e->len);
		at += 8 + q_align_up(e->len, 8);
	}
	at += 8; /* end marker (zeroes) */
	if (q->backing_file) {
		size_t l = strlen(q->backing_file);
		if (l > 1023 || at + l > cs)
			goto out;
		q_put64(h + 8, at);
		q_put32(h + 16, (uint32_t)l);
		memcpy(h + at, q->backing_file, l);
		at += l;
	} else {
		q_put64(h + 8, 0);
		q_put32(h + 16, 0);
	}
	r = q_meta_write(q, 0, h, at, Q_OL_HEADER);
	if (!r)
		memcpy(q->hdr_raw, h, q->header_length);
out:
	free(h);
	return r;
}

static int read_tables(struct qcow2 *q, char *err, size_t errlen)
{
	const char *fn = q->b->filename;
	uint64_t cs = q->cluster_size;
	q->l1 = calloc(q->l1_size ? q->l1_size : 1, 8);
	q->rt_entries = (uint64_t)q->rt_clusters * cs / 8;
	q->rt = calloc(q->rt_entries, 8);
	if (!q->l1 || !q->rt)
		return -ENOMEM;
	int r = blk_file_pread(&q->f, q->l1, (size_t)q->l1_size * 8, q->l1_offset, false);
	if (r < 0) {
		blk_err(err, errlen, "'%s': could not read the L1 table (truncated image?)", fn);
		return -EIO;
	}
	for (uint32_t i = 0; i < q->l1_size; i++)
		q->l1[i] = __builtin_bswap64(q->l1[i]);
	r = blk_file_pread(&q->f, q->rt, q->rt_entries * 8, q->rt_offset, false);
	if (r < 0) {
		blk_err(err, errlen, "'%s': could not read the refcount table (truncated "
			"image?)", fn);
		return -EIO;
	}
	for (uint64_t i = 0; i < q->rt_entries; i++) {
		q->rt[i] = __builtin_bswap64(q->rt[i]);
		if (q->rt[i] & (cs - 1) || (q->rt[i] >> 56)) {
			blk_err(err, errlen, "'%s': refcount table entry %llu is invalid (0x%llx)",
				fn, (unsigned long long)i, (unsigned long long)q->rt[i]);
			return -EINVAL;
		}
	}
	if (q_overlap(q, q->l1_offset, (uint64_t)q->l1_size * 8, Q_OL_L1 | Q_OL_L2 | Q_OL_RB |
		      Q_OL_SNAPTAB | Q_OL_SNAPL1) ||
	    q_overlap(q, q->rt_offset, (uint64_t)q->rt_clusters * cs, Q_OL_RT | Q_OL_L2 |
		      Q_OL_RB | Q_OL_SNAPTAB | Q_OL_SNAPL1 | Q_OL_L1)) {
		blk_err(err, errlen, "'%s': the L1 table or refcount table overlaps the header",
			fn);
		return -EINVAL;
	}
	return 0;
}

static int init_caches(struct qcow2 *q, uint64_t l2_cache_bytes)
{
	unsigned slice_bytes = 8u << (q->slice_bits + q->extl2);
	uint64_t want = l2_cache_bytes;
	if (!want) {
		uint64_t l1 = q->l1_size > q_size_to_l1(q, q->size) ? q->l1_size
								   : q_size_to_l1(q, q->size);
		want = l1 << (q->l2_bits + 3 + q->extl2);
		if (want > Q_DEFAULT_L2_CACHE_MAX)
			want = Q_DEFAULT_L2_CACHE_MAX;
	}
	uint64_t n = want / slice_bytes + 4;
	if (n > (1u << 24))
		n = 1u << 24;
	int r = q_cache_init(&q->l2c, slice_bytes, (unsigned)n, Q_L2_SPARE);
	if (r < 0)
		return r;
	uint64_t rn = (4u << 20) / q->cluster_size;
	if (rn < 4)
		rn = 4;
	return q_cache_init(&q->rbc, q->cluster_size, (unsigned)rn, 0);
}

static void q_free(struct qcow2 *q)
{
	q_io_free(q);
	q_cache_free(&q->l2c);
	q_cache_free(&q->rbc);
	q_snap_free_table(q);
	for (unsigned i = 0; i < q->n_exts; i++)
		free(q->exts[i].data);
	free(q->exts);
	free(q->hdr_raw);
	free(q->backing_file);
	free(q->backing_fmt);
	free(q->l1);
	free(q->rt);
	free(q->defer);
	free(q->zero_cluster);
	blk_file_close(&q->f);
	free(q);
}

/* rw open: dirty image rebuilt, unknown autoclear bits cleared, dirty bit
 * set for lazy refcounts. */
static int open_rw_fixups(struct qcow2 *q, const struct blk_open_opts *o, char *err,
			  size_t errlen)
{
	const char *fn = q->b->filename;
	if ((q->incompat & Q_INCOMPAT_CORRUPT) && !(o->flags & BLK_O_REPAIR)) {
		blk_err(err, errlen, "'%s' is marked corrupt: it can only be opened read-only "
			"(or repaired with check -r all)", fn);
		return -EIO;
	}
	int r = 0;
	if ((q->incompat & Q_INCOMPAT_DIRTY) && !(o->flags & BLK_O_REPAIR)) {
		r = q_rebuild_refcounts(q);
		if (r < 0) {
			blk_err(err, errlen, "'%s' was not closed cleanly and its refcounts could "
				"not be rebuilt: %s", fn, strerror(-r));
			return r;
		}
		q->incompat &= ~Q_INCOMPAT_DIRTY;
		r = q_write_header(q);
	}
	if (!r && q->autoclear) {
		q->autoclear = 0; /* we do not maintain bitmaps/raw data files */
		r = q_write_header(q);
	}
	if (!r && (q->compat & Q_COMPAT_LAZY) && q->version >= 3) {
		q->incompat |= Q_INCOMPAT_DIRTY;
		r = q_write_header(q);
	}
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	if (r < 0)
		blk_err(err, errlen, "'%s': could not update the header: %s", fn, strerror(-r));
	return r;
}

static int q_open(struct blk *b, const struct blk_open_opts *o, char *err, size_t errlen)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->b = b;
	b->opaque = q;
	q->rw = o->flags & BLK_O_RDWR;
	int r = blk_file_open(&q->f, o->filename, o->flags, err, errlen);
	if (r < 0) {
		free(q);
		return r;
	}
	uint8_t *h = NULL;
	int64_t fsz = blk_file_size(&q->f);
	uint8_t small[72];
	r = -EINVAL;
	if (fsz < 72 || blk_file_pread(&q->f, small, 72, 0, false) < 0) {
		blk_err(err, errlen, "'%s' is not a qcow2 image: the header is truncated",
			o->filename);
		goto fail;
	}
	uint32_t ver = q_be32(small + 4), cb = q_be32(small + 20);
	if (q_be32(small) != QCOW2_MAGIC || (ver != 2 && ver != 3)) {
		blk_err(err, errlen, "'%s' is not a qcow2 image (bad magic or version %u)",
			o->filename, ver);
		r = q_be32(small) != QCOW2_MAGIC ? -EINVAL : -ENOTSUP;
		goto fail;
	}
	if (cb < 9 || cb > 21) {
		blk_err(err, errlen, "'%s': cluster size 2^%u is out of range (512 B .. 2 MiB)",
			o->filename, cb);
		goto fail;
	}
	h = blk_alloc_buf(1u << cb);
	if (!h || blk_file_pread(&q->f, h, 1u << cb, 0, true) < 0) {
		r = -EIO;
		goto fail;
	}
	r = parse_header(q, h, (uint64_t)fsz, err, errlen);
	free(h);
	h = NULL;
	if (r < 0)
		goto fail;
	q->host_end = q_align_up((uint64_t)fsz, q->cluster_size);
	q->file_size = q->open_size = (uint64_t)fsz;
	q->free_hint = 1;
	b->size = q->size;
	b->align = q->f.align;
	if ((r = read_tables(q, err, errlen)) < 0 ||
	    (r = q_snap_read_table(q, err, errlen)) < 0)
		goto fail;
	if (o->snapshot && (r = q_snap_view(q, o->snapshot, err, errlen)) < 0)
		goto fail;
	b->size = q->size;
	if ((r = init_caches(q, o->l2_cache_bytes)) < 0)
		goto fail;
	q->zero_cluster = blk_alloc_buf(q->cluster_size);
	if (!q->zero_cluster) {
		r = -ENOMEM;
		goto fail;
	}
	memset(q->zero_cluster, 0, q->cluster_size);
	if (q->rw && (r = open_rw_fixups(q, o, err, errlen)) < 0)
		goto fail;
	blk_file_register(&q->f, b->engine);
	const char *bf = o->backing_file ? o->backing_file : q->backing_file;
	const char *bfmt = o->backing_file ? o->backing_fmt : q->backing_fmt;
	if (bf && *bf && !(o->flags & BLK_O_NO_BACKING)) {
		r = blk_open_backing(b, bf, bfmt, err, errlen);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	free(h);
	if (err && errlen && !*err)
		blk_err(err, errlen, "Could not open '%s': %s", o->filename, strerror(-r));
	q->rw = false; /* never write while failing an open */
	q_free(q);
	b->opaque = NULL;
	return r;
}

static int q_close(struct blk *b)
{
	struct qcow2 *q = b->opaque;
	int r = q_drain(q);
	if (q->rw && !q->broken) {
		int r2 = q_flush_all(q);
		/* give back what was extended ahead and not used */
		uint64_t keep = q->host_end > q->open_size ? q->host_end : q->open_size;
		if (!r2 && q->file_size > keep && ftruncate(q->f.mfd, (off_t)keep) == 0)
			q->file_size = keep;
		if (!r2 && (q->incompat & Q_INCOMPAT_DIRTY)) {
			q->incompat &= ~Q_INCOMPAT_DIRTY;
			r2 = q_write_header(q);
			if (!r2 && q_meta_sync(q) < 0)
				r2 = -errno;
		}
		if (!r)
			r = r2;
	}
	q_free(q);
	return r;
}

static int q_get_info(struct blk *b, struct blk_info *info)
{
	struct qcow2 *q = b->opaque;
	info->actual_size = blk_file_allocated(&q->f);
	info->cluster_size = q->cluster_size;
	info->qcow2_version = (int)q->version;
	info->refcount_bits = 1 << q->refcount_order;
	info->lazy_refcounts = q->compat & Q_COMPAT_LAZY;
	info->corrupt = (q->incompat & Q_INCOMPAT_CORRUPT) || q->broken;
	info->dirty = q->incompat & Q_INCOMPAT_DIRTY;
	info->compression_type = q->compression_type;
	info->extended_l2 = q->extl2;
	info->nb_snapshots = q->nb_snapshots;
	if (q->backing_file)
		snprintf(info->backing_file, sizeof(info->backing_file), "%s", q->backing_file);
	if (q->backing_fmt)
		snprintf(info->backing_fmt, sizeof(info->backing_fmt), "%s", q->backing_fmt);
	return 0;
}

static int q_truncate(struct blk *b, uint64_t size, bool shrink, char *err, size_t errlen)
{
	struct qcow2 *q = b->opaque;
	int r = q_drain(q);
	if (r < 0)
		return r;
	if (size & 511) {
		blk_err(err, errlen, "'%s': the new size must be a multiple of 512", b->filename);
		return -EINVAL;
	}
	if (size < q->size) {
		if (q->nb_snapshots) {
			blk_err(err, errlen, "'%s' has internal snapshots: it cannot be shrunk",
				b->filename);
			return -ENOTSUP;
		}
		/* drop whole clusters past the new end; the partial one is zeroed */
		uint64_t cs = q->cluster_size, cut = q_align_up(size, cs);
		if (cut < q->size && (r = q_sync_req(b, BLK_DISCARD, cut, NULL,
						      q->size - cut)) < 0)
			return r;
		uint64_t tail = (cut < q->size ? cut : q->size) - size;
		if (tail && (r = q_sync_req(b, BLK_WRITE_ZEROES, size, NULL, tail)) < 0)
			return r;
	}
	uint64_t need = q_size_to_l1(q, size);
	if (need > q->l1_size && (r = q_grow_l1(q, need)) < 0) {
		blk_err(err, errlen, "'%s': could not grow the L1 table: %s", b->filename,
			strerror(-r));
		return r;
	}
	uint64_t old = q->size;
	q->size = size;
	r = q_writeback(q, false);
	if (!r)
		r = q_write_header(q);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	if (r < 0) {
		q->size = old;
		blk_err(err, errlen, "'%s': could not write the header: %s", b->filename,
			strerror(-r));
		return r;
	}
	b->size = size;
	return 0;
}

static int q_change_backing(struct blk *b, const char *file, const char *fmt)
{
	struct qcow2 *q = b->opaque;
	char *nf = file ? strdup(file) : NULL, *nfmt = fmt && file ? strdup(fmt) : NULL;
	char *of = q->backing_file, *ofmt = q->backing_fmt;
	q->backing_file = nf;
	q->backing_fmt = nfmt;
	int r = q_write_header(q);
	if (!r && q_meta_sync(q) < 0)
		r = -errno;
	if (r < 0) {
		q->backing_file = of;
		q->backing_fmt = ofmt;
		free(nf);
		free(nfmt);
		return r;
	}
	free(of);
	free(ofmt);
	return 0;
}

/* Feature name table written into images we create. */
static size_t put_feature_table(uint8_t *p)
{
	static const struct { uint8_t type, bit; const char *name; } f[] = {
		{ 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" }, { 0, 2, "external data file" },
		{ 0, 3, "compression type" }, { 0, 4, "extended L2 entries" },
		{ 1, 0, "lazy refcounts" }, { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
	};
	size_t n = sizeof(f) / sizeof(f[0]);
	q_put32(p, Q_EXT_FEATURES);
	q_put32(p + 4, (uint32_t)(n * 48));
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = p + 8 + i * 48;
		memset(e, 0, 48);
		e[0] = f[i].type;
		e[1] = f[i].bit;
		memcpy(e + 2, f[i].name, strlen(f[i].name));
	}
	return 8 + n * 48;
}

static int create_check(const struct blk_create_opts *o, int compat, int rbits,
			uint32_t cs, char *err, size_t errlen)
{
	if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
		blk_err(err, errlen, "Cluster size must be a power of two between 512 and 2M");
		return -EINVAL;
	}
	if (rbits < 1 || rbits > 64 || (rbits & (rbits - 1))) {
		blk_err(err, errlen, "refcount_bits must be a power of two between 1 and 64");
		return -EINVAL;
	}
	if (compat != 2 && compat != 3) {
		blk_err(err, errlen, "compat must be 0.10 (2) or 1.1 (3)");
		return -EINVAL;
	}
	if (compat == 2 && (rbits != 16 || o->lazy_refcounts || o->compression_type)) {
		blk_err(err, errlen, "compat=0.10 images need refcount_bits=16 and support "
			"neither lazy_refcounts nor zstd compression");
		return -EINVAL;
	}
#ifndef RINGVM_HAVE_ZSTD
	if (o->compression_type) {
		blk_err(err, errlen, "zstd compression is not available in this build");
		return -ENOTSUP;
	}
#endif
	if (o->compression_type < 0 || o->compression_type > 1) {
		blk_err(err, errlen, "compression_type must be zlib or zstd");
		return -EINVAL;
	}
	if (o->prealloc != BLK_PREALLOC_OFF && o->backing_file) {
		blk_err(err, errlen, "qcow2 preallocation cannot be used with a backing file");
		return -EINVAL;
	}
	if (o->size & 511) {
		blk_err(err, errlen, "Image size must be a multiple of 512 bytes");
		return -EINVAL;
	}
	if (o->extended_l2 && (compat == 2 || cs < 16384)) {
		blk_err(err, errlen, compat == 2 ? "extended_l2 needs compat=1.1"
			: "extended_l2 needs a cluster size of at least 16 KiB");
		return -EINVAL;
	}
	return 0;
}

static int backing_size(const char *fn, const struct blk_create_opts *o,
			struct aio_engine *e, uint64_t *size, char *err, size_t errlen)
{
	struct blk child = { .filename = (char *)fn, .engine = e,
			     .flags = BLK_O_FORCE_SHARE, .loop = aio_engine_loop(e) };
	int r = blk_open_backing(&child, o->backing_file, o->backing_fmt, err, errlen);
	if (r < 0)
		return r;
	*size = blk_size(child.backing);
	blk_close(child.backing);
	return 0;
}

/* preallocation=metadata|falloc|full: every guest cluster gets a host
 * cluster (contiguous, in runs of one L2 table) and an L2 entry; falloc
 * reserves the space, full writes zeroes. The fresh file area reads as
 * zeroes, so the image content is unchanged. */
static int q_preallocate(const char *fn, enum blk_prealloc mode, struct aio_engine *e,
			 char *err, size_t errlen)
{
	struct blk *b = NULL;
	struct blk_open_opts o = { .filename = fn, .format = "qcow2",
				   .flags = BLK_O_RDWR | BLK_O_NO_LOCK };
	int r = blk_open(&b, e, &o, err, errlen);
	if (r < 0)
		return r;
	struct qcow2 *q = b->opaque;
	uint64_t cs = q->cluster_size, per = (1ull << q->l2_bits) * cs;
	for (uint64_t g = 0; g < q->size && !r; g += per) {
		uint64_t n = (q->size - g < per ? q->size - g + cs - 1 : per) / cs;
		int64_t host = q_alloc_clusters(q, n);
		if (host < 0) {
			r = (int)host;
			break;
		}
		for (uint64_t i = 0; i < n && !r; i++) {
			uint64_t *p;
			r = q_l2_prepare_write(q, g + i * cs, &p);
			if (!r)
				*p = __builtin_bswap64(((uint64_t)host + i * cs) | Q_COPIED);
			if (!r && q->extl2) /* every subcluster allocated */
				p[1] = __builtin_bswap64(0xffffffffull);
		}
		if (!r && mode == BLK_PREALLOC_FALLOC &&
		    fallocate(q->f.mfd, 0, (off_t)host, (off_t)(n * cs)) < 0)
			r = -errno;
		for (uint64_t i = 0; !r && mode == BLK_PREALLOC_FULL && i < n; i++)
			r = blk_file_pwrite(&q->f, q->zero_cluster, cs, (uint64_t)host + i * cs);
	}
	if (!r && ftruncate(q->f.mfd, (off_t)q->host_end) < 0)
		r = -errno;
	int r2 = blk_close(b);
	if (r < 0)
		blk_err(err, errlen, "Could not preallocate '%s': %s", fn, strerror(-r));
	return r < 0 ? r : r2;
}

/* Layout of a new image: header, refcount table, refcount blocks, L1. */
struct layout {
	uint64_t l1, l1_cl, rt_cl, nb, total;
};

static void create_layout(const struct qcow2 *g, uint64_t size, struct layout *L)
{
	uint64_t cs = g->cluster_size;
	L->l1 = q_size_to_l1(g, size);
	L->l1_cl = q_align_up(L->l1 * 8, cs) / cs;
	L->rt_cl = 1;
	L->nb = 1;
	for (;;) { /* the refcount blocks must cover themselves too */
		L->total = 1 + L->rt_cl + L->nb + L->l1_cl;
		uint64_t nb2 = (L->total + (1ull << g->rb_bits) - 1) >> g->rb_bits;
		uint64_t rt2 = q_align_up(nb2 * 8, cs) / cs;
		if (nb2 == L->nb && rt2 == L->rt_cl)
			break;
		L->nb = nb2;
		L->rt_cl = rt2;
	}
}

/* Header cluster: fields, backing format, feature names, backing name. */
static int create_header(uint8_t *h, const struct qcow2 *g, const struct layout *L,
			 const struct blk_create_opts *o, int compat, uint64_t size)
{
	uint64_t cs = g->cluster_size;
	q_put32(h, QCOW2_MAGIC);
	q_put32(h + 4, (uint32_t)compat);
	q_put32(h + 20, g->cluster_bits);
	q_put64(h + 24, size);
	q_put32(h + 36, (uint32_t)L->l1);
	q_put64(h + 40, L->l1 ? (1 + L->rt_cl + L->nb) * cs : 0);
	q_put64(h + 48, cs);
	q_put32(h + 56, (uint32_t)L->rt_cl);
	size_t at = 72;
	if (compat == 3) {
		q_put64(h + 72, (o->compression_type ? Q_INCOMPAT_COMPRESSION : 0) |
			(o->extended_l2 ? Q_INCOMPAT_EXTL2 : 0));
		q_put64(h + 80, o->lazy_refcounts ? Q_COMPAT_LAZY : 0);
		q_put32(h + 96, g->refcount_order);
		q_put32(h + 100, 112);
		h[104] = (uint8_t)o->compression_type;
		at = 112;
	}
	if (o->backing_file && o->backing_fmt) {
		size_t l = strlen(o->backing_fmt);
		if (l > 31)
			return -EINVAL;
		q_put32(h + at, Q_EXT_BACKING_FMT);
		q_put32(h + at + 4, (uint32_t)l);
		memcpy(h + at + 8, o->backing_fmt, l);
		at += 8 + q_align_up(l, 8);
	}
	if (at + 8 + 8 * 48 + 8 <= cs && compat == 3)
		at += put_feature_table(h + at);
	at += 8; /* end of extensions */
	if (o->backing_file) {
		size_t l = strlen(o->backing_file);
		if (l > 1023 || at + l > cs)
			return -EINVAL;
		q_put64(h + 8, at);
		q_put32(h + 16, (uint32_t)l);
		memcpy(h + at, o->backing_file, l);
	}
	return 0;
}

/* Refcount table and blocks: refcount 1 for every cluster of the layout. */
static void create_refcounts(uint8_t *buf, const struct qcow2 *g, const struct layout *L)
{
	uint64_t cs = g->cluster_size;
	unsigned bits = 1u << g->refcount_order;
	for (uint64_t i = 0; i < L->nb; i++)
		q_put64(buf + cs + i * 8, (1 + L->rt_cl + i) * cs);
	for (uint64_t c = 0; c < L->total; c++) {
		uint8_t *blk = buf + (1 + L->rt_cl + (c >> g->rb_bits)) * cs;
		uint64_t i = c & ((1ull << g->rb_bits) - 1);
		if (bits >= 8)
			blk[i * (bits / 8) + bits / 8 - 1] = 1; /* big-endian 1 */
		else
			blk[i * bits / 8] |= (uint8_t)(1u << (i * bits % 8));
	}
}

static int q_create(const char *fn, const struct blk_create_opts *o,
		    struct aio_engine *e, char *err, size_t errlen)
{
	int compat = o->compat ? o->compat : 3;
	int rbits = o->refcount_bits ? o->refcount_bits : 16;
	uint32_t cs = o->cluster_size ? o->cluster_size : 65536;
	int r = create_check(o, compat, rbits, cs, err, errlen);
	if (r < 0)
		return r;
	uint64_t size = o->size;
	if (!size && o->backing_file && (r = backing_size(fn, o, e, &size, err, errlen)) < 0)
		return r;
	struct qcow2 g = { .refcount_order = (uint32_t)__builtin_ctz((unsigned)rbits),
			   .cluster_bits = (uint32_t)__builtin_ctz(cs),
			   .extl2 = o->extended_l2 };
	set_geometry(&g);
	if (q_size_to_l1(&g, size) * 8 > Q_MAX_L1_BYTES) {
		blk_err(err, errlen, "Image size too large for cluster size %u", cs);
		return -EFBIG;
	}
	struct layout L;
	create_layout(&g, size, &L);
	uint8_t *buf = blk_alloc_buf(L.total * cs);
	if (!buf)
		return -ENOMEM;
	memset(buf, 0, L.total * cs);
	if (create_header(buf, &g, &L, o, compat, size) < 0) {
		free(buf);
		blk_err(err, errlen, "Backing file name or format too long for '%s'", fn);
		return -EINVAL;
	}
	create_refcounts(buf, &g, &L);
	int fd = open(fn, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		blk_err(err, errlen, "Could not create '%s': %s", fn, strerror(-r));
		free(buf);
		return r;
	}
	struct blk_file f = { .fd = fd, .mfd = fd };
	r = blk_file_pwrite(&f, buf, L.total * cs, 0);
	if (!r && fdatasync(fd) < 0)
		r = -errno;
	close(fd);
	free(buf);
	if (r < 0)
		blk_err(err, errlen, "Could not write '%s': %s", fn, strerror(-r));
	else if (o->prealloc != BLK_PREALLOC_OFF)
		r = q_preallocate(fn, o->prealloc, e, err, errlen);
	return r;
}

const struct blk_driver blk_qcow2_driver = {
	.name = "qcow2",
	.probe = q_probe,
	.open = q_open,
	.close = q_close,
	.submit = q_submit,
	.block_status = q_block_status,
	.truncate = q_truncate,
	.get_info = q_get_info,
	.create = q_create,
	.check = q_check,
	.change_backing = q_change_backing,
	.snapshot_list = q_snapshot_list,
	.snapshot_create = q_snapshot_create,
	.snapshot_apply = q_snapshot_apply,
	.snapshot_delete = q_snapshot_delete,
	.vmstate_rw = q_vmstate_rw,
	.write_compressed = q_write_compressed,
};
