/*
 * qcow2-compressed-async.c - BLK_WRITE with BLK_F_COMPRESSED (convert -c):
 * the write is asynchronous (not complete when blk_submit returns), many
 * run at once and requests span several clusters; clusters that compress
 * are stored compressed, those that do not are stored normally; the
 * image's partial last cluster works; a plain write to a cluster whose
 * compressed write is in flight waits for it and wins. qemu-img check is
 * clean and qemu-img compare agrees with the shadow copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { CS = 65536, NREQ = 12, PER = 4 };

struct wr {
	struct blk_req r;
	struct iovec iov;
	bool done;
	int res;
};

static void wr_done(struct blk_req *r, int res)
{
	struct wr *w = r->opaque;
	w->done = true;
	w->res = res;
}

static void fill(uint8_t *p, size_t n, unsigned k)
{
	if (k % 3 == 2) { /* random: does not compress */
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)t_rand();
	} else { /* text-like: compresses */
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)("qcow2 compressed cluster "[(i + k) % 25]);
	}
}

int main(void)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path("ca.qcow2");
	uint64_t size = (uint64_t)NREQ * PER * CS + 3 * 512; /* partial last cluster */
	struct blk_create_opts co = { .format = "qcow2", .size = size };
	tb_create(&t, p, &co);
	uint8_t *shadow = calloc(1, size), *data;
	REQUIRE(shadow && posix_memalign((void **)&data, 4096, size) == 0);
	for (unsigned k = 0; k < size / CS + 1; k++) {
		uint64_t off = (uint64_t)k * CS, n = size - off < CS ? size - off : CS;
		fill(shadow + off, n, k);
	}
	memcpy(data, shadow, size);
	struct blk *b = tb_open(&t, p, NULL, BLK_O_RDWR);
	static struct wr w[NREQ + 2];
	for (unsigned i = 0; i < NREQ; i++) {
		uint64_t off = (uint64_t)i * PER * CS;
		uint64_t len = i == NREQ - 1 ? size - off : (uint64_t)PER * CS;
		w[i].iov = (struct iovec){ data + off, len };
		w[i].r = (struct blk_req){ .op = BLK_WRITE, .flags = BLK_F_COMPRESSED, .offset = off,
					   .iov = &w[i].iov, .iovcnt = 1, .done = wr_done,
					   .opaque = &w[i] };
		CHECK_EQ(blk_submit(b, &w[i].r), 0);
	}
	CHECK(!w[0].done); /* compressed data is written with aio */
	/* a plain write into cluster 1 while its compressed write is in flight */
	static uint8_t plain[4096] __attribute__((aligned(4096)));
	memset(plain, 0xee, sizeof(plain));
	memcpy(shadow + CS + 8192, plain, sizeof(plain));
	w[NREQ].iov = (struct iovec){ plain, sizeof(plain) };
	w[NREQ].r = (struct blk_req){ .op = BLK_WRITE, .offset = CS + 8192, .iov = &w[NREQ].iov,
				      .iovcnt = 1, .done = wr_done, .opaque = &w[NREQ] };
	CHECK_EQ(blk_submit(b, &w[NREQ].r), 0);
	for (unsigned i = 0; i <= NREQ; i++) {
		while (!w[i].done)
			loop_run_once(t.loop, -1);
		CHECK_EQ(w[i].res, 0);
	}
	/* misaligned compressed writes are refused */
	w[NREQ + 1].iov = (struct iovec){ data, CS };
	w[NREQ + 1].r = (struct blk_req){ .op = BLK_WRITE, .flags = BLK_F_COMPRESSED,
					  .offset = 4096, .iov = &w[NREQ + 1].iov, .iovcnt = 1,
					  .done = wr_done, .opaque = &w[NREQ + 1] };
	if (blk_submit(b, &w[NREQ + 1].r) == 0) {
		while (!w[NREQ + 1].done)
			loop_run_once(t.loop, -1);
		CHECK(w[NREQ + 1].res < 0);
	}
	tb_verify(b, shadow, size);
	unsigned comp = 0, normal = 0;
	for (uint64_t off = 0; off < size; off += CS) {
		struct blk_status st;
		CHECK_EQ(blk_block_status(b, off, CS, &st), 0);
		if (st.flags & BLK_STATUS_COMPRESSED)
			comp++;
		else if (st.flags & BLK_STATUS_DATA)
			normal++;
		if (off / CS % 3 == 2)
			CHECK(!(st.flags & BLK_STATUS_COMPRESSED));
	}
	CHECK(comp >= size / CS / 2); /* text clusters, less cluster 1 (rewritten) */
	CHECK(normal >= size / CS / 3);
	CHECK_EQ(blk_close(b), 0);
	b = tb_open(&t, p, NULL, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img()) {
		CHECK_EQ(tb_qemu_check(p), 0);
		const char *want = tb_path("want.raw");
		FILE *f = fopen(want, "wb");
		REQUIRE(f && fwrite(shadow, 1, size, f) == size && fclose(f) == 0);
		CHECK_EQ(tb_sh("qemu-img compare -q -f raw -F qcow2 '%s' '%s'", want, p), 0);
	}
	free(shadow);
	free(data);
	tb_fini(&t);
	return t_finish();
}
