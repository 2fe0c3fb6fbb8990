/*
 * map.c - `map`: where each part of the virtual disk lives (which file of
 * the backing chain, at what host offset), in qemu-img's human and JSON
 * layouts. Adjacent runs with the same properties are merged.
 * Single-threaded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "img.h"

struct map_run {
	uint64_t start, len, host;
	int depth;
	bool present, zero, data, compressed, host_valid;
	const char *file;
};

static bool can_merge(const struct map_run *a, const struct map_run *b)
{
	if (a->depth != b->depth || a->present != b->present || a->zero != b->zero ||
	    a->data != b->data || a->compressed != b->compressed || a->host_valid != b->host_valid)
		return false;
	if (a->host_valid && (a->host + a->len != b->host || strcmp(a->file, b->file)))
		return false;
	return true;
}

static void emit(const struct map_run *m, bool json, bool *first)
{
	if (json) {
		printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", \"depth\": %d, "
		       "\"present\": %s, \"zero\": %s, \"data\": %s",
		       *first ? "[" : ",\n", m->start, m->len, m->depth, m->present ? "true" : "false",
		       m->zero ? "true" : "false", m->data ? "true" : "false");
		if (m->host_valid)
			printf(", \"offset\": %" PRIu64, m->host);
		printf("}");
	} else if (m->host_valid) {
		printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", m->start, m->len, m->host,
		       m->file);
	}
	*first = false;
}

/*
 * Status with the depth of the layer that allocates the run: the block
 * layer marks ALLOCATED only for the layer it was asked about, so walk
 * down the chain asking each backing file in turn. *present says whether
 * any layer allocates it (a zero cluster in a backing file is present).
 */
static int chain_status(struct blk *b, uint64_t off, uint64_t len, struct blk_status *st,
			bool *present)
{
	int depth = 0;
	for (;;) {
		int r = blk_block_status(b, off, len, st);
		if (r < 0)
			return r;
		if (!st->len)
			return -EIO;
		if (st->len < len)
			len = st->len;
		struct blk *next = blk_backing(b);
		if ((st->flags & BLK_STATUS_ALLOCATED) || !next || off >= blk_size(next)) {
			*present = (st->flags & BLK_STATUS_ALLOCATED) != 0;
			st->len = len;
			st->depth = depth;
			return 0;
		}
		if (len > blk_size(next) - off)
			len = blk_size(next) - off;
		b = next;
		depth++;
	}
}

int img_cmd_map(int argc, char **argv)
{
	enum { OPT_OUTPUT = 256, OPT_START, OPT_MAXLEN };
	static const struct option lo[] = {
		{ "output", required_argument, 0, OPT_OUTPUT },
		{ "start-offset", required_argument, 0, OPT_START },
		{ "max-length", required_argument, 0, OPT_MAXLEN },
		{ "force-share", no_argument, 0, 'U' },
		{ 0 } };
	const char *fmt = NULL;
	bool json = false;
	unsigned flags = 0;
	uint64_t start = 0, maxlen = UINT64_MAX;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:f:U", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'U': flags |= BLK_O_FORCE_SHARE; break;
		case OPT_OUTPUT:
			if (strcmp(optarg, "json") && strcmp(optarg, "human"))
				return img_usage("map", "--output must be human or json, not '%s'", optarg);
			json = !strcmp(optarg, "json");
			break;
		case OPT_START:
			if (img_parse_size(optarg, &start) < 0)
				return img_usage("map", "invalid --start-offset '%s'", optarg);
			break;
		case OPT_MAXLEN:
			if (img_parse_size(optarg, &maxlen) < 0)
				return img_usage("map", "invalid --max-length '%s'", optarg);
			break;
		default: return img_badopt("map", c, argv);
		}
	}
	if (optind != argc - 1)
		return img_usage("map", "expects exactly one file name");
	const char *file = argv[optind];
	struct img_ctx ctx;
	struct blk *b;
	if (img_ctx_init(&ctx, AIO_ENGINE_AUTO) < 0)
		return 1;
	if (img_open(&ctx, &b, file, fmt, flags) < 0) {
		img_ctx_fini(&ctx);
		return 1;
	}
	int bottom = 0;
	for (struct blk *p = blk_backing(b); p; p = blk_backing(p))
		bottom++;
	uint64_t end = blk_size(b);
	if (maxlen < end - (start < end ? start : end))
		end = start + maxlen;
	if (!json)
		printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
	struct map_run cur = { .len = 0 };
	bool first = true;
	int ret = 0;
	for (uint64_t off = start; off < end;) {
		struct blk_status st;
		bool present;
		int r = chain_status(b, off, end - off, &st, &present);
		if (r < 0 || !st.len) {
			img_err("cannot read the allocation status of '%s' at offset %" PRIu64 ": %s.", file,
				off, strerror(r < 0 ? -r : EIO));
			ret = 1;
			break;
		}
		struct map_run m = {
			.start = off, .len = st.len < end - off ? st.len : end - off,
			.depth = st.depth, .host = st.host_offset,
			.data = st.flags & BLK_STATUS_DATA, .zero = st.flags & BLK_STATUS_ZERO,
			.compressed = st.flags & BLK_STATUS_COMPRESSED,
			.file = st.host_file ? st.host_file : file,
		};
		m.present = present;
		if (!m.present) {
			m.depth = bottom; /* qemu-img reports unallocated runs at the bottom */
			m.zero = true;
		}
		m.host_valid = m.data && !m.compressed;
		if (cur.len && can_merge(&cur, &m)) {
			cur.len += m.len;
		} else {
			if (cur.len)
				emit(&cur, json, &first);
			cur = m;
		}
		off += m.len;
	}
	if (cur.len && !ret)
		emit(&cur, json, &first);
	if (json && !ret)
		printf(first ? "[]\n" : "]\n");
	blk_close(b);
	img_ctx_fini(&ctx);
	return ret;
}
