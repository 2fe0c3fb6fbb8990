/*
 * virt.c - the virt machine: RAM, the device set, the MMIO map, image
 * placement and the vCPU run loop (see virt.h for the call order).
 *
 * Boot like QEMU's virt: the hart starts in M-mode at the firmware entry
 * (or, with -bios none, at the kernel's entry) with a0 = hart id, a1 = the
 * device tree address, a2 = the fw_dynamic_info in the mask ROM at 0x1000
 * (OpenSBI fw_dynamic reads it; fw_jump ignores a2). Images are kept in
 * host memory and copied again on a guest reset, like ROMs.
 *
 * Threading: construction on main; MMIO dispatch and virt_run on the vCPU
 * thread; device callbacks from either. The request word is atomic.
 * Interrupt lines: the PLIC/CLINT callbacks flip the hart's mip bits with
 * atomics under the device's lock; the futex wake of a sleeping hart comes
 * after that lock is released (plic_wake_hart, uart_wake, virtio_irq_wake).
 */
#include <errno.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sched.h>
#include <sys/resource.h>

#include "char/char.h"
#include "cpu/cpu.h"
#include "hw/clint.h"
#include "hw/loader.h"
#include "hw/plic.h"
#include "hw/rtc.h"
#include "hw/testdev.h"
#include "hw/uart.h"
#include "hw/virt.h"
#include "hw/virtio/virtio-mmio.h"
#include "loop/loop.h"

#define FDT_BUF_SIZE 0x10000u  /* 64 KiB: content plus room for firmware */
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a) - 1, a)
#define RUN_BUDGET (1u << 22)
/* Off by default: on the shared 2-core test host, polling did not beat
 * sleeping (perf/disk, rr1 and dd; see docs/virtio.md). */
#define VIRT_HALT_POLL_DEFAULT_NS 0ull

enum { REQ_NONE, REQ_POWEROFF, REQ_RESET, REQ_STOP };

struct virt_machine {
	struct virt_config cfg;
	struct loop *loop;
	struct cpu_bus bus;
	struct hart *hart;
	uint8_t *ram;
	struct plic *plic;
	struct clint *clint;
	struct uart *uart[VIRT_UART_MAX]; /* [0] always; more per -serial */
	unsigned n_uarts;
	struct uart_line {                /* an irq callback's opaque */
		struct virt_machine *m;
		unsigned idx;
	} uart_line[VIRT_UART_MAX];
	struct rtc *rtc;
	struct testdev test;

	struct virt_slot {
		struct virt_machine *m;
		unsigned irq;             /* PLIC source */
		struct virtio_mmio *dev;  /* NULL: empty slot */
	} slots[VIRT_VIRTIO_COUNT];

	struct loader_file bios, kernel, initrd;
	struct virt_fdt_params fdtp; /* kept to rebuild when a device is added */
	uint8_t fdt[FDT_BUF_SIZE];
	uint8_t mrom[64];         /* fw_dynamic_info; the rest of the ROM reads 0 */
	uint64_t bios_addr;       /* flat firmware load address */
	uint64_t kernel_addr;     /* flat kernel / Image load address */
	uint64_t kernel_bias;     /* ELF kernel: p_paddr + bias = load address */
	uint64_t initrd_addr, fdt_addr, reset_pc;

	atomic_int request;
	int exit_code;

	/* WFI halt-polling (see wfi_idle): a device completion usually comes
	 * back within tens of microseconds, and waking a sleeping vCPU thread
	 * costs about that much again on a loaded or virtualized host. */
	atomic_uint irq_seq;      /* bumped whenever an interrupt line rises */
	uint64_t poll_ns;         /* [vCPU] current poll window */
	uint64_t poll_max_ns;     /* [main] its cap; 0 disables polling */
};

/* WFI poll cap: RINGVM_HALT_POLL_NS (0 = never spin), else the default.
 * A bad value gets one line and the default (an environment knob is not
 * worth refusing to start for). */
static uint64_t halt_poll_max(void)
{
	const char *e = getenv("RINGVM_HALT_POLL_NS");
	char *end;
	unsigned long long v;

	if (!e || !*e)
		return VIRT_HALT_POLL_DEFAULT_NS;
	v = strtoull(e, &end, 10);
	if (*end || v > 10000000ull) {
		fprintf(stderr, "ringvm: RINGVM_HALT_POLL_NS=%s is not a number of "
			"nanoseconds up to 10000000; using the default\n", e);
		return VIRT_HALT_POLL_DEFAULT_NS;
	}
	return v;
}

