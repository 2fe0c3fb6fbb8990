/*
 * aio.h - asynchronous I/O on top of the reactor.
 *
 * An engine turns requests into host I/O and calls each request's done()
 * on the loop thread when it completes. Three engines share this one call
 * shape: io_uring (the loop's own ring), native (libaio, with epoll for
 * what libaio cannot do) and threads (a worker pool running preadv & co).
 * An engine hands anything it cannot do itself to the thread pool.
 *
 * Ownership: the caller allocates a struct aio_req (usually embedded in
 * its own request) and owns it again only when done() runs. Buffers and
 * iovecs the request points to must stay valid until then.
 *
 * Threading: every call here is for the loop thread only. Another thread
 * that wants I/O posts to the loop first (loop_post).
 *
 * Errors are negative errno, both from calls and in done()'s result.
 */
#ifndef RINGVM_AIO_H
#define RINGVM_AIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/socket.h>

#include "loop/loop.h"

enum aio_engine_kind {
	AIO_ENGINE_AUTO = 0, /* io_uring if the loop has a ring, else native */
	AIO_ENGINE_URING,
	AIO_ENGINE_NATIVE,
	AIO_ENGINE_THREADS,
};

enum aio_op {
	AIO_READ,      /* buf, len, offset */
	AIO_WRITE,     /* buf, len, offset */
	AIO_READV,     /* iov, iovcnt, offset */
	AIO_WRITEV,    /* iov, iovcnt, offset */
	AIO_FSYNC,
	AIO_FDATASYNC,
	AIO_FALLOCATE, /* mode in flags (FALLOC_FL_*), offset, len */
	AIO_ACCEPT,    /* addr/addrlen may be NULL; flags = accept4 flags; res = new fd */
	AIO_CONNECT,   /* addr, addrlen_in */
	AIO_RECV,      /* buf, len, flags = MSG_* */
	AIO_SEND,      /* buf, len, flags = MSG_* */
	AIO_POLL,      /* flags = POLLIN|POLLOUT...; res = revents (one shot) */
	AIO_OP_COUNT,
};

/*
 * offset value for READ/WRITE/READV/WRITEV on streams (pipes, ttys,
 * sockets): use the file position. A stream read completes with whatever
 * arrived (AIO_F_FULL applies to writes only).
 */
#define AIO_OFFSET_NONE UINT64_MAX

/* Request flags (in req->aflags). */
enum {
	/*
	 * For file READ/READV/WRITE/WRITEV: a short transfer is resubmitted for
	 * the remainder until it is whole, an error occurs, or a read hits EOF
	 * (then done() gets the short count). Set by default by aio_prep_*; clear
	 * it to see the raw result.
	 */
	AIO_F_FULL = 1u << 0,
};

struct aio_engine;
struct aio_req;

typedef void aio_done_fn(struct aio_req *req, ssize_t res);

struct aio_req {
	/* filled by the caller (aio_prep_* helpers do it) */
	uint8_t op;          /* enum aio_op */
	uint8_t aflags;      /* AIO_F_* */
	int fd;
	int flags;           /* op-specific, see enum aio_op */
	uint64_t offset;
	void *buf;
	size_t len;
	struct iovec *iov;   /* READV/WRITEV: never modified */
	unsigned iovcnt;
	struct sockaddr *addr;
	socklen_t *addrlen;  /* ACCEPT: in/out */
	socklen_t addrlen_in;/* CONNECT */
	aio_done_fn *done;
	void *opaque;

	/* private to the engine */
	struct aio_engine *engine;
	size_t done_bytes;   /* progress for AIO_F_FULL */
	ssize_t res;         /* result handed from a worker thread */
	int state;
	struct aio_req *prev_inflight, *next_inflight;
	struct iovec *rest_iov; /* remainder after a short transfer (owned) */
	unsigned rest_iovcnt;
	union {
		struct loop_ring_op ring_op;
		struct loop_post_node pnode;
		unsigned char space[80] __attribute__((aligned(8))); /* native iocb */
	} u;
	struct aio_req *qnext;  /* engine queues */
	void *eng_priv;
};

/*
 * Open an engine on loop. AUTO honours RINGVM_AIO=io_uring|native|threads in
 * the environment, and falls back io_uring -> native -> threads with one log
 * line when a kind cannot be had; an explicit kind fails with -ENOSYS (or
 * the error) instead. Returns 0 and *out, or -errno.
 */
int aio_engine_open(struct aio_engine **out, struct loop *loop,
		    enum aio_engine_kind kind);

