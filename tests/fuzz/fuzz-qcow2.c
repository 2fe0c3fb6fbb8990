/*
 * fuzz-qcow2.c - libFuzzer target: the input is written to a file and
 * opened as qcow2 (without backing files or locks), then read, mapped,
 * checked, its snapshots listed, and one write tried on it. Any crash,
 * hang or sanitizer report is a bug in the block layer.
 *
 * Single-threaded: the loop and engine are created once and reused.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block.h"

static struct loop *loop;
static struct aio_engine *eng;
static char path[64];
static uint8_t *buf;

static void setup(void)
{
	if (loop_new(&loop, NULL) < 0 || aio_engine_open(&eng, loop, AIO_ENGINE_AUTO) < 0)
		abort(); /* cannot fuzz without a reactor */
	snprintf(path, sizeof(path), "/tmp/ringvm-fuzz-%d.qcow2", (int)getpid());
	if (posix_memalign((void **)&buf, 4096, 65536))
		abort();
}

static void exercise(struct blk *b)
{
	uint64_t size = blk_size(b), off = 0;
	struct blk_info in;
	blk_get_info(b, &in);
	for (int i = 0; i < 64 && off < size; i++) {
		struct blk_status st;
		if (blk_block_status(b, off, size - off, &st) < 0 || !st.len)
			break;
		uint64_t n = st.len < 65536 ? st.len : 65536;
		blk_pread(b, off, buf, n);
		off += st.len;
	}
	if (size >= 4096)
		blk_pread(b, size - 4096, buf, 4096);
	struct blk_snapshot snaps[8];
	blk_snapshot_list(b, snaps, 8);
	struct blk_check_result res;
	blk_check(b, 0, &res, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!loop)
		setup();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	char err[256];
	struct blk *b;
	struct blk_open_opts o = { .filename = path, .format = "qcow2",
				   .flags = BLK_O_NO_BACKING | BLK_O_NO_LOCK };
	if (blk_open(&b, eng, &o, err, sizeof(err)) == 0) {
		exercise(b);
		blk_close(b);
	}
	o.flags |= BLK_O_RDWR;
	if (blk_open(&b, eng, &o, err, sizeof(err)) == 0) {
		memset(buf, 0x5a, 4096);
		if (blk_size(b) >= 8192)
			blk_pwrite(b, 4096, buf, 4096);
		blk_flush_sync(b);
		blk_close(b);
	}
	unlink(path);
	return 0;
}
