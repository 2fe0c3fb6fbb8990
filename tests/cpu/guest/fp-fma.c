/*
 * fp-fma.c - fused multiply-add family: signs of the four forms, a single
 * rounding (cases where rounding the product first, or going through
 * double, gives a different answer), inf*0 + qNaN raising NV, zero signs,
 * RMM, flags.
 */
#include "fp.h"

int test_main(void)
{
	fp_enable();
	R(1, S3RM("fmadd.s", "rne", S_ONE, S_TWO, S_THREE), 0x40a00000u, 0);   /* 5 */
	R(2, S3RM("fmsub.s", "rne", S_ONE, S_TWO, S_THREE), 0xbf800000u, 0);   /* -1 */
	R(3, S3RM("fnmsub.s", "rne", S_ONE, S_TWO, S_THREE), S_ONE, 0);        /* 1 */
	R(4, S3RM("fnmadd.s", "rne", S_ONE, S_TWO, S_THREE), 0xc0a00000u, 0);  /* -5 */
	R(5, D3RM("fmadd.d", "rne", D_TWO, D_THREE, D_ONE), 0x401c000000000000ull, 0);
	R(6, D3RM("fnmadd.d", "rne", D_TWO, D_THREE, D_ONE), 0xc01c000000000000ull, 0);
	/*
	 * (1+2^-12)^2 = 1 + 2^-11 + 2^-24 is a tie in single; + 2^-60 breaks
	 * it upward. Through double (53 bits) the 2^-60 would be lost.
	 */
	R(10, S3RM("fmadd.s", "rne", 0x3f800800u, 0x3f800800u, 0x21800000u), 0x3f801001u, NX);
	R(11, S3RM("fmadd.s", "rne", 0x3f800800u, 0x3f800800u, 0xa1800000u), 0x3f801000u, NX);
	R(12, S3RM("fmadd.s", "rmm", 0x3f800800u, 0x3f800800u, 0), 0x3f801001u, NX);
	R(13, S3RM("fmadd.s", "rne", 0x3f800800u, 0x3f800800u, 0), 0x3f801000u, NX);
	/* double: (1+2^-27)^2 = 1 + 2^-26 + 2^-54; - 1 is exact only when fused */
	R(14, D3RM("fmsub.d", "rne", 0x3ff0000002000000ull, 0x3ff0000002000000ull, D_ONE),
	  0x3e50000001000000ull, 0);
	/* inf * 0 + qNaN: NV even though the addend is a quiet NaN */
	R(20, S3RM("fmadd.s", "rne", S_INF, 0, S_QNAN), S_QNAN, NV);
	R(21, D3RM("fmadd.d", "rne", 0, D_INF, D_QNAN), D_QNAN, NV);
	R(22, S3RM("fmadd.s", "rne", S_ONE, S_ONE, S_QNAN), S_QNAN, 0);
	R(23, S3RM("fmadd.s", "rne", S_ONE, S_ONE, S_SNAN), S_QNAN, NV);
	R(24, S3RM("fmadd.s", "rne", S_INF, S_ONE, S_NINF), S_QNAN, NV);
	/* exact zero: +0 except in RDN */
	R(30, S3RM("fmsub.s", "rne", S_ONE, S_ONE, S_ONE), 0, 0);
	R(31, S3RM("fmsub.s", "rdn", S_ONE, S_ONE, S_ONE), 0x80000000u, 0);
	R(32, D3RM("fnmsub.d", "rdn", D_ONE, D_ONE, D_ONE), 0x8000000000000000ull, 0);
	/* overflow and rounding modes */
	R(40, S3RM("fmadd.s", "rtz", S_MAX, S_TWO, 0), S_MAX, OF | NX);
	R(41, S3RM("fmadd.s", "rup", S_MAX, S_TWO, 0), S_INF, OF | NX);
	R(42, D3RM("fmadd.d", "rmm", D_ONE, D_ONE, 0x3ca0000000000000ull), 0x3ff0000000000001ull, NX);
	R(43, D3RM("fmadd.d", "rdn", D_ONE, D_ONE, 0x3ca0000000000000ull), D_ONE, NX);
	R(44, D3RM("fmadd.d", "rup", D_ONE, D_ONE, 0x3ca0000000000000ull), 0x3ff0000000000001ull, NX);
	pass();
}
