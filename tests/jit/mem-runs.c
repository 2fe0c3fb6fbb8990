/*
 * Runs of accesses off one base register (jit-gen.c checks a run's bytes
 * once, at its first access): small programs whose runs cross a page, run
 * into the end of RAM or an unmapped Sv39 page, touch MMIO, store into
 * their own translated block, are misaligned, or repeat in a loop block
 * across a page boundary up to a fault. Each runs on the interpreter, the
 * JIT and the JIT in check mode (every block translated on its first
 * visit), store runs between LR and SC, a loop's cached run beside
 * another run, and cached runs that cross pages (both ways), meet a page
 * remapped or made code between two entries of their block, fault or reach
 * MMIO mid-loop; registers, pc, instret, the trap CSRs, all of RAM and the MMIO
 * log must be the same, and each program's own expectations (values, the
 * trapping pc and address) must hold.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define PROG 0x1000u
#define DATA 0x4000u   /* a data page; DATA + 0x1000 the next one */
#define VGAP 0x8000u   /* Sv39: this page is unmapped */
#define ALIAS 0xa000u  /* Sv39: this page maps DATA + 0x1000 (another VA->PA offset) */
#define VMMIO 0xb000u /* Sv39: this page maps DEV */
#define PT 0x100000u
#define DEV 0x10000000ull /* MMIO window of 4 KiB; anything else outside RAM faults */

/* x26 sums the trapping pcs, x27 counts traps, x28-x30: the last trap's
 * mcause, mepc, mtval; x31 scratch */
enum { S1 = 9, S2 = 18, A0 = 10, A1, A2, A3, A4, T0 = 5, T1, T2 };

/* loads: f3 0 lb, 1 lh, 2 lw, 3 ld, 4 lbu, 5 lhu, 6 lwu; stores 0..3 */
#define LD(f3, rd, rs1, imm) enc_i(0x03, rd, f3, rs1, imm)
#define ST(f3, rs2, rs1, imm) enc_s(f3, rs1, rs2, imm)
#define FLD(rd, rs1, imm) enc_i(0x07, rd, 3, rs1, imm)
#define FSD(rs2, rs1, imm) (enc_s(3, rs1, rs2, imm) | 0x04)
#define ADDI(rd, rs1, imm) enc_i(0x13, rd, 0, rs1, imm)
#define ADD(rd, rs1, rs2) enc_r(0x33, rd, 0, rs1, rs2, 0)

struct prog {
	const char *name;
	uint32_t code[96];
	unsigned n;
	bool paging;
	uint64_t x[32]; /* initial registers (others 0) */
};

/* MMIO: a log of every access, reads return a function of the address */
struct mmio_log {
	unsigned n;
	struct { uint64_t addr, val; unsigned size; bool write; } e[64];
};

static int dev_read(void *opaque, uint64_t addr, unsigned size, uint64_t *val)
{
	struct mmio_log *l = opaque;
	if (addr < DEV || addr >= DEV + 0x1000)
		return -1;
	*val = (addr * 0x9e3779b97f4a7c15ull) >> (64 - 8 * size);
	if (l->n < 64)
		l->e[l->n++] = (typeof(l->e[0])){ addr, *val, size, false };
	return 0;
}

static int dev_write(void *opaque, uint64_t addr, unsigned size, uint64_t val)
{
	struct mmio_log *l = opaque;
	if (addr < DEV || addr >= DEV + 0x1000)
		return -1;
	if (l->n < 64)
		l->e[l->n++] = (typeof(l->e[0])){ addr, val, size, true };
	return 0;
}

static void put(uint8_t *ram, uint32_t off, uint32_t v)
{
	memcpy(ram + off, &v, 4);
}

/* Sv39: identity map of the first 2 MiB in 4 KiB pages (VGAP unmapped,
 * ALIAS not identity),
 * the rest of the 1 GiB at BASE in 2 MiB pages. */
static uint64_t build_pt(uint8_t *ram)
{
	uint64_t *l0, satp = thart_sv39(ram, BASE, PT, &l0);
	l0[VGAP >> 12] = 0;
	l0[ALIAS >> 12] = ((BASE + DATA + 0x1000) >> 12) << 10 | 0xcf;
	l0[VMMIO >> 12] = (DEV >> 12) << 10 | 0xcf;
	return satp;
}

