/*
 * block.h - the block layer: one interface, many formats (raw, qcow2).
 *
 * A struct blk is an open image: a driver instance plus, for formats that
 * have one, its backing chain. Requests are asynchronous (their data I/O is
 * an aio submission) and many may be in flight. The same code serves the VM
 * (virtio-blk) and ringvm-img.
 *
 * Threading: a blk belongs to the loop of the aio engine it was opened
 * with; every call is for that loop's thread. The *_sync helpers run that
 * loop until their request completes (for tools and for open/create).
 *
 * Errors are negative errno. Functions that can fail for a user-visible
 * reason also take an errbuf that receives one clear sentence naming the
 * file and what is wrong.
 */
#ifndef RINGVM_BLOCK_H
#define RINGVM_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "aio/aio.h"

struct blk;

/* ---- opening --------------------------------------------------------- */

enum {
	BLK_O_RDWR = 1u << 0,        /* else read-only */
	BLK_O_DIRECT = 1u << 1,      /* cache=none / directsync: O_DIRECT */
	BLK_O_NO_FLUSH = 1u << 2,    /* cache=unsafe: flush is a no-op */
	BLK_O_WRITETHROUGH = 1u << 3,/* directsync/writethrough: flush after every write */
	BLK_O_NO_BACKING = 1u << 4,  /* open without the backing chain */
	BLK_O_FORCE_SHARE = 1u << 5, /* -U: no image locks (read-only only) */
	BLK_O_DISCARD = 1u << 6,     /* discard=unmap: pass discards down */
	BLK_O_NO_LOCK = 1u << 7,     /* do not take image locks at all */
	BLK_O_REPAIR = 1u << 8,      /* check -r: allow opening a corrupt image rw, skip
	                                the automatic refcount rebuild */
};

struct blk_open_opts {
	const char *filename;
	const char *format;       /* "raw", "qcow2", or NULL to probe */
	unsigned flags;           /* BLK_O_* */
	uint64_t l2_cache_bytes;  /* qcow2: 0 = default (covers the image, capped) */
	const char *backing_file; /* override the image's backing file, or NULL */
	const char *backing_fmt;
	/* qcow2: open this internal snapshot (id, then name) instead of the
	 * active image; read-only (convert -l / -s). NULL = the active image */
	const char *snapshot;
};

/*
 * Open an image (and its backing chain) on engine e. Returns 0 and *out,
 * or -errno with a sentence in errbuf. Refuses: unknown incompatible
 * features, corrupt headers, backing loops, an image locked by another
 * writer (the sentence names the holder's pid when known).
 */
int blk_open(struct blk **out, struct aio_engine *e, const struct blk_open_opts *o,
	     char *errbuf, size_t errlen);

/* Drain requests in flight, write back dirty metadata, close. Returns 0 or
 * -errno if a final write failed (the blk is freed either way). */
int blk_close(struct blk *b);

/* ---- requests -------------------------------------------------------- */

enum blk_op {
	BLK_READ,         /* iov/iovcnt at offset */
	BLK_WRITE,        /* iov/iovcnt at offset */
	BLK_FLUSH,        /* everything completed before is durable after */
	BLK_DISCARD,      /* offset, len: may deallocate */
	BLK_WRITE_ZEROES, /* offset, len; BLK_F_MAY_UNMAP lets it deallocate */
};

enum {
	BLK_F_MAY_UNMAP = 1u << 0,
	BLK_F_FUA = 1u << 1, /* durable before completion */
	/* DISCARD: make the range unallocated in this layer, so that reads
	 * fall through to the backing file (commit); whole clusters only */
	BLK_F_UNALLOCATE = 1u << 2,
	/* WRITE: store each cluster compressed (qcow2; convert -c). offset
	 * cluster aligned, length whole clusters or up to the image's end; a
	 * cluster that does not shrink is stored normally. Others ignore it. */
	BLK_F_COMPRESSED = 1u << 3,
};

