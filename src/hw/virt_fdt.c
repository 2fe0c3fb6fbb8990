/*
 * virt_fdt.c - the virt machine's device tree, written with libfdt's
 * sequential-write API and then opened into the full buffer so firmware
 * (OpenSBI fixes up reserved memory and CPU nodes) has room to grow it.
 *
 * Threading: pure; called on the main thread at construction.
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "hw/clint.h"
#include "hw/plic.h"
#include "hw/rtc.h"
#include "hw/testdev.h"
#include "hw/virt.h"

enum { PH_INTC = 1, PH_PLIC = 2, PH_TEST = 3, PH_CPU = 4 };

/* libfdt calls return 0 or a negative FDT_ERR_*; stop at the first. */
#define TRY(x)                                                                 \
	do {                                                                   \
		int _r = (x);                                                  \
		if (_r < 0)                                                    \
			return _r;                                             \
	} while (0)

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int prop_cells(void *fdt, const char *name, const uint32_t *v, unsigned n)
{
	fdt32_t c[8];

	for (unsigned i = 0; i < n; i++)
		c[i] = cpu_to_fdt32(v[i]);
	return fdt_property(fdt, name, c, n * sizeof(fdt32_t));
}

/* A "compatible" with several NUL-separated strings (len includes NULs). */
static int prop_compat(void *fdt, const char *list, size_t len)
{
	return fdt_property(fdt, "compatible", list, (int)len);
}

static int add_cpus(void *fdt, const struct virt_fdt_params *p)
{
	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	TRY(fdt_property_u32(fdt, "timebase-frequency", VIRT_TIMEBASE_HZ));
	TRY(fdt_begin_node(fdt, "cpu@0"));
	TRY(fdt_property_string(fdt, "device_type", "cpu"));
	TRY(fdt_property_u32(fdt, "reg", 0));
	TRY(fdt_property_string(fdt, "status", "okay"));
	TRY(fdt_property_string(fdt, "compatible", "riscv"));
	TRY(fdt_property_string(fdt, "riscv,isa", p->isa));
	TRY(fdt_property_string(fdt, "mmu-type", p->mmu_type));
	TRY(fdt_property_u32(fdt, "phandle", PH_CPU));
	TRY(fdt_begin_node(fdt, "interrupt-controller"));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
	TRY(fdt_property_u32(fdt, "phandle", PH_INTC));
	TRY(fdt_end_node(fdt)); /* interrupt-controller */
	TRY(fdt_end_node(fdt)); /* cpu@0 */
	TRY(fdt_begin_node(fdt, "cpu-map"));
	TRY(fdt_begin_node(fdt, "cluster0"));
	TRY(fdt_begin_node(fdt, "core0"));
	TRY(fdt_property_u32(fdt, "cpu", PH_CPU));
	TRY(fdt_end_node(fdt));
	TRY(fdt_end_node(fdt));
	TRY(fdt_end_node(fdt)); /* cpu-map */
	return fdt_end_node(fdt); /* cpus */
}

static int add_intc_devices(void *fdt)
{
	static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
	static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	/* M-mode software and timer, then M and S external (contexts 0, 1). */
	const uint32_t clint_irqs[] = { PH_INTC, 3, PH_INTC, 7 };
	const uint32_t plic_irqs[] = { PH_INTC, 11, PH_INTC, 9 };

	TRY(fdt_begin_node(fdt, "clint@2000000"));
	TRY(prop_compat(fdt, clint_compat, sizeof(clint_compat)));
	TRY(prop_reg(fdt, VIRT_CLINT_BASE, CLINT_SIZE));
	TRY(prop_cells(fdt, "interrupts-extended", clint_irqs, 4));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_node(fdt, "plic@c000000"));
	TRY(prop_compat(fdt, plic_compat, sizeof(plic_compat)));
	TRY(prop_reg(fdt, VIRT_PLIC_BASE, PLIC_SIZE));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	TRY(fdt_property_u32(fdt, "#address-cells", 0));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "riscv,ndev", PLIC_NSRC - 1));
	TRY(prop_cells(fdt, "interrupts-extended", plic_irqs, 4));
	TRY(fdt_property_u32(fdt, "phandle", PH_PLIC));
	return fdt_end_node(fdt);
}

