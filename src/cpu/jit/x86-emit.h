/*
 * x86-emit.h - a small x86-64 machine-code emitter for the JIT.
 *
 * One inline function per instruction form, in the order of the Intel
 * manual's encodings: a REX prefix when needed, the opcode, a ModRM (and
 * SIB/displacement) for the operands. Registers are host register numbers
 * (X86_RAX..X86_R15, XMM0..XMM15 as 0..15). Memory operands are
 * [base + disp32] only: the JIT addresses guest state off one base register
 * and never needs an index.
 *
 * A struct x86_buf never overruns: writes past the end set overflow and are
 * dropped, and the translator checks overflow once per block (then flushes
 * the code cache and retranslates).
 *
 * Threading: none; a buffer belongs to the translating thread.
 */
#ifndef RINGVM_X86_EMIT_H
#define RINGVM_X86_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum x86_reg {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
enum x86_cc {
	X86_CC_O, X86_CC_NO, X86_CC_B, X86_CC_AE, X86_CC_E, X86_CC_NE, X86_CC_BE, X86_CC_A,
	X86_CC_S, X86_CC_NS, X86_CC_P, X86_CC_NP, X86_CC_L, X86_CC_GE, X86_CC_LE, X86_CC_G,
};

/* Group-1 ALU operations: the /n of 81/83 and (n << 3) | 1 as r/m,r opcode. */
enum x86_alu { X86_ADD = 0, X86_OR = 1, X86_ADC = 2, X86_AND = 4, X86_SUB = 5, X86_XOR = 6,
	       X86_CMP = 7 };

/* Group-2 shifts: the /n of C1/D3. */
enum x86_shift { X86_ROL = 0, X86_ROR = 1, X86_SHL = 4, X86_SHR = 5, X86_SAR = 7 };

/* SSE scalar arithmetic: the second opcode byte after 0F. */
enum x86_sse { X86_SQRT = 0x51, X86_ADDS = 0x58, X86_MULS = 0x59, X86_SUBS = 0x5c,
	       X86_MINS = 0x5d, X86_DIVS = 0x5e, X86_MAXS = 0x5f };

struct x86_buf {
	uint8_t *start, *p, *end;
	bool overflow;
};

static inline void x86_init(struct x86_buf *b, void *mem, size_t len)
{
	b->start = b->p = mem;
	b->end = b->start + len;
	b->overflow = false;
}

static inline size_t x86_len(const struct x86_buf *b) { return (size_t)(b->p - b->start); }

static inline void x86_byte(struct x86_buf *b, uint8_t v)
{
	if (b->p < b->end)
		*b->p++ = v;
	else
		b->overflow = true;
}

static inline void x86_u32(struct x86_buf *b, uint32_t v)
{
	if (b->end - b->p >= 4) { /* one store (little-endian host) */
		memcpy(b->p, &v, 4);
		b->p += 4;
		return;
	}
	for (int i = 0; i < 4; i++)
		x86_byte(b, (uint8_t)(v >> (8 * i)));
}

/* n raw bytes (data placed in the code buffer) */
static inline void x86_bytes(struct x86_buf *b, const void *src, size_t n)
{
	if ((size_t)(b->end - b->p) >= n) {
		memcpy(b->p, src, n);
		b->p += n;
	} else {
		b->overflow = true;
	}
}

static inline void x86_u64(struct x86_buf *b, uint64_t v)
{
	x86_u32(b, (uint32_t)v);
	x86_u32(b, (uint32_t)(v >> 32));
}

/* REX: W = 64-bit operand, R extends ModRM.reg, B extends ModRM.rm/base.
 * force: emit even when no bit is set (byte access to SPL/BPL/SIL/DIL). */
static inline void x86_rex(struct x86_buf *b, bool w, unsigned reg, unsigned rm, bool force)
{
	uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);
	if (rex != 0x40 || force)
		x86_byte(b, rex);
}

