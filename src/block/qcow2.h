/*
 * qcow2.h - internal state of the qcow2 driver, shared by its files:
 *   qcow2.c        open/close, header parse/validate/rewrite, create, info
 *   qcow2-meta.c   L2 slice cache, refcount cache, cluster allocation,
 *                  metadata write-back (crash-safe order), overlap checks
 *   qcow2-io.c     the request path: mapping, reads, allocation/COW state
 *                  machine, discard/zeroes, flush, compressed writes
 *   qcow2-comp.c   (de)compression, packing and linking compressed clusters
 *   qcow2-snap.c   internal snapshots and the vmstate area
 *   qcow2-check.c  consistency check and repair, refcount rebuild
 *
 * Format per QEMU's docs/interop/qcow2.txt (our own code).
 *
 * Threading: everything runs on the blk's loop thread; there are no locks.
 * Asynchronous (aio submissions): guest data I/O; the L2 slice read a
 * request needs on a cache miss; the fdatasyncs of a guest flush and of
 * the background write-back that cleans dirty L2 slices before they are
 * evicted (qcow2-io.c). Metadata writes themselves are pwrite to the
 * buffered metadata fd (page cache: cheap, never waits for the disk).
 * Synchronous (pread / fdatasync on the loop thread), all rare: growing
 * the refcount table or the L1 table (fdatasyncs), the write-back's
 * fallback when allocations keep dirtying refcounts even while new ones
 * are held back (alloc_hold; fdatasyncs), an
 * eviction with every slice dirty and no spare slot left, a refcount
 * block or L2 slice a synchronous step needs that is not cached (pread:
 * linking an allocation whose slice was evicted meanwhile, copying an L2
 * table shared with a snapshot - built from the cache, no write-back),
 * snapshot create/apply/delete, check, open and close. docs/ringvm-img.md
 * lists them with their frequency. Compressed writes are aio writes, but
 * the compression itself runs on the loop thread.
 *
 * Crash-safety order (q_writeback): dirty refcount blocks -> fdatasync ->
 * dirty L2 slices -> fdatasync -> L1 (if changed) -> fdatasync; decrements
 * of refcounts (frees) are deferred until the references they drop are
 * durable, so a crash can only leak clusters.
 */
#ifndef RINGVM_QCOW2_H
#define RINGVM_QCOW2_H

#include "block/block-int.h"

#include <unistd.h>

#define QCOW2_MAGIC 0x514649fbu

/* L1/L2 entry bits */
#define Q_COPIED (1ull << 63)
#define Q_COMPRESSED (1ull << 62)
#define Q_ZERO 1ull
#define Q_OFFSET_MASK 0x00fffffffffffe00ull
#define Q_L1_RESERVED 0x7f000000000001ffull
#define Q_L2_RESERVED 0x3f000000000001feull

/* incompatible / compatible / autoclear feature bits */
#define Q_INCOMPAT_DIRTY (1ull << 0)
#define Q_INCOMPAT_CORRUPT (1ull << 1)
#define Q_INCOMPAT_DATA_FILE (1ull << 2)
#define Q_INCOMPAT_COMPRESSION (1ull << 3)
#define Q_INCOMPAT_EXTL2 (1ull << 4)
#define Q_INCOMPAT_KNOWN (Q_INCOMPAT_DIRTY | Q_INCOMPAT_CORRUPT | Q_INCOMPAT_COMPRESSION | \
			  Q_INCOMPAT_EXTL2)
#define Q_COMPAT_LAZY (1ull << 0)

/* header extension types */
#define Q_EXT_END 0u
#define Q_EXT_BACKING_FMT 0xe2792acau
#define Q_EXT_FEATURES 0x6803f857u

enum { Q_MAX_L1_BYTES = 32 << 20, Q_MAX_RT_BYTES = 32 << 20, Q_MAX_SNAPSHOTS = 65536,
       Q_DEFAULT_L2_CACHE_MAX = 32 << 20,
       Q_L2_SPARE = 32 /* L2 slices the cache may grow by under write pressure */ };

/* A cache of fixed-size items keyed by host offset (L2 slices, refcount
 * blocks). Clock replacement; items are big-endian as on disk. */
struct q_cache {
	unsigned item_size;
	unsigned n;            /* capacity (grows up to cap, see c_victim) */
	unsigned cap;          /* slots allocated */
	unsigned used;
	unsigned hand;
	uint64_t *keys;        /* host offset; UINT64_MAX = empty */
	uint8_t *data;         /* n * item_size, 4096-aligned */
	uint8_t *dirty;
	uint8_t *ref;
	uint32_t *hash;        /* open addressing: index+1, 0 = empty */
	unsigned hmask;
	unsigned ndirty;
};

struct q_ext {
	uint32_t type, len;
	uint8_t *data;
};

