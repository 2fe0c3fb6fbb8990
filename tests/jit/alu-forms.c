/*
 * The integer forms jit-gen.c writes straight into a mapped rd with short
 * sequences: rd = rs1 op rd (add/xor/or/and swapped, sub as neg and add,
 * their w forms, rs1 = x0 too), addiw with rd != rs1 (lea and movsxd;
 * sext.w = addiw 0 is one movsxd) and addi. Random straight-line blocks of
 * these over six registers (all mapped: each is used often) with random
 * values, and the same in a loop block, run on the interpreter and the
 * JIT (every block translated on its first visit); the registers must be
 * the same. RINGVM_FUZZ_SEEDS=n runs more.
 */
#include <stdlib.h>

#include "cpu/hart.h"
#include "harness.h"
#include "rvenc.h"
#include "thart.h"

#define BASE 0x80000000ull
#define NI 48

static const unsigned regs[6] = { 5, 6, 7, 9, 10, 11 };

static unsigned reg(void) { return regs[t_rand() % 6]; }

static uint32_t form(void)
{
	/* OP funct3/funct7: add, sub, xor, or, and */
	static const uint32_t f3s[] = { 0, 0, 4, 6, 7 }, f7s[] = { 0, 0x20, 0, 0, 0 };
	unsigned k = (unsigned)(t_rand() % 10), rd = reg(), rs = reg();
	int32_t imm = t_rand() % 3 ? (int32_t)(t_rand() % 4096) - 2048 : 0;
	if (k < 5) { /* rd = rs1 op rd, rs1 another register or x0 */
		unsigned o = (unsigned)(t_rand() % 5), rs1 = t_rand() % 4 ? rs : 0;
		return enc_r(0x33, rd, f3s[o], rs1, rd, f7s[o]);
	}
	if (k < 7) { /* addw/subw the same way */
		unsigned o = (unsigned)(t_rand() % 2), rs1 = t_rand() % 4 ? rs : 0;
		return enc_r(0x3b, rd, 0, rs1, rd, o ? 0x20 : 0);
	}
	if (k < 9) /* addiw, sext.w among them */
		return enc_i(0x1b, rd, 0, rs, imm);
	return enc_i(0x13, rd, 0, rs, imm); /* addi */
}

static void run(const uint32_t *code, unsigned n, const uint64_t *x0, bool jit, uint64_t *out)
{
	static uint8_t ram[0x4000];
	memset(ram, 0, sizeof(ram));
	memcpy(ram, code, 4 * n);
	struct hart *h = thart_new(ram, BASE, sizeof(ram), BASE, jit);
	memcpy(h->x, x0, 32 * 8);
	bool done = false;
	for (int i = 0; i < 100 && !done; i++)
		done = cpu_run(h, 10000) == CPU_EXIT_WFI;
	CHECK(done);
	memcpy(out, h->x, 32 * 8);
	out[0] = h->instret;
	cpu_hart_free(h);
}

int main(void)
{
	const char *e = getenv("RINGVM_FUZZ_SEEDS");
	unsigned nseeds = e ? (unsigned)atoi(e) : 400;
	t_timeout(60 + nseeds / 50);
	setenv("RINGVM_JIT_EAGER", "1", 1);
	for (unsigned seed = 1; seed <= nseeds && t_failures < 3; seed++) {
		t_seed(seed);
		uint32_t code[NI + 4];
		unsigned n = 0;
		bool loop = seed % 2 == 0; /* x28 counts the passes down */
		unsigned body = 8 + (unsigned)(t_rand() % (NI - 8));
		for (unsigned i = 0; i < body; i++)
			code[n++] = form();
		if (loop) {
			code[n++] = enc_i(0x13, 28, 0, 28, -1);
			unsigned at = n; /* back to the first instruction */
			code[n++] = bne_back(28, at);
		}
		code[n++] = WFI;
		uint64_t x0[32] = { 0 }, a[32], b[32];
		for (unsigned k = 0; k < 6; k++) { /* small, 32-bit edge and wide values */
			uint64_t v = t_rand();
			x0[regs[k]] = t_rand() % 3 == 0 ? (uint64_t)(int64_t)(int32_t)v
				    : t_rand() % 2 ? v % 5 - 2 : v;
		}
		x0[28] = 3;
		run(code, n, x0, false, a);
		run(code, n, x0, true, b);
		if (memcmp(a, b, sizeof(a))) {
			t_failures++;
			fprintf(stderr, "seed %u: the JIT differs from the interpreter\n", seed);
			for (int i = 0; i < 32; i++)
				if (a[i] != b[i])
					fprintf(stderr, "  %s%d %#llx/%#llx\n", i ? "x" : "instret ",
						i, (unsigned long long)a[i], (unsigned long long)b[i]);
		}
	}
	return t_finish();
}