struct blk_req;
typedef void blk_done_fn(struct blk_req *r, int res); /* res: 0 or -errno */

struct blk_req {
	/* filled by the caller; owned by the block layer until done() */
	uint8_t op;            /* enum blk_op */
	unsigned flags;        /* BLK_F_* */
	uint64_t offset;       /* bytes */
	uint64_t len;          /* DISCARD / WRITE_ZEROES */
	struct iovec *iov;     /* READ / WRITE: not modified */
	unsigned iovcnt;
	blk_done_fn *done;
	void *opaque;
	/* private to the block layer */
	void *priv[6];
};

/*
 * Submit. Returns 0 (done() will run exactly once, on the loop thread,
 * possibly before blk_submit returns if the answer is immediate), or
 * -errno for a malformed request (out of range, read-only image, unaligned
 * where the image requires alignment); then done() does not run.
 */
int blk_submit(struct blk *b, struct blk_req *r);

/* Synchronous helpers: submit, run the loop until done. */
int blk_pread(struct blk *b, uint64_t off, void *buf, size_t len);
int blk_pwrite(struct blk *b, uint64_t off, const void *buf, size_t len);
int blk_flush_sync(struct blk *b);
int blk_pwrite_zeroes(struct blk *b, uint64_t off, uint64_t len, unsigned flags);
int blk_discard_sync(struct blk *b, uint64_t off, uint64_t len);

/* ---- facts ----------------------------------------------------------- */

uint64_t blk_size(const struct blk *b);           /* virtual size, bytes */
const char *blk_format(const struct blk *b);      /* "raw" / "qcow2" */
const char *blk_filename(const struct blk *b);
struct blk *blk_backing(const struct blk *b);     /* NULL if none */
bool blk_read_only(const struct blk *b);
/* Required alignment of offsets/lengths/buffers (512 or 4096 with
 * O_DIRECT, else 1). */
unsigned blk_align(const struct blk *b);

struct blk_info {
	uint64_t virtual_size;
	uint64_t actual_size;       /* host bytes allocated (st_blocks*512) */
	uint32_t cluster_size;      /* qcow2; 0 for raw */
	int qcow2_version;          /* 2 or 3; 0 for raw */
	int refcount_bits;
	bool lazy_refcounts;
	bool corrupt;
	bool dirty;
	int compression_type;       /* 0 zlib, 1 zstd */
	bool extended_l2;
	char backing_file[4096];
	char backing_fmt[32];
	unsigned nb_snapshots;
};
int blk_get_info(struct blk *b, struct blk_info *info);

/* ---- allocation status (map, convert, commit, rebase) ---------------- */

enum {
	BLK_STATUS_DATA = 1u << 0,      /* reads come from some file's data */
	BLK_STATUS_ZERO = 1u << 1,      /* reads as zeroes */
	BLK_STATUS_ALLOCATED = 1u << 2, /* allocated in THIS layer (not backing) */
	BLK_STATUS_COMPRESSED = 1u << 3,
};

struct blk_status {
	uint64_t len;         /* bytes from offset with the same status (> 0) */
	unsigned flags;       /* BLK_STATUS_* */
	uint64_t host_offset; /* where DATA lives in host_file (if not compressed) */
	int depth;            /* 0 = this layer, 1 = its backing, ... */
	const char *host_file;
};

/* Status of [off, off+len) following the backing chain; fills *st for the
 * first run. Returns 0 or -errno. */
int blk_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_status *st);

/* ---- create / resize -------------------------------------------------- */

enum blk_prealloc { BLK_PREALLOC_OFF, BLK_PREALLOC_METADATA, BLK_PREALLOC_FALLOC,
		    BLK_PREALLOC_FULL };

