/*
 * clint-reactor.c - the CLINT timer through a real reactor: a compare
 * written from another thread (the "vCPU") is posted to the loop, whose
 * timer raises MTIP at the deadline - not before, and not when the guest
 * moved the compare away in the meantime.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "hw/clint.h"
#include "loop/loop.h"

static atomic_bool mtip;
static _Atomic uint64_t raised_at;

static void out(void *opaque, uint32_t bit, bool level)
{
	if (bit != CPU_IRQ_MTIP)
		return;
	if (level && !atomic_load(&mtip))
		atomic_store(&raised_at, loop_now_ns());
	atomic_store(&mtip, level);
}

static void *io_main(void *arg)
{
	REQUIRE(loop_run(arg) == 0);
	return NULL;
}

static void wait_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static bool wait_mtip(unsigned ms)
{
	for (unsigned i = 0; i < ms && !atomic_load(&mtip); i++)
		wait_ms(1);
	return atomic_load(&mtip);
}

static void stop_fn(void *arg)
{
	clint_stop(arg);
}

int main(void)
{
	const struct clint_out co = { out, NULL };
	struct loop *loop;
	struct clint *c;
	pthread_t io;
	uint64_t t, start;

	t_timeout(30);
	REQUIRE(loop_new(&loop, NULL) == 0);
	REQUIRE(clint_new(&c, loop, &co) == 0);
	REQUIRE(pthread_create(&io, NULL, io_main, loop) == 0);

	/* 1. Compare 20 ms ahead: MTIP rises at the deadline, by the reactor. */
	start = loop_now_ns();
	t = clint_mtime(c);
	CHECK_EQ(clint_mmio_write(c, 0x4000, 8, t + 200000), 0);
	CHECK(!atomic_load(&mtip));
	CHECK(wait_mtip(2000));
	CHECK(atomic_load(&raised_at) >= start + 20000000ull);
	CHECK(atomic_load(&raised_at) < start + 1000000000ull);
	CHECK(clint_mtime(c) >= t + 200000);

	/* 2. A compare moved further out before its deadline: no early MTIP. */
	t = clint_mtime(c);
	CHECK_EQ(clint_mmio_write(c, 0x4000, 8, t + 100000), 0); /* +10 ms */
	CHECK(!atomic_load(&mtip)); /* lowered by the write itself */
	CHECK_EQ(clint_mmio_write(c, 0x4000, 8, t + 600000), 0); /* +60 ms */
	wait_ms(30);
	CHECK(!atomic_load(&mtip)); /* the 10 ms timer re-checked and re-armed */
	CHECK(wait_mtip(2000));
	CHECK(clint_mtime(c) >= t + 600000);

	/* 3. Disabled (all ones): nothing fires. */
	CHECK_EQ(clint_mmio_write(c, 0x4000, 8, UINT64_MAX), 0);
	CHECK(!atomic_load(&mtip));
	wait_ms(20);
	CHECK(!atomic_load(&mtip));

	struct loop_post_node n = { .fn = stop_fn, .arg = c };
	loop_post_node(loop, &n);
	loop_stop(loop);
	pthread_join(io, NULL);
	loop_free(loop);
	clint_free(c);
	return t_finish();
}
