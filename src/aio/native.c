/*
 * native.c - the libaio engine (aio=native), for O_DIRECT file I/O where
 * io_uring is not wanted or not there. iocbs queue up during a turn and go
 * to the kernel in one io_submit from the loop's flush hook; completions
 * signal an eventfd the loop watches, and are reaped with io_getevents
 * without waiting.
 *
 * libaio is asynchronous only for O_DIRECT files; on buffered files
 * io_submit may block (that is the kernel's behaviour, documented for
 * users choosing aio=native). Reads, writes and their vector forms, fsync,
 * fdatasync and poll (IOCB_CMD_POLL, 4.18) are done here; the rest goes to
 * the thread pool.
 */
#include "aio-int.h"

#include <errno.h>
#include <libaio.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NATIVE_DEPTH 1024
#define NATIVE_BATCH 128
#define NATIVE_CANCELLED 1 /* req->state */

struct native {
	io_context_t ctx;
	int efd;
	struct loop_watch watch;
	struct loop_hook hook;
	struct aio_engine *e;
	unsigned in_kernel;         /* iocbs the kernel holds */
	struct aio_req *head, *tail;/* waiting for io_submit (qnext) */
};

/* The iocb lives inside the request (its private space). */
struct native_iocb {
	struct iocb cb;
	struct iovec one; /* READ/WRITE as a one-element vector */
};
_Static_assert(sizeof(struct native_iocb) <= sizeof(((struct aio_req *)0)->u.space),
	       "struct aio_req has no room for an iocb");

static struct native_iocb *iocb_of(struct aio_req *r)
{
	return (struct native_iocb *)r->u.space;
}

static void native_reap(struct loop_watch *w, int events);
static void native_flush(void *arg);

static int native_open(struct aio_engine *e)
{
	struct native *n = calloc(1, sizeof(*n));
	int ret;
	if (!n)
		return -ENOMEM;
	ret = io_setup(NATIVE_DEPTH, &n->ctx);
	if (ret < 0)
		goto fail;
	n->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->efd < 0) {
		ret = -errno;
		io_destroy(n->ctx);
		goto fail;
	}
	n->e = e;
	ret = loop_watch(e->loop, &n->watch, n->efd, POLLIN, native_reap, n);
	if (ret < 0) {
		close(n->efd);
		io_destroy(n->ctx);
		goto fail;
	}
	n->hook.fn = native_flush;
	n->hook.arg = n;
	loop_add_flush_hook(e->loop, &n->hook);
	e->priv = n;
	return 0;
fail:
	free(n);
	return ret;
}

static void native_close(struct aio_engine *e)
{
	struct native *n = e->priv;
	loop_del_flush_hook(e->loop, &n->hook);
	loop_unwatch(e->loop, &n->watch);
	io_destroy(n->ctx);
	close(n->efd);
	free(n);
}

static bool native_supports(struct aio_engine *e, const struct aio_req *r)
{
	(void)e;
	if (aio_op_is_rw(r->op))
		return r->offset != AIO_OFFSET_NONE; /* libaio has no stream position */
	return r->op == AIO_FSYNC || r->op == AIO_FDATASYNC || r->op == AIO_POLL;
}

static int native_prep(struct native *n, struct aio_req *r)
{
	struct native_iocb *ni = iocb_of(r);
	uint64_t off = aio_cur_off(r);
	const struct iovec *iov;
	unsigned cnt;

	switch ((enum aio_op)r->op) {
	case AIO_READ:
	case AIO_WRITE:
		ni->one.iov_base = (char *)r->buf + r->done_bytes;
		ni->one.iov_len = r->len - r->done_bytes;
		iov = &ni->one;
		cnt = 1;
		goto vec;
	case AIO_READV:
	case AIO_WRITEV:
		iov = aio_cur_iov(r, &cnt);
	vec:
		if (r->op == AIO_READ || r->op == AIO_READV)
			io_prep_preadv(&ni->cb, r->fd, iov, (int)cnt, (long long)off);
		else
			io_prep_pwritev(&ni->cb, r->fd, iov, (int)cnt, (long long)off);
		break;
	case AIO_FSYNC:
		io_prep_fsync(&ni->cb, r->fd);
		break;
	case AIO_FDATASYNC:
		io_prep_fdsync(&ni->cb, r->fd);
		break;
	case AIO_POLL:
		io_prep_poll(&ni->cb, r->fd, r->flags);
		break;
	default:
		return -EINVAL;
	}
	io_set_eventfd(&ni->cb, n->efd);
	ni->cb.data = r;
	return 0;
}

