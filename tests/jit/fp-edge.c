/*
 * F/D edge cases with known answers, under the interpreter and the JIT
 * (whose native FP paths must leave them to the exact slow path): NaN
 * boxing of singles, canonical NaN results, fflags accumulation (including
 * underflow detected after rounding at the smallest normal), static and
 * dynamic rounding modes (reserved frm traps), conversions to integers
 * with saturation, mstatus.FS (Off traps, Clean stays clean when
 * nothing is written or raised, Dirty otherwise; fld/fsd too), and the
 * JIT's once-per-block frm/NX guards, fclass of every class.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define PROG 0x1000u

enum { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 };
enum { RNE, RTZ, RDN, RUP, RMM, DYN = 7 };
#define D_NAN 0x7ff8000000000000ull
#define S_NAN 0xffffffff7fc00000ull
#define ONE 0x3ff0000000000000ull

#define FADD(fmt, rd, a, b, rm) r4(0, fmt, rd, rm, a, b)
#define FSUB(fmt, rd, a, b, rm) r4(1, fmt, rd, rm, a, b)
#define FMUL(fmt, rd, a, b, rm) r4(2, fmt, rd, rm, a, b)
#define FDIV(fmt, rd, a, b, rm) r4(3, fmt, rd, rm, a, b)
#define FSQRT(fmt, rd, a) r4(0x0b, fmt, rd, DYN, a, 0)
#define FSGNJ(fmt, rd, a, b) r4(4, fmt, rd, 0, a, b)
#define FMIN(fmt, rd, a, b) r4(5, fmt, rd, 0, a, b)
#define FCVT_D_S(rd, a) r4(8, 1, rd, DYN, a, 0)
#define FEQ(fmt, rd, a, b) r4(0x14, fmt, rd, 2, a, b)
#define FLT(fmt, rd, a, b) r4(0x14, fmt, rd, 1, a, b)
#define FCVT_INT(fmt, rd, a, type, rm) r4(0x18, fmt, rd, rm, a, type)
#define FMV_X(fmt, rd, a) r4(0x1c, fmt, rd, 0, a, 0)
#define FMADD(fmt, rd, a, b, c) (0x43 | (rd) << 7 | DYN << 12 | (a) << 15 | (b) << 20 | \
				 (fmt) << 25 | (uint32_t)(c) << 27)
#define FRFLAGS(rd) (0x73 | (rd) << 7 | 2 << 12 | 0x001u << 20)
#define FSFLAGSI(v) (0x73 | 5 << 12 | (v) << 15 | 0x001u << 20)
#define FSRMI(v) (0x73 | 5 << 12 | (v) << 15 | 0x002u << 20)
#define FLD(rd, rs1, imm) (0x07 | (rd) << 7 | 3 << 12 | (rs1) << 15 | (uint32_t)(imm) << 20)
#define FSD(rs2, rs1, imm) (0x27 | ((imm) & 31) << 7 | 3 << 12 | (rs1) << 15 | (rs2) << 20 | \
			    (uint32_t)((imm) >> 5) << 25)
#define LD(rd, rs1, imm) (0x03 | (rd) << 7 | 3 << 12 | (rs1) << 15 | (uint32_t)(imm) << 20)
#define DATA 0x3000u

struct setup { uint64_t f[32], x[32]; uint32_t fflags; uint64_t fs; };

/* Run code on a fresh hart (M-mode; traps skip the instruction). */
static struct hart *run(bool jit, const uint32_t *code, unsigned n, const struct setup *s,
			uint8_t *ram)
{
	static const uint32_t handler[] = { 0x34102ff3, 0x004f8f93, 0x341f9073, 0x30200073 };
	memset(ram, 0, RAM);
	memcpy(ram, handler, sizeof(handler));
	memcpy(ram + PROG, code, 4 * n);
	memcpy(ram + PROG + 4 * n, &(uint32_t){ WFI }, 4);
	struct hart *h = thart_new(ram, BASE, RAM, BASE + PROG, jit);
	memcpy(h->f, s->f, sizeof(h->f));
	memcpy(h->x, s->x, sizeof(h->x));
	h->fflags = s->fflags;
	h->mstatus = (h->mstatus & ~MS_FS) | s->fs;
	h->mtvec = BASE;
	for (int i = 0; i < 100 && cpu_run(h, 1000) != CPU_EXIT_WFI; i++)
		;
	return h;
}

