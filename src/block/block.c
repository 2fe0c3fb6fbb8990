/*
 * block.c - the driver-independent half of the block layer: open/probe,
 * backing chains, request validation and dispatch to the driver's ops
 * table, FUA/writethrough, synchronous helpers, iovec utilities.
 *
 * Threading: every function runs on the loop thread of the blk's engine.
 * Ownership: struct blk and its filename belong to this file; the driver
 * owns blk->opaque. r->priv[4..5] of a request belong to this file,
 * priv[0..3] to the driver.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block-int.h"

static const struct blk_driver *const drivers[] = { &blk_qcow2_driver, &blk_raw_driver };

void blk_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static const struct blk_driver *find_driver(const char *name)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(drivers[i]->name, name))
			return drivers[i];
	return NULL;
}

static int probe_format(const char *path, const struct blk_driver **out, char *err,
			size_t errlen)
{
	uint8_t buf[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		blk_err(err, errlen, "Could not open '%s': %s", path, strerror(e));
		return -e;
	}
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	int e = errno;
	close(fd);
	if (n < 0) {
		blk_err(err, errlen, "Could not read '%s': %s", path, strerror(e));
		return -e;
	}
	int best = -1;
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		int s = drivers[i]->probe ? drivers[i]->probe(buf, (size_t)n) : 0;
		if (s > best) {
			best = s;
			*out = drivers[i];
		}
	}
	return 0;
}

/* Names of the images being opened on this thread, top first: a backing
 * file that is already on this list is a loop. */
enum { CHAIN_MAX = 512 };
static __thread char *chain[CHAIN_MAX];
static __thread int chain_len;

static int open_at_depth(struct blk **out, struct aio_engine *e,
			 const struct blk_open_opts *o, int depth, char *err, size_t errlen)
{
	const struct blk_driver *drv = NULL;
	if (!o || !o->filename || !*o->filename) {
		blk_err(err, errlen, "No image file name given");
		return -EINVAL;
	}
	if ((o->flags & BLK_O_FORCE_SHARE) && (o->flags & BLK_O_RDWR)) {
		blk_err(err, errlen, "'%s': force-share (-U) needs a read-only open",
			o->filename);
		return -EINVAL;
	}
	if (o->format && *o->format) {
		drv = find_driver(o->format);
		if (!drv) {
			blk_err(err, errlen, "Unknown image format '%s' for '%s' (raw or qcow2)",
				o->format, o->filename);
			return -EINVAL;
		}
	} else {
		int r = probe_format(o->filename, &drv, err, errlen);
		if (r < 0)
			return r;
	}
	char real[PATH_MAX];
	if (!realpath(o->filename, real))
		snprintf(real, sizeof(real), "%s", o->filename);
	for (int i = 0; i < chain_len; i++) {
		if (!strcmp(chain[i], real)) {
			blk_err(err, errlen, "Backing file loop: '%s' is already in the "
				"backing chain being opened", o->filename);
			return -ELOOP;
		}
	}
	if (chain_len >= CHAIN_MAX) {
		blk_err(err, errlen, "Backing chain of '%s' is deeper than %d images",
			o->filename, CHAIN_MAX);
		return -ELOOP;
	}
	if (o->snapshot && drv != &blk_qcow2_driver) {
		blk_err(err, errlen, "'%s' is a %s image: it has no internal snapshot '%s'",
			o->filename, drv->name, o->snapshot);
		return -ENOTSUP;
	}
	struct blk *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->drv = drv;
	b->engine = e;
	b->loop = aio_engine_loop(e);
	b->filename = strdup(o->filename);
	b->flags = o->flags;
	b->depth = depth;
	b->align = 1;
	chain[chain_len++] = strdup(real);
	int r = b->filename ? drv->open(b, o, err, errlen) : -ENOMEM;
	free(chain[--chain_len]);
	if (r < 0) {
		free(b->filename);
		free(b);
		return r;
	}
	*out = b;
	return 0;
}

int blk_open(struct blk **out, struct aio_engine *e, const struct blk_open_opts *o,
	     char *errbuf, size_t errlen)
{
	if (errbuf && errlen)
		errbuf[0] = 0;
	return open_at_depth(out, e, o, 0, errbuf, errlen);
}