/*
 * The reactor's priority. Its work comes in short bursts (a doorbell, a
 * completion) while the vCPU thread and whatever else shares the host run
 * flat out, and every guest request waits for it twice; at equal priority
 * a waking reactor often waits milliseconds for a core. Measured on the
 * loaded 2-core test host (RINGVM_VIRTIO_STATS, dd of 1 MiB O_DIRECT
 * reads): nice -10 cut the mean QueueNotify -> reactor hop from 190-580 us
 * to 60-350 us and raised dd by 15-60% in 4 of 4 interleaved pairs. It
 * uses little CPU, so it takes little from anyone. Still, it is opt-in:
 * raising a thread above the host's other processes is not something a
 * user expects an emulator to do by itself, and the gain shows only on a
 * host whose cores are contended. RINGVM_IO_NICE=-N (-20..0) asks for it;
 * lowering nice needs CAP_SYS_NICE or RLIMIT_NICE: without them the
 * reactor keeps the process's priority (best effort, silent).
 */
#define VIRT_IO_NICE_DEFAULT 0

static int io_nice(void)
{
	const char *e = getenv("RINGVM_IO_NICE");
	char *end;
	long v;

	if (!e || !*e)
		return VIRT_IO_NICE_DEFAULT;
	v = strtol(e, &end, 10);
	if (*end || v < -20 || v > 0) {
		fprintf(stderr, "ringvm: RINGVM_IO_NICE=%s is not a number from -20 to 0; "
			"leaving the I/O thread's priority alone\n", e);
		return VIRT_IO_NICE_DEFAULT;
	}
	return (int)v;
}

/* Runs once on the reactor thread (posted by virt_new): add arg (< 0) to
 * this thread's nice (PRIO_PROCESS with 0 is the calling thread). */
static void io_thread_nice(void *arg)
{
	int delta = (int)(intptr_t)arg, cur;

	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if (cur == -1 && errno)
		return;
	(void)setpriority(PRIO_PROCESS, 0, cur + delta < -20 ? -20 : cur + delta);
}

/* ---- interrupt wiring --------------------------------------------------- */

static void plic_out(void *opaque, unsigned ctx, bool level)
{
	struct virt_machine *m = opaque;

	/* Under the PLIC lock: atomics only; plic_wake_hart does the wake. */
	if (level)
		atomic_fetch_add(&m->irq_seq, 1);
	if (m->hart)
		cpu_set_irq_nowake(m->hart, ctx == 0 ? CPU_IRQ_MEIP : CPU_IRQ_SEIP, level);
}

static void plic_wake_hart(void *opaque)
{
	struct virt_machine *m = opaque;

	if (m->hart)
		cpu_wake(m->hart);
}

static void clint_out(void *opaque, uint32_t bit, bool level)
{
	struct virt_machine *m = opaque;

	if (level)
		atomic_fetch_add(&m->irq_seq, 1);
	if (m->hart)
		cpu_set_irq(m->hart, bit, level);
}

static void uart_irq(void *opaque, bool level)
{
	const struct uart_line *l = opaque;

	/* Under the UART lock: uart_wake does the hart wake-up after it. */
	plic_set_irq_nowake(l->m->plic, VIRT_UART_IRQ(l->idx), level);
}

static void uart_wake(void *opaque)
{
	plic_wake(((const struct uart_line *)opaque)->m->plic);
}

static void rtc_irq(void *opaque, bool level)
{
	plic_set_irq(((struct virt_machine *)opaque)->plic, VIRT_IRQ_RTC, level);
}

static void test_action(void *opaque, enum testdev_action act, int code)
{
	struct virt_machine *m = opaque;

	if (act == TESTDEV_POWEROFF) {
		m->exit_code = code;
		atomic_store(&m->request, REQ_POWEROFF);
	} else {
		atomic_store(&m->request, REQ_RESET);
	}
	if (m->hart)
		cpu_kick(m->hart);
}