/* ModRM for register-direct operands. */
static inline void x86_modrm_rr(struct x86_buf *b, unsigned reg, unsigned rm)
{
	x86_byte(b, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* ModRM (+SIB, +disp) for [base + disp]. RSP/R12 need a SIB; RBP/R13 have
 * no disp-less form. */
static inline void x86_modrm_mem(struct x86_buf *b, unsigned reg, unsigned base, int32_t disp)
{
	unsigned mod = (disp == 0 && (base & 7) != X86_RBP) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;
	x86_byte(b, (uint8_t)((mod << 6) | ((reg & 7) << 3) | (base & 7)));
	if ((base & 7) == X86_RSP)
		x86_byte(b, 0x24);
	if (mod == 1)
		x86_byte(b, (uint8_t)disp);
	else if (mod == 2)
		x86_u32(b, (uint32_t)disp);
}

/* ---- [base + index + disp] operands (index: any register but RSP) ------ */

/* REX with X (extends SIB.index); B extends SIB.base. */
static inline void x86_rex_ix(struct x86_buf *b, bool w, unsigned reg, unsigned index,
			      unsigned base, bool force)
{
	uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) |
		      ((base & 8) ? 1 : 0);
	if (rex != 0x40 || force)
		x86_byte(b, rex);
}

/* ModRM + SIB (scale 1) + disp for [base + index + disp]. */
static inline void x86_modrm_ix(struct x86_buf *b, unsigned reg, unsigned base, unsigned index,
				int32_t disp)
{
	unsigned mod = (disp == 0 && (base & 7) != X86_RBP) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;
	x86_byte(b, (uint8_t)((mod << 6) | ((reg & 7) << 3) | 4));
	x86_byte(b, (uint8_t)(((index & 7) << 3) | (base & 7)));
	if (mod == 1)
		x86_byte(b, (uint8_t)disp);
	else if (mod == 2)
		x86_u32(b, (uint32_t)disp);
}

/* x86_load from [base + index + disp] */
static inline void x86_load_ix(struct x86_buf *b, unsigned size, bool sign, unsigned dst,
			       unsigned base, unsigned index, int32_t disp)
{
	x86_rex_ix(b, size == 8 || sign, dst, index, base, false);
	if (size < 4) {
		x86_byte(b, 0x0f);
		x86_byte(b, (uint8_t)((sign ? 0xbe : 0xb6) + (size == 2)));
	} else {
		x86_byte(b, size == 4 && sign ? 0x63 : 0x8b);
	}
	x86_modrm_ix(b, dst, base, index, disp);
}

/* x86_store to [base + index + disp] */
static inline void x86_store_ix(struct x86_buf *b, unsigned size, unsigned src, unsigned base,
				unsigned index, int32_t disp)
{
	if (size == 2)
		x86_byte(b, 0x66);
	x86_rex_ix(b, size == 8, src, index, base, size == 1 && src >= 4 && src < 8);
	x86_byte(b, size == 1 ? 0x88 : 0x89);
	x86_modrm_ix(b, src, base, index, disp);
}

/* op dst, [base + index + disp] */
static inline void x86_alu_rm_ix(struct x86_buf *b, enum x86_alu op, bool w, unsigned dst,
				 unsigned base, unsigned index, int32_t disp)
{
	x86_rex_ix(b, w, dst, index, base, false);
	x86_byte(b, (uint8_t)((op << 3) | 3));
	x86_modrm_ix(b, dst, base, index, disp);
}

/* movsd/movss xmm, [base + index + disp] (store: the other way) */
static inline void x86_movs_ix(struct x86_buf *b, bool store, bool dbl, unsigned xmm,
			       unsigned base, unsigned index, int32_t disp)
{
	x86_byte(b, dbl ? 0xf2 : 0xf3);
	x86_rex_ix(b, false, xmm, index, base, false);
	x86_byte(b, 0x0f);
	x86_byte(b, store ? 0x11 : 0x10);
	x86_modrm_ix(b, xmm, base, index, disp);
}

/* ---- moves ------------------------------------------------------------ */

/* mov dst, src (64-bit, or 32-bit zero-extending when !w) */
static inline void x86_mov_rr(struct x86_buf *b, bool w, unsigned dst, unsigned src)
{
	x86_rex(b, w, src, dst, false);
	x86_byte(b, 0x89);
	x86_modrm_rr(b, src, dst);
}

/* Load a 64-bit constant with the shortest exact form. */
static inline void x86_mov_imm(struct x86_buf *b, unsigned dst, uint64_t imm)
{
	if (imm == 0) { /* xor r32, r32 (clobbers flags) */
		x86_rex(b, false, dst, dst, false);
		x86_byte(b, 0x31);
		x86_modrm_rr(b, dst, dst);
	} else if (imm <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
		x86_rex(b, false, 0, dst, false);
		x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
		x86_u32(b, (uint32_t)imm);
	} else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
		x86_rex(b, true, 0, dst, false); /* mov r/m64, simm32 */
		x86_byte(b, 0xc7);
		x86_modrm_rr(b, 0, dst);
		x86_u32(b, (uint32_t)imm);
	} else {
		x86_rex(b, true, 0, dst, false); /* movabs */
		x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
		x86_u64(b, imm);
	}
}

/* movabs dst, imm64 whatever imm is: returns the imm64 field, which the
 * JIT patches later (memcpy 8 bytes; it may be unaligned). */
static inline uint8_t *x86_mov_imm64(struct x86_buf *b, unsigned dst, uint64_t imm)
{
	x86_rex(b, true, 0, dst, false);
	x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
	uint8_t *at = b->p;
	x86_u64(b, imm);
	return at;
}

/*
 * Load size bytes (1, 2, 4, 8) from [base+disp] into dst, zero- or
 * sign-extended to 64 bits.
 */