static int add_irq_device(void *fdt, const char *name, const char *compat,
			  uint64_t base, uint64_t size, uint32_t irq)
{
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", compat));
	TRY(prop_reg(fdt, base, size));
	TRY(fdt_property_u32(fdt, "interrupts", irq));
	TRY(fdt_property_u32(fdt, "interrupt-parent", PH_PLIC));
	return 0; /* node left open for extra properties */
}

static int add_soc(void *fdt, const struct virt_fdt_params *p)
{
	static const char soc_compat[] = "simple-bus";
	static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
	char name[32];

	TRY(fdt_begin_node(fdt, "soc"));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(prop_compat(fdt, soc_compat, sizeof(soc_compat)));
	TRY(fdt_property(fdt, "ranges", NULL, 0));
	TRY(add_intc_devices(fdt));

	for (unsigned n = 0; n < (p->n_uarts ? p->n_uarts : 1); n++) {
		snprintf(name, sizeof(name), "serial@%llx",
			 (unsigned long long)VIRT_UART_BASE(n));
		TRY(add_irq_device(fdt, name, "ns16550a", VIRT_UART_BASE(n),
				   VIRT_UART0_SIZE, VIRT_UART_IRQ(n)));
		TRY(fdt_property_u32(fdt, "clock-frequency", VIRT_UART_CLOCK_HZ));
		TRY(fdt_end_node(fdt));
	}

	TRY(fdt_begin_node(fdt, "test@100000"));
	TRY(prop_compat(fdt, test_compat, sizeof(test_compat)));
	TRY(prop_reg(fdt, VIRT_TEST_BASE, TESTDEV_SIZE));
	TRY(fdt_property_u32(fdt, "phandle", PH_TEST));
	TRY(fdt_end_node(fdt));

	TRY(add_irq_device(fdt, "rtc@101000", "google,goldfish-rtc", VIRT_RTC_BASE,
			   RTC_SIZE, VIRT_IRQ_RTC));
	TRY(fdt_end_node(fdt));

	for (unsigned n = 0; n < VIRT_VIRTIO_COUNT; n++) {
		uint64_t base = VIRT_VIRTIO_BASE + n * VIRT_VIRTIO_SIZE;

		if (!(p->virtio_mask & (1u << n)))
			continue;
		snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
		TRY(add_irq_device(fdt, name, "virtio,mmio", base, VIRT_VIRTIO_SIZE,
				   VIRT_IRQ_VIRTIO0 + n));
		TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt); /* soc */
}

static int add_syscon(void *fdt, const char *name, const char *compat, uint32_t value)
{
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", compat));
	TRY(fdt_property_u32(fdt, "regmap", PH_TEST));
	TRY(fdt_property_u32(fdt, "offset", 0));
	TRY(fdt_property_u32(fdt, "value", value));
	return fdt_end_node(fdt);
}

static int add_chosen(void *fdt, const struct virt_fdt_params *p)
{
	TRY(fdt_begin_node(fdt, "chosen"));
	if (p->bootargs)
		TRY(fdt_property_string(fdt, "bootargs", p->bootargs));
	TRY(fdt_property_string(fdt, "stdout-path", "/soc/serial@10000000"));
	if (p->initrd_end > p->initrd_start) {
		TRY(fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start));
		TRY(fdt_property_u64(fdt, "linux,initrd-end", p->initrd_end));
	}
	return fdt_end_node(fdt);
}

static int build(const struct virt_fdt_params *p, void *fdt, size_t size)
{
	static const char root_compat[] = "riscv-virtio";
	char name[32];

	TRY(fdt_create(fdt, (int)size));
	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(prop_compat(fdt, root_compat, sizeof(root_compat)));
	TRY(fdt_property_string(fdt, "model", "riscv-virtio,qemu"));
	TRY(add_chosen(fdt, p));

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)p->ram_base);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "device_type", "memory"));
	TRY(prop_reg(fdt, p->ram_base, p->ram_size));
	TRY(fdt_end_node(fdt));

	TRY(add_cpus(fdt, p));
	TRY(add_soc(fdt, p));
	TRY(add_syscon(fdt, "poweroff", "syscon-poweroff", 0x5555));
	TRY(add_syscon(fdt, "reboot", "syscon-reboot", 0x7777));
	TRY(fdt_end_node(fdt)); /* root */
	return fdt_finish(fdt);
}

int virt_fdt_build(const struct virt_fdt_params *p, void *buf, size_t bufsize)
{
	TRY(build(p, buf, bufsize));
	/* fdt_finish shrank totalsize to the content; give the room back. */
	return fdt_open_into(buf, buf, (int)bufsize);
}