/* The data pages' bytes: no period of a page or less, so a load through
 * another page's host_off reads other bytes */
static uint8_t data_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + 3 + (i >> 8) * 13);
}

static void setup_ram(uint8_t *ram, const struct prog *p)
{
	memset(ram, 0, RAM);
	memcpy(ram, thart_skip_handler, sizeof(thart_skip_handler)); /* at BASE */
	for (unsigned i = 0; i < p->n; i++)
		put(ram, PROG + 4 * i, p->code[i]);
	put(ram, PROG + 4 * p->n, WFI);
	for (uint32_t i = 0; i < 0x6000; i++) /* DATA.. and the pages around VGAP */
		ram[DATA + i] = data_byte(i);
	for (uint32_t i = 0; i < 0x1000; i++)
		ram[RAM - 0x1000 + i] = (uint8_t)(i * 13 + 1);
	build_pt(ram);
}

struct result {
	uint64_t x[32], f[32], pc, instret, mcause, mepc, mtval;
	bool done; /* reached its wfi within the budget */
	struct mmio_log log;
};

/* mode 0: interpreter, 1: JIT, 2: JIT in check mode */
static void run_prog(const struct prog *p, int mode, uint8_t *ram, struct result *out)
{
	memset(out, 0, sizeof(*out));
	setup_ram(ram, p);
	struct cpu_bus bus = { .ram = ram, .ram_base = BASE, .ram_size = RAM,
			       .mmio_read = dev_read, .mmio_write = dev_write,
			       .opaque = &out->log };
	struct hart *h = cpu_hart_new(&bus, 0);
	REQUIRE(h);
	cpu_hart_reset(h, BASE + PROG);
	if (mode)
		REQUIRE(cpu_set_accel(h, CPU_ACCEL_JIT, mode == 2) == 0);
	memcpy(h->x, p->x, sizeof(h->x));
	h->mstatus |= MS_FS;
	h->mtvec = BASE;
	if (p->paging)
		thart_paging(h, build_pt(ram));
	for (int i = 0; i < 1000 && !out->done; i++)
		out->done = cpu_run(h, 1000) == CPU_EXIT_WFI;
	memcpy(out->x, h->x, sizeof(out->x));
	memcpy(out->f, h->f, sizeof(out->f));
	out->pc = h->pc;
	out->instret = h->instret;
	out->mcause = h->mcause;
	out->mepc = h->mepc;
	out->mtval = h->mtval;
	cpu_hart_free(h);
}

static const char *const mode_name[] = { "interp", "jit", "jit-check" };

/* Runs p in every mode; the results must agree; returns the interpreter's.
 * A program that does not reach its wfi (a random one whose stores broke
 * the trap handler: a trap storm) is not compared: where the budget stops
 * it is not architectural. */
static void run_all(const struct prog *p, struct result *ref)
{
	static uint8_t *ram[3];
	static struct result res[3];
	for (int m = 0; m < 3; m++) {
		if (!ram[m])
			REQUIRE((ram[m] = malloc(RAM)) != NULL);
		run_prog(p, m, ram[m], &res[m]);
	}
	for (int m = 1; m < 3 && res[0].done; m++) {
		const struct result *a = &res[0], *b = &res[m];
		bool ok = a->pc == b->pc && a->instret == b->instret && a->mcause == b->mcause &&
			  a->mepc == b->mepc && a->mtval == b->mtval &&
			  !memcmp(a->x, b->x, sizeof(a->x)) && !memcmp(a->f, b->f, sizeof(a->f)) &&
			  a->log.n == b->log.n && !memcmp(&a->log, &b->log, sizeof(a->log)) &&
			  !memcmp(ram[0], ram[m], RAM);
		if (!ok) {
			t_failures++;
			fprintf(stderr, "%s: %s differs from the interpreter: pc %#llx/%#llx "
				"instret %llu/%llu mcause %llu/%llu mepc %#llx/%#llx mmio %u/%u\n",
				p->name, mode_name[m], (unsigned long long)a->pc,
				(unsigned long long)b->pc, (unsigned long long)a->instret,
				(unsigned long long)b->instret, (unsigned long long)a->mcause,
				(unsigned long long)b->mcause, (unsigned long long)a->mepc,
				(unsigned long long)b->mepc, a->log.n, b->log.n);
			for (int i = 0; i < 32; i++)
				if (a->x[i] != b->x[i])
					fprintf(stderr, "  x%d %#llx/%#llx\n", i,
						(unsigned long long)a->x[i],
						(unsigned long long)b->x[i]);
			for (uint32_t i = 0; i < RAM; i++)
				if (ram[0][i] != ram[m][i]) {
					fprintf(stderr, "  RAM +%#x %#x/%#x\n", i, ram[0][i], ram[m][i]);
					break;
				}
		}
	}
	*ref = res[0];
	if (strcmp(p->name, "random"))
		CHECK(res[0].done);
}

