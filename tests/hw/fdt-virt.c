/*
 * fdt-virt.c - the generated device tree: parse it back with libfdt and
 * check the nodes and properties Linux and OpenSBI look for; with dtc
 * installed, decompile it and compile the source back to a blob.
 */
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hw/virt.h"

static uint8_t blob[0x10000];

static const void *prop(const char *path, const char *name, int *len)
{
	int off = fdt_path_offset(blob, path);

	if (off < 0) {
		fprintf(stderr, "missing node %s\n", path);
		return NULL;
	}
	return fdt_getprop(blob, off, name, len);
}

static void check_str(const char *path, const char *name, const char *want)
{
	int len = 0;
	const char *v = prop(path, name, &len);

	CHECK(v != NULL);
	if (v && strcmp(v, want)) {
		fprintf(stderr, "%s:%s = '%s', want '%s'\n", path, name, v, want);
		t_failures++;
	}
}

static uint64_t cells(const char *path, const char *name, unsigned idx)
{
	int len = 0;
	const fdt32_t *v = prop(path, name, &len);

	if (!v || (unsigned)len < (idx + 1) * 4) {
		fprintf(stderr, "%s:%s too short\n", path, name);
		t_failures++;
		return ~0ull;
	}
	return fdt32_to_cpu(v[idx]);
}

static uint64_t reg64(const char *path, unsigned idx)
{
	return cells(path, "reg", idx * 2) << 32 | cells(path, "reg", idx * 2 + 1);
}

static bool compat_has(const char *path, const char *c)
{
	int off = fdt_path_offset(blob, path);

	return off >= 0 && fdt_node_check_compatible(blob, off, c) == 0;
}

