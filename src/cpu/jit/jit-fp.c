/*
 * jit-fp.c - native x86-64 (SSE, FMA3) code for the hot F and D
 * instructions, bit-exact to the interpreter (exec-fp.c).
 *
 * Each op is a fast path that handles only the cases where the host
 * instruction's result and the RISC-V flags are known without reading
 * MXCSR per op (stmxcsr costs ~25 cycles on the host), and a slow path
 * that calls the interpreter's handler with the inputs untouched:
 *  - rounding: static RNE, or dynamic with frm RNE, RTZ, RDN or RUP
 *    (MXCSR.RC set to frm by a guard, once per block: see emit_stubs;
 *    frm RMM or invalid fails it, which leaves the block after the
 *    handler); any static mode but RMM for conversions to integers.
 *    MXCSR is at its default (RNE, no flags read) whenever C code runs.
 *  - fflags: the fast path raises nothing new. Inexact results need NX
 *    already set in fflags, or else inexact tracking (once per block, as
 *    the frm guard: see emit_stubs), which collects them in MXCSR.PE and
 *    moves that to NX before any C code runs or fflags is read; any
 *    result that could carry NV/DZ/OF/UF (NaN, infinity, and for
 *    mul/div/fma/narrowing a result below 2^(emin+1) or zero) takes the
 *    slow path, which also produces the canonical NaN; for fmul/fdiv,
 *    out-of-line code first keeps the exact zeros (a zero factor or
 *    dividend, an infinite divisor: jit_fp_pre).
 *    Sums are never tiny and inexact, so add/sub/sqrt only leave for
 *    the top binades (NaN, infinity, directed overflow). Conversions to
 *    integers detect inexactness exactly (round with PE suppressed, then
 *    compare) and set NX themselves.
 *  - NaN boxing: a single operand whose upper half is not all ones reads
 *    as the canonical NaN: slow path. Single results keep the all-ones
 *    upper half of the first operand's 64-bit load (scalar SSE ops keep
 *    the destination's upper bits), so one 8-byte store writes them boxed.
 *  - mstatus.FS: the first native op (or fld/fsd) of a block that writes
 *    an f register checks FS == Dirty, else FS != Off (the slow path raises
 *    illegal instruction and leaves the block, or marks FS dirty itself),
 *    so later ops in the block need no check and the fast paths never
 *    store to mstatus (nothing in a block can make FS clean again: that is
 *    a CSR write, which ends the block). Per-block state bits (struct
 *    gen's fp word): FPB_FS_OK = FS != Off known, FPB_DIRTY = FS == Dirty.
 *  - registers: an operand is in its XMM register when jit-gen.c mapped
 *    it (jit_gen_freg), else in h->f; a result goes to the destination
 *    only after the op's last jump to its slow path (fset), so the slow
 *    path sees its inputs untouched (AVX arithmetic and FMA compute
 *    straight into the destination's XMM register when it is not a
 *    source: see place_ok).
 * Also native: reads and writes of fflags, frm and fcsr (glibc brackets
 * quiet comparisons with frflags/fsflags); unlike other CSR accesses they
 * do not end the block (a write clears the state bits it may undo).
 * Static RTZ/RDN/RUP add/sub/mul/div/sqrt use AVX-512 embedded rounding
 * where the host has it (the same checks as RNE: gen_directed).
 * Conversions to integers with static RDN/RUP round with SSE4.1 roundsd.
 * Not native (helper): RMM (static, or frm); invalid frm; static
 * directed FMA, fcvt.s.d and conversions from integers that round (those
 * that are exact are native in any mode); FMA without host FMA3.
 *
 * Threading: translation runs on the hart's vCPU thread.
 */
#include "cpu/jit/jit-int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) ((int32_t)offsetof(struct hart, f))
#define FO(r) ((int32_t)(offsetof(struct hart, f) + 8 * (r)))

/* per-block state bits: what holds from here to the block's end */
enum { FPB_FS_OK = 1, FPB_DIRTY = 2, FPB_RM = 4, FPB_NX = 8, FPB_RC0 = 16 };
/* the stubs after the constants: see emit_stubs */
enum { FPS_ARM = 32, FPS_FLUSH = 128, FPS_PRE = 224, FPS_POST = 320, FPS_RCSET = 416,
       FPS_EXIT = 512, FPS_END = 608 };
enum { RNE = 0, RTZ = 1, RUP = 3, DYN = 7 };

enum fkind { A_ARITH, A_FMA, A_SGNJ, A_MVXF, A_MVFX, A_CMP, A_MINMAX, A_S_D, A_D_S,
	     A_TOINT, A_FROMINT, A_CSR, A_CLASS };

/* a: x86 SSE op / FMA op / sgnj variant / compare kind / max */
struct fop { insn_fn fn; uint8_t kind, dbl, a; };

static const struct fop fops[] = {
	{ op_fadd_s, A_ARITH, 0, X86_ADDS }, { op_fsub_s, A_ARITH, 0, X86_SUBS },
	{ op_fmul_s, A_ARITH, 0, X86_MULS }, { op_fdiv_s, A_ARITH, 0, X86_DIVS },
	{ op_fsqrt_s, A_ARITH, 0, X86_SQRT },
	{ op_fadd_d, A_ARITH, 1, X86_ADDS }, { op_fsub_d, A_ARITH, 1, X86_SUBS },
	{ op_fmul_d, A_ARITH, 1, X86_MULS }, { op_fdiv_d, A_ARITH, 1, X86_DIVS },
	{ op_fsqrt_d, A_ARITH, 1, X86_SQRT },
	/* rd = rs1*rs2 + rs3, - rs3, -(rs1*rs2) + rs3, -(rs1*rs2) - rs3 */
	{ op_fmadd_s, A_FMA, 0, X86_VFMADD231 }, { op_fmsub_s, A_FMA, 0, X86_VFMSUB231 },
	{ op_fnmsub_s, A_FMA, 0, X86_VFNMADD231 }, { op_fnmadd_s, A_FMA, 0, X86_VFNMSUB231 },
	{ op_fmadd_d, A_FMA, 1, X86_VFMADD231 }, { op_fmsub_d, A_FMA, 1, X86_VFMSUB231 },
	{ op_fnmsub_d, A_FMA, 1, X86_VFNMADD231 }, { op_fnmadd_d, A_FMA, 1, X86_VFNMSUB231 },
	{ op_fsgnj_s, A_SGNJ, 0, 0 }, { op_fsgnjn_s, A_SGNJ, 0, 1 }, { op_fsgnjx_s, A_SGNJ, 0, 2 },
	{ op_fsgnj_d, A_SGNJ, 1, 0 }, { op_fsgnjn_d, A_SGNJ, 1, 1 }, { op_fsgnjx_d, A_SGNJ, 1, 2 },
	{ op_fmv_x_w, A_MVXF, 0, 0 }, { op_fmv_x_d, A_MVXF, 1, 0 },
	{ op_fmv_w_x, A_MVFX, 0, 0 }, { op_fmv_d_x, A_MVFX, 1, 0 },
	{ op_feq_s, A_CMP, 0, X86_CC_E }, { op_flt_s, A_CMP, 0, X86_CC_B },
	{ op_fle_s, A_CMP, 0, X86_CC_BE },
	{ op_feq_d, A_CMP, 1, X86_CC_E }, { op_flt_d, A_CMP, 1, X86_CC_B },
	{ op_fle_d, A_CMP, 1, X86_CC_BE },
	{ op_fmin_s, A_MINMAX, 0, 0 }, { op_fmax_s, A_MINMAX, 0, 1 },
	{ op_fmin_d, A_MINMAX, 1, 0 }, { op_fmax_d, A_MINMAX, 1, 1 },
	{ op_fcvt_s_d, A_S_D, 0, 0 }, { op_fcvt_d_s, A_D_S, 1, 0 },
	{ op_fcvt_int_s, A_TOINT, 0, 0 }, { op_fcvt_int_d, A_TOINT, 1, 0 },
	{ op_fcvt_s_int, A_FROMINT, 0, 0 }, { op_fcvt_d_int, A_FROMINT, 1, 0 },
	{ op_fclass_s, A_CLASS, 0, 0 }, { op_fclass_d, A_CLASS, 1, 0 },
	/* fflags/frm/fcsr accesses (others: helper); dbl = immediate form,
	 * a = 0 write, 1 set, 2 clear */
	{ op_csrrw, A_CSR, 0, 0 }, { op_csrrs, A_CSR, 0, 1 }, { op_csrrc, A_CSR, 0, 2 },
	{ op_csrrwi, A_CSR, 1, 0 }, { op_csrrsi, A_CSR, 1, 1 }, { op_csrrci, A_CSR, 1, 2 },
};

