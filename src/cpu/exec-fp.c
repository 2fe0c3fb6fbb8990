/*
 * exec-fp.c - the F and D extensions, bit-exact to the RISC-V spec.
 *
 * Arithmetic runs on the host FPU (x86-64 SSE: IEEE operations, tininess
 * detected after rounding, like RISC-V) with the rounding mode and flags
 * taken from MXCSR; NaN results are replaced by the canonical NaN. RMM
 * (ties to max magnitude) has no host mode: such ops are computed in
 * x87 long double rounded toward zero with a sticky bit (round-to-odd, 64
 * bits >= 53 + 2, so one correct rounding follows) and rounded in software.
 * Conversions to integers are done by hand (saturation and NV rules).
 *
 * Threading: vCPU thread. The host rounding mode is restored to nearest
 * after every op, so other code on the thread is not affected.
 */
#include "cpu/hart.h"

#include <fenv.h>
#include <math.h>

#define F_NAN 0x7fc00000u
#define D_NAN 0x7ff8000000000000ull
enum { FL_NX = 1, FL_UF = 2, FL_OF = 4, FL_DZ = 8, FL_NV = 16 };
enum { RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4 };
enum { F_ADD, F_SUB, F_MUL, F_DIV, F_SQRT, F_FMA, F_CVT };

#define BARRIER(x) __asm__ volatile("" : "+m"(x))

static inline float bf(uint32_t v) { float f; memcpy(&f, &v, 4); return f; }
static inline double bd(uint64_t v) { double f; memcpy(&f, &v, 8); return f; }
static inline uint32_t fb(float f) { uint32_t v; memcpy(&v, &f, 4); return v; }
static inline uint64_t db(double f) { uint64_t v; memcpy(&v, &f, 8); return v; }

static inline uint32_t unbox(const struct hart *h, unsigned r)
{
	uint64_t v = h->f[r];
	return (v >> 32) == 0xffffffffu ? (uint32_t)v : F_NAN;
}

static inline void set_s(struct hart *h, unsigned r, uint32_t v)
{
	h->f[r] = 0xffffffff00000000ull | v;
	h->mstatus |= MS_FS;
}

static inline void set_d(struct hart *h, unsigned r, uint64_t v)
{
	h->f[r] = v;
	h->mstatus |= MS_FS;
}

static inline void add_flags(struct hart *h, unsigned fl)
{
	if (fl) {
		h->fflags |= fl;
		h->mstatus |= MS_FS;
	}
}

static inline bool fp_on(struct hart *h, const struct insn *d)
{
	if (unlikely(!(h->mstatus & MS_FS))) {
		hart_illegal(h, d);
		return false;
	}
	return true;
}

/* The effective rounding mode, or -1 after raising illegal instruction. */
static inline int fp_rm(struct hart *h, const struct insn *d)
{
	if (!fp_on(h, d))
		return -1;
	unsigned rm = d->rm == 7 ? h->frm : d->rm;
	if (rm > RMM) {
		hart_illegal(h, d);
		return -1;
	}
	return (int)rm;
}

static unsigned fenv_flags(int ex)
{
	return (ex & FE_INVALID ? FL_NV : 0) | (ex & FE_DIVBYZERO ? FL_DZ : 0) |
	       (ex & FE_OVERFLOW ? FL_OF : 0) | (ex & FE_UNDERFLOW ? FL_UF : 0) |
	       (ex & FE_INEXACT ? FL_NX : 0);
}

static const int fenv_rm[4] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD };

#if defined(__x86_64__)
/* MXCSR: flags in bits 0..5, rounding control in bits 13..14. */
static const unsigned mx_rc[4] = { 0, 3, 1, 2 };

static inline unsigned fx_begin(int rm)
{
	unsigned m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	unsigned n = (m & ~0x603fu) | mx_rc[rm] << 13;
	__asm__ volatile("ldmxcsr %0" : : "m"(n));
	return m;
}

