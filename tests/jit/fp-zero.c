/*
 * fmul/fdiv results in the bottom exponent range under the interpreter
 * and the JIT, whose fast path keeps the exact zeros (a zero factor, a
 * zero dividend, an infinite divisor) and sends the rest (underflow to
 * zero or to a subnormal, NaN from 0*inf, 0/0, inf/inf) to the handler:
 * values and fflags must be the same, with the f registers in memory (a
 * block that calls a helper) or in host registers, also across the passes
 * of a loop block, in singles and doubles.
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
enum { RNE = 0, RMM = 4, DYN = 7 };
#define D_NAN 0x7ff8000000000000ull
#define S_NAN BOX(0x7fc00000u)

#define FADD(fmt, rd, a, b, rm) r4(0, fmt, rd, rm, a, b)
#define FMUL(fmt, rd, a, b, rm) r4(2, fmt, rd, rm, a, b)
#define FDIV(fmt, rd, a, b, rm) r4(3, fmt, rd, rm, a, b)
#define FRFLAGS(rd) (0x73 | (rd) << 7 | 2 << 12 | 0x001u << 20)
#define ADDI(rd, rs, imm) (0x13 | (rd) << 7 | (rs) << 15 | (uint32_t)((imm) & 0xfff) << 20)
static uint8_t *ram;

/* Run code on a fresh M-mode hart: f1, f2 = a, b; fflags = NX (so the
 * JIT's fast paths may run: see jit-fp.c), FS Dirty, x5 = 3. */
static struct hart *run(bool jit, const uint32_t *code, unsigned n, uint64_t a, uint64_t b)
{
	memset(ram, 0, RAM);
	memcpy(ram + PROG, code, 4 * n);
	memcpy(ram + PROG + 4 * n, &(uint32_t){ WFI }, 4);
	struct hart *h = thart_new(ram, BASE, RAM, BASE + PROG, jit);
	h->f[1] = a;
	h->f[2] = b;
	h->f[4] = BOX(0x3f800000u);
	h->x[5] = 3;
	h->fflags = NX;
	h->mstatus |= MS_FS;
	for (int i = 0; i < 100 && cpu_run(h, 1000) != CPU_EXIT_WFI; i++)
		;
	return h;
}

struct zcase { bool div, dbl; uint64_t a, b, want; unsigned flags; };

#define DMIN 1ull                       /* smallest subnormal */
#define DTINY 0x1a70000000000000ull     /* 2^-600 */
#define DHUGE 0x6570000000000000ull     /* 2^600 */
#define DINF 0x7ff0000000000000ull
#define DONE5 0x3ff8000000000000ull     /* 1.5 */
#define DNEG (1ull << 63)
#define SMIN BOX(1u)
#define STINY BOX(0x1a000000u)          /* 2^-75 */
#define SHUGE BOX(0x64800000u)          /* 2^74 */
#define SINF BOX(0x7f800000u)
#define SONE5 BOX(0x3fc00000u)
#define SNEG0 BOX(0x80000000u)

