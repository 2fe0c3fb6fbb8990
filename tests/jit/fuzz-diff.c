/*
 * Differential fuzzing: random valid instruction streams (RV64I/M ALU,
 * loads/stores with misaligned offsets, AMOs and LR/SC, forward branches and jumps,
 * compressed forms, some D arithmetic, and traps: ecall, ebreak, illegal,
 * access faults, and with Sv39 on in S-mode, load/store page faults) run
 * from the same start state on two harts, one interpreting and one under
 * the JIT; every register, the trap CSRs, instret and the scratch memory
 * must end equal. A fixed seed set; RINGVM_FUZZ_SEEDS=n runs more.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define PROG 0x1000u
#define SCRATCH 0x10000u /* +0x1000: read-only page, +0x2000: unmapped (Sv39) */
#define PT 0x100000u
#define NINS 400

/* x8 = scratch base, x30 = the page after it, x31 = trap handler's: never rd */
static unsigned rd_any(void)
{
	unsigned r;
	do
		r = 1 + (unsigned)(t_rand() % 29);
	while (r == 8);
	return r;
}
static unsigned rs_any(void) { return (unsigned)(t_rand() % 32); }
static unsigned rdc(void) { return 1 + (unsigned)(t_rand() % 7); } /* x9..x15 as rd' */

struct item { uint32_t raw; uint8_t len; int8_t skip; uint8_t kind; };
enum { I_PLAIN, I_BRANCH, I_JAL };

static struct item gen_one(bool paging)
{
	struct item it = { 0, 4, 0, I_PLAIN };
	unsigned k = (unsigned)(t_rand() % 100);
	if (k < 25) { /* OP / OP-32 incl. M */
		static const uint32_t f7s[] = { 0, 0x20, 1 };
		uint32_t f7 = f7s[t_rand() % 3], f3 = (uint32_t)(t_rand() % 8);
		bool w = t_rand() % 3 == 0;
		if (f7 == 0x20)
			f3 = t_rand() % 2 ? 0 : 5;
		if (w && f7 != 1 && f3 != 0 && f3 != 1 && f3 != 5)
			f3 = 0;
		if (w && f7 == 1 && (f3 >= 1 && f3 <= 3))
			f3 = 0;
		it.raw = enc_r(w ? 0x3b : 0x33, rd_any(), f3, rs_any(), rs_any(), f7);
	} else if (k < 45) { /* OP-IMM / OP-IMM-32 */
		uint32_t f3 = (uint32_t)(t_rand() % 8);
		bool w = t_rand() % 4 == 0;
		int32_t imm = (int32_t)(t_rand() % 4096) - 2048;
		if (w && f3 != 0 && f3 != 1 && f3 != 5)
			f3 = 0;
		if (f3 == 1 || f3 == 5)
			imm = (int32_t)(t_rand() % (w ? 32 : 64)) | (f3 == 5 && t_rand() % 2 ? 0x400 : 0);
		it.raw = enc_i(w ? 0x1b : 0x13, rd_any(), f3, rs_any(), imm);
	} else if (k < 50) { /* lui / auipc */
		it.raw = (t_rand() % 2 ? 0x37 : 0x17) | rd_any() << 7 | (uint32_t)(t_rand() << 12);
	} else if (k < 62) { /* loads: mostly scratch, sometimes anywhere (faults) */
		static const uint32_t f3s[] = { 0, 1, 2, 3, 4, 5, 6 };
		uint32_t base = t_rand() % 6 ? 8 : t_rand() % 4 ? 30 : rs_any();
		it.raw = enc_i(0x03, rd_any(), f3s[t_rand() % 7], base,
			       (int32_t)(t_rand() % 4096) - 2048);
	} else if (k < 72) { /* stores: scratch, or the page after (read-only when paging) */
		uint32_t base = t_rand() % 5 ? 8 : 30;
		int32_t imm = (int32_t)(t_rand() % 2048) - (base == 30 ? 1024 : 0);
		it.raw = enc_s((uint32_t)(t_rand() % 4), base, rs_any(), imm);
	} else if (k < 78) { /* branch forward over 0..6 items */
		static const uint32_t f3s[] = { 0, 1, 4, 5, 6, 7 };
		it.raw = enc_b(f3s[t_rand() % 6], rs_any(), rs_any(), 0);
		it.kind = I_BRANCH;
		it.skip = (int8_t)(t_rand() % 7);
	} else if (k < 80) {
		it.raw = enc_j(t_rand() % 2 ? 0 : rd_any(), 0);
		it.kind = I_JAL;
		it.skip = (int8_t)(t_rand() % 7);
	} else if (k < 92) { /* compressed */
		it.len = 2;
		uint32_t r = rdc() + 8, s = rdc(), imm = (uint32_t)(t_rand() % 64);
		switch (t_rand() % 9) {
		case 0: it.raw = 0x0001 | (imm >> 5) << 12 | r << 7 | (imm & 31) << 2; break; /* c.addi */
		case 1: it.raw = 0x4001 | (imm >> 5) << 12 | r << 7 | (imm & 31) << 2; break; /* c.li */
		case 2: it.raw = 0x8002 | r << 7 | (s + 8) << 2; break;                 /* c.mv */
		case 3: it.raw = 0x9002 | r << 7 | (s + 8) << 2; break;                 /* c.add */
		case 4: it.raw = 0x8c01 | (r - 8) << 7 | (uint32_t)(t_rand() % 4) << 5 | s << 2 |
				 (t_rand() % 2) << 12; /* sub/xor/or/and, subw/addw */
			if (it.raw & 0x1000)
				it.raw &= ~0x40u; /* only subw (00) and addw (01) */
			break;
		case 5: it.raw = 0x0002 | (imm >> 5) << 12 | r << 7 | (imm & 31) << 2; /* c.slli */
			if (!(it.raw & 0x107c)) it.raw |= 4;
			break;
		case 6: it.raw = 0x8001 | (imm >> 5) << 12 | (uint32_t)(t_rand() % 3) << 10 |
				 (r - 8) << 7 | (imm & 31) << 2; /* srli/srai/andi */
			if (!(it.raw & 0x107c) && ((it.raw >> 10) & 3) != 2) it.raw |= 4;
			break;
		case 7: it.raw = 0x6000 | (imm & 7) << 10 | 0 << 7 | (imm >> 3 & 3) << 5 | s << 2; break; /* c.ld (x8) */
		default: it.raw = 0xe000 | (imm & 7) << 10 | 0 << 7 | (imm >> 3 & 3) << 5 | s << 2; break; /* c.sd */
		}
	} else if (k < 95) { /* D arithmetic and moves */
		static const uint32_t f7s[] = { 0x01, 0x05, 0x09, 0x0d };
		unsigned c = (unsigned)(t_rand() % 6);
		uint32_t fr = (uint32_t)(t_rand() % 32), w = t_rand() % 2 ? 3 : 2;
		int32_t off = (int32_t)(t_rand() % 2048);
		if (c == 0)
			it.raw = enc_r(0x53, fr, 0, rs_any(), 0, 0x79); /* fmv.d.x */
		else if (c == 1)
			it.raw = enc_i(0x07, fr, w, 8, off);              /* fld / flw */
		else if (c == 2)
			it.raw = enc_s(w, 8, fr, off) | 0x04;             /* fsd / fsw */
		else
			it.raw = enc_r(0x53, (uint32_t)(t_rand() % 32), 7, (uint32_t)(t_rand() % 32),
				       (uint32_t)(t_rand() % 32), f7s[t_rand() % 4]);
	} else if (k < 97) { /* AMOs, LR, SC: at the scratch base, the page after, anywhere */
		static const uint32_t f5s[] = { 0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c,
						0x02, 0x03, 0x03 };
		uint32_t base = t_rand() % 3 ? 8 : t_rand() % 2 ? 30 : rs_any();
		uint32_t f5 = f5s[t_rand() % 12];
		it.raw = enc_r(0x2f, rd_any(), t_rand() % 2 ? 3 : 2, base, f5 == 0x02 ? 0 : rs_any(),
			       f5 << 2 | (uint32_t)(t_rand() % 4));
	} else { /* traps */
		static const uint32_t t[] = { 0x00000073, 0x00100073, 0xffffffff, 0x7ff02073 };
		it.raw = t[t_rand() % 4];
	}
	(void)paging;
	return it;
}

