/*
 * rvenc.h - RISC-V instruction encoders for the JIT tests that build their
 * guest programs word by word (fuzzers, memory runs, FP edge cases).
 * Header-only; every function is a pure computation.
 */
#ifndef RINGVM_TESTS_JIT_RVENC_H
#define RINGVM_TESTS_JIT_RVENC_H

#include <stdint.h>

#define WFI 0x10500073u
/* a single NaN-boxed in a 64-bit f register */
#define BOX(v) (0xffffffff00000000ull | (v))

static inline uint32_t enc_r(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2,
			     uint32_t f7)
{
	return op | rd << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | f7 << 25;
}

static inline uint32_t enc_i(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
	return op | rd << 7 | f3 << 12 | rs1 << 15 | ((uint32_t)imm & 0xfff) << 20;
}

/* integer store (opcode 0x23) */
static inline uint32_t enc_s(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return 0x23 | (u & 31) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | (u >> 5 & 127) << 25;
}

static inline uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return 0x63 | (u >> 11 & 1) << 7 | (u >> 1 & 15) << 8 | f3 << 12 | rs1 << 15 |
	       rs2 << 20 | (u >> 5 & 63) << 25 | (u >> 12 & 1) << 31;
}

static inline uint32_t enc_j(uint32_t rd, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return 0x6f | rd << 7 | (u >> 12 & 255) << 12 | (u >> 11 & 1) << 20 |
	       (u >> 1 & 1023) << 21 | (u >> 20 & 1) << 31;
}

/* OP-FP: funct5, fmt (0 single, 1 double), rd, rm, rs1, rs2 */
static inline uint32_t r4(uint32_t f5, uint32_t fmt, uint32_t rd, uint32_t rm, uint32_t rs1,
			  uint32_t rs2)
{
	return 0x53 | rd << 7 | rm << 12 | rs1 << 15 | rs2 << 20 | (f5 << 2 | fmt) << 25;
}

/* bne rs, x0, back by 4*n bytes */
static inline uint32_t bne_back(unsigned rs, unsigned n)
{
	return enc_b(1, rs, 0, -(int32_t)(4 * n));
}

#endif
