/*
 * AMOs in the JIT (jit-amo.c's inline fast path and its slow path): every
 * AMO op in .w and .d against the interpreter on the same program, in
 * random blocks and loop blocks (rd == rs1, rd == rs2, rd == x0, rs2 ==
 * x0, mapped and in-memory registers, negative and extreme values, now
 * and then a misaligned address, which must trap with memory unchanged),
 * then directed programs: an unmapped and a read-only Sv39 page (page
 * faults), an address outside RAM (access fault), an AMO into a
 * translated block (the new code must run), an LR reservation broken by an
 * AMO on its address (SC then fails) and kept by one elsewhere, LR/SC
 * (inline too) in every combination of success, failure and fault. Each
 * program runs on the interpreter, the JIT and the JIT in check mode
 * (every block translated on its first visit); registers, pc, instret,
 * the trap CSRs and all of RAM must agree, and the directed programs'
 * own expectations must hold. RINGVM_FUZZ_SEEDS=n runs more random ones.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define PROG 0x1000u
#define DATA 0x4000u  /* the random programs' words: DATA .. DATA + 0x100 */
#define VGAP 0x8000u  /* Sv39: unmapped */
#define VRO 0x9000u   /* Sv39: read-only */
#define PT 0x100000u

/* x27 counts traps, x28-x30: the last trap's mcause, mepc, mtval (mepc
 * itself is moved past the trapping instruction); x26 the sum of trapping
 * pcs; x8 = BASE + DATA (never written) */
enum { S0 = 8, A0 = 10, A1, A2, A3, A4, A5, T0 = 5, T1, T2, T3 = 28 };

/* funct5 of each AMO (amoswap, amoadd, amoxor, amoand, amoor, amomin,
 * amomax, amominu, amomaxu) */
static const uint32_t amo_f5[9] = { 0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c };
#define AMO(k, d, rd, rs2, rs1) enc_r(0x2f, rd, (d) ? 3 : 2, rs1, rs2, amo_f5[k] << 2)
#define LR(d, rd, rs1) enc_r(0x2f, rd, (d) ? 3 : 2, rs1, 0, 0x02 << 2)
#define SC(d, rd, rs2, rs1) enc_r(0x2f, rd, (d) ? 3 : 2, rs1, rs2, 0x03 << 2)
#define ADDI(rd, rs1, imm) enc_i(0x13, rd, 0, rs1, imm)
#define LD(rd, rs1, imm) enc_i(0x03, rd, 3, rs1, imm)

struct prog {
	const char *name;
	uint32_t code[200];
	unsigned n;
	bool paging;
	uint64_t x[32];
};

struct result {
	uint64_t x[32], pc, instret, mcause, mepc, mtval;
	bool done;
};

static void put(uint8_t *ram, uint32_t off, uint32_t v)
{
	memcpy(ram + off, &v, 4);
}

/* Sv39: the first 2 MiB in 4 KiB pages (VGAP unmapped, VRO read-only),
 * the rest of the GiB at BASE in 2 MiB pages, all identity */
static uint64_t build_pt(uint8_t *ram)
{
	uint64_t *l2 = (uint64_t *)(ram + PT), *l1 = l2 + 512, *l0 = l1 + 512;
	memset(l2, 0, 3 * 4096);
	l2[2] = ((BASE + PT + 4096) >> 12) << 10 | 1;
	l1[0] = ((BASE + PT + 8192) >> 12) << 10 | 1;
	for (unsigned i = 1; i < 512; i++)
		l1[i] = ((BASE + ((uint64_t)i << 21)) >> 12) << 10 | 0xcf;
	for (unsigned i = 0; i < 512; i++)
		l0[i] = ((BASE + ((uint64_t)i << 12)) >> 12) << 10 | 0xcf; /* V R W X A D */
	l0[VGAP >> 12] = 0;
	l0[VRO >> 12] = ((BASE + VRO) >> 12) << 10 | 0xcb; /* V R X A D */
	return (8ull << 60) | ((BASE + PT) >> 12);
}

