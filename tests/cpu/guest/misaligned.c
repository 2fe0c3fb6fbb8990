/*
 * misaligned.c - misaligned loads and stores are emulated (no trap),
 * including FP ones and ones crossing a page; when the second page
 * faults, tval is its first byte and a store leaves memory untouched.
 */
#include "rvtest-c.h"

static uint8_t buf[8192] __attribute__((aligned(4096)));
static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));

static uint64_t ld_at(uint64_t a) { uint64_t v; __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(a) : "memory"); return v; }
static int64_t lw_at(uint64_t a) { int64_t v; __asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(a) : "memory"); return v; }
static uint64_t lhu_at(uint64_t a) { uint64_t v; __asm__ volatile("lhu %0, 0(%1)" : "=r"(v) : "r"(a) : "memory"); return v; }
static void sd_at(uint64_t a, uint64_t v) { __asm__ volatile("sd %0, 0(%1)" :: "r"(v), "r"(a) : "memory"); }
static void sw_at(uint64_t a, uint64_t v) { __asm__ volatile("sw %0, 0(%1)" :: "r"(v), "r"(a) : "memory"); }
static void sh_at(uint64_t a, uint64_t v) { __asm__ volatile("sh %0, 0(%1)" :: "r"(v), "r"(a) : "memory"); }
static uint64_t fp_copy(uint64_t from, uint64_t to)
{
	uint64_t v;
	__asm__ volatile("fld ft0, 0(%1)\n fsd ft0, 0(%2)\n fmv.x.d %0, ft0"
			 : "=r"(v) : "r"(from), "r"(to) : "memory", "ft0");
	return v;
}

int test_main(void)
{
	for (int i = 0; i < 8192; i++)
		buf[i] = (uint8_t)i;
	uint64_t b = (uint64_t)buf;
	T(1, ld_at(b + 3) == 0x0a09080706050403ull);
	T(2, lw_at(b + 0x7d) == (int32_t)0x807f7e7d);
	T(3, lhu_at(b + 0xff) == 0x00ff);
	sd_at(b + 1, 0x1122334455667788ull);
	T(4, buf[0] == 0 && buf[1] == 0x88 && buf[8] == 0x11 && buf[9] == 9);
	sw_at(b + 0x21, 0xaabbccdd);
	T(5, ld_at(b + 0x20) == 0x272625aabbccdd20ull);
	T(6, buf[0x21] == 0xdd && buf[0x24] == 0xaa && buf[0x25] == 0x25);
	sh_at(b + 0x31, 0xbeef);
	T(7, buf[0x31] == 0xef && buf[0x32] == 0xbe);
	/* across the page boundary (bare) */
	T(8, ld_at(b + 4093) == 0x0403020100fffefdull);
	sd_at(b + 4092, 0x0102030405060708ull);
	T(9, buf[4092] == 8 && buf[4095] == 5 && buf[4096] == 4 && buf[4099] == 1);
	csr_set(mstatus, 1 << 13);
	T(10, fp_copy(b + 4090, b + 0x101) == ld_at(b + 4090));
	T(11, ld_at(b + 0x101) == ld_at(b + 4090));

	/* Sv39: page VA 0xc0000000 -> buf, 0xc0001000 unmapped */
	root[2] = (0x80000000ull >> 12) << 10 | 0xcf;          /* RAM gigapage RWX AD */
	root[0] = 0xc7;                                         /* MMIO gigapage RW AD */
	root[3] = ((uint64_t)l1 >> 12) << 10 | 1;
	l1[0] = ((uint64_t)l0 >> 12) << 10 | 1;
	l0[0] = (b >> 12) << 10 | 0xc7;
	csr_write(satp, 8ull << 60 | (uint64_t)root >> 12);
	__asm__ volatile("sfence.vma" ::: "memory");
	enter_mode(1);
	struct probe p = probe_ld(0xc0000000ull + 4092);
	T(12, p.cause == 13);
	T(13, last_tval() == 0xc0001000ull);
	buf[4092] = 0x5a;
	p = probe_sd(0xc0000000ull + 4092, 0);
	T(14, p.cause == 15 && p.val == 0xc0001000ull);
	T(15, buf[4092] == 0x5a);                               /* untouched */
	p = probe_ld(0xc0000000ull + 4085);
	T(16, p.cause == NO_TRAP);
	back_to_m();
	/* a 4-byte instruction across the page end: its second half faults */
	buf[4094] = 0x13; /* addi a0, zero, 7 = 0x00700513 */
	buf[4095] = 0x05;
	buf[4096] = 0x70;
	buf[4097] = 0x00;
	buf[4098] = 0x82; /* c.jr ra */
	buf[4099] = 0x80;
	l0[0] |= 8;                                             /* X */
	__asm__ volatile("sfence.vma" ::: "memory");
	enter_mode(1);
	p = probe_fetch(0xc0000ffeull);
	T(18, p.cause == 12 && p.val == 0xc0001000ull);
	T(19, last_epc() == 0xc0000ffeull);
	back_to_m();
	l0[1] = ((b + 4096) >> 12) << 10 | 0xcf;                /* map it, X */
	__asm__ volatile("sfence.vma" ::: "memory");
	enter_mode(1);
	long r;
	__asm__ volatile("li a0, 0\n jalr %1\n mv %0, a0" : "=r"(r) : "r"(0xc0000ffeull) : "a0", "ra", "memory");
	T(20, r == 7);
	back_to_m();
	csr_write(satp, 0);
	/* crossing the end of RAM: access fault */
	T(17, probe_ld(0x80000000ull + (64ull << 20) - 4).cause == 5);
	pass();
}
