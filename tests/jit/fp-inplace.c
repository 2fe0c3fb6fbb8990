/*
 * F/D arithmetic and FMA whose destination is also a source (rd = rs1,
 * rs2, rs3 or all of them) or a register the block wrote before, with
 * results that leave the JIT's fast path (NaN, infinity, overflow, tiny
 * and subnormal results, exact and inexact zeros): the JIT computes into
 * the destination's host register before its result check when that is
 * not a source (see jit-fp.c, place_ok), so its slow path must still find
 * the sources untouched and leave the handler's result in rd. Under
 * the interpreter and the JIT, in a loop block (f registers in host
 * registers across passes) and a straight block, singles and doubles,
 * fflags starting clear (inexact tracking) or NX: every f register,
 * fflags and the pc must end equal. A fixed set of pseudo-random cases.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define PROG 0x1000u
#define ADDI(rd, rs, imm) enc_i(0x13, rd, 0, rs, imm)
enum { NX = 1, RNE = 0, DYN = 7 };

static uint8_t *ram;

static const uint64_t dvals[] = {
	0x3ff8000000000000ull, /* 1.5 */
	0x7e70000000000000ull, /* 2^1000: squares overflow */
	0x0170000000000000ull, /* 2^-1000: products underflow */
	0x7ff0000000000000ull, 0xfff0000000000000ull, /* +-inf */
	0x7ff8000000000000ull, 0x7ff4000000000001ull, /* qNaN, sNaN */
	0, 1ull << 63,         /* +-0 */
	1,                     /* smallest subnormal */
	0x0010000000000000ull, /* smallest normal */
	0xc008000000000000ull, /* -3 */
	0x3fd5555555555555ull, /* ~1/3 */
	0x7fefffffffffffffull, /* largest finite */
};
static const uint64_t svals[] = {
	BOX(0x3fc00000u), BOX(0x71800000u), /* 1.5, 2^100 */
	BOX(0x0d800000u),                   /* 2^-100 */
	BOX(0x7f800000u), BOX(0xff800000u), BOX(0x7fc00000u), BOX(0x7fa00001u),
	BOX(0), BOX(0x80000000u), BOX(1), BOX(0x00800000u), BOX(0xc0400000u),
	BOX(0x3eaaaaabu), BOX(0x7f7fffffu),
	0x3ff8000000000000ull,              /* not NaN-boxed: reads as NaN */
};

struct pcase { uint32_t code[6]; unsigned n; uint64_t f[4]; uint32_t fflags; unsigned passes; };

static struct hart *run(bool jit, const struct pcase *c)
{
	memset(ram, 0, RAM);
	memcpy(ram + PROG, c->code, 4 * c->n);
	memcpy(ram + PROG + 4 * c->n, &(uint32_t){ WFI }, 4);
	struct hart *h = thart_new(ram, BASE, RAM, BASE + PROG, jit);
	for (unsigned i = 0; i < 4; i++)
		h->f[1 + i] = c->f[i];
	h->x[5] = c->passes;
	h->fflags = c->fflags;
	h->mstatus |= MS_FS;
	for (int i = 0; i < 50 && cpu_run(h, 1000) != CPU_EXIT_WFI; i++)
		;
	return h;
}

/* op 0..8: fadd fsub fmul fdiv fsqrt fmadd fmsub fnmsub fnmadd */
static uint32_t op_enc(unsigned op, unsigned dbl, unsigned rm, unsigned rd, unsigned a,
		       unsigned b, unsigned c3)
{
	static const uint8_t f5[] = { 0, 1, 2, 3, 0x0b };
	if (op < 5)
		return r4(f5[op], dbl, rd, rm, a, op == 4 ? 0 : b);
	static const uint8_t major[] = { 0x43, 0x47, 0x4b, 0x4f };
	return major[op - 5] | rd << 7 | rm << 12 | a << 15 | b << 20 | dbl << 25 | c3 << 27;
}

static bool same(const struct pcase *c, const struct hart *a, const struct hart *b)
{
	bool ok = a->fflags == b->fflags && a->pc == b->pc;
	for (unsigned r = 0; r < 32; r++)
		ok &= a->f[r] == b->f[r];
	if (!ok)
		fprintf(stderr, "%08x %08x (n %u, passes %u, fflags %u, f1-4 %#llx %#llx %#llx %#llx): "
			"interp fflags %u f1-4,f7 %#llx %#llx %#llx %#llx %#llx; jit fflags %u "
			"%#llx %#llx %#llx %#llx %#llx\n", c->code[0], c->code[1],
			c->n, c->passes, c->fflags, (unsigned long long)c->f[0],
			(unsigned long long)c->f[1], (unsigned long long)c->f[2],
			(unsigned long long)c->f[3], a->fflags, (unsigned long long)a->f[1],
			(unsigned long long)a->f[2], (unsigned long long)a->f[3],
			(unsigned long long)a->f[4], (unsigned long long)a->f[7], b->fflags,
			(unsigned long long)b->f[1], (unsigned long long)b->f[2],
			(unsigned long long)b->f[3], (unsigned long long)b->f[4],
			(unsigned long long)b->f[7]);
	return ok;
}

int main(void)
{
	t_timeout(120);
	setenv("RINGVM_JIT_EAGER", "1", 1);
	ram = malloc(RAM);
	REQUIRE(ram);
	/* (rd, rs1, rs2, rs3): over rs1, rs2, rs3, all, a square, distinct */
	static const uint8_t pat[][4] = { { 1, 1, 2, 3 }, { 2, 1, 2, 3 }, { 3, 1, 2, 3 },
					  { 1, 1, 1, 1 }, { 2, 1, 1, 2 }, { 7, 1, 2, 3 } };
	for (unsigned k = 0; k < 2000; k++) {
		struct pcase c = { .passes = 1 + t_rand() % 2, .fflags = t_rand() % 2 ? NX : 0 };
		unsigned op = t_rand() % 9, dbl = t_rand() % 2, rm = t_rand() % 2 ? RNE : DYN;
		const uint8_t *p = pat[t_rand() % 6];
		unsigned nv = dbl ? sizeof(dvals) / 8 : sizeof(svals) / 8;
		for (unsigned i = 0; i < 4; i++)
			c.f[i] = dbl ? dvals[t_rand() % nv] : svals[t_rand() % nv];
		unsigned n = 0;
		bool straight = t_rand() % 2; /* else a loop block */
		if (t_rand() % 2) /* the destination written (dirty) first */
			c.code[n++] = r4(4, dbl, p[0], 0, 4, 4); /* fsgnj rd, f4, f4 */
		c.code[n++] = op_enc(op, dbl, rm, p[0], p[1], p[2], p[3]);
		if (!straight) {
			c.code[n] = ADDI(5, 5, -1);
			c.code[n + 1] = bne_back(5, n + 1);
			n += 2;
		}
		c.n = n;
		struct hart *a = run(false, &c), *b = run(true, &c);
		if (!same(&c, a, b))
			t_failures++;
		cpu_hart_free(a);
		cpu_hart_free(b);
	}
	free(ram);
	return t_finish();
}
