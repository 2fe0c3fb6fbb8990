/*
 * bench.c - `bench`: a fixed number of reads or writes of one size,
 * stepping through the image, with `depth` requests kept in flight
 * through the block layer's async requests on the chosen aio engine.
 * Output and wrap-around follow qemu-img bench so the two compare.
 * Single-threaded: callbacks only free their slot; the driver refills.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "img.h"

struct bn_slot {
	struct bench *bn;
	struct blk_req req;
	struct iovec iov;
	uint8_t *buf;
	struct bn_slot *next_free;
};

struct bench {
	struct blk *b;
	struct bn_slot *slots, *free;
	unsigned inflight;
	uint64_t submitted, count, offset, step, size, image_size, since_flush;
	unsigned flush_interval;
	bool write, drain, flushing;
	int err;
	struct bn_slot flush_slot;
};

static void bn_done(struct blk_req *r, int res)
{
	struct bn_slot *s = r->opaque;
	struct bench *bn = s->bn;
	bn->inflight--;
	if (res < 0 && !bn->err)
		bn->err = res;
	if (s == &bn->flush_slot) {
		bn->flushing = false;
		return;
	}
	s->next_free = bn->free;
	bn->free = s;
}

static int bn_submit(struct bench *bn, struct bn_slot *s, uint8_t op, uint64_t off)
{
	memset(&s->req, 0, sizeof(s->req));
	s->req.op = op;
	s->req.offset = off;
	s->req.done = bn_done;
	s->req.opaque = s;
	if (op != BLK_FLUSH) {
		s->iov.iov_base = s->buf;
		s->iov.iov_len = bn->size;
		s->req.iov = &s->iov;
		s->req.iovcnt = 1;
	}
	bn->inflight++;
	int r = blk_submit(bn->b, &s->req);
	if (r < 0) {
		bn->inflight--;
		if (!bn->err)
			bn->err = r;
	}
	return r;
}

/* Queue what may be queued now. */
static void bn_fill(struct bench *bn)
{
	while (!bn->err && !bn->flushing && bn->submitted < bn->count && bn->free) {
		if (bn->flush_interval && bn->since_flush >= bn->flush_interval) {
			if (bn->drain && bn->inflight)
				return;
			bn->since_flush = 0;
			bn->flushing = true;
			bn_submit(bn, &bn->flush_slot, BLK_FLUSH, 0);
			continue;
		}
		struct bn_slot *s = bn->free;
		bn->free = s->next_free;
		uint64_t off = bn->offset;
		bn->submitted++;
		bn->since_flush++;
		bn->offset += bn->step;
		if (bn->image_size <= bn->size)
			bn->offset = 0;
		else
			bn->offset %= bn->image_size - bn->size;
		if (bn_submit(bn, s, bn->write ? BLK_WRITE : BLK_READ, off) < 0) {
			s->next_free = bn->free;
			bn->free = s;
		}
	}
}

/* The request buffers, 2 MiB aligned and (where the kernel allows)
 * backed by transparent huge pages: an O_DIRECT request then covers few
 * physically contiguous segments, so the device sees one request per
 * 1 MiB instead of a split one. */
static uint8_t *bn_alloc(size_t len)
{
	size_t huge = 2u << 20;
	void *p = NULL;
	len = (len + huge - 1) & ~(huge - 1);
	if (posix_memalign(&p, huge, len))
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE); /* a hint: fine if refused */
	return p;
}

struct bn_args {
	const char *fmt;
	uint64_t count, depth, size, step, offset;
	unsigned flags, flush_interval;
	int pattern;
	enum aio_engine_kind kind;
	bool write, quiet, drain, step_set;
};

static int bn_parse(int argc, char **argv, struct bn_args *a)
{
	enum { OPT_FLUSH = 256, OPT_NODRAIN, OPT_PATTERN };
	static const struct option lo[] = {
		{ "flush-interval", required_argument, 0, OPT_FLUSH },
		{ "no-drain", no_argument, 0, OPT_NODRAIN },
		{ "pattern", required_argument, 0, OPT_PATTERN },
		{ "force-share", no_argument, 0, 'U' },
		{ 0 } };
	int c;
	char *end;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:c:d:f:i:no:qs:S:t:wU", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->count = strtoull(optarg, &end, 10);
			if (*end || !a->count || optarg[0] == '-')
				return img_usage("bench", "-c needs a positive request count, not '%s'", optarg);
			break;
		case 'd':
			a->depth = strtoull(optarg, &end, 10);
			if (*end || !a->depth || a->depth > 4096 || optarg[0] == '-')
				return img_usage("bench", "-d needs a queue depth from 1 to 4096, not '%s'", optarg);
			break;
		case 'f': a->fmt = optarg; break;
		case 'i':
			if (aio_engine_parse(optarg, &a->kind) < 0)
				return img_usage("bench", "-i must be io_uring, native or threads, not '%s'", optarg);
			break;
		case 'n': a->kind = AIO_ENGINE_NATIVE; break;
		case 'o':
			if (img_parse_size(optarg, &a->offset) < 0)
				return img_usage("bench", "invalid offset '%s'", optarg);
			break;
		case 'q': a->quiet = true; break;
		case 's':
			if (img_parse_size(optarg, &a->size) < 0 || !a->size || a->size > (64u << 20))
				return img_usage("bench", "-s needs a buffer size from 1 byte to 64M, not '%s'", optarg);
			break;
		case 'S':
			if (img_parse_size(optarg, &a->step) < 0)
				return img_usage("bench", "invalid step size '%s'", optarg);
			a->step_set = true;
			break;
		case 't':
			if (img_parse_cache(optarg, &a->flags) < 0)
				return img_usage("bench", "unknown cache mode '%s'", optarg);
			break;
		case 'w': a->write = true; break;
		case 'U': a->flags |= BLK_O_FORCE_SHARE; break;
		case OPT_FLUSH: {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !v || v > UINT32_MAX)
				return img_usage("bench", "--flush-interval needs a positive count, not '%s'", optarg);
			a->flush_interval = (unsigned)v;
			break;
		}
		case OPT_NODRAIN: a->drain = false; break;
		case OPT_PATTERN: {
			unsigned long v = strtoul(optarg, &end, 0);
			if (*end || v > 255)
				return img_usage("bench", "--pattern needs a byte value (0..255), not '%s'", optarg);
			a->pattern = (int)v;
			break;
		}
		default: return img_badopt("bench", c, argv);
		}
	}
	if (optind != argc - 1)
		return img_usage("bench", "expects exactly one file name");
	if (a->flush_interval && !a->write)
		return img_usage("bench", "--flush-interval is only for write tests (-w)");
	if (!a->step_set)
		a->step = a->size;
	if (a->write && (a->flags & BLK_O_FORCE_SHARE))
		return img_usage("bench", "-U is not allowed with -w");
	return 0;
}

