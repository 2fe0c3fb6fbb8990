/*
 * uring.c - the io_uring engine: requests become SQEs on the loop's own
 * ring, so a turn's whole batch goes to the kernel in one io_uring_enter
 * (the same one the loop waits in). The request is its own user_data
 * (through its embedded loop_ring_op).
 *
 * Ops the running kernel lacks (probed once at open) go to the thread pool.
 *
 * Small file reads and writes are handed to the kernel one by one: before
 * such a request takes an SQE, the SQEs already queued are submitted. A
 * turn that refills 32 slots then makes 32 io_uring_enter calls instead of
 * one, but the first request reaches the device while the others are being
 * prepared, instead of all of them together after the turn: on the test
 * machine (virtio disk, mq-deadline) 4 KiB random I/O at QD32 gained 10-20%
 * IOPS (perf/block, docs/ringvm-img.md). Large requests (>= URING_EAGER_MAX)
 * keep the one-enter batch, whose block-layer plug merges sequential ones.
 *
 * Registered (fixed) files and buffers are optional (aio.h). The ring has
 * one file table, shared by all engines on it (src/loop/ring-files.c); an
 * engine remembers which fds it added so its close gives them back. Buffer
 * areas: one set per ring, held by the engine that registered it. Both are
 * looked up per request by a linear scan (a handful of entries).
 */
#include "aio-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>

enum { URING_FILES = 64, URING_BUFS = 16, URING_EAGER_MAX = 128 << 10 };

struct uring_priv {
	struct io_uring_probe *probe;
	unsigned nfiles;             /* fds this engine added to the ring's table */
	int file_fd[URING_FILES];
	unsigned nbufs;
	struct iovec bufs[URING_BUFS];
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

static void uring_unregister_buffers(struct aio_engine *e);
static void uring_unregister_file(struct aio_engine *e, int fd);

static void uring_close(struct aio_engine *e)
{
	struct uring_priv *p = e->priv;
	/* the ring outlives the engine: give its tables back */
	uring_unregister_buffers(e);
	while (p->nfiles)
		uring_unregister_file(e, p->file_fd[p->nfiles - 1]);
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

/* ---- registered files and buffers --------------------------------------- */

/* Index of fd in this engine's own list, or -1. */
static int own_file(const struct uring_priv *p, int fd)
{
	for (unsigned i = 0; i < p->nfiles; i++)
		if (p->file_fd[i] == fd)
			return (int)i;
	return -1;
}

static int uring_register_file(struct aio_engine *e, int fd)
{
	struct uring_priv *p = e->priv;
	if (fd < 0)
		return -EBADF;
	if (own_file(p, fd) >= 0)
		return 0;
	if (p->nfiles == URING_FILES)
		return -ENOSPC;
	int r = loop_ring_file_add(e->loop, fd);
	if (r < 0)
		return r;
	p->file_fd[p->nfiles++] = fd;
	return 0;
}

static void uring_unregister_file(struct aio_engine *e, int fd)
{
	struct uring_priv *p = e->priv;
	int i = own_file(p, fd);
	if (i < 0)
		return;
	loop_ring_file_remove(e->loop, fd);
	p->file_fd[i] = p->file_fd[--p->nfiles];
}

static int uring_register_buffers(struct aio_engine *e, const struct iovec *iov, unsigned n)
{
	struct uring_priv *p = e->priv;
	if (p->nbufs)
		return -EBUSY;
	if (!n || n > URING_BUFS)
		return -EINVAL;
	int r = io_uring_register_buffers(loop_ring(e->loop), iov, n);
	if (r < 0)
		return r;
	memcpy(p->bufs, iov, n * sizeof(*iov));
	p->nbufs = n;
	return 0;
}

static void uring_unregister_buffers(struct aio_engine *e)
{
	struct uring_priv *p = e->priv;
	if (!p->nbufs)
		return;
	(void)io_uring_unregister_buffers(loop_ring(e->loop));
	p->nbufs = 0;
}

/* Index of the registered buffer holding [buf, buf+len), or -1. */
static int buf_index(const struct uring_priv *p, const char *buf, size_t len)
{
	for (unsigned i = 0; i < p->nbufs; i++) {
		const char *b = p->bufs[i].iov_base;
		if (buf >= b && len <= p->bufs[i].iov_len &&
		    (size_t)(buf - b) <= p->bufs[i].iov_len - len)
			return (int)i;
	}
	return -1;
}

/* Bytes a file read/write still has to move (see URING_EAGER_MAX). */
static size_t rw_bytes(const struct aio_req *r)
{
	if (!aio_op_is_vec(r->op))
		return r->len - r->done_bytes;
	unsigned cnt;
	const struct iovec *iov = aio_cur_iov(r, &cnt);
	size_t n = 0;
	for (unsigned i = 0; i < cnt && n < URING_EAGER_MAX; i++)
		n += iov[i].iov_len;
	return n;
}

static void prep_rw(struct uring_priv *p, struct io_uring_sqe *sqe, struct aio_req *r,
		    uint64_t off)
{
	char *buf = (char *)r->buf + r->done_bytes;
	unsigned len = (unsigned)(r->len - r->done_bytes);
	int bi = p->nbufs ? buf_index(p, buf, len) : -1;
	if (r->op == AIO_READ && bi >= 0)
		io_uring_prep_read_fixed(sqe, r->fd, buf, len, off, bi);
	else if (r->op == AIO_READ)
		io_uring_prep_read(sqe, r->fd, buf, len, off);
	else if (bi >= 0)
		io_uring_prep_write_fixed(sqe, r->fd, buf, len, off, bi);
	else
		io_uring_prep_write(sqe, r->fd, buf, len, off);
}

static int uring_submit(struct aio_engine *e, struct aio_req *r)
{
	struct uring_priv *p = e->priv;
	r->u.ring_op.done = uring_done;
	if (aio_op_is_rw(r->op) && r->offset != AIO_OFFSET_NONE && rw_bytes(r) < URING_EAGER_MAX &&
	    io_uring_sq_ready(loop_ring(e->loop)))
		loop_ring_flush(e->loop); /* see the top of the file */
	struct io_uring_sqe *sqe = loop_ring_sqe(e->loop, &r->u.ring_op);
	if (!sqe)
		return -EAGAIN;
	/* AIO_OFFSET_NONE is -1: io_uring then uses the file position. */
	uint64_t off = aio_cur_off(r);
	unsigned cnt;
	const struct iovec *iov;

	switch ((enum aio_op)r->op) {
	case AIO_READ:
	case AIO_WRITE:
		prep_rw(p, sqe, r, off);
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
	int slot = p->nfiles ? loop_ring_file_slot(e->loop, r->fd) : -1;
	if (slot >= 0) {
		sqe->fd = slot;
		sqe->flags |= IOSQE_FIXED_FILE;
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
	.register_file = uring_register_file,
	.unregister_file = uring_unregister_file,
	.register_buffers = uring_register_buffers,
	.unregister_buffers = uring_unregister_buffers,
};
