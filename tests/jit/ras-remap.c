/*
 * The page of a call's continuation is mapped elsewhere between the call
 * and its return (S mode, Sv39): main calls f in a loop and its
 * continuation adds 1 to a0; after enough passes for the JIT's
 * return-address stack to know that block (its counters show hits), f
 * points main's page at a copy whose continuation adds 100, runs
 * sfence.vma and returns. The same virtual pc now means other code:
 *  - returning right after the sfence.vma (the fetch TLB no longer holds
 *    the page);
 *  - after running code of the new page first (the fetch TLB holds the
 *    page again, with the new physical offset);
 *  - with sfence.vma of main's page only (the TLB's key stays: only that
 *    page's entry goes);
 *  - the same, with the PTE write and the fence on every pass (the
 *    remapping pass's return follows the fence without leaving generated
 *    code).
 * The copy's continuation must run each time. And a control: f writes a
 * CSR (sscratch) on every pass instead, which ends its block as a
 * mapping change would, with the mapping left as it is: the returns must
 * still find the continuation through the stack (the fetch-TLB check
 * that follows such a helper passes), hits on every pass. Each with
 * every block translated on its first visit, then as usual (the first
 * visit interpreted: the remapping pass's is).
 */
#include <stdlib.h>

#include "harness.h"
#include "rasprog.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 16)
#define F 0x1000u
#define PT 0x3000u   /* 3 pages */
#define COPY 0x6000u /* main's page, remapped */
#define TOUCH 0x20u  /* jalr x0, 0(t2) in main's page */
#define REPS 8
enum { S4 = 20, S5 = 21 };
enum mode { FENCE, TOUCH_FIRST, FENCE_PAGE, FENCE_EACH, CSR_ONLY };

static void build(uint8_t *ram, enum mode mode, uint64_t *satp)
{
	bool touch = mode == TOUCH_FIRST;
	memset(ram, 0, RAM);
	struct ras_asm a = { ram, BASE, BASE };
	ras_caller(&a, REPS, BASE + F);    /* 0x00-0x18 */
	ras_at(&a, BASE + TOUCH);
	ras_w(&a, JALR(0, T2, 0));
	ras_at(&a, BASE + F);              /* f: on the last pass, remap */
	ras_w(&a, ADDI(A1, A1, 1));
	if (mode == CSR_ONLY) {
		ras_w(&a, CSRW(0x140, A1)); /* sscratch */
		ras_w(&a, RET);
	} else if (mode == FENCE_EACH) {
		/* every pass writes main's PTE and fences that page (the
		 * return after it is in the jump cache by the last pass, which
		 * writes the copy's PTE: nothing leaves generated code between
		 * the fence and the return) */
		ras_w(&a, ADDI(T1, S5, 0));
		ras_bne(&a, S2, T6, a.pc + 8);
		ras_w(&a, ADDI(T1, T0, 0));
		ras_w(&a, SD(T1, S1, 0));
		ras_w(&a, SFENCE_VMA | S4 << 15);
		ras_w(&a, RET);
	} else {
		/* the remapping code is a block of its own, reached on the
		 * last pass only; it goes on to the return's block (one of
		 * its own too, reached by a jump on every pass) */
		uint64_t ret = a.pc + 8;
		ras_beq(&a, S2, T6, ret + 4);
		ras_jal(&a, 0, ret);
		ras_w(&a, RET);
		ras_w(&a, SD(T0, S1, 0));
		ras_w(&a, mode == FENCE_PAGE ? SFENCE_VMA | S4 << 15 : SFENCE_VMA);
		if (touch)
			ras_w(&a, JALR(T2, S3, 0)); /* not a call: the stack keeps its entry */
		ras_jal(&a, 0, ret);
	}
	memcpy(ram + COPY, ram, 0x1000);
	uint32_t w = ADDI(A0, A0, 100);
	memcpy(ram + COPY + 0x0c, &w, 4);
	*satp = ras_pt_init(&a, BASE + PT, BASE);
	for (uint64_t p = 0; p < RAM; p += 0x1000)
		ras_map(&a, BASE + PT, BASE + p, BASE + p, false);
}

static void run(uint8_t *ram, enum mode mode)
{
	uint64_t satp;
	build(ram, mode, &satp);
	struct hart *h = thart_new(ram, BASE, RAM, BASE, false);
	ras_jit(h);
	thart_paging(h, satp);
	struct ras_asm a = { ram, BASE, BASE };
	cpu_set_gpr(h, S1, (uint64_t)((uint8_t *)ras_pte(&a, BASE + PT, BASE) - ram) + BASE);
	cpu_set_gpr(h, T0, ((BASE + COPY) >> 12) << 10 | 0xcf);
	cpu_set_gpr(h, S3, BASE + TOUCH);
	cpu_set_gpr(h, S4, BASE);
	cpu_set_gpr(h, S5, (BASE >> 12) << 10 | 0xcf); /* main's own PTE */
	for (int i = 0; i < 1000; i++)
		if (cpu_run(h, 1000) == CPU_EXIT_WFI)
			break;
	CHECK_EQ(cpu_get_pc(h), BASE + 0x1c);
	CHECK_EQ(cpu_get_gpr(h, A1), REPS);
	CHECK_EQ(cpu_get_gpr(h, A0), mode == CSR_ONLY ? REPS : REPS - 1 + 100);
	/* the stack knew the old block; with CSR_ONLY, every pass's; with
	 * FENCE_EACH none (every return follows a fence of its page: the
	 * stack's entry passes only if the fence is missed) */
	if (mode != FENCE_EACH)
		CHECK(ras_hit_at_least(h, mode == CSR_ONLY ? REPS - 2 : REPS - 4));
	cpu_hart_free(h);
}

int main(int argc, char **argv)
{
	ras_start(argc, argv, false); /* eager or not: set in the loop below */
	static uint8_t ram[RAM];
	for (int eager = 1; eager >= 0; eager--) {
		/* not eager: a block's first visit is interpreted, so is the
		 * remapping code's (no helper call: the stack must see the
		 * change from the interpreter too); the return after it is the
		 * block earlier passes translated */
		if (eager)
			setenv("RINGVM_JIT_EAGER", "1", 1);
		else
			unsetenv("RINGVM_JIT_EAGER");
		run(ram, FENCE);
		run(ram, TOUCH_FIRST);
		run(ram, FENCE_PAGE);
		run(ram, FENCE_EACH);
		run(ram, CSR_ONLY);
	}
	return t_finish();
}
