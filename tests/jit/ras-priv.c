/*
 * A return in another privilege than its call (S mode, Sv39): main calls
 * f in a loop; after enough passes for the JIT's return-address stack to
 * know main's continuation (its counters show hits), f drops to U mode
 * (sret) into a user page whose code returns through ra. The
 * continuation's page is not a user page: the return must take an
 * instruction page fault (mcause 12, mtval the continuation), not run the
 * supervisor's block the stack holds for the same pc and mapping.
 */
#include <stdlib.h>

#include "harness.h"
#include "rasprog.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 16)
#define F 0x1000u
#define USER 0x2000u /* a user page: jalr x0, 0(ra) */
#define PT 0x3000u   /* 3 pages */
#define TRAP 0x7000u /* M mode's handler */
#define REPS 8
enum { A2 = 12, A3 = 13 };

static uint64_t build(uint8_t *ram)
{
	memset(ram, 0, RAM);
	struct ras_asm a = { ram, BASE, BASE };
	ras_caller(&a, REPS, BASE + F);    /* 0x00-0x18 */
	ras_at(&a, BASE + F);              /* f: on the last pass, to U mode */
	ras_w(&a, ADDI(A1, A1, 1));
	ras_bne(&a, S2, T6, a.pc + 20);
	ras_w(&a, CSRW(0x141, S3));        /* sepc = the user page */
	ras_w(&a, ADDI(T0, 0, 0x100));
	ras_w(&a, CSRC(0x100, T0));        /* sstatus.SPP = U */
	ras_w(&a, SRET);
	ras_w(&a, RET);
	ras_at(&a, BASE + USER);
	ras_w(&a, RET);
	ras_at(&a, BASE + TRAP);
	ras_w(&a, CSRR(A2, 0x342));        /* mcause */
	ras_w(&a, CSRR(A3, 0x343));        /* mtval */
	ras_w(&a, WFI);
	uint64_t satp = ras_pt_init(&a, BASE + PT, BASE);
	for (uint64_t p = 0; p < RAM; p += 0x1000)
		ras_map(&a, BASE + PT, BASE + p, BASE + p, p == USER);
	return satp;
}

int main(int argc, char **argv)
{
	ras_start(argc, argv, true);
	static uint8_t ram[RAM];
	uint64_t satp = build(ram);
	struct hart *h = thart_new(ram, BASE, RAM, BASE, false);
	ras_jit(h);
	thart_paging(h, satp);
	h->mtvec = BASE + TRAP;
	cpu_set_gpr(h, S3, BASE + USER);
	for (int i = 0; i < 1000; i++)
		if (cpu_run(h, 1000) == CPU_EXIT_WFI)
			break;
	CHECK_EQ(cpu_get_pc(h), BASE + TRAP + 12);
	CHECK_EQ(cpu_get_gpr(h, A2), 12);  /* instruction page fault */
	CHECK_EQ(cpu_get_gpr(h, A3), BASE + 0x0c);
	CHECK_EQ(cpu_get_gpr(h, A1), REPS);
	CHECK_EQ(cpu_get_gpr(h, A0), REPS - 1);
	CHECK(ras_hit_at_least(h, REPS - 4)); /* the stack knew the block */
	cpu_hart_free(h);
	return t_finish();
}
