/*
 * bench-randread FILE ENGINE [SECONDS] [DEPTH] - 4 KiB random O_DIRECT
 * reads at a fixed queue depth through one aio engine, for the reactor
 * suite (compared with fio's io_uring engine on the same file).
 * Prints one JSON line: {"iops": N, "requests": N, "seconds": S}.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aio/aio.h"

#define BS 4096

struct io {
	struct aio_req r;
	void *buf;
};

static struct aio_engine *eng;
static int fd, failed;
static uint64_t blocks, completed, rng = 88172645463325252ull;
static uint64_t deadline;
static bool stopping;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void on_done(struct aio_req *r, ssize_t res);

static void issue(struct io *io)
{
	aio_prep_read(&io->r, fd, io->buf, BS, (next_rand() % blocks) * BS, on_done, io);
	if (aio_submit(eng, &io->r) < 0)
		failed = 1;
}

static void on_done(struct aio_req *r, ssize_t res)
{
	if (res != BS) {
		fprintf(stderr, "bench-randread: read failed: %s\n",
			res < 0 ? strerror((int)-res) : "short read");
		failed = 1;
		return;
	}
	completed++;
	/* Check the clock rarely; it is not free. */
	if ((completed & 1023) == 0 && loop_now_ns() >= deadline)
		stopping = true;
	if (!stopping)
		issue(r->opaque);
}

int main(int argc, char **argv)
{
	struct loop *loop;
	enum aio_engine_kind kind;
	struct stat st;
	if (argc < 3 || aio_engine_parse(argv[2], &kind) < 0) {
		fprintf(stderr, "usage: bench-randread FILE io_uring|native|threads [SECONDS] [DEPTH]\n");
		return 1;
	}
	double secs = argc > 3 ? atof(argv[3]) : 5;
	int depth = argc > 4 ? atoi(argv[4]) : 32;
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < BS) {
		fprintf(stderr, "bench-randread: cannot open %s with O_DIRECT: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	blocks = (uint64_t)st.st_size / BS;
	struct loop_opts o = { .poller = kind == AIO_ENGINE_URING ? LOOP_POLLER_URING : LOOP_POLLER_EPOLL };
	if (loop_new(&loop, &o) < 0 || aio_engine_open(&eng, loop, kind) < 0) {
		fprintf(stderr, "bench-randread: engine %s is unavailable\n", argv[2]);
		return 1;
	}
	struct io *ios = calloc((size_t)depth, sizeof(*ios));
	uint64_t start = loop_now_ns();
	deadline = start + (uint64_t)(secs * 1e9);
	for (int i = 0; i < depth; i++) {
		if (posix_memalign(&ios[i].buf, BS, BS))
			return 1;
		issue(&ios[i]);
	}
	while (aio_inflight(eng) && !failed)
		if (loop_run_once(loop, -1) < 0)
			return 1;
	double el = (double)(loop_now_ns() - start) / 1e9;
	printf("{\"iops\": %.0f, \"requests\": %llu, \"seconds\": %.3f}\n", completed / el,
	       (unsigned long long)completed, el);
	aio_engine_close(eng);
	loop_free(loop);
	for (int i = 0; i < depth; i++)
		free(ios[i].buf);
	free(ios);
	return failed;
}
