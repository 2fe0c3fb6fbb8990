/* fp.h - inline-asm helpers for the FP tests: run one instruction on bit
   patterns and read/clear fflags. */
#include "rvtest-c.h"

static inline unsigned take_flags(void)
{
	unsigned long f;
	__asm__ volatile("csrrw %0, fflags, zero" : "=r"(f) :: "memory");
	return (unsigned)f;
}

/* single: operands are 32-bit patterns, boxed by fmv.w.x */
#define S2(insn, a, b) ({ uint64_t __r; __asm__ volatile( \
	"fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n " insn " ft2, ft0, ft1\n fmv.x.w %0, ft2" \
	: "=r"(__r) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) : "ft0", "ft1", "ft2", "memory"); (uint32_t)__r; })
#define S2RM(insn, rm, a, b) ({ uint64_t __r; __asm__ volatile( \
	"fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n " insn " ft2, ft0, ft1, " rm "\n fmv.x.w %0, ft2" \
	: "=r"(__r) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) : "ft0", "ft1", "ft2", "memory"); (uint32_t)__r; })
#define S1RM(insn, rm, a) ({ uint64_t __r; __asm__ volatile( \
	"fmv.w.x ft0, %1\n " insn " ft2, ft0, " rm "\n fmv.x.w %0, ft2" \
	: "=r"(__r) : "r"((uint64_t)(a)) : "ft0", "ft2", "memory"); (uint32_t)__r; })
#define S3RM(insn, rm, a, b, c) ({ uint64_t __r; __asm__ volatile( \
	"fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n fmv.w.x ft3, %3\n " insn " ft2, ft0, ft1, ft3, " rm "\n fmv.x.w %0, ft2" \
	: "=r"(__r) : "r"((uint64_t)(a)), "r"((uint64_t)(b)), "r"((uint64_t)(c)) : "ft0", "ft1", "ft2", "ft3", "memory"); (uint32_t)__r; })
/* double */
#define D2RM(insn, rm, a, b) ({ uint64_t __r; __asm__ volatile( \
	"fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn " ft2, ft0, ft1, " rm "\n fmv.x.d %0, ft2" \
	: "=r"(__r) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) : "ft0", "ft1", "ft2", "memory"); __r; })
#define D2(insn, a, b) ({ uint64_t __r; __asm__ volatile( \
	"fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn " ft2, ft0, ft1\n fmv.x.d %0, ft2" \
	: "=r"(__r) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) : "ft0", "ft1", "ft2", "memory"); __r; })
#define D1RM(insn, rm, a) ({ uint64_t __r; __asm__ volatile( \
	"fmv.d.x ft0, %1\n " insn " ft2, ft0, " rm "\n fmv.x.d %0, ft2" \
	: "=r"(__r) : "r"((uint64_t)(a)) : "ft0", "ft2", "memory"); __r; })
#define D3RM(insn, rm, a, b, c) ({ uint64_t __r; __asm__ volatile( \
	"fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n fmv.d.x ft3, %3\n " insn " ft2, ft0, ft1, ft3, " rm "\n fmv.x.d %0, ft2" \
	: "=r"(__r) : "r"((uint64_t)(a)), "r"((uint64_t)(b)), "r"((uint64_t)(c)) : "ft0", "ft1", "ft2", "ft3", "memory"); __r; })
/* float -> int (result in an x register): ft0 from single/double bits */
#define CVT_XS(insn, rm, a) ({ uint64_t __r; __asm__ volatile( \
	"fmv.w.x ft0, %1\n " insn " %0, ft0, " rm : "=r"(__r) : "r"((uint64_t)(a)) : "ft0", "memory"); __r; })
#define CVT_XD(insn, rm, a) ({ uint64_t __r; __asm__ volatile( \
	"fmv.d.x ft0, %1\n " insn " %0, ft0, " rm : "=r"(__r) : "r"((uint64_t)(a)) : "ft0", "memory"); __r; })
/* int -> float */
#define CVT_SX(insn, rm, a) ({ uint64_t __r; __asm__ volatile( \
	insn " ft2, %1, " rm "\n fmv.x.w %0, ft2" : "=r"(__r) : "r"((uint64_t)(a)) : "ft2", "memory"); (uint32_t)__r; })
#define CVT_DX(insn, rm, a) ({ uint64_t __r; __asm__ volatile( \
	insn " ft2, %1, " rm "\n fmv.x.d %0, ft2" : "=r"(__r) : "r"((uint64_t)(a)) : "ft2", "memory"); __r; })
/* compare / classify: x result */
#define CMP_S(insn, a, b) ({ uint64_t __r; __asm__ volatile( \
	"fmv.w.x ft0, %1\n fmv.w.x ft1, %2\n " insn " %0, ft0, ft1" \
	: "=r"(__r) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) : "ft0", "ft1", "memory"); __r; })
#define CMP_D(insn, a, b) ({ uint64_t __r; __asm__ volatile( \
	"fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn " %0, ft0, ft1" \
	: "=r"(__r) : "r"((uint64_t)(a)), "r"((uint64_t)(b)) : "ft0", "ft1", "memory"); __r; })

/* result and flags together */
#define R(n, expr, val, fl) do { take_flags(); uint64_t __v = (expr); unsigned __f = take_flags(); \
	T(n, __v == (uint64_t)(val) && __f == (fl)); } while (0)

enum { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 };
#define S_ONE 0x3f800000u
#define S_TWO 0x40000000u
#define S_THREE 0x40400000u
#define S_INF 0x7f800000u
#define S_NINF 0xff800000u
#define S_QNAN 0x7fc00000u
#define S_SNAN 0x7f800001u
#define S_MAX 0x7f7fffffu
#define D_ONE 0x3ff0000000000000ull
#define D_TWO 0x4000000000000000ull
#define D_THREE 0x4008000000000000ull
#define D_INF 0x7ff0000000000000ull
#define D_QNAN 0x7ff8000000000000ull
#define D_SNAN 0x7ff0000000000001ull
#define D_MAX 0x7fefffffffffffffull

static inline void fp_enable(void) { csr_set(mstatus, 1ull << 13); }
