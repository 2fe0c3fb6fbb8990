/*
 * commit.c - `commit` (copy the top image's own data, and with -b BASE that
 * of every image between it and BASE, into the backing file or BASE; then
 * empty the top image unless -d or -b, as qemu-img does) and `rebase`
 * (change the backing file; in safe mode first copy
 * into the top image every cluster whose content would change).
 * Single-threaded; synchronous requests in chunks of up to 1 MiB.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

#define CM_CHUNK (1u << 20)

static int cm_parse_cache(const char *cmd, const char *arg, unsigned *flags)
{
	if (img_parse_cache(arg, flags) < 0)
		return img_usage(cmd, "unknown cache mode '%s'", arg);
	return 0;
}

/* The images of a commit: layer[0] is the top, layer[n-1] the last one
 * above the base; each opened on its own (no backing chain), read-only
 * except the top when it is to be emptied. */
enum { CM_MAX_LAYERS = 256 };
struct cm_chain {
	struct blk *layer[CM_MAX_LAYERS];
	int n;
	struct blk *base;
	char base_path[PATH_MAX + 4096];
};

/* The shallowest layer above the base that holds [off, off+*len): copy
 * it into the base (data or zeroes). *len is trimmed to a run that has
 * one status in every layer looked at. A layer shorter than the top reads
 * as zeroes past its end, hiding what lies below. */
static int commit_run(struct cm_chain *c, uint64_t off, uint64_t *len, uint8_t *buf)
{
	for (int i = 0; i < c->n; i++) {
		uint64_t lsize = blk_size(c->layer[i]);
		if (off >= lsize)
			return blk_pwrite_zeroes(c->base, off, *len, 0);
		if (off + *len > lsize)
			*len = lsize - off;
		struct blk_status st;
		int r = blk_block_status(c->layer[i], off, *len, &st);
		if (r < 0)
			return r;
		if (!st.len)
			return -EIO;
		if (st.len < *len)
			*len = st.len;
		if (!((st.flags & BLK_STATUS_ALLOCATED) && st.depth == 0))
			continue;
		if (st.flags & BLK_STATUS_ZERO)
			return blk_pwrite_zeroes(c->base, off, *len, 0);
		r = blk_pread(c->layer[i], off, buf, *len);
		return r < 0 ? r : blk_pwrite(c->base, off, buf, *len);
	}
	return 0; /* nobody above the base holds it: the base already has it */
}

/* Copy into the base what the top reads there from above the base. */
static int commit_copy(struct cm_chain *c, uint8_t *buf, struct img_progress *p)
{
	uint64_t size = blk_size(c->layer[0]);
	for (uint64_t off = 0; off < size;) {
		uint64_t len = size - off < CM_CHUNK ? size - off : CM_CHUNK;
		int r = commit_run(c, off, &len, buf);
		if (r < 0)
			return r;
		off += len;
		img_progress_update(p, off, size);
	}
	return blk_flush_sync(c->base);
}

/* Does -b name the backing file `stored` of `image` (resolved: `path`)?
 * As qemu-img: a relative name is taken relative to the image that names
 * the backing file; the name as stored in the header, and (our addition)
 * a name relative to the working directory, match too. */
static bool cm_is_base(const char *want, const char *image, const char *stored,
		       const char *path)
{
	if (!strcmp(want, stored) || !strcmp(want, path))
		return true;
	char a[PATH_MAX], b[PATH_MAX], rel[PATH_MAX + 4096];
	if (!realpath(path, b))
		return false;
	img_backing_path(image, want, rel, sizeof(rel));
	if (realpath(rel, a) && !strcmp(a, b))
		return true;
	return realpath(want, a) && !strcmp(a, b);
}

/* Open the layers below the top down to the base: the immediate backing
 * file, or the image -b names. Prints the error. */
