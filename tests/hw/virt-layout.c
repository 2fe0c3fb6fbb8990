/*
 * virt-layout.c - machine construction: with a firmware, a Linux Image and
 * an initrd, every image lands where QEMU's virt puts it, the device tree
 * in RAM describes the initrd, the hart starts at the firmware with
 * a0/a1/a2 set and fw_dynamic_info in the ROM, and the MMIO map routes
 * each window to its device (unmapped addresses fault).
 */
#include <libfdt.h>
#include <string.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "hw/virt.h"
#include "loop/loop.h"

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	REQUIRE(f && fwrite(buf, 1, len, f) == len);
	fclose(f);
}

static uint64_t rd(struct virt_machine *m, uint64_t addr, unsigned size)
{
	uint64_t v = 0xdead;

	CHECK_EQ(virt_mmio_read(m, addr, size, &v), 0);
	return v;
}

int main(void)
{
	static uint8_t fw[0x3000], kernel[0x5000], initrd[0x2345];
	char fwp[256], kp[256], ip[256], err[256];
	struct virt_config cfg = { .ram_size = 64ull << 20, .append = "console=ttyS0" };
	struct virt_machine *m;
	struct loop *loop;
	uint64_t v;

	t_timeout(20);
	snprintf(fwp, sizeof(fwp), "%s/fw.bin", t_tmpdir());
	snprintf(kp, sizeof(kp), "%s/Image", t_tmpdir());
	snprintf(ip, sizeof(ip), "%s/initrd", t_tmpdir());
	memset(fw, 0x11, sizeof(fw));
	memset(kernel, 0x22, sizeof(kernel));
	memset(initrd, 0x33, sizeof(initrd));
	/* Image header: text_offset 0x200000, image_size 0x100000, magic2 */
	memset(kernel + 8, 0, 16);
	kernel[8 + 2] = 0x20;
	kernel[16 + 2] = 0x10;
	memcpy(kernel + 56, "RSC\x05", 4);
	write_file(fwp, fw, sizeof(fw));
	write_file(kp, kernel, sizeof(kernel));
	write_file(ip, initrd, sizeof(initrd));
	cfg.bios = fwp;
	cfg.kernel = kp;
	cfg.initrd = ip;

	REQUIRE(loop_new(&loop, NULL) == 0);
	if (virt_new(&m, &cfg, loop, err, sizeof(err)) < 0) {
		fprintf(stderr, "virt_new: %s\n", err);
		return 1;
	}
	uint8_t *ram = virt_ram(m);
	struct hart *h = virt_hart(m);

	/* images */
	CHECK(!memcmp(ram, fw, sizeof(fw)));
	CHECK(!memcmp(ram + 0x200000, kernel, sizeof(kernel)));
	uint64_t fdt_addr = virt_fdt_addr(m);
	CHECK_EQ(fdt_addr % 0x200000, 0);
	CHECK(fdt_addr > VIRT_RAM_BASE + (32ull << 20));
	const void *fdt = ram + (fdt_addr - VIRT_RAM_BASE);
	REQUIRE(fdt_check_header(fdt) == 0);
	int chosen = fdt_path_offset(fdt, "/chosen");
	REQUIRE(chosen >= 0);
	const void *is = fdt_getprop(fdt, chosen, "linux,initrd-start", NULL);
	const void *ie = fdt_getprop(fdt, chosen, "linux,initrd-end", NULL);
	REQUIRE(is && ie);
	fdt64_t b64; /* properties are only 4-byte aligned */
	memcpy(&b64, is, 8);
	uint64_t istart = fdt64_to_cpu(b64);
	memcpy(&b64, ie, 8);
	uint64_t iend = fdt64_to_cpu(b64);
	CHECK_EQ(iend - istart, sizeof(initrd));
	CHECK(iend <= fdt_addr);
	CHECK(istart >= VIRT_RAM_BASE + 0x200000 + 0x100000); /* above the kernel's image_size */
	CHECK(!memcmp(ram + (istart - VIRT_RAM_BASE), initrd, sizeof(initrd)));
	CHECK(!strcmp(fdt_getprop(fdt, chosen, "bootargs", NULL), "console=ttyS0"));

	/* boot registers and fw_dynamic_info */
	CHECK_EQ(cpu_get_pc(h), VIRT_RAM_BASE);
	CHECK_EQ(cpu_get_gpr(h, 10), 0);
	CHECK_EQ(cpu_get_gpr(h, 11), fdt_addr);
	CHECK_EQ(cpu_get_gpr(h, 12), VIRT_FW_DYNAMIC_INFO_ADDR);
	CHECK_EQ(rd(m, 0x1000, 8), VIRT_FW_DYNAMIC_MAGIC);
	CHECK_EQ(rd(m, 0x1008, 8), 2);
	CHECK_EQ(rd(m, 0x1010, 8), 0x80200000);
	CHECK_EQ(rd(m, 0x1018, 8), 1);  /* S-mode */
	CHECK_EQ(rd(m, 0x1020, 8), 0);  /* options */
	CHECK_EQ(rd(m, 0x1028, 8), 0);  /* boot hart */
	CHECK_EQ(rd(m, 0x1000, 4), 0x4942534f);
	CHECK_EQ(virt_mmio_write(m, 0x1000, 8, 0), -1); /* ROM */

	/* MMIO windows */
	CHECK_EQ(rd(m, VIRT_UART0_BASE + 5, 1), 0x60);           /* LSR */
	uint64_t t0 = rd(m, VIRT_CLINT_BASE + 0xbff8, 8);
	CHECK(rd(m, VIRT_CLINT_BASE + 0xbff8, 8) >= t0);         /* mtime */
	CHECK_EQ(rd(m, VIRT_CLINT_BASE + 0x4000, 8), UINT64_MAX);
	CHECK_EQ(virt_mmio_write(m, VIRT_PLIC_BASE + 40, 4, 3), 0);
	CHECK_EQ(rd(m, VIRT_PLIC_BASE + 40, 4), 3);               /* priority[10] */
	CHECK(rd(m, VIRT_RTC_BASE + 0, 4) != 0xdead);
	CHECK_EQ(rd(m, VIRT_TEST_BASE, 4), 0);
	CHECK_EQ(rd(m, VIRT_VIRTIO_BASE, 4), 0);                  /* empty slot */
	CHECK_EQ(virt_mmio_read(m, 0x30000000, 4, &v), -1);       /* nothing there */
	CHECK_EQ(virt_mmio_read(m, 0x0, 4, &v), -1);
	CHECK_EQ(virt_mmio_read(m, VIRT_PLIC_BASE + 0x600000, 4, &v), -1);

	loop_free(loop); /* first: it runs what the machine posted */
	virt_free(m);

	/* -bios none: an ELF-less flat kernel runs from RAM base. */
	cfg.bios = NULL;
	cfg.initrd = NULL;
	REQUIRE(loop_new(&loop, NULL) == 0);
	REQUIRE(virt_new(&m, &cfg, loop, err, sizeof(err)) == 0);
	CHECK(!memcmp(virt_ram(m), kernel, sizeof(kernel)));
	CHECK_EQ(cpu_get_pc(virt_hart(m)), VIRT_RAM_BASE);
	CHECK_EQ(cpu_get_gpr(virt_hart(m), 11), virt_fdt_addr(m));
	virt_free(m); /* never run: nothing of it is queued on the loop */
	loop_free(loop);
	return t_finish();
}
