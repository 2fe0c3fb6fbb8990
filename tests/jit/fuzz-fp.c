/*
 * Differential fuzzing of the F and D extensions: random streams of every
 * F/D instruction (arithmetic, fused multiply-add, sign injection, min/max,
 * compares, conversions both ways and between widths, moves, fclass, FP
 * loads/stores) with operands drawn from edge values (signed zeros,
 * infinities, quiet and signalling NaNs with payloads, subnormals, the
 * smallest normal, integer boundaries, singles with and without a proper
 * NaN box), every static rounding mode and dynamic ones through frm writes
 * (reserved values included), fflags/frm/fcsr reads and writes in every
 * CSR instruction form, and mstatus.FS switched
 * Off/Clean/Dirty (illegal-instruction traps, dirty tracking). The stream
 * runs three times in a loop on two harts, one interpreting and one under
 * the JIT; every register, fflags, frm, mstatus, the trap CSRs, instret
 * and the scratch memory must end equal. Every other seed is a short
 * stream without block-ending instructions (no mstatus access; fflags,
 * frm and fcsr accesses do not end blocks) that loops many times: one
 * loop block, with f registers kept in host registers across passes and
 * the FP state checked once before its head (FS, frm and NX start out
 * random there, so that check fails too; with an fflags/frm/fcsr access
 * the ops check instead). Half the seeds use only instructions with
 * native code, whose blocks keep f registers in host registers. A fixed
 * seed set; RINGVM_FUZZ_SEEDS=n runs more.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define PROG 0x1000u
#define SCRATCH 0x10000u
#define NINS 300

/* x8 = scratch base, x27 = loop count, x28 = 0x2000, x29 = 0x6000 (FS
 * bits), x31 = trap handler's: never written by the stream */
static unsigned xrd(void)
{
	static const uint8_t ok[] = { 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16,
				      17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 30 };
	return ok[t_rand() % sizeof(ok)];
}
static unsigned xrs(void) { return (unsigned)(t_rand() % 32); }
static unsigned fr(void) { return (unsigned)(t_rand() % 32); }

static uint32_t enc_r(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2,
		      uint32_t f7)
{
	return op | rd << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | f7 << 25;
}

static uint32_t enc_i(uint32_t op, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
	return op | rd << 7 | f3 << 12 | rs1 << 15 | ((uint32_t)imm & 0xfff) << 20;
}

static uint32_t enc_s(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return op | (u & 31) << 7 | f3 << 12 | rs1 << 15 | rs2 << 20 | (u >> 5 & 127) << 25;
}

static uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return 0x63 | (u >> 11 & 1) << 7 | (u >> 1 & 15) << 8 | f3 << 12 | rs1 << 15 |
	       rs2 << 20 | (u >> 5 & 63) << 25 | (u >> 12 & 1) << 31;
}

/* A stream with only instructions that have native code (no static
 * rounding other than RNE): its blocks keep f registers in host
 * registers (a block that calls a helper does not). */
static bool native_only;

/* Mostly dynamic and RNE (the native paths), every other mode too. */
static uint32_t rm(void)
{
	static const uint8_t t[] = { 7, 7, 7, 7, 0, 0, 0, 1, 1, 2, 3, 4 };
	return t[t_rand() % (native_only ? 7 : sizeof(t))];
}

static uint64_t rnd_double(void)
{
	uint64_t sign = (t_rand() & 1) << 63, m = t_rand() & 0xfffffffffffffull, e;
	switch (t_rand() % 5) {
	case 0: e = 1 + t_rand() % 60; break;        /* tiny: products underflow */
	case 1: e = 0x7fe - t_rand() % 60; break;    /* huge: overflow */
	default: e = 1023 - 70 + t_rand() % 140; break;
	}
	if (t_rand() % 3 == 0)
		m &= ~0ull << (t_rand() % 53); /* short mantissas: exact results */
	return sign | e << 52 | m;
}

static uint32_t rnd_single(void)
{
	uint32_t sign = (uint32_t)(t_rand() & 1) << 31, m = (uint32_t)t_rand() & 0x7fffff, e;
	switch (t_rand() % 5) {
	case 0: e = 1 + (uint32_t)(t_rand() % 30); break;
	case 1: e = 0xfe - (uint32_t)(t_rand() % 30); break;
	default: e = 127 - 40 + (uint32_t)(t_rand() % 80); break;
	}
	if (t_rand() % 3 == 0)
		m &= ~0u << (t_rand() % 24);
	return sign | e << 23 | m;
}

