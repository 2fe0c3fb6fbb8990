/*
 * crash-writer.c - helper of the crash-safety test (crash.sh).
 *
 *   crash-writer write IMAGE LOG SEED   random writes with periodic
 *       flushes until killed; before each write it appends "W gen off len"
 *       to LOG, after each completed flush "F gen" (every write of this
 *       run up to gen is durable). A run starts with "R".
 *   crash-writer verify IMAGE FMT LOG   checks that every sector holds
 *       the data of its last durable write, or of a later write that may
 *       have landed, or zeroes if no durable write touched it.
 *
 * Every 512-byte sector written carries (gen, offset) and a PRNG fill
 * derived from them, so its origin can be recognised. Single-threaded:
 * the main thread runs the reactor loop; up to 4 non-overlapping writes
 * are in flight at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"

#define SECT 512
#define WINDOW 4
#define MAXLEN (256 * SECT)

struct wr {
	uint64_t off, len;
	unsigned run;
	bool durable, seen;
};

static struct wr *wrs;     /* indexed by gen */
static uint64_t nwrs, capw;

static void fill(uint8_t *p, uint64_t gen, uint64_t off, uint64_t len)
{
	for (uint64_t s = 0; s < len; s += SECT) {
		uint64_t *q = (uint64_t *)(p + s), x = (gen * 0x9E3779B97F4A7C15ull) ^ (off + s) ^ 0xabcdef;
		q[0] = gen;
		q[1] = off + s;
		for (int i = 2; i < SECT / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			q[i] = x;
		}
	}
}

static void add_write(uint64_t gen, uint64_t off, uint64_t len, unsigned run)
{
	if (gen >= capw) {
		capw = capw ? capw * 2 : 4096;
		while (capw <= gen)
			capw *= 2;
		wrs = realloc(wrs, capw * sizeof(*wrs));
		if (!wrs)
			abort(); /* a test helper: out of memory is not a case to handle */
	}
	while (nwrs <= gen)
		memset(&wrs[nwrs++], 0, sizeof(*wrs));
	wrs[gen] = (struct wr){ .off = off, .len = len, .run = run, .seen = true };
}

/* Parse the log. Returns the highest gen seen. */
static uint64_t parse_log(const char *path)
{
	FILE *f = fopen(path, "r");
	uint64_t maxgen = 0, a, b, c;
	unsigned run = 0;
	char line[128];
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == 'R') {
			run++;
		} else if (sscanf(line, "W %" SCNu64 " %" SCNu64 " %" SCNu64, &a, &b, &c) == 3 &&
			   strchr(line, '\n')) {
			add_write(a, b, c, run);
			if (a > maxgen)
				maxgen = a;
		} else if (sscanf(line, "F %" SCNu64, &a) == 1 && strchr(line, '\n')) {
			for (uint64_t g = a; g > 0 && g < nwrs; g--)
				if (wrs[g].seen && wrs[g].run == run)
					wrs[g].durable = true;
		}
	}
	fclose(f);
	return maxgen;
}

struct slot {
	struct blk_req req;
	struct iovec iov;
	uint8_t *buf;
	uint64_t off, len;
	bool busy;
};

static unsigned inflight;

static void wdone(struct blk_req *r, int res)
{
	struct slot *s = r->opaque;
	if (res < 0) {
		fprintf(stderr, "crash-writer: write failed: %s\n", strerror(-res));
		exit(2);
	}
	s->busy = false;
	inflight--;
}

static void logf_line(int fd, const char *fmt, uint64_t a, uint64_t b, uint64_t c)
{
	char line[96];
	int n = snprintf(line, sizeof(line), fmt, a, b, c);
	if (write(fd, line, (size_t)n) != n) {
		perror("crash-writer: log");
		exit(2);
	}
}

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static bool overlaps(struct slot *sl, uint64_t off, uint64_t len)
{
	for (int i = 0; i < WINDOW; i++)
		if (sl[i].busy && off < sl[i].off + sl[i].len && sl[i].off < off + len)
			return true;
	return false;
}

