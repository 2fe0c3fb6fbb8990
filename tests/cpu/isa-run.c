/*
 * isa-run.c - runs a bare-metal RISC-V test ELF on one hart with a tiny
 * machine: RAM at 0x80000000, a test/poweroff device at 0x00100000 (0x5555
 * = pass, code << 16 | 0x3333 = fail), a byte console at 0x10000000 (with a
 * 16550-like LSR that always says "transmitter empty"), a minimal CLINT at
 * 0x02000000 and an interrupt-line register at 0x10001000 (bit 0 drives
 * MEIP, bit 1 SEIP through cpu_set_irq). Time is virtual: mtime advances
 * one tick per 8 retired instructions, and WFI skips ahead to mtimecmp.
 *
 * Usage: isa-run test.elf [max_insns]
 *        isa-run --sbi firmware.elf payload.elf [--expect TEXT]...
 * The second form boots firmware (OpenSBI fw_jump) with a generated device
 * tree (a1) and a payload at 0x80200000, and also fails unless the console
 * printed every TEXT. Exit 0 = pass, 1 = fail, 2 = bad usage/input.
 * Threading: single thread.
 */
#include <elf.h>
#include <libfdt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (64ull << 20)

static struct {
	struct hart *h;
	uint8_t *ram;
	uint64_t mtimecmp, msip, time_skip;
	int done, status;
	char con[65536];
	size_t con_len;
} m = { .mtimecmp = UINT64_MAX };

static uint64_t mtime_now(void)
{
	return cpu_instret(m.h) / 8 + m.time_skip;
}

static uint64_t rd_mtime(void *opaque)
{
	(void)opaque;
	return mtime_now();
}

static void update_timer(void)
{
	cpu_set_irq(m.h, CPU_IRQ_MTIP, mtime_now() >= m.mtimecmp);
}

static int mmio_read(void *opaque, uint64_t a, unsigned size, uint64_t *v)
{
	(void)opaque;
	*v = 0;
	if (a >= 0x02000000 && a < 0x02010000) {
		uint64_t off = a - 0x02000000, reg;
		if (off < 8)
			reg = m.msip, off &= 7;
		else if (off >= 0x4000 && off < 0x4008)
			reg = m.mtimecmp, off -= 0x4000;
		else if (off >= 0xbff8)
			reg = mtime_now(), off -= 0xbff8;
		else
			return 0;
		*v = (reg >> (8 * off)) & (size == 8 ? UINT64_MAX : ((1ull << (8 * size)) - 1));
		return 0;
	}
	if (a >= 0x10000000 && a < 0x10000008) {
		if (a == 0x10000005)
			*v = 0x60;
		return 0;
	}
	if (a >= 0x00100000 && a < 0x00101000)
		return 0;
	if (a >= 0x10001000 && a < 0x10001008)
		return 0;
	return -1;
}

static int mmio_write(void *opaque, uint64_t a, unsigned size, uint64_t v)
{
	(void)opaque;
	if (a == 0x00100000) {
		if ((v & 0xffff) == 0x5555) {
			m.done = 1;
			m.status = 0;
		} else if ((v & 0xffff) == 0x3333) {
			m.done = 1;
			m.status = (int)((v >> 16) & 0xffff);
			if (!m.status)
				m.status = 0xffff;
		}
		cpu_kick(m.h);
		return 0;
	}
	if (a == 0x10000000) {
		if (m.con_len < sizeof(m.con) - 1)
			m.con[m.con_len++] = (char)v;
		putchar((int)(v & 0xff));
		fflush(stdout);
		return 0;
	}
	if (a >= 0x10000000 && a < 0x10000008)
		return 0;
	if (a == 0x10001000) {
		cpu_set_irq(m.h, CPU_IRQ_MEIP, v & 1);
		cpu_set_irq(m.h, CPU_IRQ_SEIP, v & 2);
		return 0;
	}
	if (a >= 0x02000000 && a < 0x02010000) {
		uint64_t off = a - 0x02000000;
		uint64_t *reg, mask = size == 8 ? UINT64_MAX : ((1ull << (8 * size)) - 1);
		uint64_t cur;
		if (off < 4) {
			m.msip = v & 1;
			cpu_set_irq(m.h, CPU_IRQ_MSIP, m.msip);
			return 0;
		}
		if (off >= 0x4000 && off < 0x4008) {
			reg = &m.mtimecmp;
			off -= 0x4000;
			*reg = (*reg & ~(mask << (8 * off))) | ((v & mask) << (8 * off));
			update_timer();
			return 0;
		}
		if (off >= 0xbff8) {
			off -= 0xbff8;
			cur = mtime_now();
			cur = (cur & ~(mask << (8 * off))) | ((v & mask) << (8 * off));
			m.time_skip += cur - mtime_now();
			update_timer();
			return 0;
		}
		return 0;
	}
	return -1;
}

