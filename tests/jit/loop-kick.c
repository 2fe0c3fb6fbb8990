/*
 * The JIT's budget and check-flag test (one compare of RBP with h->check,
 * which is 0 or, when raised, more than any budget): at a loop block's
 * back edge and at the entry of chained blocks. A tight loop must stop at
 * its budget with instret exact, and leave promptly on a kick from
 * another thread (a flag test that never fires would run 2^40
 * instructions: minutes), with instret again matching the work done.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "rvenc.h"

#define BASE 0x80000000ull
#define A0 10
#define A1 11

static struct hart *h;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *kicker(void *arg)
{
	(void)arg;
	usleep(30000);
	cpu_kick(h);
	return NULL;
}

/* instret == 2 * (a0 + a1): every pass is two instructions per counter */
static void check_count(const char *what)
{
	uint64_t work = 2 * (cpu_get_gpr(h, A0) + cpu_get_gpr(h, A1));
	if (cpu_instret(h) != work) {
		t_failures++;
		fprintf(stderr, "%s: instret %llu, work %llu\n", what,
			(unsigned long long)cpu_instret(h), (unsigned long long)work);
	}
}

static void run(const char *name, const uint32_t *prog, unsigned n)
{
	static uint8_t ram[4096];
	memset(ram, 0, sizeof(ram));
	memcpy(ram, prog, 4 * n);
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = sizeof(ram) };
	h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, BASE);
	REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
	/* the budget: exact, the blocks being two instructions */
	CHECK_EQ(cpu_run(h, 1000), CPU_EXIT_BUDGET);
	CHECK_EQ(cpu_instret(h), 1000);
	check_count(name);
	for (int k = 0; k < 3; k++) {
		uint64_t before = cpu_instret(h);
		pthread_t t;
		REQUIRE(pthread_create(&t, NULL, kicker, NULL) == 0);
		double t0 = now_s();
		enum cpu_exit why = cpu_run(h, 1ull << 40);
		double dt = now_s() - t0;
		pthread_join(t, NULL);
		CHECK_EQ(why, CPU_EXIT_KICKED);
		CHECK(dt < 5.0);
		CHECK(cpu_instret(h) > before);
		check_count(name);
		printf("%s: kicked after %.3f s, %llu instructions\n", name, dt,
		       (unsigned long long)(cpu_instret(h) - before));
	}
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(60);
	setenv("RINGVM_JIT_EAGER", "1", 1);
	/* a loop block: addi a0, a0, 1; bnez a0 back to it (its pass: 2 of
	 * the block's 4 instructions, so the charge undone on the way out is
	 * not the pass's); the rest is never reached */
	const uint32_t loop[] = { enc_i(0x13, A0, 0, A0, 1), enc_b(1, A0, 0, -4),
				  enc_i(0x13, A1, 0, A1, 1), enc_j(0, -12) };
	run("loop-block", loop, 4);
	/* two chained blocks jumping to each other: their entries test it */
	const uint32_t pair[] = { enc_i(0x13, A0, 0, A0, 1), enc_j(0, 4),
				  enc_i(0x13, A1, 0, A1, 1), enc_j(0, -12) };
	run("chained", pair, 4);
	return t_finish();
}