struct q_snap {
	uint64_t l1_offset;
	uint32_t l1_size;
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t vm_state_size;
	uint64_t disk_size;
	uint64_t icount;        /* UINT64_MAX = none */
	uint32_t extra_size;    /* as read; unknown tail of extra data is kept */
	uint8_t *extra;
};

struct q_alloc;
struct q_req;
struct q_sub;
struct q_load;
struct q_wb;

struct qcow2 {
	struct blk *b;
	struct blk_file f;
	bool rw;
	bool broken;            /* corruption found: refuse further writes */

	/* header, host byte order */
	uint32_t version;
	uint32_t cluster_bits, cluster_size;
	uint64_t size;
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t rt_offset;
	uint32_t rt_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type;
	bool extl2;             /* extended L2 entries (32 subclusters per cluster) */
	uint64_t last_bitmap;   /* extl2: bitmap of the last q_l2_lookup() */
	char *backing_file, *backing_fmt;
	struct q_ext *exts;     /* unknown/kept extensions, rewritten as read */
	uint8_t *hdr_raw;       /* header bytes as read (unknown fields kept) */
	unsigned n_exts;

	/* derived */
	unsigned l2_bits;       /* log2 entries per L2 table */
	unsigned slice_bits;    /* log2 entries per cached L2 slice */
	unsigned rb_bits;       /* log2 refcount entries per refcount block */
	uint64_t refcount_max;
	uint64_t *l1;           /* active L1, host order */
	bool l1_dirty;
	uint64_t *rt;           /* refcount table, host order */
	uint64_t rt_entries;
	struct q_cache l2c, rbc;
	uint64_t free_hint;     /* lowest cluster index that may be free */
	uint64_t host_end;      /* first byte after the last used cluster */
	uint64_t file_size;     /* host file size (we extend it ahead of use) */
	uint64_t open_size;     /* host file size at open (never cut below) */
	uint64_t comp_next;     /* next free byte for compressed data, 0 = none */

	/* deferred refcount decrements: host cluster offsets, applied after
	 * the references they drop are durable and no data I/O is in flight */
	uint64_t *defer;
	size_t ndefer, cap_defer;
	uint64_t defer_base;    /* deferred frees applied since open */
	struct q_wb *wb;        /* asynchronous write-back in progress (flush) */
	struct loop_post_node wb_kick; /* deferred start of a write-back (eviction) */
	bool wb_kicked;         /* wb_kick is queued */
	uint64_t sync_evictions;/* dirty-slice evictions written back synchronously */
	uint64_t meta_syncs;    /* fdatasyncs that blocked the loop thread (q_meta_sync) */
	uint64_t spare_slices;  /* spare L2 slots taken instead of a sync write-back */
	struct q_req *wb_next;  /* flushes waiting for the next write-back */
	bool alloc_hold;        /* new allocations wait (wb_resume) until the
	                           running write-back ends, so its refcounts can
	                           settle without a synchronous fallback */
	uint64_t wb_sync_fallbacks; /* write-backs finished synchronously */
	struct q_req *wb_resume;/* requests waiting for a clean L2 slice to load
	                           into (every slice dirty): issued again when
	                           the running write-back ends */

	struct q_snap *snaps;
	uint64_t snaptab_bytes;  /* on-disk size of the snapshot table */

	/* request path */
	unsigned inflight;      /* data I/Os in flight */
	struct q_alloc *allocs; /* allocations in flight (serialization) */
	struct q_load *loads;   /* L2 slices being read asynchronously */
	uint64_t l2_writes;     /* L2 slices written so far (stale-load check) */
	struct q_req *free_reqs;
	struct q_sub *free_subs;
	unsigned nreqs;         /* q_reqs not finished (drain waits for 0) */
	uint8_t *zero_cluster;  /* cluster of zeroes (read-only use) */
};

/* qcow2-meta.c */
/* n slots, plus `spare` the cache may grow into (L2: instead of a
 * synchronous write-back when every slice is dirty). */
int q_cache_init(struct q_cache *c, unsigned item_size, unsigned n, unsigned spare);
void q_cache_free(struct q_cache *c);
int q_l2_slice(struct qcow2 *q, uint64_t l2_off, uint64_t idx, uint64_t **slice,
	       bool for_write);
