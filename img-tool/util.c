/*
 * util.c - helpers shared by the ringvm-img subcommands: the reactor
 * context, size/cache/option parsing, human sizes, progress bar, JSON.
 *
 * Single-threaded: everything runs on the main thread with the loop.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <unistd.h>

#include "img.h"

void img_err(const char *fmt, ...)
{
	va_list ap;
	fputs("ringvm-img: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int img_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "ringvm-img: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'ringvm-img --help').\n");
	return 1;
}

int img_ctx_init(struct img_ctx *c, enum aio_engine_kind kind)
{
	int r = loop_new(&c->loop, NULL);
	if (r < 0) {
		img_err("cannot create the event loop: %s.", strerror(-r));
		return r;
	}
	r = aio_engine_open(&c->eng, c->loop, kind);
	if (r < 0) {
		img_err("cannot open the I/O engine: %s.", strerror(-r));
		loop_free(c->loop);
		return r;
	}
	return 0;
}

void img_ctx_fini(struct img_ctx *c)
{
	aio_engine_close(c->eng);
	loop_free(c->loop);
}

int img_open(struct img_ctx *c, struct blk **out, const char *file, const char *fmt,
	     unsigned flags)
{
	return img_open_snapshot(c, out, file, fmt, flags, NULL);
}

int img_open_snapshot(struct img_ctx *c, struct blk **out, const char *file, const char *fmt,
		      unsigned flags, const char *snapshot)
{
	char err[512] = "";
	struct blk_open_opts o = { .filename = file, .format = fmt, .flags = flags,
				   .snapshot = snapshot };
	int r = blk_open(out, c->eng, &o, err, sizeof(err));
	if (r < 0) {
		if (err[0])
			img_err("%s", err);
		else
			img_err("cannot open '%s': %s.", file, strerror(-r));
	}
	return r;
}

int img_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	uint64_t mul = 1;
	switch (toupper((unsigned char)*end)) {
	case 'B': mul = 1; end++; break;
	case 'K': mul = 1ull << 10; end++; break;
	case 'M': mul = 1ull << 20; end++; break;
	case 'G': mul = 1ull << 30; end++; break;
	case 'T': mul = 1ull << 40; end++; break;
	case 'P': mul = 1ull << 50; end++; break;
	case 'E': mul = 1ull << 60; end++; break;
	case 0: break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	double bytes = v * (double)mul;
	if (bytes >= 18446744073709551615.0)
		return -ERANGE;
	/* Fractions are allowed only when they give whole bytes. */
	if (bytes != floor(bytes))
		return -EINVAL;
	*out = (uint64_t)bytes;
	return 0;
}

int img_parse_cache(const char *mode, unsigned *flags)
{
	if (!strcmp(mode, "none") || !strcmp(mode, "off"))
		*flags = BLK_O_DIRECT;
	else if (!strcmp(mode, "writeback"))
		*flags = 0;
	else if (!strcmp(mode, "writethrough"))
		*flags = BLK_O_WRITETHROUGH;
	else if (!strcmp(mode, "directsync"))
		*flags = BLK_O_DIRECT | BLK_O_WRITETHROUGH;
	else if (!strcmp(mode, "unsafe"))
		*flags = BLK_O_NO_FLUSH;
	else
		return -EINVAL;
	return 0;
}

void img_human_size(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	/* Pick the unit that keeps the value under 1000, with 3 significant
	 * digits, which is how qemu-img prints sizes. */
	int i = 0;
	double d = (double)v;
	while (d >= 1000.0 && i < 6) {
		d /= 1024.0;
		i++;
	}
	snprintf(buf, len, "%0.3g %sB", d, units[i]);
}

void img_create_opts_init(struct img_create_req *r, const char *fmt)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->fmt, sizeof(r->fmt), "%s", fmt ? fmt : "raw");
	r->o.format = r->fmt;
}