int blk_open_backing(struct blk *child, const char *name, const char *fmt, char *err,
		     size_t errlen)
{
	char path[PATH_MAX * 2];
	if (name[0] == '/' || !strchr(child->filename, '/')) {
		snprintf(path, sizeof(path), "%s", name);
	} else {
		char *dup = strdup(child->filename);
		if (!dup)
			return -ENOMEM;
		snprintf(path, sizeof(path), "%s/%s", dirname(dup), name);
		free(dup);
	}
	struct blk_open_opts o = {
		.filename = path,
		.format = fmt && *fmt ? fmt : NULL,
		/* backing files are read-only, and shared with other readers */
		.flags = (child->flags & (BLK_O_DIRECT | BLK_O_NO_LOCK | BLK_O_FORCE_SHARE)),
	};
	char sub[1024] = "";
	int r = open_at_depth(&child->backing, child->engine, &o, child->depth + 1, sub,
			      sizeof(sub));
	if (r < 0) {
		if (r == -ELOOP)
			blk_err(err, errlen, "%s", sub);
		else
			blk_err(err, errlen, "Could not open backing file of '%s': %s",
				child->filename, sub);
	}
	return r;
}

int blk_close(struct blk *b)
{
	if (!b)
		return 0;
	int r = b->drv->close(b);
	if (b->backing) {
		int r2 = blk_close(b->backing);
		if (!r)
			r = r2;
	}
	free(b->filename);
	free(b);
	return r;
}

/* ---- requests -------------------------------------------------------- */

size_t blk_iov_size(const struct iovec *iov, unsigned cnt)
{
	size_t n = 0;
	for (unsigned i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

static bool iov_aligned(const struct iovec *iov, unsigned cnt, unsigned align)
{
	for (unsigned i = 0; i < cnt; i++)
		if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (align - 1))
			return false;
	return true;
}

/* FUA / writethrough: after a successful write, flush before done(). */
static void fua_flushed(struct blk_req *f, int res)
{
	struct blk_req *r = f->opaque;
	free(f);
	r->done(r, res);
}

void blk_req_finish(struct blk *b, struct blk_req *r, int res)
{
	bool need_flush = res == 0 && r->op == BLK_WRITE &&
		((r->flags & BLK_F_FUA) || (b->flags & BLK_O_WRITETHROUGH)) &&
		!(b->flags & BLK_O_NO_FLUSH);
	if (need_flush) {
		struct blk_req *f = calloc(1, sizeof(*f));
		if (f) {
			f->op = BLK_FLUSH;
			f->done = fua_flushed;
			f->opaque = r;
			if (b->drv->submit(b, f) == 0)
				return;
			free(f);
		}
		res = -EIO;
	}
	r->done(r, res);
}

int blk_submit(struct blk *b, struct blk_req *r)
{
	uint64_t len;
	switch (r->op) {
	case BLK_READ:
	case BLK_WRITE:
		len = blk_iov_size(r->iov, r->iovcnt);
		if (r->op == BLK_WRITE && !(b->flags & BLK_O_RDWR))
			return -EROFS;
		if (b->align > 1 && ((r->offset & (b->align - 1)) ||
				     !iov_aligned(r->iov, r->iovcnt, b->align)))
			return -EINVAL;
		break;
	case BLK_FLUSH:
		if (b->flags & BLK_O_NO_FLUSH || !(b->flags & BLK_O_RDWR)) {
			r->done(r, 0);
			return 0;
		}
		return b->drv->submit(b, r);
	case BLK_DISCARD:
	case BLK_WRITE_ZEROES:
		len = r->len;
		break;
	default:
		return -EINVAL;
	}
	if (r->offset > b->size || len > b->size - r->offset)
		return -ERANGE;
	if (r->op != BLK_READ && !(b->flags & BLK_O_RDWR))
		return -EROFS;
	if (len == 0 || (r->op == BLK_DISCARD && !(b->flags & BLK_O_DISCARD) &&
			 !(r->flags & BLK_F_UNALLOCATE))) {
		r->done(r, 0);
		return 0;
	}
	return b->drv->submit(b, r);
}

int blk_wait_engine(struct aio_engine *e, const bool *done)
{
	struct loop *l = aio_engine_loop(e);
	while (!*done) {
		int r = loop_run_once(l, -1);
		if (r < 0 && r != -EINTR)
			return r;
	}
	return 0;
}

int blk_wait(struct blk *b, const bool *done)
{
	return blk_wait_engine(b->engine, done);
}

struct sync_ctx {
	bool done;
	int res;
};

static void sync_done(struct blk_req *r, int res)
{
	struct sync_ctx *c = r->opaque;
	c->res = res;
	c->done = true;
}

static int sync_req(struct blk *b, struct blk_req *r)
{
	struct sync_ctx c = { 0 };
	r->done = sync_done;
	r->opaque = &c;
	int ret = blk_submit(b, r);
	if (ret < 0)
		return ret;
	ret = blk_wait(b, &c.done);
	return ret < 0 ? ret : c.res;
}

int blk_pread(struct blk *b, uint64_t off, void *buf, size_t len)
{
	struct iovec iov = { buf, len };
	struct blk_req r = { .op = BLK_READ, .offset = off, .iov = &iov, .iovcnt = 1 };
	return sync_req(b, &r);
}

int blk_pwrite(struct blk *b, uint64_t off, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	struct blk_req r = { .op = BLK_WRITE, .offset = off, .iov = &iov, .iovcnt = 1 };
	return sync_req(b, &r);
}

int blk_flush_sync(struct blk *b)
{
	struct blk_req r = { .op = BLK_FLUSH };
	return sync_req(b, &r);
}

int blk_pwrite_zeroes(struct blk *b, uint64_t off, uint64_t len, unsigned flags)
{
	struct blk_req r = { .op = BLK_WRITE_ZEROES, .offset = off, .len = len,
			     .flags = flags };
	return sync_req(b, &r);
}

int blk_discard_sync(struct blk *b, uint64_t off, uint64_t len)
{
	struct blk_req r = { .op = BLK_DISCARD, .offset = off, .len = len };
	return sync_req(b, &r);
}

int blk_make_empty(struct blk *b)
{
	if (strcmp(b->drv->name, "qcow2"))
		return -ENOTSUP;
	if (!(b->flags & BLK_O_RDWR))
		return -EROFS;
	struct blk_req r = { .op = BLK_DISCARD, .flags = BLK_F_UNALLOCATE, .offset = 0,
			     .len = b->size };
	int ret = b->size ? sync_req(b, &r) : 0;
	return ret < 0 ? ret : blk_flush_sync(b);
}

/* ---- facts ----------------------------------------------------------- */

uint64_t blk_size(const struct blk *b) { return b->size; }
const char *blk_format(const struct blk *b) { return b->drv->name; }
const char *blk_filename(const struct blk *b) { return b->filename; }
struct blk *blk_backing(const struct blk *b) { return b->backing; }
bool blk_read_only(const struct blk *b) { return !(b->flags & BLK_O_RDWR); }
unsigned blk_align(const struct blk *b) { return b->align; }

int blk_get_info(struct blk *b, struct blk_info *info)
{
	memset(info, 0, sizeof(*info));
	info->virtual_size = b->size;
	return b->drv->get_info ? b->drv->get_info(b, info) : 0;
}

int blk_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_status *st)
{
	memset(st, 0, sizeof(*st));
	if (off >= b->size || len == 0)
		return -ERANGE;
	if (len > b->size - off)
		len = b->size - off;
	return b->drv->block_status(b, off, len, st);
}

