/*
 * check.c - `check`: consistency check and repair of an image, with
 * qemu-img's exit codes (0 clean, 1 check failed, 2 corruptions, 3 leaks
 * only, 63 format cannot be checked). Single-threaded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "img.h"

static void report_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

static void print_human(const struct blk_check_result *r, bool quiet)
{
	if (quiet)
		return;
	if (!r->corruptions && !r->leaks && !r->check_errors)
		printf("No errors were found on the image.\n");
	if (r->corruptions)
		printf("\n%" PRIu64 " errors were found on the image.\n"
		       "Data may be corrupted, or further writes to the image may corrupt it.\n",
		       r->corruptions);
	if (r->leaks)
		printf("\n%" PRIu64 " leaked clusters were found on the image.\n"
		       "This means waste of disk space, but no harm to data.\n", r->leaks);
	if (r->check_errors)
		printf("\n%" PRIu64 " internal errors have occurred during the check.\n", r->check_errors);
	if (r->total_clusters) {
		double t = (double)r->total_clusters;
		printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
		       r->allocated_clusters, r->total_clusters, r->allocated_clusters * 100.0 / t,
		       r->fragmented_clusters * 100.0 / t, r->compressed_clusters * 100.0 / t);
	}
	if (r->image_end_offset)
		printf("Image end offset: %" PRIu64 "\n", r->image_end_offset);
}

static void print_json(const struct blk_check_result *r, const char *file, const char *fmt)
{
	printf("{\n");
	if (r->image_end_offset)
		printf("    \"image-end-offset\": %" PRIu64 ",\n", r->image_end_offset);
	if (r->total_clusters)
		printf("    \"total-clusters\": %" PRIu64 ",\n", r->total_clusters);
	printf("    \"check-errors\": %" PRIu64 ",\n", r->check_errors);
	if (r->total_clusters) {
		printf("    \"allocated-clusters\": %" PRIu64 ",\n", r->allocated_clusters);
		if (r->fragmented_clusters)
			printf("    \"fragmented-clusters\": %" PRIu64 ",\n", r->fragmented_clusters);
		if (r->compressed_clusters)
			printf("    \"compressed-clusters\": %" PRIu64 ",\n", r->compressed_clusters);
	}
	if (r->leaks)
		printf("    \"leaks\": %" PRIu64 ",\n", r->leaks);
	if (r->corruptions)
		printf("    \"corruptions\": %" PRIu64 ",\n", r->corruptions);
	if (r->leaks_fixed)
		printf("    \"leaks-fixed\": %" PRIu64 ",\n", r->leaks_fixed);
	if (r->corruptions_fixed)
		printf("    \"corruptions-fixed\": %" PRIu64 ",\n", r->corruptions_fixed);
	printf("    \"filename\": ");
	img_json_str(stdout, file);
	printf(",\n    \"format\": \"%s\"\n}\n", fmt);
}

static int exit_code(const struct blk_check_result *r)
{
	if (r->check_errors)
		return 1;
	if (r->corruptions)
		return 2;
	if (r->leaks)
		return 3;
	return 0;
}

int img_cmd_check(int argc, char **argv)
{
	enum { OPT_OUTPUT = 256 };
	static const struct option lo[] = {
		{ "output", required_argument, 0, OPT_OUTPUT },
		{ "repair", required_argument, 0, 'r' },
		{ "force-share", no_argument, 0, 'U' },
		{ 0 } };
	const char *fmt = NULL;
	bool json = false, quiet = false;
	unsigned fix = 0, flags = 0;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:r:qUT:", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'q': quiet = true; break;
		case 'U': flags |= BLK_O_FORCE_SHARE; break;
		case 'T': {
			unsigned cf;
			if (img_parse_cache(optarg, &cf) < 0)
				return img_usage("check", "unknown cache mode '%s'", optarg);
			flags |= cf;
			break;
		}
		case 'r':
			if (!strcmp(optarg, "leaks"))
				fix = BLK_CHECK_FIX_LEAKS;
			else if (!strcmp(optarg, "all"))
				fix = BLK_CHECK_FIX_LEAKS | BLK_CHECK_FIX_ERRORS;
			else
				return img_usage("check", "-r must be 'leaks' or 'all', not '%s'", optarg);
			break;
		case OPT_OUTPUT:
			if (strcmp(optarg, "json") && strcmp(optarg, "human"))
				return img_usage("check", "--output must be human or json, not '%s'", optarg);
			json = !strcmp(optarg, "json");
			break;
		default: return img_badopt("check", c, argv);
		}
	}
	if (optind != argc - 1)
		return img_usage("check", "expects exactly one file name");
	if (fix && (flags & BLK_O_FORCE_SHARE))
		return img_usage("check", "-U cannot be used with -r (repair needs exclusive access)");
	if (fix)
		flags |= BLK_O_RDWR | BLK_O_REPAIR;
	const char *file = argv[optind];

	struct img_ctx ctx;
	struct blk *b;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	if (img_open(&ctx, &b, file, fmt, flags) < 0) {
		img_ctx_fini(&ctx);
		return 1;
	}
	char fmtname[16];
	snprintf(fmtname, sizeof(fmtname), "%s", blk_format(b));
	struct blk_check_result res;
	memset(&res, 0, sizeof(res));
	int r = blk_check(b, fix, &res, report_line, NULL);
	if (r == 0 && fix && (res.leaks_fixed || res.corruptions_fixed)) {
		if (!quiet && !json)
			printf("The following inconsistencies were found and repaired:\n\n"
			       "    %" PRIu64 " leaked clusters\n    %" PRIu64 " corruptions\n\n"
			       "Double checking the fixed image now...\n",
			       res.leaks_fixed, res.corruptions_fixed);
		struct blk_check_result again;
		memset(&again, 0, sizeof(again));
		r = blk_check(b, 0, &again, report_line, NULL);
		again.leaks_fixed = res.leaks_fixed;
		again.corruptions_fixed = res.corruptions_fixed;
		res = again;
	}
	int cr = blk_close(b);
	img_ctx_fini(&ctx);
	if (r == -ENOTSUP || r == -EOPNOTSUPP) {
		img_err("format '%s' of '%s' does not support checks.", fmtname, file);
		return 63;
	}
	if (r < 0) {
		img_err("the check of '%s' could not be completed: %s.", file, strerror(-r));
		return 1;
	}
	if (cr < 0 && fix) {
		img_err("writing the repairs to '%s' failed: %s.", file, strerror(-cr));
		return 1;
	}
	if (json)
		print_json(&res, file, fmtname);
	else
		print_human(&res, quiet);
	return exit_code(&res);
}
