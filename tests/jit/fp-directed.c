/*
 * add/sub/mul/div/sqrt with static RTZ, RDN and RUP under the interpreter
 * and the JIT (native through AVX-512 embedded rounding where the host
 * has it, else the handler): known answers for ties and near misses of
 * both signs, exact zero sums (-0 under RDN), overflow to the largest
 * finite value or infinity, results that round to or from the smallest
 * normal (tininess after rounding), singles and doubles; f registers in
 * host registers, in memory, and across the passes of a loop block; and
 * the same in dynamic mode (frm = RTZ, RDN, RUP: native by MXCSR.RC on
 * every host), next to static RNE ops in one block and in a loop.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define PROG 0x1000u

enum { NX = 1 };
enum { RTZ = 1, RDN = 2, RUP = 3, RMM = 4 };

#define FRFLAGS(rd) (0x73 | (rd) << 7 | 2 << 12 | 0x001u << 20)
#define FCVT_W_D(rd, a, rm) r4(0x18, 1, rd, rm, a, 0)
#define ADDI(rd, rs, imm) (0x13 | (rd) << 7 | (rs) << 15 | (uint32_t)((imm) & 0xfff) << 20)
/* op: 0 add, 1 sub, 2 mul, 3 div, 4 sqrt; want[] for RTZ, RDN, RUP
 * (generated with the host's fesetround and checked by the interpreter) */
struct dcase {
	unsigned op, dbl;
	uint64_t a, b;
	struct { uint64_t v; unsigned flags; } want[3];
};
static const struct dcase cases[] = {
	{ 0, 1, 0x3ff0000000000000ull, 0x3c30000000000000ull, { { 0x3ff0000000000000ull, 1 }, { 0x3ff0000000000000ull, 1 }, { 0x3ff0000000000001ull, 1 } } },
	{ 1, 1, 0xbff0000000000000ull, 0x3c30000000000000ull, { { 0xbff0000000000000ull, 1 }, { 0xbff0000000000001ull, 1 }, { 0xbff0000000000000ull, 1 } } },
	{ 1, 1, 0x4008000000000000ull, 0x4008000000000000ull, { { 0x0000000000000000ull, 0 }, { 0x8000000000000000ull, 0 }, { 0x0000000000000000ull, 0 } } },
	{ 2, 1, 0x7fefffffffffffffull, 0x4000000000000000ull, { { 0x7fefffffffffffffull, 5 }, { 0x7fefffffffffffffull, 5 }, { 0x7ff0000000000000ull, 5 } } },
	{ 2, 1, 0xffefffffffffffffull, 0x4000000000000000ull, { { 0xffefffffffffffffull, 5 }, { 0xfff0000000000000ull, 5 }, { 0xffefffffffffffffull, 5 } } },
	{ 3, 1, 0x3ff0000000000000ull, 0x4008000000000000ull, { { 0x3fd5555555555555ull, 1 }, { 0x3fd5555555555555ull, 1 }, { 0x3fd5555555555556ull, 1 } } },
	{ 3, 1, 0xbff0000000000000ull, 0x4008000000000000ull, { { 0xbfd5555555555555ull, 1 }, { 0xbfd5555555555556ull, 1 }, { 0xbfd5555555555555ull, 1 } } },
	{ 4, 1, 0x4000000000000000ull, 0x0000000000000000ull, { { 0x3ff6a09e667f3bccull, 1 }, { 0x3ff6a09e667f3bccull, 1 }, { 0x3ff6a09e667f3bcdull, 1 } } },
	{ 2, 1, 0x0010000000000000ull, 0x3fefffffffffffffull, { { 0x000fffffffffffffull, 3 }, { 0x000fffffffffffffull, 3 }, { 0x0010000000000000ull, 3 } } },
	{ 2, 1, 0x0010000000000000ull, 0x3fe0000000000000ull, { { 0x0008000000000000ull, 0 }, { 0x0008000000000000ull, 0 }, { 0x0008000000000000ull, 0 } } },
	{ 0, 1, 0x7fe0000000000000ull, 0x7fe0000000000000ull, { { 0x7fefffffffffffffull, 5 }, { 0x7fefffffffffffffull, 5 }, { 0x7ff0000000000000ull, 5 } } },
	{ 4, 1, 0x0000000000000002ull, 0x0000000000000000ull, { { 0x1e66a09e667f3bccull, 1 }, { 0x1e66a09e667f3bccull, 1 }, { 0x1e66a09e667f3bcdull, 1 } } },
	{ 0, 0, BOX(0x3f800000u), BOX(0x30800000u), { { BOX(0x3f800000u), 1 }, { BOX(0x3f800000u), 1 }, { BOX(0x3f800001u), 1 } } },
	{ 1, 0, BOX(0xbf800000u), BOX(0x30800000u), { { BOX(0xbf800000u), 1 }, { BOX(0xbf800001u), 1 }, { BOX(0xbf800000u), 1 } } },
	{ 1, 0, BOX(0x40400000u), BOX(0x40400000u), { { BOX(0x00000000u), 0 }, { BOX(0x80000000u), 0 }, { BOX(0x00000000u), 0 } } },
	{ 2, 0, BOX(0x7f7fffffu), BOX(0x40000000u), { { BOX(0x7f7fffffu), 5 }, { BOX(0x7f7fffffu), 5 }, { BOX(0x7f800000u), 5 } } },
	{ 3, 0, BOX(0x3f800000u), BOX(0x40400000u), { { BOX(0x3eaaaaaau), 1 }, { BOX(0x3eaaaaaau), 1 }, { BOX(0x3eaaaaabu), 1 } } },
	{ 4, 0, BOX(0x40000000u), BOX(0x00000000u), { { BOX(0x3fb504f3u), 1 }, { BOX(0x3fb504f3u), 1 }, { BOX(0x3fb504f4u), 1 } } },
	{ 2, 0, BOX(0x00800000u), BOX(0x3f7fffffu), { { BOX(0x007fffffu), 3 }, { BOX(0x007fffffu), 3 }, { BOX(0x00800000u), 3 } } },
	{ 3, 0, BOX(0xbf800000u), BOX(0x40400000u), { { BOX(0xbeaaaaaau), 1 }, { BOX(0xbeaaaaabu), 1 }, { BOX(0xbeaaaaaau), 1 } } },
};