#define MAX_SLOW 8
#define MAX_LEAVE 3

/* One op being translated: its slow-path branches collect here. */
struct fctx {
	struct gen *g;
	struct x86_buf *b;
	const struct insn *d;
	uint32_t *st;
	uint8_t *slow[MAX_SLOW];
	uint8_t *leave[MAX_LEAVE]; /* the guard of FPB_RM: see guard() */
	unsigned n, nleave;
	uint8_t *pre, *resume; /* the result check's jump, see jit_fp_pre */
};

static void to_slow(struct fctx *c, enum x86_cc cc)
{
	c->slow[c->n++] = x86_jcc(c->b, cc);
}

uint8_t *jit_fp_fs_guard(struct x86_buf *b, uint32_t *st, bool dirty)
{
	if (*st & (dirty ? FPB_DIRTY : FPB_FS_OK))
		return NULL;
	x86_load(b, 4, false, X86_RDX, X86_RBX, OFF(mstatus)); /* FS: bits 13-14 */
	x86_alu_ri(b, X86_AND, false, X86_RDX, (int32_t)MS_FS);
	if (dirty)
		x86_alu_ri(b, X86_CMP, false, X86_RDX, (int32_t)MS_FS);
	*st |= dirty ? FPB_FS_OK | FPB_DIRTY : FPB_FS_OK;
	return x86_jcc(b, dirty ? X86_CC_NE : X86_CC_E);
}

/* The op's FS guard (see jit_fp_fs_guard). */
static void fs_check(struct fctx *c, bool dirty)
{
	uint8_t *j = jit_fp_fs_guard(c->b, c->st, dirty);
	if (j)
		c->slow[c->n++] = j;
}

/* Written fflags/frm (a CSR op, whose guard only knew FS != Off): FS =
 * Dirty, once per block. Call after the last branch to the slow path,
 * which sets it itself. */
static void fs_dirty(struct fctx *c)
{
	if (*c->st & FPB_DIRTY)
		return;
	x86_alu_mi(c->b, X86_OR, true, X86_RBX, OFF(mstatus), (int32_t)MS_FS);
	*c->st |= FPB_DIRTY;
}

/*
 * A guard of block-wide state (frm <= RUP): only CSR writes change
 * either (those not done here end the block; gen_csr forgets what its
 * write may undo), so once a guard passed the rest of the block needs no
 * other. Its failure path calls the handler and then leaves
 * the block (rejoining would run later ops without their guard), and so
 * must the op's slow-path jumps emitted before it (the FS guard): they
 * skip it too.
 */
static void guard(struct fctx *c, uint32_t bit, enum x86_cc fail)
{
	for (unsigned k = 0; k < c->n; k++)
		c->leave[c->nleave++] = c->slow[k];
	c->n = 0;
	c->leave[c->nleave++] = x86_jcc(c->b, fail);
	*c->st |= bit;
}

/*
 * The op rounds in RNE, or dynamically (RNE, RTZ, RDN or RUP: MXCSR.RC is
 * made frm, see emit_stubs; RMM and invalid modes run the handler and
 * leave the block). Static RNE needs MXCSR.RC = RNE. false: another static
 * mode (the caller's business).
 */
static bool rm_rne(struct fctx *c)
{
	struct x86_buf *b = c->b;
	if (c->d->rm == DYN) {
		if (!(*c->st & FPB_RM)) {
			x86_load(b, 4, false, X86_RAX, X86_RBX, OFF(frm));
			x86_alu_rm(b, X86_CMP, false, X86_RAX, X86_RBX, OFF(jit_rc));
			uint8_t *same = x86_jcc(b, X86_CC_E);
			x86_alu_ri(b, X86_CMP, false, X86_RAX, RUP);
			guard(c, FPB_RM, X86_CC_A);
			x86_call(b, jit_gen_fp_consts(c->g) + FPS_RCSET, X86_RCX);
			x86_patch_rel32(same, b->p);
			*c->st &= ~(uint32_t)FPB_RC0;
		}
		return true;
	}
	if (c->d->rm != RNE)
		return false;
	if (!(*c->st & FPB_RC0)) {
		x86_alu_mi(b, X86_CMP, false, X86_RBX, OFF(jit_rc), 0);
		uint8_t *rne = x86_jcc(b, X86_CC_E);
		x86_alu_rr(b, X86_XOR, false, X86_RAX, X86_RAX);
		x86_call(b, jit_gen_fp_consts(c->g) + FPS_RCSET, X86_RCX);
		x86_patch_rel32(rne, b->p);
		*c->st = (*c->st | FPB_RC0) & ~(uint32_t)FPB_RM;
	}
	return true;
}

/* The op is exact: any valid mode (dynamic: frm 5..7 is illegal). */
static void rm_valid(struct fctx *c)
{
	if (c->d->rm == DYN && !(*c->st & FPB_RM)) {
		x86_alu_mi(c->b, X86_CMP, false, X86_RBX, OFF(frm), 4);
		to_slow(c, X86_CC_A);
	}
}

/* An inexact result may be left unflagged only when NX is already set or
 * tracked (see emit_stubs); once per block, before any jump to the op's
 * slow path (whose handler rejoins: the rest of the block relies on it). */
static void nx_arm(struct gen *g, uint32_t *st)
{
	if (*st & FPB_NX)
		return;
	struct x86_buf *b = jit_gen_buf(g);
	x86_test_mi(b, 1, X86_RBX, OFF(fflags), 1);
	uint8_t *set = x86_jcc(b, X86_CC_NE);
	x86_call(b, jit_gen_fp_consts(g) + FPS_ARM, X86_RCX);
	x86_patch_rel32(set, b->p);
	*st |= FPB_NX;
}

/* ---- f register operands: in an XMM register (jit-gen.c maps the block's
 * hot ones) or in h->f ---- */

/* xmm = f[r], all 64 bits (a single's NaN box too) */
static void fget(struct fctx *c, unsigned xmm, unsigned r)
{
	unsigned h = jit_gen_freg(c->g, r);
	if (h)
		x86_movapd(c->b, xmm, h);
	else
		x86_movs_load(c->b, true, xmm, X86_RBX, FO(r));
}

/* An XMM register holding f[r] to read: its own, or scratch loaded. */
static unsigned fsrc(struct fctx *c, unsigned scratch, unsigned r)
{
	unsigned h = jit_gen_freg(c->g, r);
	if (h)
		return h;
	x86_movs_load(c->b, true, scratch, X86_RBX, FO(r));
	return scratch;
}

static void fget_gpr(struct fctx *c, unsigned gpr, unsigned r)
{
	unsigned h = jit_gen_freg(c->g, r);
	if (h)
		x86_movq_rx(c->b, gpr, h);
	else
		x86_load(c->b, 8, false, gpr, X86_RBX, FO(r));
}

/* f[r] = the low 64 bits of xmm / gpr: after the op's last slow jump */
static void fset(struct fctx *c, unsigned r, unsigned xmm)
{
	unsigned h = jit_gen_fdst(c->g, r);
	if (h)
		x86_movapd(c->b, h, xmm);
	else
		x86_movs_store(c->b, true, xmm, X86_RBX, FO(r));
}

static void fset_gpr(struct fctx *c, unsigned r, unsigned gpr)
{
	unsigned h = jit_gen_fdst(c->g, r);
	if (h)
		x86_movq_xr(c->b, h, gpr);
	else
		x86_store(c->b, 8, gpr, X86_RBX, FO(r));
}

