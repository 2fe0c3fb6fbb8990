/*
 * Returns the JIT's return-address stack does not predict: a chain of 40
 * distinct functions, each calling the next with a 128-byte frame (the
 * stack's entries follow sp in 16-byte steps, 256 of them: frames 32
 * apart share one, so the 8 outer returns find entries the inner calls
 * overwrote),
 * each folding its own number into a0 after its call returns (a return
 * to the wrong caller changes the result); then a function called from
 * one site that, on the last of several calls, adds 8 to ra before it
 * returns (longjmp-like: the stack's entry names the usual continuation,
 * whose block the earlier returns there have made known). The JIT run
 * (every block translated on its first visit, the stack's counters on)
 * must end exactly as the interpreter's, and the stack must have been
 * used (hits), so the mismatching pops are a real test.
 */
#include <stdlib.h>

#include "harness.h"
#include "rasprog.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 16)
#define FN 0x100u    /* the chain: 40 functions of 9 words */
#define DEPTH 40
#define FRAME 128    /* bytes: 4 KiB of sp (the stack's span) is 32 frames */
#define G 0x800u     /* g: ra += s3; ret */
#define REPS 6

static void build(uint8_t *ram)
{
	memset(ram, 0, RAM);
	struct ras_asm a = { ram, BASE, BASE };
	uint64_t loop = BASE + 8;
	ras_w(&a, ADDI(S2, 0, REPS));           /* 0x00 */
	ras_w(&a, ADDI(0, 0, 0));               /* 0x04 (sp: set by the caller) */
	ras_jal(&a, RA, BASE + FN);             /* loop: the chain */
	ras_w(&a, ADDI(T6, 0, 1));
	ras_bne(&a, S2, T6, a.pc + 8);          /* the last pass: */
	ras_w(&a, ADDI(S3, 0, 8));              /*   g returns 8 bytes later */
	ras_jal(&a, RA, BASE + G);
	ras_w(&a, ADDI(A1, A1, 1));             /* g's usual continuation */
	ras_w(&a, ADDI(A1, A1, 16));
	ras_w(&a, ADDI(S2, S2, -1));            /* g's return on the last pass */
	ras_bne(&a, S2, 0, loop);
	ras_w(&a, WFI);
	for (unsigned i = 0; i < DEPTH; i++) {
		ras_at(&a, BASE + FN + 36 * i);
		ras_w(&a, ADDI(SP, SP, -FRAME));
		ras_w(&a, SD(RA, SP, 0));
		if (i + 1 < DEPTH)
			ras_jal(&a, RA, BASE + FN + 36 * (i + 1));
		else
			ras_w(&a, ADDI(0, 0, 0));
		ras_w(&a, SLLI(T0, A0, 1));     /* a0 = a0 * 3 + i + 1 */
		ras_w(&a, ADD(A0, A0, T0));
		ras_w(&a, ADDI(A0, A0, (int32_t)i + 1));
		ras_w(&a, LD(RA, SP, 0));
		ras_w(&a, ADDI(SP, SP, FRAME));
		ras_w(&a, RET);
	}
	ras_at(&a, BASE + G);
	ras_w(&a, ADD(RA, RA, S3));
	ras_w(&a, RET);
}

struct result {
	uint64_t a0, a1, s2, pc, hits;
};

static struct result run(uint8_t *ram, bool jit)
{
	build(ram);
	struct hart *h = thart_new(ram, BASE, RAM, BASE, false);
	if (jit)
		ras_jit(h);
	cpu_set_gpr(h, SP, BASE + RAM - 16);
	for (int i = 0; i < 1000; i++)
		if (cpu_run(h, 1000) == CPU_EXIT_WFI)
			break;
	struct result r = { cpu_get_gpr(h, A0), cpu_get_gpr(h, A1), cpu_get_gpr(h, S2),
			    cpu_get_pc(h), ras_hits(h) };
	cpu_hart_free(h);
	return r;
}

int main(int argc, char **argv)
{
	ras_start(argc, argv, true);
	static uint8_t ram[RAM];
	struct result ref = run(ram, false), r = run(ram, true);
	CHECK_EQ(ref.a1, 17u * (REPS - 1)); /* the last return skipped the adds */
	CHECK_EQ(ref.s2, 0);
	CHECK_EQ(r.a0, ref.a0);
	CHECK_EQ(r.a1, ref.a1);
	CHECK_EQ(r.s2, ref.s2);
	CHECK_EQ(r.pc, ref.pc);
	/* the 32 inner returns of every pass */
	CHECK(ras_check_mode || (ras_off ? r.hits == 0 : r.hits >= 32u * REPS));
	return t_finish();
}
