/*
 * convert.c - `convert`: copy an image (its backing chain flattened, or
 * only its top layer when -B gives the output a backing file) into a new
 * or existing (-n) image, raw or qcow2 either way.
 *
 * The copy is a pipeline of `window` jobs: each job plans one chunk from
 * the source's allocation status, reads it asynchronously, then writes
 * it (skipping zero runs of -S bytes when the target already reads as
 * zeroes). Writes start in source order unless -W; with -c they carry
 * BLK_F_COMPRESSED (whole clusters, compressed by the block layer). Callbacks only change
 * job states; the driver loop (cv_run) submits, so an immediate
 * completion inside blk_submit never recurses. Single-threaded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

enum cv_state { CV_FREE, CV_READING, CV_READY, CV_WRITING, CV_CONT };

struct cv;

struct cv_job {
	struct cv *cv;
	enum cv_state state;
	bool zero;      /* a zero region: write zeroes, nothing read */
	uint64_t seq;   /* order in which writes may start */
	uint64_t off, len;
	uint64_t scan;  /* sparse writes: next byte of the buffer to look at */
	uint8_t *buf;   /* owned by the job, chunk bytes */
	struct iovec iov;
	struct blk_req req;
};

struct cv {
	struct img_ctx *ctx;
	struct blk *src, *dst;
	uint64_t size, pos, chunk, sparse, done_bytes;
	unsigned window, inflight;
	struct cv_job *jobs;
	uint64_t next_seq, next_write_seq;
	bool in_order, target_zero, top_only, compress;
	uint64_t cs; /* compress: target cluster size; jobs are cluster-aligned */
	int err;
	/* cached allocation status of the source: [st_off, st_end) */
	uint64_t st_off, st_end;
	unsigned st_flags;
	int st_depth;
	struct img_progress prog;
};