static void put(uint8_t *ram, uint32_t off, uint32_t v, unsigned len)
{
	memcpy(ram + off, &v, len);
}

/* Sv39: 0x80000000.. identity; the first 2 MiB in 4 KiB pages with the
 * scratch's next page read-only and the one after unmapped. */
static uint64_t build_pt(uint8_t *ram)
{
	uint64_t *l2 = (uint64_t *)(ram + PT), *l1 = l2 + 512, *l0 = l1 + 512;
	memset(l2, 0, 3 * 4096);
	l2[2] = ((BASE + PT + 4096) >> 12) << 10 | 1;
	l1[0] = ((BASE + PT + 8192) >> 12) << 10 | 1;
	for (unsigned i = 1; i < 512; i++)
		l1[i] = ((BASE + ((uint64_t)i << 21)) >> 12) << 10 | 0xcf;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t pa = BASE + ((uint64_t)i << 12);
		l0[i] = (pa >> 12) << 10 | 0xcf; /* V R W X A D */
		if (pa == BASE + SCRATCH + 0x1000)
			l0[i] &= ~4ull;
		if (pa == BASE + SCRATCH + 0x2000)
			l0[i] = 0;
	}
	return (8ull << 60) | ((BASE + PT) >> 12);
}

static void make_prog(uint8_t *ram, bool paging)
{
	/* M-mode handler at BASE: skip the 4-byte trapping instruction */
	static const uint32_t handler[] = { 0x34102ff3, 0x004f8f93, 0x341f9073, 0x30200073 };
	memcpy(ram, handler, sizeof(handler));
	struct item it[NINS];
	uint32_t addr[NINS + 1], a = PROG;
	for (int i = 0; i < NINS; i++) {
		it[i] = gen_one(paging);
		addr[i] = a;
		a += it[i].len;
	}
	addr[NINS] = a;
	for (int i = 0; i < NINS; i++) {
		uint32_t raw = it[i].raw;
		if (it[i].kind != I_PLAIN) {
			int t = i + 1 + it[i].skip;
			int32_t off = (int32_t)(addr[t > NINS ? NINS : t] - addr[i]);
			raw = it[i].kind == I_BRANCH ? enc_b(raw >> 12 & 7, raw >> 15 & 31, raw >> 20 & 31, off)
						     : enc_j(raw >> 7 & 31, off);
		}
		put(ram, addr[i], raw, it[i].len);
	}
	for (int i = 0; i < 8; i++)
		put(ram, a + 4 * (uint32_t)i, 0x10500073, 4); /* wfi */
	for (uint32_t i = 0; i < 0x3000; i++)
		ram[SCRATCH + i] = (uint8_t)t_rand();
}