static int cm_open_chain(struct img_ctx *ctx, struct cm_chain *c, const char *file,
			 const char *want, unsigned cache)
{
	char cur[PATH_MAX + 4096];
	snprintf(cur, sizeof(cur), "%s", file);
	for (;;) {
		struct blk_info in;
		if (blk_get_info(c->layer[c->n - 1], &in) < 0 || !in.backing_file[0]) {
			if (c->n == 1)
				img_err("'%s' has no backing file to commit into.", file);
			else
				img_err("'%s' is not in the backing chain of '%s'.", want, file);
			return -ENOENT;
		}
		char path[PATH_MAX + 4096];
		img_backing_path(cur, in.backing_file, path, sizeof(path));
		const char *bfmt = in.backing_fmt[0] ? in.backing_fmt : NULL;
		if (!want || cm_is_base(want, cur, in.backing_file, path)) {
			snprintf(c->base_path, sizeof(c->base_path), "%s", path);
			return img_open(ctx, &c->base, path, bfmt, BLK_O_RDWR | BLK_O_NO_BACKING | cache);
		}
		if (c->n == CM_MAX_LAYERS) {
			img_err("the backing chain of '%s' is longer than %d images.", file,
				CM_MAX_LAYERS);
			return -ELOOP;
		}
		if (img_open(ctx, &c->layer[c->n], path, bfmt, BLK_O_NO_BACKING | cache) < 0)
			return -EINVAL;
		c->n++;
		snprintf(cur, sizeof(cur), "%s", path);
	}
}

struct cm_args {
	const char *fmt, *base;
	unsigned cache;
	bool quiet, progress, keep;
};

static int cm_parse(int argc, char **argv, struct cm_args *a)
{
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt(argc, argv, "+:f:t:b:dpqr:")) != -1) {
		switch (c) {
		case 'f': a->fmt = optarg; break;
		case 't':
			if (cm_parse_cache("commit", optarg, &a->cache))
				return 1;
			break;
		case 'b':
			if (!*optarg)
				return img_usage("commit", "-b needs the name of an image in the backing chain");
			a->base = optarg;
			a->keep = true; /* as qemu-img: -b implies -d (the layers in
			                   between no longer match the base) */
			break;
		case 'd': a->keep = true; break;
		case 'p': a->progress = true; break;
		case 'q': a->quiet = true; break;
		case 'r': break; /* rate limit: ignored, the copy is local */
		default: return img_badopt("commit", c, argv);
		}
	}
	if (optind != argc - 1)
		return img_usage("commit", "expects exactly one file name");
	return 0;
}

static void cm_close(struct cm_chain *c)
{
	for (int i = c->n - 1; i >= 0; i--)
		blk_close(c->layer[i]);
}

int img_cmd_commit(int argc, char **argv)
{
	struct cm_args a = { 0 };
	if (cm_parse(argc, argv, &a))
		return 1;
	const char *file = argv[optind];
	struct img_ctx ctx;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	struct cm_chain *c = calloc(1, sizeof(*c));
	int ret = 1, r;
	uint8_t *buf = img_alloc(CM_CHUNK);
	/* emptying writes the top image: then it is opened (and locked) for
	 * writing from the start, so nobody else changes it under the copy */
	unsigned tflags = BLK_O_NO_BACKING | a.cache | (a.keep ? BLK_O_FORCE_SHARE : BLK_O_RDWR);
	if (!buf || !c || img_open(&ctx, &c->layer[0], file, a.fmt, tflags) < 0)
		goto out;
	c->n = 1;
	if (cm_open_chain(&ctx, c, file, a.base, a.cache) < 0)
		goto out_layers;
	if (blk_size(c->base) < blk_size(c->layer[0])) {
		char err[512] = "";
		r = blk_truncate(c->base, blk_size(c->layer[0]), false, err, sizeof(err));
		if (r < 0) {
			img_err("%s", err[0] ? err : "cannot grow the backing file to the image's size.");
			goto out_base;
		}
	}
	struct img_progress p;
	img_progress_init(&p, a.progress && !a.quiet);
	r = commit_copy(c, buf, &p);
	img_progress_end(&p);
	if (r < 0) {
		img_err("committing '%s' into '%s' failed: %s.", file, c->base_path, strerror(-r));
		goto out_base;
	}
	/* the base holds the data durably (commit_copy flushed it): only now
	 * may the top image let go of its copy */
	if (!a.keep && (r = blk_make_empty(c->layer[0])) < 0) {
		img_err("the data of '%s' is committed, but emptying it failed: %s.", file,
			strerror(-r));
		goto out_base;
	}
	ret = 0;
out_base:
	if (blk_close(c->base) < 0 && ret == 0) {
		img_err("writing '%s' failed.", c->base_path);
		ret = 1;
	}
	if (ret == 0 && !a.quiet)
		printf("Image committed.\n");
out_layers:
	cm_close(c);
out:
	free(c);
	free(buf);
	img_ctx_fini(&ctx);
	return ret;
}

/* ---- rebase ----------------------------------------------------------- */

struct rb {
	struct blk *top, *nb; /* nb: new backing, NULL = none */
	uint8_t *a, *b;
	uint32_t gran;
};

