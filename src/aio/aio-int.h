/*
 * aio-int.h - what the engine front end (aio.c) and the backends share.
 */
#ifndef RINGVM_AIO_INT_H
#define RINGVM_AIO_INT_H

#include <stdbool.h>

#include "aio.h"

struct aio_backend_ops {
	const char *name;
	int (*open)(struct aio_engine *e);
	/* Free backend state; every request has completed already. */
	void (*close)(struct aio_engine *e);
	/* Can this backend run req itself? Others go to the thread pool. */
	bool (*supports)(struct aio_engine *e, const struct aio_req *req);
	/* Queue req for the kernel. Returns 0, or -errno (then the front end
	 * completes req with that error). */
	int (*submit)(struct aio_engine *e, struct aio_req *req);
	/* Try to cancel; the request still completes through aio_complete. */
	void (*cancel)(struct aio_engine *e, struct aio_req *req);
	/* Optional (NULL: -ENOTSUP): fixed files and buffers, see aio.h. */
	int (*register_file)(struct aio_engine *e, int fd);
	void (*unregister_file)(struct aio_engine *e, int fd);
	int (*register_buffers)(struct aio_engine *e, const struct iovec *iov, unsigned n);
	void (*unregister_buffers)(struct aio_engine *e);
};

extern const struct aio_backend_ops aio_backend_uring;
extern const struct aio_backend_ops aio_backend_native;
extern const struct aio_backend_ops aio_backend_threads;

struct aio_engine {
	enum aio_engine_kind kind;
	const struct aio_backend_ops *ops;
	struct loop *loop;
	void *priv;              /* the backend's state */
	struct aio_engine *pool; /* thread pool for unsupported ops, lazily */
	struct aio_engine *owner;/* for a pool: the engine it serves */
	unsigned inflight;
	struct aio_req *inflight_head; /* doubly linked, for cancel-all */
	bool closing;
};

/*
 * A backend reports a result here, on the loop thread. Handles AIO_F_FULL
 * resubmission and then calls req->done. The request may be resubmitted to
 * the same backend.
 */
void aio_complete(struct aio_req *req, ssize_t res);

/* Same, from a deferred call later in this turn: for results known at
 * submit time, so done() never runs inside aio_submit. */
void aio_complete_later(struct aio_req *req, ssize_t res);

/* The thread pool as a fallback engine of e (created on first use). */
struct aio_engine *aio_pool_of(struct aio_engine *e);

/* Current transfer window of a file request (after short transfers). */
static inline const struct iovec *aio_cur_iov(const struct aio_req *r, unsigned *cnt)
{
	if (r->rest_iov) {
		*cnt = r->rest_iovcnt;
		return r->rest_iov;
	}
	*cnt = r->iovcnt;
	return r->iov;
}

/* Where the current transfer starts (the stream position stays "none"). */
static inline uint64_t aio_cur_off(const struct aio_req *r)
{
	return r->offset == AIO_OFFSET_NONE ? AIO_OFFSET_NONE : r->offset + r->done_bytes;
}

/* Hand a request an engine cannot do after all to its thread pool. */
void aio_move_to_pool(struct aio_req *req);

static inline bool aio_op_is_vec(enum aio_op op)
{
	return op == AIO_READV || op == AIO_WRITEV;
}

static inline bool aio_op_is_rw(enum aio_op op)
{
	return op == AIO_READ || op == AIO_WRITE || op == AIO_READV || op == AIO_WRITEV;
}

#endif