/* op xmm, f[r] */
static void fop_src(struct fctx *c, enum x86_sse op, bool dbl, unsigned xmm, unsigned r)
{
	unsigned h = jit_gen_freg(c->g, r);
	if (h)
		x86_sse_rr(c->b, op, dbl, xmm, h);
	else
		x86_sse_rm(c->b, op, dbl, xmm, X86_RBX, FO(r));
}

/* A single operand must be NaN-boxed (else it reads as the canonical NaN). */
static void boxed(struct fctx *c, unsigned r)
{
	unsigned h = jit_gen_freg(c->g, r);
	if (h) {
		x86_movq_rx(c->b, X86_RCX, h);
		x86_shift_ri(c->b, X86_SHR, true, X86_RCX, 32);
		x86_alu_ri(c->b, X86_CMP, false, X86_RCX, -1);
	} else {
		x86_alu_mi(c->b, X86_CMP, false, X86_RBX, FO(r) + 4, -1);
	}
	to_slow(c, X86_CC_NE);
}

/* Exponent masks without the exponent's lowest bit, for vptest: all its
 * bits set = the top two binades (infinity and NaN among them), none set
 * = the bottom two (zero, subnormals, the smallest normal binade). */
enum { CONST_D = 0, CONST_S = 16 };

/* Host forms in use: 3 AVX, 2 SSE4.1 (ptest), 1 SSE2 only (set with the
 * constants, before any translation; RINGVM_JIT_NOAVX=1 selects the code
 * of hosts without AVX, =sse2 that of hosts without SSE4.1 too, so tests
 * cover both) */
static int avx_state;

/*
 * Inexact tracking. The fast paths may leave an inexact result unflagged
 * only while fflags.NX is set. While it is clear, generated code keeps
 * h->jit_nx = 1 and lets MXCSR.PE (cleared when tracking starts) collect
 * the inexactness of the native ops it runs: every host op that can set
 * PE is the guest op itself (or, for EVEX directed ops, which suppress
 * flags, the same op in RNE run beside it: inexactness does not depend on
 * the rounding mode), and a slow path taken after the host op is for a
 * result the handler flags NX too (overflow, tiny or inexact); conversions
 * to integers, whose out-of-range results are NV only, round with PE
 * suppressed. PE moves to NX before any C code runs (the helper stub,
 * the exit trampoline: C code may clobber MXCSR) and before generated
 * code reads fflags; stmxcsr is slow (~20 cycles on AMD hosts), so this
 * happens at those points only, and only while tracking. Tracking stops
 * once NX is set (the fast paths need nothing more) or fflags is written.
 * Per block state: FPB_NX = NX set or tracking from here to the end.
 *
 * Dynamic rounding: while frm is RTZ, RDN or RUP, generated code runs its
 * dynamic-mode ops with MXCSR.RC set to it (h->jit_rc = the RISC-V mode
 * MXCSR rounds in, 0 = RNE); static RNE ops need h->jit_rc = 0. Both are
 * per block state (FPB_RM: MXCSR.RC = frm, frm <= RUP; FPB_RC0: MXCSR.RC
 * = RNE), checked by the first op that needs one (a change of RC then
 * undoes the other). C code runs with RNE: the helper stub resets RC
 * before the call and restores it after, the exit trampoline resets it.
 *
 * Stubs (called with the hart in RBX; they clobber RCX, RDX and the
 * flags), in 96-byte slots after the constants:
 *  - arm: NX was seen clear; start tracking unless it runs already.
 *  - flush: NX |= PE (stmxcsr); tracking ends when NX is set.
 *  - pre: before a helper call (tracking or RC not RNE): flush, RNE.
 *  - post: after it: tracking ends when NX is set; MXCSR = RC, no flags.
 *  - rcset: EAX = frm (0..3): flush, then MXCSR.RC = frm, no flags.
 *  - exit: flush, end tracking, RNE.
 */
#define MXCSR_DEFAULT 0x1f80 /* RNE, all exceptions masked, flags clear */
#define MXCSR_PE 0x20

/* MXCSR = the default with RC for the RISC-V mode in ECX (0..3) */
static void load_mxcsr(struct x86_buf *b)
{
	x86_alu_rr(b, X86_ADD, false, X86_RCX, X86_RCX);
	x86_mov_imm(b, X86_RDX, 0x9c); /* RC for rm 3..0: 10 01 11 00 */
	x86_shift_rcl(b, X86_SHR, false, X86_RDX);
	x86_alu_ri(b, X86_AND, false, X86_RDX, 3);
	x86_shift_ri(b, X86_SHL, false, X86_RDX, 13);
	x86_alu_ri(b, X86_OR, false, X86_RDX, MXCSR_DEFAULT);
	x86_store(b, 4, X86_RDX, X86_RBX, OFF(jit_mxcsr));
	x86_ldmxcsr(b, X86_RBX, OFF(jit_mxcsr));
}

static void load_default(struct x86_buf *b)
{
	x86_store_imm(b, 4, X86_RBX, OFF(jit_mxcsr), MXCSR_DEFAULT);
	x86_ldmxcsr(b, X86_RBX, OFF(jit_mxcsr));
}

/* if (h->f) stub, with f one of jit_nx, jit_rc */
static void call_if(struct x86_buf *b, int32_t field, const uint8_t *stub)
{
	x86_alu_mi(b, X86_CMP, false, X86_RBX, field, 0);
	uint8_t *off = x86_jcc(b, X86_CC_E);
	x86_call(b, stub, X86_RCX);
	x86_patch_rel32(off, b->p);
}

/* if (h->jit_rc) MXCSR = default, h->jit_rc = 0 (when clear_rc) */
static void rne_if(struct x86_buf *b, bool clear_rc)
{
	x86_alu_mi(b, X86_CMP, false, X86_RBX, OFF(jit_rc), 0);
	uint8_t *off = x86_jcc(b, X86_CC_E);
	load_default(b);
	if (clear_rc)
		x86_store_imm(b, 4, X86_RBX, OFF(jit_rc), 0);
	x86_patch_rel32(off, b->p);
}

static bool emit_stub(uint8_t *at, int off, int end, int which)
{
	struct x86_buf b;
	x86_init(&b, at + off, (size_t)(end - off));
	uint8_t *j, *k;
	switch (which) {
	case FPS_ARM:
		x86_alu_mi(&b, X86_CMP, false, X86_RBX, OFF(jit_nx), 0);
		j = x86_jcc(&b, X86_CC_NE);
		x86_load(&b, 4, false, X86_RCX, X86_RBX, OFF(jit_rc));
		load_mxcsr(&b); /* PE clear, RC kept */
		x86_store_imm(&b, 4, X86_RBX, OFF(jit_nx), 1);
		x86_patch_rel32(j, b.p);
		break;
	case FPS_FLUSH:
		x86_test_mi(&b, 1, X86_RBX, OFF(fflags), 1);
		j = x86_jcc(&b, X86_CC_NE);
		x86_stmxcsr(&b, X86_RBX, OFF(jit_mxcsr));
		x86_test_mi(&b, 1, X86_RBX, OFF(jit_mxcsr), MXCSR_PE);
		k = x86_jcc(&b, X86_CC_E);
		x86_alu_mi(&b, X86_OR, false, X86_RBX, OFF(fflags), 1);
		x86_patch_rel32(j, b.p);
		x86_store_imm(&b, 4, X86_RBX, OFF(jit_nx), 0);
		x86_patch_rel32(k, b.p);
		break;
	case FPS_PRE:
		call_if(&b, OFF(jit_nx), at + FPS_FLUSH);
		rne_if(&b, false);
		break;
	case FPS_POST:
		x86_test_mi(&b, 1, X86_RBX, OFF(fflags), 1);
		j = x86_jcc(&b, X86_CC_E);
		x86_store_imm(&b, 4, X86_RBX, OFF(jit_nx), 0);
		x86_patch_rel32(j, b.p);
		x86_load(&b, 4, false, X86_RCX, X86_RBX, OFF(jit_rc));
		load_mxcsr(&b);
		break;
	case FPS_RCSET:
		call_if(&b, OFF(jit_nx), at + FPS_FLUSH);
		x86_store(&b, 4, X86_RAX, X86_RBX, OFF(jit_rc));
		x86_mov_rr(&b, false, X86_RCX, X86_RAX);
		load_mxcsr(&b);
		break;
	default: /* FPS_EXIT */
		x86_alu_mi(&b, X86_CMP, false, X86_RBX, OFF(jit_nx), 0);
		j = x86_jcc(&b, X86_CC_E);
		x86_call(&b, at + FPS_FLUSH, X86_RCX);
		x86_store_imm(&b, 4, X86_RBX, OFF(jit_nx), 0);
		x86_patch_rel32(j, b.p);
		rne_if(&b, true);
		break;
	}
	x86_ret(&b);
	return !b.overflow;
}