struct blk_create_opts {
	const char *format;        /* "raw" or "qcow2" */
	uint64_t size;             /* 0 with a backing file = the backing's size */
	uint32_t cluster_size;     /* qcow2: 0 = 65536 */
	int compat;                /* qcow2: 2 (0.10) or 3 (1.1, default 0 -> 3) */
	int refcount_bits;         /* qcow2: 0 = 16 */
	bool lazy_refcounts;
	enum blk_prealloc prealloc;
	const char *backing_file;
	const char *backing_fmt;
	int compression_type;      /* 0 zlib, 1 zstd */
	bool extended_l2;          /* qcow2 v3: 32 subclusters per cluster (>= 16 KiB) */
};

int blk_create(const char *filename, const struct blk_create_opts *o,
	       struct aio_engine *e, char *errbuf, size_t errlen);

/* Grow (or, with allow_shrink, shrink) the virtual size. */
int blk_truncate(struct blk *b, uint64_t size, bool allow_shrink, char *errbuf,
		 size_t errlen);

/* Change the recorded backing file (rebase -u); NULL removes it. */
int blk_change_backing(struct blk *b, const char *file, const char *fmt);

/* ---- consistency check ------------------------------------------------ */

struct blk_check_result {
	uint64_t corruptions;       /* errors that make data unreliable */
	uint64_t leaks;             /* clusters with refcount > references */
	uint64_t check_errors;      /* the check itself failed to read */
	uint64_t corruptions_fixed;
	uint64_t leaks_fixed;
	uint64_t allocated_clusters, total_clusters;
	uint64_t fragmented_clusters, compressed_clusters;
	uint64_t image_end_offset;
};

enum { BLK_CHECK_FIX_LEAKS = 1, BLK_CHECK_FIX_ERRORS = 2 };

/* Check (and with fix flags, repair). Messages for each problem found go
 * to report (may be NULL) one per line. Returns 0 or -errno. */
int blk_check(struct blk *b, unsigned fix, struct blk_check_result *res,
	      void (*report)(void *ctx, const char *line), void *ctx);

/* ---- internal snapshots (qcow2) --------------------------------------- */

struct blk_snapshot {
	char id[128];
	char name[256];
	uint64_t vm_state_size;
	uint64_t date_sec;
	uint32_t date_nsec;
	uint64_t vm_clock_nsec;
	uint64_t disk_size;
	uint64_t icount;
};

/* Returns the number of snapshots (and fills up to max entries) or -errno. */
int blk_snapshot_list(struct blk *b, struct blk_snapshot *out, unsigned max);
/* vm_state_size: bytes of VM state written with blk_vmstate_write (0 = none). */
int blk_snapshot_create(struct blk *b, const char *name, uint64_t vm_state_size,
			char *errbuf, size_t errlen);
/* id_or_name matches the id first, then the name. */
int blk_snapshot_apply(struct blk *b, const char *id_or_name, char *errbuf, size_t errlen);
int blk_snapshot_delete(struct blk *b, const char *id_or_name, char *errbuf, size_t errlen);

/*
 * VM state stored with the snapshot being created/loaded, in the image's
 * vmstate area (after the virtual disk, as the format specifies) so that
 * qemu-img snapshot -l reports its size. Call save between writing and
 * snapshot_create; load after snapshot_apply.
 */
int blk_vmstate_write(struct blk *b, uint64_t pos, const void *buf, size_t len);
int blk_vmstate_read(struct blk *b, uint64_t pos, void *buf, size_t len);

/* ---- additions (block branch) ------------------------------------------ */

/*
 * Write one whole cluster compressed (convert -c). off must be cluster
 * aligned and len the cluster size (or the rest of the image for the last
 * cluster); the cluster must not be allocated yet. Formats without
 * compression (raw) write the data normally. Returns 0 or -errno.
 */
int blk_write_compressed(struct blk *b, uint64_t off, const void *buf, size_t len);

/*
 * Deallocate everything the top layer holds, so that the image reads as
 * its backing file (qemu-img commit empties the committed image this
 * way). -ENOTSUP for formats without allocation (raw). Returns 0 or -errno.
 */
int blk_make_empty(struct blk *b);

/* Cluster size of the top image (qcow2), 0 for raw. */
uint32_t blk_cluster_size(const struct blk *b);

#endif