int blk_create(const char *filename, const struct blk_create_opts *o,
	       struct aio_engine *e, char *errbuf, size_t errlen)
{
	const struct blk_driver *drv = find_driver(o->format ? o->format : "raw");
	if (!drv || !drv->create) {
		blk_err(errbuf, errlen, "Unknown image format '%s' (raw or qcow2)",
			o->format ? o->format : "");
		return -EINVAL;
	}
	return drv->create(filename, o, e, errbuf, errlen);
}

int blk_truncate(struct blk *b, uint64_t size, bool allow_shrink, char *errbuf,
		 size_t errlen)
{
	if (!(b->flags & BLK_O_RDWR)) {
		blk_err(errbuf, errlen, "'%s' is open read-only", b->filename);
		return -EROFS;
	}
	if (size < b->size && !allow_shrink) {
		blk_err(errbuf, errlen, "Shrinking '%s' needs --shrink (data past the new "
			"size is lost)", b->filename);
		return -EINVAL;
	}
	if (!b->drv->truncate) {
		blk_err(errbuf, errlen, "Format %s cannot be resized", b->drv->name);
		return -ENOTSUP;
	}
	return b->drv->truncate(b, size, allow_shrink, errbuf, errlen);
}

int blk_change_backing(struct blk *b, const char *file, const char *fmt)
{
	if (!(b->flags & BLK_O_RDWR))
		return -EROFS;
	return b->drv->change_backing ? b->drv->change_backing(b, file, fmt) : -ENOTSUP;
}

int blk_check(struct blk *b, unsigned fix, struct blk_check_result *res,
	      void (*report)(void *ctx, const char *line), void *ctx)
{
	memset(res, 0, sizeof(*res));
	if (fix && !(b->flags & BLK_O_RDWR))
		return -EROFS;
	return b->drv->check ? b->drv->check(b, fix, res, report, ctx) : -ENOTSUP;
}

