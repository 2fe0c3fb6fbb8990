/*
 * qcow2-wb-hold.c - a write-back that runs while allocating writes keep
 * coming (flushes among many writes in flight) ends asynchronously: after
 * a few rounds in which its refcount sync was overtaken, new allocations
 * wait for it instead of it finishing with fdatasyncs on the loop thread
 * (wb_sync_fallbacks stays 0). The data and the image are right. Plain
 * and extended L2 entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"
#include "common.h"

static struct qcow2 *qc(struct blk *b) { return b->opaque; }

enum { DEPTH = 32, LEN = 4096 };

struct slot {
	struct blk_req r;
	struct iovec iov;
	uint8_t *buf;
	int busy, res;
};

static void slot_done(struct blk_req *r, int res)
{
	struct slot *s = r->opaque;
	s->res = res;
	s->busy = 0;
}

static void run(bool extl2)
{
	struct tb t;
	tb_init(&t, AIO_ENGINE_AUTO);
	const char *p = tb_path(extl2 ? "hold-ext.qcow2" : "hold.qcow2");
	uint64_t size = 256 << 20;
	/* extended L2 needs clusters of 16 KiB or more */
	struct blk_create_opts co = { .format = "qcow2", .size = size,
				      .cluster_size = extl2 ? 16384 : 4096, .extended_l2 = extl2 };
	tb_create(&t, p, &co);
	uint8_t *shadow = calloc(1, size);
	REQUIRE(shadow);
	struct blk *b = tb_open(&t, p, "qcow2", BLK_O_RDWR);
	struct slot s[DEPTH + 1];
	memset(s, 0, sizeof(s));
	for (int i = 0; i <= DEPTH; i++)
		REQUIRE((s[i].buf = malloc(LEN)));
	unsigned done = 0, total = 6000;
	while (done < total) {
		for (int i = 0; i < DEPTH && done < total; i++) {
			if (s[i].busy)
				continue;
			CHECK_EQ(s[i].res, 0);
			/* most writes allocate */
			/* never two writes of one block in flight: their order
			 * would be undefined */
			uint64_t off;
			bool clash;
			do {
				off = (t_rand() % (size / LEN)) * LEN;
				clash = false;
				for (int k = 0; k < DEPTH; k++)
					clash |= s[k].busy && s[k].r.offset == off;
			} while (clash);
			memset(s[i].buf, (int)(done % 251) + 1, LEN);
			memcpy(shadow + off, s[i].buf, LEN);
			s[i].iov = (struct iovec){ s[i].buf, LEN };
			s[i].r = (struct blk_req){ .op = BLK_WRITE, .offset = off, .iov = &s[i].iov,
						   .iovcnt = 1, .done = slot_done, .opaque = &s[i] };
			s[i].busy = 1;
			REQUIRE(blk_submit(b, &s[i].r) == 0);
			done++;
		}
		if (!s[DEPTH].busy) { /* a flush always in flight */
			CHECK_EQ(s[DEPTH].res, 0);
			s[DEPTH].r = (struct blk_req){ .op = BLK_FLUSH, .done = slot_done,
						       .opaque = &s[DEPTH] };
			s[DEPTH].busy = 1;
			REQUIRE(blk_submit(b, &s[DEPTH].r) == 0);
		}
		REQUIRE(loop_run_once(t.loop, -1) >= 0);
	}
	for (int i = 0; i <= DEPTH; i++)
		while (s[i].busy)
			REQUIRE(loop_run_once(t.loop, -1) >= 0);
	printf("extended L2 %d: write-back fallbacks: %llu, loop-thread fdatasyncs: %llu\n", extl2,
	       (unsigned long long)qc(b)->wb_sync_fallbacks,
	       (unsigned long long)qc(b)->meta_syncs);
	CHECK_EQ(qc(b)->wb_sync_fallbacks, 0u);
	CHECK_EQ(blk_flush_sync(b), 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	b = tb_open(&t, p, NULL, 0);
	tb_verify(b, shadow, size);
	CHECK_EQ(blk_close(b), 0);
	if (tb_have_qemu_img())
		CHECK_EQ(tb_qemu_check(p), 0);
	for (int i = 0; i <= DEPTH; i++)
		free(s[i].buf);
	free(shadow);
	tb_fini(&t);
}

int main(void)
{
	run(false);
	run(true);
	return t_finish();
}