static inline unsigned fx_end(unsigned saved)
{
	unsigned m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	unsigned n = saved & ~0x603fu;
	__asm__ volatile("ldmxcsr %0" : : "m"(n));
	return (m & 1 ? FL_NV : 0) | (m & 4 ? FL_DZ : 0) | (m & 8 ? FL_OF : 0) |
	       (m & 16 ? FL_UF : 0) | (m & 32 ? FL_NX : 0);
}
#else
static inline unsigned fx_begin(int rm)
{
	fesetround(fenv_rm[rm]);
	feclearexcept(FE_ALL_EXCEPT);
	return 0;
}

static inline unsigned fx_end(unsigned saved)
{
	int ex = fetestexcept(FE_ALL_EXCEPT);
	fesetround(FE_TONEAREST);
	return fenv_flags(ex);
}
#endif

/*
 * Round a finite nonzero long double (inexact_in: it was rounded toward
 * zero from the true value) to binary32 (dbl = false) or binary64 with
 * rounding mode rm. Tininess is detected after rounding.
 */
static uint64_t soft_round(long double x, bool inexact_in, int rm, bool dbl,
			   unsigned *fl)
{
	int p = dbl ? 53 : 24, emin = dbl ? -1022 : -126, emax = dbl ? 1023 : 127;
	bool neg = signbit(x);
	int e;
	long double m = frexpl(fabsl(x), &e);
	uint64_t M = (uint64_t)ldexpl(m, 64) | (inexact_in ? 1 : 0);
	int E = e - 1; /* x = 1.f * 2^E */
	int prec = E < emin ? p - (emin - E) : p;
	int shift = 64 - prec;
	uint64_t q, rem, half;
	if (shift >= 64) {
		q = 0;
		rem = shift == 64 ? M : 1; /* any nonzero below half */
		half = shift == 64 ? 1ull << 63 : 2;
	} else {
		q = M >> shift;
		rem = M & ((1ull << shift) - 1);
		half = 1ull << (shift - 1);
	}
	bool inexact = rem != 0;
	bool up;
	switch (rm) {
	case RNE: up = rem > half || (rem == half && (q & 1)); break;
	case RTZ: up = false; break;
	case RDN: up = inexact && neg; break;
	case RUP: up = inexact && !neg; break;
	default: up = rem >= half; break;
	}
	/* tininess after rounding: round at full precision p, unbounded range */
	if (E < emin && inexact) {
		uint64_t qp = M >> (64 - p), rp = M & ((1ull << (64 - p)) - 1);
		uint64_t hp = 1ull << (63 - p);
		bool upp = rm == RNE ? (rp > hp || (rp == hp && (qp & 1))) :
			   rm == RMM ? rp >= hp : up;
		bool tiny = !(E == emin - 1 && upp && qp + 1 == (1ull << p));
		if (tiny)
			*fl |= FL_UF;
	}
	if (inexact)
		*fl |= FL_NX;
	q += up;
	uint64_t sign = (uint64_t)neg << (dbl ? 63 : 31);
	if (E < emin)
		return sign | q; /* subnormal; a carry into 2^(p-1) makes min normal */
	if (q >> p) {
		q >>= 1;
		E++;
	}
	if (E > emax) {
		*fl |= FL_OF | FL_NX;
		bool inf = rm == RNE || rm == RMM || (rm == RUP && !neg) || (rm == RDN && neg);
		uint64_t big = dbl ? (inf ? 0x7ff0000000000000ull : 0x7fefffffffffffffull)
				   : (inf ? 0x7f800000u : 0x7f7fffffu);
		return sign | big;
	}
	uint64_t frac = q & ((1ull << (p - 1)) - 1);
	return sign | ((uint64_t)(E + (dbl ? 1023 : 127)) << (p - 1)) | frac;
}

/* Final rounding of a long double result (NaN, inf and zero included). */
static uint64_t ld_result(long double r, bool inexact, int rm, bool dbl, unsigned *fl)
{
	if (isnan(r))
		return dbl ? D_NAN : F_NAN;
	uint64_t sign = (uint64_t)(signbit(r) ? 1 : 0) << (dbl ? 63 : 31);
	if (isinf(r))
		return sign | (dbl ? 0x7ff0000000000000ull : 0x7f800000u);
	if (r == 0)
		return sign;
	return soft_round(r, inexact, rm, dbl, fl);
}

