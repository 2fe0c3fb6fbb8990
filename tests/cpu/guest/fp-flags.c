/*
 * fp-flags.c - fflags per operation: NV, DZ, OF, UF (tininess detected
 * AFTER rounding, as RISC-V requires), NX; exact results raise nothing;
 * flags accrue until cleared.
 */
#include "fp.h"

int test_main(void)
{
	fp_enable();
	R(1, S2RM("fadd.s", "rne", S_ONE, S_ONE), S_TWO, 0);
	R(2, S2RM("fdiv.s", "rne", S_ONE, 0), S_INF, DZ);
	R(3, S2RM("fdiv.s", "rne", 0xbf800000u, 0), S_NINF, DZ);
	R(4, S2RM("fdiv.s", "rne", 0, 0), S_QNAN, NV);
	R(5, S2RM("fmul.s", "rne", 0, S_INF), S_QNAN, NV);
	R(6, S2RM("fadd.s", "rne", S_SNAN, S_ONE), S_QNAN, NV);
	R(7, S2RM("fadd.s", "rne", S_QNAN, S_ONE), S_QNAN, 0);
	R(8, D2RM("fdiv.d", "rne", D_ONE, 0), D_INF, DZ);
	R(9, D2RM("fadd.d", "rne", D_SNAN, D_QNAN), D_QNAN, NV);
	R(10, S2RM("fdiv.s", "rne", S_INF, 0), S_INF, 0);      /* inf/0: exact inf */
	R(11, S2RM("fmul.s", "rne", S_MAX, S_TWO), S_INF, OF | NX);
	R(12, S2RM("fadd.s", "rmm", S_SNAN, S_ONE), S_QNAN, NV);  /* RMM path too */
	R(13, D2RM("fmul.d", "rmm", D_ONE, D_SNAN), D_QNAN, NV);
	R(14, D1RM("fsqrt.d", "rmm", D_SNAN), D_QNAN, NV);
	/* underflow: tiny and inexact */
	R(20, S2RM("fmul.s", "rne", 0x00800001u, 0x3f000000u), 0x00400000u, UF | NX);
	R(21, S2RM("fmul.s", "rne", 0x00800000u, 0x3f000000u), 0x00400000u, 0); /* exact */
	R(22, S2RM("fmul.s", "rne", 1, 0x3f000000u), 0, UF | NX);
	R(23, S2RM("fmul.s", "rup", 1, 0x3f000000u), 1, UF | NX);
	R(24, D2RM("fmul.d", "rne", 1, 0x3fe0000000000000ull), 0, UF | NX);
	/*
	 * Tininess after rounding: (1 + 2^-23) * (2^-126 (1 - 2^-23)) =
	 * 2^-126 (1 - 2^-46) rounds to 2^-126 with an unbounded exponent, so it
	 * is not tiny: NX only. Before-rounding detection would add UF.
	 */
	R(25, S2RM("fmul.s", "rne", 0x3f800001u, 0x007fffffu), 0x00800000u, NX);
	R(26, S2RM("fmul.s", "rmm", 0x3f800001u, 0x007fffffu), 0x00800000u, NX);
	R(27, S2RM("fmul.s", "rtz", 0x3f800001u, 0x007fffffu), 0x007fffffu, UF | NX);
	R(28, D2RM("fmul.d", "rne", 0x3ff0000000000001ull, 0x000fffffffffffffull),
	  0x0010000000000000ull, NX);
	R(29, D2RM("fmul.d", "rmm", 0x3ff0000000000001ull, 0x000fffffffffffffull),
	  0x0010000000000000ull, NX);
	R(30, D2RM("fmul.d", "rdn", 0x3ff0000000000001ull, 0x000fffffffffffffull),
	  0x000fffffffffffffull, UF | NX);
	/* RMM subnormal results go through the software rounder */
	R(31, S2RM("fmul.s", "rmm", 0x00800001u, 0x3f000000u), 0x00400001u, UF | NX);
	R(32, S2RM("fmul.s", "rmm", 3, 0x3f000000u), 2, UF | NX);
	/* accrual: flags stay until cleared */
	take_flags();
	(void)S2RM("fdiv.s", "rne", S_ONE, 0);
	(void)S2RM("fdiv.s", "rne", S_ONE, S_THREE);
	(void)S2RM("fadd.s", "rne", S_ONE, S_ONE);
	T(40, take_flags() == (DZ | NX));
	T(41, take_flags() == 0);
	/* fflags write/read through fcsr */
	csr_write(fcsr, 0xe3);
	T(42, csr_read(fflags) == 3 && csr_read(frm) == 7);
	csr_write(fcsr, 0);
	pass();
}