#define EXPECT(what, got, want)                                                              \
	do {                                                                                 \
		if ((uint64_t)(got) != (uint64_t)(want)) {                                   \
			fprintf(stderr, "%s (%s): %s = %#llx, want %#llx\n", name,           \
				jit ? "jit" : "interp", what, (unsigned long long)(got),     \
				(unsigned long long)(want));                                 \
			t_failures++;                                                        \
		}                                                                            \
	} while (0)

static uint8_t *ram;

static void nan_boxing(bool jit)
{
	const char *name = "NaN boxing";
	struct setup s = { .fflags = NX, .fs = MS_FS };
	s.f[1] = 0x000000003f800000ull; /* 1.0f without its box */
	s.f[2] = BOX(0x3f800000u);
	const uint32_t code[] = {
		FADD(0, 3, 1, 2, DYN), FADD(0, 4, 2, 2, DYN), FSGNJ(0, 5, 1, 1),
		FMV_X(0, 10, 1), FCVT_D_S(6, 1), FEQ(0, 11, 1, 2), FEQ(0, 12, 2, 2),
		FMIN(0, 7, 1, 2), FSQRT(0, 8, 1),
	};
	struct hart *h = run(jit, code, sizeof(code) / 4, &s, ram);
	EXPECT("f3", h->f[3], S_NAN);
	EXPECT("f4", h->f[4], BOX(0x40000000u));
	EXPECT("f5", h->f[5], S_NAN);
	EXPECT("x10", h->x[10], 0x3f800000u); /* fmv.x.w takes the low bits as they are */
	EXPECT("f6", h->f[6], D_NAN);
	EXPECT("x11", h->x[11], 0);
	EXPECT("x12", h->x[12], 1);
	EXPECT("f7", h->f[7], BOX(0x3f800000u)); /* the NaN operand is ignored */
	EXPECT("f8", h->f[8], S_NAN);
	EXPECT("fflags", h->fflags, NX); /* quiet NaNs raise nothing */
	cpu_hart_free(h);
}

static void canonical_nan(bool jit)
{
	const char *name = "canonical NaN";
	struct setup s = { .fflags = NX, .fs = MS_FS };
	s.f[1] = 0x7ff0000000000000ull;
	s.f[2] = 0xfff0000000000000ull;
	s.f[3] = 0xfff4000000000123ull; /* sNaN with a payload */
	s.f[4] = 0xfff8000000000456ull; /* qNaN with a payload */
	s.f[5] = ONE;
	s.f[6] = 0;
	const uint32_t code[] = {
		FADD(1, 10, 1, 2, DYN), FRFLAGS(10), FSFLAGSI(NX),
		FSUB(1, 11, 4, 5, DYN), FRFLAGS(11),
		FMUL(1, 12, 3, 5, RNE), FRFLAGS(12), FSFLAGSI(NX),
		FSQRT(1, 13, 2), FSFLAGSI(NX),
		FMADD(1, 14, 1, 6, 4), FRFLAGS(13), FSFLAGSI(NX),
		FMIN(1, 15, 4, 5), FRFLAGS(14), FMIN(1, 16, 3, 5), FRFLAGS(15),
	};
	struct hart *h = run(jit, code, sizeof(code) / 4, &s, ram);
	EXPECT("inf-inf", h->f[10], D_NAN);
	EXPECT("flags inf-inf", h->x[10], NX | NV);
	EXPECT("qNaN-1", h->f[11], D_NAN);
	EXPECT("flags qNaN-1", h->x[11], NX);
	EXPECT("sNaN*1", h->f[12], D_NAN);
	EXPECT("flags sNaN*1", h->x[12], NX | NV);
	EXPECT("sqrt(-inf)", h->f[13], D_NAN);
	EXPECT("inf*0+qNaN", h->f[14], D_NAN);
	EXPECT("flags inf*0+qNaN", h->x[13], NX | NV);
	EXPECT("min(qNaN,1)", h->f[15], ONE);
	EXPECT("flags min(qNaN,1)", h->x[14], NX);
	EXPECT("min(sNaN,1)", h->f[16], ONE);
	EXPECT("flags min(sNaN,1)", h->x[15], NX | NV);
	cpu_hart_free(h);
}

