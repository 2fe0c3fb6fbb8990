/*
 * fp-minmax.c - fmin/fmax (-0 < +0, one NaN returns the other, two NaNs
 * give the canonical NaN, sNaN raises NV) and feq/flt/fle (feq quiet,
 * flt/fle signalling on any NaN).
 */
#include "fp.h"

int test_main(void)
{
	fp_enable();
	R(1, S2("fmin.s", 0x80000000u, 0), 0x80000000u, 0);
	R(2, S2("fmin.s", 0, 0x80000000u), 0x80000000u, 0);
	R(3, S2("fmax.s", 0x80000000u, 0), 0, 0);
	R(4, S2("fmax.s", 0, 0x80000000u), 0, 0);
	R(5, S2("fmin.s", S_QNAN, S_ONE), S_ONE, 0);
	R(6, S2("fmax.s", S_ONE, S_QNAN), S_ONE, 0);
	R(7, S2("fmin.s", S_SNAN, S_ONE), S_ONE, NV);
	R(8, S2("fmax.s", S_TWO, S_SNAN), S_TWO, NV);
	R(9, S2("fmin.s", S_QNAN, 0xffc00001u), S_QNAN, 0);
	R(10, S2("fmax.s", S_SNAN, S_SNAN), S_QNAN, NV);
	R(11, S2("fmin.s", S_ONE, S_TWO), S_ONE, 0);
	R(12, S2("fmax.s", 0xbf800000u, 0xc0000000u), 0xbf800000u, 0);
	R(13, S2("fmin.s", S_NINF, S_INF), S_NINF, 0);
	R(14, D2("fmin.d", 0x8000000000000000ull, 0), 0x8000000000000000ull, 0);
	R(15, D2("fmax.d", 0x8000000000000000ull, 0), 0, 0);
	R(16, D2("fmin.d", D_SNAN, D_ONE), D_ONE, NV);
	R(17, D2("fmax.d", D_QNAN, D_QNAN | 5), D_QNAN, 0);
	R(18, D2("fmax.d", D_ONE, D_TWO), D_TWO, 0);
	/* comparisons */
	R(20, CMP_S("feq.s", S_QNAN, S_ONE), 0, 0);
	R(21, CMP_S("feq.s", S_SNAN, S_ONE), 0, NV);
	R(22, CMP_S("flt.s", S_QNAN, S_ONE), 0, NV);
	R(23, CMP_S("fle.s", S_ONE, S_QNAN), 0, NV);
	R(24, CMP_S("feq.s", 0x80000000u, 0), 1, 0);
	R(25, CMP_S("flt.s", 0x80000000u, 0), 0, 0);
	R(26, CMP_S("fle.s", 0x80000000u, 0), 1, 0);
	R(27, CMP_S("flt.s", S_ONE, S_TWO), 1, 0);
	R(28, CMP_S("fle.s", S_TWO, S_ONE), 0, 0);
	R(29, CMP_S("feq.s", S_QNAN, S_QNAN), 0, 0);
	R(30, CMP_D("feq.d", D_SNAN, D_SNAN), 0, NV);
	R(31, CMP_D("flt.d", 0xfff0000000000000ull, D_INF), 1, 0);
	R(32, CMP_D("fle.d", D_QNAN, D_ONE), 0, NV);
	R(33, CMP_D("feq.d", D_ONE, D_ONE), 1, 0);
	/* an unboxed single compares as canonical NaN */
	uint64_t r;
	take_flags();
	__asm__ volatile("fmv.d.x ft0, %1\n feq.s %0, ft0, ft0" : "=r"(r) : "r"(0x3f800000ull) : "ft0");
	T(34, r == 0 && take_flags() == 0);
	pass();
}