static void create_opts_help(const char *fmt)
{
	printf("Supported options:\n");
	printf("  size=<size>              Virtual disk size\n");
	if (!strcmp(fmt, "qcow2")) {
		printf("  backing_file=<str>       File name of a base image\n");
		printf("  backing_fmt=<str>        Image format of the base image\n");
		printf("  cluster_size=<size>      qcow2 cluster size (512 to 2M, power of two)\n");
		printf("  compat=<str>             Compatibility level (v2 / 0.10, v3 / 1.1)\n");
		printf("  compression_type=<str>   Compression method (zlib, zstd)\n");
		printf("  extended_l2=<bool>       Extended L2 entries: 32 subclusters per cluster (on/off)\n");
		printf("  lazy_refcounts=<bool>    Postpone refcount updates (on/off)\n");
		printf("  preallocation=<str>      off, metadata, falloc or full\n");
		printf("  refcount_bits=<num>      Width of a reference count entry in bits (1..64)\n");
	} else {
		printf("  preallocation=<str>      off, falloc or full\n");
	}
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* One key=value pair. Returns 0 or 1 after printing the error. */
static int create_opt(const char *cmd, struct img_create_req *r, const char *k, const char *v)
{
	bool qcow2 = !strcmp(r->fmt, "qcow2");
	uint64_t n;
	if (!strcmp(k, "size")) {
		if (img_parse_size(v, &n) < 0)
			return img_usage(cmd, "invalid size '%s' in -o", v);
		r->o.size = n;
		r->size_set = true;
	} else if (!strcmp(k, "preallocation")) {
		if (!strcmp(v, "off")) r->o.prealloc = BLK_PREALLOC_OFF;
		else if (!strcmp(v, "metadata") && qcow2) r->o.prealloc = BLK_PREALLOC_METADATA;
		else if (!strcmp(v, "falloc")) r->o.prealloc = BLK_PREALLOC_FALLOC;
		else if (!strcmp(v, "full")) r->o.prealloc = BLK_PREALLOC_FULL;
		else
			return img_usage(cmd, "preallocation must be off, %sfalloc or full, not '%s'",
					 qcow2 ? "metadata, " : "", v);
	} else if (!qcow2) {
		return img_usage(cmd, "format '%s' has no option '%s'", r->fmt, k);
	} else if (!strcmp(k, "cluster_size")) {
		if (img_parse_size(v, &n) < 0 || n < 512 || n > (2u << 20) || (n & (n - 1)))
			return img_usage(cmd, "cluster_size must be a power of two from 512 to 2M, not '%s'", v);
		r->o.cluster_size = (uint32_t)n;
	} else if (!strcmp(k, "backing_file")) {
		r->o.backing_file = v;
	} else if (!strcmp(k, "backing_fmt")) {
		r->o.backing_fmt = v;
	} else if (!strcmp(k, "compat")) {
		if (!strcmp(v, "0.10") || !strcmp(v, "v2"))
			r->o.compat = 2;
		else if (!strcmp(v, "1.1") || !strcmp(v, "v3"))
			r->o.compat = 3;
		else
			return img_usage(cmd, "compat must be 0.10 (v2) or 1.1 (v3), not '%s'", v);
	} else if (!strcmp(k, "extended_l2")) {
		if (parse_bool(v, &r->o.extended_l2) < 0)
			return img_usage(cmd, "extended_l2 must be on or off, not '%s'", v);
	} else if (!strcmp(k, "lazy_refcounts")) {
		if (parse_bool(v, &r->o.lazy_refcounts) < 0)
			return img_usage(cmd, "lazy_refcounts must be on or off, not '%s'", v);
	} else if (!strcmp(k, "refcount_bits")) {
		char *end;
		unsigned long b = strtoul(v, &end, 10);
		if (*end || !b || b > 64 || (b & (b - 1)))
			return img_usage(cmd, "refcount_bits must be a power of two from 1 to 64, not '%s'", v);
		r->o.refcount_bits = (int)b;
	} else if (!strcmp(k, "compression_type")) {
		if (!strcmp(v, "zlib"))
			r->o.compression_type = 0;
		else if (!strcmp(v, "zstd"))
			r->o.compression_type = 1;
		else
			return img_usage(cmd, "compression_type must be zlib or zstd, not '%s'", v);
	} else {
		return img_usage(cmd, "format '%s' has no option '%s'", r->fmt, k);
	}
	return 0;
}

int img_parse_create_opts(const char *cmd, const char *optstr, struct img_create_req *r)
{
	if (!strcmp(optstr, "help") || !strcmp(optstr, "?")) {
		create_opts_help(r->fmt);
		r->help = true;
		return 0;
	}
	/* The strings stay referenced by r->o for the life of the process:
	 * keep each copy in a static table (at most one per -o). */
	static char *keep[64];
	static unsigned nkeep;
	if (nkeep == sizeof(keep) / sizeof(keep[0]))
		return img_usage(cmd, "too many -o options");
	char *s = strdup(optstr);
	if (!s)
		return img_usage(cmd, "out of memory");
	keep[nkeep++] = s;
	for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			if (!strcmp(tok, "help") || !strcmp(tok, "?")) {
				create_opts_help(r->fmt);
				r->help = true;
				continue;
			}
			return img_usage(cmd, "option '%s' in -o needs a value (key=value)", tok);
		}
		*eq = 0;
		if (create_opt(cmd, r, tok, eq + 1))
			return 1;
	}
	if (r->o.compat == 2 && r->o.lazy_refcounts)
		return img_usage(cmd, "lazy_refcounts needs compat=1.1 (v3)");
	if (r->o.compat == 2 && r->o.refcount_bits && r->o.refcount_bits != 16)
		return img_usage(cmd, "refcount_bits other than 16 needs compat=1.1 (v3)");
	if (r->o.compat == 2 && r->o.compression_type)
		return img_usage(cmd, "compression_type=zstd needs compat=1.1 (v3)");
	return 0;
}