static uint64_t f_value(void)
{
	static const uint64_t dedge[] = {
		0, 1ull << 63, 0x3ff0000000000000ull, 0xbff0000000000000ull,
		0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
		0xfff8000000000123ull, 0x7ff0000000000001ull, 0xfff4000000000000ull, 1,
		0x800fffffffffffffull, 0x0010000000000000ull, 0x0020000000000000ull,
		0x7fefffffffffffffull, 0x4340000000000000ull, 0x43e0000000000000ull,
		0xc3e0000000000000ull, 0x43f0000000000000ull, 0x41e0000000000000ull,
		0xc1e0000000000000ull, 0x41dfffffffc00000ull, 0x41efffffffe00000ull,
		0x3fe0000000000000ull, 0xbfe0000000000000ull, 0x3ff8000000000000ull,
		0x4004000000000000ull, 0xc004000000000000ull, 0x3fefffffffffffffull,
	};
	static const uint32_t sedge[] = {
		0, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x7f800000u, 0xff800000u,
		0x7fc00000u, 0xffc00123u, 0x7fa00000u, 0x7f800001u, 1, 0x807fffffu,
		0x00800000u, 0x01000000u, 0x7f7fffffu, 0x4b800000u, 0x4f000000u,
		0xcf000000u, 0x4f800000u, 0x5f000000u, 0x5f800000u, 0xdf000000u,
		0x3f000000u, 0xbf000000u, 0x3fc00000u, 0x40200000u, 0xc0200000u,
	};
	switch (t_rand() % 7) {
	case 0: return dedge[t_rand() % (sizeof(dedge) / 8)];
	case 1:
	case 2: return rnd_double();
	case 3: return 0xffffffff00000000ull | sedge[t_rand() % (sizeof(sedge) / 4)];
	case 4:
	case 5: return 0xffffffff00000000ull | rnd_single();
	default: /* not NaN-boxed: reads as the canonical NaN */
		return t_rand() % 2 ? t_rand() : 0x000000003f800000ull << (t_rand() % 2 * 32);
	}
}

static uint64_t x_value(void)
{
	static const uint64_t edge[] = {
		0, 1, ~0ull, 1ull << 24, (1ull << 24) + 1, -(1ull << 24), -(1ull << 24) - 1,
		1ull << 53, (1ull << 53) + 1, -(1ull << 53), -(1ull << 53) - 1,
		0x7fffffff, 0xffffffff80000000ull, 0xffffffffull, 0x7fffffffffffffffull,
		1ull << 63, 0x00000000ffffffffull, 0xffffffff7fffffffull,
	};
	switch (t_rand() % 3) {
	case 0: return edge[t_rand() % (sizeof(edge) / 8)];
	case 1: return (uint64_t)(int64_t)(int32_t)(t_rand() % 4001) - 2000;
	default: return t_rand();
	}
}

static uint32_t gen_opfp(void)
{
	uint32_t fmt = (uint32_t)(t_rand() % 2), f3;
	unsigned rd = fr(), rs1 = fr(), rs2 = fr();
	if (t_rand() % 8 == 0)
		rs2 = rs1;
	switch (t_rand() % 16) {
	case 0: case 1: case 2: case 3: /* add sub mul div */
		return enc_r(0x53, rd, rm(), rs1, rs2, (uint32_t)(t_rand() % 4) << 2 | fmt);
	case 4: return enc_r(0x53, rd, rm(), rs1, 0, 0x0b << 2 | fmt);     /* fsqrt */
	case 5: return enc_r(0x53, rd, (uint32_t)(t_rand() % 3), rs1, rs2, 0x04 << 2 | fmt);
	case 6: return enc_r(0x53, rd, (uint32_t)(t_rand() % 2), rs1, rs2, 0x05 << 2 | fmt);
	case 7: return enc_r(0x53, rd, rm(), rs1, fmt ? 0 : 1, 0x08 << 2 | fmt); /* s<->d */
	case 8: return enc_r(0x53, xrd(), (uint32_t)(t_rand() % 3), rs1, rs2, 0x14 << 2 | fmt);
	case 9: /* fcvt.{w,wu,l,lu}.{s,d} */
		return enc_r(0x53, xrd(), rm(), rs1, (uint32_t)(t_rand() % 4), 0x18 << 2 | fmt);
	case 10: /* fcvt.{s,d}.{w,wu,l,lu} */
		return enc_r(0x53, rd, rm(), xrs(), (uint32_t)(t_rand() % 4), 0x1a << 2 | fmt);
	case 11: /* fmv.x.{w,d}, fclass */
		f3 = t_rand() % 3 ? 0 : 1;
		return enc_r(0x53, xrd(), f3, rs1, 0, 0x1c << 2 | fmt);
	case 12: return enc_r(0x53, rd, 0, xrs(), 0, 0x1e << 2 | fmt);    /* fmv.{w,d}.x */
	default: { /* fmadd fmsub fnmsub fnmadd */
		static const uint32_t ops[] = { 0x43, 0x47, 0x4b, 0x4f };
		return ops[t_rand() % 4] | rd << 7 | rm() << 12 | rs1 << 15 | rs2 << 20 |
		       fmt << 25 | (uint32_t)fr() << 27;
	}
	}
}

