/*
 * The JIT's probe stub (gen_probe) finds fetch-TLB entries of code in the
 * upper address half, where hart_xidx's fold of va bits 32.. changes the
 * index: S-mode code at 0xffffffff80000000 (Sv39) calls a function on the
 * next page through jalr 2000 times. Each call and each ret goes through
 * the probe; once the jump cache is warm, every one of them must stay in
 * generated code (a probe that indexes the fetch TLB differently from the
 * C code misses every time and comes back through jit_run: ~4000 entries
 * instead of a handful). The result (a0 = 2000) is checked too.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cpu/hart.h"
#include "cpu/jit/jit-int.h"
#include "harness.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define VA_A 0xffffffff80000000ull
#define VA_B (VA_A + 0x1000)
#define PA_A (BASE + 0x100000)
#define PA_B (BASE + 0x101000)
#define PT_ROOT (BASE + 0x200000)
#define PT_L1 (BASE + 0x201000)
#define PT_L0 (BASE + 0x202000)
#define N 2000

static const uint32_t code_a[] = {
	0x000480e7, /* 0x00: jalr ra, 0(s1) */
	0xfff90913, /* 0x04: addi s2, s2, -1 */
	0xfe091ce3, /* 0x08: bnez s2, 0x00 */
	0x10500073, /* 0x0c: wfi */
};
static const uint32_t code_b[] = { 0x00150513, 0x00008067 }; /* a0 += 1; ret */

static void put(uint8_t *ram, uint64_t pa, const void *p, size_t n)
{
	memcpy(ram + (pa - BASE), p, n);
}

static void pte(uint8_t *ram, uint64_t table, unsigned i, uint64_t pa, uint64_t flags)
{
	uint64_t v = (pa >> 12) << 10 | flags;
	put(ram, table + 8 * i, &v, 8);
}

static void run(uint8_t *ram)
{
	memset(ram, 0, RAM);
	put(ram, PA_A, code_a, sizeof(code_a));
	put(ram, PA_B, code_b, sizeof(code_b));
	pte(ram, PT_ROOT, (VA_A >> 30) & 511, PT_L1, 1);
	pte(ram, PT_L1, (VA_A >> 21) & 511, PT_L0, 1);
	pte(ram, PT_L0, 0, PA_A, 1 | 2 | 8 | 64); /* V R X A */
	pte(ram, PT_L0, 1, PA_B, 1 | 2 | 8 | 64);

	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = RAM };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, VA_A);
	REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
	h->pmpaddr[0] = (1ull << 54) - 1; /* NAPOT: everything, RWX */
	h->pmpcfg[0] = 0x1f;
	mmu_pmp_changed(h);
	h->satp = 8ull << 60 | PT_ROOT >> 12;
	h->priv = PRV_S;
	mmu_flush(h);
	cpu_set_gpr(h, 9, VA_B); /* s1 */
	cpu_set_gpr(h, 18, N);   /* s2 */
	enum cpu_exit why = CPU_EXIT_BUDGET;
	for (int i = 0; i < 100 && why != CPU_EXIT_WFI; i++)
		why = cpu_run(h, 1000000);
	CHECK_EQ(why, CPU_EXIT_WFI);
	CHECK_EQ(cpu_get_pc(h), VA_A + 0x10);
	CHECK_EQ(cpu_get_gpr(h, 10), N);
	printf("runs of generated code started by jit_run: %llu\n",
	       (unsigned long long)h->jit->n_entered);
	CHECK(h->jit->n_entered < 20);
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(30);
	uint8_t *ram = calloc(1, RAM);
	REQUIRE(ram);
	setenv("RINGVM_JIT_EAGER", "1", 1);
	run(ram);
	unsetenv("RINGVM_JIT_EAGER");
	run(ram);
	free(ram);
	return t_finish();
}
