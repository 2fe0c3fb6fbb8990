/*
 * resize.c - `resize`: grow or (with --shrink) shrink an image, to an
 * absolute size or by +SIZE / -SIZE. Single-threaded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "img.h"

int img_cmd_resize(int argc, char **argv)
{
	enum { OPT_SHRINK = 256, OPT_PREALLOC };
	static const struct option lo[] = {
		{ "shrink", no_argument, 0, OPT_SHRINK },
		{ "preallocation", required_argument, 0, OPT_PREALLOC },
		{ 0 } };
	const char *fmt = NULL;
	bool quiet = false, shrink = false;
	int c;

	/* "-1G" as the last argument is a size, not an option: take it out
	 * before getopt sees it. */
	char *size_arg = NULL;
	if (argc >= 3 && argv[argc - 1][0] == '-' &&
	    (argv[argc - 1][1] >= '0' && argv[argc - 1][1] <= '9')) {
		size_arg = argv[argc - 1];
		argc--;
	}
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:qU", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'q': quiet = true; break;
		case 'U': return img_usage("resize", "-U is not allowed: resizing writes the image");
		case OPT_SHRINK: shrink = true; break;
		case OPT_PREALLOC:
			if (strcmp(optarg, "off"))
				return img_usage("resize", "only --preallocation=off is supported, not '%s'", optarg);
			break;
		default: return img_badopt("resize", c, argv);
		}
	}
	if (!size_arg) {
		if (argc - optind != 2)
			return img_usage("resize", "expects a file name and a size");
		size_arg = argv[argc - 1];
	} else if (argc - optind != 1) {
		return img_usage("resize", "expects a file name and a size");
	}
	const char *file = argv[optind];
	int rel = 0;
	const char *num = size_arg;
	if (*num == '+' || *num == '-') {
		rel = *num == '+' ? 1 : -1;
		num++;
	}
	uint64_t n;
	if (img_parse_size(num, &n) < 0)
		return img_usage("resize", "invalid size '%s'", size_arg);

	struct img_ctx ctx;
	struct blk *b;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	int ret = 1;
	if (img_open(&ctx, &b, file, fmt, BLK_O_RDWR) < 0)
		goto out;
	uint64_t cur = blk_size(b), want = n;
	if (rel > 0) {
		want = cur + n;
		if (want < cur) {
			img_err("the new size of '%s' would overflow.", file);
			blk_close(b);
			goto out;
		}
	} else if (rel < 0) {
		if (n > cur) {
			img_err("cannot shrink '%s' (%" PRIu64 " bytes) by %" PRIu64 " bytes.", file, cur, n);
			blk_close(b);
			goto out;
		}
		want = cur - n;
	}
	if (want < cur && !shrink) {
		img_err("shrinking '%s' loses the data past the new end; use --shrink to confirm.", file);
		blk_close(b);
		goto out;
	}
	char err[512] = "";
	int r = blk_truncate(b, want, shrink, err, sizeof(err));
	int cr = blk_close(b);
	if (r < 0) {
		if (err[0])
			img_err("%s", err);
		else
			img_err("cannot resize '%s': %s.", file, strerror(-r));
	} else if (cr < 0) {
		img_err("writing '%s' failed: %s.", file, strerror(-cr));
	} else {
		if (!quiet)
			printf("Image resized.\n");
		ret = 0;
	}
out:
	img_ctx_fini(&ctx);
	return ret;
}
