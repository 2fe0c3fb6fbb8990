/*
 * Loop blocks whose memory runs are cached across passes (jit-mem.c): a
 * base register that only grows (addi with imm >= 0) is checked with one
 * compare against a limit, the others against the cached page. Programs:
 * byte and word scans that cross page boundaries, a run with negative
 * offsets and a span, a falling base (must not take the limit path), a
 * base that moves both ways, a loop that uses more registers than the
 * JIT maps (its rarer paths' registers stay in memory), and, under Sv39,
 * a base that creeps from the last page of the address space over 2^64
 * into page 0 (mapped elsewhere: a limit that wrapped would read the old
 * page), a loop block with two back edges, and one whose forward
 * branch jumps to a later instruction of the block. Each runs on the
 * interpreter and the JIT (every block
 * translated on its first visit); registers, pc, instret and RAM must
 * agree, and each program's sum must be the one computed here.
 * (Check mode makes no loop blocks, so it is not used: it would not
 * exercise this code.)
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define RAM (1u << 20)
#define PROG 0x1000u
#define DATA 0x4000u /* four data pages */
#define NPG 8        /* ... mapped in reverse order at VA DWIN */
#define DWIN 0x40000000ull
#define PT 0x10000u  /* Sv39 tables: root, then three L1 and three L0 */
#define PG_ZERO 0x20000u /* Sv39: VA page 0 maps here */
#define PG_TOP 0x21000u  /* ... and VA 0xfffffffffffff000 here */

enum { A1 = 11, A2, A3, A4, A5, A6, A7, S1 = 9, T1 = 6, T2 = 7 };

#define LD(f3, rd, rs1, imm) enc_i(0x03, rd, f3, rs1, imm)
#define ST(f3, rs2, rs1, imm) enc_s(f3, rs1, rs2, imm)
#define ADDI(rd, rs1, imm) enc_i(0x13, rd, 0, rs1, imm)
#define SLTIU(rd, rs1, imm) enc_i(0x13, rd, 3, rs1, imm)
#define ADD(rd, rs1, rs2) enc_r(0x33, rd, 0, rs1, rs2, 0)
#define XOR(rd, rs1, rs2) enc_r(0x33, rd, 4, rs1, rs2, 0)

struct prog {
	const char *name;
	uint32_t code[64];
	unsigned n;
	bool paging;
	uint64_t x[32];
};

static uint8_t pattern(uint32_t off) /* the bytes of RAM offset off */
{
	return (uint8_t)(off * 7 + 3 + (off >> 12) * 91);
}

static uint64_t rd_le(uint32_t off, unsigned n)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < n; k++)
		v |= (uint64_t)pattern(off + k) << (8 * k);
	return v;
}

/* the RAM offset of DWIN + off: page i of the window is data page NPG-1-i
 * (every page has its own VA->PA offset, so a host_off used for the
 * wrong page reads other bytes) */
static uint32_t win(uint32_t off)
{
	return DATA + (NPG - 1 - (off >> 12)) * 0x1000 + (off & 0xfff);
}

static uint64_t win_le(uint32_t off, unsigned n)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < n; k++)
		v |= (uint64_t)pattern(win(off + k)) << (8 * k);
	return v;
}

/* Sv39: VA 0x80000000 + 1 GiB identity (a gigapage), VA page 0 ->
 * PG_ZERO, the last VA page -> PG_TOP, the window at DWIN (see win). */
