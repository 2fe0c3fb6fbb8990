/*
 * TLB entries of global mappings (PTE.G) survive a change of address
 * space - a satp write that keeps the mode, sfence.vma x0 with an ASID
 * register (mmu_flush_asid) - and the others do not; sfence.vma x0, x0
 * drops everything. The spec lets global translations be reused there,
 * and Linux switches mm ~180 times as a process starts or ends; keeping
 * the kernel's entries is the point, so this test looks at it.
 *
 * S-mode code on a global page (Sv39) loads from a global page D and a
 * non-global page U; the test then points both PTEs at other pages. After
 * a satp write (same root, another ASID) the load from U must see the new
 * page and the one from D the old (the entry was kept), as after an
 * sfence.vma x0, asid; after sfence.vma x0, x0 D too shows the new page.
 * The code page's fetch entry and D's read entry must still be in the TLB
 * after the satp write. Under the interpreter and the JIT.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define VA_A 0xffffffff80000000ull
#define VA_D (VA_A + 0x1000)
#define VA_U (VA_A + 0x2000)
#define PA_A (BASE + 0x100000)
#define PA_D1 (BASE + 0x101000)
#define PA_D2 (BASE + 0x102000)
#define PA_U1 (BASE + 0x103000)
#define PA_U2 (BASE + 0x104000)
#define PT_ROOT (BASE + 0x200000)
#define PT_L1 (BASE + 0x201000)
#define PT_L0 (BASE + 0x202000)
#define V_D1 0xd1ull
#define V_D2 0xd2ull
#define V_U1 0xe1ull
#define V_U2 0xe2ull

static const uint32_t code_a[] = {
	0x0004b503, /* 0x00: ld a0, 0(s1)  (D) */
	0x00093583, /* 0x04: ld a1, 0(s2)  (U) */
	0x10500073, /* 0x08: wfi */
	0x18099073, /* 0x0c: csrw satp, s3 */
	0x0004b603, /* 0x10: ld a2, 0(s1) */
	0x00093683, /* 0x14: ld a3, 0(s2) */
	0x10500073, /* 0x18: wfi */
	0x13400073, /* 0x1c: sfence.vma zero, s4 */
	0x0004b703, /* 0x20: ld a4, 0(s1) */
	0x12000073, /* 0x24: sfence.vma zero, zero */
	0x0004b783, /* 0x28: ld a5, 0(s1) */
	0x10500073, /* 0x2c: wfi */
};

static void put(uint8_t *ram, uint64_t pa, const void *p, size_t n)
{
	memcpy(ram + (pa - BASE), p, n);
}

static void put64(uint8_t *ram, uint64_t pa, uint64_t v)
{
	put(ram, pa, &v, 8);
}

static void pte(uint8_t *ram, uint64_t table, unsigned i, uint64_t pa, uint64_t flags)
{
	put64(ram, table + 8 * i, (pa >> 12) << 10 | flags);
}

static bool tlb_has(const struct tlb_ent *t, unsigned idx, uint64_t va, uint64_t key)
{
	return t[idx].tag == hart_xtag(va, key);
}

static void run(uint8_t *ram, bool jit)
{
	const uint64_t g = 32, rx = 1 | 2 | 8 | 64, r = 1 | 2 | 64; /* G; V R X A; V R A */
	memset(ram, 0, RAM);
	put(ram, PA_A, code_a, sizeof(code_a));
	put64(ram, PA_D1, V_D1);
	put64(ram, PA_D2, V_D2);
	put64(ram, PA_U1, V_U1);
	put64(ram, PA_U2, V_U2);
	pte(ram, PT_ROOT, (VA_A >> 30) & 511, PT_L1, 1);
	pte(ram, PT_L1, (VA_A >> 21) & 511, PT_L0, 1);
	pte(ram, PT_L0, 0, PA_A, rx | g);
	pte(ram, PT_L0, 1, PA_D1, r | g);
	pte(ram, PT_L0, 2, PA_U1, r);

	struct hart *h = thart_new(ram, BASE, RAM, VA_A, jit);
	thart_paging(h, 8ull << 60 | 1ull << 44 | PT_ROOT >> 12); /* ASID 1 */
	cpu_set_gpr(h, 9, VA_D);                                  /* s1 */
	cpu_set_gpr(h, 18, VA_U);                                 /* s2 */
	cpu_set_gpr(h, 19, 8ull << 60 | 2ull << 44 | PT_ROOT >> 12); /* s3: ASID 2 */
	cpu_set_gpr(h, 20, 2);                                    /* s4: an ASID */

	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x0c);
	CHECK_EQ(cpu_get_gpr(h, 10), V_D1);
	CHECK_EQ(cpu_get_gpr(h, 11), V_U1);
	pte(ram, PT_L0, 1, PA_D2, r | g);
	pte(ram, PT_L0, 2, PA_U2, r);

	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x1c);
	CHECK_EQ(cpu_get_gpr(h, 12), V_D1); /* global: kept across the satp write */
	CHECK_EQ(cpu_get_gpr(h, 13), V_U2); /* not global: walked again */
	CHECK(tlb_has(h->tlb_x, hart_xidx(VA_A), VA_A, h->xkey));
	CHECK(tlb_has(h->tlb_r, (VA_D >> 12) & (TLB_SIZE - 1), VA_D, h->dkey));

	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x30);
	CHECK_EQ(cpu_get_gpr(h, 14), V_D1); /* sfence.vma x0, asid: kept */
	CHECK_EQ(cpu_get_gpr(h, 15), V_D2); /* sfence.vma x0, x0: dropped */
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(30);
	return thart_each_mode(run, RAM);
}