static void flag_accumulation(bool jit)
{
	const char *name = "fflags";
	struct setup s = { .fflags = 0, .fs = MS_FS };
	s.f[1] = ONE;
	s.f[2] = 0x4008000000000000ull;    /* 3 */
	s.f[3] = 0x7fe0000000000000ull;    /* 2^1023 */
	s.f[4] = 0x0010000000000000ull;    /* 2^-1022 */
	s.f[5] = 0x3fefffffffffffffull;    /* 1 - 2^-53 */
	s.f[6] = 0;
	s.f[7] = 0x3ff8000000000000ull;    /* 1.5 */
	const uint32_t code[] = {
		FADD(1, 10, 1, 1, DYN), FRFLAGS(10),  /* exact: nothing */
		FDIV(1, 11, 1, 2, DYN), FRFLAGS(11),  /* 1/3: NX */
		FMUL(1, 12, 3, 3, DYN), FRFLAGS(12),  /* overflow: OF NX */
		FSFLAGSI(0), FSUB(1, 13, 2, 1, DYN), FRFLAGS(13),
		/* 2^-1022 * (1 - 2^-53) rounds up to the smallest normal, but is
		 * tiny after rounding with an unbounded exponent: UF NX */
		FMUL(1, 14, 4, 5, DYN), FRFLAGS(14),
		FDIV(1, 15, 1, 6, DYN), FRFLAGS(15),  /* 1/0: DZ, accumulated */
		FSFLAGSI(NX), FMUL(1, 16, 7, 7, DYN), FRFLAGS(16), /* 2.25 exact */
		FCVT_INT(1, 17, 7, 0, RTZ), FRFLAGS(18),          /* 1.5 -> 1, NX */
	};
	struct hart *h = run(jit, code, sizeof(code) / 4, &s, ram);
	EXPECT("1+1", h->f[10], 0x4000000000000000ull);
	EXPECT("after 1+1", h->x[10], 0);
	EXPECT("after 1/3", h->x[11], NX);
	EXPECT("overflow", h->f[12], 0x7ff0000000000000ull);
	EXPECT("after overflow", h->x[12], NX | OF);
	EXPECT("after clear", h->x[13], 0);
	EXPECT("min normal", h->f[14], 0x0010000000000000ull);
	EXPECT("after underflow", h->x[14], NX | UF);
	EXPECT("1/0", h->f[15], 0x7ff0000000000000ull);
	EXPECT("after 1/0", h->x[15], NX | UF | DZ);
	EXPECT("1.5*1.5", h->f[16], 0x4002000000000000ull);
	EXPECT("after exact", h->x[16], NX);
	EXPECT("fcvt 1.5", h->x[17], 1);
	EXPECT("after fcvt", h->x[18], NX);
	cpu_hart_free(h);
}