/* Any op in rounding mode RMM (see the file comment). */
static uint64_t rmm_op(int op, long double a, long double b, long double c,
		       bool dbl, unsigned *fl)
{
	fesetround(FE_TOWARDZERO);
	feclearexcept(FE_ALL_EXCEPT);
	BARRIER(a);
	BARRIER(b);
	BARRIER(c);
	long double r;
	switch (op) {
	case F_ADD: r = a + b; break;
	case F_SUB: r = a - b; break;
	case F_MUL: r = a * b; break;
	case F_DIV: r = a / b; break;
	case F_SQRT: r = sqrtl(a); break;
	case F_FMA: r = fmal(a, b, c); break;
	default: r = a; break;
	}
	BARRIER(r);
	int ex = fetestexcept(FE_ALL_EXCEPT);
	fesetround(FE_TONEAREST);
	*fl |= fenv_flags(ex) & (FL_NV | FL_DZ);
	return ld_result(r, ex & FE_INEXACT, RMM, dbl, fl);
}

static bool is_snan_s(uint32_t v);
static bool is_snan_d(uint64_t v);

/*
 * Values converted to long double/double before the flags are cleared
 * lose an sNaN's invalid flag: callers of such paths add it back from the
 * raw encodings.
 */
static unsigned snan_nv(const struct hart *h, const struct insn *d, bool dbl, int n)
{
	unsigned r[3] = { d->rs1, d->rs2, d->rs3 };
	for (int i = 0; i < n; i++) {
		if (dbl ? is_snan_d(h->f[r[i]]) : is_snan_s(unbox(h, r[i])))
			return FL_NV;
	}
	return 0;
}

/* ---- arithmetic ---- */
static void arith_s(struct hart *h, const struct insn *d, int op)
{
	int rm = fp_rm(h, d);
	if (rm < 0)
		return;
	float a = bf(unbox(h, d->rs1)), b = bf(unbox(h, d->rs2)), r;
	unsigned fl = 0;
	uint32_t rb;
	if (rm == RMM) {
		rb = (uint32_t)rmm_op(op, a, b, 0, false, &fl);
		fl |= snan_nv(h, d, false, op == F_SQRT ? 1 : 2);
	} else {
		unsigned sv = fx_begin(rm);
		BARRIER(a);
		BARRIER(b);
		switch (op) {
		case F_ADD: r = a + b; break;
		case F_SUB: r = a - b; break;
		case F_MUL: r = a * b; break;
		case F_DIV: r = a / b; break;
		default: r = __builtin_sqrtf(a); break;
		}
		BARRIER(r);
		fl = fx_end(sv);
		rb = isnan(r) ? F_NAN : fb(r);
	}
	add_flags(h, fl);
	set_s(h, d->rd, rb);
}

static void arith_d(struct hart *h, const struct insn *d, int op)
{
	int rm = fp_rm(h, d);
	if (rm < 0)
		return;
	double a = bd(h->f[d->rs1]), b = bd(h->f[d->rs2]), r;
	unsigned fl = 0;
	uint64_t rb;
	if (rm == RMM) {
		rb = rmm_op(op, a, b, 0, true, &fl);
		fl |= snan_nv(h, d, true, op == F_SQRT ? 1 : 2);
	} else {
		unsigned sv = fx_begin(rm);
		BARRIER(a);
		BARRIER(b);
		switch (op) {
		case F_ADD: r = a + b; break;
		case F_SUB: r = a - b; break;
		case F_MUL: r = a * b; break;
		case F_DIV: r = a / b; break;
		default: r = __builtin_sqrt(a); break;
		}
		BARRIER(r);
		fl = fx_end(sv);
		rb = isnan(r) ? D_NAN : db(r);
	}
	add_flags(h, fl);
	set_d(h, d->rd, rb);
}