/* xorshift64: the data words (the same in every mode, whatever t_rand
 * is at) */
static uint64_t data_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* the interesting values (32- and 64-bit extremes and their neighbours)
 * or random ones, from rnd */
static uint64_t value_from(uint64_t (*rnd)(uint64_t *), uint64_t *s)
{
	static const uint64_t v[] = { 0, 1, ~0ull, 0x7fffffff, 0x80000000, 0xffffffff,
				      0xffffffff80000000ull, 0x7fffffffffffffffull,
				      0x8000000000000000ull, 0x100000000ull, 0x17fffffffull };
	return rnd(s) % 3 ? rnd(s) : v[rnd(s) % (sizeof(v) / sizeof(v[0]))];
}

static uint64_t t_rand_s(uint64_t *s)
{
	(void)s;
	return t_rand();
}

static uint64_t value(void)
{
	return value_from(t_rand_s, NULL);
}

static void setup_ram(uint8_t *ram, const struct prog *p)
{
	memset(ram, 0, RAM);
	/* M-mode handler at BASE: note the trap, skip the 4-byte instruction */
	static const uint32_t handler[] = {
		0x34202e73, /* csrr t3, mcause */
		0x34102ef3, /* csrr t4, mepc */
		0x34302f73, /* csrr t5, mtval */
		0x001d8d93, /* addi s11, s11, 1 */
		0x01dd0d33, /* add s10, s10, t4 */
		0x004e8f93, /* addi t6, t4, 4 */
		0x341f9073, /* csrw mepc, t6 */
		0x30200073, /* mret */
	};
	memcpy(ram, handler, sizeof(handler));
	for (unsigned i = 0; i < p->n; i++)
		put(ram, PROG + 4 * i, p->code[i]);
	put(ram, PROG + 4 * p->n, WFI);
	uint64_t s = 42;
	for (uint32_t i = 0; i < 0x6000; i += 8) {
		uint64_t v = value_from(data_rand, &s);
		memcpy(ram + DATA + i, &v, 8);
	}
	build_pt(ram);
}

/* mode 0: interpreter, 1: JIT, 2: JIT in check mode */
static void run_prog(const struct prog *p, int mode, uint8_t *ram, struct result *out)
{
	memset(out, 0, sizeof(*out));
	setup_ram(ram, p);
	struct hart *h = thart_new(ram, BASE, RAM, BASE + PROG, false);
	if (mode)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, mode == 2) == 0);
	memcpy(h->x, p->x, sizeof(h->x));
	h->mtvec = BASE;
	if (p->paging)
		thart_paging(h, build_pt(ram));
	for (int i = 0; i < 1000 && !out->done; i++)
		out->done = cpu_run(h, 1000) == CPU_EXIT_WFI;
	memcpy(out->x, h->x, sizeof(out->x));
	out->pc = h->pc;
	out->instret = h->instret;
	out->mcause = h->mcause;
	out->mepc = h->mepc;
	out->mtval = h->mtval;
	cpu_hart_free(h);
}

static const char *const mode_name[] = { "interp", "jit", "jit-check" };

/* Runs p in every mode; all must agree; returns the interpreter's result
 * (ref) and RAM (ram0). */
