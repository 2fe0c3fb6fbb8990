/*
 * qcow2-l2-cache.c - the L2 slice cache: a request that misses loads the
 * slice with aio and completes later (the loop is not blocked); a second
 * request in the same cached slice is answered from memory; concurrent
 * misses on one slice share the load; a tiny user-set cache
 * (l2_cache_bytes) still reads everything right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct rd {
	struct blk_req r;
	struct iovec iov;
	uint8_t buf[4096];
	bool done;
	int res;
};

static void rd_done(struct blk_req *r, int res)
{
	struct rd *d = r->opaque;
	d->done = true;
	d->res = res;
}

static void submit_read(struct blk *b, struct rd *d, uint64_t off)
{
	memset(d, 0, sizeof(*d));
	d->iov = (struct iovec){ d->buf, sizeof(d->buf) };
	d->r = (struct blk_req){ .op = BLK_READ, .offset = off, .iov = &d->iov, .iovcnt = 1,
				 .done = rd_done, .opaque = d };
	CHECK_EQ(blk_submit(b, &d->r), 0);
}

int main(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("l2.qcow2");
	uint64_t size = 64 << 20;
	struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = 65536 };
	tb_create(&t, p, &co);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR);
	uint8_t *shadow = calloc(1, size);
	for (uint64_t off = 0; off < size; off += 3 << 20) { /* sparse data everywhere */
		memset(shadow + off, (int)(off >> 20) + 1, 4096);
		CHECK_EQ(blk_pwrite(b, off, shadow + off, 4096), 0);
	}
	CHECK_EQ(blk_close(b), 0);

	b = tb_open(&t, p, NULL, 0); /* cold cache */
	static struct rd a, c, d;
	submit_read(b, &a, 1 << 20); /* unallocated cluster, slice not cached */
	CHECK(!a.done);              /* waits for the asynchronous slice read */
	submit_read(b, &c, (1 << 20) + 65536); /* same slice: shares the load */
	CHECK(!c.done);
	while (!a.done || !c.done)
		loop_run_once(t.loop, -1);
	CHECK_EQ(a.res, 0);
	CHECK_EQ(c.res, 0);
	CHECK(a.buf[0] == 0 && a.buf[4095] == 0);
	submit_read(b, &d, (1 << 20) + 2 * 65536); /* cached now: answered at once */
	CHECK(d.done);
	CHECK_EQ(d.res, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);

	/* a cache of a few slices for a 64 MiB image */
	struct blk_open_opts o = { .filename = p, .l2_cache_bytes = 8192 };
	char err[256];
	REQUIRE(blk_open(&b, t.e, &o, err, sizeof(err)) == 0);
	tb_verify(b, shadow, size);
	for (int i = 0; i < 200; i++) {
		uint64_t off = (t_rand() % (size / 4096)) * 4096;
		struct rd x;
		submit_read(b, &x, off);
		while (!x.done)
			loop_run_once(t.loop, -1);
		CHECK(x.res == 0 && !memcmp(x.buf, shadow + off, 4096));
	}
	CHECK_EQ(blk_close(b), 0);
	free(shadow);
	tb_fini(&t);
	return t_finish();
}