/*
 * Cancel what can be cancelled, wait for every request in flight to
 * complete (their done() callbacks run, with -ECANCELED where cancelled),
 * then free the engine. Loop thread only; runs the loop while draining.
 */
void aio_engine_close(struct aio_engine *e);

enum aio_engine_kind aio_engine_kind(const struct aio_engine *e);
const char *aio_engine_name(const struct aio_engine *e);
struct loop *aio_engine_loop(const struct aio_engine *e);

/* Parse "io_uring" / "native" / "threads" / "auto"; -EINVAL otherwise. */
int aio_engine_parse(const char *name, enum aio_engine_kind *out);

/*
 * Submit. The request is queued; the loop hands the whole batch to the
 * kernel in one call at the end of the turn. Returns 0, or -errno if the
 * request is malformed (then done() will not run). A request that cannot
 * be queued for lack of resources still returns 0 and completes with the
 * error in done().
 */
int aio_submit(struct aio_engine *e, struct aio_req *req);

/*
 * Ask for req to be cancelled. Its done() still runs exactly once, with
 * -ECANCELED if the cancel won or the real result if it lost.
 * Returns 0 if a cancel was attempted, -ENOENT if req is not in flight.
 */
int aio_cancel(struct aio_engine *e, struct aio_req *req);

/* Requests submitted whose done() has not run yet. */
unsigned aio_inflight(const struct aio_engine *e);

/* ---- registered files and buffers (io_uring) ----------------------------
 * Optional speed-ups: requests work the same without them, so a caller may
 * ignore every error here. Other engines return -ENOTSUP.
 */

/*
 * Register fd with the engine's ring: requests on fd then name a fixed
 * file slot (no file lookup and reference count per request). Call
 * aio_unregister_file before closing fd: a slot keeps its file open, and a
 * new file could get the same fd number. The ring's table is shared by all
 * engines on the loop (loop_ring_file_add). Returns 0 or -errno (-ENOSPC:
 * the table is full; -ENOSYS: the kernel has no sparse file tables).
 */
int aio_register_file(struct aio_engine *e, int fd);
void aio_unregister_file(struct aio_engine *e, int fd);

/*
 * Register memory areas (each at most 1 GiB) as fixed buffers: READ and
 * WRITE requests whose buffer lies inside one skip the per-request page
 * pinning (READ_FIXED / WRITE_FIXED). One set per engine (-EBUSY if one is
 * registered). The memory must stay mapped until aio_unregister_buffers or
 * the engine's close. Returns 0 or -errno (-ENOMEM: over RLIMIT_MEMLOCK).
 */
int aio_register_buffers(struct aio_engine *e, const struct iovec *iov, unsigned n);
void aio_unregister_buffers(struct aio_engine *e);

/* ---- preparation helpers ----------------------------------------------- */

void aio_prep_read(struct aio_req *r, int fd, void *buf, size_t len, uint64_t off,
		   aio_done_fn *done, void *opaque);
void aio_prep_write(struct aio_req *r, int fd, const void *buf, size_t len,
		    uint64_t off, aio_done_fn *done, void *opaque);
void aio_prep_readv(struct aio_req *r, int fd, struct iovec *iov, unsigned iovcnt,
		    uint64_t off, aio_done_fn *done, void *opaque);
void aio_prep_writev(struct aio_req *r, int fd, struct iovec *iov, unsigned iovcnt,
		     uint64_t off, aio_done_fn *done, void *opaque);
void aio_prep_fsync(struct aio_req *r, int fd, int datasync, aio_done_fn *done,
		    void *opaque);
void aio_prep_fallocate(struct aio_req *r, int fd, int mode, uint64_t off,
			uint64_t len, aio_done_fn *done, void *opaque);
void aio_prep_accept(struct aio_req *r, int fd, struct sockaddr *addr,
		     socklen_t *addrlen, int flags, aio_done_fn *done, void *opaque);
void aio_prep_connect(struct aio_req *r, int fd, const struct sockaddr *addr,
		      socklen_t addrlen, aio_done_fn *done, void *opaque);
void aio_prep_recv(struct aio_req *r, int fd, void *buf, size_t len, int flags,
		   aio_done_fn *done, void *opaque);
void aio_prep_send(struct aio_req *r, int fd, const void *buf, size_t len,
		   int flags, aio_done_fn *done, void *opaque);
void aio_prep_poll(struct aio_req *r, int fd, int events, aio_done_fn *done,
		   void *opaque);

#endif