static void dtc_round_trip(void)
{
	char cmd[512], path[256];
	FILE *f;

	if (system("dtc --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "dtc not installed: round trip skipped\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/virt.dtb", t_tmpdir());
	f = fopen(path, "wb");
	REQUIRE(f);
	REQUIRE(fwrite(blob, 1, fdt_totalsize(blob), f) == fdt_totalsize(blob));
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && dtc -q -I dtb -O dts -o virt.dts virt.dtb && "
		 "dtc -q -I dts -O dtb -o back.dtb virt.dts && "
		 "dtc -q -I dtb -O dts -o back.dts back.dtb && cmp -s virt.dts back.dts && "
		 "grep -q 'riscv,isa = \"rv64imafdc_zicsr_zifencei\"' virt.dts && "
		 "grep -q 'sifive,plic-1.0.0.0riscv,plic0' virt.dts",
		 t_tmpdir());
	CHECK_EQ(system(cmd), 0);
}

int main(void)
{
	struct virt_fdt_params p = {
		.ram_base = VIRT_RAM_BASE, .ram_size = 512ull << 20,
		.bootargs = "console=ttyS0 earlycon", .isa = VIRT_ISA,
		.mmu_type = VIRT_MMU_TYPE, .initrd_start = 0x9f000000,
		.initrd_end = 0x9f123456, .virtio_mask = 0x5,
	};
	int len;

	t_timeout(30);
	REQUIRE(virt_fdt_build(&p, blob, sizeof(blob)) == 0);
	CHECK_EQ(fdt_check_header(blob), 0);
	CHECK_EQ(fdt_totalsize(blob), sizeof(blob)); /* room for firmware */

	CHECK_EQ(cells("/", "#address-cells", 0), 2);
	CHECK(compat_has("/", "riscv-virtio"));
	check_str("/chosen", "bootargs", "console=ttyS0 earlycon");
	check_str("/chosen", "stdout-path", "/soc/serial@10000000");
	CHECK_EQ(cells("/chosen", "linux,initrd-start", 0) << 32 |
		 cells("/chosen", "linux,initrd-start", 1), 0x9f000000);
	CHECK_EQ(cells("/chosen", "linux,initrd-end", 1), 0x9f123456);

	check_str("/memory@80000000", "device_type", "memory");
	CHECK_EQ(reg64("/memory@80000000", 0), VIRT_RAM_BASE);
	CHECK_EQ(reg64("/memory@80000000", 1), 512ull << 20);

	CHECK_EQ(cells("/cpus", "timebase-frequency", 0), 10000000);
	check_str("/cpus/cpu@0", "riscv,isa", "rv64imafdc_zicsr_zifencei");
	check_str("/cpus/cpu@0", "mmu-type", VIRT_MMU_TYPE);
	check_str("/cpus/cpu@0", "status", "okay");
	check_str("/cpus/cpu@0", "device_type", "cpu");
	CHECK_EQ(cells("/cpus/cpu@0", "reg", 0), 0);
	CHECK(compat_has("/cpus/cpu@0/interrupt-controller", "riscv,cpu-intc"));
	CHECK(prop("/cpus/cpu@0/interrupt-controller", "interrupt-controller", &len));
	uint32_t intc = (uint32_t)cells("/cpus/cpu@0/interrupt-controller", "phandle", 0);

	CHECK(compat_has("/soc", "simple-bus"));
	CHECK(compat_has("/soc/clint@2000000", "sifive,clint0"));
	CHECK(compat_has("/soc/clint@2000000", "riscv,clint0"));
	CHECK_EQ(reg64("/soc/clint@2000000", 0), 0x02000000);
	CHECK_EQ(cells("/soc/clint@2000000", "interrupts-extended", 0), intc);
	CHECK_EQ(cells("/soc/clint@2000000", "interrupts-extended", 1), 3);
	CHECK_EQ(cells("/soc/clint@2000000", "interrupts-extended", 3), 7);

	CHECK(compat_has("/soc/plic@c000000", "sifive,plic-1.0.0"));
	CHECK(compat_has("/soc/plic@c000000", "riscv,plic0"));
	CHECK_EQ(cells("/soc/plic@c000000", "riscv,ndev", 0), 95);
	CHECK_EQ(cells("/soc/plic@c000000", "interrupts-extended", 1), 11);
	CHECK_EQ(cells("/soc/plic@c000000", "interrupts-extended", 3), 9);
	uint32_t plic = (uint32_t)cells("/soc/plic@c000000", "phandle", 0);

	CHECK(compat_has("/soc/serial@10000000", "ns16550a"));
	CHECK_EQ(reg64("/soc/serial@10000000", 0), 0x10000000);
	CHECK_EQ(cells("/soc/serial@10000000", "clock-frequency", 0), 3686400);
	CHECK_EQ(cells("/soc/serial@10000000", "interrupts", 0), 10);
	CHECK_EQ(cells("/soc/serial@10000000", "interrupt-parent", 0), plic);

	CHECK(compat_has("/soc/test@100000", "sifive,test1"));
	CHECK(compat_has("/soc/test@100000", "sifive,test0"));
	CHECK(compat_has("/soc/test@100000", "syscon"));
	uint32_t test = (uint32_t)cells("/soc/test@100000", "phandle", 0);
	CHECK(compat_has("/poweroff", "syscon-poweroff"));
	CHECK_EQ(cells("/poweroff", "regmap", 0), test);
	CHECK_EQ(cells("/poweroff", "value", 0), 0x5555);
	CHECK(compat_has("/reboot", "syscon-reboot"));
	CHECK_EQ(cells("/reboot", "value", 0), 0x7777);

	CHECK(compat_has("/soc/rtc@101000", "google,goldfish-rtc"));
	CHECK_EQ(cells("/soc/rtc@101000", "interrupts", 0), 11);

	/* virtio slots only where a device is attached: 0 and 2 here */
	CHECK_EQ(cells("/soc/virtio_mmio@10001000", "interrupts", 0), 1);
	CHECK(fdt_path_offset(blob, "/soc/virtio_mmio@10002000") < 0);
	CHECK_EQ(cells("/soc/virtio_mmio@10003000", "interrupts", 0), 3);

	dtc_round_trip();

	/* Without initrd, bootargs or virtio: those properties are absent. */
	p.bootargs = NULL;
	p.initrd_start = p.initrd_end = 0;
	p.virtio_mask = 0;
	REQUIRE(virt_fdt_build(&p, blob, sizeof(blob)) == 0);
	CHECK(prop("/chosen", "bootargs", &len) == NULL);
	CHECK(prop("/chosen", "linux,initrd-start", &len) == NULL);
	CHECK(fdt_path_offset(blob, "/soc/virtio_mmio@10001000") < 0);

	/* A buffer too small is an error, not an overflow. */
	static uint8_t small[256];
	CHECK(virt_fdt_build(&p, small, sizeof(small)) < 0);
	return t_finish();
}
