/*
 * block-int.h - what block.c shares with its drivers (raw, qcow2).
 *
 * A driver is a const struct blk_driver with designated initializers;
 * block.c validates requests and dispatches to it. A driver keeps its own
 * state behind blk->opaque. Everything here runs on the blk's loop thread.
 *
 * Ownership: block.c allocates and frees struct blk and its strings; the
 * driver allocates and frees blk->opaque (open/close).
 */
#ifndef RINGVM_BLOCK_INT_H
#define RINGVM_BLOCK_INT_H

#include <stdarg.h>

#include "block/block.h"

struct blk_driver {
	const char *name;
	/* 0..100: how sure the driver is that the first bytes are its format */
	int (*probe)(const uint8_t *buf, size_t len);
	int (*open)(struct blk *b, const struct blk_open_opts *o, char *err, size_t errlen);
	int (*close)(struct blk *b);
	/* the request is validated (range, read-only, alignment); the driver
	 * calls blk_req_finish() exactly once */
	int (*submit)(struct blk *b, struct blk_req *r);
	int (*block_status)(struct blk *b, uint64_t off, uint64_t len, struct blk_status *st);
	int (*truncate)(struct blk *b, uint64_t size, bool shrink, char *err, size_t errlen);
	int (*get_info)(struct blk *b, struct blk_info *info);
	int (*create)(const char *fn, const struct blk_create_opts *o, struct aio_engine *e,
		      char *err, size_t errlen);
	int (*check)(struct blk *b, unsigned fix, struct blk_check_result *res,
		     void (*report)(void *ctx, const char *line), void *ctx);
	int (*change_backing)(struct blk *b, const char *file, const char *fmt);
	int (*snapshot_list)(struct blk *b, struct blk_snapshot *out, unsigned max);
	int (*snapshot_create)(struct blk *b, const char *name, uint64_t vmsz, char *err,
			       size_t errlen);
	int (*snapshot_apply)(struct blk *b, const char *id, char *err, size_t errlen);
	int (*snapshot_delete)(struct blk *b, const char *id, char *err, size_t errlen);
	int (*vmstate_rw)(struct blk *b, uint64_t pos, void *buf, size_t len, bool write);
	int (*write_compressed)(struct blk *b, uint64_t off, const void *buf, size_t len);
};

struct blk {
	const struct blk_driver *drv;
	void *opaque;             /* driver state */
	struct aio_engine *engine;
	struct loop *loop;
	char *filename;
	unsigned flags;           /* BLK_O_* */
	uint64_t size;            /* virtual size (driver keeps it current) */
	unsigned align;           /* request alignment (1, 512, 4096) */
	struct blk *backing;      /* owned: closed with this blk */
	int depth;                /* 0 = top of the chain */
};

extern const struct blk_driver blk_raw_driver;
extern const struct blk_driver blk_qcow2_driver;

/* Called by drivers when a request is complete (handles FUA/writethrough). */
void blk_req_finish(struct blk *b, struct blk_req *r, int res);

/* Run the loop until *done becomes true. Returns 0 or -errno. */
int blk_wait(struct blk *b, const bool *done);
int blk_wait_engine(struct aio_engine *e, const bool *done);

/* Open a backing file (format probed unless fmt), relative to the directory
 * of the child's file name. Detects loops via the chain of names. */
int blk_open_backing(struct blk *child, const char *name, const char *fmt,
		     char *err, size_t errlen);

/* snprintf into errbuf when it is non-NULL. */
void blk_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- file helper shared by raw and qcow2 (file.c) ------------------- */

struct blk_file {
	int fd;          /* data I/O; O_DIRECT with BLK_O_DIRECT */
	int mfd;         /* metadata I/O (qcow2), buffered; == fd when not direct */
	bool is_bdev;
	unsigned align;  /* 1, or the O_DIRECT alignment */
	bool locked;
	struct aio_engine *reg; /* fd/mfd registered with this engine, or NULL */
};

/* Open path with flags (BLK_O_*); takes image locks unless told not to. */
int blk_file_open(struct blk_file *f, const char *path, unsigned flags, char *err,
		  size_t errlen);
/* Closes the fds (after unregistering them from the engine). */
void blk_file_close(struct blk_file *f);
/* Register fd (and mfd) as fixed files of e (io_uring: no file lookup per
 * request). Optional: a failure leaves requests working as before. */
void blk_file_register(struct blk_file *f, struct aio_engine *e);
/* Size of the file or device in bytes, or -errno. */
int64_t blk_file_size(const struct blk_file *f);
/* Synchronous whole-transfer helpers on mfd; -EIO on short read past EOF
 * unless zero_fill (then bytes past EOF read as zero). */
int blk_file_pread(const struct blk_file *f, void *buf, size_t len, uint64_t off,
		   bool zero_fill);
int blk_file_pwrite(const struct blk_file *f, const void *buf, size_t len, uint64_t off);
uint64_t blk_file_allocated(const struct blk_file *f);

/* Locks (lock.c). perm_write: this open wants to write. */
int blk_lock_apply(int fd, const char *path, bool write, bool force_share, char *err,
		   size_t errlen);
void blk_lock_release(int fd);

/* ---- iovec helpers (block.c) ---------------------------------------- */

/* Describe bytes [off, off+len) of src in dst (at most max entries).
 * Returns the count, or -E2BIG if more than max would be needed. */
int blk_iov_slice(const struct iovec *src, unsigned cnt, size_t off, size_t len,
		  struct iovec *dst, unsigned max);
void blk_iov_memset(const struct iovec *iov, unsigned cnt, size_t off, int c, size_t len);
void blk_iov_to_buf(const struct iovec *iov, unsigned cnt, size_t off, void *buf,
		    size_t len);
void blk_iov_from_buf(const struct iovec *iov, unsigned cnt, size_t off,
		      const void *buf, size_t len);
size_t blk_iov_size(const struct iovec *iov, unsigned cnt);

/* Aligned allocation for I/O buffers (4096). */
void *blk_alloc_buf(size_t len);

#endif