static void run_all(const struct prog *p, struct result *ref, uint8_t **ram0)
{
	static uint8_t *ram[3];
	static struct result res[3];
	for (int m = 0; m < 3; m++) {
		if (!ram[m])
			REQUIRE((ram[m] = malloc(RAM)) != NULL);
		run_prog(p, m, ram[m], &res[m]);
	}
	CHECK(res[0].done);
	for (int m = 1; m < 3; m++) {
		const struct result *a = &res[0], *b = &res[m];
		bool ok = a->done == b->done && a->pc == b->pc && a->instret == b->instret &&
			  a->mcause == b->mcause && a->mepc == b->mepc && a->mtval == b->mtval &&
			  !memcmp(a->x, b->x, sizeof(a->x)) && !memcmp(ram[0], ram[m], RAM);
		if (ok)
			continue;
		t_failures++;
		fprintf(stderr, "%s: %s differs from the interpreter: pc %#llx/%#llx "
			"instret %llu/%llu mcause %llu/%llu mepc %#llx/%#llx\n", p->name,
			mode_name[m], (unsigned long long)a->pc, (unsigned long long)b->pc,
			(unsigned long long)a->instret, (unsigned long long)b->instret,
			(unsigned long long)a->mcause, (unsigned long long)b->mcause,
			(unsigned long long)a->mepc, (unsigned long long)b->mepc);
		for (int i = 0; i < 32; i++)
			if (a->x[i] != b->x[i])
				fprintf(stderr, "  x%d %#llx/%#llx\n", i, (unsigned long long)a->x[i],
					(unsigned long long)b->x[i]);
		for (uint32_t i = 0; i < RAM; i++)
			if (ram[0][i] != ram[m][i]) {
				fprintf(stderr, "  RAM +%#x %#x/%#x\n", i, ram[0][i], ram[m][i]);
				break;
			}
	}
	*ref = res[0];
	*ram0 = ram[0];
}

/*
 * Random AMOs, LRs, SCs and plain stores, each after an addi that points
 * its base (one of four registers) at one of the data words (x8 + an
 * aligned offset among a few, so LR, SC and the others meet; 1 in 16
 * misaligned); rd and rs2 from a pool of registers (some used often
 * enough to be mapped, some not), sometimes the base itself or x0. loop:
 * the body repeats 2-4 times (a loop block).
 */
static void random_prog(struct prog *p, bool loop)
{
	static const unsigned pool[] = { 0, 5, 6, 7, 9, 14, 15, 16, 17, 18, 19, 20, 21, 22 };
	memset(p, 0, sizeof(*p));
	p->name = loop ? "random-loop" : "random";
	unsigned n = 4 + (unsigned)(t_rand() % 40);
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (unsigned)(t_rand() % 13), b = A0 + (unsigned)(t_rand() % 4);
		bool d = t_rand() % 2;
		int32_t off = (int32_t)(t_rand() % 6) * (d ? 8 : 4);
		if (t_rand() % 16 == 0)
			off += 1 + (int32_t)(t_rand() % 3);
		unsigned rd = pool[t_rand() % 14], rs2 = pool[t_rand() % 14];
		if (t_rand() % 6 == 0)
			rd = b; /* rd == rs1 */
		if (t_rand() % 6 == 0)
			rs2 = b;
		if (t_rand() % 6 == 0)
			rd = rs2;
		p->code[p->n++] = ADDI(b, S0, off);
		if (k < 9)
			p->code[p->n++] = AMO(k, d, rd, rs2, b);
		else if (k < 11)
			p->code[p->n++] = LR(d, rd, b);
		else if (k < 12)
			p->code[p->n++] = SC(d, rd, rs2, b);
		else /* sw / sd: the reservation's snoop */
			p->code[p->n++] = enc_s(d ? 3 : 2, b, rs2, 0);
	}
	if (loop) {
		p->code[p->n] = ADDI(23, 23, -1);
		p->n++;
		p->code[p->n] = enc_b(1, 23, 0, -(int32_t)(4 * p->n));
		p->n++;
	}
	for (unsigned k = 1; k < 32; k++)
		p->x[k] = value();
	p->x[S0] = BASE + DATA;
	p->x[23] = 2 + t_rand() % 3; /* the loop count (the trap handler uses x26-x31) */
}

static uint64_t pc_of(unsigned i) { return BASE + PROG + 4 * i; }

