/* Closing an engine with requests in flight (file reads and a recv that
 * would never finish) runs every done() exactly once and leaks nothing
 * (the ASan build checks the leaks). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aio-test.h"

#define N 64

static int done_count[N + 1];
static ssize_t results[N + 1];

static void on_done(struct aio_req *r, ssize_t res)
{
	int i = (int)(intptr_t)r->opaque;
	done_count[i]++;
	results[i] = res;
	free(r->buf);
	free(r);
}

int main(int argc, char **argv)
{
	struct aio_fixture f;
	char path[300];
	int sv[2];
	t_timeout(30);
	aio_fixture_open(&f, argc, argv);
	snprintf(path, sizeof(path), "%s/td", t_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);

	for (int i = 0; i < N; i++) {
		struct aio_req *r = malloc(sizeof(*r));
		aio_prep_read(r, fd, malloc(4096), 4096, (uint64_t)i * 4096, on_done,
			      (void *)(intptr_t)i);
		REQUIRE(aio_submit(f.e, r) == 0);
	}
	struct aio_req *r = malloc(sizeof(*r));
	aio_prep_recv(r, sv[0], malloc(16), 16, 0, on_done, (void *)(intptr_t)N);
	REQUIRE(aio_submit(f.e, r) == 0);
	CHECK(aio_inflight(f.e) == N + 1);

	aio_fixture_close(&f); /* must not hang on the recv */
	for (int i = 0; i <= N; i++)
		CHECK_EQ(done_count[i], 1);
	CHECK_EQ(results[N], -ECANCELED);
	for (int i = 0; i < N; i++)
		CHECK(results[i] == 4096 || results[i] == -ECANCELED);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	return t_finish();
}
