/*
 * size-parse.c - -m size syntax: bare numbers are MiB (QEMU), K/M/G/T
 * suffixes in either case with optional B/iB, decimals, and rejection of
 * garbage and overflow.
 */
#include "harness.h"
#include "cli.h"

static uint64_t sz(const char *s)
{
	uint64_t v = 0;

	if (cli_parse_size(s, &v) < 0)
		return UINT64_MAX;
	return v;
}

int main(void)
{
	t_timeout(10);
	CHECK_EQ(sz("512"), 512ull << 20);
	CHECK_EQ(sz("512M"), 512ull << 20);
	CHECK_EQ(sz("512m"), 512ull << 20);
	CHECK_EQ(sz("512MB"), 512ull << 20);
	CHECK_EQ(sz("512MiB"), 512ull << 20);
	CHECK_EQ(sz("2G"), 2ull << 30);
	CHECK_EQ(sz("1.5G"), 3ull << 29);
	CHECK_EQ(sz("64K"), 64ull << 10);
	CHECK_EQ(sz("1T"), 1ull << 40);
	CHECK_EQ(sz("4096B"), 4096);
	CHECK_EQ(sz(""), UINT64_MAX);
	CHECK_EQ(sz("M"), UINT64_MAX);
	CHECK_EQ(sz("12Q"), UINT64_MAX);
	CHECK_EQ(sz("-1"), UINT64_MAX);
	CHECK_EQ(sz("1GG"), UINT64_MAX);
	CHECK_EQ(sz("99999999999999999999"), UINT64_MAX);
	CHECK_EQ(sz("17179869184T"), UINT64_MAX); /* 2^34 T overflows */

	struct cli_opts o;
	char err[256];
	char *argv1[] = { "ringvm", "--m", "size=1G", "-smp", "cpus=1", "-nographic",
			  "-kernel", "k", "-append", "console=ttyS0", "-no-reboot",
			  "-serial", "mon:stdio", "-accel", "tcg", "-machine", "virt", NULL };
	CHECK_EQ(cli_parse(17, argv1, &o, err, sizeof(err)), 0);
	CHECK_EQ(o.ram_size, 1ull << 30);
	CHECK(o.no_reboot);
	CHECK(o.bios_default);
	CHECK_EQ(o.serial.kind, CHR_KIND_STDIO);
	CHECK(o.serial.mux); /* mon:stdio */

	char *argv2[] = { "ringvm", "-bios", "none", "-kernel", "x.elf", "-serial", "null", NULL };
	CHECK_EQ(cli_parse(7, argv2, &o, err, sizeof(err)), 0);
	CHECK(o.bios == NULL);
	CHECK_EQ(o.ram_size, 128ull << 20); /* QEMU's virt default */
	CHECK_EQ(o.serial.kind, CHR_KIND_NULL);
	CHECK(!o.serial_none);
	return t_finish();
}
