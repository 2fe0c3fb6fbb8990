/*
 * aio.c - the engine front end: choosing a backend (with fallback), the
 * in-flight list, routing ops a backend cannot do to the thread pool, and
 * finishing short transfers (AIO_F_FULL) before the caller hears of them.
 *
 * Threading: loop thread only (see aio.h).
 */
#include "aio-int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct aio_backend_ops *backend_of(enum aio_engine_kind k)
{
	switch (k) {
	case AIO_ENGINE_URING: return &aio_backend_uring;
	case AIO_ENGINE_NATIVE: return &aio_backend_native;
	case AIO_ENGINE_THREADS: return &aio_backend_threads;
	default: return NULL;
	}
}

int aio_engine_parse(const char *name, enum aio_engine_kind *out)
{
	static const struct { const char *name; enum aio_engine_kind kind; } names[] = {
		{ "auto", AIO_ENGINE_AUTO },     { "io_uring", AIO_ENGINE_URING },
		{ "uring", AIO_ENGINE_URING },   { "native", AIO_ENGINE_NATIVE },
		{ "libaio", AIO_ENGINE_NATIVE }, { "threads", AIO_ENGINE_THREADS },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i].name)) {
			*out = names[i].kind;
			return 0;
		}
	}
	return -EINVAL;
}

static int engine_try(struct aio_engine **out, struct loop *loop, enum aio_engine_kind k)
{
	struct aio_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->kind = k;
	e->ops = backend_of(k);
	e->loop = loop;
	int ret = e->ops->open(e);
	if (ret < 0) {
		free(e);
		return ret;
	}
	*out = e;
	return 0;
}

int aio_engine_open(struct aio_engine **out, struct loop *loop, enum aio_engine_kind kind)
{
	static const enum aio_engine_kind order[] = { AIO_ENGINE_URING, AIO_ENGINE_NATIVE,
						      AIO_ENGINE_THREADS };
	const char *env = getenv("RINGVM_AIO");
	int ret = -ENOSYS;

	if (kind == AIO_ENGINE_AUTO && env && *env) {
		if (aio_engine_parse(env, &kind) < 0)
			fprintf(stderr, "ringvm: ignoring RINGVM_AIO=%s (want io_uring, "
				"native or threads)\n", env);
	}
	if (kind != AIO_ENGINE_AUTO)
		return engine_try(out, loop, kind);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ret = engine_try(out, loop, order[i]);
		if (ret == 0)
			return 0;
		/* No ring in an epoll loop is the expected case, not news. */
		if (!(order[i] == AIO_ENGINE_URING && !loop_ring(loop)))
			fprintf(stderr, "ringvm: %s I/O is unavailable (%s); trying the next "
				"engine\n", backend_of(order[i])->name, strerror(-ret));
	}
	return ret;
}

void aio_engine_close(struct aio_engine *e)
{
	if (!e)
		return;
	e->closing = true;
	for (struct aio_req *r = e->inflight_head, *next; r; r = next) {
		next = r->next_inflight;
		e->ops->cancel(e, r);
	}
	if (e->pool) {
		for (struct aio_req *r = e->pool->inflight_head, *next; r; r = next) {
			next = r->next_inflight;
			e->pool->ops->cancel(e->pool, r);
		}
	}
	while (e->inflight || (e->pool && e->pool->inflight))
		loop_run_once(e->loop, 10 * 1000000);
	if (e->pool)
		aio_engine_close(e->pool);
	e->ops->close(e);
	free(e);
}

enum aio_engine_kind aio_engine_kind(const struct aio_engine *e) { return e->kind; }
const char *aio_engine_name(const struct aio_engine *e) { return e->ops->name; }
struct loop *aio_engine_loop(const struct aio_engine *e) { return e->loop; }
unsigned aio_inflight(const struct aio_engine *e)
{
	return e->inflight + (e->pool ? e->pool->inflight : 0);
}

struct aio_engine *aio_pool_of(struct aio_engine *e)
{
	if (e->kind == AIO_ENGINE_THREADS)
		return e;
	if (!e->pool && engine_try(&e->pool, e->loop, AIO_ENGINE_THREADS) == 0)
		e->pool->owner = e;
	return e->pool;
}

/* ---- in-flight bookkeeping ---------------------------------------------- */

static void track(struct aio_engine *e, struct aio_req *r)
{
	r->engine = e;
	r->prev_inflight = NULL;
	r->next_inflight = e->inflight_head;
	if (e->inflight_head)
		e->inflight_head->prev_inflight = r;
	e->inflight_head = r;
	e->inflight++;
}