/*
 * A random loop body: loads, stores, fld/fsd off three base registers
 * (near a page boundary, the end of RAM or an unmapped Sv39 page, or
 * MMIO), sometimes moved (addi) or loaded into, with ALU ops and forward
 * branches between; the body repeats 2-5 times (a loop block).
 */
static void random_prog(struct prog *p, bool paging)
{
	static const unsigned bases[3] = { S1, S2, 19 };
	static const unsigned dst[] = { 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 21, 22, 23 };
	memset(p, 0, sizeof(*p));
	p->name = "random";
	p->paging = paging;
	unsigned n = 8 + (unsigned)(t_rand() % 40);
	int skip_to = -1; /* the open forward branch's target index */
	unsigned br_at = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned b = bases[t_rand() % 3], k = (unsigned)(t_rand() % 100);
		unsigned rd = dst[t_rand() % (sizeof(dst) / sizeof(dst[0]))];
		int32_t off = (int32_t)(t_rand() % 48) - 16;
		if (k < 40)
			p->code[p->n++] = LD((uint32_t)(t_rand() % 7), t_rand() % 20 ? rd : b, b, off);
		else if (k < 70)
			p->code[p->n++] = ST((uint32_t)(t_rand() % 4), rd, b, off);
		else if (k < 76)
			p->code[p->n++] = t_rand() % 2 ? FLD(rd, b, off) : FSD(rd, b, off);
		else if (k < 82)
			p->code[p->n++] = ADDI(b, b, (int32_t)(t_rand() % 33) - 16);
		else if (k < 92)
			p->code[p->n++] = ADD(rd, dst[t_rand() % 14], dst[t_rand() % 14]);
		else if (skip_to < 0) { /* bne rd, x0 forward, patched below */
			br_at = p->n;
			p->code[p->n++] = rd;
			skip_to = (int)(p->n + 1 + t_rand() % 3);
		}
		if (skip_to >= 0 && (int)p->n >= skip_to) {
			p->code[br_at] = enc_b(1, p->code[br_at], 0, (int32_t)(4 * (p->n - br_at)));
			skip_to = -1;
		}
	}
	if (skip_to >= 0)
		p->code[br_at] = enc_b(1, p->code[br_at], 0, (int32_t)(4 * (p->n - br_at)));
	p->code[p->n] = ADDI(20, 20, -1);
	p->n++;
	p->code[p->n] = enc_b(1, 20, 0, -(int32_t)(4 * p->n));
	p->n++;
	/* bases: near a page boundary in the data, the end of RAM (or the
	 * unmapped page), MMIO, and with paging inside the page whose VA->PA
	 * offset differs from the others' (a host_off mixed up between runs
	 * shows only there) */
	uint64_t near[5] = { BASE + DATA + 0x1000, paging ? BASE + VGAP : BASE + RAM,
			     BASE + DATA + 0x2000, DEV + 0x800,
			     paging ? BASE + ALIAS + 0x800 : BASE + DATA + 0x3000 };
	for (unsigned k = 0; k < 3; k++)
		p->x[bases[k]] = near[t_rand() % 5] + (uint64_t)(int64_t)((int)(t_rand() % 64) - 40);
	for (unsigned k = 0; k < sizeof(dst) / sizeof(dst[0]); k++)
		p->x[dst[k]] = t_rand();
	p->x[20] = 2 + t_rand() % 4;
}

static uint64_t pc_of(unsigned i) { return BASE + PROG + 4 * i; }

static uint64_t rd_le(uint32_t off, unsigned n)
{
	/* the initial data pattern (setup_ram) */
	uint64_t v = 0;
	for (unsigned k = 0; k < n; k++) {
		uint32_t o = off + k;
		uint8_t b = o >= RAM - 0x1000 ? (uint8_t)((o - (RAM - 0x1000)) * 13 + 1)
					       : data_byte(o - DATA);
		v |= (uint64_t)b << (8 * k);
	}
	return v;
}

