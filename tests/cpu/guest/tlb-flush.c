/*
 * tlb-flush.c - many sfence.vma / satp writes / fence.i in a row (past the
 * TLB and decode-cache epoch wrap-arounds): every flush must take effect.
 * sfence.vma with an address: a remapped 4 KiB page is seen, and a fence
 * naming any address of a superpage covers the pieces already used.
 */
#include "rvtest-c.h"

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t pg[2][512] __attribute__((aligned(4096)));
static uint32_t code[4] __attribute__((aligned(16)));

int test_main(void)
{
	pg[0][0] = 100;
	pg[1][0] = 200;
	root[2] = (0x80000000ull >> 12) << 10 | 0xcf;
	root[0] = 0xc7;
	root[3] = ((uint64_t)l1 >> 12) << 10 | 1;
	l1[0] = ((uint64_t)l0 >> 12) << 10 | 1;
	csr_write(satp, 8ull << 60 | (uint64_t)root >> 12);
	enter_mode(1);
	for (int i = 0; i < 100; i++) {
		l0[0] = ((uint64_t)pg[i & 1] >> 12) << 10 | 0xc7;
		if (i % 3 == 0)
			__asm__ volatile("sfence.vma %0" :: "r"(0xc0000000ull) : "memory");
		else if (i % 3 == 1)
			__asm__ volatile("sfence.vma" ::: "memory");
		else
			csr_write(satp, 8ull << 60 | (uint64_t)root >> 12);
		struct probe p = probe_ld(0xc0000000ull);
		T(1, p.cause == NO_TRAP && p.val == (uint64_t)((i & 1) ? 200 : 100));
	}
	/* 4 KiB page 0xc0001000: used, remapped, fenced by its address */
	l0[1] = ((uint64_t)pg[0] >> 12) << 10 | 0xc7;
	__asm__ volatile("sfence.vma" ::: "memory");
	T(3, probe_ld(0xc0001000ull).val == (uint64_t)pg[0][0]);
	l0[1] = ((uint64_t)pg[1] >> 12) << 10 | 0xc7;
	__asm__ volatile("sfence.vma %0" :: "r"(0xc0001000ull) : "memory");
	T(4, probe_ld(0xc0001000ull).val == (uint64_t)pg[1][0]);
	/* 2 MiB megapage at 0xc0200000 (-> 0x80000000): a piece is used,
	 * the leaf is made invalid, the fence names another piece */
	uint64_t off = (uint64_t)pg[0] - 0x80000000ull;
	l1[1] = (0x80000000ull >> 12) << 10 | 0xc7;
	__asm__ volatile("sfence.vma" ::: "memory");
	struct probe p = probe_ld(0xc0200000ull + off);
	T(5, off < (2u << 20) && p.cause == NO_TRAP && p.val == (uint64_t)pg[0][0]);
	l1[1] = 0;
	__asm__ volatile("sfence.vma %0" :: "r"(0xc0200000ull + (off ^ 0x1000)) : "memory");
	T(6, probe_ld(0xc0200000ull + off).cause == 13);
	back_to_m();
	/* code rewritten 600 times with fence.i: always the latest runs */
	for (long i = 0; i < 600; i++) {
		code[0] = 0x00000513 | (uint32_t)((i & 0x7ff) << 20); /* li a0, i */
		code[1] = 0x00008067;                                  /* ret */
		__asm__ volatile("fence.i" ::: "memory");
		long r;
		__asm__ volatile("jalr %1\n mv %0, a0" : "=r"(r) : "r"(code) : "a0", "ra", "memory");
		T(2, r == i);
	}
	pass();
}
