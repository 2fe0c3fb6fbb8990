/*
 * create.c - `create` and `measure`: making images and predicting their
 * size. Single-threaded (see img.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

static const char *prealloc_name(enum blk_prealloc p)
{
	static const char *const n[] = { "off", "metadata", "falloc", "full" };
	return n[p];
}

static void print_formatting(const char *file, const struct blk_create_opts *o)
{
	printf("Formatting '%s', fmt=%s", file, o->format);
	if (!strcmp(o->format, "qcow2")) {
		printf(" cluster_size=%u extended_l2=%s compression_type=%s",
		       o->cluster_size ? o->cluster_size : 65536, o->extended_l2 ? "on" : "off",
		       o->compression_type ? "zstd" : "zlib");
		if (o->compat == 2)
			printf(" compat=0.10");
	}
	if (o->prealloc != BLK_PREALLOC_OFF)
		printf(" preallocation=%s", prealloc_name(o->prealloc));
	printf(" size=%" PRIu64, o->size);
	if (o->backing_file)
		printf(" backing_file=%s", o->backing_file);
	if (o->backing_fmt)
		printf(" backing_fmt=%s", o->backing_fmt);
	if (!strcmp(o->format, "qcow2"))
		printf(" lazy_refcounts=%s refcount_bits=%d", o->lazy_refcounts ? "on" : "off",
		       o->refcount_bits ? o->refcount_bits : 16);
	printf("\n");
}

/*
 * The block layer may not preallocate qcow2 itself: then create the image
 * without preallocation and allocate every cluster by writing zeroes
 * through it. The result is a fully allocated image (what "full" asks for;
 * "metadata" and "falloc" get the same mapping with real zero data).
 */
static int create_prealloc_fallback(struct img_ctx *ctx, const char *file,
				    const struct blk_create_opts *o, char *err, size_t errlen)
{
	struct blk_create_opts plain = *o;
	plain.prealloc = BLK_PREALLOC_OFF;
	err[0] = 0;
	int r = blk_create(file, &plain, ctx->eng, err, errlen);
	if (r < 0)
		return r;
	struct blk *b;
	struct blk_open_opts oo = { .filename = file, .format = "qcow2", .flags = BLK_O_RDWR };
	if ((r = blk_open(&b, ctx->eng, &oo, err, errlen)) < 0)
		return r;
	const size_t chunk = 1u << 20;
	uint8_t *zero = img_alloc(chunk);
	if (!zero) {
		blk_close(b);
		return -ENOMEM;
	}
	memset(zero, 0, chunk);
	uint64_t size = blk_size(b);
	for (uint64_t off = 0; r == 0 && off < size; off += chunk)
		r = blk_pwrite(b, off, zero, size - off < chunk ? size - off : chunk);
	if (r == 0)
		r = blk_flush_sync(b);
	int cr = blk_close(b);
	free(zero);
	if (r < 0)
		snprintf(err, errlen, "preallocating '%s' failed: %s.", file, strerror(-r));
	return r < 0 ? r : cr;
}

int img_create_image(struct img_ctx *ctx, const char *file, const struct blk_create_opts *o)
{
	char err[512] = "";
	int r = blk_create(file, o, ctx->eng, err, sizeof(err));
	if (r < 0 && o->prealloc != BLK_PREALLOC_OFF && !strcmp(o->format, "qcow2"))
		r = create_prealloc_fallback(ctx, file, o, err, sizeof(err));
	if (r < 0) {
		if (err[0])
			img_err("%s", err);
		else
			img_err("cannot create '%s': %s.", file, strerror(-r));
	}
	return r;
}

static bool known_format(const char *f)
{
	return !strcmp(f, "raw") || !strcmp(f, "qcow2");
}