int q_l2_lookup(struct qcow2 *q, uint64_t goff, uint64_t *entry);
bool q_l2_cached(struct qcow2 *q, uint64_t goff, uint64_t *key);
int q_l2_insert(struct qcow2 *q, uint64_t key, const void *data);
int q_l2_prepare_write(struct qcow2 *q, uint64_t goff, uint64_t **entry);
int q_refcount_get(struct qcow2 *q, uint64_t cl, uint64_t *rc);
int q_refcount_add(struct qcow2 *q, uint64_t cl, int64_t delta);
int q_refcount_set(struct qcow2 *q, uint64_t cl, uint64_t rc);
int64_t q_alloc_clusters(struct qcow2 *q, uint64_t n);
int q_defer_free(struct qcow2 *q, uint64_t host_off, uint64_t n);
int q_defer_free_entry(struct qcow2 *q, uint64_t l2e);
int q_writeback(struct qcow2 *q, bool sync_end);
int q_write_refcounts(struct qcow2 *q);
int q_write_l2(struct qcow2 *q);
int q_write_l1(struct qcow2 *q);
void q_apply_deferred_upto(struct qcow2 *q, uint64_t seq);
int q_meta_write(struct qcow2 *q, uint64_t off, const void *buf, size_t len, int kind);
int q_overlap(struct qcow2 *q, uint64_t off, uint64_t len, int ignore);
void q_mark_corrupt(struct qcow2 *q, const char *why);
int q_grow_l1(struct qcow2 *q, uint64_t min_entries);
int q_flush_all(struct qcow2 *q);
void q_comp_range(const struct qcow2 *q, uint64_t l2e, uint64_t *off, uint64_t *len);

enum { Q_OL_HEADER = 1, Q_OL_L1 = 2, Q_OL_RT = 4, Q_OL_RB = 8, Q_OL_L2 = 16,
       Q_OL_SNAPTAB = 32, Q_OL_SNAPL1 = 64, Q_OL_ALL = 127 };

/* fdatasync of the metadata fd on the loop thread (it waits for the
 * disk), counted in meta_syncs. Returns 0, or -1 with errno set. */
static inline int q_meta_sync(struct qcow2 *q)
{
	q->meta_syncs++;
	return fdatasync(q->f.mfd);
}

/* Every L2 slice in the cache dirty (a new slice would need a write-back
 * first)? O(1). */
static inline bool q_l2_all_dirty(const struct qcow2 *q)
{
	return q->l2c.n && q->l2c.ndirty >= q->l2c.n;
}

/* qcow2.c */
int q_write_header(struct qcow2 *q);
uint64_t q_size_to_l1(const struct qcow2 *q, uint64_t size);

/* qcow2-io.c */
int q_submit(struct blk *b, struct blk_req *r);
int q_drain(struct qcow2 *q);
/* Start an asynchronous metadata write-back soon (from a deferred call,
 * never inside the caller's cache operation) unless one runs. */
void q_wb_kick(struct qcow2 *q);
/* qcow2-comp.c */
int q_write_compressed(struct blk *b, uint64_t off, const void *buf, size_t len);
int q_decompress(const struct qcow2 *q, const void *src, size_t slen, void *dst,
		 size_t dlen);
/* Compressed size (< dlen) or -1 if it does not fit. */
long q_compress(const struct qcow2 *q, const void *src, size_t len, uint8_t *dst,
		size_t dlen);
/* Host bytes for len compressed bytes (refcounts raised), or -errno. */
int64_t q_comp_alloc(struct qcow2 *q, uint64_t len);
int q_comp_link(struct qcow2 *q, uint64_t goff, uint64_t at, uint64_t clen);
int q_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_status *st);
void q_io_free(struct qcow2 *q);

/* qcow2-snap.c */
int q_snap_read_table(struct qcow2 *q, char *err, size_t errlen);
int q_snap_view(struct qcow2 *q, const char *id, char *err, size_t errlen);
void q_snap_free_table(struct qcow2 *q);
int q_snapshot_list(struct blk *b, struct blk_snapshot *out, unsigned max);
int q_snapshot_create(struct blk *b, const char *name, uint64_t vmsz, char *err,
		      size_t errlen);
int q_snapshot_apply(struct blk *b, const char *id, char *err, size_t errlen);
int q_snapshot_delete(struct blk *b, const char *id, char *err, size_t errlen);
int q_vmstate_rw(struct blk *b, uint64_t pos, void *buf, size_t len, bool write);
/* A request straight to the driver (no range/flag checks), waited for. */
int q_sync_req(struct blk *b, uint8_t op, uint64_t off, void *buf, uint64_t len);
int q_update_refs(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size, int delta);
int q_fix_copied(struct qcow2 *q);

/* qcow2-check.c */
int q_check(struct blk *b, unsigned fix, struct blk_check_result *res,
	    void (*report)(void *ctx, const char *line), void *ctx);
int q_rebuild_refcounts(struct qcow2 *q);

static inline uint64_t q_be64(const void *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}
static inline uint32_t q_be32(const void *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}
static inline uint16_t q_be16(const void *p)
{
	uint16_t v;
	__builtin_memcpy(&v, p, 2);
	return __builtin_bswap16(v);
}
static inline void q_put64(void *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	__builtin_memcpy(p, &v, 8);
}
static inline void q_put32(void *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	__builtin_memcpy(p, &v, 4);
}
static inline void q_put16(void *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	__builtin_memcpy(p, &v, 2);
}
static inline uint64_t q_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

#endif