static void untrack(struct aio_req *r)
{
	struct aio_engine *e = r->engine;
	if (r->prev_inflight)
		r->prev_inflight->next_inflight = r->next_inflight;
	else
		e->inflight_head = r->next_inflight;
	if (r->next_inflight)
		r->next_inflight->prev_inflight = r->prev_inflight;
	e->inflight--;
}

static int validate(const struct aio_req *r)
{
	if (r->op >= AIO_OP_COUNT || !r->done)
		return -EINVAL;
	if (aio_op_is_vec(r->op) && (!r->iov || r->iovcnt == 0 || r->iovcnt > IOV_MAX))
		return -EINVAL;
	if ((r->op == AIO_READ || r->op == AIO_WRITE) && !r->buf && r->len)
		return -EINVAL;
	return 0;
}

static void complete_deferred(void *arg)
{
	struct aio_req *r = arg;
	aio_complete(r, r->res);
}

void aio_complete_later(struct aio_req *r, ssize_t res)
{
	r->res = res;
	r->u.pnode.fn = complete_deferred;
	r->u.pnode.arg = r;
	loop_defer(r->engine->loop, &r->u.pnode);
}

static void dispatch(struct aio_engine *e, struct aio_req *r)
{
	int ret = e->ops->submit(e, r);
	if (ret < 0) /* never call done() from inside aio_submit */
		aio_complete_later(r, ret);
}

int aio_submit(struct aio_engine *e, struct aio_req *r)
{
	int ret = validate(r);
	if (ret < 0)
		return ret;
	if (!e->ops->supports(e, r)) {
		struct aio_engine *pool = aio_pool_of(e);
		if (!pool)
			return -ENOMEM;
		e = pool;
	}
	r->done_bytes = 0;
	r->rest_iov = NULL;
	r->rest_iovcnt = 0;
	r->state = 0;
	track(e, r);
	dispatch(e, r);
	return 0;
}

int aio_cancel(struct aio_engine *e, struct aio_req *r)
{
	struct aio_engine *owner = r->engine;
	if (!owner || (owner != e && owner->owner != e && owner != e->pool))
		return -ENOENT;
	/* Is it really in flight? Walk the owner's list (O(n), rare). */
	struct aio_req *p = owner->inflight_head;
	while (p && p != r)
		p = p->next_inflight;
	if (!p)
		return -ENOENT;
	owner->ops->cancel(owner, r);
	return 0;
}

/* ---- registration (optional backend ops) -------------------------------- */

int aio_register_file(struct aio_engine *e, int fd)
{
	return e->ops->register_file ? e->ops->register_file(e, fd) : -ENOTSUP;
}

void aio_unregister_file(struct aio_engine *e, int fd)
{
	if (e->ops->unregister_file)
		e->ops->unregister_file(e, fd);
}

int aio_register_buffers(struct aio_engine *e, const struct iovec *iov, unsigned n)
{
	return e->ops->register_buffers ? e->ops->register_buffers(e, iov, n) : -ENOTSUP;
}

void aio_unregister_buffers(struct aio_engine *e)
{
	if (e->ops->unregister_buffers)
		e->ops->unregister_buffers(e);
}

void aio_move_to_pool(struct aio_req *r)
{
	struct aio_engine *owner = r->engine->owner ? r->engine->owner : r->engine;
	struct aio_engine *pool = aio_pool_of(owner);
	if (!pool || pool == r->engine) {
		aio_complete(r, -ENOSYS);
		return;
	}
	untrack(r);
	track(pool, r);
	dispatch(pool, r);
}

/* ---- completion and short transfers ------------------------------------- */

static size_t req_total(const struct aio_req *r)
{
	if (!aio_op_is_vec(r->op))
		return r->len;
	size_t t = 0;
	for (unsigned i = 0; i < r->iovcnt; i++)
		t += r->iov[i].iov_len;
	return t;
}

/* Build the iovec for what remains after done_bytes. 0 or -ENOMEM. */
static int advance_iov(struct aio_req *r)
{
	size_t skip = r->done_bytes;
	unsigned i = 0;
	while (i < r->iovcnt && skip >= r->iov[i].iov_len)
		skip -= r->iov[i++].iov_len;
	unsigned n = r->iovcnt - i;
	struct iovec *v = realloc(r->rest_iov, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, r->iov + i, n * sizeof(*v));
	v[0].iov_base = (char *)v[0].iov_base + skip;
	v[0].iov_len -= skip;
	r->rest_iov = v;
	r->rest_iovcnt = n;
	return 0;
}

static void finish(struct aio_req *r, ssize_t res)
{
	untrack(r);
	free(r->rest_iov);
	r->rest_iov = NULL;
	r->done(r, res);
}

