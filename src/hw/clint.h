/*
 * clint.h - the Core-Local Interruptor of the virt board (one hart).
 *
 * msip at +0, mtimecmp at +0x4000, mtime at +0xbff8. mtime counts at
 * CLINT_FREQ_HZ from CLOCK_MONOTONIC. The timer interrupt is raised at
 * mtimecmp by a reactor timer; a guest write to mtimecmp updates MTIP at
 * once (lowered when the compare moves into the future, raised when it is
 * already due) and posts the new deadline to the reactor to re-arm.
 *
 * Threading: clint_mmio_* on the vCPU thread; clint_mtime any thread;
 * clint_stop on the loop thread. A small mutex orders compare updates with
 * timer checks so a stale timer never raises MTIP after a guest moved it.
 */
#ifndef RINGVM_HW_CLINT_H
#define RINGVM_HW_CLINT_H

#include <stdbool.h>
#include <stdint.h>

#define CLINT_FREQ_HZ 10000000ull
#define CLINT_SIZE 0x10000

struct loop;
struct clint;

/* Interrupt outputs (CPU_IRQ_MSIP / CPU_IRQ_MTIP bits); machine-filled. */
struct clint_out {
	void (*set)(void *opaque, uint32_t mip_bit, bool level);
	void *opaque;
};

/* loop may be NULL (tests): then clint_check() is the only timer. */
int clint_new(struct clint **out, struct loop *loop, const struct clint_out *cb);
void clint_free(struct clint *c);

/* The current mtime. Any thread. */
uint64_t clint_mtime(struct clint *c);

/* 4- or 8-byte accesses. Return 0, or -1 (bad size/offset). */
int clint_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val);
int clint_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val);

/*
 * Re-evaluate MTIP against mtime now; returns the CLOCK_MONOTONIC ns at
 * which mtimecmp is reached, or UINT64_MAX if it already is or never will.
 */
uint64_t clint_check(struct clint *c);

/* Cancel the reactor timer (loop thread, before the loop goes away). */
void clint_stop(struct clint *c);

/* Reset: mtimecmp = all ones, msip = 0, lines lowered. Any thread. */
void clint_reset(struct clint *c);

#endif