static uint8_t *ram;

static struct hart *run(bool jit, const uint32_t *code, unsigned n, uint64_t a, uint64_t b,
			unsigned frm)
{
	memset(ram, 0, RAM);
	memcpy(ram + PROG, code, 4 * n);
	memcpy(ram + PROG + 4 * n, &(uint32_t){ WFI }, 4);
	struct hart *h = thart_new(ram, BASE, RAM, BASE + PROG, jit);
	h->f[1] = a;
	h->f[2] = b;
	h->x[5] = 3;
	h->fflags = NX; /* the JIT's fast paths need NX set: see jit-fp.c */
	h->mstatus |= MS_FS;
	h->frm = frm;
	for (int i = 0; i < 100 && cpu_run(h, 1000) != CPU_EXIT_WFI; i++)
		;
	return h;
}

static void check(bool jit, const char *how, const struct dcase *c, unsigned rm,
		  const struct hart *h, uint64_t got, uint64_t flags)
{
	static const char *ops[] = { "fadd", "fsub", "fmul", "fdiv", "fsqrt" };
	static const char *rms[] = { "", "rtz", "rdn", "rup" };
	uint64_t want = c->want[rm - 1].v;
	unsigned wflags = NX | c->want[rm - 1].flags;
	if (got != want || flags != wflags || h->mcause) {
		fprintf(stderr, "%s %s %s.%s %s %#llx, %#llx: %#llx flags %#llx (mcause %llu), "
			"want %#llx flags %#x\n", jit ? "jit" : "interp", how, ops[c->op],
			c->dbl ? "d" : "s", rms[rm], (unsigned long long)c->a,
			(unsigned long long)c->b, (unsigned long long)got,
			(unsigned long long)flags, (unsigned long long)h->mcause,
			(unsigned long long)want, wflags);
		t_failures++;
	}
}

static void one(bool jit, const struct dcase *c, unsigned rm)
{
	uint32_t op = c->op == 4 ? r4(0x0b, c->dbl, 3, rm, 1, 0) : r4(c->op, c->dbl, 3, rm, 1, 2);
	/* a block of native ops: f registers in host registers */
	const uint32_t mapped[] = { op, FRFLAGS(10) };
	struct hart *h = run(jit, mapped, 2, c->a, c->b, 0);
	check(jit, "mapped", c, rm, h, h->f[3], h->x[10]);
	cpu_hart_free(h);
	/* the block calls a helper first (fcvt with RMM): f registers in memory */
	const uint32_t mem[] = { FCVT_W_D(11, 0, RMM), op, FRFLAGS(10) };
	h = run(jit, mem, 3, c->a, c->b, 0);
	check(jit, "in memory", c, rm, h, h->f[3], h->x[10]);
	cpu_hart_free(h);
	const uint32_t loop[] = { op, FRFLAGS(10), ADDI(5, 5, -1), bne_back(5, 3) };
	h = run(jit, loop, 4, c->a, c->b, 0);
	check(jit, "loop", c, rm, h, h->f[3], h->x[10]);
	cpu_hart_free(h);
	/* dynamic: frm = rm (the JIT sets MXCSR.RC to it), with a static RNE
	 * op (RC switched back) and the dynamic op again in the same block,
	 * and in a loop block */
	uint32_t dyn = c->op == 4 ? r4(0x0b, c->dbl, 3, 7, 1, 0) : r4(c->op, c->dbl, 3, 7, 1, 2);
	uint32_t rne = c->op == 4 ? r4(0x0b, c->dbl, 4, 0, 1, 0) : r4(c->op, c->dbl, 4, 0, 1, 2);
	const uint32_t dmapped[] = { dyn, rne, dyn, FRFLAGS(10) };
	const uint32_t dloop[] = { rne, dyn, FRFLAGS(10), ADDI(5, 5, -1), bne_back(5, 4) };
	for (int k = 0; k < 2; k++) {
		h = run(jit, k ? dloop : dmapped, k ? 5 : 4, c->a, c->b, rm);
		check(jit, k ? "dynamic loop" : "dynamic", c, rm, h, h->f[3], h->x[10]);
		/* the RNE op's result: as the interpreter's */
		struct hart *ref = run(false, k ? dloop : dmapped, k ? 5 : 4, c->a, c->b, rm);
		if (h->f[4] != ref->f[4]) {
			fprintf(stderr, "%s: static RNE op next to dynamic %s: %#llx, want %#llx\n",
				jit ? "jit" : "interp", rm == 1 ? "rtz" : rm == 2 ? "rdn" : "rup",
				(unsigned long long)h->f[4], (unsigned long long)ref->f[4]);
			t_failures++;
		}
		cpu_hart_free(ref);
		cpu_hart_free(h);
	}
}

int main(void)
{
	t_timeout(30);
	setenv("RINGVM_JIT_EAGER", "1", 1); /* translate every block on its first visit */
	ram = malloc(RAM);
	REQUIRE(ram);
	for (int jit = 0; jit < 2; jit++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			for (unsigned rm = RTZ; rm <= RUP; rm++)
				one(jit, &cases[i], rm);
	free(ram);
	return t_finish();
}