OP(fadd_s) { arith_s(h, d, F_ADD); return h->npc; }
OP(fsub_s) { arith_s(h, d, F_SUB); return h->npc; }
OP(fmul_s) { arith_s(h, d, F_MUL); return h->npc; }
OP(fdiv_s) { arith_s(h, d, F_DIV); return h->npc; }
OP(fsqrt_s) { arith_s(h, d, F_SQRT); return h->npc; }
OP(fadd_d) { arith_d(h, d, F_ADD); return h->npc; }
OP(fsub_d) { arith_d(h, d, F_SUB); return h->npc; }
OP(fmul_d) { arith_d(h, d, F_MUL); return h->npc; }
OP(fdiv_d) { arith_d(h, d, F_DIV); return h->npc; }
OP(fsqrt_d) { arith_d(h, d, F_SQRT); return h->npc; }

/*
 * Fused multiply-add, one rounding. neg_p negates the product, neg_c the
 * addend. inf*0 raises NV even when the addend is a quiet NaN (RISC-V
 * requires it; IEEE leaves it open).
 */
static void fma_common(struct hart *h, const struct insn *d, bool dbl, bool neg_p,
		       bool neg_c)
{
	int rm = fp_rm(h, d);
	if (rm < 0)
		return;
	double a, b, c;
	if (dbl) {
		a = bd(h->f[d->rs1]); b = bd(h->f[d->rs2]); c = bd(h->f[d->rs3]);
	} else {
		a = bf(unbox(h, d->rs1)); b = bf(unbox(h, d->rs2)); c = bf(unbox(h, d->rs3));
	}
	if (neg_p)
		a = -a;
	if (neg_c)
		c = -c;
	unsigned fl = 0;
	uint64_t rb;
	if ((isinf(a) && b == 0) || (a == 0 && isinf(b))) {
		fl = FL_NV;
		rb = dbl ? D_NAN : F_NAN;
	} else if (rm == RMM) {
		rb = rmm_op(F_FMA, a, b, c, dbl, &fl);
	} else if (dbl) {
		fesetround(fenv_rm[rm]);
		feclearexcept(FE_ALL_EXCEPT);
		BARRIER(a);
		double r = fma(a, b, c);
		BARRIER(r);
		fl = fenv_flags(fetestexcept(FE_ALL_EXCEPT));
		fesetround(FE_TONEAREST);
		rb = isnan(r) ? D_NAN : db(r);
	} else {
		float fa = (float)a, fbv = (float)b, fc = (float)c;
		fesetround(fenv_rm[rm]);
		feclearexcept(FE_ALL_EXCEPT);
		BARRIER(fa);
		float r = fmaf(fa, fbv, fc);
		BARRIER(r);
		fl = fenv_flags(fetestexcept(FE_ALL_EXCEPT));
		fesetround(FE_TONEAREST);
		rb = isnan(r) ? F_NAN : fb(r);
	}
	add_flags(h, fl | snan_nv(h, d, dbl, 3));
	if (dbl)
		set_d(h, d->rd, rb);
	else
		set_s(h, d->rd, (uint32_t)rb);
}

OP(fmadd_s) { fma_common(h, d, false, false, false); return h->npc; }
OP(fmsub_s) { fma_common(h, d, false, false, true); return h->npc; }
OP(fnmsub_s) { fma_common(h, d, false, true, false); return h->npc; }
OP(fnmadd_s) { fma_common(h, d, false, true, true); return h->npc; }
OP(fmadd_d) { fma_common(h, d, true, false, false); return h->npc; }
OP(fmsub_d) { fma_common(h, d, true, false, true); return h->npc; }
OP(fnmsub_d) { fma_common(h, d, true, true, false); return h->npc; }
OP(fnmadd_d) { fma_common(h, d, true, true, true); return h->npc; }

/* ---- sign injection, moves, loads/stores ---- */
#define SGNJ(name, W, get, set, mask, expr)                                  \
	OP(name)                                                             \
	{                                                                    \
		if (!fp_on(h, d))                                            \
			return h->npc;                                       \
		W a = get, b = get##2;                                       \
		set(h, d->rd, (a & ~mask) | ((expr) & mask));                \
		return NEXT;                                                 \
	}