static inline void x86_load(struct x86_buf *b, unsigned size, bool sign, unsigned dst,
			    unsigned base, int32_t disp)
{
	switch (size) {
	case 1:
	case 2:
		x86_rex(b, sign, dst, base, false);
		x86_byte(b, 0x0f);
		x86_byte(b, (uint8_t)((sign ? 0xbe : 0xb6) + (size == 2)));
		break;
	case 4:
		x86_rex(b, sign, dst, base, false);
		x86_byte(b, sign ? 0x63 : 0x8b); /* movsxd / mov r32 */
		break;
	default:
		x86_rex(b, true, dst, base, false);
		x86_byte(b, 0x8b);
		break;
	}
	x86_modrm_mem(b, dst, base, disp);
}

/* Store the low size bytes of src to [base+disp]. */
static inline void x86_store(struct x86_buf *b, unsigned size, unsigned src, unsigned base,
			     int32_t disp)
{
	if (size == 2)
		x86_byte(b, 0x66);
	x86_rex(b, size == 8, src, base, size == 1 && src >= 4 && src < 8);
	x86_byte(b, size == 1 ? 0x88 : 0x89);
	x86_modrm_mem(b, src, base, disp);
}

/* Store a sign-extended imm32 as 4 or 8 bytes to [base+disp]. */
static inline void x86_store_imm(struct x86_buf *b, unsigned size, unsigned base, int32_t disp,
				 int32_t imm)
{
	x86_rex(b, size == 8, 0, base, false);
	x86_byte(b, 0xc7);
	x86_modrm_mem(b, 0, base, disp);
	x86_u32(b, (uint32_t)imm);
}

/* lea dst, [base + disp] */
static inline void x86_lea(struct x86_buf *b, unsigned dst, unsigned base, int32_t disp)
{
	x86_rex(b, true, dst, base, false);
	x86_byte(b, 0x8d);
	x86_modrm_mem(b, dst, base, disp);
}

/* lea dst, [rip + rel32]: returns the rel32 field (x86_patch_rel32 points
 * it at data, as the field ends the instruction) */
static inline uint8_t *x86_lea_rip(struct x86_buf *b, unsigned dst)
{
	x86_rex(b, true, dst, 0, false);
	x86_byte(b, 0x8d);
	x86_byte(b, (uint8_t)(((dst & 7) << 3) | 5));
	uint8_t *at = b->p;
	x86_u32(b, 0);
	return at;
}

/* movsxd dst, src32 / movzx / movsx from a register's low 8 or 16 bits */
static inline void x86_extend_rr(struct x86_buf *b, unsigned size, bool sign, unsigned dst,
				 unsigned src)
{
	if (size == 4 && sign) {
		x86_rex(b, true, dst, src, false);
		x86_byte(b, 0x63);
	} else if (size == 4) {
		x86_mov_rr(b, false, dst, src);
		return;
	} else {
		x86_rex(b, sign, dst, src, size == 1 && src >= 4 && src < 8);
		x86_byte(b, 0x0f);
		x86_byte(b, (uint8_t)((sign ? 0xbe : 0xb6) + (size == 2)));
	}
	x86_modrm_rr(b, dst, src);
}

/* ---- arithmetic ---------------------------------------------------------- */

/* op dst, src */
static inline void x86_alu_rr(struct x86_buf *b, enum x86_alu op, bool w, unsigned dst,
			      unsigned src)
{
	x86_rex(b, w, src, dst, false);
	x86_byte(b, (uint8_t)((op << 3) | 1));
	x86_modrm_rr(b, src, dst);
}

/* op dst, simm32 (imm8 form when it fits; the short RAX form otherwise) */
static inline void x86_alu_ri(struct x86_buf *b, enum x86_alu op, bool w, unsigned dst,
			      int32_t imm)
{
	x86_rex(b, w, 0, dst, false);
	if (dst == X86_RAX && (imm < -128 || imm > 127)) {
		x86_byte(b, (uint8_t)((op << 3) | 5));
		x86_u32(b, (uint32_t)imm);
	} else if (imm >= -128 && imm <= 127) {
		x86_byte(b, 0x83);
		x86_modrm_rr(b, op, dst);
		x86_byte(b, (uint8_t)imm);
	} else {
		x86_byte(b, 0x81);
		x86_modrm_rr(b, op, dst);
		x86_u32(b, (uint32_t)imm);
	}
}

/* op [base+disp], simm32 (8 or 4 bytes) */
static inline void x86_alu_mi(struct x86_buf *b, enum x86_alu op, bool w, unsigned base,
			      int32_t disp, int32_t imm)
{
	x86_rex(b, w, 0, base, false);
	bool small = imm >= -128 && imm <= 127;
	x86_byte(b, small ? 0x83 : 0x81);
	x86_modrm_mem(b, op, base, disp);
	if (small)
		x86_byte(b, (uint8_t)imm);
	else
		x86_u32(b, (uint32_t)imm);
}

