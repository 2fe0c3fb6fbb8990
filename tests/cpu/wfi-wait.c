/*
 * wfi-wait.c - WFI leaves cpu_run with CPU_EXIT_WFI; cpu_wfi_wait sleeps
 * (no spin) until an enabled interrupt is raised from another thread, a
 * kick, or the deadline.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "harness.h"

static struct hart *h;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *raiser(void *arg)
{
	usleep(50000);
	if (arg)
		cpu_kick(h);
	else
		cpu_set_irq(h, CPU_IRQ_MTIP, true);
	return NULL;
}

int main(void)
{
	t_timeout(20);
	static uint8_t ram[4096];
	const uint32_t prog[] = {
		0x08000293, /* li t0, 0x80 (MTIE) */
		0x30429073, /* csrw mie, t0 */
		0x10500073, /* wfi */
		0x0000006f, /* j . */
	};
	memcpy(ram, prog, sizeof(prog));
	struct cpu_bus bus = { .ram = ram, .ram_base = 0x80000000, .ram_size = sizeof(ram) };
	h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, 0x80000000);
	CHECK_EQ(cpu_run(h, 100), CPU_EXIT_WFI);
	CHECK_EQ(cpu_get_pc(h), 0x8000000c);
	CHECK_EQ(cpu_instret(h), 3);

	/* deadline */
	uint64_t t0 = now_ns();
	cpu_wfi_wait(h, t0 + 30000000);
	uint64_t dt = now_ns() - t0;
	CHECK(dt >= 30000000 && dt < 2000000000);

	/* kick from another thread */
	pthread_t th;
	t0 = now_ns();
	pthread_create(&th, NULL, raiser, (void *)1);
	cpu_wfi_wait(h, 0);
	dt = now_ns() - t0;
	pthread_join(th, NULL);
	CHECK(dt >= 40000000 && dt < 5000000000ull);
	CHECK_EQ(cpu_run(h, 10), CPU_EXIT_KICKED);

	/* interrupt from another thread (MTIE enabled; MIE off, so no trap) */
	t0 = now_ns();
	pthread_create(&th, NULL, raiser, NULL);
	cpu_wfi_wait(h, 0);
	dt = now_ns() - t0;
	pthread_join(th, NULL);
	CHECK(dt >= 40000000 && dt < 5000000000ull);
	/* with the line up, WFI no longer idles and execution continues */
	CHECK_EQ(cpu_run(h, 10), CPU_EXIT_BUDGET);
	CHECK_EQ(cpu_get_pc(h), 0x8000000c);
	cpu_hart_free(h);
	return t_finish();
}