/* A single AMO (op k, width d) at x[A0] = addr: the trap it takes. */
static void one_fault(const char *name, bool paging, uint64_t addr, unsigned k, bool d,
		      uint64_t cause)
{
	struct prog p = { .name = name, .paging = paging };
	p.code[p.n++] = ADDI(T0, 0, 7);
	p.code[p.n++] = AMO(k, d, A1, T0, A0);
	p.code[p.n++] = ADDI(T1, 0, 1);
	p.x[A0] = addr;
	p.x[A1] = 0x1234;
	struct result r;
	uint8_t *ram;
	run_all(&p, &r, &ram);
	CHECK_EQ(r.x[27], 1);
	CHECK_EQ(r.mcause, cause);
	CHECK_EQ(r.x[29], pc_of(1)); /* the handler moved mepc on */
	CHECK_EQ(r.mtval, addr);
	CHECK_EQ(r.x[A1], 0x1234); /* rd not written */
}

static void faults(void)
{
	for (unsigned k = 0; k < 9; k++) {
		bool d = k % 2;
		one_fault("unmapped", true, BASE + VGAP + 8, k, d, 15);
		one_fault("read-only", true, BASE + VRO + 16, k, d, 15);
		one_fault("outside RAM", false, 0x10000000, k, d, 7);
		one_fault("misaligned", false, BASE + DATA + 2 + 4 * d, k, d, 6);
		one_fault("misaligned paged", true, BASE + DATA + 0x1004, k, true, 6);
	}
}

/* Misaligned AMOs leave memory as it was (the fuzzer compares only
 * with the interpreter: this holds them to the spec too). */
static void misaligned_unchanged(void)
{
	struct prog p = { .name = "misaligned-unchanged" };
	p.code[p.n++] = ADDI(A0, S0, 4); /* 4-aligned: .d misaligned */
	p.code[p.n++] = ADDI(T0, 0, -1);
	for (unsigned k = 0; k < 9; k++)
		p.code[p.n++] = AMO(k, true, A1, T0, A0);
	p.x[S0] = BASE + DATA;
	struct result r;
	uint8_t *ram;
	run_all(&p, &r, &ram);
	CHECK_EQ(r.x[27], 9);
	uint8_t *ref = malloc(RAM);
	REQUIRE(ref);
	setup_ram(ref, &p);
	CHECK(!memcmp(ram + DATA, ref + DATA, 0x100));
	free(ref);
}

/*
 * LR and SC on their own: a success (the second time round a loop block,
 * on warm TLB entries), SC with no reservation, at another address, after
 * a store into the reserved doubleword (snooped) or next to it (not), LR
 * twice (the second one counts), a store run with an LR inside it (lr
 * ends runs: a later member must be snooped), .w sign extension and a
 * 32-bit compare,
 * and their faults: misaligned, unmapped, read-only (SC only), outside
 * RAM. expect: SC's rd per pass (bit i = pass i's), -1 = the trap count
 * and no SC result are what is checked.
 */
struct lrsc_case {
	const char *name;
	uint32_t code[12];
	unsigned n;
	bool paging;
	uint64_t a0, a1;
	unsigned traps;     /* traps per program */
	uint64_t cause;     /* the last trap's */
	int64_t sc_fails;   /* a4 at the end: sum of SC results, or -1 */
};