/* op dst, [base+disp] */
static inline void x86_alu_rm(struct x86_buf *b, enum x86_alu op, bool w, unsigned dst,
			      unsigned base, int32_t disp)
{
	x86_rex(b, w, dst, base, false);
	x86_byte(b, (uint8_t)((op << 3) | 3));
	x86_modrm_mem(b, dst, base, disp);
}

/* shift dst by imm (masked by the CPU to 5 or 6 bits) */
static inline void x86_shift_ri(struct x86_buf *b, enum x86_shift op, bool w, unsigned dst,
				uint8_t imm)
{
	x86_rex(b, w, 0, dst, false);
	x86_byte(b, 0xc1);
	x86_modrm_rr(b, op, dst);
	x86_byte(b, imm);
}

/* shift dst by CL */
static inline void x86_shift_rcl(struct x86_buf *b, enum x86_shift op, bool w, unsigned dst)
{
	x86_rex(b, w, 0, dst, false);
	x86_byte(b, 0xd3);
	x86_modrm_rr(b, op, dst);
}

/* imul dst, src (truncated product) */
static inline void x86_imul_rr(struct x86_buf *b, bool w, unsigned dst, unsigned src)
{
	x86_rex(b, w, dst, src, false);
	x86_byte(b, 0x0f);
	x86_byte(b, 0xaf);
	x86_modrm_rr(b, dst, src);
}

/* imul dst, src, simm32 (imm8 form when it fits) */
static inline void x86_imul_rri(struct x86_buf *b, bool w, unsigned dst, unsigned src,
				int32_t imm)
{
	bool small = imm >= -128 && imm <= 127;
	x86_rex(b, w, dst, src, false);
	x86_byte(b, small ? 0x6b : 0x69);
	x86_modrm_rr(b, dst, src);
	if (small)
		x86_byte(b, (uint8_t)imm);
	else
		x86_u32(b, (uint32_t)imm);
}

/* Group-3 unary on a register: 2 not, 3 neg, 4 mul, 5 imul, 6 div, 7 idiv
 * (the last four use RDX:RAX). */
static inline void x86_unary(struct x86_buf *b, unsigned n, bool w, unsigned r)
{
	x86_rex(b, w, 0, r, false);
	x86_byte(b, 0xf7);
	x86_modrm_rr(b, n, r);
}
#define X86_NOT 2
#define X86_NEG 3
#define X86_MUL 4
#define X86_IMUL1 5
#define X86_DIV 6
#define X86_IDIV 7

/* cqo (w) / cdq: sign-extend RAX into RDX */
static inline void x86_cqo(struct x86_buf *b, bool w)
{
	if (w)
		x86_byte(b, 0x48);
	x86_byte(b, 0x99);
}

/* test a, b */
static inline void x86_test_rr(struct x86_buf *b, bool w, unsigned a, unsigned c)
{
	x86_rex(b, w, c, a, false);
	x86_byte(b, 0x85);
	x86_modrm_rr(b, c, a);
}

/* test r32, imm32 */
static inline void x86_test_ri(struct x86_buf *b, unsigned r, uint32_t imm)
{
	if (r == X86_RAX) { /* the short form, as GNU as picks it */
		x86_byte(b, 0xa9);
	} else {
		x86_rex(b, false, 0, r, false);
		x86_byte(b, 0xf7);
		x86_modrm_rr(b, 0, r);
	}
	x86_u32(b, imm);
}

/* setcc dst8 (then movzx to use it as 0/1) */
static inline void x86_setcc(struct x86_buf *b, enum x86_cc cc, unsigned dst)
{
	x86_rex(b, false, 0, dst, dst >= 4 && dst < 8);
	x86_byte(b, 0x0f);
	x86_byte(b, (uint8_t)(0x90 | cc));
	x86_modrm_rr(b, 0, dst);
}

/* cmovcc dst, src */
static inline void x86_cmov(struct x86_buf *b, enum x86_cc cc, bool w, unsigned dst, unsigned src)
{
	x86_rex(b, w, dst, src, false);
	x86_byte(b, 0x0f);
	x86_byte(b, (uint8_t)(0x40 | cc));
	x86_modrm_rr(b, dst, src);
}

/* cmovcc dst, [base+disp] */
static inline void x86_cmov_rm(struct x86_buf *b, enum x86_cc cc, bool w, unsigned dst,
			       unsigned base, int32_t disp)
{
	x86_rex(b, w, dst, base, false);
	x86_byte(b, 0x0f);
	x86_byte(b, (uint8_t)(0x40 | cc));
	x86_modrm_mem(b, dst, base, disp);
}

/* ---- atomics on [base+disp] (the guest's AMOs) ---------------------------- */

