/* Two watches on one fd (a reader and a writer of one socket) both work,
 * and removing one leaves the other watching. */
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop-test.h"

static struct loop *loop;
static struct loop_watch rd, wr;
static int rd_calls, wr_calls;

static void on_read(struct loop_watch *w, int events)
{
	char buf[64];
	CHECK(events & POLLIN);
	rd_calls++;
	(void)!read(w->fd, buf, sizeof(buf));
}

static void on_write(struct loop_watch *w, int events)
{
	CHECK(events & POLLOUT);
	wr_calls++;
	loop_unwatch(loop, w); /* writable once is enough */
}

int main(int argc, char **argv)
{
	int sv[2];
	t_timeout(30);
	loop = loop_test_open(argc, argv);
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE(loop_watch(loop, &rd, sv[0], POLLIN, on_read, NULL) == 0);
	REQUIRE(loop_watch(loop, &wr, sv[0], POLLOUT, on_write, NULL) == 0);
	while (!wr_calls)
		REQUIRE(loop_run_once(loop, 100000000) >= 0);
	CHECK_EQ(rd_calls, 0);
	REQUIRE(write(sv[1], "x", 1) == 1);
	while (!rd_calls)
		REQUIRE(loop_run_once(loop, 100000000) >= 0);
	REQUIRE(write(sv[1], "y", 1) == 1);
	while (rd_calls < 2)
		REQUIRE(loop_run_once(loop, 100000000) >= 0);
	CHECK_EQ(wr_calls, 1);
	loop_unwatch(loop, &rd);
	REQUIRE(write(sv[1], "z", 1) == 1);
	for (int i = 0; i < 3; i++)
		REQUIRE(loop_run_once(loop, 2000000) >= 0);
	CHECK_EQ(rd_calls, 2);
	close(sv[0]);
	close(sv[1]);
	loop_free(loop);
	return t_finish();
}