static const struct zcase cases[] = {
	/* exact zeros: nothing raised */
	{ false, true, 0, DONE5, 0, 0 },
	{ false, true, DNEG, DONE5, DNEG, 0 },
	{ false, true, DONE5, DNEG, DNEG, 0 },
	{ false, true, DNEG, DNEG, 0, 0 },
	{ false, true, 0, DMIN, 0, 0 },
	{ false, true, DMIN, DNEG, DNEG, 0 },
	{ false, true, 0x7fefffffffffffffull, 0, 0, 0 },
	{ true, true, 0, DONE5, 0, 0 },
	{ true, true, DNEG, DONE5, DNEG, 0 },
	{ true, true, 0, DNEG | DINF, DNEG, 0 },
	{ true, true, DONE5, DINF, 0, 0 },
	{ true, true, DNEG | DONE5, DINF, DNEG, 0 },
	{ true, true, DMIN, DNEG | DINF, DNEG, 0 },
	{ true, true, DMIN, DONE5 | DNEG, DNEG | DMIN, UF | NX }, /* 2^-1074/1.5 rounds up */
	/* underflow to zero or to a subnormal, NaNs, infinities */
	{ false, true, DTINY, DTINY, 0, UF | NX },
	{ false, true, DNEG | DTINY, DTINY, DNEG, UF | NX },
	{ false, true, DMIN, 0x3fe0000000000000ull, 0, UF | NX },    /* a tie to even 0 */
	{ false, true, DMIN, 0x3ff0000000000000ull, DMIN, 0 },       /* exact subnormal */
	{ false, true, 0x0010000000000000ull, 0x3fe0000000000000ull, 0x0008000000000000ull, 0 },
	{ false, true, 0, DINF, D_NAN, NV },
	{ false, true, DNEG, 0x7ff4000000000000ull, D_NAN, NV },     /* sNaN */
	{ false, true, 0, 0x7ff8000000000001ull, D_NAN, 0 },         /* qNaN */
	{ false, true, DHUGE, DHUGE, DINF, OF | NX },
	{ true, true, DTINY, DHUGE, 0, UF | NX },
	{ true, true, 0, 0, D_NAN, NV },
	{ true, true, DINF, DINF, D_NAN, NV },
	{ true, true, DONE5, 0, DINF, DZ },
	{ true, true, DNEG, 0x7ff4000000000000ull, D_NAN, NV },
	/* singles */
	{ false, false, BOX(0), SONE5, BOX(0), 0 },
	{ false, false, SNEG0, SONE5, SNEG0, 0 },
	{ false, false, SMIN, SNEG0, SNEG0, 0 },
	{ true, false, SNEG0, SONE5, SNEG0, 0 },
	{ true, false, SONE5, SINF, BOX(0), 0 },
	{ true, false, SMIN, BOX(0xff800000u), SNEG0, 0 },
	{ false, false, STINY, STINY, BOX(0), UF | NX },
	{ false, false, SMIN, BOX(0x3f000000u), BOX(0), UF | NX },
	{ false, false, BOX(0), SINF, S_NAN, NV },
	{ false, false, 0, SONE5, S_NAN, 0 },                        /* unboxed 0: NaN */
	{ false, false, SONE5, 0x80000000u, S_NAN, 0 },
	{ true, false, STINY, SHUGE, SMIN, 0 },                      /* exact subnormal */
	{ true, false, STINY, BOX(0x65000000u), BOX(0), UF | NX },   /* 2^-151 */
	{ true, false, BOX(0), BOX(0), S_NAN, NV },
	{ true, false, SINF, SINF, S_NAN, NV },
	{ true, false, 0, SINF, S_NAN, 0 },                          /* unboxed 0: NaN */
};

static uint32_t op(const struct zcase *c, unsigned rd, unsigned a, unsigned b)
{
	return c->div ? FDIV(c->dbl, rd, a, b, DYN) : FMUL(c->dbl, rd, a, b, RNE);
}

static void check(bool jit, const char *how, const struct zcase *c, struct hart *h,
		  uint64_t got, uint64_t flags)
{
	if (got != c->want || flags != (NX | c->flags)) {
		fprintf(stderr, "%s %s %s.%s %#llx, %#llx: %#llx flags %#llx, want %#llx flags %#x\n",
			jit ? "jit" : "interp", how, c->div ? "fdiv" : "fmul", c->dbl ? "d" : "s",
			(unsigned long long)c->a, (unsigned long long)c->b,
			(unsigned long long)got, (unsigned long long)flags,
			(unsigned long long)c->want, NX | c->flags);
		t_failures++;
	}
	if (h->mcause) {
		fprintf(stderr, "%s %s: unexpected trap %#llx\n", jit ? "jit" : "interp", how,
			(unsigned long long)h->mcause);
		t_failures++;
	}
}

static void one(bool jit, const struct zcase *c)
{
	/* in host registers (a block of native ops); rd = a source too */
	const uint32_t mapped[] = { op(c, 3, 1, 2), FRFLAGS(10), op(c, 1, 1, 2), FRFLAGS(11) };
	struct hart *h = run(jit, mapped, 4, c->a, c->b);
	check(jit, "mapped", c, h, h->f[3], h->x[10]);
	check(jit, "mapped rd=rs1", c, h, h->f[1], h->x[11]);
	cpu_hart_free(h);
	/* in memory: the block calls a helper (RMM) first */
	const uint32_t mem[] = { FADD(1, 9, 9, 9, RMM), op(c, 3, 1, 2), FRFLAGS(10) };
	h = run(jit, mem, 3, c->a, c->b);
	check(jit, "in memory", c, h, h->f[3], h->x[10]);
	cpu_hart_free(h);
	/* a loop block: three passes, f registers in host registers across them */
	const uint32_t loop[] = { op(c, 3, 1, 2), FRFLAGS(10), ADDI(5, 5, -1), bne_back(5, 3) };
	h = run(jit, loop, 4, c->a, c->b);
	check(jit, "loop", c, h, h->f[3], h->x[10]);
	if (h->x[5] != 0) {
		fprintf(stderr, "%s loop: x5 = %llu\n", jit ? "jit" : "interp",
			(unsigned long long)h->x[5]);
		t_failures++;
	}
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(30);
	setenv("RINGVM_JIT_EAGER", "1", 1); /* translate every block on its first visit */
	ram = malloc(RAM);
	REQUIRE(ram);
	for (int jit = 0; jit < 2; jit++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			one(jit, &cases[i]);
	free(ram);
	return t_finish();
}
