/*
 * fp-cvt.c - float<->integer conversions: rounding, NX, saturation and NV
 * (NaN -> max, out of range -> the nearer limit), unsigned negative
 * inputs, 32-bit results sign-extended; int->float rounding; float<->
 * double conversions.
 */
#include "fp.h"

int test_main(void)
{
	fp_enable();
	R(1, CVT_XS("fcvt.w.s", "rne", 0x3fc00000u), 2, NX);            /* 1.5 */
	R(2, CVT_XS("fcvt.w.s", "rne", 0x40200000u), 2, NX);            /* 2.5 */
	R(3, CVT_XS("fcvt.w.s", "rne", 0xbfc00000u), -2, NX);
	R(4, CVT_XS("fcvt.w.s", "rmm", 0xc0200000u), -3, NX);
	R(5, CVT_XS("fcvt.w.s", "rtz", 0xbfc00000u), -1, NX);
	R(6, CVT_XS("fcvt.w.s", "rdn", 0xbfc00000u), -2, NX);
	R(7, CVT_XS("fcvt.w.s", "rup", 0x3f8ccccdu), 2, NX);            /* 1.1 */
	R(8, CVT_XS("fcvt.w.s", "rtz", 0x4f32d05eu), 0x7fffffff, NV);   /* 3e9 */
	R(9, CVT_XS("fcvt.w.s", "rtz", 0xcf32d05eu), 0xffffffff80000000ull, NV);
	R(10, CVT_XS("fcvt.w.s", "rtz", S_QNAN), 0x7fffffff, NV);
	R(11, CVT_XS("fcvt.w.s", "rtz", S_NINF), 0xffffffff80000000ull, NV);
	R(12, CVT_XS("fcvt.w.s", "rtz", S_INF), 0x7fffffff, NV);
	R(13, CVT_XS("fcvt.w.s", "rtz", 0xcf000000u), 0xffffffff80000000ull, 0); /* -2^31 */
	R(14, CVT_XS("fcvt.w.s", "rtz", 0x4f000000u), 0x7fffffff, NV);  /* 2^31 */
	R(15, CVT_XS("fcvt.w.s", "rtz", 0x80000000u), 0, 0);             /* -0 */
	R(16, CVT_XS("fcvt.wu.s", "rtz", 0xbf800000u), 0, NV);           /* -1 */
	R(17, CVT_XS("fcvt.wu.s", "rtz", 0xbf000000u), 0, NX);           /* -0.5 -> 0 */
	R(18, CVT_XS("fcvt.wu.s", "rne", 0xbf000000u), 0, NX);
	R(19, CVT_XS("fcvt.wu.s", "rtz", 0x4f7fffffu), 0xffffffffffffff00ull, 0);
	R(20, CVT_XS("fcvt.wu.s", "rtz", S_QNAN), 0xffffffffffffffffull, NV);
	R(21, CVT_XS("fcvt.wu.s", "rtz", 0x4f800000u), 0xffffffffffffffffull, NV); /* 2^32 */
	R(22, CVT_XS("fcvt.l.s", "rtz", 0x5f000000u), 0x7fffffffffffffffull, NV);  /* 2^63 */
	R(23, CVT_XS("fcvt.l.s", "rtz", 0xdf000000u), 0x8000000000000000ull, 0);
	R(24, CVT_XS("fcvt.lu.s", "rtz", 0x5f7fffffu), 0xffffff0000000000ull, 0);
	R(25, CVT_XS("fcvt.lu.s", "rtz", 0xbf800000u), 0, NV);
	R(26, CVT_XD("fcvt.l.d", "rtz", 0x43e0000000000000ull), 0x7fffffffffffffffull, NV);
	R(27, CVT_XD("fcvt.l.d", "rtz", 0xc3e0000000000000ull), 0x8000000000000000ull, 0);
	R(28, CVT_XD("fcvt.l.d", "rtz", D_QNAN), 0x7fffffffffffffffull, NV);
	R(29, CVT_XD("fcvt.l.d", "rtz", 0xfff0000000000000ull), 0x8000000000000000ull, NV);
	R(30, CVT_XD("fcvt.lu.d", "rtz", 0x43f0000000000000ull), 0xffffffffffffffffull, NV);
	R(31, CVT_XD("fcvt.lu.d", "rtz", 0x43efffffffffffffull), 0xfffffffffffff800ull, 0);
	R(32, CVT_XD("fcvt.lu.d", "rtz", 0xbfeccccccccccccdull), 0, NX); /* -0.9 */
	R(33, CVT_XD("fcvt.lu.d", "rne", 0xbfeccccccccccccdull), 0, NV); /* rounds to -1 */
	/* 2^31 - 0.5: rounds to 2^31 (out of range) or down to 2^31 - 1 */
	R(34, CVT_XD("fcvt.w.d", "rne", 0x41dfffffffe00000ull), 0x7fffffff, NV);
	R(35, CVT_XD("fcvt.w.d", "rtz", 0x41dfffffffe00000ull), 0x7fffffff, NX);
	R(36, CVT_XD("fcvt.wu.d", "rne", 0x41efffffffe00000ull), 0xffffffffffffffffull, 0);
	/* -2^31 - 0.5: RMM goes out of range, RNE ties to the even -2^31 */
	R(37, CVT_XD("fcvt.w.d", "rmm", 0xc1e0000000100000ull), 0xffffffff80000000ull, NV);
	R(38, CVT_XD("fcvt.w.d", "rne", 0xc1e0000000100000ull), 0xffffffff80000000ull, NX);
	/* int -> float */
	R(40, CVT_SX("fcvt.s.w", "rne", 16777217), 0x4b800000u, NX);
	R(41, CVT_SX("fcvt.s.w", "rup", 16777217), 0x4b800001u, NX);
	R(42, CVT_SX("fcvt.s.w", "rmm", 16777217), 0x4b800001u, NX);
	R(43, CVT_SX("fcvt.s.w", "rne", 16777219), 0x4b800002u, NX);   /* tie to even = up */
	R(44, CVT_SX("fcvt.s.w", "rtz", -16777217), 0xcb800000u, NX);
	R(45, CVT_SX("fcvt.s.w", "rdn", -16777217), 0xcb800001u, NX);
	R(46, CVT_SX("fcvt.s.wu", "rne", 0xffffffffffffffffull), 0x4f800000u, NX);
	R(47, CVT_SX("fcvt.s.w", "rne", 0x100000005ull), 0x40a00000u, 0); /* low 32 bits */
	R(48, CVT_SX("fcvt.s.lu", "rne", 0xffffffffffffffffull), 0x5f800000u, NX);
	R(49, CVT_SX("fcvt.s.lu", "rtz", 0xffffffffffffffffull), 0x5f7fffffu, NX);
	R(50, CVT_SX("fcvt.s.l", "rne", 0), 0, 0);
	R(51, CVT_DX("fcvt.d.l", "rne", 0x8000000000000000ull), 0xc3e0000000000000ull, 0);
	R(52, CVT_DX("fcvt.d.lu", "rne", 0xffffffffffffffffull), 0x43f0000000000000ull, NX);
	R(53, CVT_DX("fcvt.d.lu", "rtz", 0xffffffffffffffffull), 0x43efffffffffffffull, NX);
	R(54, CVT_DX("fcvt.d.l", "rmm", 0x20000000000001ull), 0x4340000000000001ull, NX); /* 2^53+1 */
	R(55, CVT_DX("fcvt.d.l", "rne", 0x20000000000001ull), 0x4340000000000000ull, NX);
	uint64_t r;
	take_flags();
	__asm__ volatile("fcvt.d.w ft2, %1\n fmv.x.d %0, ft2" : "=r"(r) : "r"(-5L) : "ft2");
	T(56, r == 0xc014000000000000ull && take_flags() == 0);
	/* double <-> single */
	take_flags();
	__asm__ volatile("fmv.d.x ft0, %1\n fcvt.s.d ft1, ft0, rne\n fmv.x.w %0, ft1" : "=r"(r) : "r"(0x48078d59b1ec1d0dull) : "ft0", "ft1"); /* 1e39 */
	T(61, (uint32_t)r == S_INF && take_flags() == (OF | NX));
	__asm__ volatile("fmv.d.x ft0, %1\n fcvt.s.d ft1, ft0, rtz\n fmv.x.w %0, ft1" : "=r"(r) : "r"(0x48078d59b1ec1d0dull) : "ft0", "ft1");
	T(62, (uint32_t)r == S_MAX && take_flags() == (OF | NX));
	__asm__ volatile("fmv.d.x ft0, %1\n fcvt.s.d ft1, ft0, rmm\n fmv.x.w %0, ft1" : "=r"(r) : "r"(0x3ff0000010000000ull) : "ft0", "ft1"); /* 1+2^-24 */
	T(63, (uint32_t)r == 0x3f800001u && take_flags() == NX);
	__asm__ volatile("fmv.d.x ft0, %1\n fcvt.s.d ft1, ft0, rne\n fmv.x.w %0, ft1" : "=r"(r) : "r"(0x3ff0000010000000ull) : "ft0", "ft1");
	T(64, (uint32_t)r == S_ONE && take_flags() == NX);
	__asm__ volatile("fmv.d.x ft0, %1\n fcvt.s.d ft1, ft0, rne\n fmv.x.w %0, ft1" : "=r"(r) : "r"(D_SNAN) : "ft0", "ft1");
	T(65, (uint32_t)r == S_QNAN && take_flags() == NV);
	__asm__ volatile("fmv.d.x ft0, %1\n fcvt.s.d ft1, ft0, rne\n fmv.x.w %0, ft1" : "=r"(r) : "r"(1ull) : "ft0", "ft1");
	T(66, (uint32_t)r == 0 && take_flags() == (UF | NX));
	__asm__ volatile("fmv.w.x ft0, %1\n fcvt.d.s ft1, ft0\n fmv.x.d %0, ft1" : "=r"(r) : "r"(0x80000001ull) : "ft0", "ft1");
	T(67, r == 0xb6a0000000000000ull && take_flags() == 0);  /* -2^-149 exact */
	pass();
}