static void lrsc(void)
{
	enum { D = 1, W = 0 };
	/* a4 += the SC's rd: the SC results summed over the passes */
	const uint32_t acc = enc_r(0x33, A4, 0, A4, A3, 0);
	const struct lrsc_case c[] = {
		{ "lr-sc", { LR(D, A2, A0), SC(D, A3, T0, A0), acc }, 3, false,
		  BASE + DATA + 0x40, 0, 0, 0, 0 },
		{ "lr-sc-w", { LR(W, A2, A0), SC(W, A3, T0, A0), acc }, 3, false,
		  BASE + DATA + 0x44, 0, 0, 0, 0 },
		{ "sc-alone", { SC(D, A3, T0, A0), acc }, 2, false,
		  BASE + DATA + 0x40, 0, 0, 0, 3 },
		{ "sc-other", { LR(D, A2, A0), SC(D, A3, T0, A1), acc }, 3, false,
		  BASE + DATA + 0x40, BASE + DATA + 0x80, 0, 0, 3 },
		{ "lr-store-sc", { LR(D, A2, A0), enc_s(2, A1, T0, 0), SC(D, A3, T0, A0), acc }, 4,
		  false, BASE + DATA + 0x40, BASE + DATA + 0x44, 0, 0, 3 },
		{ "lr-store-next-sc", { LR(D, A2, A0), enc_s(3, A1, T0, 0), SC(D, A3, T0, A0), acc },
		  4, false, BASE + DATA + 0x40, BASE + DATA + 0x48, 0, 0, 0 },
		{ "lr-lr-sc", { LR(D, A2, A1), LR(D, A2, A0), SC(D, A3, T0, A0), acc }, 4, false,
		  BASE + DATA + 0x40, BASE + DATA + 0x80, 0, 0, 0 },
		{ "lr-lr-sc-first", { LR(D, A2, A0), LR(D, A2, A1), SC(D, A3, T0, A0), acc }, 4,
		  false, BASE + DATA + 0x40, BASE + DATA + 0x80, 0, 0, 3 },
		/* a run of two stores off a1 with the LR between them: the
		 * second, into the reservation, must still be snooped (it
		 * stores the value LR saw, which SC's compare cannot tell) */
		{ "store-run-across-lr", { enc_s(3, A1, T0, 0), LR(D, A2, A0), enc_s(3, A1, A2, 8),
		  SC(D, A3, T0, A0), acc }, 5, false, BASE + DATA + 0x48, BASE + DATA + 0x40, 0, 0,
		  3 },
		{ "lr-misaligned", { LR(D, A2, A0) }, 1, false, BASE + DATA + 0x44, 0, 1, 4, -1 },
		{ "sc-misaligned", { SC(W, A3, T0, A0) }, 1, false, BASE + DATA + 0x42, 0, 1, 6, -1 },
		{ "lr-unmapped", { LR(W, A2, A0) }, 1, true, BASE + VGAP, 0, 1, 13, -1 },
		{ "sc-unmapped", { SC(W, A3, T0, A0) }, 1, true, BASE + VGAP, 0, 1, 15, -1 },
		{ "lr-read-only", { LR(D, A2, A0), SC(D, A3, T0, A0) }, 2, true, BASE + VRO, 0, 1,
		  15, -1 },
		{ "sc-outside-ram", { SC(D, A3, T0, A0) }, 1, false, 0x10000000, 0, 1, 7, -1 },
	};
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct prog p = { .name = c[i].name, .paging = c[i].paging };
		for (unsigned k = 0; k < c[i].n; k++)
			p.code[p.n++] = c[i].code[k];
		p.code[p.n++] = enc_i(0x13, T0, 0, T0, 1); /* the next SC stores another value */
		p.code[p.n++] = ADDI(23, 23, -1);
		p.code[p.n] = enc_b(1, 23, 0, -(int32_t)(4 * p.n));
		p.n++;
		p.x[A0] = c[i].a0;
		p.x[A1] = c[i].a1;
		p.x[T0] = 0xfedcba9880000000ull;
		p.x[23] = 3;
		struct result r;
		uint8_t *ram;
		run_all(&p, &r, &ram);
		CHECK_EQ(r.x[27], 3 * c[i].traps);
		if (c[i].traps)
			CHECK_EQ(r.mcause, c[i].cause);
		if (c[i].sc_fails >= 0)
			CHECK_EQ(r.x[A4], (uint64_t)c[i].sc_fails);
		if (c[i].sc_fails == 0) { /* the last SC's value is there */
			uint64_t v = 0;
			memcpy(&v, ram + (c[i].a0 - BASE), c[i].code[1] >> 12 & 1 ? 8 : 4);
			CHECK_EQ(v, (c[i].code[1] >> 12 & 1) ? 0xfedcba9880000002ull : 0x80000002u);
		}
	}
}