static int native_submit(struct aio_engine *e, struct aio_req *r)
{
	struct native *n = e->priv;
	int ret = native_prep(n, r);
	if (ret < 0)
		return ret;
	r->qnext = NULL;
	if (n->tail)
		n->tail->qnext = r;
	else
		n->head = r;
	n->tail = r;
	return 0;
}

/* One io_submit for what queued this turn (as much as the ring takes). */
static void native_flush(void *arg)
{
	struct native *n = arg;
	struct iocb *cbs[NATIVE_BATCH];

	while (n->head && n->in_kernel < NATIVE_DEPTH) {
		int cnt = 0;
		for (struct aio_req *r = n->head; r && cnt < NATIVE_BATCH &&
		     n->in_kernel + (unsigned)cnt < NATIVE_DEPTH; r = r->qnext)
			cbs[cnt++] = &iocb_of(r)->cb;
		int ret = io_submit(n->ctx, cnt, cbs);
		if (ret == -EAGAIN || ret == 0)
			return; /* retry next turn, after completions free slots */
		int taken = ret > 0 ? ret : 1;
		for (int i = 0; i < taken; i++) {
			struct aio_req *r = n->head;
			n->head = r->qnext;
			if (!n->head)
				n->tail = NULL;
			if (ret > 0)
				n->in_kernel++;
			else if (r->op == AIO_POLL && ret == -EINVAL)
				aio_move_to_pool(r); /* see native_reap */
			else /* the first iocb was refused: fail it alone */
				aio_complete_later(r, ret);
		}
	}
}

static void native_reap(struct loop_watch *w, int events)
{
	struct native *n = w->arg;
	struct io_event evs[NATIVE_BATCH];
	struct timespec zero = { 0, 0 };
	uint64_t cnt;
	(void)events;

	(void)!read(n->efd, &cnt, sizeof(cnt));
	for (;;) {
		int got = io_getevents(n->ctx, 0, NATIVE_BATCH, evs, &zero);
		if (got <= 0)
			break;
		n->in_kernel -= (unsigned)got;
		for (int i = 0; i < got; i++) {
			struct aio_req *r = evs[i].data;
			/* res is unsigned long: a negative errno arrives wrapped */
			ssize_t res = (ssize_t)(long)evs[i].res;
			/* A cancelled poll completes with no events, not an error. */
			if (r->state == NATIVE_CANCELLED && r->op == AIO_POLL && res == 0)
				res = -ECANCELED;
			/* IOCB_CMD_POLL refuses files with two wait queues (ttys,
			 * FIFOs opened read-write): let the pool poll them. */
			if (r->op == AIO_POLL && res == -EINVAL && r->state != NATIVE_CANCELLED) {
				aio_move_to_pool(r);
				continue;
			}
			aio_complete(r, res);
		}
		if (got < NATIVE_BATCH)
			break;
	}
}

static void native_cancel(struct aio_engine *e, struct aio_req *r)
{
	struct native *n = e->priv;
	struct io_event ev;

	/* Still queued here: take it back. */
	for (struct aio_req **pp = &n->head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->qnext) {
		if (*pp == r) {
			*pp = r->qnext;
			if (n->tail == r)
				n->tail = prev;
			aio_complete(r, -ECANCELED);
			return;
		}
	}
	/* In the kernel: file I/O is rarely cancellable; poll is (since 4.18
	 * io_cancel answers -EINPROGRESS and the event still comes). */
	r->state = NATIVE_CANCELLED;
	if (io_cancel(n->ctx, &iocb_of(r)->cb, &ev) == 0) {
		n->in_kernel--;
		aio_complete(r, -ECANCELED);
	}
}

const struct aio_backend_ops aio_backend_native = {
	.name = "native",
	.open = native_open,
	.close = native_close,
	.supports = native_supports,
	.submit = native_submit,
	.cancel = native_cancel,
};
