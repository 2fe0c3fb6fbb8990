/*
 * threads.c - the thread-pool engine: workers run the blocking syscall
 * (preadv, pwritev, fdatasync, fallocate, accept, ...) and post the result
 * back to the loop. It is an engine of its own (aio=threads) and the
 * fallback for any op another engine cannot do.
 *
 * Threading: submit/cancel on the loop thread; workers take requests from
 * a mutex-protected FIFO (the lock is held only to link/unlink) and hand
 * results back with loop_post_node, so the loop never waits on a worker.
 * Socket ops wait in poll() on the fd and the worker's cancel eventfd, so a
 * running accept/recv/send/poll can be cancelled; file ops cannot (they
 * finish, and the caller gets their real result).
 */
#include "aio-int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define POOL_MAX_WORKERS 16

struct worker {
	pthread_t tid;
	int cancel_fd;
	struct aio_req *cur;
	struct pool *pool;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct aio_req *head, *tail; /* FIFO via qnext */
	unsigned idle, nworkers;
	unsigned queued; /* requests in the FIFO: a worker signalled but not yet
			  * awake still counts as idle, so spawn on idle < queued */
	bool stop;
	struct worker workers[POOL_MAX_WORKERS];
	struct loop *loop;
};

static int pool_open(struct aio_engine *e)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->loop = e->loop;
	e->priv = p;
	return 0;
}

static void pool_close(struct aio_engine *e)
{
	struct pool *p = e->priv;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nworkers; i++) {
		pthread_join(p->workers[i].tid, NULL);
		close(p->workers[i].cancel_fd);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static bool pool_supports(struct aio_engine *e, const struct aio_req *r)
{
	(void)e;
	(void)r;
	return true;
}

/* Wait until fd is ready for events or the request is cancelled. */
static int wait_ready(struct worker *w, int fd, short events)
{
	struct pollfd pf[2] = { { .fd = fd, .events = events }, { .fd = w->cancel_fd, .events = POLLIN } };
	for (;;) {
		int n = poll(pf, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (pf[1].revents) {
			uint64_t v;
			(void)!read(w->cancel_fd, &v, sizeof(v));
			return -ECANCELED;
		}
		return pf[0].revents;
	}
}

#define SYSRET(expr) ({ ssize_t _r; do _r = (expr); while (_r < 0 && errno == EINTR); _r < 0 ? -errno : _r; })

static ssize_t run_socket(struct worker *w, struct aio_req *r)
{
	for (;;) {
		short ev = (r->op == AIO_SEND) ? POLLOUT : (r->op == AIO_POLL ? (short)r->flags : POLLIN);
		int ready = wait_ready(w, r->fd, ev);
		if (ready < 0 || r->op == AIO_POLL)
			return ready;
		ssize_t res;
		if (r->op == AIO_ACCEPT)
			res = SYSRET(accept4(r->fd, r->addr, r->addrlen, r->flags));
		else if (r->op == AIO_RECV)
			res = SYSRET(recv(r->fd, r->buf, r->len, r->flags | MSG_DONTWAIT));
		else
			res = SYSRET(send(r->fd, r->buf, r->len, r->flags | MSG_DONTWAIT | MSG_NOSIGNAL));
		if (res != -EAGAIN)
			return res;
	}
}

/* Streams: wait (cancellably) until ready, then one read or write. */
static ssize_t run_stream(struct worker *w, struct aio_req *r)
{
	bool rd = r->op == AIO_READ || r->op == AIO_READV;
	char *buf = (char *)r->buf + r->done_bytes;
	const struct iovec *iov;
	unsigned cnt;
	for (;;) {
		int ready = wait_ready(w, r->fd, rd ? POLLIN : POLLOUT);
		if (ready < 0)
			return ready;
		ssize_t res;
		switch ((enum aio_op)r->op) {
		case AIO_READ: res = SYSRET(read(r->fd, buf, r->len - r->done_bytes)); break;
		case AIO_WRITE: res = SYSRET(write(r->fd, buf, r->len - r->done_bytes)); break;
		case AIO_READV:
			iov = aio_cur_iov(r, &cnt);
			res = SYSRET(readv(r->fd, iov, (int)cnt));
			break;
		default:
			iov = aio_cur_iov(r, &cnt);
			res = SYSRET(writev(r->fd, iov, (int)cnt));
			break;
		}
		if (res != -EAGAIN)
			return res;
	}
}

static ssize_t run_req(struct worker *w, struct aio_req *r)
{
	uint64_t off = r->offset + r->done_bytes;
	char *buf = (char *)r->buf + r->done_bytes;
	const struct iovec *iov;
	unsigned cnt;

	if (aio_op_is_rw(r->op) && r->offset == AIO_OFFSET_NONE)
		return run_stream(w, r);
	switch ((enum aio_op)r->op) {
	case AIO_READ: return SYSRET(pread(r->fd, buf, r->len - r->done_bytes, (off_t)off));
	case AIO_WRITE: return SYSRET(pwrite(r->fd, buf, r->len - r->done_bytes, (off_t)off));
	case AIO_READV:
		iov = aio_cur_iov(r, &cnt);
		return SYSRET(preadv(r->fd, iov, (int)cnt, (off_t)off));
	case AIO_WRITEV:
		iov = aio_cur_iov(r, &cnt);
		return SYSRET(pwritev(r->fd, iov, (int)cnt, (off_t)off));
	case AIO_FSYNC: return SYSRET(fsync(r->fd));
	case AIO_FDATASYNC: return SYSRET(fdatasync(r->fd));
	case AIO_FALLOCATE:
		return SYSRET(fallocate(r->fd, r->flags, (off_t)r->offset, (off_t)r->len));
	case AIO_CONNECT: return SYSRET(connect(r->fd, r->addr, r->addrlen_in));
	case AIO_ACCEPT:
	case AIO_RECV:
	case AIO_SEND:
	case AIO_POLL:
		return run_socket(w, r);
	default:
		return -EINVAL;
	}
}

static void pool_done(void *arg)
{
	struct aio_req *r = arg;
	aio_complete(r, r->res);
}

static void post_result(struct pool *p, struct aio_req *r, ssize_t res)
{
	r->res = res;
	r->u.pnode.fn = pool_done;
	r->u.pnode.arg = r;
	loop_post_node(p->loop, &r->u.pnode);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->cond, &p->lock);
			p->idle--;
		}
		if (!p->head && p->stop)
			break;
		struct aio_req *r = p->head;
		p->queued--;
		p->head = r->qnext;
		if (!p->head)
			p->tail = NULL;
		w->cur = r;
		pthread_mutex_unlock(&p->lock);

		ssize_t res = run_req(w, r);

		pthread_mutex_lock(&p->lock);
		w->cur = NULL;
		/* A cancel that lost the race must not hit the next request. */
		uint64_t stale;
		(void)!read(w->cancel_fd, &stale, sizeof(stale));
		pthread_mutex_unlock(&p->lock);
		post_result(p, r, res);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Called with the lock held. */
static int spawn_worker(struct pool *p)
{
	struct worker *w = &p->workers[p->nworkers];
	w->pool = p;
	w->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->cancel_fd < 0)
		return -errno;
	int ret = pthread_create(&w->tid, NULL, worker_main, w);
	if (ret) {
		close(w->cancel_fd);
		return -ret;
	}
	p->nworkers++;
	return 0;
}