static void emit_stubs(uint8_t *at)
{
	static const int off[] = { FPS_ARM, FPS_FLUSH, FPS_PRE, FPS_POST, FPS_RCSET, FPS_EXIT,
				   FPS_END };
	for (unsigned i = 0; i + 1 < sizeof(off) / sizeof(off[0]); i++)
		if (!emit_stub(at, off[i], off[i + 1], off[i]))
			abort(); /* cannot happen: each stub is under 96 bytes */
}

/* if (h->jit_nx | h->jit_rc) call the stub at fp_area + off (RCX and
 * scratch, RDX, the flags clobbered) */
static void call_if_active(struct x86_buf *b, const uint8_t *fp_area, int off, unsigned scratch)
{
	x86_load(b, 4, false, scratch, X86_RBX, OFF(jit_nx));
	x86_alu_rm(b, X86_OR, false, scratch, X86_RBX, OFF(jit_rc));
	uint8_t *idle = x86_jcc(b, X86_CC_E);
	x86_call(b, fp_area + off, scratch);
	x86_patch_rel32(idle, b->p);
}

/* cmp h->jit_nx, 0; je over; call the stub at fp_area + off; over: */
static void call_if_tracking(struct x86_buf *b, const uint8_t *fp_area, int off,
			     unsigned scratch)
{
	x86_alu_mi(b, X86_CMP, false, X86_RBX, OFF(jit_nx), 0);
	uint8_t *off_ = x86_jcc(b, X86_CC_E);
	x86_call(b, fp_area + off, scratch);
	x86_patch_rel32(off_, b->p);
}

void jit_fp_call_flush(struct x86_buf *b, const uint8_t *fp_area, bool after)
{
	/* before: RDI is free (the stub sets it next); after: RCX and RDX
	 * (popped next) */
	call_if_active(b, fp_area, after ? FPS_POST : FPS_PRE, after ? X86_RCX : X86_RDI);
}

void jit_fp_exit_flush(struct x86_buf *b, const uint8_t *fp_area)
{
	call_if_active(b, fp_area, FPS_EXIT, X86_RCX); /* RAX (the result) stays */
}

void jit_fp_consts(uint8_t *at)
{
	static const uint64_t k[4] = { 0x7fe0000000000000ull, 0, 0x7f000000ull, 0 };
	_Static_assert(sizeof(k) == FPS_ARM && FPS_END == JIT_FP_CONST_BYTES, "see jit-int.h");
	memcpy(at, k, sizeof(k));
	emit_stubs(at);
	const char *no = getenv("RINGVM_JIT_NOAVX");
	int v = __builtin_cpu_supports("avx") && !no ? 3 : 1;
	if (v == 1 && __builtin_cpu_supports("sse4.1") && !(no && strcmp(no, "sse2") == 0))
		v = 2;
	__atomic_store_n(&avx_state, v, __ATOMIC_RELAXED);
}

static bool host_avx(void)
{
	return __atomic_load_n(&avx_state, __ATOMIC_RELAXED) == 3;
}

/* SSE4.1 (ptest) without AVX: RINGVM_JIT_NOAVX=sse2 turns it off too */
static bool host_sse41(void)
{
	return __atomic_load_n(&avx_state, __ATOMIC_RELAXED) == 2;
}

/* The result check's jump: with zero (fmul/fdiv), out of line first to
 * jit_fp_pre's test for an exact zero, which resumes right after it. */
static void check_jump(struct fctx *c, enum x86_cc cc, bool zero)
{
	if (!zero) {
		to_slow(c, cc);
		return;
	}
	c->pre = x86_jcc(c->b, cc);
	c->resume = c->b->p;
}

/*
 * XMM r (result_check: XMM0) = a result (with xmm, else RAX = its bits; r
 * only with AVX). Leave for the slow path
 * when its exponent is in the top two binades (NaN, infinity, and the
 * largest finite value directed rounding gives on overflow) or, with
 * tiny, below emin + 1 (zero, subnormal, the smallest normal binade): the
 * only results that can carry flags other than NX. With AVX (SSE4.1) one
 * vptest (ptest) against a constant does it; else RCX is clobbered.
 */
static void result_check_in(struct fctx *c, unsigned r, bool dbl, bool tiny, bool xmm, bool zero)
{
	struct x86_buf *b = c->b;
	unsigned emax = dbl ? 0x7ff : 0xff;
	if (xmm && (host_avx() || host_sse41())) {
		const uint8_t *mask = jit_gen_fp_consts(c->g) + (dbl ? CONST_D : CONST_S);
		if (host_avx())
			x86_vptest_at(b, r, mask);
		else
			x86_ptest_at(b, r, mask);
		check_jump(c, tiny ? X86_CC_BE : X86_CC_B, zero); /* CF: all set; ZF: none */
		return;
	}
	if (xmm && dbl)
		x86_movq_rx(b, X86_RCX, 0);
	else if (xmm)
		x86_movd_rx(b, X86_RCX, 0);
	else
		x86_mov_rr(b, dbl, X86_RCX, X86_RAX);
	/* the exponent: shift out the sign, then the fraction */
	x86_alu_rr(b, X86_ADD, dbl, X86_RCX, X86_RCX);
	x86_shift_ri(b, X86_SHR, dbl, X86_RCX, dbl ? 53 : 24);
	if (tiny) {
		x86_alu_ri(b, X86_SUB, false, X86_RCX, 2);
		x86_alu_ri(b, X86_CMP, false, X86_RCX, (int32_t)emax - 4); /* e < 2 or e >= emax - 1 */
		check_jump(c, X86_CC_A, zero);
	} else { /* the top two binades: directed overflow gives the largest finite value */
		x86_alu_ri(b, X86_CMP, false, X86_RCX, (int32_t)emax - 1);
		to_slow(c, X86_CC_AE);
	}
}

static void result_check(struct fctx *c, bool dbl, bool tiny, bool xmm, bool zero)
{
	result_check_in(c, 0, dbl, tiny, xmm, zero);
}

static bool host_fma(void)
{
	return host_avx() && __builtin_cpu_supports("fma");
}

/* AVX-512 embedded rounding: static RTZ/RDN/RUP arithmetic is native. */
static bool host_evex(void)
{
	return host_avx() && __builtin_cpu_supports("avx512f");
}

/* SSE4.1 roundsd: conversions to integers in any mode but RMM */
static bool host_round(void)
{
	return host_avx() || host_sse41();
}

/* A static RTZ/RDN/RUP add/sub/mul/div/sqrt (native with host_evex). */
static bool rm_directed(const struct insn *d)
{
	return d->rm >= RTZ && d->rm <= RUP;
}

/*
 * xmm0 = rs1 op rs2 rounded as d->rm (RTZ, RDN, RUP) says, by EVEX
 * embedded rounding, which also leaves MXCSR's flags alone; the bits
 * above the scalar (a single's box) come from rs1. The result check is
 * the same as for RNE: overflow gives infinity or the largest finite
 * value (top binades), results that may be tiny are in the bottom ones.
 */
