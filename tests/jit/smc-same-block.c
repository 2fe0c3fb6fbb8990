/*
 * Self-modifying code inside one translated block: a store rewrites an
 * instruction a few words ahead in the same block. The hart sees its own
 * store at once (as the interpreter does, even without fence.i), so the
 * JIT must leave the block after the store and retranslate. Run twice:
 * the second run goes through a block translated from the new bytes, and
 * the rewrite back must be seen too. Both with every block translated on
 * its first visit (RINGVM_JIT_EAGER) and with first visits interpreted.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"

#define BASE 0x80000000ull
#define ADDI_A0(v) (0x00000513u | (uint32_t)(v) << 20)

static uint64_t run_once(struct hart *h, uint32_t new_insn)
{
	cpu_hart_reset(h, BASE);
	cpu_set_gpr(h, 9, BASE);      /* s1: the code */
	cpu_set_gpr(h, 6, new_insn);  /* t1: what to store */
	for (int i = 0; i < 100; i++)
		if (cpu_run(h, 1000) == CPU_EXIT_WFI)
			break;
	return cpu_get_gpr(h, 10);
}

int main(int argc, char **argv)
{
	(void)argv;
	t_timeout(30);
	static uint8_t ram[1 << 16];
	static const uint32_t prog[] = {
		0x0064a423,   /* sw t1, 8(s1) */
		0x00000013,   /* nop */
		ADDI_A0(1),   /* rewritten before it runs */
		0x10500073,   /* wfi */
	};
	for (int eager = 0; eager < 2; eager++) {
		if (eager)
			setenv("RINGVM_JIT_EAGER", "1", 1);
		memcpy(ram, prog, sizeof(prog));
		struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = sizeof(ram) };
		struct hart *h = cpu_hart_new(&bus, 0);
		REQUIRE(h);
		if (argc < 2) /* any argument: the interpreter, to see the reference */
			REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
		CHECK_EQ(run_once(h, ADDI_A0(2)), 2);
		CHECK_EQ(run_once(h, ADDI_A0(3)), 3);
		CHECK_EQ(run_once(h, ADDI_A0(3)), 3); /* same bytes: a warm block */
		CHECK_EQ(run_once(h, ADDI_A0(4)), 4);
		CHECK_EQ(run_once(h, ADDI_A0(4)), 4);
		cpu_hart_free(h);
	}
	return t_finish();
}