/* Read [off, off+len) of the new backing; zeroes past its end. */
static int rb_read_new(struct rb *s, uint64_t off, uint64_t len)
{
	memset(s->b, 0, len);
	if (!s->nb)
		return 0;
	uint64_t nsize = blk_size(s->nb);
	if (off >= nsize)
		return 0;
	return blk_pread(s->nb, off, s->b, off + len > nsize ? nsize - off : len);
}

/* Copy into the top every granule that is not the top's own and whose
 * content differs between the old chain and the new backing. */
static int rb_copy(struct rb *s, struct img_progress *p)
{
	uint64_t size = blk_size(s->top);
	for (uint64_t off = 0; off < size;) {
		struct blk_status st;
		uint64_t len = size - off < CM_CHUNK ? size - off : CM_CHUNK;
		int r = blk_block_status(s->top, off, len, &st);
		if (r < 0)
			return r;
		if (!st.len)
			return -EIO;
		if (st.len < len)
			len = st.len;
		if (!((st.flags & BLK_STATUS_ALLOCATED) && st.depth == 0)) {
			if ((r = blk_pread(s->top, off, s->a, len)) < 0 || (r = rb_read_new(s, off, len)) < 0)
				return r;
			for (uint64_t g = 0; g < len; g += s->gran) {
				uint64_t n = len - g < s->gran ? len - g : s->gran;
				if (memcmp(s->a + g, s->b + g, n) &&
				    (r = blk_pwrite(s->top, off + g, s->a + g, n)) < 0)
					return r;
			}
		}
		off += len;
		img_progress_update(p, off, size);
	}
	return blk_flush_sync(s->top);
}

int img_cmd_rebase(int argc, char **argv)
{
	static const struct option lo[] = { { "force-share", no_argument, 0, 'U' }, { 0 } };
	const char *fmt = NULL, *nb = NULL, *nbfmt = NULL;
	unsigned cache = 0, scache = 0;
	bool quiet = false, progress = false, unsafe = false;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:t:T:b:F:pquU", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'b': nb = optarg; break;
		case 'F': nbfmt = optarg; break;
		case 't':
			if (cm_parse_cache("rebase", optarg, &cache))
				return 1;
			break;
		case 'T':
			if (cm_parse_cache("rebase", optarg, &scache))
				return 1;
			break;
		case 'p': progress = true; break;
		case 'q': quiet = true; break;
		case 'u': unsafe = true; break;
		case 'U': scache |= BLK_O_FORCE_SHARE; break;
		default: return img_badopt("rebase", c, argv);
		}
	}
	if (!nb)
		return img_usage("rebase", "the new backing file must be given with -b (use -b \"\" for none)");
	if (optind != argc - 1)
		return img_usage("rebase", "expects exactly one file name");
	const char *file = argv[optind];
	if (!*nb)
		nb = NULL;
	struct img_ctx ctx;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	struct rb s = { .gran = 65536 };
	int ret = 1, r;
	unsigned tflags = BLK_O_RDWR | cache | (unsafe ? BLK_O_NO_BACKING : 0);
	if (img_open(&ctx, &s.top, file, fmt, tflags) < 0)
		goto out;
	if (!unsafe) {
		char path[PATH_MAX + 4096];
		if (nb) {
			img_backing_path(file, nb, path, sizeof(path));
			if (img_open(&ctx, &s.nb, path, nbfmt, scache) < 0)
				goto out_top;
		}
		struct blk_info in;
		if (blk_get_info(s.top, &in) == 0 && in.cluster_size)
			s.gran = in.cluster_size;
		s.a = img_alloc(CM_CHUNK);
		s.b = img_alloc(CM_CHUNK);
		if (!s.a || !s.b) {
			img_err("out of memory.");
			goto out_top;
		}
		struct img_progress p;
		img_progress_init(&p, progress && !quiet);
		r = rb_copy(&s, &p);
		img_progress_end(&p);
		if (r < 0) {
			img_err("copying the changed data into '%s' failed: %s.", file, strerror(-r));
			goto out_top;
		}
	}
	r = blk_change_backing(s.top, nb, nb ? nbfmt : NULL);
	if (r < 0) {
		img_err("cannot change the backing file of '%s': %s.", file, strerror(-r));
		goto out_top;
	}
	ret = 0;
out_top:
	if (s.nb)
		blk_close(s.nb);
	if (blk_close(s.top) < 0 && ret == 0) {
		img_err("writing '%s' failed.", file);
		ret = 1;
	}
	free(s.a);
	free(s.b);
out:
	img_ctx_fini(&ctx);
	return ret;
}
