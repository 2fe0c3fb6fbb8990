/*
 * common.c - helpers for the block tests (see common.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

void tb_init(struct tb *t, enum aio_engine_kind kind)
{
	t_timeout(110);
	REQUIRE(loop_new(&t->loop, NULL) == 0);
	int r = aio_engine_open(&t->e, t->loop, kind);
	if (r == -ENOSYS)
		t_skip("aio engine not available");
	REQUIRE(r == 0);
}

void tb_fini(struct tb *t)
{
	aio_engine_close(t->e);
	loop_free(t->loop);
}

const char *tb_path(const char *name)
{
	static char buf[8][4096];
	static int n;
	char *p = buf[n++ & 7];
	snprintf(p, 4096, "%s/%s", t_tmpdir(), name);
	return p;
}

struct blk *tb_open(struct tb *t, const char *path, const char *fmt, unsigned flags)
{
	struct blk *b = NULL;
	char err[512];
	struct blk_open_opts o = { .filename = path, .format = fmt, .flags = flags };
	int r = blk_open(&b, t->e, &o, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "open %s: %s\n", path, err);
	REQUIRE(r == 0);
	return b;
}

void tb_create(struct tb *t, const char *path, const struct blk_create_opts *o)
{
	char err[512];
	int r = blk_create(path, o, t->e, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "create %s: %s\n", path, err);
	REQUIRE(r == 0);
}

bool tb_have_qemu_img(void)
{
	return system("qemu-img --version >/dev/null 2>&1") == 0;
}

int tb_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

int tb_qemu_check(const char *path)
{
	int r = tb_sh("qemu-img check -U '%s' >%s/check.out 2>&1", path, t_tmpdir());
	if (r != 0) {
		fprintf(stderr, "qemu-img check %s failed (%d):\n", path, r);
		tb_sh("cat %s/check.out >&2", t_tmpdir());
	}
	return r;
}

struct io {
	struct blk_req r;
	struct iovec iov[2];
	uint8_t *buf;
	uint8_t *shadow;
	uint64_t off, len;
	bool busy;
	unsigned *inflight;
};

static void io_done(struct blk_req *r, int res)
{
	struct io *io = r->opaque;
	if (res != 0)
		fprintf(stderr, "%s at %llu+%llu failed: %d\n", r->op == BLK_READ ? "read" : "write",
			(unsigned long long)io->off, (unsigned long long)io->len, res);
	CHECK_EQ(res, 0);
	if (r->op == BLK_READ && res == 0 && memcmp(io->buf, io->shadow + io->off, io->len)) {
		fprintf(stderr, "mismatch reading %llu bytes at %llu\n",
			(unsigned long long)io->len, (unsigned long long)io->off);
		t_failures++;
	}
	io->busy = false;
	(*io->inflight)--;
}

static bool overlaps(struct io *io, int n, uint64_t off, uint64_t len)
{
	for (int i = 0; i < n; i++)
		if (io[i].busy && off < io[i].off + io[i].len && io[i].off < off + len)
			return true;
	return false;
}

void tb_random_io(struct tb *t, struct blk *b, uint8_t *shadow, uint64_t size,
		  unsigned ops, unsigned max_len, unsigned align)
{
	enum { SLOTS = 16 };
	struct io io[SLOTS];
	unsigned inflight = 0;
	memset(io, 0, sizeof(io));
	for (int i = 0; i < SLOTS; i++) {
		REQUIRE(posix_memalign((void **)&io[i].buf, 4096, max_len) == 0);
		io[i].shadow = shadow;
		io[i].inflight = &inflight;
	}
	for (unsigned n = 0; n < ops;) {
		struct io *s = NULL;
		for (int i = 0; i < SLOTS && !s; i++)
			if (!io[i].busy)
				s = &io[i];
		if (!s) {
			loop_run_once(t->loop, -1);
			continue;
		}
		uint64_t len = (t_rand() % (max_len / align) + 1) * align;
		if (len > size)
			len = size;
		uint64_t off = (t_rand() % ((size - len) / align + 1)) * align;
		if (overlaps(io, SLOTS, off, len))
			continue;
		bool write = t_rand() & 1;
		s->off = off;
		s->len = len;
		/* two iovecs to exercise scatter/gather */
		uint64_t split = len > align ? (t_rand() % (len / align)) * align : len;
		s->iov[0] = (struct iovec){ s->buf, split };
		s->iov[1] = (struct iovec){ s->buf + split, len - split };
		unsigned cnt = split == len ? 1 : 2;
		if (!split) {
			s->iov[0] = s->iov[1];
			cnt = 1;
		}
		if (write) {
			for (uint64_t k = 0; k < len; k++)
				s->buf[k] = (uint8_t)t_rand();
			memcpy(shadow + off, s->buf, len);
		}
		s->r = (struct blk_req){ .op = write ? BLK_WRITE : BLK_READ, .offset = off,
					 .iov = s->iov, .iovcnt = cnt, .done = io_done,
					 .opaque = s };
		s->busy = true;
		inflight++;
		int r = blk_submit(b, &s->r);
		if (r < 0) {
			fprintf(stderr, "submit failed: %d\n", r);
			t_failures++;
			s->busy = false;
			inflight--;
		}
		n++;
	}
	while (inflight)
		loop_run_once(t->loop, -1);
	for (int i = 0; i < SLOTS; i++)
		free(io[i].buf);
}

void tb_verify(struct blk *b, const uint8_t *shadow, uint64_t size)
{
	uint8_t *buf;
	REQUIRE(posix_memalign((void **)&buf, 4096, 1 << 20) == 0);
	for (uint64_t off = 0; off < size; off += 1 << 20) {
		uint64_t n = size - off < (1 << 20) ? size - off : (1 << 20);
		CHECK_EQ(blk_pread(b, off, buf, n), 0);
		if (memcmp(buf, shadow + off, n)) {
			uint64_t k = 0;
			while (buf[k] == shadow[off + k])
				k++;
			fprintf(stderr, "image differs from shadow at byte %llu\n",
				(unsigned long long)(off + k));
			t_failures++;
			break;
		}
	}
	free(buf);
}
