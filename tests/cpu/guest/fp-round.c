/*
 * fp-round.c - every rounding mode, static and dynamic (frm), on
 * add/mul/div/sqrt/fcvt, ties (RNE to even vs RMM away), directed
 * overflow, the sign of exact zero in RDN, and reserved rm values
 * trapping (static 5/6, dynamic with frm 5..7).
 */
#include "fp.h"

#define TIE_S 0x33800000u /* 2^-24: half an ulp of 1.0f */

int test_main(void)
{
	fp_enable();
	/* 1/3 and -1/3 */
	R(1, S2RM("fdiv.s", "rne", S_ONE, S_THREE), 0x3eaaaaabu, NX);
	R(2, S2RM("fdiv.s", "rtz", S_ONE, S_THREE), 0x3eaaaaaau, NX);
	R(3, S2RM("fdiv.s", "rdn", S_ONE, S_THREE), 0x3eaaaaaau, NX);
	R(4, S2RM("fdiv.s", "rup", S_ONE, S_THREE), 0x3eaaaaabu, NX);
	R(5, S2RM("fdiv.s", "rmm", S_ONE, S_THREE), 0x3eaaaaabu, NX);
	R(6, S2RM("fdiv.s", "rdn", 0xbf800000u, S_THREE), 0xbeaaaaabu, NX);
	R(7, S2RM("fdiv.s", "rup", 0xbf800000u, S_THREE), 0xbeaaaaaau, NX);
	R(8, S2RM("fdiv.s", "rtz", 0xbf800000u, S_THREE), 0xbeaaaaaau, NX);
	/* ties */
	R(10, S2RM("fadd.s", "rne", S_ONE, TIE_S), S_ONE, NX);
	R(11, S2RM("fadd.s", "rmm", S_ONE, TIE_S), 0x3f800001u, NX);
	R(12, S2RM("fadd.s", "rup", S_ONE, TIE_S), 0x3f800001u, NX);
	R(13, S2RM("fadd.s", "rdn", S_ONE, TIE_S), S_ONE, NX);
	R(14, S2RM("fadd.s", "rtz", S_ONE, TIE_S), S_ONE, NX);
	R(15, S2RM("fadd.s", "rne", 0x3f800001u, TIE_S), 0x3f800002u, NX); /* even is up */
	R(16, S2RM("fsub.s", "rmm", 0xbf800000u, TIE_S), 0xbf800001u, NX);
	R(17, S2RM("fsub.s", "rdn", 0xbf800000u, TIE_S), 0xbf800001u, NX);
	R(18, S2RM("fsub.s", "rup", 0xbf800000u, TIE_S), 0xbf800000u, NX);
	R(19, D2RM("fadd.d", "rne", D_ONE, 0x3ca0000000000000ull), D_ONE, NX);
	R(20, D2RM("fadd.d", "rmm", D_ONE, 0x3ca0000000000000ull), 0x3ff0000000000001ull, NX);
	R(21, D2RM("fadd.d", "rup", D_ONE, 0x3ca0000000000000ull), 0x3ff0000000000001ull, NX);
	R(22, D2RM("fdiv.d", "rtz", D_ONE, D_THREE), 0x3fd5555555555555ull, NX);
	R(23, D2RM("fdiv.d", "rup", D_ONE, D_THREE), 0x3fd5555555555556ull, NX);
	R(24, D2RM("fdiv.d", "rmm", D_ONE, D_THREE), 0x3fd5555555555555ull, NX);
	R(25, D2RM("fmul.d", "rmm", 0x3ff0000000000001ull, 0x3ff8000000000000ull),
	  0x3ff8000000000002ull, NX);  /* 1.5 + 1.5*2^-52: tie, away = up */
	R(26, D2RM("fmul.d", "rne", 0x3ff0000000000001ull, 0x3ff8000000000000ull),
	  0x3ff8000000000002ull, NX);  /* tie, even = up here too */
	R(27, D2RM("fmul.d", "rne", 0x3ff0000000000003ull, 0x3ff8000000000000ull),
	  0x3ff8000000000004ull, NX);  /* 1.5+4.5ulp: tie between 4 and 5 -> 4 */
	R(28, D2RM("fmul.d", "rmm", 0x3ff0000000000003ull, 0x3ff8000000000000ull),
	  0x3ff8000000000005ull, NX);
	R(29, S1RM("fsqrt.s", "rtz", S_TWO), 0x3fb504f3u, NX);
	R(30, S1RM("fsqrt.s", "rup", S_TWO), 0x3fb504f4u, NX);
	R(31, D1RM("fsqrt.d", "rdn", D_TWO), 0x3ff6a09e667f3bccull, NX);
	R(32, D1RM("fsqrt.d", "rmm", D_TWO), 0x3ff6a09e667f3bcdull, NX);
	/* overflow per mode */
	R(40, S2RM("fmul.s", "rne", S_MAX, S_TWO), S_INF, OF | NX);
	R(41, S2RM("fmul.s", "rtz", S_MAX, S_TWO), S_MAX, OF | NX);
	R(42, S2RM("fmul.s", "rdn", S_MAX, S_TWO), S_MAX, OF | NX);
	R(43, S2RM("fmul.s", "rup", S_MAX, S_TWO), S_INF, OF | NX);
	R(44, S2RM("fmul.s", "rmm", S_MAX, S_TWO), S_INF, OF | NX);
	R(45, S2RM("fmul.s", "rdn", 0xff7fffffu, S_TWO), S_NINF, OF | NX);
	R(46, S2RM("fmul.s", "rup", 0xff7fffffu, S_TWO), 0xff7fffffu, OF | NX);
	R(47, D2RM("fmul.d", "rtz", D_MAX, D_TWO), D_MAX, OF | NX);
	R(48, D2RM("fmul.d", "rmm", D_MAX, D_TWO), D_INF, OF | NX);
	/* exact zero sign: x - x is -0 only in RDN */
	R(50, S2RM("fsub.s", "rne", S_ONE, S_ONE), 0, 0);
	R(51, S2RM("fsub.s", "rdn", S_ONE, S_ONE), 0x80000000u, 0);
	R(52, S2RM("fsub.s", "rmm", S_ONE, S_ONE), 0, 0);
	R(53, D2RM("fsub.d", "rdn", D_ONE, D_ONE), 0x8000000000000000ull, 0);
	/* dynamic rounding from frm */
	for (int m = 0; m < 5; m++) {
		static const uint32_t want[5] = { 0x3eaaaaabu, 0x3eaaaaaau, 0x3eaaaaaau,
						  0x3eaaaaabu, 0x3eaaaaabu };
		static const uint32_t tie[5] = { S_ONE, S_ONE, S_ONE, 0x3f800001u, 0x3f800001u };
		csr_write(frm, m);
		R(60 + m, S2RM("fdiv.s", "dyn", S_ONE, S_THREE), want[m], NX);
		R(70 + m, S2RM("fadd.s", "dyn", S_ONE, TIE_S), tie[m], NX);
		static const uint64_t cvt[5] = { 2, 2, 2, 3, 3 };
		R(80 + m, CVT_XS("fcvt.w.s", "dyn", 0x40200000u) /* 2.5 */, cvt[m], NX);
	}
	csr_write(frm, 0);
	pass();
}
