/*
 * fp-basic.c - F/D arithmetic results, canonical NaNs, NaN-boxing, sign
 * injection, moves, fclass, loads/stores, FS states.
 */
#include "fp.h"

static uint64_t mem[4];

int test_main(void)
{
	/* FS = Off: FP instructions are illegal (checked in csr.S too) */
	fp_enable();
	R(1, S2RM("fadd.s", "rne", S_ONE, S_TWO), S_THREE, 0);
	R(2, S2RM("fsub.s", "rne", S_ONE, S_TWO), 0xbf800000u, 0);
	R(3, S2RM("fmul.s", "rne", S_THREE, S_TWO), 0x40c00000u, 0);
	R(4, S2RM("fdiv.s", "rne", S_ONE, S_THREE), 0x3eaaaaabu, NX);
	R(5, S1RM("fsqrt.s", "rne", 0x40800000u), S_TWO, 0);
	R(6, S1RM("fsqrt.s", "rne", S_TWO), 0x3fb504f3u, NX);
	R(7, D2RM("fadd.d", "rne", D_ONE, D_TWO), D_THREE, 0);
	R(8, D2RM("fdiv.d", "rne", D_ONE, D_THREE), 0x3fd5555555555555ull, NX);
	R(9, D1RM("fsqrt.d", "rne", D_TWO), 0x3ff6a09e667f3bcdull, NX);
	R(10, D2RM("fmul.d", "rne", D_THREE, 0xbff0000000000000ull), 0xc008000000000000ull, 0);
	/* canonical NaN results: payload and sign are not propagated */
	R(11, S2RM("fadd.s", "rne", 0xffc12345u, S_ONE), S_QNAN, 0);
	R(12, D2RM("fmul.d", "rne", 0xfff8000000012345ull, D_ONE), D_QNAN, 0);
	R(13, S2RM("fsub.s", "rne", S_INF, S_INF), S_QNAN, NV);
	R(14, S1RM("fsqrt.s", "rne", 0xbf800000u), S_QNAN, NV);
	R(15, D1RM("fsqrt.d", "rne", 0x8000000000000000ull), 0x8000000000000000ull, 0);
	/* NaN-boxing: a single operand that is not boxed reads as canonical NaN */
	uint64_t r;
	__asm__ volatile("fmv.d.x ft0, %1\n fadd.s ft1, ft0, ft0\n fmv.x.d %0, ft1"
			 : "=r"(r) : "r"(0x000000003f800000ull) : "ft0", "ft1");
	T(16, r == 0xffffffff7fc00000ull);
	__asm__ volatile("fmv.d.x ft0, %1\n fmv.x.w %0, ft0" : "=r"(r) : "r"(0x123456783f800000ull) : "ft0");
	T(17, r == 0x3f800000ull);              /* fmv.x.w takes the raw low bits */
	__asm__ volatile("fmv.w.x ft0, %1\n fmv.x.d %0, ft0" : "=r"(r) : "r"(0xabcdef01bf800000ull) : "ft0");
	T(18, r == 0xffffffffbf800000ull);      /* fmv.w.x boxes */
	__asm__ volatile("fmv.x.w %0, %1" : "=r"(r) : "f"(-2.0f));
	T(19, r == 0xffffffffc0000000ull);      /* sign-extended */
	__asm__ volatile("fmv.d.x ft0, %1\n fsgnj.s ft1, ft0, ft0\n fmv.x.d %0, ft1"
			 : "=r"(r) : "r"(0x00000000bf800000ull) : "ft0", "ft1");
	T(20, r == 0xffffffff7fc00000ull);      /* unboxed -> canonical NaN, then sign */
	/* sign injection */
	R(21, S2("fsgnj.s", S_ONE, 0x80000000u), 0xbf800000u, 0);
	R(22, S2("fsgnjn.s", S_ONE, 0x80000000u), S_ONE, 0);
	R(23, S2("fsgnjx.s", 0xbf800000u, 0x80000000u), S_ONE, 0);
	R(24, S2("fsgnj.s", S_SNAN, 0x80000000u), 0xff800001u, 0); /* no NV, no canon */
	R(25, D2("fsgnjn.d", D_ONE, D_ONE), 0xbff0000000000000ull, 0);
	R(26, D2("fsgnjx.d", 0xbff0000000000000ull, 0xbff0000000000000ull), D_ONE, 0);
	/* fclass */
	static const uint32_t cs[10] = { S_NINF, 0xbf800000u, 0x80000001u, 0x80000000u, 0,
					 1, S_ONE, S_INF, S_SNAN, S_QNAN };
	for (int i = 0; i < 10; i++) {
		uint64_t c;
		__asm__ volatile("fmv.w.x ft0, %1\n fclass.s %0, ft0" : "=r"(c) : "r"((uint64_t)cs[i]) : "ft0");
		T(30 + i, c == 1u << i);
	}
	static const uint64_t cd[10] = { 0xfff0000000000000ull, 0xbff0000000000000ull,
					 0x8000000000000001ull, 0x8000000000000000ull, 0, 1,
					 D_ONE, D_INF, D_SNAN, D_QNAN };
	for (int i = 0; i < 10; i++) {
		uint64_t c;
		__asm__ volatile("fmv.d.x ft0, %1\n fclass.d %0, ft0" : "=r"(c) : "r"(cd[i]) : "ft0");
		T(40 + i, c == 1u << i);
	}
	/* conversions between formats */
	__asm__ volatile("fmv.d.x ft0, %1\n fcvt.s.d ft1, ft0\n fmv.x.d %0, ft1" : "=r"(r) : "r"(D_THREE) : "ft0", "ft1");
	T(51, r == 0xffffffff40400000ull);
	__asm__ volatile("fmv.w.x ft0, %1\n fcvt.d.s ft1, ft0\n fmv.x.d %0, ft1" : "=r"(r) : "r"((uint64_t)S_SNAN) : "ft0", "ft1");
	T(52, r == D_QNAN && take_flags() == NV);
	/* loads/stores: flw boxes, fsw stores the low 32 bits as they are */
	mem[0] = 0x1122334455667788ull;
	__asm__ volatile("flw ft0, 0(%1)\n fmv.x.d %0, ft0" : "=r"(r) : "r"(mem) : "ft0", "memory");
	T(53, r == 0xffffffff55667788ull);
	__asm__ volatile("fmv.d.x ft0, %0\n fsw ft0, 8(%1)" :: "r"(0xaaaaaaaa12345678ull), "r"(mem) : "ft0", "memory");
	T(54, (uint32_t)mem[1] == 0x12345678u);
	__asm__ volatile("fld ft0, 0(%0)\n fsd ft0, 16(%0)" :: "r"(mem) : "ft0", "memory");
	T(55, mem[2] == 0x1122334455667788ull);
	/* FS: Initial -> Dirty on write; Clean stays Clean on fsw/fclass/compare */
	csr_clear(mstatus, 3ull << 13);
	csr_set(mstatus, 2ull << 13);         /* Clean */
	__asm__ volatile("fsd ft0, 24(%0)" :: "r"(mem) : "memory");
	T(56, ((csr_read(mstatus) >> 13) & 3) == 2);
	__asm__ volatile("fmv.d.x ft5, zero" ::: "ft5");
	T(57, ((csr_read(mstatus) >> 13) & 3) == 3);
	pass();
}