static void rounding(bool jit)
{
	const char *name = "rounding modes";
	struct setup s = { .fflags = NX, .fs = MS_FS };
	s.f[1] = ONE;
	s.f[2] = 0x3c30000000000000ull; /* 2^-60 */
	s.f[3] = 0x3ca0000000000000ull; /* 2^-53: 1 + it is a tie */
	s.f[4] = 0x4004000000000000ull; /* 2.5 */
	s.f[5] = 0xc004000000000000ull; /* -2.5 */
	s.f[6] = 0x41e65a0bc0000000ull; /* 3e9 */
	const uint32_t code[] = {
		FADD(1, 10, 1, 2, RUP), FADD(1, 11, 1, 2, RDN), FADD(1, 12, 1, 2, RNE),
		FADD(1, 13, 1, 3, RMM), FADD(1, 14, 1, 3, RNE), FSUB(1, 15, 2, 1, RDN),
		FSRMI(RUP), FADD(1, 16, 1, 2, DYN), FSRMI(RNE), FADD(1, 17, 1, 2, DYN),
		FSRMI(5), FADD(1, 18, 1, 2, DYN), /* reserved frm: illegal, skipped */
		FSRMI(RNE),
		FCVT_INT(1, 10, 4, 0, RTZ), FCVT_INT(1, 11, 4, 0, DYN), FCVT_INT(1, 12, 5, 0, RDN),
		FCVT_INT(1, 13, 4, 0, RUP), FCVT_INT(1, 14, 4, 0, RMM), FCVT_INT(1, 15, 6, 0, RTZ),
		FCVT_INT(1, 16, 5, 1, RTZ), FCVT_INT(1, 17, 6, 1, RNE), FCVT_INT(1, 18, 5, 2, RNE),
	};
	struct hart *h = run(jit, code, sizeof(code) / 4, &s, ram);
	EXPECT("1+2^-60 RUP", h->f[10], ONE + 1);
	EXPECT("1+2^-60 RDN", h->f[11], ONE);
	EXPECT("1+2^-60 RNE", h->f[12], ONE);
	EXPECT("1+2^-53 RMM", h->f[13], ONE + 1);
	EXPECT("1+2^-53 RNE", h->f[14], ONE);
	EXPECT("2^-60-1 RDN", h->f[15], 0xbff0000000000000ull);
	EXPECT("dyn RUP", h->f[16], ONE + 1);
	EXPECT("dyn RNE", h->f[17], ONE);
	EXPECT("dyn reserved", h->f[18], 0);
	EXPECT("mcause", h->mcause, EXC_ILLEGAL);
	EXPECT("2.5 RTZ", h->x[10], 2);
	EXPECT("2.5 RNE", h->x[11], 2);
	EXPECT("-2.5 RDN", h->x[12], (uint64_t)-3);
	EXPECT("2.5 RUP", h->x[13], 3);
	EXPECT("2.5 RMM", h->x[14], 3);
	EXPECT("3e9 w", h->x[15], 0x7fffffff);
	EXPECT("-2.5 wu", h->x[16], 0);
	EXPECT("3e9 wu", h->x[17], 0xffffffffb2d05e00ull);
	EXPECT("-2.5 l RNE", h->x[18], (uint64_t)-2);
	EXPECT("fflags", h->fflags, NX | NV);
	cpu_hart_free(h);
}

static void fs_state(bool jit)
{
	const char *name = "mstatus.FS";
	struct setup s = { .fflags = NX, .fs = 2ull << 13 /* Clean */ };
	s.f[1] = ONE;
	s.f[2] = D_NAN;
	const uint32_t clean[] = { FEQ(1, 10, 1, 1), FMV_X(1, 11, 1), FCVT_INT(1, 12, 1, 0, RTZ) };
	struct hart *h = run(jit, clean, 3, &s, ram);
	EXPECT("FS after reads", h->mstatus & MS_FS, 2ull << 13);
	EXPECT("feq", h->x[10], 1);
	EXPECT("fmv.x.d", h->x[11], ONE);
	EXPECT("fcvt", h->x[12], 1);
	cpu_hart_free(h);
	const uint32_t nv[] = { FLT(1, 10, 1, 2) }; /* NaN: NV makes FS dirty */
	h = run(jit, nv, 1, &s, ram);
	EXPECT("FS after flt NaN", h->mstatus & MS_FS, MS_FS);
	EXPECT("fflags after flt NaN", h->fflags, NX | NV);
	cpu_hart_free(h);
	const uint32_t write[] = { FADD(1, 3, 1, 1, DYN) };
	h = run(jit, write, 1, &s, ram);
	EXPECT("FS after fadd", h->mstatus & MS_FS, MS_FS);
	cpu_hart_free(h);
	s.fs = 0; /* Off: every F/D instruction is illegal */
	const uint32_t off[] = { FMV_X(1, 10, 1), FADD(1, 3, 1, 1, DYN) };
	h = run(jit, off, 2, &s, ram);
	EXPECT("mcause (Off)", h->mcause, EXC_ILLEGAL);
	EXPECT("mtval (Off)", h->mtval, off[1]);
	EXPECT("x10 (Off)", h->x[10], 0);
	EXPECT("f3 (Off)", h->f[3], 0);
	cpu_hart_free(h);
}