static int do_write(struct loop *loop, struct blk *b, const char *log, uint64_t seed)
{
	uint64_t gen = parse_log(log) + 1, size = blk_size(b), since = 0;
	int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return 2;
	logf_line(fd, "R\n", 0, 0, 0);
	rng = seed * 2654435761u + 1;
	struct slot sl[WINDOW];
	memset(sl, 0, sizeof(sl));
	for (int i = 0; i < WINDOW; i++)
		if (posix_memalign((void **)&sl[i].buf, 4096, MAXLEN))
			return 2;
	for (;;) {
		if (since >= 8) {
			while (inflight)
				loop_run_once(loop, -1);
			int r = blk_flush_sync(b);
			if (r < 0) {
				fprintf(stderr, "crash-writer: flush failed: %s\n", strerror(-r));
				return 2;
			}
			logf_line(fd, "F %" PRIu64 "\n", gen - 1, 0, 0);
			since = 0;
			continue;
		}
		int free_slot = -1;
		for (int i = 0; i < WINDOW; i++)
			if (!sl[i].busy)
				free_slot = i;
		uint64_t len = (rnd() % 3 == 0 ? 8 * (1 + rnd() % 32) : 1 + rnd() % 256) * SECT;
		uint64_t off = rnd() % ((size - len) / SECT) * SECT;
		if (free_slot < 0 || overlaps(sl, off, len)) {
			loop_run_once(loop, -1);
			continue;
		}
		struct slot *s = &sl[free_slot];
		fill(s->buf, gen, off, len);
		logf_line(fd, "W %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", gen, off, len);
		memset(&s->req, 0, sizeof(s->req));
		s->iov = (struct iovec){ s->buf, len };
		s->req = (struct blk_req){ .op = BLK_WRITE, .offset = off, .iov = &s->iov, .iovcnt = 1,
					   .done = wdone, .opaque = s };
		s->off = off;
		s->len = len;
		s->busy = true;
		inflight++;
		gen++;
		since++;
		int r = blk_submit(b, &s->req);
		if (r < 0) {
			fprintf(stderr, "crash-writer: submit failed: %s\n", strerror(-r));
			return 2;
		}
	}
}

static int do_verify(struct blk *b, const char *log)
{
	parse_log(log);
	uint64_t size = blk_size(b), nsect = size / SECT, bad = 0;
	uint64_t *dur = calloc(nsect, sizeof(*dur));
	uint8_t *buf = malloc(1 << 20), *want = malloc(SECT);
	if (!dur || !buf || !want)
		return 2;
	for (uint64_t g = 1; g < nwrs; g++)
		if (wrs[g].seen && wrs[g].durable)
			for (uint64_t s = wrs[g].off / SECT; s < (wrs[g].off + wrs[g].len) / SECT; s++)
				if (g > dur[s])
					dur[s] = g;
	for (uint64_t off = 0; off < size; off += 1 << 20) {
		uint64_t n = size - off < (1 << 20) ? size - off : (1 << 20);
		int r = blk_pread(b, off, buf, n);
		if (r < 0) {
			fprintf(stderr, "verify: read at %" PRIu64 " failed: %s\n", off, strerror(-r));
			return 1;
		}
		for (uint64_t k = 0; k < n; k += SECT) {
			uint64_t s = (off + k) / SECT, *h = (uint64_t *)(buf + k), g = h[0];
			const char *why = NULL;
			bool zero = true;
			for (int i = 0; i < SECT / 8 && zero; i++)
				zero = h[i] == 0;
			if (zero) {
				if (dur[s])
					why = "zeroes where a durable write was";
			} else if (g >= nwrs || !wrs[g].seen || h[1] != off + k ||
				   off + k < wrs[g].off || off + k >= wrs[g].off + wrs[g].len) {
				why = "data of no logged write";
			} else if (g != dur[s] && (wrs[g].durable || g < dur[s])) {
				why = "stale data older than the last durable write";
			} else {
				fill(want, g, off + k, SECT);
				if (memcmp(want, buf + k, SECT))
					why = "a torn or garbled sector";
			}
			if (why && bad++ < 10)
				fprintf(stderr, "verify: sector at %" PRIu64 ": %s (found gen %" PRIu64
					", last durable gen %" PRIu64 ")\n", off + k, why, zero ? 0 : g, dur[s]);
		}
	}
	free(dur);
	free(buf);
	free(want);
	if (bad)
		fprintf(stderr, "verify: %" PRIu64 " bad sectors\n", bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "write") && strcmp(argv[1], "verify"))) {
		fprintf(stderr, "usage: crash-writer write IMAGE LOG SEED | verify IMAGE FMT LOG\n");
		return 2;
	}
	bool wr = !strcmp(argv[1], "write");
	struct loop *loop;
	struct aio_engine *e;
	struct blk *b;
	char err[512] = "";
	if (loop_new(&loop, NULL) < 0 || aio_engine_open(&e, loop, AIO_ENGINE_AUTO) < 0)
		return 2;
	struct blk_open_opts o = { .filename = argv[2], .format = wr ? "qcow2" : argv[3],
				   .flags = wr ? BLK_O_RDWR : 0 };
	if (blk_open(&b, e, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "crash-writer: %s\n", err);
		return 2;
	}
	int r = wr ? do_write(loop, b, argv[3], strtoull(argv[4], NULL, 10)) : do_verify(b, argv[4]);
	blk_close(b);
	aio_engine_close(e);
	loop_free(loop);
	return r;
}