void aio_complete(struct aio_req *r, ssize_t res)
{
	struct aio_engine *e = r->engine;

	if (!(r->aflags & AIO_F_FULL) || !aio_op_is_rw(r->op) || res < 0) {
		finish(r, res < 0 ? res : (ssize_t)(r->done_bytes + (size_t)res));
		return;
	}
	r->done_bytes += (size_t)res;
	size_t total = req_total(r);
	bool is_read = r->op == AIO_READ || r->op == AIO_READV;
	bool stream_read = is_read && r->offset == AIO_OFFSET_NONE;
	if (r->done_bytes >= total || res == 0 || stream_read) {
		/* Whole, EOF on a read, or a write that made no progress. */
		if (res == 0 && !is_read && r->done_bytes < total && !r->done_bytes)
			finish(r, -EIO);
		else
			finish(r, (ssize_t)r->done_bytes);
		return;
	}
	if (aio_op_is_vec(r->op)) {
		int ret = advance_iov(r);
		if (ret < 0) {
			finish(r, ret);
			return;
		}
	}
	dispatch(e, r);
}

/* ---- preparation helpers ------------------------------------------------ */

static void prep(struct aio_req *r, enum aio_op op, int fd, aio_done_fn *done, void *opaque)
{
	memset(r, 0, sizeof(*r));
	r->op = (uint8_t)op;
	r->fd = fd;
	r->done = done;
	r->opaque = opaque;
}

void aio_prep_read(struct aio_req *r, int fd, void *buf, size_t len, uint64_t off,
		   aio_done_fn *done, void *opaque)
{
	prep(r, AIO_READ, fd, done, opaque);
	r->buf = buf;
	r->len = len;
	r->offset = off;
	r->aflags = AIO_F_FULL;
}

void aio_prep_write(struct aio_req *r, int fd, const void *buf, size_t len, uint64_t off,
		    aio_done_fn *done, void *opaque)
{
	prep(r, AIO_WRITE, fd, done, opaque);
	r->buf = (void *)buf;
	r->len = len;
	r->offset = off;
	r->aflags = AIO_F_FULL;
}

void aio_prep_readv(struct aio_req *r, int fd, struct iovec *iov, unsigned iovcnt,
		    uint64_t off, aio_done_fn *done, void *opaque)
{
	prep(r, AIO_READV, fd, done, opaque);
	r->iov = iov;
	r->iovcnt = iovcnt;
	r->offset = off;
	r->aflags = AIO_F_FULL;
}

void aio_prep_writev(struct aio_req *r, int fd, struct iovec *iov, unsigned iovcnt,
		     uint64_t off, aio_done_fn *done, void *opaque)
{
	prep(r, AIO_WRITEV, fd, done, opaque);
	r->iov = iov;
	r->iovcnt = iovcnt;
	r->offset = off;
	r->aflags = AIO_F_FULL;
}

void aio_prep_fsync(struct aio_req *r, int fd, int datasync, aio_done_fn *done, void *opaque)
{
	prep(r, datasync ? AIO_FDATASYNC : AIO_FSYNC, fd, done, opaque);
}

void aio_prep_fallocate(struct aio_req *r, int fd, int mode, uint64_t off, uint64_t len,
			aio_done_fn *done, void *opaque)
{
	prep(r, AIO_FALLOCATE, fd, done, opaque);
	r->flags = mode;
	r->offset = off;
	r->len = len;
}

void aio_prep_accept(struct aio_req *r, int fd, struct sockaddr *addr, socklen_t *addrlen,
		     int flags, aio_done_fn *done, void *opaque)
{
	prep(r, AIO_ACCEPT, fd, done, opaque);
	r->addr = addr;
	r->addrlen = addrlen;
	r->flags = flags;
}

void aio_prep_connect(struct aio_req *r, int fd, const struct sockaddr *addr,
		      socklen_t addrlen, aio_done_fn *done, void *opaque)
{
	prep(r, AIO_CONNECT, fd, done, opaque);
	r->addr = (struct sockaddr *)addr;
	r->addrlen_in = addrlen;
}

void aio_prep_recv(struct aio_req *r, int fd, void *buf, size_t len, int flags,
		   aio_done_fn *done, void *opaque)
{
	prep(r, AIO_RECV, fd, done, opaque);
	r->buf = buf;
	r->len = len;
	r->flags = flags;
}

void aio_prep_send(struct aio_req *r, int fd, const void *buf, size_t len, int flags,
		   aio_done_fn *done, void *opaque)
{
	prep(r, AIO_SEND, fd, done, opaque);
	r->buf = (void *)buf;
	r->len = len;
	r->flags = flags;
}

void aio_prep_poll(struct aio_req *r, int fd, int events, aio_done_fn *done, void *opaque)
{
	prep(r, AIO_POLL, fd, done, opaque);
	r->flags = events;
}
