/*
 * aio-test.h - shared setup for the aio tests: every test takes the engine
 * name as argv[1] (io_uring, native, threads) and runs against it.
 */
#ifndef RINGVM_AIO_TEST_H
#define RINGVM_AIO_TEST_H

#include <errno.h>
#include <string.h>

#include "aio/aio.h"
#include "harness.h"

struct aio_fixture {
	struct loop *loop;
	struct aio_engine *e;
};

/* Open a loop and the engine named by argv[1]; skip if the host lacks it. */
static inline void aio_fixture_open(struct aio_fixture *f, int argc, char **argv)
{
	enum aio_engine_kind kind = AIO_ENGINE_AUTO;
	struct loop_opts o = { 0 };
	REQUIRE(argc >= 2 && aio_engine_parse(argv[1], &kind) == 0);
	/* libaio and threads are the fallbacks for an epoll loop: test them there. */
	o.poller = kind == AIO_ENGINE_URING ? LOOP_POLLER_URING : LOOP_POLLER_EPOLL;
	if (argc >= 3 && !strcmp(argv[2], "uring-loop"))
		o.poller = LOOP_POLLER_URING;
	int ret = loop_new(&f->loop, &o);
	if (ret < 0)
		t_skip("this host has no such poller");
	ret = aio_engine_open(&f->e, f->loop, kind);
	if (ret == -ENOSYS || ret == -EPERM)
		t_skip("this host lacks the engine");
	REQUIRE(ret == 0);
}

static inline void aio_fixture_close(struct aio_fixture *f)
{
	aio_engine_close(f->e);
	loop_free(f->loop);
}

/* Run the loop until *flag becomes nonzero (the test's timeout guards). */
static inline void aio_run_until(struct aio_fixture *f, volatile int *flag)
{
	while (!*flag)
		REQUIRE(loop_run_once(f->loop, -1) >= 0);
}

static inline void aio_run_until_idle(struct aio_fixture *f)
{
	while (aio_inflight(f->e))
		REQUIRE(loop_run_once(f->loop, -1) >= 0);
}

struct aio_wait {
	ssize_t res;
	int done;
};

static inline void aio_wait_done(struct aio_req *r, ssize_t res)
{
	struct aio_wait *w = r->opaque;
	w->res = res;
	w->done = 1;
}

/* Submit a prepared request (its done/opaque are replaced) and run the loop
 * until it completes; returns its result. */
static inline ssize_t aio_submit_wait(struct aio_fixture *f, struct aio_req *r)
{
	struct aio_wait w = { 0, 0 };
	r->done = aio_wait_done;
	r->opaque = &w;
	REQUIRE(aio_submit(f->e, r) == 0);
	aio_run_until(f, &w.done);
	return w.res;
}

#endif
