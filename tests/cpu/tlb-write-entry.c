/*
 * A write-TLB entry's pa_off and keep - the fields only slow paths read
 * (the inline checks read tag and host_off) - are filled with the entry
 * and read from it by
 *  1. mmu_flush_asid (keep): a store to a global page D and a non-global
 *     page U, then both PTEs pointed at other pages and a satp write
 *     (same root, another ASID): a store to D must still reach the old
 *     page (its write entry kept), one to U the new page;
 *  2. mmu_amo_ptr (pa_off; the interpreter's AMOs): an AMO on D's kept
 *     entry must act on the old page;
 *  3. the JIT's lr (pa_off, from the entry its inline lookup hit):
 *     after a store to page W, lr on W hits and takes the reservation at
 *     W's physical address; sc through another virtual page W2 mapped to
 *     the same physical page misses (its handler translates afresh) and
 *     must find the reservation's address, so it succeeds;
 *  4. purge_write_tlb (pa_off): a store to page P fills its write entry;
 *     P is then run as code (its write entries must go), rewritten
 *     through the same address and run again: the new code must run.
 * Sv39 with every virtual page at another physical offset, so a pa_off
 * read from the wrong place is wrong. tlb-global.c covers the read and
 * fetch TLBs' keep. Under the interpreter and the JIT.
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
#define VA_W (VA_A + 0x3000)
#define VA_P (VA_A + 0x4000)
#define VA_W2 (VA_A + 0x5000)
#define PA_A (BASE + 0x100000)
#define PA_D1 (BASE + 0x105000)
#define PA_D2 (BASE + 0x106000)
#define PA_U1 (BASE + 0x107000)
#define PA_U2 (BASE + 0x108000)
#define PA_W (BASE + 0x109000)
#define PA_P (BASE + 0x10a000)
#define PT_ROOT (BASE + 0x200000)
#define PT_L1 (BASE + 0x201000)
#define PT_L0 (BASE + 0x202000)
#define V5 0x55ull
#define V6 0x66ull
#define LI_A0_2 0x00200513u /* addi a0, zero, 2 */

static const uint32_t code_a[] = {
	0x0154b023, /* 0x00: sd s5, 0(s1)  (D) */
	0x01593023, /* 0x04: sd s5, 0(s2)  (U) */
	0x10500073, /* 0x08: wfi */
	0x18099073, /* 0x0c: csrw satp, s3 */
	0x0164b023, /* 0x10: sd s6, 0(s1) */
	0x01693023, /* 0x14: sd s6, 0(s2) */
	0x10500073, /* 0x18: wfi */
	0x0164b6af, /* 0x1c: amoadd.d a3, s6, (s1) */
	0x015cb023, /* 0x20: sd s5, 0(s9)  (W) */
	0x100cb72f, /* 0x24: lr.d a4, (s9) */
	0x196d37af, /* 0x28: sc.d a5, s6, (s10)  (W2) */
	0x115bb023, /* 0x2c: sd s5, 256(s7)  (P) */
	0x000b80e7, /* 0x30: jalr ra, 0(s7) */
	0x018ba023, /* 0x34: sw s8, 0(s7) */
	0x000b80e7, /* 0x38: jalr ra, 0(s7) */
	0x10500073, /* 0x3c: wfi */
};

static const uint32_t code_p[] = {
	0x00100513, /* addi a0, zero, 1 */
	0x00008067, /* ret */
};

static void put(uint8_t *ram, uint64_t pa, const void *p, size_t n)
{
	memcpy(ram + (pa - BASE), p, n);
}

static uint64_t get64(const uint8_t *ram, uint64_t pa)
{
	uint64_t v;
	memcpy(&v, ram + (pa - BASE), 8);
	return v;
}

static void pte(uint8_t *ram, uint64_t table, unsigned i, uint64_t pa, uint64_t flags)
{
	uint64_t v = (pa >> 12) << 10 | flags;
	put(ram, table + 8 * i, &v, 8);
}

static void run(uint8_t *ram, bool jit)
{
	/* V R W X A D (+ G) */
	const uint64_t g = 32, rwx = 1 | 2 | 4 | 8 | 64 | 128, rw = 1 | 2 | 4 | 64 | 128;
	memset(ram, 0, RAM);
	put(ram, PA_A, code_a, sizeof(code_a));
	put(ram, PA_P, code_p, sizeof(code_p));
	pte(ram, PT_ROOT, (VA_A >> 30) & 511, PT_L1, 1);
	pte(ram, PT_L1, (VA_A >> 21) & 511, PT_L0, 1);
	pte(ram, PT_L0, 0, PA_A, rwx | g);
	pte(ram, PT_L0, 1, PA_D1, rw | g);
	pte(ram, PT_L0, 2, PA_U1, rw);
	pte(ram, PT_L0, 3, PA_W, rw);
	pte(ram, PT_L0, 4, PA_P, rwx | g);
	pte(ram, PT_L0, 5, PA_W, rw);

	struct hart *h = thart_new(ram, BASE, RAM, VA_A, jit);
	thart_paging(h, 8ull << 60 | 1ull << 44 | PT_ROOT >> 12); /* ASID 1 */
	cpu_set_gpr(h, 9, VA_D);                                  /* s1 */
	cpu_set_gpr(h, 18, VA_U);                                 /* s2 */
	cpu_set_gpr(h, 19, 8ull << 60 | 2ull << 44 | PT_ROOT >> 12); /* s3: ASID 2 */
	cpu_set_gpr(h, 21, V5);                                   /* s5 */
	cpu_set_gpr(h, 22, V6);                                   /* s6 */
	cpu_set_gpr(h, 23, VA_P);                                 /* s7 */
	cpu_set_gpr(h, 24, LI_A0_2);                              /* s8 */
	cpu_set_gpr(h, 25, VA_W);                                 /* s9 */
	cpu_set_gpr(h, 26, VA_W2);                                /* s10 */

	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x0c);
	CHECK_EQ(get64(ram, PA_D1), V5);
	CHECK_EQ(get64(ram, PA_U1), V5);
	pte(ram, PT_L0, 1, PA_D2, rw | g);
	pte(ram, PT_L0, 2, PA_U2, rw);

	/* 1. */
	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x1c);
	CHECK_EQ(get64(ram, PA_D1), V6); /* global: its write entry kept */
	CHECK_EQ(get64(ram, PA_D2), 0);
	CHECK_EQ(get64(ram, PA_U1), V5);
	CHECK_EQ(get64(ram, PA_U2), V6); /* not global: walked again */

	CHECK_EQ(thart_run_to_wfi(h), VA_A + 0x40);
	/* 2. */
	CHECK_EQ(cpu_get_gpr(h, 13), V6);
	CHECK_EQ(get64(ram, PA_D1), 2 * V6);
	CHECK_EQ(get64(ram, PA_D2), 0);
	/* 3. */
	CHECK_EQ(cpu_get_gpr(h, 14), V5);
	CHECK_EQ(cpu_get_gpr(h, 15), 0); /* sc succeeded */
	CHECK_EQ(get64(ram, PA_W), V6);
	/* 4. */
	CHECK_EQ(get64(ram, PA_P + 256), V5);
	CHECK_EQ(cpu_get_gpr(h, 10), 2);
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(30);
	return thart_each_mode(run, RAM);
}
