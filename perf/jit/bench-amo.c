/*
 * bench-amo - the cost of one guest AMO (and of an LR/SC pair) on a bare
 * hart: a loop of eight of them on two doublewords, under the JIT and
 * under the interpreter (the anchor), in thread CPU time. One JSON line
 * per form: ns per AMO (per LR/SC pair), lower is better.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"

#define BASE 0x80000000ull
#define ITERS 1000000u

enum { T0 = 5, T1, T2, A0 = 10, A1 };

static uint32_t enc_r(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2,
		      uint32_t f7)
{
	return op | rd << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | f7 << 25;
}

static uint32_t bne_back(uint32_t rs, unsigned n)
{
	uint32_t u = (uint32_t)-(int32_t)(4 * n);
	return 0x63 | (u >> 11 & 1) << 7 | (u >> 1 & 15) << 8 | 1u << 12 | rs << 15 |
	       (u >> 5 & 63) << 25 | (u >> 12 & 1) << 31;
}

struct form { const char *name; uint32_t f5, f3, rd; }; /* f5 2: an lr/sc pair */

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ns per AMO (per pair), or -1 when the engine cannot start */
static double run(const struct form *f, bool jit)
{
	static uint8_t ram[1 << 16];
	uint32_t code[24];
	unsigned n = 0;
	for (unsigned i = 0; i < 8; i++) {
		uint32_t base = i & 1 ? A1 : A0;
		if (f->f5 == 2) {
			code[n++] = enc_r(0x2f, T1, f->f3, base, 0, 0x02 << 2);
			code[n++] = enc_r(0x2f, T2, f->f3, base, T1, 0x03 << 2);
		} else {
			code[n++] = enc_r(0x2f, f->rd, f->f3, base, T2, f->f5 << 2);
		}
	}
	code[n++] = 0xfff28293; /* addi t0, t0, -1 */
	code[n] = bne_back(T0, n);
	n++;
	code[n++] = 0x10500073; /* wfi */
	memset(ram, 0, sizeof(ram));
	memcpy(ram, code, 4 * n);
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = sizeof(ram) };
	struct hart *h = cpu_hart_new(&bus, 0);
	if (!h || (jit && cpu_set_accel(h, CPU_ACCEL_JIT, false))) {
		cpu_hart_free(h);
		return -1;
	}
	cpu_set_gpr(h, T0, ITERS);
	cpu_set_gpr(h, A0, BASE + 0x8000);
	cpu_set_gpr(h, A1, BASE + 0x8040);
	cpu_set_gpr(h, T2, 3);
	double t0 = cpu_seconds();
	for (int k = 0; k < 1000 && cpu_run(h, 1u << 22) != CPU_EXIT_WFI; k++)
		; /* bounded: ~10M instructions are expected */
	double t = cpu_seconds() - t0;
	bool done = cpu_get_gpr(h, T0) == 0;
	cpu_hart_free(h);
	return done ? t * 1e9 / (ITERS * 8.0) : -1;
}

int main(void)
{
	static const struct form forms[] = {
		{ "amoadd_w_x0", 0x00, 2, 0 },  /* atomic_add */
		{ "amoadd_d", 0x00, 3, T1 },    /* atomic_fetch_add */
		{ "amoor_d_x0", 0x08, 3, 0 },   /* set_bit */
		{ "amoor_d", 0x08, 3, T1 },     /* test_and_set_bit */
		{ "amoswap_d", 0x01, 3, T1 },
		{ "amomaxu_d", 0x1c, 3, T1 },
		{ "lr_sc_d", 0x02, 3, 0 },
	};
	int status = 0;
	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		double in = run(&forms[i], false), j = run(&forms[i], true);
		if (in < 0 || j < 0) {
			fprintf(stderr, "bench-amo: %s did not finish (%s)\n", forms[i].name,
				in < 0 ? "interpreter" : "JIT");
			status = 1;
			continue;
		}
		printf("{\"suite\":\"jit\",\"metric\":\"%s_ns\",\"value\":%.2f,\"unit\":\"ns\","
		       "\"anchor\":\"interp\",\"anchor_value\":%.2f}\n", forms[i].name, j, in);
	}
	return status;
}