static void gen_directed(struct fctx *c, const struct fop *o)
{
	static const uint8_t rc[4] = { 0, 3, 1, 2 }; /* RISC-V rm -> EVEX RC */
	const struct insn *d = c->d;
	unsigned h1 = fsrc(c, 0, d->rs1); /* XMM0 when in memory */
	unsigned h2 = o->a == X86_SQRT ? h1 : fsrc(c, 1, d->rs2);
	x86_evex_sse_rr(c->b, o->a, o->dbl, rc[d->rm], 0, h1, h2);
	/* EVEX rounding suppresses MXCSR's flags: the same op in RNE, into
	 * XMM1, sets PE when the result is inexact (inexact tracking) */
	unsigned m1 = jit_gen_freg(c->g, d->rs1), m2 = jit_gen_freg(c->g, d->rs2);
	if (!m1) {
		x86_movs_load(c->b, true, 1, X86_RBX, FO(d->rs1));
		m1 = 1;
	}
	if (o->a == X86_SQRT)
		x86_vsse_rr(c->b, o->a, o->dbl, 1, m1, m1);
	else if (m2)
		x86_vsse_rr(c->b, o->a, o->dbl, 1, m1, m2);
	else
		x86_vsse_rm(c->b, o->a, o->dbl, 1, m1, X86_RBX, FO(d->rs2));
}

/*
 * With AVX an op computes straight into the destination's XMM register
 * when it has one and is not a source (no copy from XMM0), before its
 * result check: the slow path's handler still finds its sources untouched
 * and writes f[rd] itself (a garbage write-back of a dirty rd before the
 * call is overwritten). Over a source it would have to keep the old value
 * for the slow path, a copy as costly as the one saved (and measured a
 * little slower on the matmul's accumulator): XMM0 then, as for directed
 * ops (EVEX).
 */
static bool place_ok(const struct insn *d, const struct fop *o)
{
	if (o->kind == A_FMA)
		return d->rd != d->rs1 && d->rd != d->rs2 && d->rd != d->rs3;
	if (rm_directed(d) && host_evex())
		return false;
	return d->rd != d->rs1 && (o->a == X86_SQRT || d->rd != d->rs2);
}

/* The register gen_arith computed d's result in, 0 = XMM0 (from the cold
 * path: every register involved is loaded, nothing is emitted) */
static unsigned placed(struct gen *g, const struct insn *d, const struct fop *o)
{
	if (o->kind != A_ARITH && o->kind != A_FMA)
		return 0;
	if (!place_ok(d, o) || (o->kind == A_FMA ? !host_fma() : !host_avx()))
		return 0;
	if (o->kind == A_ARITH && !jit_gen_freg(g, d->rs1))
		return 0;
	return jit_gen_freg(g, d->rd);
}

/* add/sub/mul/div/sqrt and the fused multiply-adds */
static bool gen_arith(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	bool dbl = o->dbl, fma = o->kind == A_FMA;
	bool directed = !fma && rm_directed(d) && host_evex();
	unsigned dst = 0; /* the result's register: see place_ok */
	if (fma && !host_fma())
		return false;
	if (!directed && !rm_rne(c))
		return false;
	if (!dbl) {
		boxed(c, d->rs1);
		if (o->a != X86_SQRT)
			boxed(c, d->rs2);
		if (fma)
			boxed(c, d->rs3);
	}
	if (directed) {
		gen_directed(c, o);
	} else if (fma) { /* dst = rs3 (the addend, boxed), * rs1 * rs2 */
		unsigned s1 = fsrc(c, 1, d->rs1), h2 = jit_gen_freg(c->g, d->rs2);
		unsigned h3 = jit_gen_freg(c->g, d->rs3); /* sources loaded before fdst */
		dst = place_ok(d, o) ? jit_gen_fdst(c->g, d->rd) : 0;
		if (h3)
			x86_movapd(b, dst, h3);
		else
			x86_movs_load(b, true, dst, X86_RBX, FO(d->rs3));
		if (h2)
			x86_vfma_rr(b, o->a, dbl, dst, s1, h2);
		else
			x86_vfma_rm(b, o->a, dbl, dst, s1, X86_RBX, FO(d->rs2));
	} else if (host_avx() && jit_gen_freg(c->g, d->rs1)) {
		/* dst = rs1 op rs2, the bits above (a single's box) from rs1 */
		unsigned h1 = jit_gen_freg(c->g, d->rs1);
		unsigned h2 = o->a == X86_SQRT ? h1 : jit_gen_freg(c->g, d->rs2);
		dst = place_ok(d, o) ? jit_gen_fdst(c->g, d->rd) : 0;
		if (h2)
			x86_vsse_rr(b, o->a, dbl, dst, h1, h2);
		else
			x86_vsse_rm(b, o->a, dbl, dst, h1, X86_RBX, FO(d->rs2));
	} else {
		fget(c, 0, d->rs1); /* 64 bits: the box too */
		if (o->a == X86_SQRT)
			x86_sse_rr(b, X86_SQRT, dbl, 0, 0);
		else
			fop_src(c, o->a, dbl, 0, d->rs2);
	}
	bool sum = o->a == X86_ADDS || o->a == X86_SUBS || o->a == X86_SQRT;
	bool zero = o->a == X86_MULS || o->a == X86_DIVS;
	result_check_in(c, dst, dbl, fma || !sum, true, zero);
	/* from xmm0: the check's movq stays off the f register's dependency chain */
	if (!dst)
		fset(c, d->rd, 0);
	fs_dirty(c);
	return true;
}

/* fsgnj/fsgnjn/fsgnjx: bit operations on the (boxed) encodings */
static bool gen_sgnj(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	if (!o->dbl) {
		boxed(c, d->rs1);
		boxed(c, d->rs2);
	}
	uint64_t sign = o->dbl ? 1ull << 63 : 1ull << 31;
	if (d->rs1 == d->rs2 && o->a == 0) { /* fmv: a copy */
		unsigned h = jit_gen_freg(c->g, d->rs1);
		if (h)
			fset(c, d->rd, h);
		else {
			fget_gpr(c, X86_RAX, d->rs1);
			fset_gpr(c, d->rd, X86_RAX);
		}
		fs_dirty(c);
		return true;
	}
	fget_gpr(c, X86_RAX, d->rs1);
	if (d->rs1 != d->rs2 || o->a == 1) {
		fget_gpr(c, X86_RCX, d->rs2);
		x86_mov_imm(b, X86_RDX, sign);
		x86_alu_rr(b, X86_AND, true, X86_RCX, X86_RDX); /* rs2's sign */
		if (o->a == 1)
			x86_alu_rr(b, X86_XOR, true, X86_RCX, X86_RDX);
		if (o->a != 2) {
			x86_unary(b, X86_NOT, true, X86_RDX);
			x86_alu_rr(b, X86_AND, true, X86_RAX, X86_RDX);
		}
		x86_alu_rr(b, o->a == 2 ? X86_XOR : X86_OR, true, X86_RAX, X86_RCX);
	} else if (o->a == 2) { /* fabs */
		x86_mov_imm(b, X86_RDX, ~sign);
		x86_alu_rr(b, X86_AND, true, X86_RAX, X86_RDX);
	}
	fset_gpr(c, d->rd, X86_RAX);
	fs_dirty(c);
	return true;
}

/* fmv.x.w / fmv.x.d and fmv.w.x / fmv.d.x */
static bool gen_mv(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	if (o->kind == A_MVXF) {
		if (!d->rd)
			return true;
		unsigned h = jit_gen_freg(c->g, d->rs1);
		if (h && o->dbl) {
			x86_movq_rx(b, X86_RAX, h);
		} else if (h) {
			x86_movd_rx(b, X86_RAX, h);
			x86_extend_rr(b, 4, true, X86_RAX, X86_RAX);
		} else {
			x86_load(b, o->dbl ? 8 : 4, !o->dbl, X86_RAX, X86_RBX, FO(d->rs1));
		}
		jit_gen_stx(c->g, d->rd, X86_RAX);
		return true;
	}
	jit_gen_ldx(c->g, X86_RAX, d->rs1);
	if (!o->dbl) {
		x86_mov_rr(b, false, X86_RAX, X86_RAX);
		x86_mov_imm(b, X86_RCX, 0xffffffff00000000ull);
		x86_alu_rr(b, X86_OR, true, X86_RAX, X86_RCX);
	}
	fset_gpr(c, d->rd, X86_RAX);
	fs_dirty(c);
	return true;
}

