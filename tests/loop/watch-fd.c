/* fd watches: called when readable, level-triggered (again while data is
 * left), stopped by loop_unwatch from inside the callback. */
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "loop-test.h"

static struct loop *loop;
static struct loop_watch w;
static int calls, bytes;
static int fds[2];

static void on_ready(struct loop_watch *lw, int events)
{
	char c;
	CHECK(events & POLLIN);
	calls++;
	/* Read one byte per call: the rest must wake us again. */
	if (read(lw->fd, &c, 1) == 1)
		bytes++;
	if (bytes == 5)
		loop_unwatch(loop, lw);
}

static void *writer(void *arg)
{
	(void)arg;
	usleep(20000); /* let the loop fall asleep first */
	(void)!write(fds[1], "abcdefgh", 8);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid;
	t_timeout(30);
	loop = loop_test_open(argc, argv);
	REQUIRE(pipe(fds) == 0);
	REQUIRE(loop_watch(loop, &w, fds[0], POLLIN, on_ready, NULL) == 0);
	REQUIRE(pthread_create(&tid, NULL, writer, NULL) == 0);
	while (bytes < 5)
		REQUIRE(loop_run_once(loop, -1) >= 0);
	pthread_join(tid, NULL);
	/* Unwatched: three bytes remain but no more calls come. */
	for (int i = 0; i < 5; i++)
		REQUIRE(loop_run_once(loop, 2000000) >= 0);
	CHECK_EQ(bytes, 5);
	CHECK_EQ(calls, 5);
	close(fds[0]);
	close(fds[1]);
	loop_free(loop);
	return t_finish();
}
