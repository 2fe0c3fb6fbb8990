/*
 * The fetch TLB keeps M-mode code at 0x80000000 (where OpenSBI runs) and
 * S-mode code at 0xffffffff80000000 (where Linux links its text) in
 * different entries (hart_xidx), and sfence.vma of one page still drops
 * that page's fetch entry and no other.
 *
 * S-mode code on page A (va 0xffffffff80000000, Sv39, 4 KiB leaves) makes
 * an ecall to an M-mode handler at 0x80000000 and calls functions on pages
 * B and C, 50 times; at its wfi both A's entry (S key) and the handler's
 * (M key) must be in the fetch TLB. Then the test points B's PTE at other
 * code (a0 += 100 instead of += 1) and the guest runs sfence.vma on B: B's
 * fetch entry must be gone, C's still there (no full flush), and calling
 * B must run the new code. Under the interpreter and the JIT (translation
 * on first visit and on the second).
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define VA_A 0xffffffff80000000ull
#define VA_B (VA_A + 0x1000)
#define VA_C (VA_A + 0x2000)
#define PA_A (BASE + 0x100000)
#define PA_B_OLD (BASE + 0x101000)
#define PA_B_NEW (BASE + 0x102000)
#define PA_C (BASE + 0x103000)
#define PT_ROOT (BASE + 0x200000)
#define PT_L1 (BASE + 0x201000)
#define PT_L0 (BASE + 0x202000)
#define N 50

static const uint32_t m_handler[] = {
	0x341022f3, /* csrr t0, mepc */
	0x00428293, /* addi t0, t0, 4 */
	0x34129073, /* csrw mepc, t0 */
	0x30200073, /* mret */
};
static const uint32_t code_a[] = {
	0x00000073, /* 0x00: ecall */
	0x000480e7, /* 0x04: jalr ra, 0(s1)  (B) */
	0x000980e7, /* 0x08: jalr ra, 0(s3)  (C) */
	0xfff90913, /* 0x0c: addi s2, s2, -1 */
	0xfe0918e3, /* 0x10: bnez s2, 0x00 */
	0x10500073, /* 0x14: wfi */
	0x12048073, /* 0x18: sfence.vma s1, zero */
	0x10500073, /* 0x1c: wfi */
	0x000480e7, /* 0x20: jalr ra, 0(s1) */
	0x10500073, /* 0x24: wfi */
};
static const uint32_t code_b_old[] = { 0x00150513, 0x00008067 }; /* a0 += 1; ret */
static const uint32_t code_b_new[] = { 0x06450513, 0x00008067 }; /* a0 += 100; ret */
static const uint32_t code_c[] = { 0x00158593, 0x00008067 };     /* a1 += 1; ret */

static void put(uint8_t *ram, uint64_t pa, const void *p, size_t n)
{
	memcpy(ram + (pa - BASE), p, n);
}

static void pte(uint8_t *ram, uint64_t table, unsigned i, uint64_t pa, uint64_t flags)
{
	uint64_t v = (pa >> 12) << 10 | flags;
	put(ram, table + 8 * i, &v, 8);
}

/* Runs to the next wfi; returns the pc after it. */
static bool xtlb_has(const struct hart *h, uint64_t va, unsigned priv)
{
	uint64_t key = (uint64_t)priv << 56 | h->tlb_epoch << 60;
	return h->tlb_x[hart_xidx(va)].tag == hart_xtag(va, key);
}

static void run(uint8_t *ram, bool jit)
{
	memset(ram, 0, RAM);
	put(ram, BASE, m_handler, sizeof(m_handler));
	put(ram, PA_A, code_a, sizeof(code_a));
	put(ram, PA_B_OLD, code_b_old, sizeof(code_b_old));
	put(ram, PA_B_NEW, code_b_new, sizeof(code_b_new));
	put(ram, PA_C, code_c, sizeof(code_c));
	pte(ram, PT_ROOT, (VA_A >> 30) & 511, PT_L1, 1);
	pte(ram, PT_L1, (VA_A >> 21) & 511, PT_L0, 1);
	const uint64_t rx = 1 | 2 | 8 | 64; /* V R X A */
	pte(ram, PT_L0, 0, PA_A, rx);
	pte(ram, PT_L0, 1, PA_B_OLD, rx);
	pte(ram, PT_L0, 2, PA_C, rx);

	struct hart *h = thart_new(ram, BASE, RAM, VA_A, jit);
	thart_paging(h, 8ull << 60 | PT_ROOT >> 12);
	h->mtvec = BASE;
	cpu_set_gpr(h, 9, VA_B);  /* s1 */
	cpu_set_gpr(h, 19, VA_C); /* s3 */
	cpu_set_gpr(h, 18, N);    /* s2 */

	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x18);
	CHECK_EQ(cpu_get_gpr(h, 10), N);
	CHECK_EQ(cpu_get_gpr(h, 11), N);
	/* the ecalls' M-mode code did not evict the S-mode code, or back */
	CHECK(xtlb_has(h, VA_A, PRV_S));
	CHECK(xtlb_has(h, BASE, PRV_M));
	CHECK(xtlb_has(h, VA_B, PRV_S));
	CHECK(xtlb_has(h, VA_C, PRV_S));

	pte(ram, PT_L0, 1, PA_B_NEW, rx); /* takes effect at the sfence.vma */
	uint64_t epoch = h->tlb_epoch;
	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x20);
	CHECK_EQ(h->tlb_epoch, epoch); /* a single-page flush, not a full one */
	CHECK(!xtlb_has(h, VA_B, PRV_S));
	CHECK(xtlb_has(h, VA_C, PRV_S));
	CHECK(xtlb_has(h, VA_A, PRV_S));

	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x28);
	CHECK_EQ(cpu_get_gpr(h, 10), N + 100);
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(30);
	return thart_each_mode(run, RAM);
}