/* CSR traffic: frm (reserved values too), fflags reads/writes, FS
 * (fp_only: no mstatus access, which would end a loop block). */
static uint32_t gen_csr(bool fp_only)
{
	uint32_t csr = 1 + (uint32_t)(t_rand() % 3); /* fflags, frm, fcsr */
	static const uint8_t fp_cases[] = { 0, 1, 2, 3, 8, 9, 10 };
	switch (fp_only ? fp_cases[t_rand() % 7] : t_rand() % 11) {
	case 8: /* csrrw/csrrs/csrrc with a register (x0 too) */
		return 0x73 | (1 + (uint32_t)(t_rand() % 3)) << 12 | xrs() << 15 | csr << 20 |
		       (t_rand() % 2 ? xrd() << 7 : 0);
	case 9: /* csrrsi/csrrci: a zero immediate does not write */
		return 0x73 | (6 + (uint32_t)(t_rand() % 2)) << 12 |
		       (uint32_t)(t_rand() % 4 ? t_rand() % 32 : 0) << 15 | csr << 20 | xrd() << 7;
	case 10: /* csrrw frm back to RNE from a register holding 0 */
		return 0x73 | 1 << 12 | 0 << 15 | 0x002u << 20;
	case 0: { /* csrrwi frm: mostly RNE */
		uint32_t v = t_rand() % 3 ? 0 : (uint32_t)(t_rand() % 8);
		return 0x73 | 5 << 12 | v << 15 | 0x002u << 20 | (t_rand() % 2 ? xrd() << 7 : 0);
	}
	case 1: /* csrrwi fflags, 0 or random */
		return 0x73 | 5 << 12 | (uint32_t)(t_rand() % 2 ? 0 : t_rand() % 32) << 15 |
		       0x001u << 20 | xrd() << 7;
	case 2: return 0x73 | 2 << 12 | 0x001u << 20 | xrd() << 7;  /* frflags */
	case 3: return 0x73 | 2 << 12 | 0x003u << 20 | xrd() << 7;  /* frcsr */
	case 4: return 0x73 | 2 << 12 | 29 << 15 | 0x300u << 20;     /* FS = Dirty */
	case 5: return 0x73 | 3 << 12 | 28 << 15 | 0x300u << 20;     /* Dirty -> Clean */
	case 6: return t_rand() % 3 ? 0x73 | 3 << 12 | 28 << 15 | 0x300u << 20
				    : 0x73 | 3 << 12 | 29 << 15 | 0x300u << 20; /* FS Off */
	default: return 0x73 | 2 << 12 | 0x300u << 20 | xrd() << 7;  /* read mstatus (SD) */
	}
}

struct item { uint32_t raw; int8_t skip; };

static struct item gen_one(bool loop)
{
	struct item it = { 0, -1 };
	unsigned k = (unsigned)(t_rand() % 100);
	if (loop && k >= 81 && k < 87) { /* fflags/frm/fcsr only: no end of block */
		it.raw = gen_csr(true);
		return it;
	}
	uint32_t w = t_rand() % 2 ? 3 : 2;
	int32_t off = (int32_t)(t_rand() % 256) * 8;
	if (k < 70)
		it.raw = gen_opfp();
	else if (k < 76)
		it.raw = enc_i(0x07, fr(), w, 8, off);       /* fld / flw */
	else if (k < 81)
		it.raw = enc_s(0x27, w, 8, fr(), off);       /* fsd / fsw */
	else if (k < 87)
		it.raw = gen_csr(false);
	else if (k < 93) { /* forward branch: more blocks */
		static const uint32_t f3s[] = { 0, 1, 4, 5, 6, 7 };
		it.raw = enc_b(f3s[t_rand() % 6], xrs(), xrs(), 0);
		it.skip = (int8_t)(t_rand() % 5);
	} else if (k < 97) {
		it.raw = enc_i(0x13, xrd(), 0, xrs(), (int32_t)(t_rand() % 4096) - 2048);
	} else {
		it.raw = enc_r(0x33, xrd(), 0, xrs(), xrs(), 0);
	}
	return it;
}