static bool is_zero(const uint8_t *p, size_t n)
{
	const uint64_t *q = (const uint64_t *)p;
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		if (q[i / 8])
			return false;
	for (; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void job_done(struct cv_job *j)
{
	j->cv->done_bytes += j->len;
	j->state = CV_FREE;
}

static void read_done(struct blk_req *r, int res)
{
	struct cv_job *j = r->opaque;
	j->cv->inflight--;
	if (res < 0 && !j->cv->err)
		j->cv->err = res;
	j->state = CV_READY;
}

static void write_done(struct blk_req *r, int res)
{
	struct cv_job *j = r->opaque;
	j->cv->inflight--;
	if (res < 0 && !j->cv->err)
		j->cv->err = res;
	j->state = CV_CONT;
}

static int submit(struct cv *cv, struct cv_job *j, struct blk *b, uint8_t op, uint64_t off,
		  uint64_t len, uint8_t *buf, blk_done_fn *done)
{
	memset(&j->req, 0, sizeof(j->req));
	j->req.op = op;
	j->req.offset = off;
	j->req.len = len;
	j->req.done = done;
	j->req.opaque = j;
	if (op == BLK_READ || op == BLK_WRITE) {
		j->iov.iov_base = buf;
		j->iov.iov_len = len;
		j->req.iov = &j->iov;
		j->req.iovcnt = 1;
	}
	if (op == BLK_WRITE_ZEROES && !cv->top_only)
		j->req.flags = BLK_F_MAY_UNMAP;
	if (op == BLK_WRITE && cv->compress)
		j->req.flags = BLK_F_COMPRESSED; /* whole clusters: see cv_write_step */
	j->state = op == BLK_READ ? CV_READING : CV_WRITING;
	cv->inflight++;
	int r = blk_submit(b, &j->req);
	if (r < 0) {
		cv->inflight--;
		j->state = CV_FREE;
		if (!cv->err)
			cv->err = r;
	}
	return r;
}

/* Refresh the cached source status so it covers cv->pos. */
static int cv_status(struct cv *cv)
{
	if (cv->pos >= cv->st_off && cv->pos < cv->st_end)
		return 0;
	struct blk_status st;
	int r = blk_block_status(cv->src, cv->pos, cv->size - cv->pos, &st);
	if (r < 0)
		return r;
	if (!st.len)
		return -EIO;
	cv->st_off = cv->pos;
	cv->st_end = cv->pos + (st.len < cv->size - cv->pos ? st.len : cv->size - cv->pos);
	cv->st_flags = st.flags;
	cv->st_depth = st.depth;
	return 0;
}

/* Plan the next chunk into job j. Returns 1 if a job was started, 0 at
 * the end of the source, or -errno. */
static int cv_plan(struct cv *cv, struct cv_job *j)
{
	while (cv->pos < cv->size) {
		int r = cv_status(cv);
		if (r < 0)
			return r;
		uint64_t len = cv->st_end - cv->pos;
		uint64_t to_chunk = cv->chunk - cv->pos % cv->chunk;
		if (len > to_chunk)
			len = to_chunk;
		bool in_top = (cv->st_flags & BLK_STATUS_ALLOCATED) && cv->st_depth == 0;
		bool zero = (cv->st_flags & BLK_STATUS_ZERO) || !(cv->st_flags & BLK_STATUS_DATA);
		if (cv->compress) {
			/* Compressed clusters are written whole: keep jobs on
			 * cluster boundaries and read partly-zero clusters. */
			uint64_t whole = len / cv->cs * cv->cs;
			if (!(zero && whole)) {
				zero = false;
				len = (len + cv->cs - 1) / cv->cs * cv->cs;
				if (len > to_chunk)
					len = to_chunk;
				if (len > cv->size - cv->pos)
					len = cv->size - cv->pos;
			} else {
				len = whole;
			}
		}
		uint64_t off = cv->pos;
		cv->pos += len;
		if ((cv->top_only && !in_top) || (zero && cv->target_zero)) {
			cv->done_bytes += len;
			continue;
		}
		j->off = off;
		j->len = len;
		j->scan = 0;
		j->zero = zero;
		j->seq = cv->next_seq++;
		if (zero) {
			j->state = CV_READY;
			return 1;
		}
		r = submit(cv, j, cv->src, BLK_READ, off, len, j->buf, read_done);
		return r < 0 ? r : 1;
	}
	return 0;
}

/* Start or continue the writes of a job whose data is in its buffer. */
static void cv_write_step(struct cv *cv, struct cv_job *j)
{
	if (cv->err || j->scan >= j->len) {
		job_done(j);
		return;
	}
	if (cv->compress && !j->zero) {
		/* Runs of whole clusters, each stored compressed by the block
		 * layer (asynchronously); all-zero clusters are skipped when
		 * the target reads as zeroes anyway. */
		uint64_t g = cv->cs, a = j->scan;
		while (cv->target_zero && a < j->len &&
		       is_zero(j->buf + a, j->len - a < g ? j->len - a : g))
			a += j->len - a < g ? j->len - a : g;
		uint64_t e = a;
		while (e < j->len && (!cv->target_zero ||
				      !is_zero(j->buf + e, j->len - e < g ? j->len - e : g)))
			e += j->len - e < g ? j->len - e : g;
		j->scan = e;
		if (a >= j->len) {
			job_done(j);
			return;
		}
		submit(cv, j, cv->dst, BLK_WRITE, j->off + a, e - a, j->buf + a, write_done);
		return;
	}
	if (j->zero) {
		j->scan = j->len;
		submit(cv, j, cv->dst, BLK_WRITE_ZEROES, j->off, j->len, NULL, write_done);
		return;
	}
	if (!cv->sparse || !cv->target_zero) {
		j->scan = j->len;
		submit(cv, j, cv->dst, BLK_WRITE, j->off, j->len, j->buf, write_done);
		return;
	}
	/* Skip zero granules, then write the following run of non-zero ones. */
	uint64_t g = cv->sparse, a = j->scan;
	while (a < j->len) {
		uint64_t n = j->len - a < g ? j->len - a : g;
		if (!is_zero(j->buf + a, n))
			break;
		a += n;
	}
	uint64_t e = a;
	while (e < j->len) {
		uint64_t n = j->len - e < g ? j->len - e : g;
		if (is_zero(j->buf + e, n))
			break;
		e += n;
	}
	j->scan = e;
	if (a >= j->len) {
		job_done(j);
		return;
	}
	submit(cv, j, cv->dst, BLK_WRITE, j->off + a, e - a, j->buf + a, write_done);
}

/* Start the writes that may start now. Returns true if anything moved. */
static bool cv_writes(struct cv *cv)
{
	bool moved = false;
	for (unsigned i = 0; i < cv->window; i++) {
		struct cv_job *j = &cv->jobs[i];
		if (j->state == CV_CONT) {
			cv_write_step(cv, j);
			moved = true;
		}
	}
	if (cv->in_order) {
		for (;;) {
			struct cv_job *j = &cv->jobs[cv->next_write_seq % cv->window];
			if (j->state != CV_READY || j->seq != cv->next_write_seq)
				break;
			cv->next_write_seq++;
			cv_write_step(cv, j);
			moved = true;
		}
	} else {
		for (unsigned i = 0; i < cv->window; i++)
			if (cv->jobs[i].state == CV_READY) {
				cv_write_step(cv, &cv->jobs[i]);
				moved = true;
			}
	}
	return moved;
}

static int cv_run(struct cv *cv)
{
	for (;;) {
		bool moved = false;
		while (!cv->err && cv->pos < cv->size) {
			struct cv_job *j = &cv->jobs[cv->next_seq % cv->window];
			if (j->state != CV_FREE)
				break;
			int r = cv_plan(cv, j);
			if (r < 0 && !cv->err)
				cv->err = r;
			if (r <= 0)
				break;
			moved = true;
		}
		if (cv->err) {
			/* Stop: drop jobs that wait for their write. */
			for (unsigned i = 0; i < cv->window; i++)
				if (cv->jobs[i].state == CV_READY || cv->jobs[i].state == CV_CONT)
					cv->jobs[i].state = CV_FREE;
		} else if (cv_writes(cv)) {
			moved = true;
		}
		img_progress_update(&cv->prog, cv->done_bytes, cv->size);
		if (cv->inflight) {
			int r = loop_run_once(cv->ctx->loop, -1);
			if (r < 0 && !cv->err)
				cv->err = r;
			continue;
		}
		if (!moved && (cv->err || cv->pos >= cv->size)) {
			bool busy = false;
			for (unsigned i = 0; i < cv->window; i++)
				busy |= cv->jobs[i].state != CV_FREE;
			if (!busy)
				break;
		}
	}
	return cv->err;
}

struct cv_args {
	const char *src_fmt, *out_fmt, *backing, *backing_fmt;
	char *snap_id, *snap_name; /* -l / -s: the source's internal snapshot */
	const char *optv[16];
	int nopt;
	unsigned src_flags, dst_flags, window;
	uint64_t sparse;
	bool progress, quiet, no_create, ooo, compress;
};

/* -l: "snapshot.id=ID,snapshot.name=NAME" (either or both) or "ID_OR_NAME". */
static int cv_parse_snapshot(const char *arg, struct cv_args *a)
{
	if (strncmp(arg, "snapshot.", 9)) {
		if (!*arg)
			return img_usage("convert", "-l needs a snapshot id or name");
		a->snap_id = strdup(arg);
		return 0;
	}
	char *dup = strdup(arg), *save = NULL;
	int bad = !dup;
	for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t && !bad;
	     t = strtok_r(NULL, ",", &save)) {
		char **slot = !strncmp(t, "snapshot.id=", 12) ? &a->snap_id
			    : !strncmp(t, "snapshot.name=", 14) ? &a->snap_name : NULL;
		const char *v = t + (slot == &a->snap_id ? 12 : 14);
		if (!slot || !*v || *slot)
			bad = 1;
		else
			*slot = strdup(v);
	}
	free(dup);
	if (bad)
		return img_usage("convert", "-l expects snapshot.id=ID,snapshot.name=NAME or a snapshot id or name, not '%s'", arg);
	return 0;
}

static int cv_parse(int argc, char **argv, struct cv_args *a)
{
	static const struct option lo[] = { { "force-share", no_argument, 0, 'U' }, { 0 } };
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:O:o:B:F:S:t:T:m:l:s:cpqnWUC", lo, NULL)) != -1) {
		switch (c) {
		case 'f': a->src_fmt = optarg; break;
		case 'O': a->out_fmt = optarg; break;
		case 'B': a->backing = optarg; break;
		case 'F': a->backing_fmt = optarg; break;
		case 'o':
			if (a->nopt == 16)
				return img_usage("convert", "too many -o options");
			a->optv[a->nopt++] = optarg;
			break;
		case 'S':
			if (img_parse_size(optarg, &a->sparse) < 0 || (a->sparse && a->sparse < 512))
				return img_usage("convert", "-S needs 0 or a size of at least 512 bytes, not '%s'", optarg);
			a->sparse &= ~(uint64_t)511;
			break;
		case 't':
		case 'T': {
			unsigned f;
			if (img_parse_cache(optarg, &f) < 0)
				return img_usage("convert", "unknown cache mode '%s'", optarg);
			if (c == 't')
				a->dst_flags = f;
			else
				a->src_flags = f;
			break;
		}
		case 'm': {
			char *end;
			unsigned long m = strtoul(optarg, &end, 10);
			if (*end || m < 1 || m > 64)
				return img_usage("convert", "-m must be a number from 1 to 64, not '%s'", optarg);
			a->window = (unsigned)m;
			break;
		}
		case 'l':
		case 's':
			if (a->snap_id || a->snap_name)
				return img_usage("convert", "only one -l or -s snapshot may be given");
			if (c == 's' && !*optarg)
				return img_usage("convert", "-s needs a snapshot id or name");
			if (c == 's')
				a->snap_id = strdup(optarg);
			else if (cv_parse_snapshot(optarg, a))
				return 1;
			break;
		case 'c': a->compress = true; break;
		case 'p': a->progress = true; break;
		case 'q': a->quiet = true; break;
		case 'n': a->no_create = true; break;
		case 'W': a->ooo = true; break;
		case 'U': a->src_flags |= BLK_O_FORCE_SHARE; break;
		case 'C': break; /* copy offloading: plain copies are used anyway */
		default: return img_badopt("convert", c, argv);
		}
	}
	if (argc - optind < 2)
		return img_usage("convert", "needs a source and an output file name");
	if (argc - optind > 2)
		return img_usage("convert", "concatenating several source images is not supported");
	if (strcmp(a->out_fmt, "raw") && strcmp(a->out_fmt, "qcow2"))
		return img_usage("convert", "unknown output format '%s' (raw or qcow2)", a->out_fmt);
	if (a->compress && strcmp(a->out_fmt, "qcow2"))
		return img_usage("convert", "compressed output (-c) needs -O qcow2");
	if (a->compress && a->no_create)
		return img_usage("convert", "-c cannot write into an existing image (-n)");
	if (a->backing && strcmp(a->out_fmt, "qcow2"))
		return img_usage("convert", "-B needs an output format with backing files (qcow2)");
	if (a->no_create && (a->backing || a->nopt))
		return img_usage("convert", "-n cannot be combined with -B or -o (the target exists)");
	return 0;
}