/* xchg [base+disp], r (a memory xchg is locked without a prefix) */
static inline void x86_xchg_m(struct x86_buf *b, bool w, unsigned r, unsigned base, int32_t disp)
{
	x86_rex(b, w, r, base, false);
	x86_byte(b, 0x87);
	x86_modrm_mem(b, r, base, disp);
}

/* lock 0f op [base+disp], r (xadd, cmpxchg) */
static inline void x86_lock_0f_m(struct x86_buf *b, uint8_t op, bool w, unsigned r,
				 unsigned base, int32_t disp)
{
	x86_byte(b, 0xf0);
	x86_rex(b, w, r, base, false);
	x86_byte(b, 0x0f);
	x86_byte(b, op);
	x86_modrm_mem(b, r, base, disp);
}

/* lock xadd [base+disp], r: r = the old value */
static inline void x86_lock_xadd_m(struct x86_buf *b, bool w, unsigned r, unsigned base,
				   int32_t disp)
{
	x86_lock_0f_m(b, 0xc1, w, r, base, disp);
}

/* lock cmpxchg [base+disp], r: stores r when [base+disp] == RAX (ZF set),
 * else loads it into RAX */
static inline void x86_lock_cmpxchg_m(struct x86_buf *b, bool w, unsigned r, unsigned base,
				      int32_t disp)
{
	x86_lock_0f_m(b, 0xb1, w, r, base, disp);
}

/* lock op [base+disp], r */
static inline void x86_lock_alu_mr(struct x86_buf *b, enum x86_alu op, bool w, unsigned base,
				   int32_t disp, unsigned r)
{
	x86_byte(b, 0xf0);
	x86_rex(b, w, r, base, false);
	x86_byte(b, (uint8_t)((op << 3) | 1));
	x86_modrm_mem(b, r, base, disp);
}

/* ---- control flow -------------------------------------------------------- */

/* The returned pointer is the rel32 field, for x86_patch_rel32. */
static inline uint8_t *x86_jcc(struct x86_buf *b, enum x86_cc cc)
{
	x86_byte(b, 0x0f);
	x86_byte(b, (uint8_t)(0x80 | cc));
	uint8_t *at = b->p;
	x86_u32(b, 0);
	return at;
}

static inline uint8_t *x86_jmp(struct x86_buf *b)
{
	x86_byte(b, 0xe9);
	uint8_t *at = b->p;
	x86_u32(b, 0);
	return at;
}

/* Point a rel32 field at target (both inside the code buffer). */
static inline void x86_patch_rel32(uint8_t *field, const uint8_t *target)
{
	int32_t rel = (int32_t)(target - (field + 4));
	memcpy(field, &rel, 4);
}

/* call target: rel32 when in reach, else through scratch. */
static inline void x86_call(struct x86_buf *b, const void *target, unsigned scratch)
{
	int64_t rel = (const uint8_t *)target - (b->p + 5);
	if (rel >= INT32_MIN && rel <= INT32_MAX) {
		x86_byte(b, 0xe8);
		x86_u32(b, (uint32_t)rel);
	} else {
		x86_mov_imm(b, scratch, (uint64_t)(uintptr_t)target);
		x86_rex(b, false, 0, scratch, false);
		x86_byte(b, 0xff);
		x86_modrm_rr(b, 2, scratch);
	}
}

/* call reg */
static inline void x86_call_r(struct x86_buf *b, unsigned r)
{
	x86_rex(b, false, 0, r, false);
	x86_byte(b, 0xff);
	x86_modrm_rr(b, 2, r);
}

/* jmp reg */
static inline void x86_jmp_r(struct x86_buf *b, unsigned r)
{
	x86_rex(b, false, 0, r, false);
	x86_byte(b, 0xff);
	x86_modrm_rr(b, 4, r);
}

static inline void x86_ret(struct x86_buf *b) { x86_byte(b, 0xc3); }

/* mfence: a full barrier (RISC-V fence on a TSO host) */
static inline void x86_mfence(struct x86_buf *b)
{
	x86_byte(b, 0x0f);
	x86_byte(b, 0xae);
	x86_byte(b, 0xf0);
}

static inline void x86_push(struct x86_buf *b, unsigned r)
{
	x86_rex(b, false, 0, r, false);
	x86_byte(b, (uint8_t)(0x50 + (r & 7)));
}

static inline void x86_pop(struct x86_buf *b, unsigned r)
{
	x86_rex(b, false, 0, r, false);
	x86_byte(b, (uint8_t)(0x58 + (r & 7)));
}

/* ---- SSE scalar floating point -------------------------------------------- */

/* movq xmm, r64 / movq r64, xmm */
static inline void x86_movq_xr(struct x86_buf *b, unsigned xmm, unsigned r)
{
	x86_byte(b, 0x66);
	x86_rex(b, true, xmm, r, false);
	x86_byte(b, 0x0f);
	x86_byte(b, 0x6e);
	x86_modrm_rr(b, xmm, r);
}