/* feq/flt/fle: ordered operands only (NaNs decide flags in the helper) */
static bool gen_cmp(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	if (!o->dbl) {
		boxed(c, d->rs1);
		boxed(c, d->rs2);
	}
	unsigned s1 = fsrc(c, 0, d->rs1), h2 = jit_gen_freg(c->g, d->rs2);
	if (h2)
		x86_ucomis(b, o->dbl, s1, h2);
	else
		x86_ucomis_rm(b, o->dbl, s1, X86_RBX, FO(d->rs2));
	to_slow(c, X86_CC_P);
	if (d->rd) {
		x86_setcc(b, o->a, X86_RAX);
		x86_extend_rr(b, 1, false, X86_RAX, X86_RAX);
		jit_gen_stx(c->g, d->rd, X86_RAX);
	}
	return true;
}

/* fmin/fmax: ordered operands only; equal ones (+0/-0) pick by sign bit */
static bool gen_minmax(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	bool dbl = o->dbl, max = o->a;
	if (!dbl) {
		boxed(c, d->rs1);
		boxed(c, d->rs2);
	}
	fget_gpr(c, X86_RAX, d->rs1);
	fget_gpr(c, X86_RDX, d->rs2);
	x86_movq_xr(b, 0, X86_RAX);
	x86_movq_xr(b, 1, X86_RDX);
	x86_ucomis(b, dbl, 0, 1);
	to_slow(c, X86_CC_P);
	uint8_t *eq = x86_jcc(b, X86_CC_E);
	x86_cmov(b, max ? X86_CC_B : X86_CC_A, true, X86_RAX, X86_RDX);
	uint8_t *done = x86_jmp(b);
	x86_patch_rel32(eq, b->p);
	x86_alu_rr(b, max ? X86_AND : X86_OR, true, X86_RAX, X86_RDX);
	x86_patch_rel32(done, b->p);
	fset_gpr(c, d->rd, X86_RAX);
	fs_dirty(c);
	return true;
}

/* fcvt.s.d (rounds) and fcvt.d.s (exact) */
static bool gen_fcvt_ff(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	if (o->kind == A_S_D) {
		if (!rm_rne(c))
			return false;
		unsigned h = jit_gen_freg(c->g, d->rs1);
		if (h)
			x86_cvts2s(b, true, 0, h);
		else
			x86_cvts2s_rm(b, true, 0, X86_RBX, FO(d->rs1));
		result_check(c, false, true, true, false);
		x86_movd_rx(b, X86_RAX, 0);
		x86_mov_imm(b, X86_RCX, 0xffffffff00000000ull);
		x86_alu_rr(b, X86_OR, true, X86_RAX, X86_RCX);
		fset_gpr(c, d->rd, X86_RAX);
	} else {
		rm_valid(c);
		boxed(c, d->rs1);
		unsigned h = jit_gen_freg(c->g, d->rs1);
		if (h)
			x86_cvts2s(b, false, 0, h);
		else
			x86_cvts2s_rm(b, false, 0, X86_RBX, FO(d->rs1));
		x86_ucomis(b, true, 0, 0);
		to_slow(c, X86_CC_P); /* NaN: canonical, NV for sNaN */
		fset(c, d->rd, 0);
	}
	fs_dirty(c);
	return true;
}

/*
 * Float to integer (type in rs2: w, wu, l, lu), static RNE/RTZ/RDN/RUP
 * (RDN/RUP need SSE4.1: glibc's floor and ceil use them) or dynamic with
 * frm = RNE. With SSE4.1, roundsd gives the integer x rounds to (PE
 * suppressed) and a truncating conversion converts it exactly; NX: that
 * integer differs from x. Without, the host's conversion rounds (RNE or
 * RTZ) and NX compares its result converted back (exact: either x was
 * already an integer or |t| < 2^p). Out of range and NaN (the host's
 * 1 << 63) leave for the helper's saturation and NV.
 */
static bool gen_toint(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	bool dbl = o->dbl, trunc = d->rm == RTZ;
	unsigned type = d->rs2;
	/* MXCSR's mode: dynamic ones, and static RNE without roundsd */
	if ((d->rm == DYN || (d->rm == RNE && !host_round())) && !rm_rne(c))
		return false;
	static const uint8_t rc[4] = { 0, 3, 1, 2 }; /* RISC-V rm -> roundsd's mode */
	unsigned mode = d->rm == DYN ? 4 : rc[d->rm]; /* 4: MXCSR.RC */
	if (!dbl)
		boxed(c, d->rs1);
	unsigned s1 = jit_gen_freg(c->g, d->rs1);
	if (!s1) {
		x86_movs_load(b, dbl, 0, X86_RBX, FO(d->rs1));
		s1 = 0;
	}
	/* an out-of-range result is NV only, so the host conversion must not
	 * set PE before the slow path (inexact tracking): round to an integer
	 * first with PE suppressed, then convert exactly; without SSE4.1,
	 * convert only while not tracking */
	bool rnd = host_round();
	if (rnd) {
		x86_rounds(b, dbl, 1, s1, (uint8_t)(mode | 8));
		x86_cvts2si(b, dbl, true, X86_RAX, 1);
	} else {
		x86_alu_mi(b, X86_CMP, false, X86_RBX, OFF(jit_nx), 0);
		to_slow(c, X86_CC_NE);
		x86_cvts2si(b, dbl, trunc, X86_RAX, s1);
	}
	switch (type) {
	case 0: /* w: fits in int32 */
		x86_extend_rr(b, 4, true, X86_RCX, X86_RAX);
		x86_alu_rr(b, X86_CMP, true, X86_RCX, X86_RAX);
		to_slow(c, X86_CC_NE);
		break;
	case 1: /* wu: 0 <= t < 2^32 */
		x86_mov_rr(b, true, X86_RCX, X86_RAX);
		x86_shift_ri(b, X86_SHR, true, X86_RCX, 32);
		to_slow(c, X86_CC_NE);
		break;
	case 2: /* l: not 1 << 63 */
		x86_alu_ri(b, X86_CMP, true, X86_RAX, 1);
		to_slow(c, X86_CC_O);
		break;
	default: /* lu: 0 <= t < 2^63 */
		x86_test_rr(b, true, X86_RAX, X86_RAX);
		to_slow(c, X86_CC_S);
		break;
	}
	if (!rnd)
		x86_cvtsi2s(b, dbl, 1, X86_RAX);
	x86_ucomis(b, dbl, s1, 1); /* x against the integer it rounds to */
	uint8_t *exact = x86_jcc(b, X86_CC_E);
	x86_alu_mi(b, X86_OR, false, X86_RBX, OFF(fflags), 1);
	x86_alu_mi(b, X86_OR, true, X86_RBX, OFF(mstatus), (int32_t)MS_FS);
	x86_patch_rel32(exact, b->p);
	if (d->rd) {
		if (type == 1)
			x86_extend_rr(b, 4, true, X86_RAX, X86_RAX);
		jit_gen_stx(c->g, d->rd, X86_RAX);
	}
	return true;
}

/* Integer to float (type in rs2): exact (|v| < 2^p) values only. */
static bool gen_fromint(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	bool dbl = o->dbl;
	unsigned type = d->rs2;
	unsigned p = dbl ? 53 : 24;
	rm_valid(c);
	jit_gen_ldx(c->g, X86_RAX, d->rs1);
	if (type == 0)
		x86_extend_rr(b, 4, true, X86_RAX, X86_RAX);
	else if (type == 1)
		x86_mov_rr(b, false, X86_RAX, X86_RAX);
	if (type == 0 || type == 2) { /* signed: -2^p <= v < 2^p */
		if (!(type == 0 && dbl)) {
			x86_mov_rr(b, true, X86_RCX, X86_RAX);
			x86_shift_ri(b, X86_SAR, true, X86_RCX, (uint8_t)p);
			x86_alu_ri(b, X86_ADD, true, X86_RCX, 1);
			x86_alu_ri(b, X86_CMP, true, X86_RCX, 1);
			to_slow(c, X86_CC_A);
		}
	} else if (!(type == 1 && dbl)) { /* unsigned: v < 2^p */
		x86_mov_rr(b, true, X86_RCX, X86_RAX);
		x86_shift_ri(b, X86_SHR, true, X86_RCX, (uint8_t)p);
		to_slow(c, X86_CC_NE);
	}
	x86_cvtsi2s(b, dbl, 0, X86_RAX);
	if (dbl) {
		fset(c, d->rd, 0);
	} else {
		x86_movd_rx(b, X86_RAX, 0);
		x86_mov_imm(b, X86_RCX, 0xffffffff00000000ull);
		x86_alu_rr(b, X86_OR, true, X86_RAX, X86_RCX);
		fset_gpr(c, d->rd, X86_RAX);
	}
	fs_dirty(c);
	return true;
}

