/*
 * snapshot.c - `snapshot`: list, create, apply and delete internal
 * (qcow2) snapshots. Single-threaded.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

enum { SN_NONE, SN_LIST, SN_CREATE, SN_APPLY, SN_DELETE };

int img_cmd_snapshot(int argc, char **argv)
{
	static const struct option lo[] = { { "force-share", no_argument, 0, 'U' }, { 0 } };
	const char *fmt = NULL, *name = NULL;
	int action = SN_NONE, c;
	bool quiet = false, share = false;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:la:c:d:qU", lo, NULL)) != -1) {
		int want = SN_NONE;
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'q': quiet = true; break;
		case 'U': share = true; break;
		case 'l': want = SN_LIST; break;
		case 'a': want = SN_APPLY; break;
		case 'c': want = SN_CREATE; break;
		case 'd': want = SN_DELETE; break;
		default: return img_badopt("snapshot", c, argv);
		}
		if (want != SN_NONE) {
			if (action != SN_NONE)
				return img_usage("snapshot", "give only one of -l, -a, -c and -d");
			action = want;
			name = want == SN_LIST ? NULL : optarg;
		}
	}
	if (action == SN_NONE)
		return img_usage("snapshot", "one of -l, -a, -c or -d is needed");
	if (optind != argc - 1)
		return img_usage("snapshot", "expects exactly one file name");
	if (share && action != SN_LIST)
		return img_usage("snapshot", "-U is only allowed with -l (read-only)");
	if (name && !*name)
		return img_usage("snapshot", "the snapshot name must not be empty");
	const char *file = argv[optind];

	struct img_ctx ctx;
	struct blk *b;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	unsigned flags = BLK_O_NO_BACKING;
	if (action != SN_LIST)
		flags |= BLK_O_RDWR;
	if (share)
		flags |= BLK_O_FORCE_SHARE;
	int ret = 1, r = 0;
	char err[512] = "";
	if (img_open(&ctx, &b, file, fmt, flags) < 0)
		goto out;
	if (strcmp(blk_format(b), "qcow2")) {
		img_err("'%s' is a %s image, which cannot hold snapshots.", file, blk_format(b));
		blk_close(b);
		goto out;
	}
	switch (action) {
	case SN_LIST: {
		struct blk_snapshot *s = calloc(1024, sizeof(*s));
		r = s ? blk_snapshot_list(b, s, 1024) : -ENOMEM;
		if (r >= 0) {
			if (!quiet) {
				printf("Snapshot list:\n");
				img_print_snapshots(stdout, s, r < 1024 ? r : 1024);
			}
			r = 0;
		} else {
			snprintf(err, sizeof(err), "cannot read the snapshot table of '%s': %s.", file, strerror(-r));
		}
		free(s);
		break;
	}
	case SN_CREATE: r = blk_snapshot_create(b, name, 0, err, sizeof(err)); break;
	case SN_APPLY: r = blk_snapshot_apply(b, name, err, sizeof(err)); break;
	case SN_DELETE: r = blk_snapshot_delete(b, name, err, sizeof(err)); break;
	}
	int cr = blk_close(b);
	if (r < 0) {
		if (err[0])
			img_err("%s", err);
		else
			img_err("snapshot operation on '%s' failed: %s.", file, strerror(-r));
	} else if (cr < 0) {
		img_err("writing '%s' failed: %s.", file, strerror(-cr));
	} else {
		ret = 0;
	}
out:
	img_ctx_fini(&ctx);
	return ret;
}
