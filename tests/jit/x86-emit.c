/*
 * Every emitter form, with random registers, displacements and immediates,
 * produces the same bytes as GNU as assembling the same instruction.
 * (Shift counts of 1 are left out: as picks the D1 short form for them,
 * which is equally valid.)
 */
#include <stdlib.h>
#include <unistd.h>

#include "cpu/jit/x86-emit.h"
#include "harness.h"

#define N 4000

static const char *r64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
			     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *r32[] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
			     "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *r16[] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
			     "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *r8[] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
			    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *cc[] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
			    "s", "ns", "p", "np", "l", "ge", "le", "g" };
static const char *alu[] = { "add", "or", "adc", "", "and", "sub", "xor", "cmp" };
static const char *shift[] = { "rol", "ror", "", "", "shl", "shr", "", "sar" };
static const char *unary[] = { "", "", "not", "neg", "mul", "imul", "div", "idiv" };

static unsigned reg(void) { return (unsigned)(t_rand() % 16); }
static unsigned gpr_not_rsp(void) { unsigned r; do r = reg(); while (r == X86_RSP); return r; }

static int32_t disp(void)
{
	switch (t_rand() % 4) {
	case 0: return 0;
	case 1: return (int32_t)(t_rand() % 256) - 128;
	case 2: return (int32_t)t_rand();
	default: return (int32_t)(t_rand() % 4096) * 8;
	}
}

static int32_t imm32(void)
{
	return t_rand() % 2 ? (int32_t)(t_rand() % 256) - 128 : (int32_t)t_rand();
}

static uint64_t imm64(void)
{
	switch (t_rand() % 4) {
	case 0: return 0;
	case 1: return t_rand() & 0xffffffffu;
	case 2: return (uint64_t)(int64_t)(int32_t)t_rand();
	default: return t_rand();
	}
}

