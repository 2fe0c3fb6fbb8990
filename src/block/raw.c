/*
 * raw.c - the raw driver: guest offset == file offset, on a regular file
 * (sparse, any size) or a host block device. Every request is one aio
 * submission (write-zeroes may fall back to a short chain of writes).
 *
 * Threading: loop thread. A struct raw_req is owned by its blk_req from
 * submit until blk_req_finish(); finished ones go to a free list.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block-int.h"

enum { RAW_INLINE_IOV = 4, ZERO_CHUNK = 1 << 20 };

struct raw_req {
	struct aio_req a;
	struct blk *b;
	struct blk_req *r;
	struct raw_req *next_free;
	uint64_t pos, end;       /* write-zeroes fallback progress */
	bool fallback;
	struct iovec *iov;
	struct iovec iov_inline[RAW_INLINE_IOV];
};

struct raw {
	struct blk_file f;
	struct raw_req *free;
	void *zero_buf;          /* ZERO_CHUNK of zeroes for the fallback */
	unsigned inflight;
};

static int raw_probe(const uint8_t *buf, size_t len)
{
	return 1; /* anything is a raw image, with the lowest confidence */
}

static int raw_open(struct blk *b, const struct blk_open_opts *o, char *err, size_t errlen)
{
	struct raw *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int r = blk_file_open(&s->f, o->filename, o->flags, err, errlen);
	if (r < 0) {
		free(s);
		return r;
	}
	int64_t sz = blk_file_size(&s->f);
	if (sz < 0) {
		blk_err(err, errlen, "Could not get the size of '%s': %s", o->filename,
			strerror((int)-sz));
		blk_file_close(&s->f);
		free(s);
		return (int)sz;
	}
	b->size = (uint64_t)sz;
	b->align = s->f.align;
	b->opaque = s;
	blk_file_register(&s->f, b->engine);
	return 0;
}

static int raw_close(struct blk *b)
{
	struct raw *s = b->opaque;
	while (s->inflight)
		if (loop_run_once(b->loop, -1) < 0)
			break;
	while (s->free) {
		struct raw_req *q = s->free;
		s->free = q->next_free;
		free(q);
	}
	free(s->zero_buf);
	blk_file_close(&s->f);
	free(s);
	return 0;
}

static void raw_finish(struct raw_req *q, int res)
{
	struct raw *s = q->b->opaque;
	struct blk *b = q->b;
	struct blk_req *r = q->r;
	if (q->iov != q->iov_inline)
		free(q->iov);
	q->next_free = s->free;
	s->free = q;
	s->inflight--;
	blk_req_finish(b, r, res);
}

static void zero_fallback_step(struct raw_req *q);

static void raw_done(struct aio_req *a, ssize_t res)
{
	struct raw_req *q = (struct raw_req *)a;
	struct raw *s = q->b->opaque;
	if (q->r->op == BLK_DISCARD && res < 0 && res != -EIO)
		res = 0; /* discard is advisory: unsupported is fine */
	if (q->r->op == BLK_WRITE_ZEROES) {
		if (!q->fallback && (res == -EOPNOTSUPP || res == -EINVAL ||
				     res == -ENOTTY || res == -ENOSYS)) {
			q->fallback = true;
			q->pos = q->r->offset;
			q->end = q->r->offset + q->r->len;
			res = 0;
		}
		if (q->fallback && res >= 0 && q->pos < q->end) {
			(void)s;
			zero_fallback_step(q);
			return;
		}
	}
	raw_finish(q, res < 0 ? (int)res : 0);
}

/* Write zeroes from a shared zero buffer, one chunk per completion. */
static void zero_fallback_step(struct raw_req *q)
{
	struct raw *s = q->b->opaque;
	if (!s->zero_buf) {
		s->zero_buf = blk_alloc_buf(ZERO_CHUNK);
		if (!s->zero_buf) {
			raw_finish(q, -ENOMEM);
			return;
		}
		memset(s->zero_buf, 0, ZERO_CHUNK);
	}
	uint64_t n = q->end - q->pos;
	if (n > ZERO_CHUNK)
		n = ZERO_CHUNK;
	aio_prep_write(&q->a, s->f.fd, s->zero_buf, n, q->pos, raw_done, q);
	q->pos += n;
	int r = aio_submit(q->b->engine, &q->a);
	if (r < 0)
		raw_finish(q, r);
}