static int pool_submit(struct aio_engine *e, struct aio_req *r)
{
	struct pool *p = e->priv;
	int ret = 0;

	r->qnext = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->qnext = r;
	else
		p->head = r;
	p->tail = r;
	p->queued++;
	if (p->idle < p->queued && p->nworkers < POOL_MAX_WORKERS)
		ret = spawn_worker(p);
	if (ret < 0 && p->nworkers > 0)
		ret = 0; /* the existing workers will get to it */
	if (ret < 0) { /* no worker at all: take it back */
		p->head = p->tail = NULL;
		p->queued = 0;
	} else {
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static void pool_cancel(struct aio_engine *e, struct aio_req *r)
{
	struct pool *p = e->priv;
	bool dequeued = false;

	pthread_mutex_lock(&p->lock);
	for (struct aio_req **pp = &p->head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->qnext) {
		if (*pp == r) {
			*pp = r->qnext;
			if (p->tail == r)
				p->tail = prev;
			p->queued--;
			dequeued = true;
			break;
		}
	}
	if (!dequeued) {
		for (unsigned i = 0; i < p->nworkers; i++) {
			if (p->workers[i].cur == r) {
				uint64_t one = 1;
				(void)!write(p->workers[i].cancel_fd, &one, sizeof(one));
			}
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (dequeued)
		post_result(p, r, -ECANCELED);
}

const struct aio_backend_ops aio_backend_threads = {
	.name = "threads",
	.open = pool_open,
	.close = pool_close,
	.supports = pool_supports,
	.submit = pool_submit,
	.cancel = pool_cancel,
};
