/*
 * info.c - `info` (human and JSON, optionally the whole backing chain)
 * and the snapshot table shared with `snapshot -l`. Single-threaded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "img.h"

#define INFO_MAX_CHAIN 64
#define INFO_MAX_SNAPSHOTS 1024

void img_print_snapshots(FILE *f, const struct blk_snapshot *s, int n)
{
	fprintf(f, "%-9s %-17s %7s %19s %12s %10s\n", "ID", "TAG", "VM SIZE", "DATE",
		"VM CLOCK", "ICOUNT");
	for (int i = 0; i < n; i++) {
		char vmsz[32], date[32] = "", clk[48], ic[24] = "";
		img_human_size(s[i].vm_state_size, vmsz, sizeof(vmsz));
		time_t t = (time_t)s[i].date_sec;
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		uint64_t ms = s[i].vm_clock_nsec / 1000000;
		snprintf(clk, sizeof(clk), "%02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64,
			 ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
		if (s[i].icount != UINT64_MAX)
			snprintf(ic, sizeof(ic), "%" PRIu64, s[i].icount);
		fprintf(f, "%-9s %-17s %7s %19s %12s %10s\n", s[i].id, s[i].name, vmsz, date, clk, ic);
	}
}

struct info_img {
	char file[PATH_MAX];
	const char *format;
	struct blk_info in;
	struct blk_snapshot *snaps;
	int nsnaps;
	char full_backing[PATH_MAX + 4096];
};

static void json_snapshots(const struct info_img *m, const char *ind)
{
	printf("%s\"snapshots\": [\n", ind);
	for (int i = 0; i < m->nsnaps; i++) {
		const struct blk_snapshot *s = &m->snaps[i];
		printf("%s    {\n", ind);
		if (s->icount != UINT64_MAX)
			printf("%s        \"icount\": %" PRIu64 ",\n", ind, s->icount);
		printf("%s        \"vm-clock-nsec\": %" PRIu64 ",\n", ind, s->vm_clock_nsec % 1000000000u);
		printf("%s        \"name\": ", ind);
		img_json_str(stdout, s->name);
		printf(",\n%s        \"date-sec\": %" PRIu64 ",\n", ind, s->date_sec);
		printf("%s        \"date-nsec\": %u,\n", ind, s->date_nsec);
		printf("%s        \"vm-clock-sec\": %" PRIu64 ",\n", ind, s->vm_clock_nsec / 1000000000u);
		printf("%s        \"id\": ", ind);
		img_json_str(stdout, s->id);
		printf(",\n%s        \"vm-state-size\": %" PRIu64 "\n", ind, s->vm_state_size);
		printf("%s    }%s\n", ind, i + 1 < m->nsnaps ? "," : "");
	}
	printf("%s],\n", ind);
}

static void print_json(const struct info_img *m, const char *ind)
{
	const struct blk_info *in = &m->in;
	bool qcow2 = !strcmp(m->format, "qcow2");
	printf("%s{\n", ind[0] ? "    " : "");
	if (in->backing_file[0] && in->backing_fmt[0])
		printf("%s\"backing-filename-format\": \"%s\",\n", ind, in->backing_fmt);
	if (m->nsnaps > 0)
		json_snapshots(m, ind);
	printf("%s\"virtual-size\": %" PRIu64 ",\n%s\"filename\": ", ind, in->virtual_size, ind);
	img_json_str(stdout, m->file);
	printf(",\n");
	if (qcow2)
		printf("%s\"cluster-size\": %u,\n", ind, in->cluster_size);
	printf("%s\"format\": \"%s\",\n", ind, m->format);
	printf("%s\"actual-size\": %" PRIu64 ",\n", ind, in->actual_size);
	if (qcow2) {
		printf("%s\"format-specific\": {\n%s    \"type\": \"qcow2\",\n%s    \"data\": {\n", ind, ind, ind);
		printf("%s        \"compat\": \"%s\",\n", ind, in->qcow2_version >= 3 ? "1.1" : "0.10");
		if (in->qcow2_version >= 3) {
			printf("%s        \"compression-type\": \"%s\",\n", ind,
			       in->compression_type ? "zstd" : "zlib");
			printf("%s        \"lazy-refcounts\": %s,\n", ind, in->lazy_refcounts ? "true" : "false");
		}
		printf("%s        \"refcount-bits\": %d,\n", ind, in->refcount_bits);
		printf("%s        \"corrupt\": %s", ind, in->corrupt ? "true" : "false");
		if (in->qcow2_version >= 3)
			printf(",\n%s        \"extended-l2\": %s", ind,
			       in->extended_l2 ? "true" : "false");
		printf("\n%s    }\n%s},\n", ind, ind);
	}
	if (in->backing_file[0]) {
		printf("%s\"full-backing-filename\": ", ind);
		img_json_str(stdout, m->full_backing);
		printf(",\n%s\"backing-filename\": ", ind);
		img_json_str(stdout, in->backing_file);
		printf(",\n");
	}
	printf("%s\"dirty-flag\": %s\n%s}", ind, in->dirty ? "true" : "false", ind[0] ? "    " : "");
}

static void print_human(const struct info_img *m)
{
	const struct blk_info *in = &m->in;
	char vs[32], ds[32];
	img_human_size(in->virtual_size, vs, sizeof(vs));
	img_human_size(in->actual_size, ds, sizeof(ds));
	printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRIu64 " bytes)\ndisk size: %s\n",
	       m->file, m->format, vs, in->virtual_size, ds);
	if (!strcmp(m->format, "qcow2"))
		printf("cluster_size: %u\n", in->cluster_size);
	if (in->backing_file[0]) {
		printf("backing file: %s", in->backing_file);
		if (strcmp(in->backing_file, m->full_backing))
			printf(" (actual path: %s)", m->full_backing);
		printf("\n");
		if (in->backing_fmt[0])
			printf("backing file format: %s\n", in->backing_fmt);
	}
	if (in->dirty)
		printf("cleanly shut down: no\n");
	if (m->nsnaps > 0) {
		printf("Snapshot list:\n");
		img_print_snapshots(stdout, m->snaps, m->nsnaps);
	}
	if (!strcmp(m->format, "qcow2")) {
		printf("Format specific information:\n    compat: %s\n",
		       in->qcow2_version >= 3 ? "1.1" : "0.10");
		if (in->qcow2_version >= 3) {
			printf("    compression type: %s\n", in->compression_type ? "zstd" : "zlib");
			printf("    lazy refcounts: %s\n", in->lazy_refcounts ? "true" : "false");
		}
		printf("    refcount bits: %d\n    corrupt: %s\n", in->refcount_bits,
		       in->corrupt ? "true" : "false");
		if (in->qcow2_version >= 3)
			printf("    extended l2: %s\n", in->extended_l2 ? "true" : "false");
	}
}

/* Gather everything info prints about one image (opened without its
 * backing chain). Returns 0 or 1 after printing the error. */
