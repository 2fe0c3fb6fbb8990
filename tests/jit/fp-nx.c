/*
 * fflags.NX while it starts clear (a program that just cleared fflags):
 * the JIT's native FP code tracks inexactness itself then (MXCSR.PE moved
 * to NX before helper calls, fflags reads and exits: see jit-fp.c), and NX
 * must be set exactly when some op on the executed path was inexact.
 * Known answers, under the interpreter and the JIT: an exact op leaves NX
 * clear, an inexact one sets it, in mixed blocks and with fflags written
 * or read mid-block; loops that clear fflags every pass and loops that do
 * not (the FP state checked once before the head), or that write fflags
 * after their last back edge or between two; a helper call and a
 * trap in the middle (the trap handler must see NX of the ops before
 * it); directed rounding (EVEX, whose host op raises no flags), fcvt.s.d,
 * fma, sqrt, and a conversion to integer that is out of range after
 * rounding (NV only, although the host's conversion is inexact).
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define PROG 0x1000u

enum { NX = 1, NV = 16 };
enum { RNE = 0, RTZ = 1, RMM = 4, DYN = 7 };

/* doubles: f1 = 1, f2 = 2, f3 = 3, f4 = 0.5, f5 = 2^31 - 0.25, f6 = 4 */
#define FADD(rd, a, b) r4(0, 1, rd, DYN, a, b)
#define FMUL(rd, a, b) r4(2, 1, rd, DYN, a, b)
#define FDIV(rd, a, b) r4(3, 1, rd, DYN, a, b)
#define FDIV_RM(rd, a, b, rm) r4(3, 1, rd, rm, a, b)
#define FSQRT(rd, a) r4(0x0b, 1, rd, DYN, a, 0)
#define FCVT_S_D(rd, a) r4(0x08, 0, rd, DYN, a, 1)
#define FCVT_D_L(rd, x) r4(0x1a, 1, rd, DYN, x, 2)
#define FCVT_W_D(rd, a, rm) r4(0x18, 1, rd, rm, a, 0)
#define FMADD(rd, a, b, c) (0x43u | (rd) << 7 | DYN << 12 | (a) << 15 | (b) << 20 | 1u << 25 | \
			    (uint32_t)(c) << 27)
#define FRFLAGS(rd) (0x73 | (rd) << 7 | 2 << 12 | 0x001u << 20)
#define FSFLAGS0 (0x73 | 1 << 12 | 0x001u << 20) /* csrw fflags, x0 */
#define FSFLAGSI(v) (0x73 | 5 << 12 | (v) << 15 | 0x001u << 20)
#define FRCSR(rd) (0x73 | (rd) << 7 | 2 << 12 | 0x003u << 20)
#define ADDI(rd, rs, imm) enc_i(0x13, rd, 0, rs, imm)
#define ADD(rd, a, b) enc_r(0x33, rd, 0, a, b, 0)
#define ANDI(rd, rs, imm) enc_i(0x13, rd, 7, rs, imm)
#define LD(rd, rs) enc_i(0x03, rd, 3, rs, 0)

static uint8_t *ram;

/* M-mode handler at BASE: x20 = fflags, skip the trapping instruction */
static const uint32_t handler[] = { FRFLAGS(20), 0x34102ff3, 0x004f8f93, 0x341f9073,
				    0x30200073 };

static struct hart *run(bool jit, const uint32_t *code, unsigned n, uint32_t fflags)
{
	memset(ram, 0, RAM);
	memcpy(ram, handler, sizeof(handler));
	memcpy(ram + PROG, code, 4 * n);
	memcpy(ram + PROG + 4 * n, &(uint32_t){ WFI }, 4);
	struct hart *h = thart_new(ram, BASE, RAM, BASE + PROG, jit);
	static const double f[] = { 0, 1, 2, 3, 0.5, 2147483647.75, 4 };
	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		memcpy(&h->f[i], &f[i], 8);
	h->x[5] = 30; /* loop count */
	h->x[20] = 99;
	h->mtvec = BASE;
	h->fflags = fflags;
	h->mstatus |= MS_FS;
	for (int i = 0; i < 200 && cpu_run(h, 997) != CPU_EXIT_WFI; i++)
		;
	return h;
}

/* want: fflags at the end, x6 (an frflags mid-block or a sum), x20 (the
 * trap handler's fflags, 99 = no trap) */
struct ncase {
	const char *name;
	uint32_t code[12];
	unsigned n;
	uint32_t fflags0, fflags, x6, x20;
	bool spin; /* ends in a jump to itself: runs out of budget, no wfi */
};