/* fld/fsd share the block's FS knowledge with the ops: a first fld with
 * FS Clean (or Initial) takes its slow path, which marks FS dirty, and the
 * rest of the block runs fast; fsd alone keeps FS clean. */
static void fs_loads(bool jit)
{
	const char *name = "FS with fld/fsd";
	struct setup s = { .fflags = NX, .fs = 2ull << 13 /* Clean */ };
	s.f[1] = ONE;
	s.x[5] = BASE + DATA;
	const uint32_t st[] = { FSD(1, 5, 0) };
	struct hart *h = run(jit, st, 1, &s, ram);
	EXPECT("FS after fsd", h->mstatus & MS_FS, 2ull << 13);
	EXPECT("stored", *(uint64_t *)(ram + DATA), ONE);
	cpu_hart_free(h);
	/* the integer load fills the TLB: the fld after it may take its fast path */
	const uint32_t mix[] = { LD(6, 5, 0), FSD(1, 5, 0), FLD(4, 5, 0), FADD(1, 5, 4, 1, DYN), FSD(5, 5, 8),
				 FLD(6, 5, 8), FMUL(1, 7, 6, 6, DYN), FSD(7, 5, 16) };
	for (uint64_t fs = 1; fs <= 3; fs++) { /* Initial, Clean, Dirty */
		s.fs = fs << 13;
		h = run(jit, mix, 8, &s, ram);
		EXPECT("FS after fld", h->mstatus & MS_FS, MS_FS);
		EXPECT("f4", h->f[4], ONE);
		EXPECT("f5", h->f[5], 0x4000000000000000ull);
		EXPECT("f6", h->f[6], 0x4000000000000000ull);
		EXPECT("f7", h->f[7], 0x4010000000000000ull);
		EXPECT("mem", *(uint64_t *)(ram + DATA + 16), 0x4010000000000000ull);
		cpu_hart_free(h);
	}
	s.fs = 0;
	const uint32_t off[] = { FLD(4, 5, 0) };
	h = run(jit, off, 1, &s, ram);
	EXPECT("mcause (fld, Off)", h->mcause, EXC_ILLEGAL);
	EXPECT("f4 (fld, Off)", h->f[4], 0);
	cpu_hart_free(h);
}

/* frm and NX are checked once per block: an op whose check fails runs in
 * the handler and the block is left, so the ops after it in the block are
 * checked again (RUP here must not round like RNE; NX clear at first). */
static void block_guards(bool jit)
{
	const char *name = "block-wide frm/NX guards";
	struct setup s = { .fflags = 0, .fs = MS_FS };
	s.f[1] = ONE;
	s.f[2] = 0x3c30000000000000ull; /* 2^-60: 1 + 2^-60 is inexact */
	const uint32_t code[] = { FSRMI(RUP), FADD(1, 3, 1, 2, DYN), FADD(1, 4, 1, 2, DYN),
				  FMUL(1, 5, 3, 3, DYN), FSRMI(RNE), FSFLAGSI(0),
				  FADD(1, 6, 1, 2, DYN), FADD(1, 7, 1, 2, DYN), FRFLAGS(10) };
	struct hart *h = run(jit, code, sizeof(code) / 4, &s, ram);
	EXPECT("f3 RUP", h->f[3], 0x3ff0000000000001ull);
	EXPECT("f4 RUP", h->f[4], 0x3ff0000000000001ull);
	EXPECT("f5 RUP", h->f[5], 0x3ff0000000000003ull);
	EXPECT("f6 RNE", h->f[6], ONE);
	EXPECT("f7 RNE", h->f[7], ONE);
	EXPECT("NX", h->x[10], NX);
	cpu_hart_free(h);
}