#define SFENCE_VMA 0x12000073u
#define JALR(rd, rs1, imm) enc_i(0x67, rd, 0, rs1, imm)
#define LUI(rd, imm20) ((uint32_t)(imm20) << 12 | (rd) << 7 | 0x37)

/*
 * Cached runs (a loop block keeps a run's host_off across passes and only
 * checks that x[base] - C lies within the page, C = the page's address -
 * lo; jit_mem_loop_entry makes the first check of each entry fail). Each
 * case fails when that check or its reset at the block's entry is wrong.
 * PRESSURE (after a loop's back edge: run once per entry) uses enough
 * registers that the block maps no host register to a run: C and host_off
 * then live in h->jit_run slots, which keep their values between entries.
 */
#define PRESSURE ADD(16, 17, 21), ADD(22, 23, 19), ADD(20, 24, 25)
static void cached_runs(void)
{
	struct result r;
	uint64_t sum;
	/* 11. a run spanning lo = -3 .. hi = 12 off a base creeping by 1 over
	 * the end of an identity page into ALIAS (another VA->PA offset), and
	 * back: the passes whose bytes cross must miss, the first ones after
	 * must use the new page's host_off */
	for (int down = 0; down < 2; down++) { /* creeping up, then down */
		uint64_t from = BASE + ALIAS + (down ? 0x30 : -0x30), to = from + (down ? -0x60 : 0x60);
		struct prog span = { "cached-span", { LD(3, A0, S1, -3), LD(3, A1, S1, 5),
						      ADD(A3, A3, A0), ADD(A3, A3, A1),
						      ADDI(S1, S1, down ? -1 : 1), enc_b(1, S1, S2, -20) },
				     6, true, { [S1] = from, [S2] = to } };
		run_all(&span, &r);
		uint64_t sum = 0;
		for (uint64_t v = from; v != to; v += down ? -1 : 1)
			for (int k = 0; k < 2; k++) {
				uint64_t lo = v + (k ? 5 : -3), x = 0;
				for (unsigned i = 0; i < 8; i++) { /* ALIAS maps DATA + 0x1000 */
					uint64_t a = lo + i - BASE;
					a = a >= ALIAS ? a - ALIAS + DATA + 0x1000 : a;
					x |= rd_le((uint32_t)a, 1) << (8 * i);
				}
				sum += x;
			}
		CHECK_EQ(r.x[A3], sum);
		CHECK_EQ(r.x[27], 0);
	}

	/* 12. a loop entered twice, its page remapped (sfence.vma) in between
	 * to the last page of RAM (other bytes: the pattern of DATA repeats
	 * every 256 bytes): the second entry must not use the first one's
	 * host_off */
	uint64_t pte = BASE + PT + 8192 + 8 * (0x9000 >> 12);
	struct prog remap = { "cached-remap", { LD(3, A0, S1, 0), ADD(A3, A3, A0), ADDI(S1, S1, 8),
						ADDI(T1, T1, -1), enc_b(1, T1, 0, -16), PRESSURE,
						enc_j(0, 8), ADDI(0, 0, 0), enc_b(1, T2, 0, 28),
						ADDI(T2, 0, 1), ST(3, T0, S2, 0), SFENCE_VMA,
						ADDI(S1, S1, -64), ADDI(T1, 0, 8), enc_j(0, -64) },
			      17, true, { [S1] = BASE + 0x9000, [S2] = pte, [T1] = 8,
					  [T0] = ((BASE + RAM - 0x1000) >> 12) << 10 | 0xcf } };
	run_all(&remap, &r);
	sum = 0;
	for (uint32_t k = 0; k < 64; k += 8)
		sum += rd_le(0x9000 + k, 8) + rd_le(RAM - 0x1000 + k, 8);
	CHECK_EQ(r.x[A3], sum);
	CHECK_EQ(r.x[27], 0);

	/* 13. a cached store run writes a routine into a page, which then
	 * runs (translated: its page is now code), and the same loop, entered
	 * again, rewrites it: the new routine must run (a stale host_off would
	 * store past the code page's write protection) */
	uint32_t q = DATA + 0x2000;
	struct prog smc = { "cached-smc", { ST(2, 28, S1, 0), ST(2, 29, S1, 4), ADDI(T1, T1, -1),
					    enc_b(1, T1, 0, -12), PRESSURE, enc_j(0, 8),
					    ADDI(0, 0, 0), JALR(1, S1, 0), enc_b(1, T2, 0, 24),
					    ADDI(T2, 0, 1), LUI(30, 0x200), ADD(28, 28, 30),
					    ADDI(T1, 0, 2), enc_j(0, -60) },
			    16, false, { [S1] = BASE + q, [T1] = 2, [28] = ADDI(A0, 0, 5),
					 [29] = JALR(0, 1, 0) } };
	run_all(&smc, &r);
	CHECK_EQ(r.x[A0], 7);
	CHECK_EQ(r.x[27], 0);

	/* 14. a run with loads and a store (lo = -8, hi = 15) walking into
	 * the unmapped page: page faults at the faulting member's pc, the
	 * handler skips it, the loop goes on */
	struct prog gap = { "cached-gap", { LD(3, A0, S1, -8), LD(3, A1, S1, 8), ADD(A3, A3, A0),
					    ADD(A3, A3, A1), ST(3, A3, S1, 0), ADDI(S1, S1, 8),
					    enc_b(1, S1, S2, -24) },
			    7, true, { [S1] = BASE + VGAP - 0x40, [S2] = BASE + VGAP + 0x40 } };
	run_all(&gap, &r);
	CHECK_EQ(r.x[27], 24);
	CHECK_EQ(r.x[26], 2 * pc_of(1) + pc_of(4) + 7 * (pc_of(0) + pc_of(1) + pc_of(4)));
	CHECK_EQ(r.x[28], EXC_STORE_PAGE);

	/* 15. a run walking from RAM (ALIAS) into a page that maps MMIO: every
	 * access there reaches the device */
	struct prog mm = { "cached-mmio", { LD(3, A0, S1, 0), ADD(A3, A3, A0), ADDI(S1, S1, 8),
					    enc_b(1, S1, S2, -12) },
			   4, true, { [S1] = BASE + VMMIO - 0x20, [S2] = BASE + VMMIO + 0x40 } };
	run_all(&mm, &r);
	CHECK_EQ(r.log.n, 8);
	CHECK(!r.log.e[0].write && r.log.e[0].addr == DEV && r.log.e[7].addr == DEV + 0x38);
	CHECK_EQ(r.x[27], 0);
}

