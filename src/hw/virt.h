/*
 * virt.h - the "virt" machine: QEMU's virt board layout, so guests built
 * for it boot unchanged.
 *
 * Construction (main thread):
 *     virt_new(&m, &cfg, loop, err, sizeof(err))   RAM, devices, images, FDT
 * then on the loop (reactor) thread:
 *     virt_attach_console(m, chr)                  UART <-> chardev
 * then on the vCPU thread:
 *     virt_run(m)                                  returns on poweroff/stop
 * Optional, before the run: virt_attach_virtio(m, slot, dev) for virtio
 * devices built on virt_virtio_host(m, slot, ...).
 * Stop from any thread: virt_request_stop(m). After virt_run returned and
 * before the loop goes away, on the loop thread: virt_io_teardown(m)
 * (flushes the UART to the chardev, cancels device timers, frees the
 * virtio devices after draining their requests). Last, once
 * both threads are gone and the loop has run what the machine posted to
 * it (loop_free runs queued posts): virt_free(m). A machine that was never
 * run (virt_new then virt_free) has posted nothing.
 *
 * Threading: as above; the machine owns its devices, RAM and the hart.
 */
#ifndef RINGVM_HW_VIRT_H
#define RINGVM_HW_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The memory map (QEMU virt compatible). */
#define VIRT_MROM_BASE 0x00001000ull
#define VIRT_MROM_SIZE 0x0000f000ull
#define VIRT_TEST_BASE 0x00100000ull
#define VIRT_RTC_BASE 0x00101000ull
#define VIRT_CLINT_BASE 0x02000000ull
#define VIRT_PLIC_BASE 0x0c000000ull
#define VIRT_UART0_BASE 0x10000000ull
#define VIRT_UART0_SIZE 0x100ull
/*
 * Extra UARTs (one per further -serial; QEMU's virt has only one) sit in the
 * free 0x1000 window after UART0: UART n at VIRT_UART0_BASE + n * 0x100,
 * PLIC source 10 for n = 0 and 11 + n after it (11 is the RTC). Four
 * ports, the 8250 driver's default CONFIG_SERIAL_8250_RUNTIME_UARTS.
 */
#define VIRT_UART_MAX 4
#define VIRT_UART_BASE(n) (VIRT_UART0_BASE + (uint64_t)(n) * VIRT_UART0_SIZE)
#define VIRT_UART_IRQ(n) ((n) == 0 ? VIRT_IRQ_UART0 : VIRT_IRQ_RTC + (n))
#define VIRT_VIRTIO_BASE 0x10001000ull
#define VIRT_VIRTIO_SIZE 0x1000ull
#define VIRT_VIRTIO_COUNT 8
#define VIRT_RAM_BASE 0x80000000ull
#define VIRT_KERNEL_BASE 0x80200000ull /* Linux Image default */

/* PLIC sources. */
#define VIRT_IRQ_VIRTIO0 1 /* 1..8 */
#define VIRT_IRQ_UART0 10
#define VIRT_IRQ_RTC 11

#define VIRT_TIMEBASE_HZ 10000000u
#define VIRT_UART_CLOCK_HZ 3686400u
#define VIRT_RAM_MAX (1ull << 40) /* 1 TiB of guest-physical room above RAM base */

/* Default firmware search (Debian's opensbi package). */
#define VIRT_DEFAULT_BIOS "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

/* fw_dynamic_info, as OpenSBI's fw_dynamic reads it (a2 at entry). */
#define VIRT_FW_DYNAMIC_MAGIC 0x4942534full /* "OSBI" */
#define VIRT_FW_DYNAMIC_VERSION 2
#define VIRT_FW_DYNAMIC_INFO_ADDR VIRT_MROM_BASE

struct virt_config {
	uint64_t ram_size;    /* bytes */
	const char *bios;     /* firmware path; NULL = none (-bios none) */
	const char *kernel;   /* may be NULL */
	const char *initrd;   /* may be NULL */
	const char *append;   /* kernel command line; may be NULL */
	bool no_reboot;       /* a guest reset ends the run (status 0) */
	unsigned hartid;      /* 0 */
	unsigned n_uarts;     /* 1..VIRT_UART_MAX; 0 means 1 */
	bool mem_prealloc;    /* -mem-prealloc: back all of guest RAM before it runs */
};