static int bn_run(struct img_ctx *ctx, struct bench *bn, double *secs)
{
	uint64_t t0 = loop_now_ns();
	for (;;) {
		bn_fill(bn);
		if (!bn->inflight) {
			if (bn->err || bn->submitted >= bn->count)
				break;
			continue;
		}
		int r = loop_run_once(ctx->loop, -1);
		if (r < 0 && !bn->err)
			bn->err = r;
	}
	*secs = (double)(loop_now_ns() - t0) / 1e9;
	return bn->err;
}

int img_cmd_bench(int argc, char **argv)
{
	struct bn_args a = { .count = 75000, .depth = 64, .size = 4096, .drain = true };
	if (bn_parse(argc, argv, &a))
		return 1;
	const char *file = argv[optind];
	struct img_ctx ctx;
	if (img_ctx_init(&ctx, a.kind) < 0)
		return 1;
	struct bench bn = { .count = a.count, .offset = a.offset, .step = a.step, .size = a.size,
			    .write = a.write, .drain = a.drain, .flush_interval = a.flush_interval };
	int ret = 1;
	uint8_t *bufs = NULL;
	if (img_open(&ctx, &bn.b, file, a.fmt, a.flags | (a.write ? BLK_O_RDWR : 0)) < 0)
		goto out;
	bn.image_size = blk_size(bn.b);
	unsigned al = blk_align(bn.b);
	if (al > 1 && (a.size % al || a.offset % al || a.step % al)) {
		img_err("with this cache mode, -s, -o and -S must be multiples of %u bytes.", al);
		goto out_blk;
	}
	if (a.offset >= bn.image_size) {
		img_err("offset %" PRIu64 " is past the end of '%s' (%" PRIu64 " bytes).", a.offset, file,
			bn.image_size);
		goto out_blk;
	}
	/* one buffer for all slots, as qemu-img bench does: the same memory
	 * layout (and page pinning cost for O_DIRECT) on both sides */
	uint64_t stride = (a.size + 4095) & ~(uint64_t)4095;
	bn.slots = calloc(a.depth, sizeof(*bn.slots));
	bufs = bn.slots ? bn_alloc(stride * a.depth) : NULL;
	if (!bufs) {
		img_err("out of memory for %" PRIu64 " buffers of %" PRIu64 " bytes.", a.depth, a.size);
		goto out_slots;
	}
	memset(bufs, a.pattern, stride * a.depth);
	/* fixed buffers (io_uring): no page pinning per request. Optional,
	 * and in 1 GiB pieces (the kernel's limit per buffer) */
	struct iovec reg[16];
	unsigned nreg = 0;
	for (uint64_t at = 0, all = stride * a.depth; at < all && nreg < 16; nreg++) {
		uint64_t n = all - at < (1ull << 30) ? all - at : (1ull << 30);
		reg[nreg] = (struct iovec){ bufs + at, n };
		at += n;
	}
	(void)aio_register_buffers(ctx.eng, reg, nreg);
	bn.flush_slot.bn = &bn;
	for (uint64_t i = 0; i < a.depth; i++) {
		struct bn_slot *s = &bn.slots[i];
		s->bn = &bn;
		s->buf = bufs + i * stride;
		s->next_free = bn.free;
		bn.free = s;
	}
	if (!a.quiet) {
		printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, %" PRIu64
		       " in parallel (starting at offset %" PRIu64 ", step size %" PRIu64 ")\n",
		       a.count, a.write ? "write" : "read", a.size, a.depth, a.offset, a.step);
		if (a.flush_interval)
			printf("Sending flush every %u requests\n", a.flush_interval);
		fflush(stdout);
	}
	double secs;
	int r = bn_run(&ctx, &bn, &secs);
	if (r < 0) {
		img_err("%s request on '%s' failed: %s.", a.write ? "a write" : "a read", file, strerror(-r));
		goto out_slots;
	}
	if (!a.quiet)
		printf("Run completed in %3.3f seconds.\n", secs);
	ret = 0;
out_slots:
	free(bufs);
	free(bn.slots);
out_blk:
	blk_close(bn.b);
out:
	img_ctx_fini(&ctx);
	return ret;
}