/*
 * fclass: the class's bit index is k = 0..3 (infinity, normal, subnormal,
 * zero) for negative values and 7 - k for positive ones; k is the sum of
 * three tests on the encoding without its sign (finite, exponent zero,
 * all zero). NaNs (and unboxed singles, which read as the canonical
 * NaN) are left to the handler.
 */
static bool gen_fclass(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	bool dbl = o->dbl;
	if (!dbl)
		boxed(c, d->rs1);
	fget_gpr(c, X86_RCX, d->rs1);
	if (!dbl) /* the single where a double's sign, exponent and fraction start */
		x86_shift_ri(b, X86_SHL, true, X86_RCX, 32);
	x86_mov_rr(b, true, X86_RAX, X86_RCX);
	x86_shift_ri(b, X86_SHR, true, X86_RAX, 63);
	x86_alu_rr(b, X86_ADD, true, X86_RCX, X86_RCX); /* the sign out */
	x86_mov_imm(b, X86_RDX, dbl ? 0xffe0000000000000ull : 0xff00000000000000ull);
	x86_alu_rr(b, X86_CMP, true, X86_RCX, X86_RDX);
	to_slow(c, X86_CC_A); /* NaN */
	x86_setcc(b, X86_CC_B, X86_RDX); /* finite */
	x86_extend_rr(b, 1, false, X86_RDX, X86_RDX);
	x86_alu_ri(b, X86_CMP, true, X86_RCX, 1);
	x86_alu_ri(b, X86_ADC, false, X86_RDX, 0); /* zero */
	x86_shift_ri(b, X86_SHR, true, X86_RCX, dbl ? 53 : 56);
	x86_alu_ri(b, X86_CMP, false, X86_RCX, 1);
	x86_alu_ri(b, X86_ADC, false, X86_RDX, 0); /* exponent zero */
	x86_alu_ri(b, X86_SUB, false, X86_RAX, 1); /* positive: 7 - k = k ^ 7 */
	x86_alu_ri(b, X86_AND, false, X86_RAX, 7);
	x86_alu_rr(b, X86_XOR, false, X86_RAX, X86_RDX);
	x86_mov_rr(b, false, X86_RCX, X86_RAX);
	x86_mov_imm(b, X86_RAX, 1);
	x86_shift_rcl(b, X86_SHL, false, X86_RAX);
	if (d->rd)
		jit_gen_stx(c->g, d->rd, X86_RAX);
	return true;
}

/*
 * csrrw/csrrs/csrrc(i) on fflags (1), frm (2), fcsr (3), as csr.c does
 * them: FS Off is illegal (the helper raises it); set/clear with x0 or a
 * zero immediate do not write; a write marks FS dirty.
 */
static bool gen_csr(struct fctx *c, const struct fop *o)
{
	struct x86_buf *b = c->b;
	const struct insn *d = c->d;
	unsigned csr = d->csr;
	bool write = o->a == 0 || d->rs1 != 0;
	/* fflags read (or set/clear): NX |= PE first, if tracking */
	if (csr != 2 && (d->rd || o->a != 0))
		call_if_tracking(b, jit_gen_fp_consts(c->g), FPS_FLUSH, X86_RCX);
	if (o->dbl)
		x86_mov_imm(b, X86_RCX, d->rs1);
	else
		jit_gen_ldx(c->g, X86_RCX, d->rs1);
	x86_load(b, 4, false, X86_RAX, X86_RBX, csr == 1 ? OFF(fflags) : OFF(frm));
	if (csr == 3) {
		x86_shift_ri(b, X86_SHL, false, X86_RAX, 5);
		x86_alu_rm(b, X86_OR, false, X86_RAX, X86_RBX, OFF(fflags));
	}
	if (write) {
		if (o->a == 0) {
			x86_mov_rr(b, true, X86_RDX, X86_RCX);
		} else if (o->a == 1) {
			x86_mov_rr(b, true, X86_RDX, X86_RAX);
			x86_alu_rr(b, X86_OR, true, X86_RDX, X86_RCX);
		} else {
			x86_mov_rr(b, true, X86_RDX, X86_RCX);
			x86_unary(b, X86_NOT, true, X86_RDX);
			x86_alu_rr(b, X86_AND, true, X86_RDX, X86_RAX);
		}
		if (csr != 2) {
			x86_mov_rr(b, false, X86_RCX, X86_RDX);
			x86_alu_ri(b, X86_AND, false, X86_RCX, 31);
			x86_store(b, 4, X86_RCX, X86_RBX, OFF(fflags));
			/* what PE holds is from before the write: stop tracking
			 * (the next rounding op starts it anew if NX is clear) */
			x86_store_imm(b, 4, X86_RBX, OFF(jit_nx), 0);
		}
		if (csr != 1) {
			if (csr == 3)
				x86_shift_ri(b, X86_SHR, false, X86_RDX, 5);
			x86_alu_ri(b, X86_AND, false, X86_RDX, 7);
			x86_store(b, 4, X86_RDX, X86_RBX, OFF(frm));
		}
		fs_dirty(c);
		/* the block goes on: what the write may have undone is checked
		 * again by the next op that needs it */
		*c->st &= ~jit_fp_undoes(d);
	}
	if (d->rd)
		jit_gen_stx(c->g, d->rd, X86_RAX);
	return true;
}

static const struct fop *fop_of(insn_fn fn)
{
	for (unsigned i = 0; i < sizeof(fops) / sizeof(fops[0]); i++)
		if (fops[i].fn == fn)
			return &fops[i];
	return NULL;
}

/* The op's table entry when it has native code (else NULL): decided from
 * the insn alone, before anything is emitted. */
static const struct fop *native_op(const struct insn *d)
{
	const struct fop *o = fop_of(d->fn);
	if (!o)
		return NULL;
	bool fma_ok = o->kind != A_FMA || host_fma();
	bool rm_ok = d->rm == DYN || d->rm == RNE ||
		     (o->kind == A_TOINT && (d->rm == RTZ || (rm_directed(d) && host_round()))) ||
		     (o->kind == A_ARITH && rm_directed(d) && host_evex()) ||
		     (o->kind != A_ARITH && o->kind != A_FMA && o->kind != A_S_D &&
		      o->kind != A_TOINT);
	if (!fma_ok || !rm_ok || (o->kind == A_CSR && (d->csr < 1 || d->csr > 3)))
		return NULL;
	return o;
}

bool jit_fp_native(const struct insn *d, uint32_t *fregs, uint32_t *fwritten)
{
	const struct fop *o = native_op(d);
	if (!o)
		return false;
	uint32_t m = 0;
	switch (o->kind) {
	case A_FMA: m = 1u << d->rs3; /* fall through */
	case A_ARITH:
	case A_SGNJ:
	case A_MINMAX: m |= 1u << d->rd | 1u << d->rs1 | 1u << d->rs2; break;
	case A_CMP: m = 1u << d->rs1 | 1u << d->rs2; break;
	case A_MVXF:
	case A_CLASS:
	case A_TOINT: m = 1u << d->rs1; break;
	case A_MVFX:
	case A_FROMINT: m = 1u << d->rd; break;
	case A_S_D:
	case A_D_S: m = 1u << d->rd | 1u << d->rs1; break;
	default: break; /* A_CSR */
	}
	if (o->kind == A_ARITH && o->a == X86_SQRT) /* rs2 is not an operand */
		m = 1u << d->rd | 1u << d->rs1;
	*fregs = m;
	*fwritten = o->kind == A_CMP || o->kind == A_MVXF || o->kind == A_TOINT ||
				    o->kind == A_CSR || o->kind == A_CLASS ? 0 : 1u << d->rd;
	return true;
}

