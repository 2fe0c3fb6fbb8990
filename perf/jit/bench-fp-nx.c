/*
 * bench-fp-nx - an FP loop on a bare hart whose passes clear fflags (as
 * feclearexcept, fenv save/restore in libm and fesetenv do), under the
 * JIT and the interpreter (thread CPU time), next to the same loop with
 * fflags.NX left set (the JIT's fastest case). Variants: clear and read
 * fflags every pass; clear only; results all exact with NX clear (NX
 * never gets set); NX set; NX set with frm = RTZ (a program running under
 * fesetround(FE_TOWARDZERO): the ops' dynamic mode). Prints JSON lines (perf/README conventions):
 * ns per pass, the interpreter as anchor, and the NX-set loop's figure
 * alongside.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "cpu/hart.h"

#define BASE 0x80000000ull
#define PASSES 2000000u

static uint32_t r4(uint32_t f5, uint32_t rd, uint32_t rs1, uint32_t rs2)
{
	return 0x53 | rd << 7 | 7u << 12 | rs1 << 15 | rs2 << 20 | (f5 << 2 | 1) << 25; /* .d, dyn */
}

#define FADD(d, a, b) r4(0, d, a, b)
#define FMUL(d, a, b) r4(2, d, a, b)
#define FDIV(d, a, b) r4(3, d, a, b)
#define FSFLAGS0 0x00101073u        /* csrw fflags, x0 */
#define FRFLAGS_T0 0x001022f3u      /* frflags t0 */
#define ADD_S3_T0 0x005989b3u       /* add s3, s3, t0 */
#define ADDI_S1_M1 0xfff48493u      /* addi s1, s1, -1 */
#define WFI 0x10500073u

enum variant { V_RTZ, V_CLEAR_READ, V_CLEAR, V_EXACT, V_NXSET, V_N };
static const char *const names[V_N] = { "frm_rtz", "clear_read", "clear", "exact_nx_clear",
					"nx_set" };

/* The loop: 4 FP ops a pass (f3 += f1 inexact unless V_EXACT, where f1
 * and f3 are small integers, and f2 = 1, f6 = 2: all exact) */
static unsigned program(enum variant v, uint32_t *p)
{
	unsigned n = 0;
	if (v == V_CLEAR_READ || v == V_CLEAR)
		p[n++] = FSFLAGS0;
	p[n++] = FADD(3, 3, 1);
	p[n++] = FMUL(4, 3, 2);
	p[n++] = FDIV(5, 4, 6);
	p[n++] = FADD(7, 5, 4);
	if (v == V_CLEAR_READ) {
		p[n++] = FRFLAGS_T0;
		p[n++] = ADD_S3_T0;
	}
	p[n++] = ADDI_S1_M1;
	/* bnez s1, back to the first instruction */
	int32_t off = -(int32_t)(4 * n);
	uint32_t u = (uint32_t)off;
	p[n] = 0x63 | (u >> 11 & 1) << 7 | (u >> 1 & 15) << 8 | 1u << 12 | 9u << 15 |
	       (u >> 5 & 63) << 25 | (u >> 12 & 1) << 31;
	n++;
	p[n++] = WFI;
	return n;
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ns per pass, or -1 when the engine cannot start; *sum = s3, *fl = fflags */
static double run(enum variant v, bool jit, uint64_t *sum, uint32_t *fl)
{
	static uint8_t ram[1 << 16];
	memset(ram, 0, sizeof(ram));
	uint32_t prog[16];
	unsigned n = program(v, prog);
	memcpy(ram, prog, 4 * n);
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = sizeof(ram) };
	struct hart *h = cpu_hart_new(&bus, 0);
	if (!h || (jit && cpu_set_accel(h, CPU_ACCEL_JIT, false))) {
		cpu_hart_free(h);
		return -1;
	}
	double f1 = v == V_EXACT ? 1.0 : 0.1, f2 = v == V_EXACT ? 1.0 : 1.7, f6 = 2.0, f3 = 0;
	memcpy(&h->f[1], &f1, 8);
	memcpy(&h->f[2], &f2, 8);
	memcpy(&h->f[3], &f3, 8);
	memcpy(&h->f[6], &f6, 8);
	h->x[9] = PASSES;
	h->mstatus |= MS_FS;
	h->fflags = v == V_NXSET || v == V_RTZ ? 1 : 0;
	h->frm = v == V_RTZ ? 1 : 0; /* fesetround(FE_TOWARDZERO) */
	double t0 = cpu_seconds();
	for (int i = 0; i < 100000 && cpu_run(h, 1u << 22) != CPU_EXIT_WFI; i++)
		;
	double t = cpu_seconds() - t0;
	*sum = cpu_get_gpr(h, 19);
	*fl = h->fflags;
	bool done = h->x[9] == 0;
	cpu_hart_free(h);
	return done ? t / PASSES * 1e9 : -1;
}

int main(void)
{
	double ref = 0;
	int rc = 0;
	for (int v = V_N - 1; v >= 0; v--) { /* nx_set first: the others' reference */
		uint64_t si, sj;
		uint32_t fi, fj;
		double i = run(v, false, &si, &fi), j = run(v, true, &sj, &fj);
		if (i < 0 || j < 0 || si != sj || fi != fj) {
			fprintf(stderr, "bench-fp-nx: %s: the JIT and the interpreter disagree "
				"(s3 %llu/%llu, fflags %#x/%#x) or did not finish\n", names[v],
				(unsigned long long)sj, (unsigned long long)si, fj, fi);
			rc = 1;
			continue;
		}
		if (v == V_NXSET)
			ref = j;
		printf("{\"suite\":\"jit\",\"metric\":\"fp_nx_%s_ns_per_pass\",\"value\":%.2f,"
		       "\"unit\":\"ns\",\"anchor\":\"interp\",\"anchor_value\":%.2f,"
		       "\"jit_nx_set_value\":%.2f,\"passes\":%u}\n", names[v], j, i, ref, PASSES);
	}
	return rc;
}
