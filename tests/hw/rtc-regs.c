/*
 * rtc-regs.c - goldfish RTC through its MMIO handlers (no reactor): time
 * reads near CLOCK_REALTIME with a latched high word, setting the time,
 * the alarm firing an interrupt only when enabled, and clearing it.
 */
#include <time.h>

#include "harness.h"
#include "hw/rtc.h"

static bool irq;

static void set_irq(void *opaque, bool level)
{
	irq = level;
}

static uint32_t rd(struct rtc *r, uint64_t off)
{
	uint64_t v = 0;

	CHECK_EQ(rtc_mmio_read(r, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct rtc *r, uint64_t off, uint32_t v)
{
	CHECK_EQ(rtc_mmio_write(r, off, 4, v), 0);
}

static uint64_t rtc_time(struct rtc *r)
{
	uint64_t lo = rd(r, 0x00);

	return (uint64_t)rd(r, 0x04) << 32 | lo;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	const struct rtc_irq ri = { set_irq, NULL };
	struct rtc *r;
	uint64_t a, t, b;

	t_timeout(10);
	REQUIRE(rtc_new(&r, NULL, &ri) == 0);
	a = real_ns();
	t = rtc_time(r);
	b = real_ns();
	CHECK(t >= a && t <= b);

	/* Set the time to 2000-01-01 (946684800 s): high first, then low. */
	uint64_t want = 946684800ull * 1000000000ull;
	wr(r, 0x04, (uint32_t)(want >> 32));
	wr(r, 0x00, (uint32_t)want);
	t = rtc_time(r);
	CHECK(t >= want && t < want + 1000000000ull);

	/* An alarm in the past fires at once, but interrupts only when enabled. */
	CHECK_EQ(rd(r, 0x18), 0);
	wr(r, 0x0c, (uint32_t)(want >> 32));
	wr(r, 0x08, (uint32_t)want);
	CHECK_EQ(rd(r, 0x18), 0); /* already fired: not armed */
	CHECK(!irq);
	wr(r, 0x10, 1);
	CHECK(irq);
	CHECK_EQ(rd(r, 0x10), 1);
	wr(r, 0x1c, 1);           /* CLEAR_INTERRUPT */
	CHECK(!irq);

	/* An alarm in the future is armed until its time. */
	t = rtc_time(r) + 20000000ull; /* +20 ms */
	wr(r, 0x0c, (uint32_t)(t >> 32));
	wr(r, 0x08, (uint32_t)t);
	CHECK_EQ(rd(r, 0x18), 1);
	CHECK_EQ(rd(r, 0x08), (uint32_t)t);
	CHECK_EQ(rd(r, 0x0c), (uint32_t)(t >> 32));
	CHECK(rtc_check(r) != UINT64_MAX);
	CHECK(!irq);
	struct timespec ts = { 0, 30000000 };
	nanosleep(&ts, NULL);
	CHECK_EQ(rtc_check(r), UINT64_MAX);
	CHECK(irq);
	CHECK_EQ(rd(r, 0x18), 0);
	wr(r, 0x1c, 1);
	CHECK(!irq);

	/* CLEAR_ALARM disarms. */
	t = rtc_time(r) + 1000000000ull;
	wr(r, 0x0c, (uint32_t)(t >> 32));
	wr(r, 0x08, (uint32_t)t);
	CHECK_EQ(rd(r, 0x18), 1);
	wr(r, 0x14, 1);
	CHECK_EQ(rd(r, 0x18), 0);
	CHECK_EQ(rtc_check(r), UINT64_MAX);

	uint64_t v;
	CHECK_EQ(rtc_mmio_read(r, 0, 8, &v), -1); /* 32-bit registers only */
	rtc_free(r);
	return t_finish();
}