static uint64_t build_pt(uint8_t *ram)
{
	uint64_t *root = (uint64_t *)(ram + PT), *l1a = root + 512, *l1b = root + 1024;
	uint64_t *l0a = root + 1536, *l0b = root + 2048, *l1c = root + 2560, *l0c = root + 3072;
	memset(root, 0, 7 * 4096);
	root[DWIN >> 30] = ((BASE + PT + 0x5000) >> 12) << 10 | 1;
	l1c[0] = ((BASE + PT + 0x6000) >> 12) << 10 | 1;
	for (uint32_t i = 0; i < NPG; i++)
		l0c[i] = ((BASE + win(i << 12)) >> 12) << 10 | 0xc7;
	root[2] = (BASE >> 12) << 10 | 0xcf; /* V R W X A D */
	root[0] = ((BASE + PT + 0x1000) >> 12) << 10 | 1;
	root[511] = ((BASE + PT + 0x2000) >> 12) << 10 | 1;
	l1a[0] = ((BASE + PT + 0x3000) >> 12) << 10 | 1;
	l1b[511] = ((BASE + PT + 0x4000) >> 12) << 10 | 1;
	l0a[0] = ((BASE + PG_ZERO) >> 12) << 10 | 0xc7; /* V R W A D */
	l0b[511] = ((BASE + PG_TOP) >> 12) << 10 | 0xc7;
	return (8ull << 60) | ((BASE + PT) >> 12);
}

static void setup_ram(uint8_t *ram, const struct prog *p)
{
	for (uint32_t i = 0; i < RAM; i++)
		ram[i] = pattern(i);
	for (unsigned i = 0; i < p->n; i++)
		memcpy(ram + PROG + 4 * i, &p->code[i], 4);
	uint32_t wfi = WFI;
	memcpy(ram + PROG + 4 * p->n, &wfi, 4);
	build_pt(ram);
}

struct result {
	uint64_t x[32], pc, instret;
	bool done;
};

static void run_prog(const struct prog *p, bool jit, uint8_t *ram, struct result *out)
{
	memset(out, 0, sizeof(*out));
	setup_ram(ram, p);
	struct hart *h = thart_new(ram, BASE, RAM, BASE + PROG, jit);
	memcpy(h->x, p->x, sizeof(h->x));
	if (p->paging)
		thart_paging(h, build_pt(ram));
	for (int i = 0; i < 2000 && !out->done; i++)
		out->done = cpu_run(h, 1000) == CPU_EXIT_WFI;
	memcpy(out->x, h->x, sizeof(out->x));
	out->pc = h->pc;
	out->instret = h->instret;
	cpu_hart_free(h);
}

/* p on both; they must agree; the JIT's result in *r */
static void run_both(const struct prog *p, struct result *r)
{
	static uint8_t *ram[2];
	struct result ref;
	for (int m = 0; m < 2; m++)
		if (!ram[m])
			REQUIRE((ram[m] = malloc(RAM)) != NULL);
	run_prog(p, false, ram[0], &ref);
	run_prog(p, true, ram[1], r);
	CHECK(ref.done && r->done);
	bool same = ref.pc == r->pc && ref.instret == r->instret &&
		    !memcmp(ref.x, r->x, sizeof(ref.x)) && !memcmp(ram[0], ram[1], RAM);
	if (!same) {
		t_failures++;
		fprintf(stderr, "%s: the JIT differs from the interpreter (pc %#llx/%#llx)\n",
			p->name, (unsigned long long)ref.pc, (unsigned long long)r->pc);
		for (int i = 0; i < 32; i++)
			if (ref.x[i] != r->x[i])
				fprintf(stderr, "  x%d %#llx/%#llx\n", i,
					(unsigned long long)ref.x[i], (unsigned long long)r->x[i]);
	}
}

