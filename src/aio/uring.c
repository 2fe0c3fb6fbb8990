/*
 * uring.c - the io_uring engine: requests become SQEs on the loop's own
 * ring, so a turn's whole batch goes to the kernel in one io_uring_enter
 * (the same one the loop waits in). The request is its own user_data
 * (through its embedded loop_ring_op).
 *
 * Ops the running kernel lacks (probed once at open) go to the thread pool.
 */
#include "aio-int.h"

#include <errno.h>
#include <stdlib.h>

#include <liburing.h>

struct uring_priv {
	struct io_uring_probe *probe;
};

static const uint8_t uring_opcode[AIO_OP_COUNT] = {
	[AIO_READ] = IORING_OP_READ,         [AIO_WRITE] = IORING_OP_WRITE,
	[AIO_READV] = IORING_OP_READV,       [AIO_WRITEV] = IORING_OP_WRITEV,
	[AIO_FSYNC] = IORING_OP_FSYNC,       [AIO_FDATASYNC] = IORING_OP_FSYNC,
	[AIO_FALLOCATE] = IORING_OP_FALLOCATE, [AIO_ACCEPT] = IORING_OP_ACCEPT,
	[AIO_CONNECT] = IORING_OP_CONNECT,   [AIO_RECV] = IORING_OP_RECV,
	[AIO_SEND] = IORING_OP_SEND,         [AIO_POLL] = IORING_OP_POLL_ADD,
};

static int uring_open(struct aio_engine *e)
{
	struct io_uring *ring = loop_ring(e->loop);
	if (!ring)
		return -ENOSYS; /* the loop fell back to epoll */
	struct uring_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->probe = io_uring_get_probe_ring(ring); /* NULL before 5.6: assume all */
	e->priv = p;
	return 0;
}

static void uring_close(struct aio_engine *e)
{
	struct uring_priv *p = e->priv;
	if (p->probe)
		io_uring_free_probe(p->probe);
	free(p);
}

static bool uring_supports(struct aio_engine *e, const struct aio_req *r)
{
	struct uring_priv *p = e->priv;
	return !p->probe || io_uring_opcode_supported(p->probe, uring_opcode[r->op]);
}

static void uring_done(struct loop_ring_op *op, int res, uint32_t flags)
{
	struct aio_req *r = (struct aio_req *)((char *)op - offsetof(struct aio_req, u.ring_op));
	(void)flags;
	aio_complete(r, res);
}

static int uring_submit(struct aio_engine *e, struct aio_req *r)
{
	r->u.ring_op.done = uring_done;
	struct io_uring_sqe *sqe = loop_ring_sqe(e->loop, &r->u.ring_op);
	if (!sqe)
		return -EAGAIN;
	/* AIO_OFFSET_NONE is -1: io_uring then uses the file position. */
	uint64_t off = aio_cur_off(r);
	char *buf = (char *)r->buf + r->done_bytes;
	unsigned cnt;
	const struct iovec *iov;

	switch ((enum aio_op)r->op) {
	case AIO_READ:
		io_uring_prep_read(sqe, r->fd, buf, (unsigned)(r->len - r->done_bytes), off);
		break;
	case AIO_WRITE:
		io_uring_prep_write(sqe, r->fd, buf, (unsigned)(r->len - r->done_bytes), off);
		break;
	case AIO_READV:
		iov = aio_cur_iov(r, &cnt);
		io_uring_prep_readv(sqe, r->fd, iov, cnt, off);
		break;
	case AIO_WRITEV:
		iov = aio_cur_iov(r, &cnt);
		io_uring_prep_writev(sqe, r->fd, iov, cnt, off);
		break;
	case AIO_FSYNC:
		io_uring_prep_fsync(sqe, r->fd, 0);
		break;
	case AIO_FDATASYNC:
		io_uring_prep_fsync(sqe, r->fd, IORING_FSYNC_DATASYNC);
		break;
	case AIO_FALLOCATE:
		io_uring_prep_fallocate(sqe, r->fd, r->flags, (off_t)r->offset, (off_t)r->len);
		break;
	case AIO_ACCEPT:
		io_uring_prep_accept(sqe, r->fd, r->addr, r->addrlen, r->flags);
		break;
	case AIO_CONNECT:
		io_uring_prep_connect(sqe, r->fd, r->addr, r->addrlen_in);
		break;
	case AIO_RECV:
		io_uring_prep_recv(sqe, r->fd, r->buf, r->len, r->flags);
		break;
	case AIO_SEND:
		io_uring_prep_send(sqe, r->fd, r->buf, r->len, r->flags);
		break;
	case AIO_POLL:
		io_uring_prep_poll_add(sqe, r->fd, (unsigned)r->flags);
		break;
	default:
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data(sqe, NULL);
		return -EINVAL;
	}
	return 0;
}

static void uring_cancel(struct aio_engine *e, struct aio_req *r)
{
	/* Fire and forget: the request itself reports -ECANCELED or its result. */
	struct io_uring_sqe *sqe = loop_ring_sqe(e->loop, NULL);
	if (sqe)
		io_uring_prep_cancel(sqe, &r->u.ring_op, 0);
}

const struct aio_backend_ops aio_backend_uring = {
	.name = "io_uring",
	.open = uring_open,
	.close = uring_close,
	.supports = uring_supports,
	.submit = uring_submit,
	.cancel = uring_cancel,
};
