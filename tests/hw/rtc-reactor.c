/*
 * rtc-reactor.c - the goldfish RTC alarm through a real reactor: an alarm
 * armed from another thread fires its interrupt from the loop's timer at
 * (not before) the alarm time; a cleared alarm never fires.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "harness.h"
#include "hw/rtc.h"
#include "loop/loop.h"

static atomic_bool irq;

static void set_irq(void *opaque, bool level)
{
	atomic_store(&irq, level);
}

static void *io_main(void *arg)
{
	REQUIRE(loop_run(arg) == 0);
	return NULL;
}

static uint64_t rtc_time(struct rtc *r)
{
	uint64_t lo, hi;

	rtc_mmio_read(r, 0x00, 4, &lo);
	rtc_mmio_read(r, 0x04, 4, &hi);
	return hi << 32 | lo;
}

static void arm(struct rtc *r, uint64_t t)
{
	rtc_mmio_write(r, 0x0c, 4, t >> 32);
	rtc_mmio_write(r, 0x08, 4, (uint32_t)t);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void stop_fn(void *arg)
{
	rtc_stop(arg);
}

int main(void)
{
	const struct rtc_irq ri = { set_irq, NULL };
	struct loop *loop;
	struct rtc *r;
	pthread_t io;
	uint64_t t;
	unsigned waited = 0;

	t_timeout(30);
	REQUIRE(loop_new(&loop, NULL) == 0);
	REQUIRE(rtc_new(&r, loop, &ri) == 0);
	REQUIRE(pthread_create(&io, NULL, io_main, loop) == 0);
	rtc_mmio_write(r, 0x10, 4, 1); /* IRQ_ENABLED */

	t = rtc_time(r) + 30000000ull; /* +30 ms */
	arm(r, t);
	CHECK(!atomic_load(&irq));
	while (!atomic_load(&irq) && waited < 3000) {
		sleep_ms(1);
		waited++;
	}
	CHECK(atomic_load(&irq));
	CHECK(rtc_time(r) >= t);
	uint64_t st;
	rtc_mmio_read(r, 0x18, 4, &st);
	CHECK_EQ(st, 0);
	rtc_mmio_write(r, 0x1c, 4, 1); /* CLEAR_INTERRUPT */
	CHECK(!atomic_load(&irq));

	/* Armed, then cleared before its time: no interrupt. */
	arm(r, rtc_time(r) + 20000000ull);
	rtc_mmio_write(r, 0x14, 4, 1); /* CLEAR_ALARM */
	sleep_ms(60);
	CHECK(!atomic_load(&irq));

	struct loop_post_node n = { .fn = stop_fn, .arg = r };
	loop_post_node(loop, &n);
	loop_stop(loop);
	pthread_join(io, NULL);
	loop_free(loop);
	rtc_free(r);
	return t_finish();
}
