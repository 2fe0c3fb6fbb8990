/* loop-test.h - every loop test takes the poller (uring, epoll) as argv[1]. */
#ifndef RINGVM_LOOP_TEST_H
#define RINGVM_LOOP_TEST_H

#include <string.h>

#include "harness.h"
#include "loop/loop.h"

static inline struct loop *loop_test_open(int argc, char **argv)
{
	struct loop_opts o = { 0 };
	struct loop *loop;
	REQUIRE(argc >= 2);
	o.poller = !strcmp(argv[1], "epoll") ? LOOP_POLLER_EPOLL : LOOP_POLLER_URING;
	if (loop_new(&loop, &o) < 0)
		t_skip("this host has no such poller");
	return loop;
}

#endif
