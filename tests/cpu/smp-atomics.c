/*
 * smp-atomics.c - two harts on two threads share RAM: 20000 amoadd.w and
 * 20000 LR/SC increments each on shared counters must give exactly 40000
 * (AMOs are host atomics; SC is a compare-and-swap on the LR value).
 */
#include <pthread.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"

/*
 *   li s0, 0x80001000 ; li s1, 0x80001008 ; li t0, 126496 (c.lui 31; addiw -480)
 * 1: li t1, 1 ; amoadd.w zero, t1, (s0)
 * 2: lr.w t2, (s1) ; addi t2, t2, 1 ; sc.w t3, t2, (s1) ; bnez t3, 2b
 *   addi t0, t0, -1 ; bnez t0, 1b
 * 3: wfi ; j 3b
 */
static const uint8_t prog[] = {
	0x37, 0x04, 0x08, 0x00, 0x05, 0x24, 0x32, 0x04, 0xb7, 0x04, 0x08, 0x00,
	0x85, 0x24, 0xb2, 0x04, 0xa1, 0x04, 0xfd, 0x62, 0x9b, 0x82, 0x02, 0xe2,
	0x05, 0x43, 0x2f, 0x20, 0x64, 0x00, 0xaf, 0xa3, 0x04, 0x10, 0x85, 0x03,
	0x2f, 0xae, 0x74, 0x18, 0xe3, 0x1b, 0x0e, 0xfe, 0xfd, 0x12, 0xe3, 0x95,
	0x02, 0xfe, 0x73, 0x00, 0x50, 0x10, 0xf5, 0xbf,
};

static uint8_t ram[8192] __attribute__((aligned(4096)));

static pthread_barrier_t start;

static void *run(void *arg)
{
	struct hart *h = arg;
	pthread_barrier_wait(&start);
	/* small slices so the two threads interleave a lot */
	while (cpu_run(h, 97) != CPU_EXIT_WFI)
		;
	return NULL;
}

int main(void)
{
	t_timeout(60);
	memcpy(ram, prog, sizeof(prog));
	struct cpu_bus bus = { .ram = ram, .ram_base = 0x80000000, .ram_size = sizeof(ram) };
	struct hart *h[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		h[i] = cpu_hart_new(&bus, (unsigned)i);
		REQUIRE(h[i]);
		cpu_hart_reset(h[i], 0x80000000);
	}
	pthread_barrier_init(&start, NULL, 2);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, run, h[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	uint32_t amo, lrsc;
	memcpy(&amo, ram + 0x1000, 4);
	memcpy(&lrsc, ram + 0x1008, 4);
	CHECK_EQ(amo, 2 * 126496);
	CHECK_EQ(lrsc, 2 * 126496);
	for (int i = 0; i < 2; i++)
		cpu_hart_free(h[i]);
	return t_finish();
}