/* -l snapshot.id=ID,snapshot.name=NAME: the snapshot with that id must
 * also have that name. Returns 0 or 1 after an error. */
static int cv_snapshot_named(struct blk *src, const char *file, const char *id,
			     const char *name)
{
	int n = blk_snapshot_list(src, NULL, 0);
	struct blk_snapshot *sn = n > 0 ? calloc((size_t)n, sizeof(*sn)) : NULL;
	bool ok = false;
	if (sn && blk_snapshot_list(src, sn, (unsigned)n) == n)
		for (int i = 0; i < n; i++)
			ok |= !strcmp(sn[i].id, id) && !strcmp(sn[i].name, name);
	free(sn);
	if (!ok)
		img_err("'%s' has no snapshot with id '%s' and name '%s'.", file, id, name);
	return !ok;
}

/* Create (unless -n) and open the target. Returns 0 or 1 after an error. */
static int cv_target(struct img_ctx *ctx, struct cv_args *a, const char *out, uint64_t size,
		     struct blk **dst)
{
	if (!a->no_create) {
		struct img_create_req req;
		img_create_opts_init(&req, a->out_fmt);
		for (int i = 0; i < a->nopt; i++)
			if (img_parse_create_opts("convert", a->optv[i], &req))
				return 1;
		if (req.help)
			return 1;
		req.o.size = size;
		if (a->backing) {
			req.o.backing_file = a->backing;
			req.o.backing_fmt = a->backing_fmt;
		}
		if (img_create_image(ctx, out, &req.o) < 0)
			return 1;
	}
	if (img_open(ctx, dst, out, a->no_create ? NULL : a->out_fmt, BLK_O_RDWR | a->dst_flags) < 0)
		return 1;
	if (a->no_create && blk_size(*dst) < size) {
		img_err("the target '%s' (%" PRIu64 " bytes) is smaller than the source (%" PRIu64 " bytes).",
			out, blk_size(*dst), size);
		blk_close(*dst);
		return 1;
	}
	return 0;
}