static int raw_submit(struct blk *b, struct blk_req *r)
{
	struct raw *s = b->opaque;
	struct raw_req *q = s->free;
	if (q)
		s->free = q->next_free;
	else if (!(q = malloc(sizeof(*q))))
		return -ENOMEM;
	q->b = b;
	q->r = r;
	q->fallback = false;
	q->iov = q->iov_inline;
	int fd = s->f.fd;
	switch (r->op) {
	case BLK_READ:
	case BLK_WRITE:
		if (r->iovcnt > RAW_INLINE_IOV) {
			q->iov = malloc(sizeof(struct iovec) * r->iovcnt);
			if (!q->iov) {
				q->iov = q->iov_inline;
				q->next_free = s->free;
				s->free = q;
				return -ENOMEM;
			}
		}
		memcpy(q->iov, r->iov, sizeof(struct iovec) * r->iovcnt);
		/* one buffer: plain READ/WRITE (no iovec import in the kernel) */
		if (r->iovcnt == 1 && r->op == BLK_READ)
			aio_prep_read(&q->a, fd, q->iov[0].iov_base, q->iov[0].iov_len, r->offset,
				      raw_done, q);
		else if (r->iovcnt == 1)
			aio_prep_write(&q->a, fd, q->iov[0].iov_base, q->iov[0].iov_len, r->offset,
				       raw_done, q);
		else if (r->op == BLK_READ)
			aio_prep_readv(&q->a, fd, q->iov, r->iovcnt, r->offset, raw_done, q);
		else
			aio_prep_writev(&q->a, fd, q->iov, r->iovcnt, r->offset, raw_done, q);
		break;
	case BLK_FLUSH:
		aio_prep_fsync(&q->a, fd, 1, raw_done, q);
		break;
	case BLK_DISCARD:
		aio_prep_fallocate(&q->a, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   r->offset, r->len, raw_done, q);
		break;
	case BLK_WRITE_ZEROES: {
		bool unmap = (r->flags & BLK_F_MAY_UNMAP) && (b->flags & BLK_O_DISCARD);
		int mode = unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
				 : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
		aio_prep_fallocate(&q->a, fd, mode, r->offset, r->len, raw_done, q);
		break;
	}
	default:
		q->next_free = s->free;
		s->free = q;
		return -EINVAL;
	}
	s->inflight++;
	int ret = aio_submit(b->engine, &q->a);
	if (ret < 0) {
		s->inflight--;
		if (q->iov != q->iov_inline)
			free(q->iov);
		q->next_free = s->free;
		s->free = q;
	}
	return ret;
}

static int raw_block_status(struct blk *b, uint64_t off, uint64_t len,
			    struct blk_status *st)
{
	struct raw *s = b->opaque;
	st->host_file = b->filename;
	st->depth = 0;
	st->len = len;
	st->flags = BLK_STATUS_DATA | BLK_STATUS_ALLOCATED;
	st->host_offset = off;
	if (s->f.is_bdev)
		return 0;
	off_t d = lseek(s->f.mfd, (off_t)off, SEEK_DATA);
	if (d < 0 && errno == ENXIO)
		d = (off_t)(off + len); /* no data after off */
	else if (d < 0)
		return 0; /* no SEEK_DATA: everything is data */
	if ((uint64_t)d > off) {
		st->flags = BLK_STATUS_ZERO | BLK_STATUS_ALLOCATED;
		st->len = (uint64_t)d - off < len ? (uint64_t)d - off : len;
		return 0;
	}
	off_t h = lseek(s->f.mfd, (off_t)off, SEEK_HOLE);
	if (h > (off_t)off && (uint64_t)h - off < len)
		st->len = (uint64_t)h - off;
	return 0;
}

/* Extend [from, to) of fd as asked: falloc reserves, full writes zeroes. */
static int raw_prealloc(int fd, uint64_t from, uint64_t to, enum blk_prealloc p)
{
	if (p == BLK_PREALLOC_FALLOC) {
		if (fallocate(fd, 0, (off_t)from, (off_t)(to - from)) < 0)
			return -errno;
		return 0;
	}
	if (p != BLK_PREALLOC_FULL)
		return 0;
	char *z = calloc(1, ZERO_CHUNK);
	if (!z)
		return -ENOMEM;
	int r = 0;
	for (uint64_t pos = from; pos < to;) {
		size_t n = to - pos < ZERO_CHUNK ? to - pos : ZERO_CHUNK;
		ssize_t w = pwrite(fd, z, n, (off_t)pos);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		pos += (uint64_t)w;
	}
	free(z);
	return r;
}

static int raw_truncate(struct blk *b, uint64_t size, bool shrink, char *err,
			size_t errlen)
{
	struct raw *s = b->opaque;
	if (s->f.is_bdev) {
		int64_t dev = blk_file_size(&s->f);
		if (dev >= 0 && (uint64_t)dev == size)
			return 0;
		blk_err(err, errlen, "'%s' is a block device: its size (%lld bytes) cannot "
			"be changed", b->filename, (long long)dev);
		return -ENOTSUP;
	}
	if (ftruncate(s->f.mfd, (off_t)size) < 0) {
		int e = errno;
		blk_err(err, errlen, "Could not resize '%s': %s", b->filename, strerror(e));
		return -e;
	}
	b->size = size;
	return 0;
}

static int raw_get_info(struct blk *b, struct blk_info *info)
{
	struct raw *s = b->opaque;
	info->actual_size = blk_file_allocated(&s->f);
	return 0;
}

static int raw_create(const char *fn, const struct blk_create_opts *o,
		      struct aio_engine *e, char *err, size_t errlen)
{
	if (o->backing_file) {
		blk_err(err, errlen, "Format raw does not support backing files");
		return -EINVAL;
	}
	if (o->prealloc == BLK_PREALLOC_METADATA) {
		blk_err(err, errlen, "Format raw does not support preallocation=metadata");
		return -EINVAL;
	}
	int fd = open(fn, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		int ev = errno;
		blk_err(err, errlen, "Could not create '%s': %s", fn, strerror(ev));
		return -ev;
	}
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		close(fd);
		return 0; /* a device has its size; nothing to lay out */
	}
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)o->size) < 0)
		r = -errno;
	if (!r)
		r = raw_prealloc(fd, 0, o->size, o->prealloc);
	if (!r && o->prealloc != BLK_PREALLOC_OFF && fdatasync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		blk_err(err, errlen, "Could not create '%s': %s", fn, strerror(-r));
	return r;
}

const struct blk_driver blk_raw_driver = {
	.name = "raw",
	.probe = raw_probe,
	.open = raw_open,
	.close = raw_close,
	.submit = raw_submit,
	.block_status = raw_block_status,
	.truncate = raw_truncate,
	.get_info = raw_get_info,
	.create = raw_create,
};
