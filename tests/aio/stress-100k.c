/* 100k requests, 128 in flight, mixed reads and writes over a 16 MiB file:
 * every one completes once, and the file ends equal to the shadow copy. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "aio-test.h"

#define TOTAL 100000
#define DEPTH 128
#define BLOCK 4096
#define BLOCKS 4096 /* 16 MiB */

struct io {
	struct aio_req r;
	char buf[BLOCK];
	uint32_t block;
	int is_read;
};

static struct aio_fixture f;
static int fd, bad;
static long submitted, completed;
static uint32_t shadow[BLOCKS];    /* the stamp each block holds */
static unsigned char busy[BLOCKS]; /* one request per block at a time */

static void submit_one(struct io *io);

static void on_done(struct aio_req *r, ssize_t res)
{
	struct io *io = r->opaque;
	if (res != BLOCK)
		bad++;
	else if (io->is_read && *(uint32_t *)io->buf != shadow[io->block])
		bad++;
	busy[io->block] = 0;
	completed++;
	if (submitted < TOTAL)
		submit_one(io);
}

static void submit_one(struct io *io)
{
	do
		io->block = (uint32_t)(t_rand() % BLOCKS);
	while (busy[io->block]);
	busy[io->block] = 1;
	io->is_read = t_rand() % 2;
	if (io->is_read) {
		aio_prep_read(&io->r, fd, io->buf, BLOCK, (uint64_t)io->block * BLOCK, on_done, io);
	} else {
		uint32_t stamp = (uint32_t)submitted + 1;
		memset(io->buf, (int)stamp, BLOCK);
		memcpy(io->buf, &stamp, sizeof(stamp));
		shadow[io->block] = stamp;
		aio_prep_write(&io->r, fd, io->buf, BLOCK, (uint64_t)io->block * BLOCK, on_done, io);
	}
	submitted++;
	REQUIRE(aio_submit(f.e, &io->r) == 0);
}

int main(int argc, char **argv)
{
	char path[300];
	t_timeout(170);
	t_seed(77);
	aio_fixture_open(&f, argc, argv);
	snprintf(path, sizeof(path), "%s/stress", t_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0 && ftruncate(fd, (off_t)BLOCKS * BLOCK) == 0);
	struct io *ios = calloc(DEPTH, sizeof(*ios));
	REQUIRE(ios);
	for (int i = 0; i < DEPTH; i++)
		submit_one(&ios[i]);
	while (completed < TOTAL)
		REQUIRE(loop_run_once(f.loop, -1) >= 0);
	CHECK_EQ(completed, TOTAL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(aio_inflight(f.e), 0);
	for (uint32_t b = 0; b < BLOCKS; b++) {
		uint32_t stamp;
		REQUIRE(pread(fd, &stamp, sizeof(stamp), (off_t)b * BLOCK) == sizeof(stamp));
		if (stamp != shadow[b])
			bad++;
	}
	CHECK_EQ(bad, 0);
	free(ios);
	close(fd);
	aio_fixture_close(&f);
	return t_finish();
}