static int load_elf(const char *path, uint64_t *entry)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "isa-run: cannot open %s\n", path);
		return -1;
	}
	Elf64_Ehdr eh;
	if (fread(&eh, sizeof(eh), 1, f) != 1 || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_RISCV) {
		fprintf(stderr, "isa-run: %s is not a 64-bit RISC-V ELF file\n", path);
		fclose(f);
		return -1;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (fseek(f, (long)(eh.e_phoff + i * sizeof(ph)), SEEK_SET) ||
		    fread(&ph, sizeof(ph), 1, f) != 1)
			goto bad;
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_paddr < RAM_BASE || ph.p_paddr - RAM_BASE > RAM_SIZE ||
		    ph.p_memsz > RAM_SIZE - (ph.p_paddr - RAM_BASE) || ph.p_filesz > ph.p_memsz)
			goto bad;
		if (fseek(f, (long)ph.p_offset, SEEK_SET) ||
		    fread(m.ram + (ph.p_paddr - RAM_BASE), 1, ph.p_filesz, f) != ph.p_filesz)
			goto bad;
	}
	fclose(f);
	*entry = eh.e_entry;
	return 0;
bad:
	fprintf(stderr, "isa-run: %s has a segment outside RAM or is truncated\n", path);
	fclose(f);
	return -1;
}

/* Big-endian <addr-hi addr-lo size-hi size-lo> for a "reg" property. */
static int fdt_reg(void *fdt, uint64_t addr, uint64_t size)
{
	fdt32_t r[4] = { cpu_to_fdt32(addr >> 32), cpu_to_fdt32((uint32_t)addr),
			 cpu_to_fdt32(size >> 32), cpu_to_fdt32((uint32_t)size) };
	return fdt_property(fdt, "reg", r, sizeof(r));
}

