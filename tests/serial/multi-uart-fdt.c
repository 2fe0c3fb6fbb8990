/*
 * multi-uart-fdt.c - extra serial ports: with n_uarts = 4 the device tree
 * lists ns16550a nodes at 0x10000000 + n * 0x100 with PLIC sources 10, 12,
 * 13, 14 and clock-frequency 3686400; with n_uarts = 0 or 1 only UART0.
 */
#include <libfdt.h>
#include <stdio.h>

#include "harness.h"
#include "hw/virt.h"

static uint8_t blob[0x10000];

static uint32_t cell(const char *path, const char *name, int i)
{
	int off = fdt_path_offset(blob, path), len = 0;
	const fdt32_t *p = off >= 0 ? fdt_getprop(blob, off, name, &len) : NULL;

	if (!p || len < (i + 1) * 4)
		return 0xffffffffu;
	return fdt32_to_cpu(p[i]);
}

int main(void)
{
	static const uint32_t irqs[4] = { 10, 12, 13, 14 };
	struct virt_fdt_params p = {
		.ram_base = VIRT_RAM_BASE, .ram_size = 128ull << 20,
		.isa = VIRT_ISA, .mmu_type = VIRT_MMU_TYPE, .n_uarts = 4,
	};
	char path[64];

	t_timeout(30);
	REQUIRE(virt_fdt_build(&p, blob, sizeof(blob)) == 0);
	for (unsigned n = 0; n < 4; n++) {
		snprintf(path, sizeof(path), "/soc/serial@%x", 0x10000000u + n * 0x100u);
		int off = fdt_path_offset(blob, path);

		REQUIRE(off >= 0);
		CHECK_EQ(fdt_node_check_compatible(blob, off, "ns16550a"), 0);
		CHECK_EQ(cell(path, "reg", 1), 0x10000000u + n * 0x100u);
		CHECK_EQ(cell(path, "reg", 3), 0x100);
		CHECK_EQ(cell(path, "interrupts", 0), irqs[n]);
		CHECK_EQ(cell(path, "clock-frequency", 0), 3686400);
		CHECK_EQ(VIRT_UART_IRQ(n), irqs[n]);
	}
	CHECK(fdt_path_offset(blob, "/soc/serial@10000400") < 0);
	CHECK(VIRT_UART_BASE(VIRT_UART_MAX) <= VIRT_VIRTIO_BASE);

	p.n_uarts = 1;
	REQUIRE(virt_fdt_build(&p, blob, sizeof(blob)) == 0);
	CHECK(fdt_path_offset(blob, "/soc/serial@10000000") >= 0);
	CHECK(fdt_path_offset(blob, "/soc/serial@10000100") < 0);
	return t_finish();
}