static uint64_t read_mtime(void *opaque)
{
	return clint_mtime(((struct virt_machine *)opaque)->clint);
}

/* ---- MMIO dispatch ------------------------------------------------------ */

static bool in(uint64_t addr, uint64_t base, uint64_t size)
{
	return addr >= base && addr - base < size;
}

int virt_mmio_read(void *opaque, uint64_t addr, unsigned size, uint64_t *val)
{
	struct virt_machine *m = opaque;

	if (in(addr, VIRT_UART0_BASE, VIRT_UART0_SIZE * m->n_uarts))
		return uart_mmio_read(m->uart[(addr - VIRT_UART0_BASE) / VIRT_UART0_SIZE],
				      (addr - VIRT_UART0_BASE) % VIRT_UART0_SIZE, size, val);
	if (in(addr, VIRT_CLINT_BASE, CLINT_SIZE))
		return clint_mmio_read(m->clint, addr - VIRT_CLINT_BASE, size, val);
	if (in(addr, VIRT_PLIC_BASE, PLIC_SIZE))
		return plic_mmio_read(m->plic, addr - VIRT_PLIC_BASE, size, val);
	if (in(addr, VIRT_RTC_BASE, RTC_SIZE))
		return rtc_mmio_read(m->rtc, addr - VIRT_RTC_BASE, size, val);
	if (in(addr, VIRT_TEST_BASE, TESTDEV_SIZE))
		return testdev_mmio_read(&m->test, addr - VIRT_TEST_BASE, size, val);
	if (in(addr, VIRT_MROM_BASE, VIRT_MROM_SIZE)) {
		uint64_t off = addr - VIRT_MROM_BASE, v = 0;

		for (unsigned i = 0; i < size; i++)
			if (off + i < sizeof(m->mrom))
				v |= (uint64_t)m->mrom[off + i] << (8 * i);
		*val = v;
		return 0;
	}
	if (in(addr, VIRT_VIRTIO_BASE, VIRT_VIRTIO_COUNT * VIRT_VIRTIO_SIZE)) {
		uint64_t off = addr - VIRT_VIRTIO_BASE;
		struct virtio_mmio *d = m->slots[off / VIRT_VIRTIO_SIZE].dev;

		if (d)
			return virtio_mmio_read(d, off % VIRT_VIRTIO_SIZE, size, val);
		*val = 0; /* an empty transport slot: magic 0, nothing there */
		return 0;
	}
	return -1;
}

int virt_mmio_write(void *opaque, uint64_t addr, unsigned size, uint64_t val)
{
	struct virt_machine *m = opaque;

	if (in(addr, VIRT_UART0_BASE, VIRT_UART0_SIZE * m->n_uarts))
		return uart_mmio_write(m->uart[(addr - VIRT_UART0_BASE) / VIRT_UART0_SIZE],
				       (addr - VIRT_UART0_BASE) % VIRT_UART0_SIZE, size, val);
	if (in(addr, VIRT_CLINT_BASE, CLINT_SIZE))
		return clint_mmio_write(m->clint, addr - VIRT_CLINT_BASE, size, val);
	if (in(addr, VIRT_PLIC_BASE, PLIC_SIZE))
		return plic_mmio_write(m->plic, addr - VIRT_PLIC_BASE, size, val);
	if (in(addr, VIRT_RTC_BASE, RTC_SIZE))
		return rtc_mmio_write(m->rtc, addr - VIRT_RTC_BASE, size, val);
	if (in(addr, VIRT_TEST_BASE, TESTDEV_SIZE))
		return testdev_mmio_write(&m->test, addr - VIRT_TEST_BASE, size, val);
	if (in(addr, VIRT_VIRTIO_BASE, VIRT_VIRTIO_COUNT * VIRT_VIRTIO_SIZE)) {
		uint64_t off = addr - VIRT_VIRTIO_BASE;
		struct virtio_mmio *d = m->slots[off / VIRT_VIRTIO_SIZE].dev;

		return d ? virtio_mmio_write(d, off % VIRT_VIRTIO_SIZE, size, val) : 0;
	}
	return -1; /* includes the ROM: writes fault */
}

/* ---- image placement ---------------------------------------------------- */

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