int main(void)
{
	t_timeout(60);
	setenv("RINGVM_JIT_EAGER", "1", 1);
	struct result r;

	/* 1. sum the bytes over three pages and count those equal to a2 (lbu,
	 * base + 1 a pass: at each page's end the base meets the limit) */
	uint32_t from = DATA + 0xf00, to = DATA + 0x2f01;
	struct prog scan = { "byte-scan", { LD(4, A4, A5, 0), ADD(A6, A6, A4), ADDI(A5, A5, 1),
					    XOR(A4, A4, A2), SLTIU(A4, A4, 1), ADD(A1, A1, A4),
					    enc_b(1, A5, A3, -24) },
			     7, true, { [A5] = DWIN + from, [A3] = DWIN + to, [A2] = 0x5a } };
	run_both(&scan, &r);
	uint64_t want = 0, sum = 0;
	for (uint32_t o = from; o < to; o++) {
		want += pattern(win(o)) == 0x5a;
		sum += pattern(win(o));
	}
	CHECK(want > 0);
	CHECK_EQ(r.x[A1], want);
	CHECK_EQ(r.x[A6], sum);

	/* 2. the bench's shape: the loop's first instruction moves the base,
	 * a forward exit, a byte compare back to the start */
	struct prog find = { "byte-find", { ADDI(A5, A5, 1), enc_b(0, A3, A5, 12),
					    LD(4, A4, A5, 0), enc_b(1, A4, A2, -12) },
			     4, true, { [A5] = DWIN + 0xff0, [A3] = DWIN + 0x2ff0,
					 [A2] = 0x1ff } };
	run_both(&find, &r);
	CHECK_EQ(r.x[A5], DWIN + 0x2ff0);

	/* 3. ld off the base, then lbu -8 and -1 after it moved: a run with
	 * negative offsets and a span; the ld crosses a page every 512 passes */
	from = 0xf04;
	struct prog neg = { "negative-span", { LD(3, A4, A5, 0), ADDI(A5, A5, 8),
					       LD(4, A6, A5, -8), LD(4, A7, A5, -1),
					       ADD(A1, A1, A4), ADD(A1, A1, A6), ADD(A1, A1, A7),
					       enc_b(1, A5, A3, -28) },
			    8, true, { [A5] = DWIN + from, [A3] = DWIN + from + 8 * 700 } };
	run_both(&neg, &r);
	want = 0;
	for (uint32_t o = from; o < from + 8 * 700; o += 8)
		want += win_le(o, 8) + pattern(win(o)) + pattern(win(o + 7));
	CHECK_EQ(r.x[A1], want);

	/* 4. a falling base (addi -1): not a limit, a page compare; reading
	 * below the cached page must miss */
	from = 0x2080;
	struct prog fall = { "falling", { LD(4, A4, A5, 0), ADD(A1, A1, A4), ADDI(A5, A5, -1),
					  enc_b(1, A5, A3, -12) },
			     4, true, { [A5] = DWIN + from, [A3] = DWIN + from - 0x1100 } };
	run_both(&fall, &r);
	want = 0;
	for (uint32_t o = from; o > from - 0x1100; o--)
		want += pattern(win(o));
	CHECK_EQ(r.x[A1], want);

	/* 5. a base moved up and down in one pass (net +1): not rising */
	from = 0xfc0;
	struct prog both = { "up-down", { LD(4, A4, A5, 0), ADD(A1, A1, A4), ADDI(A5, A5, 9),
					  ADDI(A5, A5, -8), enc_b(1, A5, A3, -16) },
			     5, true, { [A5] = DWIN + from, [A3] = DWIN + from + 0x100 } };
	run_both(&both, &r);
	want = 0;
	for (uint32_t o = from; o < from + 0x100; o++)
		want += pattern(win(o));
	CHECK_EQ(r.x[A1], want);

	/* 6. more registers than the JIT maps: the pass uses a few, the exit
	 * path after the loop many (x15-x31 summed); two cached runs */
	struct prog many = { "many-regs", { LD(3, A4, A5, 0), ADD(A1, A1, A4), ADDI(A5, A5, 8),
					    LD(4, A6, S1, 0), ADD(A1, A1, A6), ADDI(S1, S1, 3),
					    enc_b(1, A5, A3, -24) },
			     7, true, { [A5] = DWIN + 0x800, [A3] = DWIN + 0x2000,
					 [S1] = DWIN + 0x2800 } };
	for (unsigned k = 16; k < 32; k++) {
		many.code[many.n++] = ADD(T1, T1, k);
		many.code[many.n++] = XOR(T2, T2, k);
		many.x[k] = 0x1000003ull * k;
	}
	run_both(&many, &r);
	want = 0;
	for (uint32_t k = 0; k < (0x2000 - 0x800) / 8; k++)
		want += win_le(0x800 + 8 * k, 8) + pattern(win(0x2800 + 3 * k));
	CHECK_EQ(r.x[A1], want);

	/* 7. Sv39: a base creeping from the last page of the address space
	 * over 2^64 into page 0 (another physical page): words, then bytes */
	struct prog wrap = { "top-wrap-ld", { LD(3, A4, S1, 0), ADD(A1, A1, A4), ADDI(S1, S1, 8),
					      ADDI(T1, T1, -1), bne_back(T1, 4) },
			     5, true, { [S1] = (uint64_t)-24, [T1] = 6 } };
	run_both(&wrap, &r);
	want = rd_le(PG_TOP + 0xfe8, 8) + rd_le(PG_TOP + 0xff0, 8) + rd_le(PG_TOP + 0xff8, 8) +
	       rd_le(PG_ZERO, 8) + rd_le(PG_ZERO + 8, 8) + rd_le(PG_ZERO + 16, 8);
	CHECK_EQ(r.x[A1], want);
	struct prog wrapb = { "top-wrap-lbu", { LD(4, A4, S1, 0), ADD(A1, A1, A4), ADDI(S1, S1, 1),
						ADDI(T1, T1, -1), bne_back(T1, 4) },
			      5, true, { [S1] = (uint64_t)-5, [T1] = 40 } };
	run_both(&wrapb, &r);
	want = 0;
	for (uint32_t k = 0; k < 5; k++)
		want += pattern(PG_TOP + 0xffb + k);
	for (uint32_t k = 0; k < 35; k++)
		want += pattern(PG_ZERO + k);
	CHECK_EQ(r.x[A1], want);

	/* 8. a loop block with two back edges: a6 is written only between
	 * them, then a later pass leaves by the side exit before either -
	 * a6 must still reach memory (exits write back what earlier passes
	 * may have written up to the last back edge) */
	struct prog two = { "two-back-edges", { ADDI(T1, T1, -1), enc_b(0, T1, 0, 20),
						enc_i(0x13, A4, 7, T1, 1), enc_b(1, A4, 0, -12),
						ADDI(A6, A6, 5), enc_j(0, -20) },
			    6, false, { [T1] = 10 } };
	run_both(&two, &r);
	CHECK_EQ(r.x[A6], 20);
	CHECK_EQ(r.x[T1], 0);

	/* 9. strlen's shape: a forward branch inside a loop block to a later
	 * instruction of it (here past a load run, on odd words) jumps there
	 * instead of leaving; the words' sum and the bytes of odd words */
	from = 0xe00;
	struct prog into = { "into-block", { LD(3, A4, A5, 0), ADDI(A5, A5, 8),
					     enc_i(0x13, T2, 7, A4, 1), enc_b(0, T2, 0, 20),
					     LD(4, A6, A5, -8), ADD(A1, A1, A6), LD(4, A7, A5, -1),
					     ADD(A1, A1, A7), ADD(A2, A2, A4), enc_b(6, A5, A3, -36) },
			     10, true, { [A5] = DWIN + from, [A3] = DWIN + from + 8 * 600 } };
	run_both(&into, &r);
	want = sum = 0;
	for (uint32_t o = from; o < from + 8 * 600; o += 8) {
		sum += win_le(o, 8);
		if (win_le(o, 8) & 1)
			want += pattern(win(o)) + pattern(win(o + 7));
	}
	CHECK_EQ(r.x[A1], want);
	CHECK_EQ(r.x[A2], sum);
	return t_finish();
}