static inline void x86_movq_rx(struct x86_buf *b, unsigned r, unsigned xmm)
{
	x86_byte(b, 0x66);
	x86_rex(b, true, xmm, r, false);
	x86_byte(b, 0x0f);
	x86_byte(b, 0x7e);
	x86_modrm_rr(b, xmm, r);
}

/* addsd/addss ... dst, src (dbl selects F2 = double, else F3 = single) */
static inline void x86_sse_rr(struct x86_buf *b, enum x86_sse op, bool dbl, unsigned dst,
			      unsigned src)
{
	x86_byte(b, dbl ? 0xf2 : 0xf3);
	x86_rex(b, false, dst, src, false);
	x86_byte(b, 0x0f);
	x86_byte(b, op);
	x86_modrm_rr(b, dst, src);
}

/* ucomisd/ucomiss a, c: ZF PF CF as unordered compare */
static inline void x86_ucomis(struct x86_buf *b, bool dbl, unsigned a, unsigned c)
{
	if (dbl)
		x86_byte(b, 0x66);
	x86_rex(b, false, a, c, false);
	x86_byte(b, 0x0f);
	x86_byte(b, 0x2e);
	x86_modrm_rr(b, a, c);
}

/* ---- SSE/AVX scalar memory, conversion and FMA forms (jit-fp.c) ---------- */

/* [pfx] [REX] 0F op ModRM: the legacy SSE shape; rm_mem selects [base+disp]. */
static inline void x86_sse_op(struct x86_buf *b, uint8_t pfx, bool w, uint8_t op, unsigned reg,
			      unsigned rm, bool rm_mem, int32_t disp)
{
	if (pfx)
		x86_byte(b, pfx);
	x86_rex(b, w, reg, rm, false);
	x86_byte(b, 0x0f);
	x86_byte(b, op);
	if (rm_mem)
		x86_modrm_mem(b, reg, rm, disp);
	else
		x86_modrm_rr(b, reg, rm);
}

/* movsd/movss xmm, [base+disp] and [base+disp], xmm */
static inline void x86_movs_load(struct x86_buf *b, bool dbl, unsigned xmm, unsigned base,
				 int32_t disp)
{
	x86_sse_op(b, dbl ? 0xf2 : 0xf3, false, 0x10, xmm, base, true, disp);
}

static inline void x86_movs_store(struct x86_buf *b, bool dbl, unsigned xmm, unsigned base,
				  int32_t disp)
{
	x86_sse_op(b, dbl ? 0xf2 : 0xf3, false, 0x11, xmm, base, true, disp);
}

/* addsd/addss ... xmm, [base+disp] */
static inline void x86_sse_rm(struct x86_buf *b, enum x86_sse op, bool dbl, unsigned xmm,
			      unsigned base, int32_t disp)
{
	x86_sse_op(b, dbl ? 0xf2 : 0xf3, false, op, xmm, base, true, disp);
}

/* ucomisd/ucomiss xmm, [base+disp] */
static inline void x86_ucomis_rm(struct x86_buf *b, bool dbl, unsigned xmm, unsigned base,
				 int32_t disp)
{
	x86_sse_op(b, dbl ? 0x66 : 0, false, 0x2e, xmm, base, true, disp);
}

/* cvtsi2sd/cvtsi2ss xmm, r64 */
static inline void x86_cvtsi2s(struct x86_buf *b, bool dbl, unsigned xmm, unsigned r)
{
	x86_sse_op(b, dbl ? 0xf2 : 0xf3, true, 0x2a, xmm, r, false, 0);
}

/* cvt(t)sd2si/cvt(t)ss2si r64, xmm: trunc rounds toward zero, else MXCSR's
 * mode; NaN and out of range give 1 << 63 */
static inline void x86_cvts2si(struct x86_buf *b, bool dbl, bool trunc, unsigned r, unsigned xmm)
{
	x86_sse_op(b, dbl ? 0xf2 : 0xf3, true, trunc ? 0x2c : 0x2d, r, xmm, false, 0);
}

/* cvtsd2ss (from_dbl) / cvtss2sd xmm, [base+disp] */
static inline void x86_cvts2s_rm(struct x86_buf *b, bool from_dbl, unsigned xmm, unsigned base,
				 int32_t disp)
{
	x86_sse_op(b, from_dbl ? 0xf2 : 0xf3, false, 0x5a, xmm, base, true, disp);
}

/* movapd dst, src: a whole-register copy (no merge with dst's old bits,
 * so it does not wait for them) */
static inline void x86_movapd(struct x86_buf *b, unsigned dst, unsigned src)
{
	x86_sse_op(b, 0x66, false, 0x28, dst, src, false, 0);
}