/* fclass of every class, doubles and singles (boxed or not), with the
 * register in a host register (a block of native ops) and in memory (a
 * block that calls a helper first); it raises nothing and writes no f
 * register, so FS stays Clean. */
static void fclass_all(bool jit)
{
	const char *name = "fclass";
	static const struct { uint64_t v; unsigned dbl, bit; } t[] = {
		{ 0xfff0000000000000ull, 1, 0 }, { 0xbff0000000000000ull, 1, 1 },
		{ 0x800fffffffffffffull, 1, 2 }, { 1ull << 63, 1, 3 }, { 0, 1, 4 },
		{ 1, 1, 5 }, { 0x0010000000000000ull, 1, 6 }, { 0x7fefffffffffffffull, 1, 6 },
		{ 0x7ff0000000000000ull, 1, 7 }, { 0x7ff0000000000001ull, 1, 8 },
		{ 0xfff4000000000000ull, 1, 8 }, { 0x7ff8000000000000ull, 1, 9 },
		{ 0xfff8000000000123ull, 1, 9 }, { 0x800fffffffffffffull, 1, 2 },
		{ BOX(0xff800000u), 0, 0 }, { BOX(0xbf800000u), 0, 1 }, { BOX(0x807fffffu), 0, 2 },
		{ BOX(0x80000000u), 0, 3 }, { BOX(0), 0, 4 }, { BOX(1), 0, 5 },
		{ BOX(0x00800000u), 0, 6 }, { BOX(0x7f7fffffu), 0, 6 }, { BOX(0x7f800000u), 0, 7 },
		{ BOX(0x7f800001u), 0, 8 }, { BOX(0xffa00000u), 0, 8 }, { BOX(0x7fc00000u), 0, 9 },
		{ 0x3f800000u, 0, 9 }, { 0xffffffff, 0, 9 }, /* not boxed: canonical NaN */
		{ 0x7ff0000000000000ull, 0, 9 },
	};
	struct setup s = { .fflags = 0, .fs = 2ull << 13 /* Clean */ };
	for (unsigned k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		s.f[1] = t[k].v;
		uint32_t fclass = r4(0x1c, t[k].dbl, 10, 1, 1, 0);
		const uint32_t native[] = { fclass, FEQ(1, 11, 2, 2), r4(0x1c, t[k].dbl, 0, 1, 1, 0) };
		const uint32_t helper[] = { FCVT_INT(1, 11, 2, 0, RMM), fclass };
		for (int mem = 0; mem < 2; mem++) {
			struct hart *h = mem ? run(jit, helper, 2, &s, ram)
					     : run(jit, native, 3, &s, ram);
			if (h->x[10] != 1u << t[k].bit)
				fprintf(stderr, "value %#llx (%s, %s):\n",
					(unsigned long long)t[k].v, t[k].dbl ? "d" : "s",
					mem ? "memory" : "register");
			EXPECT("class", h->x[10], 1u << t[k].bit);
			EXPECT("fflags", h->fflags, 0);
			EXPECT("FS", h->mstatus & MS_FS, 2ull << 13);
			cpu_hart_free(h);
		}
	}
	s.fs = 0; /* Off: illegal, rd untouched */
	s.x[10] = 77;
	const uint32_t off[] = { r4(0x1c, 1, 10, 1, 1, 0) };
	struct hart *h = run(jit, off, 1, &s, ram);
	EXPECT("mcause (fclass, Off)", h->mcause, EXC_ILLEGAL);
	EXPECT("x10 (fclass, Off)", h->x[10], 77);
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(30);
	setenv("RINGVM_JIT_EAGER", "1", 1); /* translate every block on its first visit */
	ram = malloc(RAM);
	REQUIRE(ram);
	for (int jit = 0; jit < 2; jit++) {
		nan_boxing(jit);
		canonical_nan(jit);
		flag_accumulation(jit);
		rounding(jit);
		fs_state(jit);
		fs_loads(jit);
		block_guards(jit);
		fclass_all(jit);
	}
	free(ram);
	return t_finish();
}