static void make_prog(uint8_t *ram, bool loop)
{
	/* M-mode handler at BASE: skip the 4-byte trapping instruction */
	static const uint32_t handler[] = { 0x34102ff3, 0x004f8f93, 0x341f9073, 0x30200073 };
	memcpy(ram, handler, sizeof(handler));
	struct item it[NINS];
	int n = loop ? 8 + (int)(t_rand() % 40) : NINS;
	for (int i = 0; i < n; i++)
		it[i] = gen_one(loop);
	uint32_t a = PROG;
	for (int i = 0; i < n; i++, a += 4) {
		uint32_t raw = it[i].raw;
		if (it[i].skip >= 0) {
			int t = i + 1 + it[i].skip;
			raw = enc_b(raw >> 12 & 7, raw >> 15 & 31, raw >> 20 & 31,
				    4 * ((t > n ? n : t) - i));
		}
		memcpy(ram + a, &raw, 4);
	}
	/* addi x27, x27, -1; bne x27, x0, PROG; then wfi */
	uint32_t tail[3] = { enc_i(0x13, 27, 0, 27, -1),
			     enc_b(1, 27, 0, (int32_t)PROG - (int32_t)(a + 4)), 0x10500073 };
	memcpy(ram + a, tail, sizeof(tail));
	for (uint32_t i = 0; i < 0x800; i += 8) {
		uint64_t v = t_rand() % 2 ? f_value() : x_value();
		memcpy(ram + SCRATCH + i, &v, 8);
	}
}

static struct hart *start(uint8_t *ram, bool jit, const uint64_t *x, const uint64_t *f,
			  uint32_t fflags, uint64_t fs, uint32_t frm)
{
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = RAM };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, BASE + PROG);
	if (jit)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, false) == 0);
	memcpy(h->x, x, sizeof(h->x));
	memcpy(h->f, f, sizeof(h->f));
	h->mstatus = (h->mstatus & ~MS_FS) | fs;
	h->fflags = fflags;
	h->frm = frm;
	h->mtvec = BASE;
	return h;
}

static void run(struct hart *h)
{
	for (int i = 0; i < 200; i++)
		if (cpu_run(h, 997) == CPU_EXIT_WFI)
			return;
}

static bool same(const struct hart *a, const struct hart *b, const uint8_t *ra,
		 const uint8_t *rb, unsigned seed)
{
	bool ok = a->pc == b->pc && a->instret == b->instret && a->priv == b->priv &&
		  !memcmp(a->x, b->x, sizeof(a->x)) && !memcmp(a->f, b->f, sizeof(a->f)) &&
		  a->mepc == b->mepc && a->mcause == b->mcause && a->mtval == b->mtval &&
		  a->fflags == b->fflags && a->frm == b->frm && a->mstatus == b->mstatus &&
		  !memcmp(ra + SCRATCH, rb + SCRATCH, 0x800);
	if (!ok) {
		fprintf(stderr, "seed %u differs: pc %#llx/%#llx instret %llu/%llu fflags %#x/%#x "
			"frm %u/%u mstatus %#llx/%#llx\n", seed,
			(unsigned long long)a->pc, (unsigned long long)b->pc,
			(unsigned long long)a->instret, (unsigned long long)b->instret,
			a->fflags, b->fflags, a->frm, b->frm, (unsigned long long)a->mstatus,
			(unsigned long long)b->mstatus);
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
	unsigned nseeds = e ? (unsigned)atoi(e) : 400;
	uint8_t *ra = malloc(RAM), *rb = malloc(RAM);
	REQUIRE(ra && rb);
	uint64_t total = 0;
	for (unsigned seed = 1; seed <= nseeds; seed++) {
		t_seed(seed + 7000);
		memset(ra, 0, RAM);
		bool loop = seed % 2 == 0;
		native_only = seed % 4 < 2;
		make_prog(ra, loop);
		memcpy(rb, ra, RAM);
		uint64_t x[32], f[32];
		for (int i = 0; i < 32; i++) {
			x[i] = x_value();
			f[i] = f_value();
		}
		x[0] = 0;
		x[8] = BASE + SCRATCH;
		x[27] = loop ? 40 : 3;
		x[28] = 0x2000;
		x[29] = 0x6000;
		static const uint32_t fl0[] = { 0, 1, 1, 1, 31, 16 };
		uint32_t fflags = fl0[t_rand() % 6];
		/* FS Dirty and frm RNE mostly (the native paths); loop seeds also
		 * start with FS Off/Initial/Clean and other rounding modes */
		static const uint64_t fs0[] = { MS_FS, MS_FS, MS_FS, 0, 1ull << 13, 2ull << 13 };
		static const uint32_t frm0[] = { 0, 0, 0, 0, 1, 3, 5 };
		uint64_t fs = loop ? fs0[t_rand() % 6] : MS_FS;
		uint32_t frm = loop ? frm0[t_rand() % 7] : 0;
		struct hart *a = start(ra, false, x, f, fflags, fs, frm);
		struct hart *b = start(rb, true, x, f, fflags, fs, frm);
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