int img_cmd_convert(int argc, char **argv)
{
	struct cv_args a = { .out_fmt = "raw", .sparse = 4096, .window = 8 };
	struct img_ctx ctx;
	if (cv_parse(argc, argv, &a) || img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0) {
		free(a.snap_id); /* a refused option may follow a parsed -l/-s */
		free(a.snap_name);
		return 1;
	}
	const char *in = argv[optind], *out = argv[optind + 1];
	struct blk *src, *dst;
	int ret = 1;
	const char *snap = a.snap_id ? a.snap_id : a.snap_name;
	if (img_open_snapshot(&ctx, &src, in, a.src_fmt, a.src_flags, snap) < 0)
		goto out_ctx;
	if (a.snap_id && a.snap_name && cv_snapshot_named(src, in, a.snap_id, a.snap_name)) {
		blk_close(src);
		goto out_ctx;
	}
	if (cv_target(&ctx, &a, out, blk_size(src), &dst))
		goto out_src;

	struct cv cv = { .ctx = &ctx, .src = src, .dst = dst, .size = blk_size(src),
			 .chunk = 2u << 20, .sparse = a.sparse, .window = a.window,
			 .in_order = !a.ooo, .top_only = a.backing != NULL,
			 .target_zero = !a.no_create && !a.backing, .compress = a.compress };
	cv.cs = blk_cluster_size(dst) ? blk_cluster_size(dst) : 65536;
	unsigned al = blk_align(dst) > blk_align(src) ? blk_align(dst) : blk_align(src);
	if (cv.sparse && cv.sparse % al)
		cv.sparse = (cv.sparse + al - 1) / al * al;
	cv.jobs = calloc(cv.window, sizeof(*cv.jobs));
	bool oom = !cv.jobs;
	for (unsigned i = 0; !oom && i < cv.window; i++) {
		cv.jobs[i].cv = &cv;
		cv.jobs[i].buf = img_alloc(cv.chunk);
		oom |= !cv.jobs[i].buf;
	}
	if (oom) {
		img_err("out of memory for the copy buffers.");
	} else {
		img_progress_init(&cv.prog, a.progress && !a.quiet);
		int r = cv_run(&cv);
		if (r == 0)
			r = blk_flush_sync(dst);
		img_progress_end(&cv.prog);
		if (r < 0)
			img_err("copying '%s' to '%s' failed: %s.", in, out, strerror(-r));
		else
			ret = 0;
	}
	for (unsigned i = 0; cv.jobs && i < cv.window; i++)
		free(cv.jobs[i].buf);
	free(cv.jobs);
	if (blk_close(dst) < 0 && ret == 0) {
		img_err("closing '%s' failed; the output may be incomplete.", out);
		ret = 1;
	}
out_src:
	blk_close(src);
out_ctx:
	img_ctx_fini(&ctx);
	free(a.snap_id);
	free(a.snap_name);
	return ret;
}
