/*
 * Code written behind the hart's back (as device DMA or a loader would:
 * straight into guest RAM, not through the hart's stores) is picked up
 * after the guest executes fence.i: the JIT rechecks the page's bytes and
 * drops its stale blocks. The same code page is used warm and after the
 * rewrite; with first visits interpreted (the default) and with every
 * block translated on its first visit (RINGVM_JIT_EAGER).
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"

#define BASE 0x80000000ull
#define ADDI_A0(v) (0x00000513u | (uint32_t)(v) << 20)

int main(void)
{
	t_timeout(30);
	static uint8_t ram[1 << 16];
	static const uint32_t prog[] = {
		0x0000100f,   /* 0x00: fence.i */
		0x00c000ef,   /* 0x04: jal ra, 0x10 */
		0x10500073,   /* 0x08: wfi */
		0x00000013,   /* 0x0c */
		ADDI_A0(1),   /* 0x10: f: rewritten from outside */
		0x00008067,   /* 0x14: ret */
	};
	for (int eager = 0; eager < 2; eager++) {
		if (eager)
			setenv("RINGVM_JIT_EAGER", "1", 1);
		memcpy(ram, prog, sizeof(prog));
		struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = sizeof(ram) };
		struct hart *h = cpu_hart_new(&bus, 0);
		REQUIRE(h);
		cpu_hart_reset(h, BASE);
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
		for (int v = 1; v <= 4; v++) {
			uint32_t insn = ADDI_A0(v);
			memcpy(ram + 0x10, &insn, 4); /* the "device" writes */
			for (int rep = 0; rep < 3; rep++) {
				h->pc = BASE; /* no reset: only the guest's fence.i may notice */
				for (int i = 0; i < 100; i++)
					if (cpu_run(h, 1000) == CPU_EXIT_WFI)
						break;
				CHECK_EQ(cpu_get_gpr(h, 10), (uint64_t)v);
			}
		}
		cpu_hart_free(h);
	}
	return t_finish();
}
