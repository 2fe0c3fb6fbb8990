/*
 * qcow2-comp.c - compressed clusters: zlib/zstd (de)compression of one
 * cluster, packing compressed data into host clusters, linking an L2 entry
 * to it, and the synchronous compressed-write call (blk_write_compressed).
 * The asynchronous path (BLK_WRITE with BLK_F_COMPRESSED, used by convert
 * -c) is in qcow2-io.c and uses these helpers; the CPU work of compressing
 * runs on the loop thread either way.
 *
 * Threading: loop thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef RINGVM_HAVE_ZSTD
#include <zstd.h>
#endif

#include "block/qcow2.h"

int q_decompress(const struct qcow2 *q, const void *src, size_t slen, void *dst,
		 size_t dlen)
{
	if (q->compression_type == 1) {
#ifdef RINGVM_HAVE_ZSTD
		ZSTD_DStream *z = ZSTD_createDStream();
		if (!z)
			return -ENOMEM;
		ZSTD_initDStream(z);
		ZSTD_inBuffer in = { src, slen, 0 };
		ZSTD_outBuffer out = { dst, dlen, 0 };
		while (out.pos < out.size && in.pos < in.size) {
			size_t r = ZSTD_decompressStream(z, &out, &in);
			if (ZSTD_isError(r) || r == 0)
				break;
		}
		ZSTD_freeDStream(z);
		return out.pos == dlen ? 0 : -EIO;
#else
		return -ENOTSUP;
#endif
	}
	z_stream zs = { 0 };
	if (inflateInit2(&zs, -12) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)src;
	zs.avail_in = (uInt)slen;
	zs.next_out = dst;
	zs.avail_out = (uInt)dlen;
	int r = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if ((r == Z_STREAM_END || r == Z_BUF_ERROR || r == Z_OK) && zs.avail_out == 0)
		return 0;
	return -EIO;
}

long q_compress(const struct qcow2 *q, const void *src, size_t len, uint8_t *dst,
		size_t dlen)
{
	if (q->compression_type == 1) {
#ifdef RINGVM_HAVE_ZSTD
		size_t r = ZSTD_compress(dst, dlen, src, len, 3);
		return ZSTD_isError(r) ? -1 : (long)r;
#else
		return -1;
#endif
	}
	z_stream zs = { 0 };
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)src;
	zs.avail_in = (uInt)len;
	zs.next_out = dst;
	zs.avail_out = (uInt)dlen;
	int r = deflate(&zs, Z_FINISH);
	long out = (long)(dlen - zs.avail_out);
	deflateEnd(&zs);
	return r == Z_STREAM_END ? out : -1;
}

/* Host bytes for compressed data: packed after the previous compressed
 * cluster when it fits, else fresh clusters. Refcounts count every
 * descriptor that touches a cluster. */
int64_t q_comp_alloc(struct qcow2 *q, uint64_t len)
{
	uint64_t cs = q->cluster_size;
	if (q->comp_next && (q->comp_next & (cs - 1)) + len <= cs) {
		uint64_t at = q->comp_next;
		int r = q_refcount_add(q, at / cs, 1);
		if (r < 0)
			return r;
		q->comp_next = (at + len) & (cs - 1) ? at + len : 0;
		return (int64_t)at;
	}
	int64_t at = q_alloc_clusters(q, (len + cs - 1) / cs);
	if (at < 0)
		return at;
	q->comp_next = ((uint64_t)at + len) & (cs - 1) ? (uint64_t)at + len : 0;
	return at;
}

/* Point the L2 entry of guest cluster goff at clen compressed bytes at
 * host offset at; the old mapping's reference is dropped (deferred). */
int q_comp_link(struct qcow2 *q, uint64_t goff, uint64_t at, uint64_t clen)
{
	unsigned x = 62 - (q->cluster_bits - 8);
	uint64_t nsec = ((at + clen - 1) >> 9) - (at >> 9);
	uint64_t *p;
	int r = q_l2_prepare_write(q, goff, &p);
	if (r < 0)
		return r;
	uint64_t old = __builtin_bswap64(*p);
	*p = __builtin_bswap64(Q_COMPRESSED | (nsec << x) | at);
	if (q->extl2)
		p[1] = 0; /* compressed clusters have no subclusters */
	return ((old & Q_COMPRESSED) || (old & Q_OFFSET_MASK)) ? q_defer_free_entry(q, old) : 0;
}

struct comp_sync {
	bool done;
	int res;
};

static void comp_sync_done(struct blk_req *r, int res)
{
	struct comp_sync *c = r->opaque;
	c->res = res;
	c->done = true;
}

/* One cluster through the asynchronous path, waited for. */
int q_write_compressed(struct blk *b, uint64_t off, const void *buf, size_t len)
{
	struct qcow2 *q = b->opaque;
	uint64_t cs = q->cluster_size;
	if ((off & (cs - 1)) || (len != cs && off + len != q->size) || len > cs)
		return -EINVAL;
	struct comp_sync c = { 0 };
	struct iovec iov = { (void *)buf, len };
	struct blk_req r = { .op = BLK_WRITE, .flags = BLK_F_COMPRESSED, .offset = off,
			     .iov = &iov, .iovcnt = 1, .done = comp_sync_done, .opaque = &c };
	int ret = q_submit(b, &r);
	if (ret < 0)
		return ret;
	ret = blk_wait(b, &c.done);
	return ret < 0 ? ret : c.res;
}
