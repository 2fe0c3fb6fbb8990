/*
 * commit.c - `commit` (copy the top image's own data into its backing
 * file, then empty the top image unless -d, as qemu-img does) and `rebase` (change the backing file; in safe mode first copy
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

/* Copy the runs allocated in top (opened without backing) into base. */
static int commit_copy(struct blk *top, struct blk *base, uint8_t *buf, struct img_progress *p)
{
	uint64_t size = blk_size(top);
	for (uint64_t off = 0; off < size;) {
		struct blk_status st;
		uint64_t len = size - off < CM_CHUNK ? size - off : CM_CHUNK;
		int r = blk_block_status(top, off, len, &st);
		if (r < 0)
			return r;
		if (!st.len)
			return -EIO;
		if (st.len < len)
			len = st.len;
		if ((st.flags & BLK_STATUS_ALLOCATED) && st.depth == 0) {
			if (st.flags & BLK_STATUS_ZERO) {
				r = blk_pwrite_zeroes(base, off, len, 0);
			} else {
				r = blk_pread(top, off, buf, len);
				if (r == 0)
					r = blk_pwrite(base, off, buf, len);
			}
			if (r < 0)
				return r;
		}
		off += len;
		img_progress_update(p, off, size);
	}
	return blk_flush_sync(base);
}

int img_cmd_commit(int argc, char **argv)
{
	const char *fmt = NULL;
	unsigned cache = 0;
	bool quiet = false, progress = false, keep = false;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt(argc, argv, "+:f:t:b:dpqr:")) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 't':
			if (cm_parse_cache("commit", optarg, &cache))
				return 1;
			break;
		case 'b': return img_usage("commit", "-b (committing into a deeper base) is not supported; only the immediate backing file");
		case 'd': keep = true; break;
		case 'p': progress = true; break;
		case 'q': quiet = true; break;
		case 'r': break; /* rate limit: ignored, the copy is local */
		default: return img_badopt("commit", c, argv);
		}
	}
	if (optind != argc - 1)
		return img_usage("commit", "expects exactly one file name");
	const char *file = argv[optind];
	struct img_ctx ctx;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	struct blk *top, *base = NULL;
	int ret = 1;
	uint8_t *buf = img_alloc(CM_CHUNK);
	/* emptying writes the top image: then it is opened (and locked) for
	 * writing from the start, so nobody else changes it under the copy */
	unsigned tflags = BLK_O_NO_BACKING | cache | (keep ? BLK_O_FORCE_SHARE : BLK_O_RDWR);
	if (!buf || img_open(&ctx, &top, file, fmt, tflags) < 0)
		goto out;
	struct blk_info in;
	int r = blk_get_info(top, &in);
	if (r < 0 || !in.backing_file[0]) {
		img_err("'%s' has no backing file to commit into.", file);
		goto out_top;
	}
	char path[PATH_MAX + 4096];
	img_backing_path(file, in.backing_file, path, sizeof(path));
	if (img_open(&ctx, &base, path, in.backing_fmt[0] ? in.backing_fmt : NULL,
		     BLK_O_RDWR | BLK_O_NO_BACKING | cache) < 0)
		goto out_top;
	if (blk_size(base) < blk_size(top)) {
		char err[512] = "";
		r = blk_truncate(base, blk_size(top), false, err, sizeof(err));
		if (r < 0) {
			img_err("%s", err[0] ? err : "cannot grow the backing file to the image's size.");
			goto out_base;
		}
	}
	struct img_progress p;
	img_progress_init(&p, progress && !quiet);
	r = commit_copy(top, base, buf, &p);
	img_progress_end(&p);
	if (r < 0) {
		img_err("committing '%s' into '%s' failed: %s.", file, path, strerror(-r));
		goto out_base;
	}
	/* the base holds the data durably (commit_copy flushed it): only now
	 * may the top image let go of its copy */
	if (!keep && (r = blk_make_empty(top)) < 0) {
		img_err("the data of '%s' is committed, but emptying it failed: %s.", file,
			strerror(-r));
		goto out_base;
	}
	ret = 0;
out_base:
	if (blk_close(base) < 0 && ret == 0) {
		img_err("writing '%s' failed.", path);
		ret = 1;
	}
	if (ret == 0 && !quiet)
		printf("Image committed.\n");
out_top:
	blk_close(top);
out:
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
