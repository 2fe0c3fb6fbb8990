/*
 * bench-mips - guest instructions per second on a bare hart: the same
 * integer loop under the interpreter and under the JIT (thread CPU time).
 * Prints JSON lines (perf/README conventions), the interpreter as anchor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"

#define BASE 0x80000000ull

/* s1 = outer count, s2 = array; inner: 8 x (ld, add, xor, slli, srli,
 * add, sd, addi, addi, bnez), then jal leaf; leaf: addi a0; ret */
static const uint32_t prog[] = {
	0x000f44b7, /* lui s1, 0xf4 (1M outer iterations) */
	0x00001917, /* auipc s2, 1: the data page is not the code page */
	0x10090913, /* addi s2, s2, 0x100 */
	0x00000513, /* li a0, 0 */
	0x00090593, /* 1: mv a1, s2 */
	0x00800613, /* li a2, 8 */
	0x0005b283, /* 2: ld t0, 0(a1) */
	0x00550533, /* add a0, a0, t0 */
	0x00a2c2b3, /* xor t0, t0, a0 */
	0x00351313, /* slli t1, a0, 3 */
	0x00755393, /* srli t2, a0, 7 */
	0x00730533, /* add a0, t1, t2 */
	0x0055b023, /* sd t0, 0(a1) */
	0x00858593, /* addi a1, a1, 8 */
	0xfff60613, /* addi a2, a2, -1 */
	0xfc061ee3, /* bnez a2, 2b */
	0x014000ef, /* jal leaf */
	0xfff48493, /* addi s1, s1, -1 */
	0xfc0494e3, /* bnez s1, 1b */
	0x10500073, /* wfi */
	0x0000006f, /* j . */
	0x00150513, /* leaf: addi a0, a0, 1 */
	0x00008067, /* ret */
};

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns MIPS, or -1 when the engine cannot start. */
static double mips(bool jit, uint64_t *insns, uint64_t *a0)
{
	static uint8_t ram[1 << 16];
	memset(ram, 0, sizeof(ram));
	memcpy(ram, prog, sizeof(prog));
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = sizeof(ram) };
	struct hart *h = cpu_hart_new(&bus, 0);
	if (!h || (jit && cpu_set_accel(h, CPU_ACCEL_JIT, false))) {
		cpu_hart_free(h);
		return -1;
	}
	double t0 = cpu_seconds();
	for (int n = 0; n < 1000 && cpu_run(h, 1u << 22) != CPU_EXIT_WFI; n++)
		; /* bounded: ~85M instructions are expected */
	double t = cpu_seconds() - t0;
	*insns = cpu_instret(h);
	*a0 = cpu_get_gpr(h, 10);
	cpu_hart_free(h);
	return (double)*insns / t / 1e6;
}

int main(void)
{
	uint64_t ni, nj, ai, aj;
	double i = mips(false, &ni, &ai), j = mips(true, &nj, &aj);
	if (ni != nj || ai != aj) {
		fprintf(stderr, "bench-mips: the JIT and the interpreter disagree "
			"(%llu vs %llu instructions)\n", (unsigned long long)nj,
			(unsigned long long)ni);
		return 1;
	}
	printf("{\"suite\":\"jit\",\"metric\":\"loop_mips\",\"value\":%.1f,\"unit\":\"MIPS\","
	       "\"anchor\":\"interp\",\"anchor_value\":%.1f,\"insns\":%llu}\n", j, i,
	       (unsigned long long)ni);
	return j < 0 ? 1 : 0;
}
