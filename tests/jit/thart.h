/*
 * thart.h - a fresh hart on a flat RAM image, for the JIT tests that run
 * the same program under the interpreter and the JIT and compare.
 * Header-only; the caller owns the RAM (cpu_hart_new copies the bus) and
 * frees the hart.
 */
#ifndef RINGVM_TESTS_JIT_THART_H
#define RINGVM_TESTS_JIT_THART_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
