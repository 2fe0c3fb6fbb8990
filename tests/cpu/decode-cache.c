/*
 * decode-cache.c - the decode cache versus memory the host changes behind
 * the hart's back (as device DMA does): stale until fence.i, then new.
 * Also: the instruction budget is exact and registers read back.
 */
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"

static uint32_t ram[1024];

int main(void)
{
	t_timeout(20);
	/* 0x0: addi a0, zero, 1 ; 0x4: fence.i ; 0x8: j 0 */
	ram[0] = 0x00100513;
	ram[1] = 0x0000100f;
	ram[2] = 0xff9ff06f;
	struct cpu_bus bus = { .ram = (uint8_t *)ram, .ram_base = 0x80000000,
			       .ram_size = sizeof(ram) };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, 0x80000000);
	CHECK_EQ(cpu_run(h, 1), CPU_EXIT_BUDGET);
	CHECK_EQ(cpu_get_gpr(h, 10), 1);
	CHECK_EQ(cpu_get_pc(h), 0x80000004);
	CHECK_EQ(cpu_instret(h), 1);
	/* DMA-like change while the decoded insn is cached: after the
	   fence.i (next insn) and the jump back, the new one runs */
	ram[0] = 0x00200513; /* addi a0, zero, 2 */
	CHECK_EQ(cpu_run(h, 3), CPU_EXIT_BUDGET);
	CHECK_EQ(cpu_get_gpr(h, 10), 2);
	CHECK_EQ(cpu_instret(h), 4);
	/* once more: the change shows after the fence.i at 0x4 */
	cpu_set_gpr(h, 10, 0);
	ram[0] = 0x00300513;
	CHECK_EQ(cpu_run(h, 2), CPU_EXIT_BUDGET); /* fence.i, j */
	CHECK_EQ(cpu_run(h, 1), CPU_EXIT_BUDGET);
	CHECK_EQ(cpu_get_gpr(h, 10), 3);
	cpu_set_gpr(h, 0, 55);
	CHECK_EQ(cpu_get_gpr(h, 0), 0);
	CHECK_EQ(cpu_get_priv(h), 3);
	char buf[2048], small[16];
	int n = cpu_dump(h, buf, sizeof(buf));
	CHECK(n > 0 && n < (int)sizeof(buf));
	CHECK(strstr(buf, "a0   0000000000000003") != NULL);
	CHECK(strstr(buf, "priv M") != NULL);
	CHECK_EQ(cpu_dump(h, small, sizeof(small)), n); /* truncates safely */
	CHECK_EQ(strlen(small), sizeof(small) - 1);
	cpu_hart_free(h);
	return t_finish();
}