#define GS unbox(h, d->rs1)
#define GS2 unbox(h, d->rs2)
#define GD h->f[d->rs1]
#define GD2 h->f[d->rs2]
#define SM 0x80000000u
#define DM 0x8000000000000000ull
SGNJ(fsgnj_s, uint32_t, GS, set_s, SM, b)
SGNJ(fsgnjn_s, uint32_t, GS, set_s, SM, ~b)
SGNJ(fsgnjx_s, uint32_t, GS, set_s, SM, a ^ b)
SGNJ(fsgnj_d, uint64_t, GD, set_d, DM, b)
SGNJ(fsgnjn_d, uint64_t, GD, set_d, DM, ~b)
SGNJ(fsgnjx_d, uint64_t, GD, set_d, DM, a ^ b)

OP(fmv_x_w) { if (fp_on(h, d)) h->x[d->rd] = (uint64_t)(int64_t)(int32_t)h->f[d->rs1]; return h->npc; }
OP(fmv_x_d) { if (fp_on(h, d)) h->x[d->rd] = h->f[d->rs1]; return h->npc; }
OP(fmv_w_x) { if (fp_on(h, d)) set_s(h, d->rd, (uint32_t)h->x[d->rs1]); return h->npc; }
OP(fmv_d_x) { if (fp_on(h, d)) set_d(h, d->rd, h->x[d->rs1]); return h->npc; }

OP(flw)
{
	uint32_t v;
	if (fp_on(h, d) && ld_u32(h, h->x[d->rs1] + (uint64_t)(int64_t)d->imm, &v))
		set_s(h, d->rd, v);
	return h->npc;
}
OP(fld)
{
	uint64_t v;
	if (fp_on(h, d) && ld_u64(h, h->x[d->rs1] + (uint64_t)(int64_t)d->imm, &v))
		set_d(h, d->rd, v);
	return h->npc;
}
OP(fsw)
{
	if (fp_on(h, d))
		st_u32(h, h->x[d->rs1] + (uint64_t)(int64_t)d->imm, (uint32_t)h->f[d->rs2]);
	return h->npc;
}
OP(fsd)
{
	if (fp_on(h, d))
		st_u64(h, h->x[d->rs1] + (uint64_t)(int64_t)d->imm, h->f[d->rs2]);
	return h->npc;
}

/* ---- classification and comparison (on bit patterns) ---- */
static bool is_snan_s(uint32_t v) { return (v & 0x7fc00000u) == 0x7f800000u && (v & 0x3fffffu); }
static bool is_nan_s(uint32_t v) { return (v & 0x7fffffffu) > 0x7f800000u; }
static bool is_snan_d(uint64_t v)
{
	return (v & 0x7ff8000000000000ull) == 0x7ff0000000000000ull && (v & 0x7ffffffffffffull);
}
static bool is_nan_d(uint64_t v) { return (v & ~DM) > 0x7ff0000000000000ull; }

static unsigned fclass(bool neg, bool inf, bool nan, bool snan, bool zero, bool sub)
{
	if (nan)
		return snan ? 1u << 8 : 1u << 9;
	if (inf)
		return neg ? 1u << 0 : 1u << 7;
	if (zero)
		return neg ? 1u << 3 : 1u << 4;
	if (sub)
		return neg ? 1u << 2 : 1u << 5;
	return neg ? 1u << 1 : 1u << 6;
}

OP(fclass_s)
{
	if (!fp_on(h, d))
		return h->npc;
	uint32_t v = unbox(h, d->rs1), e = (v >> 23) & 0xff, m = v & 0x7fffff;
	h->x[d->rd] = fclass(v >> 31, e == 0xff && !m, is_nan_s(v), is_snan_s(v),
			     !e && !m, !e && m);
	return h->npc;
}
OP(fclass_d)
{
	if (!fp_on(h, d))
		return h->npc;
	uint64_t v = h->f[d->rs1], e = (v >> 52) & 0x7ff, m = v & 0xfffffffffffffull;
	h->x[d->rd] = fclass(v >> 63, e == 0x7ff && !m, is_nan_d(v), is_snan_d(v),
			     !e && !m, !e && m);
	return h->npc;
}