#define SNAP_CALL(fn, ...)                                                     \
	do {                                                                   \
		if (!b->drv->fn) {                                             \
			blk_err(errbuf, errlen, "Format %s has no internal snapshots", \
				b->drv->name);                                 \
			return -ENOTSUP;                                       \
		}                                                              \
		if (!(b->flags & BLK_O_RDWR)) {                                \
			blk_err(errbuf, errlen, "'%s' is open read-only", b->filename); \
			return -EROFS;                                         \
		}                                                              \
		return b->drv->fn(b, __VA_ARGS__);                             \
	} while (0)

int blk_snapshot_list(struct blk *b, struct blk_snapshot *out, unsigned max)
{
	return b->drv->snapshot_list ? b->drv->snapshot_list(b, out, max) : 0;
}

int blk_snapshot_create(struct blk *b, const char *name, uint64_t vm_state_size,
			char *errbuf, size_t errlen)
{
	SNAP_CALL(snapshot_create, name, vm_state_size, errbuf, errlen);
}

int blk_snapshot_apply(struct blk *b, const char *id_or_name, char *errbuf, size_t errlen)
{
	SNAP_CALL(snapshot_apply, id_or_name, errbuf, errlen);
}

int blk_snapshot_delete(struct blk *b, const char *id_or_name, char *errbuf, size_t errlen)
{
	SNAP_CALL(snapshot_delete, id_or_name, errbuf, errlen);
}

int blk_vmstate_write(struct blk *b, uint64_t pos, const void *buf, size_t len)
{
	if (!(b->flags & BLK_O_RDWR))
		return -EROFS;
	return b->drv->vmstate_rw ? b->drv->vmstate_rw(b, pos, (void *)buf, len, true)
				  : -ENOTSUP;
}

int blk_vmstate_read(struct blk *b, uint64_t pos, void *buf, size_t len)
{
	return b->drv->vmstate_rw ? b->drv->vmstate_rw(b, pos, buf, len, false) : -ENOTSUP;
}

int blk_write_compressed(struct blk *b, uint64_t off, const void *buf, size_t len)
{
	if (!(b->flags & BLK_O_RDWR))
		return -EROFS;
	if (off > b->size || len > b->size - off)
		return -ERANGE;
	if (!b->drv->write_compressed)
		return blk_pwrite(b, off, buf, len);
	return b->drv->write_compressed(b, off, buf, len);
}

uint32_t blk_cluster_size(const struct blk *b)
{
	struct blk_info info;
	if (blk_get_info((struct blk *)b, &info) < 0)
		return 0;
	return info.cluster_size;
}

/* ---- iovec helpers ---------------------------------------------------- */

int blk_iov_slice(const struct iovec *src, unsigned cnt, size_t off, size_t len,
		  struct iovec *dst, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < cnt && len; i++) {
		if (off >= src[i].iov_len) {
			off -= src[i].iov_len;
			continue;
		}
		size_t take = src[i].iov_len - off;
		if (take > len)
			take = len;
		if (n == max)
			return -E2BIG;
		dst[n].iov_base = (char *)src[i].iov_base + off;
		dst[n].iov_len = take;
		n++;
		len -= take;
		off = 0;
	}
	return (int)n;
}

#define IOV_WALK(iov, cnt, off, len, body)                                     \
	for (unsigned _i = 0; _i < (cnt) && (len); _i++) {                     \
		if ((off) >= (iov)[_i].iov_len) {                              \
			(off) -= (iov)[_i].iov_len;                            \
			continue;                                              \
		}                                                              \
		size_t _n = (iov)[_i].iov_len - (off);                         \
		if (_n > (len))                                                \
			_n = (len);                                            \
		char *_p = (char *)(iov)[_i].iov_base + (off);                 \
		body;                                                          \
		(len) -= _n;                                                   \
		(off) = 0;                                                     \
	}

void blk_iov_memset(const struct iovec *iov, unsigned cnt, size_t off, int c, size_t len)
{
	IOV_WALK(iov, cnt, off, len, memset(_p, c, _n));
}

void blk_iov_to_buf(const struct iovec *iov, unsigned cnt, size_t off, void *buf,
		    size_t len)
{
	char *d = buf;
	IOV_WALK(iov, cnt, off, len, { memcpy(d, _p, _n); d += _n; });
}

void blk_iov_from_buf(const struct iovec *iov, unsigned cnt, size_t off,
		      const void *buf, size_t len)
{
	const char *s = buf;
	IOV_WALK(iov, cnt, off, len, { memcpy(_p, s, _n); s += _n; });
}
