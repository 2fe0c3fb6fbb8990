/*
 * plic-claim.c - PLIC through its MMIO registers: priorities, enables,
 * thresholds, claim/complete and the level-triggered gateway, with the
 * context outputs observed through the machine callback.
 */
#include <stdbool.h>

#include "harness.h"
#include "hw/plic.h"

static bool out_level[PLIC_NCTX];
static int out_calls;

static void ctx_out(void *opaque, unsigned ctx, bool level)
{
	out_level[ctx] = level;
	out_calls++;
}

static uint32_t rd(struct plic *p, uint64_t off)
{
	uint64_t v = ~0ull;

	CHECK_EQ(plic_mmio_read(p, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct plic *p, uint64_t off, uint32_t v)
{
	CHECK_EQ(plic_mmio_write(p, off, 4, v), 0);
}

#define PRIO(s) (4u * (s))
#define PENDING 0x1000u
#define ENABLE(c) (0x2000u + 0x80u * (c))
#define THRESH(c) (0x200000u + 0x1000u * (c))
#define CLAIM(c) (THRESH(c) + 4)

int main(void)
{
	const struct plic_ctx_out cb = { ctx_out, NULL };
	struct plic *p;

	t_timeout(10);
	REQUIRE(plic_new(&p, &cb) == 0);

	/* A raised line is pending but nothing is signalled until enabled
	 * with a priority above the threshold. */
	plic_set_irq(p, 10, true);
	CHECK_EQ(rd(p, PENDING), 1u << 10);
	CHECK(!out_level[0] && !out_level[1]);
	wr(p, ENABLE(1), 1u << 10);
	CHECK(!out_level[1]); /* priority 0 never interrupts */
	wr(p, PRIO(10), 0xff);
	CHECK_EQ(rd(p, PRIO(10)), PLIC_PRIO_MASK); /* WARL: 3 bits */
	CHECK(out_level[1]);
	CHECK(!out_level[0]); /* context 0 has no enable */

	/* Threshold masks priorities <= threshold. */
	wr(p, THRESH(1), 7);
	CHECK(!out_level[1]);
	CHECK_EQ(rd(p, CLAIM(1)), 0); /* nothing above the threshold */
	wr(p, THRESH(1), 3);
	CHECK(out_level[1]);

	/* Higher priority wins the claim. */
	wr(p, PRIO(10), 6);
	plic_set_irq(p, 5, true);
	plic_set_irq(p, 40, true);
	wr(p, PRIO(5), 4);
	wr(p, PRIO(40), 7);
	wr(p, ENABLE(1), (1u << 10) | (1u << 5));
	wr(p, ENABLE(1) + 4, 1u << (40 - 32));
	CHECK_EQ(rd(p, PENDING + 4), 1u << (40 - 32));
	CHECK_EQ(rd(p, CLAIM(1)), 40);
	CHECK_EQ(rd(p, PENDING + 4), 0); /* claimed: not pending */
	CHECK_EQ(rd(p, CLAIM(1)), 10);   /* 6 vs 4: 10 next */
	CHECK_EQ(rd(p, CLAIM(1)), 5);
	CHECK_EQ(rd(p, CLAIM(1)), 0);
	CHECK(!out_level[1]);

	/* Completing a source whose line is still high re-pends it. */
	wr(p, CLAIM(1), 10);
	CHECK(out_level[1]);
	CHECK_EQ(rd(p, CLAIM(1)), 10);
	/* While claimed, a lowered and raised line does not re-pend. */
	plic_set_irq(p, 10, false);
	plic_set_irq(p, 10, true);
	CHECK_EQ(rd(p, PENDING) & (1u << 10), 0);
	plic_set_irq(p, 10, false);
	wr(p, CLAIM(1), 10); /* line low at completion: stays quiet */
	CHECK_EQ(rd(p, PENDING) & (1u << 10), 0);

	/* A lowered line before claim withdraws the request. */
	wr(p, CLAIM(1), 5);
	CHECK(out_level[1]); /* 5 re-pended: its line is still high */
	plic_set_irq(p, 5, false);
	CHECK(!out_level[1]);

	/* Completion of a source not enabled for the context is ignored. */
	wr(p, CLAIM(0), 40);
	CHECK_EQ(rd(p, PENDING + 4), 0);
	wr(p, CLAIM(1), 40); /* enabled for 1: released, line high: pending */
	CHECK_EQ(rd(p, PENDING + 4), 1u << (40 - 32));

	/* Context 0 (M-mode) is independent of context 1. */
	wr(p, ENABLE(0) + 4, 1u << (40 - 32));
	CHECK(out_level[0]);
	CHECK_EQ(rd(p, CLAIM(0)), 40);
	CHECK(!out_level[0]);
	CHECK(!out_level[1]); /* the one pending source is now claimed */

	/* Source 0 does not exist: its enable bit and priority stay 0. */
	wr(p, ENABLE(1), 1);
	CHECK_EQ(rd(p, ENABLE(1)) & 1, 0);
	wr(p, PRIO(0), 5);
	CHECK_EQ(rd(p, PRIO(0)), 0);
	plic_set_irq(p, 0, true);          /* ignored */
	plic_set_irq(p, PLIC_NSRC, true);  /* out of range: ignored */

	/* Sub-word accesses fault; pending is read-only. */
	uint64_t v;
	CHECK_EQ(plic_mmio_read(p, 0, 1, &v), -1);
	wr(p, PENDING, 0);
	CHECK_EQ(rd(p, PENDING + 4), 0); /* 40 is claimed by ctx 0 */

	/* Reset clears configuration; raised lines stay pending. */
	plic_reset(p);
	CHECK_EQ(rd(p, PRIO(40)), 0);
	CHECK_EQ(rd(p, ENABLE(1)), 0);
	CHECK_EQ(rd(p, THRESH(1)), 0);
	CHECK_EQ(rd(p, PENDING + 4), 1u << (40 - 32));
	CHECK(!out_level[0] && !out_level[1]);

	plic_free(p);
	return t_finish();
}