static int read_image(struct loader_file *f, const char *what, const char *path,
		      uint64_t ram_size, char *err, size_t errlen)
{
	int r = loader_file_read(f, path, ram_size);

	if (r == -EFBIG)
		return fail(err, errlen, r, "%s '%s' is larger than the guest RAM (-m)",
			    what, path);
	if (r < 0)
		return fail(err, errlen, r, "cannot read %s '%s': %s", what, path,
			    strerror(-r));
	return 0;
}

/* Place a firmware/kernel: ELF by its headers, else flat at flat_addr. */
static int place(struct virt_machine *m, const struct loader_file *f, const char *what,
		 const char *path, uint64_t flat_addr, uint64_t flat_size, uint64_t bias,
		 uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
	uint64_t ram_end = VIRT_RAM_BASE + m->cfg.ram_size, lo, hi;
	int r;

	if (loader_is_elf(f)) {
		r = loader_elf_layout(f, VIRT_RAM_BASE, m->cfg.ram_size, bias, entry, &lo, &hi);
		if (r == -ENOEXEC)
			return fail(err, errlen, r, "%s '%s' is not a RISC-V 64-bit ELF executable",
				    what, path);
		if (r < 0)
			return fail(err, errlen, r, "%s '%s' has segments outside the guest RAM "
				    "(0x%llx, %llu MiB)", what, path,
				    (unsigned long long)VIRT_RAM_BASE,
				    (unsigned long long)(m->cfg.ram_size >> 20));
		*end = hi;
		return 0;
	}
	if (flat_addr < VIRT_RAM_BASE || flat_size > ram_end - flat_addr)
		return fail(err, errlen, -ERANGE, "%s '%s' does not fit in the guest RAM "
			    "(%llu MiB); use a larger -m", what, path,
			    (unsigned long long)(m->cfg.ram_size >> 20));
	*entry = flat_addr;
	*end = flat_addr + flat_size;
	return 0;
}

static int plan_kernel(struct virt_machine *m, uint64_t fw_end, uint64_t *entry,
		       uint64_t *end, char *err, size_t errlen)
{
	uint64_t text_offset, image_size, addr, size = m->kernel.size;

	if (!m->cfg.bios) {
		addr = VIRT_RAM_BASE; /* -bios none: the payload runs from RAM base */
	} else if (loader_linux_image(&m->kernel, &text_offset, &image_size)) {
		addr = text_offset ? VIRT_RAM_BASE + text_offset : ALIGN_UP(fw_end, 0x200000);
		if (addr < fw_end)
			addr = ALIGN_UP(fw_end, 0x200000);
		if (image_size > size)
			size = image_size; /* bss the kernel clears itself */
	} else {
		addr = ALIGN_UP(fw_end, 0x200000);
	}
	m->kernel_addr = addr;
	/* A vmlinux (linked at the kernel's virtual address) goes where an
	 * Image would: behind the firmware, 2 MiB aligned. */
	if (m->cfg.bios)
		m->kernel_bias = loader_elf_kernel_bias(&m->kernel, VIRT_RAM_BASE,
							ALIGN_UP(fw_end, 0x200000));
	return place(m, &m->kernel, "kernel", m->cfg.kernel, addr, size, m->kernel_bias,
		     entry, end, err, errlen);
}

static void fill_fw_dynamic_info(struct virt_machine *m, uint64_t next_addr)
{
	const uint64_t info[6] = {
		VIRT_FW_DYNAMIC_MAGIC, VIRT_FW_DYNAMIC_VERSION, next_addr,
		1 /* next_mode: S-mode */, 0 /* options */, m->cfg.hartid,
	};

	for (unsigned i = 0; i < 6; i++)
		for (unsigned b = 0; b < 8; b++)
			m->mrom[i * 8 + b] = (uint8_t)(info[i] >> (8 * b));
}

