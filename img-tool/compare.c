/*
 * compare.c - `compare`: do two images read the same? Exit 0 identical,
 * 1 different, 2 open error, 3 allocation-status error, 4 read error (as
 * qemu-img documents). Regions that read as zero in both are not read.
 * Single-threaded; synchronous reads of 1 MiB.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

#define CMP_CHUNK (1u << 20)

struct cmp {
	struct blk *b[2];
	const char *name[2];
	uint8_t *buf[2];
	bool strict, quiet;
	struct img_progress prog;
	uint64_t total;
};

static bool st_zero(const struct blk_status *s)
{
	return (s->flags & BLK_STATUS_ZERO) || !(s->flags & BLK_STATUS_DATA);
}

static bool st_present(const struct blk_status *s)
{
	return (s->flags & (BLK_STATUS_DATA | BLK_STATUS_ALLOCATED)) != 0;
}

static int cmp_status(struct cmp *c, int i, uint64_t off, uint64_t len, struct blk_status *st)
{
	int r = blk_block_status(c->b[i], off, len, st);
	if (r < 0 || !st->len) {
		img_err("cannot read the allocation status of '%s' at offset %" PRIu64 ": %s.",
			c->name[i], off, strerror(r < 0 ? -r : EIO));
		return 3;
	}
	return 0;
}

static int cmp_read(struct cmp *c, int i, uint64_t off, uint64_t len)
{
	int r = blk_pread(c->b[i], off, c->buf[i], len);
	if (r < 0) {
		img_err("error while reading '%s' at offset %" PRIu64 ": %s.", c->name[i], off, strerror(-r));
		return 4;
	}
	return 0;
}

static uint64_t first_diff(const uint8_t *a, const uint8_t *b, uint64_t n)
{
	uint64_t i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* The common part: 0 same, 1 different (message printed), >1 error. */
static int cmp_common(struct cmp *c, uint64_t size)
{
	uint64_t off = 0;
	while (off < size) {
		struct blk_status s[2];
		uint64_t len = size - off < CMP_CHUNK ? size - off : CMP_CHUNK;
		int r;
		for (int i = 0; i < 2; i++) {
			if ((r = cmp_status(c, i, off, len, &s[i])))
				return r;
			if (s[i].len < len)
				len = s[i].len;
		}
		if (c->strict && st_present(&s[0]) != st_present(&s[1])) {
			if (!c->quiet)
				printf("Strict mode: Offset %" PRIu64 " block status mismatch!\n", off);
			return 1;
		}
		if (!(st_zero(&s[0]) && st_zero(&s[1]))) {
			for (int i = 0; i < 2; i++) {
				if (st_zero(&s[i]))
					memset(c->buf[i], 0, len);
				else if ((r = cmp_read(c, i, off, len)))
					return r;
			}
			uint64_t d = first_diff(c->buf[0], c->buf[1], len);
			if (d < len) {
				if (!c->quiet)
					printf("Content mismatch at offset %" PRIu64 "!\n", (off + d) & ~(uint64_t)511);
				return 1;
			}
		}
		off += len;
		img_progress_update(&c->prog, off, c->total);
	}
	return 0;
}

/* The tail of the larger image (index i) must read as zeroes. */
static int cmp_tail(struct cmp *c, int i, uint64_t off, uint64_t end)
{
	while (off < end) {
		struct blk_status s;
		uint64_t len = end - off < CMP_CHUNK ? end - off : CMP_CHUNK;
		int r = cmp_status(c, i, off, len, &s);
		if (r)
			return r;
		if (s.len < len)
			len = s.len;
		if (!st_zero(&s)) {
			if ((r = cmp_read(c, i, off, len)))
				return r;
			for (uint64_t k = 0; k < len; k++)
				if (c->buf[i][k]) {
					if (!c->quiet)
						printf("Content mismatch at offset %" PRIu64 "!\n", (off + k) & ~(uint64_t)511);
					return 1;
				}
		}
		off += len;
		img_progress_update(&c->prog, off, c->total);
	}
	return 0;
}

int img_cmd_compare(int argc, char **argv)
{
	static const struct option lo[] = { { "force-share", no_argument, 0, 'U' }, { 0 } };
	const char *fmt[2] = { NULL, NULL };
	unsigned flags = 0;
	bool progress = false;
	struct cmp c = { .strict = false };
	int ch;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:f:F:T:pqsU", lo, NULL)) != -1) {
		switch (ch) {
		case 'f': fmt[0] = optarg; break;
		case 'F': fmt[1] = optarg; break;
		case 'T':
			if (img_parse_cache(optarg, &flags) < 0) {
				img_usage("compare", "unknown cache mode '%s'", optarg);
				return 2;
			}
			break;
		case 'p': progress = true; break;
		case 'q': c.quiet = true; break;
		case 's': c.strict = true; break;
		case 'U': flags |= BLK_O_FORCE_SHARE; break;
		default: img_badopt("compare", ch, argv); return 2;
		}
	}
	if (argc - optind != 2) {
		img_usage("compare", "expects two file names");
		return 2;
	}
	struct img_ctx ctx;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 2;
	int ret = 2, opened = 0;
	for (; opened < 2; opened++) {
		c.name[opened] = argv[optind + opened];
		if (img_open(&ctx, &c.b[opened], c.name[opened], fmt[opened], flags) < 0)
			goto out;
		c.buf[opened] = img_alloc(CMP_CHUNK);
		if (!c.buf[opened]) {
			img_err("out of memory.");
			opened++;
			goto out;
		}
	}
	uint64_t s0 = blk_size(c.b[0]), s1 = blk_size(c.b[1]);
	uint64_t common = s0 < s1 ? s0 : s1;
	c.total = s0 > s1 ? s0 : s1;
	if (s0 != s1 && c.strict) {
		if (!c.quiet)
			printf("Strict mode: Image size mismatch!\n");
		ret = 1;
		goto out;
	}
	img_progress_init(&c.prog, progress && !c.quiet);
	ret = cmp_common(&c, common);
	if (ret == 0 && s0 != s1) {
		if (!c.quiet)
			printf("Warning: Image size mismatch!\n");
		ret = cmp_tail(&c, s0 > s1 ? 0 : 1, common, c.total);
	}
	img_progress_end(&c.prog);
	if (ret == 0 && !c.quiet)
		printf("Images are identical.\n");
out:
	for (int i = 0; i < opened; i++) {
		free(c.buf[i]);
		blk_close(c.b[i]);
	}
	img_ctx_fini(&ctx);
	return ret;
}