void img_progress_init(struct img_progress *p, bool want)
{
	p->on = want && isatty(STDOUT_FILENO);
	p->last = -1;
	if (p->on)
		img_progress_update(p, 0, 1);
}

void img_progress_update(struct img_progress *p, uint64_t done, uint64_t total)
{
	if (!p->on)
		return;
	int pct100 = total ? (int)((double)done * 10000.0 / (double)total) : 10000;
	if (pct100 == p->last)
		return;
	p->last = pct100;
	printf("    (%d.%02d/100%%)\r", pct100 / 100, pct100 % 100);
	fflush(stdout);
}

void img_progress_end(struct img_progress *p)
{
	if (!p->on)
		return;
	img_progress_update(p, 1, 1);
	printf("\n");
	fflush(stdout);
}

void img_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void *img_alloc(size_t len)
{
	void *p = NULL;
	if (posix_memalign(&p, 4096, len ? (len + 4095) & ~(size_t)4095 : 4096))
		return NULL;
	return p;
}

int img_wait(struct img_ctx *c, const unsigned *pending)
{
	while (*pending) {
		int r = loop_run_once(c->loop, -1);
		if (r < 0)
			return r;
	}
	return 0;
}

void img_backing_path(const char *image, const char *backing, char *out, size_t len)
{
	const char *slash = strrchr(image, '/');
	if (backing[0] == '/' || !slash || strstr(backing, "://"))
		snprintf(out, len, "%s", backing);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - image), image, backing);
}

int img_badopt(const char *cmd, int c, char **argv)
{
	if (c == ':') {
		if (optopt)
			return img_usage(cmd, "option '-%c' needs an argument", optopt);
		return img_usage(cmd, "option '%s' needs an argument", argv[optind - 1]);
	}
	if (optopt)
		return img_usage(cmd, "unknown option '-%c'", optopt);
	return img_usage(cmd, "unknown option '%s'", argv[optind - 1]);
}
