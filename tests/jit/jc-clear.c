/*
 * The jump cache is emptied when code changes, however many entries were
 * filled since it was last emptied (jit.c's jc_clear clears only the sets
 * it logged, or all of it once the log overflowed). The guest calls 3000
 * small functions through jalr (each fill of the cache is logged: more
 * than the log holds), then a store rewrites the last one - filled after
 * the log overflowed, into a set none of the logged fills used (4-byte
 * functions in a row take consecutive sets) - and calls it again: the new
 * instruction must run, not the stale block the cache pointed at. Then once more with a short
 * run (a few fills, no overflow), rewriting the first function.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"

#define BASE 0x80000000ull
#define FBASE (BASE + 0x1000)
#define FN_OLD 0x80820505u /* c.addi a0, 1; c.jr ra */
#define FN_NEW 0x8082057du /* c.addi a0, 31; c.jr ra */

static const uint32_t prog[] = {
	0x000480e7, /* 0x00: jalr ra, 0(s1) */
	0x00448493, /* 0x04: addi s1, s1, 4 */
	0xfff90913, /* 0x08: addi s2, s2, -1 */
	0xfe091ae3, /* 0x0c: bnez s2, 0x00 */
	0x00498493, /* 0x10: addi s1, s3, 4 (s3: the function to rewrite - 4) */
	0x0064a023, /* 0x14: sw t1, 0(s1) */
	0x000480e7, /* 0x18: jalr ra, 0(s1) */
	0x10500073, /* 0x1c: wfi */
};

static uint64_t run(uint8_t *ram, size_t size, unsigned nfn, unsigned rewrite)
{
	memset(ram, 0, size);
	memcpy(ram, prog, sizeof(prog));
	for (unsigned i = 0; i < nfn; i++) {
		uint32_t fn = FN_OLD;
		memcpy(ram + (FBASE - BASE) + 4 * i, &fn, sizeof(fn));
	}
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = size };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
	cpu_hart_reset(h, BASE);
	cpu_set_gpr(h, 9, FBASE);                          /* s1 */
	cpu_set_gpr(h, 18, nfn);                           /* s2 */
	cpu_set_gpr(h, 19, FBASE + 4 * rewrite - 4);       /* s3 */
	cpu_set_gpr(h, 6, FN_NEW);                         /* t1 */
	for (int i = 0; i < 10000; i++)
		if (cpu_run(h, 1000) == CPU_EXIT_WFI)
			break;
	uint64_t a0 = cpu_get_gpr(h, 10);
	CHECK_EQ(cpu_get_pc(h), BASE + 0x20); /* after the wfi */
	cpu_hart_free(h);
	return a0;
}

int main(void)
{
	t_timeout(60);
	static uint8_t ram[1 << 16];
	/* every block translated on its first visit: each call fills the cache */
	setenv("RINGVM_JIT_EAGER", "1", 1);
	CHECK_EQ(run(ram, sizeof(ram), 3000, 2999), 3000 + 31);
	CHECK_EQ(run(ram, sizeof(ram), 20, 0), 20 + 31);
	unsetenv("RINGVM_JIT_EAGER");
	CHECK_EQ(run(ram, sizeof(ram), 3000, 2999), 3000 + 31);
	return t_finish();
}
