/* Reads and writes at random offsets and sizes (plain and vectored, many in
 * flight) match a shadow copy of the file. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "aio-test.h"

#define FILE_SIZE (8u << 20)
#define DEPTH 32
#define ROUNDS 150

struct io {
	struct aio_req r;
	struct iovec iov[4];
	char *buf;
	size_t len;
	uint64_t off;
	int is_read, done;
};

static struct aio_fixture f;
static char *shadow;
static int pending, bad;

static void on_done(struct aio_req *r, ssize_t res)
{
	struct io *io = r->opaque;
	if (res != (ssize_t)io->len) {
		fprintf(stderr, "%s at %lu len %zu: %zd\n", io->is_read ? "read" : "write",
			(unsigned long)io->off, io->len, res);
		bad++;
	} else if (io->is_read && memcmp(io->buf, shadow + io->off, io->len)) {
		fprintf(stderr, "read at %lu len %zu: data differs\n", (unsigned long)io->off, io->len);
		bad++;
	}
	io->done = 1;
	pending--;
}

/* Split buf into up to 4 random pieces. */
static unsigned split(struct io *io)
{
	unsigned n = 1 + t_rand() % 4;
	size_t left = io->len, pos = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t piece = (i == n - 1) ? left : (left ? t_rand() % (left + 1) : 0);
		io->iov[i].iov_base = io->buf + pos;
		io->iov[i].iov_len = piece;
		pos += piece;
		left -= piece;
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct io ios[DEPTH];
	char path[300];
	t_timeout(50);
	t_seed(1234);
	aio_fixture_open(&f, argc, argv);
	snprintf(path, sizeof(path), "%s/data", t_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, FILE_SIZE) == 0);
	shadow = calloc(1, FILE_SIZE);
	REQUIRE(shadow);
	for (int i = 0; i < DEPTH; i++)
		REQUIRE((ios[i].buf = malloc(65536)));

	for (int round = 0; round < ROUNDS; round++) {
		/* One batch: each request owns a disjoint slot of the file. */
		int writes = round % 2 == 0;
		for (int i = 0; i < DEPTH; i++) {
			struct io *io = &ios[i];
			uint64_t slot = FILE_SIZE / DEPTH;
			io->len = 1 + t_rand() % 65536;
			io->off = i * slot + t_rand() % (slot - io->len);
			io->is_read = !writes;
			io->done = 0;
			if (writes) {
				for (size_t k = 0; k < io->len; k++)
					io->buf[k] = (char)t_rand();
				memcpy(shadow + io->off, io->buf, io->len);
			}
			int vec = t_rand() % 2;
			if (vec) {
				unsigned n = split(io);
				if (writes)
					aio_prep_writev(&io->r, fd, io->iov, n, io->off, on_done, io);
				else
					aio_prep_readv(&io->r, fd, io->iov, n, io->off, on_done, io);
			} else if (writes) {
				aio_prep_write(&io->r, fd, io->buf, io->len, io->off, on_done, io);
			} else {
				aio_prep_read(&io->r, fd, io->buf, io->len, io->off, on_done, io);
			}
			REQUIRE(aio_submit(f.e, &io->r) == 0);
			pending++;
		}
		CHECK(aio_inflight(f.e) > 0);
		while (pending)
			REQUIRE(loop_run_once(f.loop, -1) >= 0);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(aio_inflight(f.e), 0);
	/* The file as a whole, read synchronously, equals the shadow. */
	char *all = malloc(FILE_SIZE);
	REQUIRE(all && pread(fd, all, FILE_SIZE, 0) == FILE_SIZE);
	CHECK(!memcmp(all, shadow, FILE_SIZE));
	free(all);
	for (int i = 0; i < DEPTH; i++)
		free(ios[i].buf);
	free(shadow);
	close(fd);
	aio_fixture_close(&f);
	return t_finish();
}