static void one(struct x86_buf *b, FILE *s)
{
	unsigned a = reg(), c = reg(), base = reg();
	int32_t d = disp();
	bool w = t_rand() % 2;
	const char **rn = w ? r64 : r32;
	char q = w ? 'q' : 'l';
	unsigned form = (unsigned)(t_rand() % 41);
	unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned size = sizes[t_rand() % 4];

	switch (form) {
	case 0:
		x86_mov_rr(b, w, a, c);
		fprintf(s, "mov%c %%%s, %%%s\n", q, rn[c], rn[a]);
		break;
	case 1: {
		uint64_t v = imm64();
		x86_mov_imm(b, a, v);
		if (v == 0)
			fprintf(s, "xorl %%%s, %%%s\n", r32[a], r32[a]);
		else if (v <= UINT32_MAX)
			fprintf(s, "movl $%llu, %%%s\n", (unsigned long long)v, r32[a]);
		else if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX)
			fprintf(s, "movq $%lld, %%%s\n", (long long)v, r64[a]);
		else
			fprintf(s, "movabsq $%llu, %%%s\n", (unsigned long long)v, r64[a]);
		break;
	}
	case 2: {
		bool sign = t_rand() % 2;
		x86_load(b, size, sign, a, base, d);
		const char *m;
		if (size == 8)
			m = "movq", sign = false;
		else if (size == 4)
			m = sign ? "movslq" : "movl";
		else if (size == 2)
			m = sign ? "movswq" : "movzwl";
		else
			m = sign ? "movsbq" : "movzbl";
		fprintf(s, "%s %d(%%%s), %%%s\n", m, d, r64[base],
			(size == 8 || sign) ? r64[a] : r32[a]);
		break;
	}
	case 3: {
		x86_store(b, size, a, base, d);
		const char **n = size == 8 ? r64 : size == 4 ? r32 : size == 2 ? r16 : r8;
		char sfx = size == 8 ? 'q' : size == 4 ? 'l' : size == 2 ? 'w' : 'b';
		fprintf(s, "mov%c %%%s, %d(%%%s)\n", sfx, n[a], d, r64[base]);
		break;
	}
	case 4: {
		int32_t v = imm32();
		x86_store_imm(b, w ? 8 : 4, base, d, v);
		fprintf(s, "mov%c $%d, %d(%%%s)\n", q, v, d, r64[base]);
		break;
	}
	case 5:
		x86_lea(b, a, base, d);
		fprintf(s, "leaq %d(%%%s), %%%s\n", d, r64[base], r64[a]);
		break;
	case 6: {
		bool sign = t_rand() % 2;
		unsigned sz = sizes[t_rand() % 3];
		x86_extend_rr(b, sz, sign, a, c);
		if (sz == 4)
			fprintf(s, sign ? "movslq %%%s, %%%s\n" : "movl %%%s, %%%s\n", r32[c],
				sign ? r64[a] : r32[a]);
		else
			fprintf(s, "mov%c%c%c %%%s, %%%s\n", sign ? 's' : 'z', sz == 1 ? 'b' : 'w',
				sign ? 'q' : 'l', sz == 1 ? r8[c] : r16[c], sign ? r64[a] : r32[a]);
		break;
	}
	case 7:
	case 8:
	case 9:
	case 10: {
		static const enum x86_alu ops[] = { X86_ADD, X86_OR, X86_ADC, X86_AND, X86_SUB,
						    X86_XOR, X86_CMP };
		enum x86_alu op = ops[t_rand() % 7];
		int32_t v = imm32();
		if (form == 7) {
			x86_alu_rr(b, op, w, a, c);
			fprintf(s, "%s%c %%%s, %%%s\n", alu[op], q, rn[c], rn[a]);
		} else if (form == 8) {
			x86_alu_ri(b, op, w, a, v);
			fprintf(s, "%s%c $%d, %%%s\n", alu[op], q, v, rn[a]);
		} else if (form == 9) {
			x86_alu_mi(b, op, w, base, d, v);
			fprintf(s, "%s%c $%d, %d(%%%s)\n", alu[op], q, v, d, r64[base]);
		} else if (t_rand() % 2) {
			x86_alu_rm(b, op, w, a, base, d);
			fprintf(s, "%s%c %d(%%%s), %%%s\n", alu[op], q, d, r64[base], rn[a]);
		} else {
			unsigned x = gpr_not_rsp();
			x86_alu_rm_ix(b, op, w, a, base, x, d);
			fprintf(s, "%s%c %d(%%%s,%%%s,1), %%%s\n", alu[op], q, d, r64[base], r64[x],
				rn[a]);
		}
		break;
	}
	case 11: {
		static const enum x86_shift ops[] = { X86_ROL, X86_ROR, X86_SHL, X86_SHR, X86_SAR };
		enum x86_shift op = ops[t_rand() % 5];
		uint8_t n = (uint8_t)(2 + t_rand() % (w ? 62 : 30));
		x86_shift_ri(b, op, w, a, n);
		fprintf(s, "%s%c $%u, %%%s\n", shift[op], q, n, rn[a]);
		break;
	}
	case 12: {
		static const enum x86_shift ops[] = { X86_ROL, X86_ROR, X86_SHL, X86_SHR, X86_SAR };
		enum x86_shift op = ops[t_rand() % 5];
		x86_shift_rcl(b, op, w, a);
		fprintf(s, "%s%c %%cl, %%%s\n", shift[op], q, rn[a]);
		break;
	}
	case 13:
		x86_imul_rr(b, w, a, c);
		fprintf(s, "imul%c %%%s, %%%s\n", q, rn[c], rn[a]);
		break;
	case 14: {
		unsigned n = 2 + (unsigned)(t_rand() % 6);
		x86_unary(b, n, w, a);
		fprintf(s, "%s%c %%%s\n", unary[n], q, rn[a]);
		break;
	}
	case 15:
		if (t_rand() % 2) {
			uint32_t v = (uint32_t)t_rand();
			x86_test_ri(b, a, v);
			fprintf(s, "testl $%u, %%%s\n", v, r32[a]);
			break;
		}
		x86_test_rr(b, w, a, c);
		fprintf(s, "test%c %%%s, %%%s\n", q, rn[c], rn[a]);
		break;
	case 16: {
		unsigned k = (unsigned)(t_rand() % 16);
		x86_setcc(b, k, a);
		fprintf(s, "set%s %%%s\n", cc[k], r8[a]);
		break;
	}
	case 17: {
		unsigned k = (unsigned)(t_rand() % 16);
		x86_cmov(b, k, w, a, c);
		fprintf(s, "cmov%s%c %%%s, %%%s\n", cc[k], q, rn[c], rn[a]);
		break;
	}
	case 18:
		if (t_rand() % 2) {
			x86_movq_xr(b, a, c);
			fprintf(s, "movq %%%s, %%xmm%u\n", r64[c], a);
		} else {
			x86_movq_rx(b, c, a);
			fprintf(s, "movq %%xmm%u, %%%s\n", a, r64[c]);
		}
		break;
	case 19: {
		static const enum x86_sse ops[] = { X86_SQRT, X86_ADDS, X86_MULS, X86_SUBS,
						    X86_MINS, X86_DIVS, X86_MAXS };
		static const char *names[] = { "sqrt", "add", "mul", "sub", "min", "div", "max" };
		unsigned k = (unsigned)(t_rand() % 7);
		x86_sse_rr(b, ops[k], w, a, c);
		fprintf(s, "%s%s %%xmm%u, %%xmm%u\n", names[k], w ? "sd" : "ss", c, a);
		break;
	}
	case 20:
		x86_ucomis(b, w, a, c);
		fprintf(s, "ucomis%c %%xmm%u, %%xmm%u\n", w ? 'd' : 's', c, a);
		break;
	case 21: {
		int32_t v = imm32();
		x86_imul_rri(b, w, a, c, v);
		fprintf(s, "imul%c $%d, %%%s, %%%s\n", q, v, rn[c], rn[a]);
		break;
	}
	case 22: { /* SSE loads/stores */
		const char *m = w ? "movsd" : "movss";
		if (t_rand() % 2) {
			x86_movs_load(b, w, a, base, d);
			fprintf(s, "%s %d(%%%s), %%xmm%u\n", m, d, r64[base], a);
		} else {
			x86_movs_store(b, w, a, base, d);
			fprintf(s, "%s %%xmm%u, %d(%%%s)\n", m, a, d, r64[base]);
		}
		break;
	}
	case 23: {
		static const enum x86_sse ops[] = { X86_SQRT, X86_ADDS, X86_MULS, X86_SUBS, X86_DIVS };
		static const char *names[] = { "sqrt", "add", "mul", "sub", "div" };
		unsigned k = (unsigned)(t_rand() % 5);
		x86_sse_rm(b, ops[k], w, a, base, d);
		fprintf(s, "%s%s %d(%%%s), %%xmm%u\n", names[k], w ? "sd" : "ss", d, r64[base], a);
		break;
	}
	case 24:
		x86_ucomis_rm(b, w, a, base, d);
		fprintf(s, "ucomis%c %d(%%%s), %%xmm%u\n", w ? 'd' : 's', d, r64[base], a);
		break;
	case 25:
		x86_cvtsi2s(b, w, a, c);
		fprintf(s, "cvtsi2s%cq %%%s, %%xmm%u\n", w ? 'd' : 's', r64[c], a);
		break;
	case 26: {
		bool t = t_rand() % 2;
		x86_cvts2si(b, w, t, a, c);
		fprintf(s, "cvt%ss%c2si %%xmm%u, %%%s\n", t ? "t" : "", w ? 'd' : 's', c, r64[a]);
		break;
	}
	case 27:
		x86_cvts2s_rm(b, w, a, base, d);
		fprintf(s, "%s %d(%%%s), %%xmm%u\n", w ? "cvtsd2ss" : "cvtss2sd", d, r64[base], a);
		break;
	case 28:
		if (t_rand() % 2) {
			x86_movd_rx(b, c, a);
			fprintf(s, "movd %%xmm%u, %%%s\n", a, r32[c]);
		} else {
			uint32_t v = (uint32_t)t_rand();
			if (t_rand() % 2) {
				x86_test_mi(b, 1, base, d, v & 0xff);
				fprintf(s, "testb $%u, %d(%%%s)\n", v & 0xff, d, r64[base]);
			} else {
				x86_test_mi(b, 4, base, d, v);
				fprintf(s, "testl $%u, %d(%%%s)\n", v, d, r64[base]);
			}
		}
		break;
	case 29: {
		static const enum x86_fma ops[] = { X86_VFMADD231, X86_VFMSUB231, X86_VFNMADD231,
						    X86_VFNMSUB231 };
		static const char *names[] = { "vfmadd231", "vfmsub231", "vfnmadd231", "vfnmsub231" };
		unsigned k = (unsigned)(t_rand() % 4);
		if (t_rand() % 2) {
			x86_vfma_rm(b, ops[k], w, a, c, base, d);
			fprintf(s, "%s%s %d(%%%s), %%xmm%u, %%xmm%u\n", names[k], w ? "sd" : "ss",
				d, r64[base], c, a);
		} else {
			unsigned r = (unsigned)(t_rand() % 16);
			x86_vfma_rr(b, ops[k], w, a, c, r);
			fprintf(s, "%s%s %%xmm%u, %%xmm%u, %%xmm%u\n", names[k], w ? "sd" : "ss",
				r, c, a);
		}
		break;
	}
	case 30:
		if (t_rand() % 2) {
			x86_movapd(b, a, c);
			fprintf(s, "movapd %%xmm%u, %%xmm%u\n", c, a);
		} else {
			x86_cvts2s(b, w, a, c);
			fprintf(s, "%s %%xmm%u, %%xmm%u\n", w ? "cvtsd2ss" : "cvtss2sd", c, a);
		}
		break;
	case 31: { /* [base + index + disp] */
		unsigned ix = gpr_not_rsp();
		char m[64];
		snprintf(m, sizeof(m), "%d(%%%s,%%%s)", d, r64[base], r64[ix]);
		switch (t_rand() % 5) {
		case 0: {
			bool sign = t_rand() % 2;
			x86_load_ix(b, size, sign, a, base, ix, d);
			const char *op = size == 8 ? "movq" : size == 4 ? (sign ? "movslq" : "movl") :
					 size == 2 ? (sign ? "movswq" : "movzwl") :
						     (sign ? "movsbq" : "movzbl");
			fprintf(s, "%s %s, %%%s\n", op, m,
				(size == 8 || sign) ? r64[a] : r32[a]);
			break;
		}
		case 1: {
			x86_store_ix(b, size, a, base, ix, d);
			const char **n = size == 8 ? r64 : size == 4 ? r32 : size == 2 ? r16 : r8;
			char sfx = size == 8 ? 'q' : size == 4 ? 'l' : size == 2 ? 'w' : 'b';
			fprintf(s, "mov%c %%%s, %s\n", sfx, n[a], m);
			break;
		}
		case 2: {
			static const enum x86_alu ops[] = { X86_ADD, X86_OR, X86_AND, X86_SUB,
							    X86_XOR, X86_CMP };
			enum x86_alu op = ops[t_rand() % 6];
			x86_alu_rm_ix(b, op, w, a, base, ix, d);
			fprintf(s, "%s%c %s, %%%s\n", alu[op], q, m, rn[a]);
			break;
		}
		default: {
			bool st = t_rand() % 2;
			x86_movs_ix(b, st, w, a, base, ix, d);
			if (st)
				fprintf(s, "%s %%xmm%u, %s\n", w ? "movsd" : "movss", a, m);
			else
				fprintf(s, "%s %s, %%xmm%u\n", w ? "movsd" : "movss", m, a);
			break;
		}
		}
		break;
	}
	case 32: { /* AVX 3-operand scalar ops */
		static const enum x86_sse ops[] = { X86_SQRT, X86_ADDS, X86_MULS, X86_SUBS,
						    X86_DIVS };
		static const char *names[] = { "sqrt", "add", "mul", "sub", "div" };
		unsigned k = (unsigned)(t_rand() % 5), s1 = (unsigned)(t_rand() % 16);
		if (t_rand() % 2) {
			x86_vsse_rr(b, ops[k], w, a, s1, c);
			fprintf(s, "v%s%s %%xmm%u, %%xmm%u, %%xmm%u\n", names[k], w ? "sd" : "ss", c,
				s1, a);
		} else {
			x86_vsse_rm(b, ops[k], w, a, s1, base, d);
			fprintf(s, "v%s%s %d(%%%s), %%xmm%u, %%xmm%u\n", names[k], w ? "sd" : "ss",
				d, r64[base], s1, a);
		}
		break;
	}
	case 34: { /* AVX-512 scalar ops with static rounding */
		static const enum x86_sse ops[] = { X86_SQRT, X86_ADDS, X86_MULS, X86_SUBS,
						    X86_DIVS };
		static const char *names[] = { "sqrt", "add", "mul", "sub", "div" };
		static const char *rcs[] = { "rn", "rd", "ru", "rz" };
		unsigned k = (unsigned)(t_rand() % 5), s1 = (unsigned)(t_rand() % 16);
		unsigned rc = (unsigned)(t_rand() % 4);
		x86_evex_sse_rr(b, ops[k], w, rc, a, s1, c);
		fprintf(s, "v%s%s {%s-sae}, %%xmm%u, %%xmm%u, %%xmm%u\n", names[k], w ? "sd" : "ss",
			rcs[rc], c, s1, a);
		break;
	}
	case 37: /* ldmxcsr / stmxcsr disp(base) */
		if (t_rand() % 2) {
			x86_ldmxcsr(b, base, d);
			fprintf(s, "ldmxcsr %d(%%%s)\n", d, r64[base]);
		} else {
			x86_stmxcsr(b, base, d);
			fprintf(s, "stmxcsr %d(%%%s)\n", d, r64[base]);
		}
		break;
	case 38: { /* roundsd/roundss $imm, xmm, xmm */
		unsigned imm = (unsigned)(t_rand() % 16);
		x86_rounds(b, w, a, c, (uint8_t)imm);
		fprintf(s, "rounds%c $%u, %%xmm%u, %%xmm%u\n", w ? 'd' : 's', imm, c, a);
		break;
	}
	case 35: /* ptest disp(%rip), xmm */
		x86_ptest_rip(b, a, d);
		fprintf(s, "ptest %d(%%rip), %%xmm%u\n", d, a);
		break;
	case 39: { /* rorx $imm, src, dst */
		unsigned k = (unsigned)(t_rand() % (w ? 64 : 32));
		x86_rorx(b, w, a, c, (uint8_t)k);
		fprintf(s, "rorx $%u, %%%s, %%%s\n", k, rn[c], rn[a]);
		break;
	}
	case 40: /* cmov from memory, the AMOs' atomics */
		switch (t_rand() % 5) {
		case 0: {
			unsigned k = (unsigned)(t_rand() % 16);
			x86_cmov_rm(b, k, w, a, base, d);
			fprintf(s, "cmov%s%c %d(%%%s), %%%s\n", cc[k], q, d, r64[base], rn[a]);
			break;
		}
		case 1:
			x86_xchg_m(b, w, a, base, d);
			fprintf(s, "xchg%c %%%s, %d(%%%s)\n", q, rn[a], d, r64[base]);
			break;
		case 2:
			x86_lock_xadd_m(b, w, a, base, d);
			fprintf(s, "lock xadd%c %%%s, %d(%%%s)\n", q, rn[a], d, r64[base]);
			break;
		case 3:
			x86_lock_cmpxchg_m(b, w, a, base, d);
			fprintf(s, "lock cmpxchg%c %%%s, %d(%%%s)\n", q, rn[a], d, r64[base]);
			break;
		default: {
			static const enum x86_alu ops[] = { X86_ADD, X86_OR, X86_AND, X86_XOR };
			enum x86_alu op = ops[t_rand() % 4];
			x86_lock_alu_mr(b, op, w, base, d, a);
			fprintf(s, "lock %s%c %%%s, %d(%%%s)\n", alu[op], q, rn[a], d, r64[base]);
			break;
		}
		}
		break;
	case 33: /* vptest disp(%rip), xmm */
		x86_vptest_rip(b, a, d);
		fprintf(s, "vptest %d(%%rip), %%xmm%u\n", d, a);
		break;
	default: {
		unsigned r = gpr_not_rsp();
		if (t_rand() % 2) {
			x86_push(b, r);
			fprintf(s, "push %%%s", r64[r]);
		} else {
			x86_pop(b, r);
			fprintf(s, "pop %%%s", r64[r]);
		}
		if (t_rand() % 2) {
			x86_cqo(b, w);
			fprintf(s, w ? "; cqto" : "; cltd");
		}
		if (t_rand() % 4 == 0) {
			x86_mfence(b);
			fprintf(s, "; mfence");
		}
		if (t_rand() % 4 == 0) {
			unsigned t = reg();
			x86_call_r(b, t);
			fprintf(s, "; call *%%%s", r64[t]);
		}
		if (t_rand() % 4 == 0) {
			unsigned t = reg();
			int32_t rel = disp();
			uint8_t *f = x86_lea_rip(b, t);
			if (!b->overflow)
				memcpy(f, &rel, 4);
			fprintf(s, "; lea %d(%%rip), %%%s", rel, r64[t]);
		}
		fprintf(s, "\n");
		break;
	}
	}
}