int img_cmd_create(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, 0, 'h' }, { 0 } };
	const char *fmt = "raw", *backing = NULL, *backing_fmt = NULL;
	const char *optv[16];
	int nopt = 0, c;
	bool quiet = false;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:b:F:o:quh", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'b': backing = optarg; break;
		case 'F': backing_fmt = optarg; break;
		case 'o':
			if (nopt == 16)
				return img_usage("create", "too many -o options");
			optv[nopt++] = optarg;
			break;
		case 'q': quiet = true; break;
		case 'u': break; /* the backing file is not opened here anyway */
		case 'h': printf("usage: ringvm-img create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-o options] filename [size]\n"); return 0;
		default: return img_badopt("create", c, argv);
		}
	}
	if (!known_format(fmt))
		return img_usage("create", "unknown format '%s' (raw or qcow2)", fmt);
	struct img_create_req req;
	img_create_opts_init(&req, fmt);
	for (int i = 0; i < nopt; i++)
		if (img_parse_create_opts("create", optv[i], &req))
			return 1;
	if (req.help)
		return 0;
	if (backing)
		req.o.backing_file = backing;
	if (backing_fmt)
		req.o.backing_fmt = backing_fmt;
	if (req.o.backing_file && strcmp(fmt, "qcow2"))
		return img_usage("create", "format '%s' cannot have a backing file", fmt);
	if (req.o.backing_fmt && !known_format(req.o.backing_fmt))
		return img_usage("create", "unknown backing format '%s'", req.o.backing_fmt);
	if (optind >= argc)
		return img_usage("create", "missing the file name");
	const char *file = argv[optind++];
	if (optind < argc) {
		if (img_parse_size(argv[optind], &req.o.size) < 0)
			return img_usage("create", "invalid size '%s' (a number with an optional k, M, G, T, P or E suffix)", argv[optind]);
		req.size_set = true;
		optind++;
	}
	if (optind < argc)
		return img_usage("create", "unexpected argument '%s'", argv[optind]);
	if (!req.size_set && !req.o.backing_file)
		return img_usage("create", "the image size must be given (or a backing file)");
	if (req.o.size > (UINT64_C(1) << 62))
		return img_usage("create", "size %" PRIu64 " is too large", req.o.size);

	if (!quiet)
		print_formatting(file, &req.o);
	struct img_ctx ctx;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	int r = img_create_image(&ctx, file, &req.o);
	img_ctx_fini(&ctx);
	return r < 0 ? 1 : 0;
}

/* ---- measure ---------------------------------------------------------- */

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/*
 * Size in bytes of a qcow2 image with `size` virtual bytes of which
 * `data_clusters` are allocated: header, L1, every L2 table, the data, and
 * enough refcount blocks (plus their table) to count all of it. The
 * refcount part is solved by iteration because it counts itself.
 */
static uint64_t qcow2_size(uint64_t size, uint64_t data_clusters, uint64_t cs, int rbits)
{
	uint64_t l2_entries = cs / 8;
	uint64_t n_l2 = div_up(size, cs * l2_entries);
	uint64_t n_l1 = div_up(n_l2 * 8, cs);
	if (!n_l1)
		n_l1 = 1;
	uint64_t fixed = 1 + n_l1 + n_l2 + data_clusters;
	uint64_t per_block = cs * 8 / (uint64_t)rbits;
	uint64_t rb = 0, rt = 0;
	for (;;) {
		uint64_t total = fixed + rb + rt;
		uint64_t nrb = div_up(total, per_block);
		uint64_t nrt = div_up(nrb * 8, cs);
		if (nrb == rb && nrt == rt)
			break;
		rb = nrb;
		rt = nrt;
	}
	return (fixed + rb + rt) * cs;
}

/* Bytes of the image that hold data (not zero), counted in units of
 * `gran` the way the output would allocate them. */
static int count_allocated(struct blk *b, uint64_t gran, uint64_t *units)
{
	uint64_t size = blk_size(b), off = 0, last_unit = UINT64_MAX, n = 0;
	while (off < size) {
		struct blk_status st;
		int r = blk_block_status(b, off, size - off, &st);
		if (r < 0)
			return r;
		if (!st.len)
			return -EIO;
		if ((st.flags & BLK_STATUS_DATA) && !(st.flags & BLK_STATUS_ZERO)) {
			uint64_t first = off / gran, last = (off + st.len - 1) / gran;
			if (first == last_unit)
				first++;
			if (last >= first)
				n += last - first + 1;
			last_unit = last;
		}
		off += st.len;
	}
	*units = n;
	return 0;
}

