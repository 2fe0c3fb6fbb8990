/*
 * An instruction that crosses a page, reached by indirect calls: no block
 * can start there, so the jump cache sends the pc to the interpreter
 * (struct jit's interp stub) - from generated code (the probe after a
 * jalr) and from the dispatcher. The guest calls a function whose first
 * instruction (addi a0, a0, 1) straddles 0x1000, N times; then rewrites
 * it (addi a0, a0, 2: two halfword stores, fence.i) and calls it N times
 * more. a0, the pc and instret must match the interpreter's exactly, with
 * the run cut into budgets of every size from 1 to 13 instructions (so
 * the budget runs out at every point: before, at and after the
 * interpreted instruction). The other rewrite makes it two compressed
 * instructions (c.addi a0, 3 on the first page, c.nop on the second): the
 * pc becomes translatable after the fence.i, and the results must match
 * as well (an "interpret here" entry outliving the change would only be
 * slower, which this test does not see).
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"

#define BASE 0x80000000ull
#define FN (BASE + 0xffe)
#define N 300

static const uint32_t prog[] = {
	0x000480e7, /* 0x00: jalr ra, 0(s1) */
	0xfff90913, /* 0x04: addi s2, s2, -1 */
	0xfe091ce3, /* 0x08: bnez s2, 0x00 */
	0x02099063, /* 0x0c: bnez s3, 0x2c */
	0x00649023, /* 0x10: sh t1, 0(s1) */
	0x01035393, /* 0x14: srli t2, t1, 16 */
	0x00749123, /* 0x18: sh t2, 2(s1) */
	0x0000100f, /* 0x1c: fence.i */
	0x00100993, /* 0x20: li s3, 1 */
	0x000a0913, /* 0x24: mv s2, s4 */
	0xfd9ff06f, /* 0x28: j 0x00 */
	0x10500073, /* 0x2c: wfi */
};

struct result {
	uint64_t a0, pc, instret;
};

static struct result run(uint8_t *ram, size_t size, bool jit, uint32_t new_insn, uint64_t step)
{
	memset(ram, 0, size);
	memcpy(ram, prog, sizeof(prog));
	uint32_t addi1 = 0x00150513; /* addi a0, a0, 1 */
	memcpy(ram + 0xffe, &addi1, 4);
	uint32_t ret = 0x00008067;   /* ret */
	memcpy(ram + 0x1002, &ret, 4);
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = size };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	if (jit)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
	cpu_hart_reset(h, BASE);
	cpu_set_gpr(h, 9, FN);        /* s1: the function */
	cpu_set_gpr(h, 18, N);        /* s2: calls left */
	cpu_set_gpr(h, 20, N);        /* s4: calls of the second pass */
	cpu_set_gpr(h, 6, new_insn);  /* t1: the rewrite */
	for (int i = 0; i < 100000; i++)
		if (cpu_run(h, step) == CPU_EXIT_WFI)
			break;
	struct result r = { cpu_get_gpr(h, 10), cpu_get_pc(h), cpu_instret(h) };
	cpu_hart_free(h);
	return r;
}

int main(void)
{
	t_timeout(60);
	static uint8_t ram[1 << 16];
	static const struct {
		uint32_t insn;
		uint64_t a0;
	} rewrite[] = {
		{ 0x00250513, 3 * N }, /* addi a0, a0, 2 */
		{ 0x0001050d, 4 * N }, /* c.addi a0, 3; c.nop */
	};
	for (int eager = 0; eager < 2; eager++) {
		if (eager)
			setenv("RINGVM_JIT_EAGER", "1", 1);
		for (unsigned k = 0; k < 2; k++) {
			for (uint64_t step = 1; step <= 13; step++) {
				struct result ref = run(ram, sizeof(ram), false, rewrite[k].insn, step);
				struct result got = run(ram, sizeof(ram), true, rewrite[k].insn, step);
				CHECK_EQ(ref.a0, rewrite[k].a0);
				CHECK_EQ(got.a0, ref.a0);
				CHECK_EQ(got.pc, ref.pc);
				CHECK_EQ(got.instret, ref.instret);
			}
			struct result ref = run(ram, sizeof(ram), false, rewrite[k].insn, 100000);
			struct result got = run(ram, sizeof(ram), true, rewrite[k].insn, 100000);
			CHECK_EQ(got.a0, ref.a0);
			CHECK_EQ(got.instret, ref.instret);
		}
	}
	return t_finish();
}