bool jit_fp_csr(const struct insn *d)
{
	const struct fop *o = native_op(d);
	return o && o->kind == A_CSR;
}

uint32_t jit_fp_undoes(const struct insn *d)
{
	const struct fop *o = native_op(d);
	if (o && o->kind != A_CSR) { /* a change of MXCSR.RC undoes the other mode */
		uint32_t need = jit_fp_needs(d);
		return (need & FPB_RM ? (uint32_t)FPB_RC0 : 0) | (need & FPB_RC0 ? (uint32_t)FPB_RM : 0);
	}
	if (!o || (o->a != 0 && d->rs1 == 0))
		return 0; /* not a native CSR write (set/clear with x0 or 0 only read) */
	return (d->csr != 2 ? (uint32_t)FPB_NX : 0) | (d->csr != 1 ? (uint32_t)FPB_RM : 0);
}

uint32_t jit_fp_needs(const struct insn *d)
{
	if (d->fn == op_fld || d->fn == op_flw)
		return FPB_FS_OK | FPB_DIRTY;
	if (d->fn == op_fsd || d->fn == op_fsw)
		return FPB_FS_OK;
	const struct fop *o = native_op(d);
	if (!o || o->kind == A_CSR) /* its own guard; writes: see jit_fp_undoes */
		return 0;
	bool rounds = o->kind == A_ARITH || o->kind == A_FMA || o->kind == A_S_D;
	uint32_t m = FPB_FS_OK;
	if (o->kind != A_MVXF && o->kind != A_CMP && o->kind != A_TOINT && o->kind != A_CLASS)
		m |= FPB_DIRTY;
	if (d->rm == DYN && (rounds || o->kind == A_TOINT))
		m |= FPB_RM;
	if (d->rm == RNE && (rounds || (o->kind == A_TOINT && !host_round())))
		m |= FPB_RC0;
	if (rounds)
		m |= FPB_NX;
	return m;
}

unsigned jit_fp_prologue(struct gen *g, uint32_t need, uint8_t **fail)
{
	struct x86_buf *b = jit_gen_buf(g);
	uint32_t *st = jit_gen_fpstate(g);
	unsigned n = 0;
	if (need & FPB_NX)
		nx_arm(g, st); /* tracking while NX is clear: no fail path */
	uint8_t *j = jit_fp_fs_guard(b, st, need & FPB_DIRTY);
	if (j)
		fail[n++] = j;
	if ((need & FPB_RM) && (need & FPB_RC0))
		abort(); /* cannot happen: each undoes the other (jit_fp_undoes) */
	const uint8_t *rcset = jit_gen_fp_consts(g) + FPS_RCSET;
	if ((need & FPB_RM) && !(*st & FPB_RM)) { /* MXCSR.RC = frm, or leave */
		x86_load(b, 4, false, X86_RAX, X86_RBX, OFF(frm));
		x86_alu_rm(b, X86_CMP, false, X86_RAX, X86_RBX, OFF(jit_rc));
		uint8_t *same = x86_jcc(b, X86_CC_E);
		x86_alu_ri(b, X86_CMP, false, X86_RAX, RUP);
		fail[n++] = x86_jcc(b, X86_CC_A);
		x86_call(b, rcset, X86_RCX);
		x86_patch_rel32(same, b->p);
	}
	if ((need & FPB_RC0) && !(*st & FPB_RC0)) { /* MXCSR.RC = RNE */
		x86_alu_mi(b, X86_CMP, false, X86_RBX, OFF(jit_rc), 0);
		uint8_t *rne = x86_jcc(b, X86_CC_E);
		x86_alu_rr(b, X86_XOR, false, X86_RAX, X86_RAX);
		x86_call(b, rcset, X86_RCX);
		x86_patch_rel32(rne, b->p);
	}
	*st |= need;
	return n;
}

bool jit_fp_gen(struct gen *g, const struct insn *d, uint64_t pc)
{
	/* Decide first whether the op is native: nothing may be emitted for a
	 * helper-only op (the caller emits the call). */
	const struct fop *o = native_op(d);
	if (!o)
		return false;
	struct fctx c = { .g = g, .b = jit_gen_buf(g), .d = d, .st = jit_gen_fpstate(g) };
	if (jit_fp_needs(d) & FPB_NX)
		nx_arm(g, c.st);
	/* ops that write an f register need FS == Dirty: see jit_fp_fs_guard */
	fs_check(&c, o->kind != A_MVXF && o->kind != A_CMP && o->kind != A_TOINT &&
			     o->kind != A_CSR && o->kind != A_CLASS);
	bool ok;
	switch (o->kind) {
	case A_ARITH:
	case A_FMA: ok = gen_arith(&c, o); break;
	case A_SGNJ: ok = gen_sgnj(&c, o); break;
	case A_MVXF:
	case A_MVFX: ok = gen_mv(&c, o); break;
	case A_CMP: ok = gen_cmp(&c, o); break;
	case A_MINMAX: ok = gen_minmax(&c, o); break;
	case A_S_D:
	case A_D_S: ok = gen_fcvt_ff(&c, o); break;
	case A_TOINT: ok = gen_toint(&c, o); break;
	case A_CSR: ok = gen_csr(&c, o); break;
	case A_CLASS: ok = gen_fclass(&c, o); break;
	default: ok = gen_fromint(&c, o); break;
	}
	if (!ok)
		abort(); /* cannot happen: the checks above match the generators' */
	jit_gen_slow_path(g, d, pc, c.slow, c.n, c.leave, c.nleave, c.pre, c.resume);
	return true;
}

/* RCX = f[r]'s bits shifted left once (the sign out; a single's in the
 * upper half), ZF set when that is zero: f[r] is +-0 */
static void zero_test(struct fctx *c, bool dbl, unsigned r)
{
	fget_gpr(c, X86_RCX, r);
	if (!dbl)
		x86_shift_ri(c->b, X86_SHL, true, X86_RCX, 32);
	x86_alu_rr(c->b, X86_ADD, true, X86_RCX, X86_RCX);
}

/*
 * The out-of-line half of fmul/fdiv's result check (a result with the
 * top or bottom exponents in XMM0, or in place: see place_ok): a +-0 result is exact and raises no
 * flag when it comes from a zero factor (fmul: the other one is then
 * finite, else the result is NaN) or from a zero dividend or an infinite
 * divisor (fdiv). Then resume the fast path with it; else (underflow to
 * zero, tiny or huge results, NaN) fall through to the handler. Matrix
 * code multiplies zeros often enough for the handler's cost to show.
 */
void jit_fp_pre(struct gen *g, const struct insn *d, uint8_t *resume)
{
	const struct fop *o = fop_of(d->fn);
	struct fctx c = { .g = g, .b = jit_gen_buf(g), .d = d };
	struct x86_buf *b = c.b;
	bool dbl = o->dbl;
	unsigned dst = placed(g, d, o); /* the result: XMM0 or in place */
	if (dbl)
		x86_movq_rx(b, X86_RAX, dst);
	else
		x86_movd_rx(b, X86_RAX, dst);
	x86_alu_rr(b, X86_ADD, dbl, X86_RAX, X86_RAX);
	uint8_t *not_zero = x86_jcc(b, X86_CC_NE);
	zero_test(&c, dbl, d->rs1);
	x86_patch_rel32(x86_jcc(b, X86_CC_E), resume);
	zero_test(&c, dbl, d->rs2);
	if (o->a == X86_DIVS) { /* the divisor: +-inf, shifted as zero_test did */
		x86_mov_imm(b, X86_RAX, dbl ? 0xffe0000000000000ull : 0xff00000000000000ull);
		x86_alu_rr(b, X86_CMP, true, X86_RCX, X86_RAX);
	}
	x86_patch_rel32(x86_jcc(b, X86_CC_E), resume);
	x86_patch_rel32(not_zero, b->p);
}