/* Everything the device tree describes; filled by virt_new. */
struct virt_fdt_params {
	uint64_t ram_base, ram_size;
	const char *bootargs;            /* NULL: no bootargs property */
	uint64_t initrd_start, initrd_end; /* 0, 0: none */
	const char *isa;                 /* riscv,isa */
	const char *mmu_type;            /* e.g. "riscv,sv39" */
	uint32_t virtio_mask;            /* bit n: a device is in slot n */
	unsigned n_uarts;                /* 0 or 1: UART0 only */
};

/* The riscv,isa and mmu-type the hart implements. */
#define VIRT_ISA "rv64imafdc_zicsr_zifencei"
#define VIRT_MMU_TYPE "riscv,sv57" /* the hart implements Sv39/48/57, as QEMU's rv64 */

/*
 * Build the device tree into buf (bufsize bytes, with room left for the
 * firmware to add nodes). Returns 0 or a negative libfdt error.
 */
int virt_fdt_build(const struct virt_fdt_params *p, void *buf, size_t bufsize);

struct virt_machine;
struct loop;
struct chr_dev;
struct hart;

enum virt_exit {
	VIRT_EXIT_NONE = 0,
	VIRT_EXIT_POWEROFF, /* guest powered off; code = exit status */
	VIRT_EXIT_STOP,     /* virt_request_stop (signal, console quit) */
};

/*
 * Build the machine. Returns 0, or -errno with one sentence in err
 * (e.g. "cannot read kernel 'x': No such file or directory").
 */
int virt_new(struct virt_machine **out, const struct virt_config *cfg,
	     struct loop *loop, char *err, size_t errlen);
void virt_free(struct virt_machine *m);

/* Loop thread. chr may be NULL (output dropped). */
void virt_attach_console(struct virt_machine *m, struct chr_dev *chr);

/* Connect UART idx (0 = the console) to chr; -EINVAL if no such UART. */
int virt_attach_serial(struct virt_machine *m, unsigned idx, struct chr_dev *chr);
/* Loop thread, after virt_run returned. */
void virt_io_teardown(struct virt_machine *m);

/* vCPU thread: run until poweroff or stop; handles guest resets itself. */
enum virt_exit virt_run(struct virt_machine *m, int *code);

/* Any thread: make virt_run return VIRT_EXIT_STOP soon. */
void virt_request_stop(struct virt_machine *m);

/* ---- virtio-mmio slots (0..VIRT_VIRTIO_COUNT-1, PLIC source 1 + slot) ---- */

struct virtio_host;
struct virtio_mmio;

/* The first slot with no device, or -ENOSPC. */
int virt_virtio_free_slot(const struct virt_machine *m);

/* Fill *h for a device in slot: guest RAM, the machine's loop, the slot's
 * PLIC line. Main thread before the run, or the loop thread. */
void virt_virtio_host(struct virt_machine *m, unsigned slot, struct virtio_host *h);

/*
 * Put dev in slot: its registers answer at 0x10001000 + slot * 0x1000 and
 * the device tree (in RAM too) gains its node. Before virt_run. The machine
 * owns dev from here and frees it in virt_io_teardown. Returns 0, -EINVAL
 * (bad slot), -EBUSY (taken) or -ENOSPC (the device tree is full).
 */
int virt_attach_virtio(struct virt_machine *m, unsigned slot, struct virtio_mmio *dev);

/* For tests and tools. */
uint8_t *virt_ram(struct virt_machine *m);
uint64_t virt_fdt_addr(const struct virt_machine *m);
/* The device tree blob as generated (fdt_totalsize bytes). */
const void *virt_fdt_blob(const struct virt_machine *m);
struct hart *virt_hart(struct virt_machine *m);

/* The machine's MMIO dispatch (what the hart calls); for tests. */
int virt_mmio_read(void *opaque, uint64_t addr, unsigned size, uint64_t *val);
int virt_mmio_write(void *opaque, uint64_t addr, unsigned size, uint64_t val);

#endif