static int measure_input(const char *file, const char *fmt, bool share, uint64_t gran,
			 uint64_t *size, uint64_t *units)
{
	struct img_ctx ctx;
	struct blk *b;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return -1;
	int r = img_open(&ctx, &b, file, fmt, share ? BLK_O_FORCE_SHARE : 0);
	if (r == 0) {
		*size = blk_size(b);
		r = count_allocated(b, gran, units);
		if (r < 0)
			img_err("cannot read the allocation status of '%s': %s.", file, strerror(-r));
		blk_close(b);
	}
	img_ctx_fini(&ctx);
	return r;
}

int img_cmd_measure(int argc, char **argv)
{
	enum { OPT_OUTPUT = 256, OPT_SIZE };
	static const struct option lo[] = {
		{ "output", required_argument, 0, OPT_OUTPUT },
		{ "size", required_argument, 0, OPT_SIZE },
		{ "force-share", no_argument, 0, 'U' },
		{ 0 } };
	const char *fmt = NULL, *ofmt = "raw", *optv[16];
	int nopt = 0, c;
	bool json = false, share = false, size_set = false;
	uint64_t size = 0;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:O:o:l:U", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'O': ofmt = optarg; break;
		case 'o':
			if (nopt == 16)
				return img_usage("measure", "too many -o options");
			optv[nopt++] = optarg;
			break;
		case 'U': share = true; break;
		case 'l': return img_usage("measure", "measuring a snapshot (-l) is not supported");
		case OPT_OUTPUT:
			if (strcmp(optarg, "json") && strcmp(optarg, "human"))
				return img_usage("measure", "--output must be human or json, not '%s'", optarg);
			json = !strcmp(optarg, "json");
			break;
		case OPT_SIZE:
			if (img_parse_size(optarg, &size) < 0)
				return img_usage("measure", "invalid size '%s'", optarg);
			size_set = true;
			break;
		default: return img_badopt("measure", c, argv);
		}
	}
	if (!known_format(ofmt))
		return img_usage("measure", "unknown output format '%s' (raw or qcow2)", ofmt);
	struct img_create_req req;
	img_create_opts_init(&req, ofmt);
	for (int i = 0; i < nopt; i++)
		if (img_parse_create_opts("measure", optv[i], &req))
			return 1;
	if (req.help)
		return 0;
	const char *file = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return img_usage("measure", "unexpected argument '%s'", argv[optind]);
	if (!file == !size_set)
		return img_usage("measure", "give either --size or an input image, not both or neither");
	bool qcow2 = !strcmp(ofmt, "qcow2");
	uint64_t cs = req.o.cluster_size ? req.o.cluster_size : 65536;
	uint64_t gran = qcow2 ? cs : 512, units = 0;
	if (file && measure_input(file, fmt, share, gran, &size, &units) < 0)
		return 1;
	if (req.size_set)
		size = req.o.size;

	uint64_t required, full;
	if (qcow2) {
		int rb = req.o.refcount_bits ? req.o.refcount_bits : 16;
		/* Like qemu-img, the refcount structures are sized for the fully
		 * allocated image even when less data is present. */
		full = qcow2_size(size, div_up(size, cs), cs, rb);
		required = req.o.prealloc == BLK_PREALLOC_OFF ? full - (div_up(size, cs) - units) * cs : full;
	} else {
		full = size;
		required = req.o.prealloc == BLK_PREALLOC_OFF ? units * gran : size;
		if (required > size)
			required = size;
	}
	bool bitmaps = file && qcow2 && req.o.compat != 2;
	if (json) {
		printf("{\n");
		if (bitmaps)
			printf("    \"bitmaps\": 0,\n");
		printf("    \"required\": %" PRIu64 ",\n    \"fully-allocated\": %" PRIu64 "\n}\n",
		       required, full);
	} else {
		printf("required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n", required, full);
		if (bitmaps)
			printf("bitmaps size: 0\n");
	}
	return 0;
}