/* Decide where everything goes, build the device tree. */
static int plan(struct virt_machine *m, char *err, size_t errlen)
{
	uint64_t ram_end = VIRT_RAM_BASE + m->cfg.ram_size;
	uint64_t fw_entry = 0, fw_end = VIRT_RAM_BASE, k_entry = VIRT_KERNEL_BASE;
	uint64_t k_end = VIRT_RAM_BASE, low_end, initrd_end = 0;
	struct virt_fdt_params fp = {
		.ram_base = VIRT_RAM_BASE, .ram_size = m->cfg.ram_size,
		.bootargs = m->cfg.append, .isa = VIRT_ISA, .mmu_type = VIRT_MMU_TYPE,
		.n_uarts = m->n_uarts,
	};
	int r;

	if (m->cfg.bios) {
		m->bios_addr = VIRT_RAM_BASE;
		r = place(m, &m->bios, "firmware", m->cfg.bios, VIRT_RAM_BASE, m->bios.size,
			  0, &fw_entry, &fw_end, err, errlen);
		if (r < 0)
			return r;
	}
	if (m->cfg.kernel) {
		r = plan_kernel(m, fw_end, &k_entry, &k_end, err, errlen);
		if (r < 0)
			return r;
		if (m->cfg.bios && k_end > VIRT_RAM_BASE && m->kernel_addr < fw_end &&
		    !loader_is_elf(&m->kernel))
			return fail(err, errlen, -ERANGE, "the kernel overlaps the firmware");
	} else if (!m->cfg.bios) {
		return fail(err, errlen, -EINVAL,
			    "-bios none needs a -kernel to run");
	}
	m->reset_pc = m->cfg.bios ? fw_entry : k_entry;
	low_end = fw_end > k_end ? fw_end : k_end;

	/* FDT at the top of RAM, the initrd right below it. */
	if (m->cfg.ram_size < FDT_BUF_SIZE * 4)
		return fail(err, errlen, -ERANGE, "-m is too small for this machine");
	/*
	 * 2 MiB aligned like QEMU, with at least another buffer's worth of
	 * RAM after it: firmware grows the tree in place (OpenSBI adds its
	 * reserved-memory nodes), and Linux 6.1 faulted reading a tree that
	 * had been placed flush with the end of RAM. Small RAM: page aligned.
	 */
	m->fdt_addr = ALIGN_DOWN(ram_end - 2 * FDT_BUF_SIZE, 0x200000);
	if (m->fdt_addr < low_end || m->fdt_addr < VIRT_RAM_BASE + m->cfg.ram_size / 2)
		m->fdt_addr = ALIGN_DOWN(ram_end - 2 * FDT_BUF_SIZE, 0x1000);
	if (m->cfg.initrd) {
		initrd_end = m->fdt_addr;
		if (m->initrd.size > initrd_end - VIRT_RAM_BASE)
			goto too_small;
		m->initrd_addr = ALIGN_DOWN(initrd_end - m->initrd.size, 0x1000);
		fp.initrd_start = m->initrd_addr;
		fp.initrd_end = m->initrd_addr + m->initrd.size;
	}
	if ((m->cfg.initrd ? m->initrd_addr : m->fdt_addr) < low_end)
		goto too_small;
	fill_fw_dynamic_info(m, k_entry);
	m->fdtp = fp;
	r = virt_fdt_build(&fp, m->fdt, sizeof(m->fdt));
	if (r < 0)
		return fail(err, errlen, -EINVAL, "cannot build the device tree: %s",
			    fdt_strerror(r));
	return 0;
too_small:
	return fail(err, errlen, -ERANGE, "the guest RAM (%llu MiB) is too small for "
		    "the firmware, kernel and initrd; use a larger -m",
		    (unsigned long long)(m->cfg.ram_size >> 20));
}

static void copy_flat(struct virt_machine *m, uint64_t addr, const struct loader_file *f)
{
	memcpy(m->ram + (addr - VIRT_RAM_BASE), f->data, f->size);
}

/* Copy every image into RAM and put the hart at its reset state. */
static void load_and_reset_hart(struct virt_machine *m)
{
	if (m->cfg.bios) {
		if (loader_is_elf(&m->bios))
			loader_elf_copy(&m->bios, m->ram, VIRT_RAM_BASE, 0);
		else
			copy_flat(m, m->bios_addr, &m->bios);
	}
	if (m->cfg.kernel) {
		if (loader_is_elf(&m->kernel))
			loader_elf_copy(&m->kernel, m->ram, VIRT_RAM_BASE, m->kernel_bias);
		else
			copy_flat(m, m->kernel_addr, &m->kernel);
	}
	if (m->cfg.initrd)
		copy_flat(m, m->initrd_addr, &m->initrd);
	memcpy(m->ram + (m->fdt_addr - VIRT_RAM_BASE), m->fdt, fdt_totalsize(m->fdt));

	cpu_hart_reset(m->hart, m->reset_pc);
	cpu_set_gpr(m->hart, 10, m->cfg.hartid);   /* a0 */
	cpu_set_gpr(m->hart, 11, m->fdt_addr);     /* a1 */
	cpu_set_gpr(m->hart, 12, m->cfg.bios ? VIRT_FW_DYNAMIC_INFO_ADDR : 0); /* a2 */
}

