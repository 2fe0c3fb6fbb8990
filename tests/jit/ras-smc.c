/*
 * The continuation of a call changes between the call and its return:
 * main calls f (another page) in a loop and its continuation adds 1 to
 * a0; after enough passes for the JIT's return-address stack to know the
 * continuation's block (the stack's counters show hits), f rewrites it
 * before returning, to add 100 instead:
 *  - by a store of its own (a write to a page with blocks drops them);
 *  - from outside (the host writes the RAM while f waits in wfi, as a
 *    device's DMA would) followed by f's fence.i.
 * The rewrite comes on the last pass but one, so the last pass calls
 * and returns once more. The new instruction must run, not the stale
 * block the stack knew. A third run puts the call at the end of a page
 * and its continuation at the start of the next: a store there drops
 * the continuation's blocks but not the caller's, whose pad must not
 * hand out the old block on the next call.
 */
#include <stdlib.h>

#include "harness.h"
#include "rasprog.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 16)
#define F 0x2000u
#define REPS 8
#define CROSS 0xff4u /* main there: the call is the page's last word */

/* main at BASE + m: its continuation is at BASE + m + 0x0c */
static void build(uint8_t *ram, bool dma, uint32_t m)
{
	memset(ram, 0, RAM);
	struct ras_asm a = { ram, BASE, BASE + m };
	ras_w(&a, ADDI(S2, 0, REPS));      /* 0x00 */
	ras_w(&a, ADDI(T6, 0, 2));         /* 0x04 */
	ras_jal(&a, RA, BASE + F);         /* 0x08: loop */
	ras_w(&a, ADDI(A0, A0, 1));        /* 0x0c: the continuation */
	ras_w(&a, ADDI(S2, S2, -1));
	ras_bne(&a, S2, 0, BASE + m + 8);
	ras_w(&a, WFI);
	ras_at(&a, BASE + F);              /* f: on the last pass but one, rewrite it */
	ras_w(&a, ADDI(A1, A1, 1));
	ras_bne(&a, S2, T6, a.pc + (dma ? 16 : 12));
	if (dma) {
		ras_w(&a, WFI);            /* the host writes CONT */
		ras_w(&a, FENCE_I);
	} else {
		ras_w(&a, SW(T1, RA, 0));
	}
	ras_w(&a, ADDI(0, 0, 0));
	ras_w(&a, RET);
}

static void run(uint8_t *ram, bool dma, uint32_t m)
{
	build(ram, dma, m);
	struct hart *h = thart_new(ram, BASE, RAM, BASE + m, false);
	ras_jit(h);
	cpu_set_gpr(h, T1, ADDI(A0, A0, 100));
	unsigned wfis = 0;
	for (int i = 0; i < 1000; i++) {
		if (cpu_run(h, 1000) != CPU_EXIT_WFI)
			continue;
		if (cpu_get_pc(h) != BASE + F + 12)
			break; /* main's wfi: the end */
		/* f's wfi (dma): the rewrite, behind the JIT's back */
		uint32_t w = ADDI(A0, A0, 100);
		memcpy(ram + m + 0x0c, &w, 4);
		wfis++;
	}
	CHECK_EQ(cpu_get_pc(h), BASE + m + 0x18 + 4);
	CHECK_EQ(cpu_get_gpr(h, A1), REPS);
	CHECK_EQ(cpu_get_gpr(h, A0), REPS - 2 + 2 * 100);
	CHECK_EQ(wfis, dma ? 1u : 0u);
	if (!m) /* the stack knew the old block (a cross-page one: never) */
		CHECK(ras_hit_at_least(h, REPS - 4));
	cpu_hart_free(h);
}

int main(int argc, char **argv)
{
	ras_start(argc, argv, true);
	static uint8_t ram[RAM];
	run(ram, false, 0);
	run(ram, true, 0);
	run(ram, false, CROSS);
	return t_finish();
}
