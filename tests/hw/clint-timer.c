/*
 * clint-timer.c - CLINT through its MMIO handlers (no reactor): mtime runs
 * at 10 MHz from CLOCK_MONOTONIC, a compare in the past raises MTIP at
 * once, one in the future lowers it, and clint_check raises it when the
 * time comes; msip drives MSIP; 32-bit halves merge.
 */
#include <time.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "hw/clint.h"

static bool mtip, msip;

static void out(void *opaque, uint32_t bit, bool level)
{
	if (bit == CPU_IRQ_MTIP)
		mtip = level;
	else if (bit == CPU_IRQ_MSIP)
		msip = level;
}

static uint64_t rd(struct clint *c, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	CHECK_EQ(clint_mmio_read(c, off, size, &v), 0);
	return v;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	const struct clint_out co = { out, NULL };
	struct clint *c;
	uint64_t t0, t1, n0, n1, d;

	t_timeout(20);
	REQUIRE(clint_new(&c, NULL, &co) == 0);
	CHECK_EQ(rd(c, 0x4000, 8), UINT64_MAX); /* compare resets to all ones */
	CHECK(!mtip);

	/* 10 MHz: 20 ms of host time is 200000 ticks (allow scheduling slop). */
	n0 = mono_ns();
	t0 = rd(c, 0xbff8, 8);
	struct timespec ts = { 0, 20000000 };
	nanosleep(&ts, NULL);
	t1 = rd(c, 0xbff8, 8);
	n1 = mono_ns();
	CHECK(t1 - t0 >= 199000);
	CHECK(t1 - t0 <= (n1 - n0) / 100 + 1000);
	CHECK_EQ(rd(c, 0xbffc, 4), rd(c, 0xbff8, 8) >> 32);

	/* A compare in the past raises MTIP on the write itself. */
	CHECK_EQ(clint_mmio_write(c, 0x4000, 8, t1), 0);
	CHECK(mtip);
	/* Moving it into the future lowers MTIP at once. */
	t1 = clint_mtime(c);
	CHECK_EQ(clint_mmio_write(c, 0x4000, 8, t1 + 100000), 0); /* +10 ms */
	CHECK(!mtip);
	d = clint_check(c);
	CHECK(d != UINT64_MAX);
	CHECK(d > mono_ns());
	CHECK(d <= mono_ns() + 10000000);
	CHECK(!mtip);
	while (mono_ns() < d)
		;
	CHECK_EQ(clint_check(c), UINT64_MAX);
	CHECK(mtip);
	CHECK(clint_mtime(c) >= t1 + 100000);

	/* 32-bit halves: writing the high word to all ones disables. */
	CHECK_EQ(clint_mmio_write(c, 0x4004, 4, 0xffffffffu), 0);
	CHECK_EQ(clint_mmio_write(c, 0x4000, 4, 0xffffffffu), 0);
	CHECK(!mtip);
	CHECK_EQ(rd(c, 0x4000, 8), UINT64_MAX);
	CHECK_EQ(clint_check(c), UINT64_MAX); /* never: no deadline */
	CHECK(!mtip);
	CHECK_EQ(clint_mmio_write(c, 0x4000, 4, 5), 0);
	CHECK_EQ(rd(c, 0x4000, 8), 0xffffffff00000005ull);
	CHECK_EQ(rd(c, 0x4004, 4), 0xffffffffu);

	/* Writing mtime moves the counter. */
	CHECK_EQ(clint_mmio_write(c, 0xbff8, 8, 1000), 0);
	t0 = rd(c, 0xbff8, 8);
	CHECK(t0 >= 1000 && t0 < 1000 + 10000000); /* within a second */
	CHECK_EQ(clint_mmio_write(c, 0x4000, 8, 500), 0);
	CHECK(mtip);

	/* msip bit 0 drives MSIP. */
	CHECK_EQ(clint_mmio_write(c, 0, 4, 1), 0);
	CHECK(msip);
	CHECK_EQ(rd(c, 0, 4), 1);
	CHECK_EQ(clint_mmio_write(c, 0, 4, 0), 0);
	CHECK(!msip);

	/* Bad sizes fault. */
	uint64_t v;
	CHECK_EQ(clint_mmio_read(c, 0, 1, &v), -1);
	CHECK_EQ(clint_mmio_write(c, 0, 2, 1), -1);

	clint_reset(c);
	CHECK(!mtip && !msip);
	clint_free(c);
	return t_finish();
}