static int gather(struct img_ctx *ctx, struct info_img *m, const char *file, const char *fmt,
		  unsigned flags)
{
	struct blk *b;
	snprintf(m->file, sizeof(m->file), "%s", file);
	if (img_open(ctx, &b, file, fmt, flags | BLK_O_NO_BACKING) < 0)
		return 1;
	m->format = blk_format(b);
	int r = blk_get_info(b, &m->in);
	if (r < 0) {
		img_err("cannot read the properties of '%s': %s.", file, strerror(-r));
		blk_close(b);
		return 1;
	}
	m->nsnaps = 0;
	m->snaps = NULL;
	if (m->in.nb_snapshots) {
		m->snaps = calloc(INFO_MAX_SNAPSHOTS, sizeof(*m->snaps));
		r = m->snaps ? blk_snapshot_list(b, m->snaps, INFO_MAX_SNAPSHOTS) : -ENOMEM;
		if (r < 0) {
			img_err("cannot read the snapshot table of '%s': %s.", file, strerror(-r));
			blk_close(b);
			return 1;
		}
		m->nsnaps = r < INFO_MAX_SNAPSHOTS ? r : INFO_MAX_SNAPSHOTS;
	}
	if (m->in.backing_file[0])
		img_backing_path(file, m->in.backing_file, m->full_backing, sizeof(m->full_backing));
	/* m->format points into b; keep a stable copy before closing. */
	m->format = !strcmp(m->format, "qcow2") ? "qcow2" : "raw";
	blk_close(b);
	return 0;
}

int img_cmd_info(int argc, char **argv)
{
	enum { OPT_OUTPUT = 256, OPT_CHAIN };
	static const struct option lo[] = {
		{ "output", required_argument, 0, OPT_OUTPUT },
		{ "backing-chain", no_argument, 0, OPT_CHAIN },
		{ "force-share", no_argument, 0, 'U' },
		{ 0 } };
	const char *fmt = NULL;
	bool json = false, chain = false;
	unsigned flags = 0;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:U", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'U': flags |= BLK_O_FORCE_SHARE; break;
		case OPT_CHAIN: chain = true; break;
		case OPT_OUTPUT:
			if (strcmp(optarg, "json") && strcmp(optarg, "human"))
				return img_usage("info", "--output must be human or json, not '%s'", optarg);
			json = !strcmp(optarg, "json");
			break;
		default: return img_badopt("info", c, argv);
		}
	}
	if (optind != argc - 1)
		return img_usage("info", "expects exactly one file name");

	struct img_ctx ctx;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	static struct info_img chainv[INFO_MAX_CHAIN];
	static char seen[INFO_MAX_CHAIN][PATH_MAX + 4096];
	int n = 0, ret = 0;
	const char *file = argv[optind];
	for (;;) {
		if (n == INFO_MAX_CHAIN) {
			img_err("the backing chain of '%s' is longer than %d images.", argv[optind], INFO_MAX_CHAIN);
			ret = 1;
			break;
		}
		if (!realpath(file, seen[n]))
			snprintf(seen[n], sizeof(seen[n]), "%s", file);
		for (int i = 0; i < n; i++)
			if (!strcmp(seen[i], seen[n])) {
				img_err("backing chain loop: '%s' is its own backing file.", file);
				ret = 1;
				goto out;
			}
		if (gather(&ctx, &chainv[n], file, fmt, flags)) {
			ret = 1;
			break;
		}
		n++;
		if (!chain || !chainv[n - 1].in.backing_file[0])
			break;
		file = chainv[n - 1].full_backing;
		fmt = chainv[n - 1].in.backing_fmt[0] ? chainv[n - 1].in.backing_fmt : NULL;
	}
out:
	if (!ret) {
		if (json && chain)
			printf("[\n");
		for (int i = 0; i < n; i++) {
			if (json) {
				print_json(&chainv[i], chain ? "        " : "    ");
				printf("%s\n", chain && i + 1 < n ? "," : "");
			} else {
				if (i)
					printf("\n");
				print_human(&chainv[i]);
			}
		}
		if (json && chain)
			printf("]\n");
	}
	for (int i = 0; i < n; i++)
		free(chainv[i].snaps);
	img_ctx_fini(&ctx);
	return ret;
}
