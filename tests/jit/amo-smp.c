/*
 * Two harts under the JIT on two threads hammer one shared doubleword
 * with amoxor.d (rd != x0: jit-amo.c's lock cmpxchg loop), each toggling
 * its own bit: the old values a hart sees must show its bit alternating
 * (a compare-and-swap lost to the other hart without a retry would drop a
 * toggle), and the word must end at zero. Beside it amoadd.w with rd (lock
 * xadd) and with rd = x0 (lock add), and an lr.w/sc.w increment loop,
 * count every pass on shared words. The
 * interleaving depends on the host scheduler: a compare-and-swap fails
 * only when the other thread writes inside its three-instruction window,
 * so a missing retry is found when the threads overlap long enough (about
 * half the runs on a loaded 2-core host; a correct loop always passes).
 */
#include <pthread.h>
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define N 1000000

enum { T0 = 5, T1, T2, S0 = 8, S1, A0, A1, A2, T3 = 28, T4, T5, T6 };

#define AMOXOR_D(rd, rs2, rs1) enc_r(0x2f, rd, 3, rs1, rs2, 0x04 << 2)
#define AMOADD_W(rd, rs2, rs1) enc_r(0x2f, rd, 2, rs1, rs2, 0x00 << 2)

static uint8_t ram[0x4000] __attribute__((aligned(4096)));
static pthread_barrier_t start;

static void *run(void *arg)
{
	struct hart *h = arg;
	pthread_barrier_wait(&start);
	while (cpu_run(h, 997) != CPU_EXIT_WFI)
		;
	return NULL;
}

int main(void)
{
	t_timeout(120);
	/* s0: the shared word, a1/a2: the counters, t2: this hart's bit,
	 * t4: its expected value in the old word, s1: mismatches, t0: passes */
	const uint32_t code[] = {
		AMOXOR_D(T3, T2, S0),                   /* 1: */
		enc_r(0x33, T3, 7, T3, T2, 0),          /* and t3, t3, t2 */
		enc_b(0, T3, T4, 8),                    /* beq t3, t4, 2f */
		enc_i(0x13, S1, 0, S1, 1),              /* addi s1, s1, 1 */
		enc_r(0x33, T4, 4, T4, T2, 0),          /* 2: xor t4, t4, t2 */
		AMOADD_W(T5, T6, A1),                   /* amoadd.w t5, t6, (a1) */
		AMOADD_W(0, T6, A2),                    /* amoadd.w zero, t6, (a2) */
		enc_r(0x2f, T1, 2, A0, 0, 0x02 << 2),   /* 3: lr.w t1, (a0) */
		enc_i(0x13, T1, 0, T1, 1),              /* addi t1, t1, 1 */
		enc_r(0x2f, 18, 2, A0, T1, 0x03 << 2),  /* sc.w s2, t1, (a0) */
		enc_b(1, 18, 0, -12),                   /* bnez s2, 3b */
		enc_i(0x13, T0, 0, T0, -1),             /* addi t0, t0, -1 */
		bne_back(T0, 12),
		WFI,
	};
	memcpy(ram, code, sizeof(code));
	struct hart *h[2];
	pthread_t th[2];
	for (unsigned i = 0; i < 2; i++) {
		h[i] = thart_new(ram, BASE, sizeof(ram), BASE, true);
		h[i]->x[S0] = BASE + 0x2000;
		h[i]->x[A0] = BASE + 0x2018;
		h[i]->x[A1] = BASE + 0x2008;
		h[i]->x[A2] = BASE + 0x2010;
		h[i]->x[T2] = 1ull << (i * 40);
		h[i]->x[T6] = 1;
		h[i]->x[T0] = N;
	}
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, run, h[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	uint64_t word;
	uint32_t c1, c2, c3;
	memcpy(&c3, ram + 0x2018, 4);
	memcpy(&word, ram + 0x2000, 8);
	memcpy(&c1, ram + 0x2008, 4);
	memcpy(&c2, ram + 0x2010, 4);
	CHECK_EQ(word, 0);
	CHECK_EQ(c1, 2 * N);
	CHECK_EQ(c2, 2 * N);
	CHECK_EQ(c3, 2 * N);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(h[i]->x[S1], 0); /* every old value showed the right bit */
		cpu_hart_free(h[i]);
	}
	return t_finish();
}
