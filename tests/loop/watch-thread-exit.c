/* A watch armed on one thread keeps working after that thread exits and
 * another thread runs the loop (io_uring cancels an exiting thread's
 * requests; the loop must arm them again). */
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "loop-test.h"

static struct loop *loop;
static struct loop_watch w;
static int fds[2], calls;

static void on_ready(struct loop_watch *lw, int events)
{
	char c;
	(void)events;
	if (read(lw->fd, &c, 1) == 1)
		calls++;
}

static void *setup(void *arg)
{
	(void)arg;
	REQUIRE(loop_watch(loop, &w, fds[0], POLLIN, on_ready, NULL) == 0);
	/* one turn so the poll is submitted by this thread */
	REQUIRE(loop_run_once(loop, 0) >= 0);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t tid;
	t_timeout(30);
	loop = loop_test_open(argc, argv);
	REQUIRE(pipe(fds) == 0);
	REQUIRE(pthread_create(&tid, NULL, setup, NULL) == 0);
	pthread_join(tid, NULL);
	for (int i = 0; i < 3; i++)
		REQUIRE(loop_run_once(loop, 2000000) >= 0);
	REQUIRE(write(fds[1], "a", 1) == 1);
	uint64_t end = loop_now_ns() + 5000000000ull;
	while (!calls && loop_now_ns() < end)
		REQUIRE(loop_run_once(loop, 100000000) >= 0);
	CHECK_EQ(calls, 1);
	loop_unwatch(loop, &w);
	close(fds[0]);
	close(fds[1]);
	loop_free(loop);
	return t_finish();
}