static bool check(bool jit, const struct ncase *c, const struct hart *h)
{
	uint64_t x6 = h->x[6], x20 = h->x[20];
	uint64_t pc = BASE + PROG + 4 * (c->spin ? c->n - 1 : c->n + 1); /* past the wfi */
	if (h->fflags == c->fflags && x6 == c->x6 && x20 == c->x20 && h->pc == pc)
		return true;
	fprintf(stderr, "%s: %s: fflags %#x x6 %#llx x20 %llu pc %#llx, want %#x %#x %u\n",
		jit ? "jit" : "interp", c->name, h->fflags, (unsigned long long)x6,
		(unsigned long long)x20, (unsigned long long)h->pc, c->fflags, c->x6, c->x20);
	return false;
}

int main(void)
{
	t_timeout(30);
	setenv("RINGVM_JIT_EAGER", "1", 1); /* translate every block on its first visit */
	ram = malloc(RAM);
	REQUIRE(ram);
	/* r4() is a function: the table is built at run time */
		const struct ncase cases[] = {
		{ "exact add", { FADD(7, 1, 2), FRFLAGS(6) }, 2, 0, 0, 0, 99 },
		{ "inexact div", { FDIV(7, 1, 3), FRFLAGS(6) }, 2, 0, NX, NX, 99 },
		{ "exact, read, inexact", { FADD(7, 1, 2), FMUL(8, 7, 4), FRFLAGS(6), FDIV(9, 1, 3) },
		  4, 0, NX, 0, 99 },
		{ "inexact, exact, read", { FDIV(9, 1, 3), FADD(7, 1, 2), FRFLAGS(6), FADD(8, 7, 7) },
		  4, 0, NX, NX, 99 },
		{ "inexact, clear, exact", { FDIV(9, 1, 3), FSFLAGS0, FADD(7, 1, 2), FRFLAGS(6) },
		  4, 0, 0, 0, 99 },
		{ "clear, exact, inexact", { FSFLAGS0, FADD(7, 1, 2), FRFLAGS(6), FDIV(9, 1, 3) },
		  4, NX, NX, 0, 99 },
		{ "set NX by csr, clear, exact", { FSFLAGSI(NX), FSFLAGS0, FSQRT(7, 6), FRFLAGS(6) },
		  4, 0, 0, 0, 99 },
		{ "fcsr read", { FDIV(9, 1, 3), FRCSR(6) }, 2, 0, NX, NX, 99 },
		{ "sqrt inexact", { FSQRT(7, 2), FRFLAGS(6) }, 2, 0, NX, NX, 99 },
		{ "fcvt.s.d exact then inexact", { FCVT_S_D(7, 4), FRFLAGS(6), FDIV(8, 1, 3),
						   FCVT_S_D(9, 8) }, 4, 0, NX, 0, 99 },
		{ "fma exact", { FMADD(7, 2, 3, 1), FRFLAGS(6) }, 2, 0, 0, 0, 99 },
		{ "fma inexact", { FDIV(8, 1, 3), FSFLAGS0, FMADD(7, 8, 3, 1), FRFLAGS(6) }, 4, 0, NX, NX,
		  99 },
		{ "directed exact", { FDIV_RM(7, 1, 4, RTZ), FRFLAGS(6) }, 2, 0, 0, 0, 99 },
		{ "directed inexact", { FDIV_RM(7, 1, 3, RTZ), FRFLAGS(6) }, 2, 0, NX, NX, 99 },
		/* 2^31 - 0.25 rounds to 2^31: out of range, NV only */
		{ "toint out of range", { FADD(7, 1, 2), FCVT_W_D(6, 5, RNE), FRFLAGS(6) }, 3, 0, NV, NV,
		  99 },
		{ "toint out of range after inexact", { FDIV(7, 1, 3), FCVT_W_D(6, 5, RNE) }, 2, 0,
		  NX | NV, (uint32_t)INT32_MAX, 99 },
		{ "toint inexact", { FADD(7, 1, 2), FCVT_W_D(6, 4, RTZ), FRFLAGS(6) }, 3, 0, NX, NX, 99 },
		/* a helper in the middle (fcvt with RMM: no native code) */
		{ "exact, helper exact, exact", { FADD(7, 1, 2), FCVT_W_D(8, 2, RMM), FMUL(9, 7, 6),
						  FRFLAGS(6) }, 4, 0, 0, 0, 99 },
		{ "exact, helper, inexact", { FADD(7, 1, 2), FCVT_W_D(8, 2, RMM), FDIV(9, 1, 3) }, 3, 0,
		  NX, 0, 99 },
		{ "inexact, helper, exact", { FDIV(9, 1, 3), FCVT_W_D(8, 2, RMM), FADD(7, 1, 2),
					      FRFLAGS(6) }, 4, 0, NX, NX, 99 },
		{ "helper inexact, exact", { FADD(7, 1, 2), FCVT_W_D(8, 4, RMM), FADD(7, 1, 2),
					     FRFLAGS(6) }, 4, 0, NX, NX, 99 },
		/* a load access fault: the handler reads fflags */
		{ "inexact then trap", { FDIV(9, 1, 3), LD(8, 0), FADD(7, 1, 2), FRFLAGS(6) }, 4, 0, NX,
		  NX, NX },
		{ "exact then trap", { FADD(7, 1, 2), LD(8, 0), FDIV(9, 1, 3) }, 3, 0, NX, 0, 0 },
		/* the block is left without a helper call (out of budget) */
		{ "inexact, then spin", { FDIV(9, 1, 3), enc_j(0, 0) }, 2, 0, NX, 0, 99, true },
		{ "exact, then spin", { FADD(9, 1, 2), FADD(8, 9, 9), enc_j(0, 0) }, 3, 0, 0, 0, 99,
		  true },
		{ "loop inexact, then spin", { FCVT_D_L(7, 5), FDIV(8, 7, 3), ADDI(5, 5, -1),
					       bne_back(5, 3), enc_j(0, 0) }, 5, 0, NX, 0, 99, true },
		/* loop blocks: fflags cleared every pass, x6 = passes that were
		 * inexact (x5 / 3 is inexact unless 3 divides x5) */
		{ "loop clearing fflags", { FSFLAGS0, FCVT_D_L(7, 5), FDIV(8, 7, 3), FRFLAGS(10),
					    ADD(6, 6, 10), ADDI(5, 5, -1), bne_back(5, 6) }, 7, NX, NX, 20,
		  99 },
		{ "loop clearing fflags, last exact", { FSFLAGSI(0), FCVT_D_L(7, 5), FDIV(8, 7, 6),
							FADD(9, 8, 8), FRFLAGS(10), ADD(6, 6, 10),
							ADDI(5, 5, -1), bne_back(5, 7) }, 8, NX, 0, 0, 99 },
		/* loop blocks without fflags writes: the head checks once */
		{ "loop all exact", { FCVT_D_L(7, 5), FDIV(8, 7, 6), FADD(9, 8, 8), ADDI(5, 5, -1),
				      bne_back(5, 4) }, 5, 0, 0, 0, 99 },
		{ "loop all exact, then inexact", { FCVT_D_L(7, 5), FDIV(8, 7, 6), FMUL(9, 8, 8), ADDI(5, 5, -1),
					     bne_back(5, 4), FDIV(8, 7, 3), FRFLAGS(6) }, 7, 0, NX, NX,
		  99 },
		{ "loop inexact passes", { FCVT_D_L(7, 5), FDIV(8, 7, 3), ADDI(5, 5, -1), bne_back(5, 3),
					   FRFLAGS(6) }, 5, 0, NX, NX, 99 },
		/* fflags writes after the last back edge (run once, on the way
		 * out: the head's checks stay hoisted), and between two back
		 * edges (the passes through the second undo them) */
		{ "loop, then clear, inexact", { FCVT_D_L(7, 5), FDIV(8, 7, 3), ADDI(5, 5, -1),
						 bne_back(5, 3), FSFLAGS0, FADD(9, 1, 2), FDIV(8, 1, 3),
						 FRFLAGS(6) }, 8, 0, NX, NX, 99 },
		{ "loop inexact, then clear, exact", { FCVT_D_L(7, 5), FDIV(8, 7, 3), ADDI(5, 5, -1),
						       bne_back(5, 3), FRFLAGS(10), FSFLAGS0,
						       FADD(9, 1, 2), FRFLAGS(6), ADD(6, 6, 10) }, 9, 0, 0,
		  NX, 99 },
		{ "loop clearing between back edges", { FCVT_D_L(7, 5), FDIV(8, 7, 3), FRFLAGS(10),
							ADD(6, 6, 10), ADDI(5, 5, -1), ANDI(11, 5, 1),
							bne_back(11, 6), FSFLAGS0, bne_back(5, 8) }, 9,
		  NX, 0, 26, 99 },
	};
	for (int jit = 0; jit < 2; jit++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct hart *h = run(jit, cases[i].code, cases[i].n, cases[i].fflags0);
			if (!check(jit, &cases[i], h))
				t_failures++;
			cpu_hart_free(h);
		}
	free(ram);
	return t_finish();
}
