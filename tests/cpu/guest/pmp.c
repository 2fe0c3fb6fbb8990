/*
 * pmp.c - PMP as OpenSBI uses it: TOR, NA4, NAPOT, permissions for S/U,
 * M-mode exempt unless locked, partial matches fail, no-match fails for
 * S/U, locked entries ignore writes, W-without-R is not kept.
 */
#include "rvtest-c.h"

static uint64_t ppage[512] __attribute__((aligned(4096)));
static uint64_t wpage[512] __attribute__((aligned(4096)));

int test_main(void)
{
	uint64_t X = (uint64_t)&wpage[0], P = (uint64_t)ppage;
	ppage[0] = 0x00008067; /* ret */
	wpage[0] = 0x1234;
	csr_write(pmpaddr0, 0x80000000ull >> 2);
	csr_write(pmpaddr1, X >> 2);
	csr_write(pmpaddr2, (P >> 2) | 0x1ff);
	csr_write(pmpaddr3, (0x80000000ull >> 2) | ((32ull << 20 >> 3) - 1));
	/* 0: TOR RWX, 1: NA4 R, 2: NAPOT none, 3: NAPOT RWX */
	csr_write(pmpcfg0, 0x1full << 24 | 0x18ull << 16 | 0x11ull << 8 | 0x0f);
	T(1, csr_read(pmpcfg0) == (0x1full << 24 | 0x18ull << 16 | 0x11ull << 8 | 0x0f));

	enter_mode(1);
	struct probe p = probe_lw(X);
	T(2, p.cause == NO_TRAP && p.val == 0x1234);
	p = probe_sd(X, 0);
	T(3, p.cause == 7 && p.val == X);
	T(4, probe_ld(X).cause == 5);           /* 8 bytes: NA4 only half matches */
	T(5, probe_ld(P).cause == 5);
	T(6, probe_sd(P, 0).cause == 7);
	T(7, probe_fetch(P).cause == 1);
	T(8, probe_ld(X + 64).cause == NO_TRAP); /* entry 3 */
	T(9, probe_ld(0x83000000).cause == 5);   /* no entry matches */
	back_to_m();

	T(10, probe_ld(P).cause == NO_TRAP);     /* M: not locked, allowed */
	T(11, probe_fetch(P).cause == NO_TRAP);
	T(12, probe_ld(X).cause == 5);           /* partial match fails for M */
	T(13, probe_ld(0x83000000).cause == NO_TRAP);

	/* W without R is reserved (WARL): whatever is kept must be legal */
	csr_write(pmpaddr4, 0);
	csr_set(pmpcfg0, 0x1aull << 32);
	T(14, ((csr_read(pmpcfg0) >> 32) & 3) != 2);
	csr_clear(pmpcfg0, 0xffull << 32);

	/* pmpaddr holds 54 bits */
	csr_write(pmpaddr5, -1);
	T(15, csr_read(pmpaddr5) == 0x3fffffffffffffull);
	csr_write(pmpaddr5, 0);

	/* lock entry 2: applies to M, and the entry is frozen */
	csr_set(pmpcfg0, 0x80ull << 16);
	T(16, probe_ld(P).cause == 5);
	T(17, probe_fetch(P).cause == 1);
	csr_clear(pmpcfg0, 0xffull << 16);
	T(18, ((csr_read(pmpcfg0) >> 16) & 0xff) == 0x98);
	csr_write(pmpaddr2, 0);
	T(19, csr_read(pmpaddr2) == ((P >> 2) | 0x1ff));

	/* a TOR entry locks the pmpaddr below it */
	csr_write(pmpaddr6, 0x83000000ull >> 2);
	csr_write(pmpaddr7, 0x83001000ull >> 2);
	csr_set(pmpcfg0, 0x88ull << 56);         /* entry 7: TOR, locked, no perms */
	csr_write(pmpaddr6, 0x1234);
	T(20, csr_read(pmpaddr6) == 0x83000000ull >> 2);
	T(21, probe_ld(0x83000000).cause == 5);  /* locked TOR region, no R: M too */
	T(22, probe_ld(0x83001000).cause == NO_TRAP);
	pass();
}
