/*
 * fcvt.{w,wu,l,lu}.{s,d} in every rounding mode (static RNE, RTZ, RDN,
 * RUP - glibc's floor and ceil use RDN/RUP -, RMM, and dynamic) under the
 * interpreter and the JIT (native through SSE4.1 roundsd except RMM and
 * dynamic non-RNE): the integer and fflags must agree, for halves and
 * near-halves of both signs, integers, values just inside and outside
 * each type's range, infinities and NaNs, with fflags starting clear (the
 * JIT tracks inexactness then, and an out-of-range result must stay NV
 * only) and set; plus known answers for floor/ceil/trunc of -2.5.
 */
#include <math.h>
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 16)
#define PROG 0x1000u

#define FRFLAGS(rd) (0x73 | (rd) << 7 | 2 << 12 | 0x001u << 20)
#define FCVT_INT(rd, fmt, rm, type) r4(0x18, fmt, rd, rm, 1, type)
#define FADD_D(rd, a, b) r4(0, 1, rd, 0, a, b)

static uint8_t *ram;

/* x10 = fcvt(f1), x11 = fflags; an exact fadd first (starts tracking) */
static struct hart *run(bool jit, uint32_t op, uint64_t f1, uint32_t fflags, uint32_t frm)
{
	memset(ram, 0, RAM);
	const uint32_t code[] = { FADD_D(2, 3, 3), op, FRFLAGS(11), WFI };
	memcpy(ram + PROG, code, sizeof(code));
	struct hart *h = thart_new(ram, BASE, RAM, BASE + PROG, jit);
	h->f[1] = f1;
	h->f[3] = 0;
	h->fflags = fflags;
	h->frm = frm;
	h->mstatus |= MS_FS;
	for (int i = 0; i < 10 && cpu_run(h, 1000) != CPU_EXIT_WFI; i++)
		;
	return h;
}

static uint64_t bits(double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	return u;
}

static uint64_t sbits(float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	return BOX(u);
}

int main(void)
{
	t_timeout(60);
	setenv("RINGVM_JIT_EAGER", "1", 1); /* translate every block on its first visit */
	ram = malloc(RAM);
	REQUIRE(ram);
	static const double vals[] = {
		0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 2.0, -3.0, 0.49999999999999994,
		2147483647.0, 2147483647.5, 2147483648.0, -2147483648.0, -2147483648.5,
		-2147483649.0, 4294967295.0, 4294967295.5, 4294967296.0, 9007199254740993.0,
		9223372036854774784.0, 9223372036854775808.0, -9223372036854775808.0,
		18446744073709549568.0, 18446744073709551616.0, 1e300, -1e300, INFINITY,
		-INFINITY, NAN, -0.75, 0.75, 1e-300,
	};
	static const unsigned rms[] = { 0, 1, 2, 3, 4, 7 };
	unsigned n = 0;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		for (unsigned fmt = 0; fmt < 2; fmt++)
			for (unsigned type = 0; type < 4; type++)
				for (unsigned r = 0; r < 6; r++)
					for (unsigned fl = 0; fl < 2; fl++) {
						uint64_t f1 = fmt ? bits(vals[i]) : sbits((float)vals[i]);
						uint32_t op = FCVT_INT(10, fmt, rms[r], type);
						uint32_t frm = rms[r] == 7 ? (unsigned)(i + type) % 4 : 0;
						struct hart *a = run(false, op, f1, fl, frm);
						struct hart *b = run(true, op, f1, fl, frm);
						if (a->x[10] != b->x[10] || a->x[11] != b->x[11] ||
						    a->fflags != b->fflags || a->pc != b->pc) {
							fprintf(stderr, "fcvt type %u fmt %u rm %u frm %u of "
								"%#llx (fflags %u): jit %#llx/%#llx, "
								"interp %#llx/%#llx\n", type, fmt, rms[r],
								frm, (unsigned long long)f1, fl,
								(unsigned long long)b->x[10],
								(unsigned long long)b->x[11],
								(unsigned long long)a->x[10],
								(unsigned long long)a->x[11]);
							t_failures++;
						}
						cpu_hart_free(a);
						cpu_hart_free(b);
						n++;
					}
	/* known answers: fcvt.l.d of -2.5 in RDN, RUP, RTZ, RNE */
	static const struct { unsigned rm; int64_t want; } ka[] = { { 2, -3 }, { 3, -2 }, { 1, -2 },
								    { 0, -2 } };
	for (int jit = 0; jit < 2; jit++)
		for (size_t k = 0; k < sizeof(ka) / sizeof(ka[0]); k++) {
			struct hart *h = run(jit, FCVT_INT(10, 1, ka[k].rm, 2), bits(-2.5), 0, 0);
			CHECK_EQ((int64_t)h->x[10], ka[k].want);
			CHECK_EQ(h->x[11], 1u);
			cpu_hart_free(h);
		}
	printf("%u conversions compared\n", n);
	free(ram);
	return t_finish();
}