/* The device tree OpenSBI's generic platform needs for this machine. */
static int build_fdt(void *fdt, int size)
{
	int e = 0;
	e |= fdt_create(fdt, size);
	e |= fdt_finish_reservemap(fdt);
	e |= fdt_begin_node(fdt, "");
	e |= fdt_property_u32(fdt, "#address-cells", 2);
	e |= fdt_property_u32(fdt, "#size-cells", 2);
	e |= fdt_property_string(fdt, "compatible", "riscv-virtio");
	e |= fdt_property_string(fdt, "model", "ringvm isa-run");
	e |= fdt_begin_node(fdt, "chosen");
	e |= fdt_property_string(fdt, "stdout-path", "/soc/serial@10000000");
	e |= fdt_end_node(fdt);
	e |= fdt_begin_node(fdt, "memory@80000000");
	e |= fdt_property_string(fdt, "device_type", "memory");
	e |= fdt_reg(fdt, RAM_BASE, RAM_SIZE);
	e |= fdt_end_node(fdt);
	e |= fdt_begin_node(fdt, "cpus");
	e |= fdt_property_u32(fdt, "#address-cells", 1);
	e |= fdt_property_u32(fdt, "#size-cells", 0);
	e |= fdt_property_u32(fdt, "timebase-frequency", 10000000);
	e |= fdt_begin_node(fdt, "cpu@0");
	e |= fdt_property_string(fdt, "device_type", "cpu");
	e |= fdt_property_u32(fdt, "reg", 0);
	e |= fdt_property_string(fdt, "status", "okay");
	e |= fdt_property_string(fdt, "compatible", "riscv");
	e |= fdt_property_string(fdt, "riscv,isa", "rv64imafdc_zicsr_zifencei");
	e |= fdt_property_string(fdt, "mmu-type", "riscv,sv57");
	e |= fdt_begin_node(fdt, "interrupt-controller");
	e |= fdt_property_u32(fdt, "#interrupt-cells", 1);
	e |= fdt_property(fdt, "interrupt-controller", NULL, 0);
	e |= fdt_property_string(fdt, "compatible", "riscv,cpu-intc");
	e |= fdt_property_u32(fdt, "phandle", 1);
	e |= fdt_end_node(fdt);
	e |= fdt_end_node(fdt);
	e |= fdt_end_node(fdt);
	e |= fdt_begin_node(fdt, "soc");
	e |= fdt_property_u32(fdt, "#address-cells", 2);
	e |= fdt_property_u32(fdt, "#size-cells", 2);
	e |= fdt_property_string(fdt, "compatible", "simple-bus");
	e |= fdt_property(fdt, "ranges", NULL, 0);
	e |= fdt_begin_node(fdt, "clint@2000000");
	static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
	e |= fdt_property(fdt, "compatible", clint_compat, sizeof(clint_compat));
	e |= fdt_reg(fdt, 0x2000000, 0x10000);
	fdt32_t ie[4] = { cpu_to_fdt32(1), cpu_to_fdt32(3), cpu_to_fdt32(1), cpu_to_fdt32(7) };
	e |= fdt_property(fdt, "interrupts-extended", ie, sizeof(ie));
	e |= fdt_end_node(fdt);
	e |= fdt_begin_node(fdt, "serial@10000000");
	e |= fdt_property_string(fdt, "compatible", "ns16550a");
	e |= fdt_reg(fdt, 0x10000000, 0x100);
	e |= fdt_property_u32(fdt, "clock-frequency", 3686400);
	e |= fdt_end_node(fdt);
	e |= fdt_begin_node(fdt, "test@100000");
	static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
	e |= fdt_property(fdt, "compatible", test_compat, sizeof(test_compat));
	e |= fdt_reg(fdt, 0x100000, 0x1000);
	e |= fdt_end_node(fdt);
	e |= fdt_end_node(fdt);
	e |= fdt_end_node(fdt);
	e |= fdt_finish(fdt);
	return e ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: isa-run test.elf [max_insns] | "
			"isa-run --sbi firmware.elf payload.elf [--expect TEXT]...\n");
		return 2;
	}
	bool sbi = !strcmp(argv[1], "--sbi");
	if (sbi && argc < 4) {
		fprintf(stderr, "isa-run: --sbi needs a firmware and a payload ELF\n");
		return 2;
	}
	uint64_t max = (!sbi && argc > 2) ? strtoull(argv[2], NULL, 0) : 400000000ull;
	m.ram = calloc(1, RAM_SIZE);
	if (!m.ram)
		return 2;
	struct cpu_bus bus = { .ram = m.ram, .ram_base = RAM_BASE, .ram_size = RAM_SIZE,
			       .mmio_read = mmio_read, .mmio_write = mmio_write,
			       .read_mtime = rd_mtime };
	m.h = cpu_hart_new(&bus, 0);
	uint64_t entry, pentry;
	if (!m.h || load_elf(argv[sbi ? 2 : 1], &entry))
		return 2;
	/* RINGVM_ACCEL=jit or jit,check=on: the same programs under the JIT */
	const char *accel = getenv("RINGVM_ACCEL");
	if (accel && !strncmp(accel, "jit", 3) &&
	    cpu_set_accel(m.h, CPU_ACCEL_JIT, strstr(accel, "check=on") != NULL)) {
		fprintf(stderr, "isa-run: cannot start the JIT\n");
		return 2;
	}
	cpu_hart_reset(m.h, entry);
	if (sbi) {
		uint64_t fdt_addr = RAM_BASE + RAM_SIZE - (1 << 20);
		if (load_elf(argv[3], &pentry))
			return 2;
		if (build_fdt(m.ram + (fdt_addr - RAM_BASE), 65536)) {
			fprintf(stderr, "isa-run: cannot build the device tree\n");
			return 2;
		}
		cpu_set_gpr(m.h, 10, 0);
		cpu_set_gpr(m.h, 11, fdt_addr);
	}
	while (!m.done) {
		if (cpu_instret(m.h) > max) {
			fprintf(stderr, "isa-run: no result after %llu instructions (pc %#llx)\n",
				(unsigned long long)max, (unsigned long long)cpu_get_pc(m.h));
			return 1;
		}
		enum cpu_exit e = cpu_run(m.h, 256);
		update_timer();
		if (e == CPU_EXIT_WFI && !m.done) {
			if (m.mtimecmp == UINT64_MAX) {
				fprintf(stderr, "isa-run: WFI with no timer armed (pc %#llx)\n",
					(unsigned long long)cpu_get_pc(m.h));
				return 1;
			}
			if (mtime_now() < m.mtimecmp)
				m.time_skip += m.mtimecmp - mtime_now();
			update_timer();
			cpu_wfi_wait(m.h, 1); /* must return at once: the line is up */
		}
	}
	if (m.status)
		fprintf(stderr, "isa-run: %s failed with code %d (%#x); last trap: "
			"cause %#llx epc %#llx tval %#llx\n", argv[1], m.status, m.status,
			(unsigned long long)cpu_get_gpr(m.h, 26),
			(unsigned long long)cpu_get_gpr(m.h, 22),
			(unsigned long long)cpu_get_gpr(m.h, 27));
	for (int i = 4; sbi && i + 1 < argc; i += 2) {
		m.con[m.con_len] = 0;
		if (!strcmp(argv[i], "--expect") && !strstr(m.con, argv[i + 1])) {
			fprintf(stderr, "isa-run: console never printed \"%s\"\n", argv[i + 1]);
			m.status = 1;
		}
	}
	cpu_hart_free(m.h);
	free(m.ram);
	return m.status ? 1 : 0;
}