/* kind: 0 feq (quiet), 1 flt, 2 fle (signalling) */
static void fcmp(struct hart *h, const struct insn *d, bool dbl, int kind)
{
	if (!fp_on(h, d))
		return;
	double a, b;
	bool nan, snan;
	if (dbl) {
		uint64_t x = h->f[d->rs1], y = h->f[d->rs2];
		nan = is_nan_d(x) || is_nan_d(y);
		snan = is_snan_d(x) || is_snan_d(y);
		a = bd(x);
		b = bd(y);
	} else {
		uint32_t x = unbox(h, d->rs1), y = unbox(h, d->rs2);
		nan = is_nan_s(x) || is_nan_s(y);
		snan = is_snan_s(x) || is_snan_s(y);
		a = bf(x);
		b = bf(y);
	}
	uint64_t r = 0;
	if (nan) {
		if (snan || kind != 0)
			add_flags(h, FL_NV);
	} else {
		r = kind == 0 ? a == b : kind == 1 ? a < b : a <= b;
	}
	h->x[d->rd] = r;
}
OP(feq_s) { fcmp(h, d, false, 0); return h->npc; }
OP(flt_s) { fcmp(h, d, false, 1); return h->npc; }
OP(fle_s) { fcmp(h, d, false, 2); return h->npc; }
OP(feq_d) { fcmp(h, d, true, 0); return h->npc; }
OP(flt_d) { fcmp(h, d, true, 1); return h->npc; }
OP(fle_d) { fcmp(h, d, true, 2); return h->npc; }

/* fmin/fmax: -0 < +0; one NaN returns the other; sNaN raises NV. */
static void fminmax(struct hart *h, const struct insn *d, bool dbl, bool max)
{
	if (!fp_on(h, d))
		return;
	uint64_t x, y, r;
	bool nx, ny;
	double a, b;
	if (dbl) {
		x = h->f[d->rs1]; y = h->f[d->rs2];
		nx = is_nan_d(x); ny = is_nan_d(y);
		if (is_snan_d(x) || is_snan_d(y))
			add_flags(h, FL_NV);
		a = bd(x); b = bd(y);
	} else {
		x = unbox(h, d->rs1); y = unbox(h, d->rs2);
		nx = is_nan_s((uint32_t)x); ny = is_nan_s((uint32_t)y);
		if (is_snan_s((uint32_t)x) || is_snan_s((uint32_t)y))
			add_flags(h, FL_NV);
		a = bf((uint32_t)x); b = bf((uint32_t)y);
	}
	if (nx && ny)
		r = dbl ? D_NAN : F_NAN;
	else if (nx)
		r = y;
	else if (ny)
		r = x;
	else if (a == b) /* equal, or +0/-0: pick by sign bit */
		r = max ? x & y : x | y;
	else
		r = (a < b) != max ? x : y;
	if (dbl)
		set_d(h, d->rd, r);
	else
		set_s(h, d->rd, (uint32_t)r);
}
OP(fmin_s) { fminmax(h, d, false, false); return h->npc; }
OP(fmax_s) { fminmax(h, d, false, true); return h->npc; }
OP(fmin_d) { fminmax(h, d, true, false); return h->npc; }
OP(fmax_d) { fminmax(h, d, true, true); return h->npc; }

/* ---- conversions ---- */
OP(fcvt_s_d)
{
	int rm = fp_rm(h, d);
	if (rm < 0)
		return h->npc;
	double a = bd(h->f[d->rs1]);
	unsigned fl = 0;
	uint32_t rb;
	if (rm == RMM) {
		rb = (uint32_t)rmm_op(F_CVT, a, 0, 0, false, &fl);
		if (is_snan_d(h->f[d->rs1]))
			fl |= FL_NV;
	} else {
		unsigned sv = fx_begin(rm);
		BARRIER(a);
		float r = (float)a;
		BARRIER(r);
		fl = fx_end(sv);
		rb = isnan(r) ? F_NAN : fb(r);
	}
	add_flags(h, fl);
	set_s(h, d->rd, rb);
	return h->npc;
}