int main(void)
{
	static uint8_t code[N * 16], ref[N * 16];
	static size_t starts[N + 1];
	char src[300], obj[300], bin[300], cmd[4096];
	struct x86_buf b;
	t_timeout(60);
	if (system("command -v as >/dev/null && command -v objcopy >/dev/null") != 0)
		t_skip("GNU as/objcopy are not installed");
	t_seed(2026);
	snprintf(src, sizeof(src), "%s/t.s", t_tmpdir());
	snprintf(obj, sizeof(obj), "%s/t.o", t_tmpdir());
	snprintf(bin, sizeof(bin), "%s/t.bin", t_tmpdir());
	FILE *s = fopen(src, "w");
	REQUIRE(s);
	fprintf(s, ".text\n");
	x86_init(&b, code, sizeof(code));
	for (int i = 0; i < N; i++) {
		starts[i] = x86_len(&b);
		one(&b, s);
	}
	starts[N] = x86_len(&b);
	fclose(s);
	REQUIRE(!b.overflow);
	snprintf(cmd, sizeof(cmd), "as --64 -o %s %s && objcopy -O binary -j .text %s %s", obj,
		 src, obj, bin);
	REQUIRE(system(cmd) == 0);
	FILE *f = fopen(bin, "rb");
	REQUIRE(f);
	size_t n = fread(ref, 1, sizeof(ref), f);
	fclose(f);
	CHECK_EQ(n, x86_len(&b));
	for (size_t i = 0; i < n && i < x86_len(&b); i++) {
		if (code[i] != ref[i]) {
			int k = 0;
			while (starts[k + 1] <= i)
				k++;
			fprintf(stderr, "instruction %d (line %d of %s) differs at byte %zu\n", k,
				k + 2, src, i - starts[k]);
			t_failures++;
			snprintf(cmd, sizeof(cmd), "sed -n %dp %s >&2", k + 2, src);
			(void)!system(cmd);
			break;
		}
	}

	/* Branches: rel32 fields patched to their targets. */
	x86_init(&b, code, sizeof(code));
	uint8_t *j1 = x86_jcc(&b, X86_CC_NE);
	uint8_t *j2 = x86_jmp(&b);
	x86_patch_rel32(j1, b.p);
	x86_patch_rel32(j2, b.start);
	x86_ret(&b);
	static const uint8_t want[] = { 0x0f, 0x85, 5, 0, 0, 0, 0xe9, 0xf5, 0xff, 0xff, 0xff, 0xc3 };
	CHECK_EQ(x86_len(&b), sizeof(want));
	CHECK(!memcmp(code, want, sizeof(want)));

	/* Overflow is recorded, never written past the end. */
	uint8_t small[4] = { 0 };
	x86_init(&b, small, 3);
	x86_mov_imm(&b, X86_RAX, 0x123456789abcdefull);
	CHECK(b.overflow);
	CHECK_EQ(small[3], 0);
	return t_finish();
}