/*
 * An AMO that rewrites an instruction of its own loop block (the add at
 * its head: each pass adds 1 more to its immediate), so every pass must
 * run the new code: a5 = 1 + 2 + 3.
 */
static void smc(void)
{
	for (unsigned variant = 0; variant < 2; variant++) {
		struct prog p = { .name = variant ? "smc-amoswap" : "smc-amoadd" };
		p.code[p.n++] = ADDI(A5, A5, 1);
		if (variant) { /* swap in the next one: addi a5, a5, imm + 1 */
			p.code[p.n++] = LD(T0, A0, 0);
			p.code[p.n++] = enc_r(0x33, T0, 0, T0, T1, 0); /* add t0, t0, t1 */
			p.code[p.n++] = AMO(0, false, 0, T0, A0);
		} else {
			p.code[p.n++] = AMO(1, false, 0, T1, A0);
		}
		p.code[p.n++] = ADDI(23, 23, -1);
		p.code[p.n] = enc_b(1, 23, 0, -(int32_t)(4 * p.n));
		p.n++;
		p.x[A0] = BASE + PROG;
		p.x[T1] = 1u << 20; /* imm += 1 */
		p.x[23] = 3;
		struct result r;
		uint8_t *ram;
		run_all(&p, &r, &ram);
		CHECK_EQ(r.x[A5], 6);
		CHECK_EQ(r.x[27], 0);
	}
}

/*
 * LR, then an AMO (every op, both widths) on the reservation's address:
 * the SC fails and memory holds the AMO's result; an AMO on another word
 * keeps the reservation (the SC succeeds). The AMO runs first on a page
 * the write TLB holds (an AMO before the LR filled it), so a fast path
 * that ignored the reservation would hit.
 */
static void reservation(void)
{
	for (unsigned k = 0; k < 9; k++)
		for (unsigned other = 0; other < 2; other++) {
			bool d = k % 2;
			struct prog p = { .name = other ? "lr-amo-other-sc" : "lr-amo-sc" };
			p.code[p.n++] = AMO(k, d, T2, T1, A0); /* the write TLB holds the page */
			p.code[p.n++] = LR(d, A2, A0);
			p.code[p.n++] = AMO(k, d, A3, T1, other ? A1 : A0);
			p.code[p.n++] = SC(d, A4, T0, A0);
			p.code[p.n++] = LD(A5, A0, 0);
			p.x[A0] = BASE + DATA + 0x40;
			p.x[A1] = BASE + DATA + 0x80;
			p.x[T0] = 0x5555;
			p.x[T1] = 0xf00000003ull;
			struct result r;
			uint8_t *ram;
			run_all(&p, &r, &ram);
			CHECK_EQ(r.x[A4], other ? 0u : 1u);
			if (other)
				CHECK_EQ(d ? r.x[A5] : (uint32_t)r.x[A5], 0x5555);
		}
}

int main(void)
{
	setenv("RINGVM_JIT_EAGER", "1", 1);
	faults();
	misaligned_unchanged();
	smc();
	reservation();
	lrsc();
	unsigned seeds = getenv("RINGVM_FUZZ_SEEDS") ? (unsigned)atoi(getenv("RINGVM_FUZZ_SEEDS")) : 300;
	struct prog p;
	struct result r;
	uint8_t *ram;
	for (unsigned s = 0; s < seeds && !t_failures; s++) {
		t_seed(1000 + s);
		random_prog(&p, s % 2);
		run_all(&p, &r, &ram);
	}
	return t_finish();
}