OP(fcvt_d_s)
{
	if (fp_rm(h, d) < 0)
		return h->npc;
	uint32_t v = unbox(h, d->rs1);
	if (is_nan_s(v)) {
		add_flags(h, is_snan_s(v) ? FL_NV : 0);
		set_d(h, d->rd, D_NAN);
		return h->npc;
	}
	set_d(h, d->rd, db((double)bf(v)));
	return h->npc;
}

/*
 * Float to integer. type (rs2): 0 w, 1 wu, 2 l, 3 lu. Out of range or NaN:
 * NV and the saturated value (NaN saturates to the maximum); otherwise NX
 * when the value was not an integer. 32-bit results are sign-extended.
 */
static uint64_t to_int(double x, int rm, unsigned type, unsigned *fl)
{
	static const double lo[4] = { -2147483648.0, 0.0, -9223372036854775808.0, 0.0 };
	static const double hi[4] = { 2147483648.0, 4294967296.0,
				      9223372036854775808.0, 18446744073709551616.0 };
	static const uint64_t min[4] = { 0xffffffff80000000ull, 0, 1ull << 63, 0 };
	static const uint64_t max[4] = { 0x7fffffff, UINT64_MAX, INT64_MAX, UINT64_MAX };
	if (isnan(x)) {
		*fl |= FL_NV;
		return max[type];
	}
	double t = trunc(x), frac = x - t;
	if (frac != 0) {
		double af = fabs(frac), s = x < 0 ? -1.0 : 1.0;
		switch (rm) {
		case RNE:
			if (af > 0.5 || (af == 0.5 && fmod(t, 2.0) != 0))
				t += s;
			break;
		case RMM: if (af >= 0.5) t += s; break;
		case RDN: if (x < 0) t -= 1; break;
		case RUP: if (x > 0) t += 1; break;
		default: break;
		}
	}
	if (!(t >= lo[type] && t < hi[type])) {
		*fl |= FL_NV;
		return x < 0 ? min[type] : max[type];
	}
	if (frac != 0)
		*fl |= FL_NX;
	switch (type) {
	case 0: return (uint64_t)(int64_t)(int32_t)t;
	case 1: return (uint64_t)(int64_t)(int32_t)(uint32_t)t;
	case 2: return (uint64_t)(int64_t)t;
	default: return (uint64_t)t;
	}
}

OP(fcvt_int_s)
{
	int rm = fp_rm(h, d);
	if (rm < 0)
		return h->npc;
	unsigned fl = 0;
	uint64_t r = to_int(bf(unbox(h, d->rs1)), rm, d->rs2, &fl);
	add_flags(h, fl);
	h->x[d->rd] = r;
	return h->npc;
}

OP(fcvt_int_d)
{
	int rm = fp_rm(h, d);
	if (rm < 0)
		return h->npc;
	unsigned fl = 0;
	uint64_t r = to_int(bd(h->f[d->rs1]), rm, d->rs2, &fl);
	add_flags(h, fl);
	h->x[d->rd] = r;
	return h->npc;
}

/* Integer to float: exact in long double, then one software rounding. */
static uint64_t from_int(uint64_t v, unsigned type, int rm, bool dbl, unsigned *fl)
{
	long double x;
	switch (type) {
	case 0: x = (int32_t)v; break;
	case 1: x = (uint32_t)v; break;
	case 2: x = (int64_t)v; break;
	default: x = v; break;
	}
	return ld_result(x, false, rm, dbl, fl);
}

OP(fcvt_s_int)
{
	int rm = fp_rm(h, d);
	if (rm < 0)
		return h->npc;
	unsigned fl = 0;
	uint32_t r = (uint32_t)from_int(h->x[d->rs1], d->rs2, rm, false, &fl);
	add_flags(h, fl);
	set_s(h, d->rd, r);
	return h->npc;
}

OP(fcvt_d_int)
{
	int rm = fp_rm(h, d);
	if (rm < 0)
		return h->npc;
	unsigned fl = 0;
	uint64_t r = from_int(h->x[d->rs1], d->rs2, rm, true, &fl);
	add_flags(h, fl);
	set_d(h, d->rd, r);
	return h->npc;
}
