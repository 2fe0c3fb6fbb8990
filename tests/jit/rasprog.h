/*
 * rasprog.h - what the JIT return-address stack tests (ras-*.c) share:
 * a word-by-word assembler into a flat RAM image (labels are plain
 * addresses), the few encodings they use, an Sv39 page table of 4 KiB
 * pages, and the JIT's return-stack counters (RINGVM_JIT_STATS).
 * Header-only; the caller owns the RAM.
 */
#ifndef RINGVM_TESTS_JIT_RASPROG_H
#define RINGVM_TESTS_JIT_RASPROG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/hart.h"
#include "cpu/jit/jit-int.h"
#include "harness.h"
#include "rvenc.h"

enum { RA = 1, SP = 2, T0 = 5, T1 = 6, T2 = 7, S1 = 9, A0 = 10, A1 = 11, S2 = 18, S3 = 19,
       T6 = 31 };

#define ADDI(rd, rs1, imm) enc_i(0x13, rd, 0, rs1, imm)
#define ADD(rd, rs1, rs2) enc_r(0x33, rd, 0, rs1, rs2, 0)
#define SLLI(rd, rs1, sh) enc_i(0x13, rd, 1, rs1, sh)
#define LD(rd, rs1, imm) enc_i(0x03, rd, 3, rs1, imm)
#define SD(rs2, rs1, imm) enc_s(3, rs1, rs2, imm)
#define SW(rs2, rs1, imm) enc_s(2, rs1, rs2, imm)
#define JALR(rd, rs1, imm) enc_i(0x67, rd, 0, rs1, imm)
#define RET JALR(0, RA, 0)
#define CSRW(csr, rs1) enc_i(0x73, 0, 1, rs1, csr)   /* csrrw x0, csr, rs1 */
#define CSRC(csr, rs1) enc_i(0x73, 0, 3, rs1, csr)   /* csrrc x0, csr, rs1 */
#define CSRR(rd, csr) enc_i(0x73, rd, 2, 0, csr)     /* csrrs rd, csr, x0 */
#define SRET 0x10200073u
#define FENCE_I 0x0000100fu
#define SFENCE_VMA 0x12000073u

/* The program being written: words go to ram at pc (a guest address). */
struct ras_asm {
	uint8_t *ram;
	uint64_t base, pc;
};

static inline void ras_at(struct ras_asm *a, uint64_t pc) { a->pc = pc; }

static inline void ras_w(struct ras_asm *a, uint32_t w)
{
	memcpy(a->ram + (a->pc - a->base), &w, 4);
	a->pc += 4;
}

/* jal rd, to / bne rs1, rs2, to / beq: relative to where they are written */
static inline void ras_jal(struct ras_asm *a, unsigned rd, uint64_t to)
{
	ras_w(a, enc_j(rd, (int32_t)(to - a->pc)));
}

static inline void ras_bne(struct ras_asm *a, unsigned rs1, unsigned rs2, uint64_t to)
{
	ras_w(a, enc_b(1, rs1, rs2, (int32_t)(to - a->pc)));
}

static inline void ras_beq(struct ras_asm *a, unsigned rs1, unsigned rs2, uint64_t to)
{
	ras_w(a, enc_b(0, rs1, rs2, (int32_t)(to - a->pc)));
}

/*
 * Sv39, 4 KiB pages: root at pt, one second-level table at pt + 0x1000
 * and one leaf table at pt + 0x2000, for the 2 MiB at va_base (which must
 * be 2 MiB aligned; pt a physical RAM address in the image). ras_map
 * writes the leaf of va (flags: V R W X A D, plus U when user).
 */
static inline uint64_t *ras_pte(struct ras_asm *a, uint64_t pt, uint64_t va)
{
	return (uint64_t *)(void *)(a->ram + (pt + 0x2000 - a->base) + 8 * ((va >> 12) & 511));
}

static inline void ras_map(struct ras_asm *a, uint64_t pt, uint64_t va, uint64_t pa, bool user)
{
	*ras_pte(a, pt, va) = (pa >> 12) << 10 | 0xcf | (user ? 0x10 : 0);
}

static inline uint64_t ras_pt_init(struct ras_asm *a, uint64_t pt, uint64_t va_base)
{
	memset(a->ram + (pt - a->base), 0, 0x3000);
	uint64_t *root = (uint64_t *)(void *)(a->ram + (pt - a->base));
	uint64_t *l1 = (uint64_t *)(void *)(a->ram + (pt + 0x1000 - a->base));
	root[(va_base >> 30) & 511] = ((pt + 0x1000) >> 12) << 10 | 1;
	l1[(va_base >> 21) & 511] = ((pt + 0x2000) >> 12) << 10 | 1;
	return 8ull << 60 | pt >> 12; /* satp */
}

/*
 * The JIT's hart for a test: with the stack on (the default), or with the
 * argument "off" (RINGVM_JIT_RAS=0: the same results, no hits), or in
 * check mode (-accel jit,check=on) with the argument "check". The stack
 * cannot hit there (one block per checked run: a pad's exit is never
 * chained), so the counters are not looked at; what is checked is that
 * the pushes, pops and pads leave the guest's state as the interpreter
 * does.
 */
static bool ras_check_mode, ras_off;

static inline void ras_args(int argc, char **argv)
{
	ras_check_mode = argc > 1 && !strcmp(argv[1], "check");
	ras_off = argc > 1 && !strcmp(argv[1], "off");
	if (ras_off)
		setenv("RINGVM_JIT_RAS", "0", 1);
	else
		unsetenv("RINGVM_JIT_RAS");
}

/* ras_args, the test's timeout, and the JIT's counters on (the tests look
 * at ras_hits); eager: every block translated on its first visit. */
static inline void ras_start(int argc, char **argv, bool eager)
{
	ras_args(argc, argv);
	t_timeout(60);
	if (eager)
		setenv("RINGVM_JIT_EAGER", "1", 1);
	setenv("RINGVM_JIT_STATS", "1", 1);
}

/* The caller most tests share, 7 words at a->pc: reps passes of
 * `jal ra, f` then `a0 += 1` (the continuation), counting s2 down, with
 * t6 = 1 for f to spot the last pass; then wfi. */
static inline void ras_caller(struct ras_asm *a, unsigned reps, uint64_t f)
{
	uint64_t loop = a->pc + 8;

	ras_w(a, ADDI(S2, 0, (int)reps));
	ras_w(a, ADDI(T6, 0, 1));
	ras_jal(a, RA, f);                 /* loop */
	ras_w(a, ADDI(A0, A0, 1));         /* the continuation */
	ras_w(a, ADDI(S2, S2, -1));
	ras_bne(a, S2, 0, loop);
	ras_w(a, WFI);
}

static inline void ras_jit(struct hart *h)
{
	REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, ras_check_mode) == 0);
}

/* the JIT's return-stack counters (counted only under RINGVM_JIT_STATS) */
static inline uint64_t ras_hits(const struct hart *h) { return h->jit ? h->jit->n_ras_hit : 0; }
/* at least n hits (none with the stack off; not looked at in check mode) */
static inline bool ras_hit_at_least(const struct hart *h, uint64_t n)
{
	return ras_check_mode || (ras_off ? ras_hits(h) == 0 : ras_hits(h) >= n);
}

#endif