/* cvtsd2ss (from_dbl) / cvtss2sd dst, src */
static inline void x86_cvts2s(struct x86_buf *b, bool from_dbl, unsigned dst, unsigned src)
{
	x86_sse_op(b, from_dbl ? 0xf2 : 0xf3, false, 0x5a, dst, src, false, 0);
}

/* movd r32, xmm (zero-extends into the 64-bit register) */
static inline void x86_movd_rx(struct x86_buf *b, unsigned r, unsigned xmm)
{
	x86_sse_op(b, 0x66, false, 0x7e, xmm, r, false, 0);
}

/* rorx dst, src, imm (BMI2): dst = src rotated right by imm (32 or 64
 * bits), flags untouched; one instruction for a copy and a shift. */
static inline void x86_rorx(struct x86_buf *b, bool w, unsigned dst, unsigned src, uint8_t imm)
{
	x86_byte(b, 0xc4); /* 3-byte VEX: map 0F3A, pp = F2, vvvv unused */
	x86_byte(b, (uint8_t)(((dst & 8) ? 0 : 0x80) | 0x40 | ((src & 8) ? 0 : 0x20) | 0x03));
	x86_byte(b, (uint8_t)((w ? 0x80 : 0) | 0x78 | 0x03));
	x86_byte(b, 0xf0);
	x86_modrm_rr(b, dst, src);
	x86_byte(b, imm);
}

/* test byte/dword [base+disp], imm (size 1 or 4) */
static inline void x86_test_mi(struct x86_buf *b, unsigned size, unsigned base, int32_t disp,
			       uint32_t imm)
{
	x86_rex(b, false, 0, base, false);
	x86_byte(b, size == 1 ? 0xf6 : 0xf7);
	x86_modrm_mem(b, 0, base, disp);
	if (size == 1)
		x86_byte(b, (uint8_t)imm);
	else
		x86_u32(b, imm);
}

/* ldmxcsr / stmxcsr [base+disp] */
static inline void x86_ldmxcsr(struct x86_buf *b, unsigned base, int32_t disp)
{
	x86_sse_op(b, 0, false, 0xae, 2, base, true, disp);
}

static inline void x86_stmxcsr(struct x86_buf *b, unsigned base, int32_t disp)
{
	x86_sse_op(b, 0, false, 0xae, 3, base, true, disp);
}

/* roundsd/roundss dst, src, imm (SSE4.1): imm bits 0-1 the rounding mode
 * (0 nearest even, 3 toward zero), bit 2 MXCSR's mode instead, bit 3
 * suppresses the precision exception (MXCSR.PE stays as it was) */
static inline void x86_rounds(struct x86_buf *b, bool dbl, unsigned dst, unsigned src, uint8_t imm)
{
	x86_byte(b, 0x66);
	x86_rex(b, false, dst, src, false);
	x86_byte(b, 0x0f);
	x86_byte(b, 0x3a);
	x86_byte(b, dbl ? 0x0b : 0x0a);
	x86_modrm_rr(b, dst, src);
	x86_byte(b, imm);
}

/* FMA3 "231" forms: dst = +-(src * [base+disp]) +- dst, one rounding. */
enum x86_fma { X86_VFMADD231 = 0xb9, X86_VFMSUB231 = 0xbb, X86_VFNMADD231 = 0xbd,
	       X86_VFNMSUB231 = 0xbf };

static inline void x86_vfma_rm(struct x86_buf *b, enum x86_fma op, bool dbl, unsigned dst,
			       unsigned src, unsigned base, int32_t disp)
{
	x86_byte(b, 0xc4); /* 3-byte VEX: map 0F38, pp = 66, L = 0, W = double */
	x86_byte(b, (uint8_t)(((dst & 8) ? 0 : 0x80) | 0x40 | ((base & 8) ? 0 : 0x20) | 0x02));
	x86_byte(b, (uint8_t)((dbl ? 0x80 : 0) | ((~src & 15) << 3) | 0x01));
	x86_byte(b, op);
	x86_modrm_mem(b, dst, base, disp);
}

/* The same with a register operand: dst = +-(src * rm) +- dst. */
static inline void x86_vfma_rr(struct x86_buf *b, enum x86_fma op, bool dbl, unsigned dst,
			       unsigned src, unsigned rm)
{
	x86_byte(b, 0xc4);
	x86_byte(b, (uint8_t)(((dst & 8) ? 0 : 0x80) | 0x40 | ((rm & 8) ? 0 : 0x20) | 0x02));
	x86_byte(b, (uint8_t)((dbl ? 0x80 : 0) | ((~src & 15) << 3) | 0x01));
	x86_byte(b, op);
	x86_modrm_rr(b, dst, rm);
}

/* VEX prefix for map 0F, W0, L0 (pp: 1 = 66, 2 = F3, 3 = F2): the 2-byte
 * form when rm needs no extension bit, as assemblers pick it. */
