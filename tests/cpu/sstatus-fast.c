/*
 * sstatus writes (csr.c's fast path for them) take effect at once: the
 * data TLB key follows SUM, and setting SIE with an S interrupt pending
 * takes it right after the write.
 *
 * S-mode code (Sv39) sets SUM and loads from a user page (fills the read
 * TLB), clears SUM and loads from it again: that load must fault (an M
 * handler counts it and skips the load) - a TLB key left with SUM set
 * would hit the entry instead. Then, with SSIP pending, delegated and
 * enabled in sie, it sets sstatus.SIE: the interrupt's sepc must be the
 * next instruction. Under the interpreter and the JIT.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define VA_A 0xffffffff80000000ull /* code */
#define VA_H (VA_A + 0x1000)      /* S trap handler */
#define VA_U 0x10000ull           /* a user page */
#define PA_A (BASE + 0x100000)
#define PA_H (BASE + 0x101000)
#define PA_U (BASE + 0x102000)
#define PT_ROOT (BASE + 0x200000)
#define PT_K1 (BASE + 0x201000)
#define PT_K0 (BASE + 0x202000)
#define PT_U1 (BASE + 0x203000)
#define PT_U0 (BASE + 0x204000)
#define USER_VAL 0x1234567890abcdefull

static const uint32_t m_handler[] = {
	0x00160613, /* addi a2, a2, 1 */
	0x341022f3, /* csrr t0, mepc */
	0x00428293, /* addi t0, t0, 4 */
	0x34129073, /* csrw mepc, t0 */
	0x30200073, /* mret */
};
static const uint32_t code_a[] = {
	0x100a2073, /* 0x00: csrs sstatus, s4 (SUM) */
	0x0004b583, /* 0x04: ld a1, 0(s1) */
	0x100a3073, /* 0x08: csrc sstatus, s4 */
	0x0004b683, /* 0x0c: ld a3, 0(s1)   (faults) */
	0x100aa073, /* 0x10: csrs sstatus, s5 (SIE) */
	0x00170713, /* 0x14: addi a4, a4, 1 */
	0x10500073, /* 0x18: wfi */
};
static const uint32_t s_handler[] = {
	0x141027f3, /* csrr a5, sepc */
	0x144b3073, /* csrc sip, s6 (SSIP) */
	0x10200073, /* sret */
};

static void put(uint8_t *ram, uint64_t pa, const void *p, size_t n)
{
	memcpy(ram + (pa - BASE), p, n);
}

static void pte(uint8_t *ram, uint64_t table, unsigned i, uint64_t pa, uint64_t flags)
{
	uint64_t v = (pa >> 12) << 10 | flags;
	put(ram, table + 8 * i, &v, 8);
}

static void run(uint8_t *ram, bool jit)
{
	memset(ram, 0, RAM);
	put(ram, BASE, m_handler, sizeof(m_handler));
	put(ram, PA_A, code_a, sizeof(code_a));
	put(ram, PA_H, s_handler, sizeof(s_handler));
	uint64_t uval = USER_VAL;
	put(ram, PA_U, &uval, 8);
	pte(ram, PT_ROOT, (VA_A >> 30) & 511, PT_K1, 1);
	pte(ram, PT_K1, (VA_A >> 21) & 511, PT_K0, 1);
	pte(ram, PT_K0, 0, PA_A, 1 | 2 | 8 | 64);       /* V R X A */
	pte(ram, PT_K0, 1, PA_H, 1 | 2 | 8 | 64);
	pte(ram, PT_ROOT, 0, PT_U1, 1);
	pte(ram, PT_U1, 0, PT_U0, 1);
	pte(ram, PT_U0, VA_U >> 12, PA_U, 1 | 2 | 16 | 64); /* V R U A */

	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = RAM };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, VA_A);
	if (jit)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
	h->pmpaddr[0] = (1ull << 54) - 1; /* NAPOT: everything, RWX */
	h->pmpcfg[0] = 0x1f;
	mmu_pmp_changed(h);
	h->mtvec = BASE;
	h->stvec = VA_H;
	h->mideleg = 0x222;
	h->mie = 2;    /* SSIE */
	h->mip_sw = 2; /* SSIP pending, masked by sstatus.SIE = 0 */
	h->satp = 8ull << 60 | PT_ROOT >> 12;
	h->priv = PRV_S;
	mmu_flush(h);
	cpu_set_gpr(h, 9, VA_U);     /* s1 */
	cpu_set_gpr(h, 20, MS_SUM);  /* s4 */
	cpu_set_gpr(h, 21, MS_SIE);  /* s5 */
	cpu_set_gpr(h, 22, 2);       /* s6 */
	enum cpu_exit why = CPU_EXIT_BUDGET;
	for (int i = 0; i < 1000 && why != CPU_EXIT_WFI; i++)
		why = cpu_run(h, 1000);
	CHECK_EQ(why, CPU_EXIT_WFI);
	CHECK_EQ(cpu_get_gpr(h, 11), USER_VAL); /* a1: loaded with SUM set */
	CHECK_EQ(cpu_get_gpr(h, 12), 1);        /* a2: one fault, without SUM */
	CHECK_EQ(cpu_get_gpr(h, 13), 0);        /* a3: that load did not happen */
	CHECK_EQ(cpu_get_gpr(h, 15), VA_A + 0x14); /* a5: sepc, right after csrs */
	CHECK_EQ(cpu_get_gpr(h, 14), 1);        /* a4 */
	CHECK_EQ(cpu_get_pc(h), VA_A + 0x1c);
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(30);
	uint8_t *ram = calloc(1, RAM);
	REQUIRE(ram);
	run(ram, false);
	setenv("RINGVM_JIT_EAGER", "1", 1);
	run(ram, true);
	unsetenv("RINGVM_JIT_EAGER");
	run(ram, true);
	free(ram);
	return t_finish();
}