static struct hart *start(uint8_t *ram, bool jit, bool paging, const uint64_t *x,
			  const uint64_t *f, uint64_t satp)
{
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = RAM };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, BASE + PROG);
	if (jit)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
	memcpy(h->x, x, sizeof(h->x));
	memcpy(h->f, f, sizeof(h->f));
	h->mstatus |= MS_FS;
	h->mtvec = BASE;
	if (paging)
		thart_paging(h, satp);
	return h;
}

static void run(struct hart *h)
{
	for (int i = 0; i < 1000; i++)
		if (cpu_run(h, 997) == CPU_EXIT_WFI)
			return;
}

static bool same(const struct hart *a, const struct hart *b, const uint8_t *ra,
		 const uint8_t *rb, unsigned seed)
{
	bool ok = a->pc == b->pc && a->instret == b->instret && a->priv == b->priv &&
		  !memcmp(a->x, b->x, sizeof(a->x)) && !memcmp(a->f, b->f, sizeof(a->f)) &&
		  a->mepc == b->mepc && a->mcause == b->mcause && a->mtval == b->mtval &&
		  a->fflags == b->fflags && a->mstatus == b->mstatus &&
		  !memcmp(ra + SCRATCH, rb + SCRATCH, 0x3000);
	if (!ok) {
		fprintf(stderr, "seed %u differs: pc %#llx/%#llx instret %llu/%llu mcause %#llx/%#llx\n",
			seed, (unsigned long long)a->pc, (unsigned long long)b->pc,
			(unsigned long long)a->instret, (unsigned long long)b->instret,
			(unsigned long long)a->mcause, (unsigned long long)b->mcause);
		for (int i = 0; i < 32; i++)
			if (a->x[i] != b->x[i] || a->f[i] != b->f[i])
				fprintf(stderr, "  x%d %#llx/%#llx f%d %#llx/%#llx\n", i,
					(unsigned long long)a->x[i], (unsigned long long)b->x[i], i,
					(unsigned long long)a->f[i], (unsigned long long)b->f[i]);
	}
	return ok;
}

int main(void)
{
	t_timeout(120);
	setenv("RINGVM_JIT_EAGER", "1", 1); /* translate every block on its first visit */
	const char *e = getenv("RINGVM_FUZZ_SEEDS");
	unsigned nseeds = e ? (unsigned)atoi(e) : 300;
	uint8_t *ra = malloc(RAM), *rb = malloc(RAM);
	REQUIRE(ra && rb);
	uint64_t total = 0;
	for (unsigned seed = 1; seed <= nseeds; seed++) {
		t_seed(seed);
		bool paging = seed % 2 == 0;
		memset(ra, 0, RAM);
		make_prog(ra, paging);
		uint64_t satp = build_pt(ra);
		memcpy(rb, ra, RAM);
		static const uint64_t edge[] = { 0, 1, ~0ull, 1ull << 63, 0x7fffffffffffffffull,
						 0xffffffff80000000ull, 0x80000000ull, 0xffffffffull };
		uint64_t x[32], f[32];
		for (int i = 0; i < 32; i++) {
			x[i] = t_rand() % 3 ? t_rand() : edge[t_rand() % 8];
			f[i] = t_rand();
		}
		x[0] = 0;
		x[8] = BASE + SCRATCH;
		x[30] = BASE + SCRATCH + 0x1000;
		struct hart *a = start(ra, false, paging, x, f, satp);
		struct hart *b = start(rb, true, paging, x, f, satp);
		run(a);
		run(b);
		total += a->instret;
		if (!same(a, b, ra, rb, seed))
			t_failures++;
		cpu_hart_free(a);
		cpu_hart_free(b);
		if (t_failures > 3)
			break;
	}
	printf("%u programs, %llu instructions compared\n", nseeds, (unsigned long long)total);
	free(ra);
	free(rb);
	return t_finish();
}