static inline void x86_vex_0f(struct x86_buf *b, unsigned pp, unsigned reg, unsigned vvvv,
			      unsigned rm)
{
	if (!(rm & 8)) {
		x86_byte(b, 0xc5);
		x86_byte(b, (uint8_t)(((reg & 8) ? 0 : 0x80) | ((~vvvv & 15) << 3) | pp));
	} else {
		x86_byte(b, 0xc4);
		x86_byte(b, (uint8_t)(((reg & 8) ? 0 : 0x80) | 0x40 | 0x01));
		x86_byte(b, (uint8_t)(((~vvvv & 15) << 3) | pp));
	}
}

/* vptest xmm, [target] (RIP-relative: target within 2 GiB of the code):
 * ZF = (xmm & m) == 0, CF = (~xmm & m) == 0 over 128 bits. */
static inline void x86_vptest_rip(struct x86_buf *b, unsigned xmm, int32_t disp)
{
	x86_byte(b, 0xc4); /* 3-byte VEX: map 0F38, pp = 66 */
	x86_byte(b, (uint8_t)(((xmm & 8) ? 0 : 0x80) | 0x60 | 0x02));
	x86_byte(b, 0x79);
	x86_byte(b, 0x17);
	x86_byte(b, (uint8_t)(((xmm & 7) << 3) | 5)); /* mod 00, rm 101: [rip + disp32] */
	x86_u32(b, (uint32_t)disp);
}

static inline void x86_vptest_at(struct x86_buf *b, unsigned xmm, const void *target)
{
	x86_vptest_rip(b, xmm, (int32_t)((const uint8_t *)target - (b->p + 9)));
}

/* ptest xmm, [rip + disp] (SSE4.1; the operand 16-byte aligned): flags
 * as vptest. */
static inline void x86_ptest_rip(struct x86_buf *b, unsigned xmm, int32_t disp)
{
	x86_byte(b, 0x66);
	if (xmm & 8)
		x86_byte(b, 0x44); /* REX.R */
	x86_byte(b, 0x0f);
	x86_byte(b, 0x38);
	x86_byte(b, 0x17);
	x86_byte(b, (uint8_t)(((xmm & 7) << 3) | 5));
	x86_u32(b, (uint32_t)disp);
}

static inline void x86_ptest_at(struct x86_buf *b, unsigned xmm, const void *target)
{
	x86_ptest_rip(b, xmm, (int32_t)((const uint8_t *)target - (b->p + (xmm & 8 ? 10 : 9))));
}

/* AVX 3-operand scalar forms (VEX.128, so the upper YMM halves stay clean
 * and legacy SSE code pays no transition): dst = src1 op src2, bits above
 * the scalar from src1. vsqrt: sqrt of src2 (src1 gives the upper bits). */
static inline void x86_vsse_rr(struct x86_buf *b, enum x86_sse op, bool dbl, unsigned dst,
			       unsigned src1, unsigned src2)
{
	x86_vex_0f(b, dbl ? 3 : 2, dst, src1, src2);
	x86_byte(b, op);
	x86_modrm_rr(b, dst, src2);
}

/*
 * AVX-512 (EVEX) scalar op dst = src1 op src2 (XMM0-15) with a static
 * rounding mode that also suppresses exceptions: rc 0 = {rn-sae}, 1 =
 * {rd-sae}, 2 = {ru-sae}, 3 = {rz-sae}. The bits above the scalar come
 * from src1, as with VEX.
 */
static inline void x86_evex_sse_rr(struct x86_buf *b, enum x86_sse op, bool dbl, unsigned rc,
				   unsigned dst, unsigned src1, unsigned src2)
{
	x86_byte(b, 0x62);
	/* R X B R' (inverted: R = dst bit 3, B = src2 bit 3), 00, map 0F */
	x86_byte(b, (uint8_t)(((dst & 8) ? 0 : 0x80) | 0x40 | ((src2 & 8) ? 0 : 0x20) | 0x10 | 1));
	/* W, vvvv (inverted), 1, pp (F2 sd, F3 ss) */
	x86_byte(b, (uint8_t)((dbl ? 0x80 : 0) | ((~src1 & 15) << 3) | 4 | (dbl ? 3 : 2)));
	/* z = 0, L'L = rc, b = 1 (static rounding), V' (inverted) = 1, aaa = 0 */
	x86_byte(b, (uint8_t)((rc & 3) << 5 | 0x10 | 0x08));
	x86_byte(b, op);
	x86_modrm_rr(b, dst, src2);
}

static inline void x86_vsse_rm(struct x86_buf *b, enum x86_sse op, bool dbl, unsigned dst,
			       unsigned src1, unsigned base, int32_t disp)
{
	x86_vex_0f(b, dbl ? 3 : 2, dst, src1, base);
	x86_byte(b, op);
	x86_modrm_mem(b, dst, base, disp);
}

#endif