static void reset_devices(struct virt_machine *m)
{
	for (unsigned i = 0; i < m->n_uarts; i++)
		uart_reset(m->uart[i]);
	plic_reset(m->plic);
	clint_reset(m->clint);
	rtc_reset(m->rtc);
}

static int create_devices(struct virt_machine *m)
{
	const struct plic_ctx_out po = { plic_out, m, plic_wake_hart };
	const struct clint_out co = { clint_out, m };
	const struct rtc_irq ri = { rtc_irq, m };

	m->test.action = test_action;
	m->test.opaque = m;
	if (plic_new(&m->plic, &po) < 0 || clint_new(&m->clint, m->loop, &co) < 0 ||
	    rtc_new(&m->rtc, m->loop, &ri) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < m->n_uarts; i++) {
		const struct uart_irq ui = { uart_irq, &m->uart_line[i], uart_wake };

		m->uart_line[i] = (struct uart_line){ m, i };
		if (uart_new(&m->uart[i], m->loop, &ui) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Guest RAM: anonymous memory, in 2 MiB host pages where the host allows.
 * Pages are backed as the guest first touches them (MAP_NORESERVE), unless
 * -mem-prealloc asks for all of it up front, as QEMU's option does: then
 * the mapping is accounted (no NORESERVE) and every page is written once
 * (MADV_POPULATE_WRITE; touching each page on hosts older than Linux
 * 5.14), so a host short of memory fails here, with a sentence, instead of
 * killing the guest later, and no guest access pays a host page fault.
 */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static int map_ram(struct virt_machine *m, const struct virt_config *cfg, char *err,
		   size_t errlen)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (cfg->mem_prealloc ? 0 : MAP_NORESERVE);
	unsigned long long mib = (unsigned long long)(cfg->ram_size >> 20);

	m->ram = mmap(NULL, cfg->ram_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (m->ram == MAP_FAILED) {
		m->ram = NULL;
		return fail(err, errlen, -ENOMEM, "cannot allocate %llu MiB of guest RAM: %s",
			    mib, strerror(errno));
	}
	madvise(m->ram, cfg->ram_size, MADV_HUGEPAGE);
	if (!cfg->mem_prealloc)
		return 0;
	if (madvise(m->ram, cfg->ram_size, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno != EINVAL)
		return fail(err, errlen, -ENOMEM, "cannot preallocate %llu MiB of guest RAM "
			    "(-mem-prealloc): %s", mib, strerror(errno));
	for (uint64_t off = 0; off < cfg->ram_size; off += 4096)
		((volatile uint8_t *)m->ram)[off] = 0; /* a fresh page reads as zero */
	return 0;
}

int virt_new(struct virt_machine **out, const struct virt_config *cfg,
	     struct loop *loop, char *err, size_t errlen)
{
	struct virt_machine *m;
	int nice, r;

	if (!cfg->ram_size || cfg->ram_size > VIRT_RAM_MAX || cfg->ram_size % 4096)
		return fail(err, errlen, -EINVAL, "the RAM size must be a non-zero multiple "
			    "of 4 KiB up to 1 TiB");
	if (cfg->n_uarts > VIRT_UART_MAX)
		return fail(err, errlen, -EINVAL, "at most %d serial ports are supported",
			    VIRT_UART_MAX);
	m = calloc(1, sizeof(*m));
	if (!m)
		return fail(err, errlen, -ENOMEM, "out of memory");
	m->cfg = *cfg;
	m->n_uarts = cfg->n_uarts ? cfg->n_uarts : 1;
	m->loop = loop;
	for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
		m->slots[i].m = m;
		m->slots[i].irq = VIRT_IRQ_VIRTIO0 + i;
	}
	atomic_init(&m->request, REQ_NONE);
	m->poll_max_ns = halt_poll_max();
	nice = loop ? io_nice() : 0;
	if (nice) /* on ENOMEM the reactor keeps its priority */
		(void)loop_post(loop, io_thread_nice, (void *)(intptr_t)nice);
	r = 0;
	if (cfg->bios)
		r = read_image(&m->bios, "firmware", cfg->bios, cfg->ram_size, err, errlen);
	if (!r && cfg->kernel)
		r = read_image(&m->kernel, "kernel", cfg->kernel, cfg->ram_size, err, errlen);
	if (!r && cfg->initrd)
		r = read_image(&m->initrd, "initrd", cfg->initrd, cfg->ram_size, err, errlen);
	if (!r)
		r = plan(m, err, errlen);
	if (r < 0)
		goto fail;

	r = map_ram(m, cfg, err, errlen);
	if (r < 0)
		goto fail;
	m->bus = (struct cpu_bus){
		.ram = m->ram, .ram_base = VIRT_RAM_BASE, .ram_size = cfg->ram_size,
		.mmio_read = virt_mmio_read, .mmio_write = virt_mmio_write,
		.read_mtime = read_mtime, .opaque = m,
	};
	r = create_devices(m);
	if (!r) {
		m->hart = cpu_hart_new(&m->bus, cfg->hartid);
		if (!m->hart)
			r = -ENOMEM;
	}
	if (r < 0) {
		fail(err, errlen, r, "out of memory building the machine");
		goto fail;
	}
	reset_devices(m);
	load_and_reset_hart(m);
	*out = m;
	return 0;
fail:
	virt_free(m);
	return r;
}

void virt_free(struct virt_machine *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++)
		virtio_mmio_free(m->slots[i].dev); /* only if never torn down */
	cpu_hart_free(m->hart);
	rtc_free(m->rtc);
	for (unsigned i = 0; i < VIRT_UART_MAX; i++)
		uart_free(m->uart[i]);
	clint_free(m->clint);
	plic_free(m->plic);
	if (m->ram)
		munmap(m->ram, m->cfg.ram_size);
	loader_file_free(&m->bios);
	loader_file_free(&m->kernel);
	loader_file_free(&m->initrd);
	free(m);
}

void virt_attach_console(struct virt_machine *m, struct chr_dev *chr)
{
	uart_attach(m->uart[0], chr);
}

int virt_attach_serial(struct virt_machine *m, unsigned idx, struct chr_dev *chr)
{
	if (idx >= m->n_uarts)
		return -EINVAL;
	uart_attach(m->uart[idx], chr);
	return 0;
}

void virt_io_teardown(struct virt_machine *m)
{
	for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
		virtio_mmio_free(m->slots[i].dev); /* drains its requests first */
		m->slots[i].dev = NULL;
	}
	for (unsigned i = 0; i < m->n_uarts; i++) {
		uart_flush(m->uart[i]);
		uart_attach(m->uart[i], NULL);
	}
	clint_stop(m->clint);
	rtc_stop(m->rtc);
}

void virt_request_stop(struct virt_machine *m)
{
	atomic_store(&m->request, REQ_STOP);
	cpu_kick(m->hart);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The hart idles in WFI: spin up to poll_ns for an interrupt line to rise
 * (or a machine request), then sleep in cpu_wfi_wait. The window adapts
 * like KVM's halt-polling: a sleep that ended within poll_max_ns doubles it
 * (from 10 us; the next wait of that kind is caught by the spin), a longer
 * one (a slow disk, an idle guest waiting for its timer) resets it to 0,
 * so long waits cost at most one short spin. Costs up to poll_max_ns of
 * one core per short wait.
 */
static void wfi_idle(struct virt_machine *m)
{
	unsigned seq = atomic_load(&m->irq_seq);
	uint64_t start = mono_ns(), until = start + m->poll_ns, waited;

	if (!m->poll_max_ns) {
		/* A kick ends the wait; the deadline is only a safety net. */
		cpu_wfi_wait(m->hart, start + 1000000000ull);
		return;
	}
	if (m->poll_ns) {
		for (uint64_t now = start; now < until; now = mono_ns()) {
			for (int i = 0; i < 32; i++) {
				if (atomic_load_explicit(&m->irq_seq, memory_order_acquire) != seq ||
				    atomic_load_explicit(&m->request, memory_order_relaxed) != REQ_NONE)
					return; /* cpu_run takes the interrupt */
#if defined(__x86_64__) || defined(__i386__)
				__builtin_ia32_pause();
#endif
			}
			sched_yield(); /* a loaded host: let the reactor have the core */
		}
	}
	cpu_wfi_wait(m->hart, start + 1000000000ull);
	waited = mono_ns() - start;
	if (waited <= m->poll_max_ns) {
		uint64_t grown = m->poll_ns ? 2 * m->poll_ns : 10000;

		m->poll_ns = grown < m->poll_max_ns ? grown : m->poll_max_ns;
	} else {
		m->poll_ns = 0; /* a long wait (disk, idle): polling was waste */
	}
}

enum virt_exit virt_run(struct virt_machine *m, int *code)
{
	*code = 0;
	for (;;) {
		int req = atomic_exchange(&m->request, REQ_NONE);

		if (req == REQ_STOP)
			return VIRT_EXIT_STOP;
		if (req == REQ_POWEROFF) {
			*code = m->exit_code;
			return VIRT_EXIT_POWEROFF;
		}
		if (req == REQ_RESET) {
			if (m->cfg.no_reboot)
				return VIRT_EXIT_POWEROFF; /* -no-reboot: a reset ends the run */
			reset_devices(m);
			load_and_reset_hart(m);
		}
		if (cpu_run(m->hart, RUN_BUDGET) == CPU_EXIT_WFI &&
		    atomic_load(&m->request) == REQ_NONE)
			wfi_idle(m);
	}
}

/* ---- virtio slots ------------------------------------------------------ */

static void virtio_irq(void *opaque, int level)
{
	struct virt_slot *s = opaque;

	/* Under the device's lock: the wake comes in virtio_irq_wake. */
	plic_set_irq_nowake(s->m->plic, s->irq, level != 0);
}

static void virtio_irq_wake(void *opaque)
{
	plic_wake(((struct virt_slot *)opaque)->m->plic);
}

int virt_virtio_free_slot(const struct virt_machine *m)
{
	for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++)
		if (!m->slots[i].dev)
			return (int)i;
	return -ENOSPC;
}

static uint64_t guest_insns(void *opaque)
{
	struct virt_machine *m = opaque;

	return cpu_instret(m->hart);
}

void virt_virtio_host(struct virt_machine *m, unsigned slot, struct virtio_host *h)
{
	*h = (struct virtio_host){
		.ram = m->ram, .ram_base = VIRT_RAM_BASE, .ram_size = m->cfg.ram_size,
		.loop = m->loop, .set_irq = virtio_irq,
		.irq_opaque = &m->slots[slot % VIRT_VIRTIO_COUNT], .wake_irq = virtio_irq_wake,
		.guest_insns = guest_insns, .insns_opaque = m,
	};
}

int virt_attach_virtio(struct virt_machine *m, unsigned slot, struct virtio_mmio *dev)
{
	if (slot >= VIRT_VIRTIO_COUNT || !dev)
		return -EINVAL;
	if (m->slots[slot].dev)
		return -EBUSY;
	m->fdtp.virtio_mask |= 1u << slot;
	if (virt_fdt_build(&m->fdtp, m->fdt, sizeof(m->fdt)) < 0) {
		/* no room (a huge -append): keep the tree as it was */
		m->fdtp.virtio_mask &= ~(1u << slot);
		virt_fdt_build(&m->fdtp, m->fdt, sizeof(m->fdt));
		return -ENOSPC;
	}
	m->slots[slot].dev = dev;
	memcpy(m->ram + (m->fdt_addr - VIRT_RAM_BASE), m->fdt, fdt_totalsize(m->fdt));
	return 0;
}

uint8_t *virt_ram(struct virt_machine *m)
{
	return m->ram;
}

uint64_t virt_fdt_addr(const struct virt_machine *m)
{
	return m->fdt_addr;
}

const void *virt_fdt_blob(const struct virt_machine *m)
{
	return m->fdt;
}

struct hart *virt_hart(struct virt_machine *m)
{
	return m->hart;
}
