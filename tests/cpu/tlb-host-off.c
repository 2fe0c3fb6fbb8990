/*
 * The inline TLB checks - the interpreter's ld/st helpers (hart.h) and
 * the JIT's lookups and run checks (jit-mem.c), in a loop block - take
 * host_off from the read/write entry mmu.c filled (struct tlb_ent),
 * never a translation of their own: S-mode code loads from and stores to
 * page D (filling both entries), the test then moves the entries'
 * host_off (the read one 0x100 bytes on, the write one 0x200), and the
 * same accesses, 100 passes of a loop, must land there.
 * Not covered: a wrong index in generated code (jit-gen.h's
 * TLB_IDX_SHIFT/MASK) only costs time - the access misses and the slow
 * path's handler, whose inline check finds the entry, does it - so no
 * value shows it. Under the interpreter and the JIT.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define PA_A (BASE + 0x1000)
#define PA_D (BASE + 0x11000) /* index 0x11 */
#define PT (BASE + 0x200000)
#define V5 0x55ull
#define V6 0x66ull
#define PASSES 100

static const uint32_t code_a[] = {
	0x0004b503, /* 0x00: ld a0, 0(s1) */
	0x0084b583, /* 0x04: ld a1, 8(s1) */
	0x0154b823, /* 0x08: sd s5, 16(s1) */
	0x10500073, /* 0x0c: wfi */
	0x0004b603, /* 0x10: ld a2, 0(s1) */
	0x0284b683, /* 0x14: ld a3, 40(s1) */
	0x0369b823, /* 0x18: sd s6, 48(s3)  (s3 = s1: a run of its own) */
	0x0169a023, /* 0x1c: sw s6, 0(s3) */
	0xfff90913, /* 0x20: addi s2, s2, -1 */
	0xfe0916e3, /* 0x24: bnez s2, 0x10 */
	0x10500073, /* 0x28: wfi */
};

static uint64_t get64(const uint8_t *ram, uint64_t pa)
{
	uint64_t v;
	memcpy(&v, ram + (pa - BASE), 8);
	return v;
}

static void run(uint8_t *ram, bool jit)
{
	memset(ram, 0, RAM);
	memcpy(ram + (PA_A - BASE), code_a, sizeof(code_a));
	for (uint64_t k = 0; k < 4096; k += 8) /* the qword at D + k: 0x1000 + k */
		memcpy(ram + (PA_D - BASE) + k, &(uint64_t){ 0x1000 + k }, 8);
	uint64_t *l0;
	uint64_t satp = thart_sv39(ram, BASE, PT - BASE, &l0);

	struct hart *h = thart_new(ram, BASE, RAM, PA_A, jit);
	thart_paging(h, satp);
	cpu_set_gpr(h, 9, PA_D);   /* s1 */
	cpu_set_gpr(h, 18, PASSES); /* s2 */
	cpu_set_gpr(h, 19, PA_D);  /* s3 */
	cpu_set_gpr(h, 21, V5);  /* s5 */
	cpu_set_gpr(h, 22, V6);  /* s6 */

	CHECK_EQ(thart_run_to_wfi(h), PA_A + 0x10);
	CHECK_EQ(cpu_get_gpr(h, 10), 0x1000);
	CHECK_EQ(cpu_get_gpr(h, 11), 0x1008);
	CHECK_EQ(get64(ram, PA_D + 16), V5);

	unsigned i = (PA_D >> 12) & (TLB_SIZE - 1);
	REQUIRE(h->tlb_r[i].tag == hart_xtag(PA_D, h->dkey));
	REQUIRE(h->tlb_w[i].tag == hart_xtag(PA_D, h->wkey));
	h->tlb_r[i].host_off += 0x100;
	h->tlb_w[i].host_off += 0x200;

	CHECK_EQ(thart_run_to_wfi(h), PA_A + 0x2c);
	CHECK_EQ(cpu_get_gpr(h, 12), 0x1100);  /* D + 0x100 */
	CHECK_EQ(cpu_get_gpr(h, 13), 0x1128);  /* D + 0x128 */
	CHECK_EQ(get64(ram, PA_D + 0x230), V6); /* not D + 0x30 */
	CHECK_EQ(get64(ram, PA_D + 0x30), 0x1030);
	CHECK_EQ(get64(ram, PA_D + 0x200), V6);  /* the sw: 0x1200's low word */
	CHECK_EQ(get64(ram, PA_D), 0x1000);
	cpu_hart_free(h);
}

int main(void)
{
	t_timeout(30);
	return thart_each_mode(run, RAM);
}
