/*
 * plic.h - the RISC-V Platform-Level Interrupt Controller (virt layout).
 *
 * Sources 1..PLIC_NSRC-1 (source 0 does not exist), level-triggered
 * gateways. Contexts: 0 = hart 0 M-mode, 1 = hart 0 S-mode. Register map
 * (offsets from the base): priority 0x0 + 4*src, pending bits 0x1000,
 * enables 0x2000 + 0x80*ctx, threshold 0x200000 + 0x1000*ctx, claim /
 * complete 0x200004 + 0x1000*ctx.
 *
 * Threading: plic_set_irq from any thread (devices on the reactor, the
 * UART on the vCPU); plic_mmio_* on the vCPU thread. One mutex per PLIC,
 * held for a few instructions: the context callback `set` runs under it
 * and only flips atomics; waking the hart (a system call when it sleeps)
 * is the `wake` callback, made after the mutex is released, so the vCPU
 * never waits on the PLIC while the other thread is in the kernel.
 */
#ifndef RINGVM_HW_PLIC_H
#define RINGVM_HW_PLIC_H

#include <stdbool.h>
#include <stdint.h>

#define PLIC_NSRC 96      /* riscv,ndev = 95: sources 1..95 */
#define PLIC_NCTX 2
#define PLIC_PRIO_MASK 7  /* priorities 0..7 */
#define PLIC_SIZE 0x600000

struct plic;

/* Machine-filled. set: a context's external interrupt output changed
 * (called under the PLIC mutex: must not block or make system calls).
 * wake: some output rose; called with no PLIC lock held (may be NULL). */
struct plic_ctx_out {
	void (*set)(void *opaque, unsigned ctx, bool level);
	void *opaque;
	void (*wake)(void *opaque);
};

/* Returns 0 and *out, or -ENOMEM. */
int plic_new(struct plic **out, const struct plic_ctx_out *cb);
void plic_free(struct plic *p);

/* Drive source line src (1..PLIC_NSRC-1). Any thread. */
void plic_set_irq(struct plic *p, unsigned src, bool level);

/* The same without the wake: for a caller holding its own lock (virtio's
 * device lock). Returns true when an output rose: the caller then calls
 * plic_wake() after releasing its lock. */
bool plic_set_irq_nowake(struct plic *p, unsigned src, bool level);
void plic_wake(struct plic *p);

/* 32-bit accesses (a 64-bit access is split into two). Return 0 or -1. */
int plic_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val);
int plic_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val);

/* Reset: priorities, enables, thresholds zero; claims released. */
void plic_reset(struct plic *p);

#endif
