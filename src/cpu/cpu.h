/*
 * cpu.h - the RV64GC hart as the machine sees it.
 *
 * The CPU knows only an address space (RAM plus MMIO callbacks) and
 * interrupt lines; it knows nothing of devices. The machine (src/hw/) fills
 * struct cpu_bus; the hart reads it.
 *
 * Threading: a hart is run by one vCPU thread (cpu_run, cpu_wfi_wait and the
 * register accessors are for that thread). cpu_set_irq() and cpu_kick() may
 * be called from any thread (the reactor raises lines and kicks).
 */
#ifndef RINGVM_CPU_H
#define RINGVM_CPU_H

#include <stdbool.h>
#include <stdint.h>

/* mip bits the machine drives (privileged spec numbering). */
#define CPU_IRQ_SSIP (1u << 1)
#define CPU_IRQ_MSIP (1u << 3)
#define CPU_IRQ_STIP (1u << 5)
#define CPU_IRQ_MTIP (1u << 7)
#define CPU_IRQ_SEIP (1u << 9)
#define CPU_IRQ_MEIP (1u << 11)

/* Filled by the machine; must outlive the hart. */
struct cpu_bus {
	uint8_t *ram;       /* host mapping of guest RAM */
	uint64_t ram_base;  /* guest physical address of ram[0] */
	uint64_t ram_size;
	/*
	 * Physical accesses outside RAM (size 1, 2, 4 or 8, naturally aligned).
	 * Return 0, or -1 for an access fault. Called on the vCPU thread.
	 */
	int (*mmio_read)(void *opaque, uint64_t addr, unsigned size, uint64_t *val);
	int (*mmio_write)(void *opaque, uint64_t addr, unsigned size, uint64_t val);
	/* The platform timer (CLINT mtime), for the time CSR / rdtime. */
	uint64_t (*read_mtime)(void *opaque);
	void *opaque;
};

struct hart;

/* Why cpu_run() returned. */
enum cpu_exit {
	CPU_EXIT_BUDGET,  /* ran max_insns instructions */
	CPU_EXIT_KICKED,  /* cpu_kick() was called (exit request seen) */
	CPU_EXIT_WFI,     /* WFI with no interrupt pending: call cpu_wfi_wait */
};

/* Returns a new hart in reset state, or NULL on allocation failure. */
struct hart *cpu_hart_new(const struct cpu_bus *bus, unsigned hartid);
void cpu_hart_free(struct hart *h);

/* Reset: M-mode, pc = reset_pc, CSRs at reset values, mip lines kept. */
void cpu_hart_reset(struct hart *h, uint64_t reset_pc);

uint64_t cpu_get_pc(const struct hart *h);
uint64_t cpu_get_gpr(const struct hart *h, unsigned reg);
void cpu_set_gpr(struct hart *h, unsigned reg, uint64_t val);

/* Run until max_insns instructions (trapping ones included) have been
 * executed, a kick, or WFI idles. */
enum cpu_exit cpu_run(struct hart *h, uint64_t max_insns);

/*
 * Sleep until an interrupt is pending and enabled enough to end WFI
 * (mip & mie != 0), or cpu_kick(), or deadline_ns (CLOCK_MONOTONIC,
 * 0 = none) passes. No busy spin.
 */
void cpu_wfi_wait(struct hart *h, uint64_t deadline_ns);

/* Raise (level=true) or lower a machine-driven mip bit. Any thread. */
void cpu_set_irq(struct hart *h, uint32_t mip_bit, bool level);

/*
 * cpu_set_irq without the wake-up: atomics only, no system call, so a
 * device may call it under a lock the vCPU also takes. Follow a raise with
 * cpu_wake() once the lock is released. Any thread.
 */
void cpu_set_irq_nowake(struct hart *h, uint32_t mip_bit, bool level);

/* Wake the hart if it sleeps in cpu_wfi_wait (a futex wake only then). */
void cpu_wake(struct hart *h);

/* Ask the hart to leave cpu_run() soon and wake it from WFI. Any thread. */
void cpu_kick(struct hart *h);

/*
 * Choose the execution engine (src/cpu/jit/jit.c). CPU_ACCEL_JIT translates
 * guest blocks to x86-64; check = true also re-runs every block on a shadow
 * hart in the interpreter and stops the process with a report at the first
 * difference. Returns 0, -ENOMEM, or -ENOTSUP on a non-x86-64 host.
 */
enum cpu_accel { CPU_ACCEL_INTERP, CPU_ACCEL_JIT };
int cpu_set_accel(struct hart *h, enum cpu_accel accel, bool check);

/* Instructions retired since reset (minstret). */
uint64_t cpu_instret(const struct hart *h);

/* Current privilege mode: 0 = U, 1 = S, 3 = M. */
unsigned cpu_get_priv(const struct hart *h);

/*
 * Write a human-readable dump of the hart (pc, privilege, x registers and
 * the main trap/MMU CSRs) into buf (always NUL-terminated). Returns the
 * length it needed, like snprintf. For fatal-error and debug output.
 */
int cpu_dump(const struct hart *h, char *buf, unsigned long len);

#endif
