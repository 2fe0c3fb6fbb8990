/*
 * The JIT's code cache is flushed whole between a call and its return:
 * main calls f in a loop and its continuation adds 1 to a0; after enough
 * passes for the JIT's return-address stack to know that block (its
 * counters show hits), f jumps through more one-instruction blocks than
 * the cache holds (c.jr t1 at consecutive pcs, reached by jalr t1: not
 * calls, so the stack keeps main's entry) and returns. The old
 * block's host code is gone (new blocks were written over it): the
 * return must find the continuation anew.
 */
#include <stdlib.h>

#include "harness.h"
#include "rasprog.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define F 0x1000u
#define STUBS 0x10000u
#define NSTUB (JIT_MAX_BLOCKS + 4096u)
#define REPS 8
enum { S4 = 20 };

static void build(uint8_t *ram)
{
	memset(ram, 0, RAM);
	struct ras_asm a = { ram, BASE, BASE };
	ras_caller(&a, REPS, BASE + F);    /* 0x00-0x18 */
	ras_at(&a, BASE + F);              /* f: on the last pass, the flood */
	ras_w(&a, ADDI(A1, A1, 1));
	ras_bne(&a, S2, T6, a.pc + 20);
	ras_w(&a, JALR(T1, S1, 0));        /* F + 8 */
	ras_w(&a, ADDI(S1, S1, 2));
	ras_w(&a, ADDI(S4, S4, -1));
	ras_bne(&a, S4, 0, BASE + F + 8);
	ras_w(&a, RET);
	for (unsigned i = 0; i < NSTUB; i++) {
		uint16_t c_jr_t1 = 0x8302;
		memcpy(ram + STUBS + 2 * i, &c_jr_t1, 2);
	}
}

int main(int argc, char **argv)
{
	ras_start(argc, argv, true);
	static uint8_t ram[RAM];
	_Static_assert(STUBS + 2 * NSTUB <= RAM, "the stubs fit");
	build(ram);
	struct hart *h = thart_new(ram, BASE, RAM, BASE, false);
	ras_jit(h);
	cpu_set_gpr(h, S1, BASE + STUBS);
	cpu_set_gpr(h, S4, NSTUB);
	for (int i = 0; i < 100000; i++)
		if (cpu_run(h, 100000) == CPU_EXIT_WFI)
			break;
	CHECK_EQ(cpu_get_pc(h), BASE + 0x1c);
	CHECK_EQ(cpu_get_gpr(h, S4), 0);
	CHECK_EQ(cpu_get_gpr(h, A1), REPS);
	CHECK_EQ(cpu_get_gpr(h, A0), REPS);
	CHECK(h->jit->n_flushes >= 1);
	CHECK(ras_hit_at_least(h, REPS - 4)); /* the stack knew the old block */
	cpu_hart_free(h);
	return t_finish();
}
