/*
 * thart.h - a fresh hart on a flat RAM image, for the CPU and JIT tests
 * that run the same program under the interpreter and the JIT and
 * compare. Header-only; the caller owns the RAM (cpu_hart_new copies the
 * bus) and frees the hart.
 */
#ifndef RINGVM_TESTS_HARNESS_THART_H
#define RINGVM_TESTS_HARNESS_THART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/hart.h"
#include "harness.h"

/* A hart reset to entry, on RAM [base, base + size) at host address ram,
 * running under the JIT when jit is set (else the interpreter). */
static inline struct hart *thart_new(void *ram, uint64_t base, uint64_t size, uint64_t entry,
				     bool jit)
{
	struct cpu_bus bus = { .ram = ram, .ram_base = base, .ram_size = size };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, entry);
	if (jit)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
	return h;
}

/* Supervisor mode under the page table at satp, with a PMP entry that
 * grants everything (the tests that run paged programs). */
static inline void thart_paging(struct hart *h, uint64_t satp)
{
	h->pmpaddr[0] = (1ull << 54) - 1; /* NAPOT: everything, RWX */
	h->pmpcfg[0] = 0x1f;
	mmu_pmp_changed(h);
	h->satp = satp;
	h->priv = PRV_S;
	mmu_flush(h);
}

/* Sv39 tables at ram + pt (three pages: the root, the level-1 and level-0
 * tables under it; the RAM image starts at base): the GiB at base mapped
 * to itself, its first 2 MiB in 4 KiB pages (*l0: that level-0 table,
 * index = page number, for the caller's exceptions), the rest in 2 MiB
 * pages, all V R W X A D. Returns the satp value. */
static inline uint64_t thart_sv39(uint8_t *ram, uint64_t base, uint64_t pt, uint64_t **l0)
{
	uint64_t *l2 = (uint64_t *)(ram + pt), *l1 = l2 + 512;
	*l0 = l1 + 512;
	memset(l2, 0, 3 * 4096);
	l2[(base >> 30) & 511] = ((base + pt + 4096) >> 12) << 10 | 1;
	l1[0] = ((base + pt + 8192) >> 12) << 10 | 1;
	for (unsigned i = 1; i < 512; i++)
		l1[i] = ((base + ((uint64_t)i << 21)) >> 12) << 10 | 0xcf;
	for (unsigned i = 0; i < 512; i++)
		(*l0)[i] = ((base + ((uint64_t)i << 12)) >> 12) << 10 | 0xcf;
	return (8ull << 60) | ((base + pt) >> 12);
}

/* An M-mode trap handler for programs that expect faults: notes the trap
 * (t3 = mcause, t4 = mepc, t5 = mtval; s11 counts traps, s10 sums their
 * mepcs) and resumes after the 4-byte instruction. */
static const uint32_t thart_skip_handler[] = {
	0x34202e73, /* csrr t3, mcause */
	0x34102ef3, /* csrr t4, mepc */
	0x34302f73, /* csrr t5, mtval */
	0x001d8d93, /* addi s11, s11, 1 */
	0x01dd0d33, /* add s10, s10, t4 */
	0x004e8f93, /* addi t6, t4, 4 */
	0x341f9073, /* csrw mepc, t6 */
	0x30200073, /* mret */
};

/* Run h until it waits in wfi (or 10^8 instructions went by); its pc. */
static inline uint64_t thart_run_to_wfi(struct hart *h)
{
	for (int i = 0; i < 100000; i++)
		if (cpu_run(h, 1000) == CPU_EXIT_WFI)
			break;
	return cpu_get_pc(h);
}

/* run(ram, jit) under the interpreter, the JIT translating every block at
 * once (RINGVM_JIT_EAGER) and the JIT as configured by default, on one
 * zeroed RAM image of ram_size bytes; returns the harness's status. */
static inline int thart_each_mode(void (*run)(uint8_t *ram, bool jit), size_t ram_size)
{
	uint8_t *ram = calloc(1, ram_size);
	REQUIRE(ram);
	run(ram, false);
	setenv("RINGVM_JIT_EAGER", "1", 1);
	run(ram, true);
	unsetenv("RINGVM_JIT_EAGER");
	run(ram, true);
	free(ram);
	return t_finish();
}

#endif