int main(void)
{
	const char *e = getenv("RINGVM_FUZZ_SEEDS");
	unsigned nseeds = e ? (unsigned)atoi(e) : 200;
	t_timeout(60 + nseeds / 20);
	setenv("RINGVM_JIT_EAGER", "1", 1); /* every block translated on its first visit */
	struct result r;

	/* 1. a run whose later members are on the next page */
	struct prog cross = { "cross", { LD(2, A0, S1, 0), LD(2, A1, S1, 4), LD(2, A2, S1, -4),
					 ST(2, T0, S1, 8), LD(3, A3, S1, 2), LD(6, A4, S1, 8) },
			      6, false, { [S1] = BASE + DATA + 0xffc, [T0] = 0x11223344 } };
	run_all(&cross, &r);
	CHECK_EQ(r.x[A0], (uint64_t)(int64_t)(int32_t)rd_le(DATA + 0xffc, 4));
	CHECK_EQ(r.x[A1], (uint64_t)(int64_t)(int32_t)rd_le(DATA + 0x1000, 4));
	CHECK_EQ(r.x[A2], (uint64_t)(int64_t)(int32_t)rd_le(DATA + 0xff8, 4));
	CHECK_EQ(r.x[A3], (rd_le(DATA + 0xffe, 8) & ~0xffff000000000000ull) | 0x3344ull << 48);
	CHECK_EQ(r.x[A4], 0x11223344u);
	CHECK_EQ(r.x[27], 0);

	/* 2. a store run into the end of RAM: the first store lands, the
	 * second faults at its own pc; then a load run the same way */
	struct prog end = { "ram-end", { ST(3, T0, S1, 0), ST(3, T1, S1, 8), ADDI(A0, 0, 1),
					 LD(3, A1, S1, 0), LD(3, A2, S1, 8), LD(3, A3, S1, -8) },
			    6, false, { [S1] = BASE + RAM - 8, [T0] = 0x0102030405060708ull,
					[T1] = 0x1111111111111111ull, [A2] = 77 } };
	run_all(&end, &r);
	CHECK_EQ(r.x[27], 2);
	CHECK_EQ(r.x[26], pc_of(1) + pc_of(4));
	CHECK_EQ(r.x[28], EXC_LOAD_ACCESS);
	CHECK_EQ(r.x[29], pc_of(4));
	CHECK_EQ(r.x[30], BASE + RAM);
	CHECK_EQ(r.x[A1], 0x0102030405060708ull);
	CHECK_EQ(r.x[A2], 77);   /* the faulting load wrote nothing */
	CHECK_EQ(r.x[A3], rd_le(RAM - 16, 8));

	/* 3. the same with Sv39 and an unmapped page: page faults */
	struct prog gap = { "sv39-gap", { ST(3, T0, S1, 0), ST(2, T1, S1, 6), ST(0, T1, S1, 8),
					  LD(3, A1, S1, 0), LD(3, A2, S1, 8), LD(1, A3, S1, -2) },
			    6, true, { [S1] = BASE + VGAP - 8, [T0] = 0x0102030405060708ull,
				       [T1] = 0x55667788, [A2] = 99 } };
	run_all(&gap, &r);
	CHECK_EQ(r.x[27], 3);
	CHECK_EQ(r.x[26], pc_of(1) + pc_of(2) + pc_of(4));
	CHECK_EQ(r.x[28], EXC_LOAD_PAGE);
	CHECK_EQ(r.x[29], pc_of(4));
	CHECK_EQ(r.x[30], BASE + VGAP);
	CHECK_EQ(r.x[A1], 0x0102030405060708ull);
	CHECK_EQ(r.x[A2], 99);
	CHECK_EQ(r.x[A3], (uint64_t)(int64_t)(int16_t)rd_le(VGAP - 10, 2));

	/* 4. a run on MMIO: every access reaches the device, in order */
	struct prog mmio = { "mmio", { LD(2, A0, S1, 0), ST(2, T0, S1, 4), LD(3, A1, S1, 8),
				       ST(0, T1, S1, 16), LD(1, A2, S1, 18), LD(4, A3, S1, 0) },
			     6, false, { [S1] = DEV, [T0] = 0xabcdef, [T1] = 0x5a } };
	run_all(&mmio, &r);
	CHECK_EQ(r.log.n, 6);
	CHECK(r.log.e[1].write && r.log.e[1].addr == DEV + 4 && r.log.e[1].val == 0xabcdef);
	CHECK_EQ(r.x[27], 0);

	/* 5. a store run into its own translated block: the rewritten
	 * instructions (two words ahead, same block) are the ones that run */
	struct prog smc = { "smc", { 0x00000497 /* auipc s1, 0 */, ST(2, T0, S1, 16),
				     ST(2, T1, S1, 20), ADDI(0, 0, 0), ADDI(A0, 0, 1),
				     ADDI(A1, 0, 1) },
			    6, false, { [T0] = ADDI(A0, 0, 5), [T1] = ADDI(A1, 0, 6) } };
	run_all(&smc, &r);
	CHECK_EQ(r.x[A0], 5);
	CHECK_EQ(r.x[A1], 6);

	/* 6. misaligned members within a page, then the same with the last
	 * one crossing into the next page */
	for (int crossing = 0; crossing < 2; crossing++) {
		int32_t last = crossing ? 0x3f8 : 0x100;
		struct prog mis = { "misaligned", { LD(2, A0, S1, 0), LD(1, A1, S1, 4),
						    LD(3, A2, S1, 7), ST(3, T0, S1, 17),
						    LD(5, A3, S1, 17), LD(3, A4, S1, last) },
				    6, false,
				    { [S1] = BASE + DATA + 0xc01, [T0] = 0x8877665544332211ull } };
		run_all(&mis, &r);
		CHECK_EQ(r.x[A0], (uint64_t)(int64_t)(int32_t)rd_le(DATA + 0xc01, 4));
		CHECK_EQ(r.x[A1], (uint64_t)(int64_t)(int16_t)rd_le(DATA + 0xc05, 2));
		CHECK_EQ(r.x[A2], rd_le(DATA + 0xc08, 8));
		CHECK_EQ(r.x[A3], 0x2211);
		CHECK_EQ(r.x[A4], rd_le(DATA + 0xc01 + (uint32_t)last, 8));
		CHECK_EQ(r.x[27], 0);
	}

	/* 7. a loop block whose run walks over a page boundary and into the
	 * end of RAM: the last pass's store faults */
	struct prog loop = { "loop", { LD(4, A0, S1, 0), LD(4, A1, S1, 1), ADD(A2, A0, A1),
				       ST(0, A2, S1, 2), ADD(A3, A3, A2), ADDI(S1, S1, 1),
				       enc_b(1, S1, S2, -24) },
			     7, false, { [S1] = BASE + RAM - 0x1010, [S2] = BASE + RAM - 1 } };
	run_all(&loop, &r);
	CHECK_EQ(r.x[27], 1);
	CHECK_EQ(r.x[28], EXC_STORE_ACCESS);
	CHECK_EQ(r.x[29], pc_of(3));
	CHECK_EQ(r.x[30], BASE + RAM);

	/* 8. fld/fsd members (they share the integer accesses' runs) */
	struct prog fp = { "fp", { FLD(1, S1, 0), FLD(2, S1, 8), FSD(1, S1, 16), FSD(2, S1, 0x7f8 - 0x400),
				   LD(3, A0, S1, 16), LD(3, A1, S1, 0x7f8 - 0x400) },
			   6, false, { [S1] = BASE + DATA + 0xc00 } };
	run_all(&fp, &r);
	CHECK_EQ(r.x[A0], rd_le(DATA + 0xc00, 8));
	CHECK_EQ(r.x[A1], rd_le(DATA + 0xc08, 8));
	CHECK_EQ(r.x[27], 0);
	/* 9. an LR reservation: a store run over the reserved word makes the
	 * SC fail, one beside it does not */
#define LR_W(rd, rs1) (0x1000202fu | (rd) << 7 | (rs1) << 15)
#define SC_W(rd, rs2, rs1) (0x1800202fu | (rd) << 7 | (rs1) << 15 | (rs2) << 20)
	struct prog resv = { "lr-sc", { LR_W(A3, S1), ST(2, T0, S1, 16), ST(2, T1, S1, 0),
					SC_W(A4, T2, S1), LR_W(A3, S1), ST(2, T0, S1, 16),
					ST(2, T1, S1, 24), SC_W(A2, T2, S1), LD(2, A0, S1, 0) },
			     9, false, { [S1] = BASE + DATA + 0x100, [T0] = 1, [T1] = 2, [T2] = 3 } };
	run_all(&resv, &r);
	CHECK_EQ(r.x[A4], 1);
	CHECK_EQ(r.x[A2], 0);
	CHECK_EQ(r.x[A0], 3);

	/* 10. a loop block with a two-member run off a base that moves by a
	 * register (not cached) and then a cached run off an unmoving base on
	 * a page with another VA->PA offset: the cached run's host_off must
	 * not share a slot or register the first run writes in each pass */
	struct prog share = { "cached-share", { LD(3, A0, S1, 0), LD(3, A1, S1, 8),
						 ADD(A3, A3, A0), ADD(A3, A3, A1),
						 LD(3, A2, S2, 0), ADD(A4, A4, A2), ADD(S1, S1, T0),
						 ADDI(T1, T1, -1), enc_b(1, T1, 0, -32) },
			      9, true, { [S1] = BASE + DATA + 0x100, [S2] = BASE + ALIAS + 0x40,
					 [T0] = 16, [T1] = 4 } };
	run_all(&share, &r);
	CHECK_EQ(r.x[A4], 4 * rd_le(DATA + 0x1040, 8));
	CHECK_EQ(r.x[27], 0);

	cached_runs();

	/* random runs: the same agreement, RINGVM_FUZZ_SEEDS programs */
	const char *first = getenv("RINGVM_FUZZ_FIRST"); /* to re-run one seed */
	unsigned compared = 0, total = 0;
	for (unsigned seed = first ? (unsigned)atoi(first) : 1; seed <= nseeds && t_failures < 3;
	     seed++) {
		t_seed(seed);
		struct prog rp;
		random_prog(&rp, seed % 2 == 0);
		run_all(&rp, &r);
		compared += r.done;
		total++;
		if (t_failures)
			fprintf(stderr, "(random program, seed %u)\n", seed);
	}
	CHECK(compared * 10 >= total * 9); /* nearly all end at their wfi */
	printf("%u random programs, %u compared\n", total, compared);
	return t_finish();
}
