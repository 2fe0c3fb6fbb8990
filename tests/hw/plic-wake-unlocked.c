/*
 * plic-wake-unlocked.c - the PLIC wakes the hart only after releasing its
 * lock: the `wake` callback re-enters the PLIC (a claim, as a vCPU woken
 * from WFI does at once) and would deadlock (caught by the timeout) if the
 * lock were still held. plic_set_irq_nowake reports a rising output and
 * leaves the wake to its caller; lowering a line never wakes.
 */
#include <stdbool.h>

#include "harness.h"
#include "hw/plic.h"

#define PRIO(s) (4u * (s))
#define ENABLE(c) (0x2000u + 0x80u * (c))
#define CLAIM(c) (0x200004u + 0x1000u * (c))

static struct plic *plic;
static bool level1;
static int wakes, set_calls;
static uint64_t claimed_in_wake;

static void ctx_out(void *opaque, unsigned ctx, bool level)
{
	(void)opaque;
	set_calls++;
	if (ctx == 1)
		level1 = level;
}

static void wake(void *opaque)
{
	(void)opaque;
	wakes++;
	/* What a woken hart does first: claim (takes the PLIC lock). */
	CHECK_EQ(plic_mmio_read(plic, CLAIM(1), 4, &claimed_in_wake), 0);
}

int main(void)
{
	const struct plic_ctx_out cb = { ctx_out, NULL, wake };

	t_timeout(10);
	REQUIRE(plic_new(&plic, &cb) == 0);
	CHECK_EQ(plic_mmio_write(plic, PRIO(7), 4, 1), 0);
	CHECK_EQ(plic_mmio_write(plic, ENABLE(1), 4, 1u << 7), 0);

	/* Rising line: set under the lock, wake after it (the claim inside the
	 * wake succeeds and takes the source, so the output falls again). */
	plic_set_irq(plic, 7, true);
	CHECK_EQ(wakes, 1);
	CHECK_EQ(claimed_in_wake, 7);
	CHECK(!level1);

	/* No rise (claimed): no wake. Lowering never wakes. */
	plic_set_irq(plic, 7, false);
	plic_set_irq(plic, 7, true);
	CHECK_EQ(wakes, 1);

	/* Completion with the line high re-pends: the write wakes after unlock. */
	CHECK_EQ(plic_mmio_write(plic, CLAIM(1), 4, 7), 0);
	CHECK_EQ(wakes, 2);
	CHECK_EQ(claimed_in_wake, 7);

	/* nowake: reports the rise, leaves the wake to the caller. */
	CHECK_EQ(plic_mmio_write(plic, CLAIM(1), 4, 7), 0); /* wakes + claims again */
	CHECK_EQ(wakes, 3);
	plic_set_irq(plic, 7, false);
	CHECK_EQ(plic_mmio_write(plic, CLAIM(1), 4, 7), 0); /* line low: quiet */
	CHECK_EQ(wakes, 3);
	CHECK(plic_set_irq_nowake(plic, 7, true));
	CHECK(level1);
	CHECK_EQ(wakes, 3);
	CHECK(!plic_set_irq_nowake(plic, 7, true)); /* already high */
	CHECK(!plic_set_irq_nowake(plic, 7, false));
	CHECK(!level1);
	plic_wake(plic);
	CHECK_EQ(wakes, 4);
	CHECK(set_calls > 0);

	plic_free(plic);
	return t_finish();
}
