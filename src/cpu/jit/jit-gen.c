/*
 * jit-gen.c - x86-64 code for one guest block.
 *
 * Host registers: RBX holds the hart; R12-R15 hold up to four guest
 * registers a block uses most (loaded at block entry, written back before
 * every helper call and at every exit, reloaded after a helper, which may
 * write any x); the other guest registers are used in place in h->x[].
 * RAX, RCX, RDX, RSI are scratch.
 * Native: RV64I/M integer ops (div rules included), lui/auipc, branches,
 * jal/jalr, integer loads/stores with the TLB fast path inline. Everything
 * else calls the interpreter's handler with a block-owned copy of its
 * struct insn (h->pc/h->npc/instret written first, exactly as the
 * interpreter loop does), and leaves the block when the handler redirects
 * (trap, jump) or raised the check flag.
 *
 * instret: each block adds its retired count at its exits (a constant per
 * exit); before a helper the count so far is added so the handler (CSR
 * reads, trap_raise) sees the interpreter's value.
 *
 * Threading: vCPU thread (the translating thread owns the code cache).
 */
#include "cpu/jit/jit-int.h"

#include <stddef.h>

#define OFF(f) ((int32_t)offsetof(struct hart, f))
#define XO(r) ((int32_t)(offsetof(struct hart, x) + 8 * (r)))
#define FO(r) ((int32_t)(offsetof(struct hart, f) + 8 * (r)))

_Static_assert(sizeof(struct tlb_ent) == 24, "the inline TLB lookup assumes 24-byte entries");

enum kind {
	K_HELP, K_END, K_ALU_RR, K_ALU_RI, K_SH_RI, K_SH_RR, K_SLT_RR, K_SLT_RI,
	K_LUI, K_AUIPC, K_JAL, K_JALR, K_BR, K_LOAD, K_STORE, K_MUL, K_MULH, K_DIV, K_FENCE, K_FLOAD, K_FSTORE,
};

/* a: x86 op / cc / size; w32: the RV64 "w" form; s: sign or variant flag */
struct form { insn_fn fn; uint8_t kind, a, w32, s; };

static const struct form forms[] = {
	{ op_add, K_ALU_RR, X86_ADD, 0, 0 }, { op_sub, K_ALU_RR, X86_SUB, 0, 0 },
	{ op_xor, K_ALU_RR, X86_XOR, 0, 0 }, { op_or, K_ALU_RR, X86_OR, 0, 0 },
	{ op_and, K_ALU_RR, X86_AND, 0, 0 }, { op_addw, K_ALU_RR, X86_ADD, 1, 0 },
	{ op_subw, K_ALU_RR, X86_SUB, 1, 0 },
	{ op_addi, K_ALU_RI, X86_ADD, 0, 0 }, { op_xori, K_ALU_RI, X86_XOR, 0, 0 },
	{ op_ori, K_ALU_RI, X86_OR, 0, 0 }, { op_andi, K_ALU_RI, X86_AND, 0, 0 },
	{ op_addiw, K_ALU_RI, X86_ADD, 1, 0 },
	{ op_slli, K_SH_RI, X86_SHL, 0, 0 }, { op_srli, K_SH_RI, X86_SHR, 0, 0 },
	{ op_srai, K_SH_RI, X86_SAR, 0, 0 }, { op_slliw, K_SH_RI, X86_SHL, 1, 0 },
	{ op_srliw, K_SH_RI, X86_SHR, 1, 0 }, { op_sraiw, K_SH_RI, X86_SAR, 1, 0 },
	{ op_sll, K_SH_RR, X86_SHL, 0, 0 }, { op_srl, K_SH_RR, X86_SHR, 0, 0 },
	{ op_sra, K_SH_RR, X86_SAR, 0, 0 }, { op_sllw, K_SH_RR, X86_SHL, 1, 0 },
	{ op_srlw, K_SH_RR, X86_SHR, 1, 0 }, { op_sraw, K_SH_RR, X86_SAR, 1, 0 },
	{ op_slt, K_SLT_RR, X86_CC_L, 0, 0 }, { op_sltu, K_SLT_RR, X86_CC_B, 0, 0 },
	{ op_slti, K_SLT_RI, X86_CC_L, 0, 0 }, { op_sltiu, K_SLT_RI, X86_CC_B, 0, 0 },
	{ op_lui, K_LUI, 0, 0, 0 }, { op_auipc, K_AUIPC, 0, 0, 0 },
	{ op_jal, K_JAL, 0, 0, 0 }, { op_jalr, K_JALR, 0, 0, 0 },
	{ op_beq, K_BR, X86_CC_E, 0, 0 }, { op_bne, K_BR, X86_CC_NE, 0, 0 },
	{ op_blt, K_BR, X86_CC_L, 0, 0 }, { op_bge, K_BR, X86_CC_GE, 0, 0 },
	{ op_bltu, K_BR, X86_CC_B, 0, 0 }, { op_bgeu, K_BR, X86_CC_AE, 0, 0 },
	{ op_lb, K_LOAD, 1, 0, 1 }, { op_lh, K_LOAD, 2, 0, 1 }, { op_lw, K_LOAD, 4, 0, 1 },
	{ op_ld, K_LOAD, 8, 0, 0 }, { op_lbu, K_LOAD, 1, 0, 0 }, { op_lhu, K_LOAD, 2, 0, 0 },
	{ op_lwu, K_LOAD, 4, 0, 0 },
	{ op_sb, K_STORE, 1, 0, 0 }, { op_sh, K_STORE, 2, 0, 0 }, { op_sw, K_STORE, 4, 0, 0 },
	{ op_sd, K_STORE, 8, 0, 0 },
	{ op_fence, K_FENCE, 0, 0, 0 },
	{ op_flw, K_FLOAD, 4, 0, 0 }, { op_fld, K_FLOAD, 8, 0, 0 },
	{ op_fsw, K_FSTORE, 4, 0, 0 }, { op_fsd, K_FSTORE, 8, 0, 0 },
	{ op_mul, K_MUL, 0, 0, 0 }, { op_mulw, K_MUL, 0, 1, 0 },
	{ op_mulh, K_MULH, X86_IMUL1, 0, 0 }, { op_mulhu, K_MULH, X86_MUL, 0, 0 },
	/* K_DIV: a = 1 for rem, s = signed */
	{ op_div, K_DIV, 0, 0, 1 }, { op_divu, K_DIV, 0, 0, 0 }, { op_rem, K_DIV, 1, 0, 1 },
	{ op_remu, K_DIV, 1, 0, 0 }, { op_divw, K_DIV, 0, 1, 1 }, { op_divuw, K_DIV, 0, 1, 0 },
	{ op_remw, K_DIV, 1, 1, 1 }, { op_remuw, K_DIV, 1, 1, 0 },
	/* helpers that end the block: they change privilege, CSRs, mappings */
	{ op_csrrw, K_END, 0, 0, 0 }, { op_csrrs, K_END, 0, 0, 0 }, { op_csrrc, K_END, 0, 0, 0 },
	{ op_csrrwi, K_END, 0, 0, 0 }, { op_csrrsi, K_END, 0, 0, 0 }, { op_csrrci, K_END, 0, 0, 0 },
	{ op_ecall, K_END, 0, 0, 0 }, { op_ebreak, K_END, 0, 0, 0 }, { op_mret, K_END, 0, 0, 0 },
	{ op_sret, K_END, 0, 0, 0 }, { op_wfi, K_END, 0, 0, 0 }, { op_fence_i, K_END, 0, 0, 0 },
	{ op_sfence_vma, K_END, 0, 0, 0 }, { op_illegal, K_END, 0, 0, 0 },
};

static const struct form help_form = { NULL, K_HELP, 0, 0, 0 };

static const struct form *form_of(insn_fn fn)
{
	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (forms[i].fn == fn)
			return &forms[i];
	return &help_form;
}

bool jit_ends_block(insn_fn fn)
{
	unsigned k = form_of(fn)->kind;
	return k == K_END || k == K_JAL || k == K_JALR || k == K_BR;
}

struct gen {
	struct x86_buf b;
	struct jit *j;
	uint32_t bi;
	unsigned pending; /* retired in this block, not yet added to instret */
	uint8_t host[32]; /* guest register -> R12..R15, 0 = in memory */
	uint32_t mapped, dirty;
	uint32_t fp;      /* jit-fp.c's per-block state */
};

static void ldx(struct gen *g, unsigned host, unsigned r)
{
	if (r == 0)
		x86_mov_imm(&g->b, host, 0);
	else if (g->host[r])
		x86_mov_rr(&g->b, true, host, g->host[r]);
	else
		x86_load(&g->b, 8, false, host, X86_RBX, XO(r));
}

static void stx(struct gen *g, unsigned r, unsigned host)
{
	if (r == 0)
		return;
	if (g->host[r]) {
		x86_mov_rr(&g->b, true, g->host[r], host);
		g->dirty |= 1u << r;
	} else {
		x86_store(&g->b, 8, host, X86_RBX, XO(r));
	}
}

/* op dst, x[r] */
static void op_rs2(struct gen *g, enum x86_alu op, bool w, unsigned dst, unsigned r)
{
	if (r == 0)
		x86_alu_ri(&g->b, op, w, dst, 0);
	else if (g->host[r])
		x86_alu_rr(&g->b, op, w, dst, g->host[r]);
	else
		x86_alu_rm(&g->b, op, w, dst, X86_RBX, XO(r));
}

/* Mapped registers written in this block go back to h->x (flags kept). */
static void writeback(struct gen *g)
{
	for (unsigned r = 1; r < 32; r++)
		if (g->dirty & (1u << r))
			x86_store(&g->b, 8, g->host[r], X86_RBX, XO(r));
}

static void reload(struct gen *g)
{
	for (unsigned r = 1; r < 32; r++)
		if (g->mapped & (1u << r))
			x86_load(&g->b, 8, false, g->host[r], X86_RBX, XO(r));
}

static void add_instret(struct gen *g, int32_t n)
{
	if (n)
		x86_alu_mi(&g->b, X86_ADD, true, X86_RBX, OFF(instret), n);
}

static void jmp_exit(struct gen *g)
{
	x86_patch_rel32(x86_jmp(&g->b), g->j->exit);
}

/* Leave with h->pc = RAX (instret already counted). */
static void exit_rax(struct gen *g)
{
	x86_store(&g->b, 8, X86_RAX, X86_RBX, OFF(pc));
	x86_mov_imm(&g->b, X86_RAX, 0);
	jmp_exit(g);
}

/* h->pc = RAX (instret counted): jump straight to its block when the jump
 * cache has it and the fetch TLB still maps it the same way; else leave. */
static void exit_probe(struct gen *g)
{
	struct x86_buf *b = &g->b;
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(pc));
	x86_mov_rr(b, false, X86_RCX, X86_RAX);
	x86_shift_ri(b, X86_SHR, false, X86_RCX, 1);
	x86_alu_ri(b, X86_AND, false, X86_RCX, (1 << JIT_JC_BITS) - 1);
	x86_shift_ri(b, X86_SHL, false, X86_RCX, 5);
	x86_mov_imm(b, X86_RDX, (uint64_t)(uintptr_t)g->j->jc);
	x86_alu_rr(b, X86_ADD, true, X86_RCX, X86_RDX);
	x86_alu_rm(b, X86_CMP, true, X86_RAX, X86_RCX, 0);
	uint8_t *m1 = x86_jcc(b, X86_CC_NE);
	x86_mov_rr(b, true, X86_RDX, X86_RAX);
	x86_shift_ri(b, X86_SHR, true, X86_RDX, 12);
	x86_mov_rr(b, false, X86_RSI, X86_RDX);
	x86_alu_ri(b, X86_AND, false, X86_RSI, TLB_SIZE - 1);
	x86_imul_rri(b, false, X86_RSI, X86_RSI, (int32_t)sizeof(struct tlb_ent));
	x86_alu_rr(b, X86_ADD, true, X86_RSI, X86_RBX);
	x86_alu_rm(b, X86_OR, true, X86_RDX, X86_RBX, OFF(xkey));
	x86_alu_rm(b, X86_CMP, true, X86_RDX, X86_RSI, OFF(tlb_x));
	uint8_t *m2 = x86_jcc(b, X86_CC_NE);
	x86_load(b, 8, false, X86_RDX, X86_RSI,
		 OFF(tlb_x) + (int32_t)offsetof(struct tlb_ent, pa_off));
	x86_alu_rm(b, X86_CMP, true, X86_RDX, X86_RCX, (int32_t)offsetof(struct jit_jc, pa_off));
	uint8_t *m3 = x86_jcc(b, X86_CC_NE);
	x86_load(b, 8, false, X86_RCX, X86_RCX, (int32_t)offsetof(struct jit_jc, code));
	x86_jmp_r(b, X86_RCX);
	x86_patch_rel32(m1, b->p);
	x86_patch_rel32(m2, b->p);
	x86_patch_rel32(m3, b->p);
	x86_mov_imm(b, X86_RAX, 0);
	jmp_exit(g);
}

/* Leave for a constant pc, adding n to instret; chainable exits return
 * their struct jit_exit so the dispatcher can patch the jmp. */
static void exit_const(struct gen *g, uint64_t target, unsigned n, bool chain)
{
	writeback(g);
	add_instret(g, (int32_t)n);
	x86_mov_imm(&g->b, X86_RAX, target);
	x86_store(&g->b, 8, X86_RAX, X86_RBX, OFF(pc));
	struct jit *j = g->j;
	if (chain && (target >> 12) != (j->blocks[g->bi].va >> 12)) {
		exit_probe(g); /* another page: never chained, try the jump cache */
		return;
	}
	if (chain && j->nexits < JIT_MAX_EXITS) {
		struct jit_exit *x = &j->exits[j->nexits++];
		x86_mov_imm(&g->b, X86_RAX, (uint64_t)(uintptr_t)x);
		uint8_t *f = x86_jmp(&g->b);
		x86_patch_rel32(f, j->exit);
		x->field = f;
		x->from = g->bi;
		x->target = target;
	} else {
		x86_mov_imm(&g->b, X86_RAX, 0);
		jmp_exit(g);
	}
}

/*
 * Call d->fn(h, d, pc) as the interpreter would. On return RAX = next pc.
 * restore: the block continues on both paths of a fast/slow split, so
 * instret is put back and the caller keeps counting (pending + 1).
 * Otherwise instret is settled and pending restarts at 0.
 * A redirect (trap, jump) or a raised check flag leaves the block.
 */
static void call_helper(struct gen *g, const struct insn *d, uint64_t pc, bool ends, bool restore)
{
	struct x86_buf *b = &g->b;
	unsigned p = g->pending;
	add_instret(g, (int32_t)p);
	writeback(g);
	g->dirty = 0; /* on this path memory is current; exits below need nothing */
	x86_mov_imm(b, X86_RDX, pc);
	x86_store(b, 8, X86_RDX, X86_RBX, OFF(pc));
	x86_lea(b, X86_RAX, X86_RDX, d->len);
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(npc));
	x86_mov_rr(b, true, X86_RDI, X86_RBX);
	x86_mov_imm(b, X86_RSI, (uint64_t)(uintptr_t)d);
	x86_call(b, (const void *)d->fn, X86_RAX);
	x86_store_imm(b, 8, X86_RBX, XO(0), 0);
	add_instret(g, 1);
	g->pending = 0;
	if (ends) {
		exit_probe(g); /* the probe rechecks the fetch TLB: privilege or
				* mapping changes made by the helper are seen */
		return;
	}
	x86_mov_imm(b, X86_RCX, pc + d->len);
	x86_alu_rr(b, X86_CMP, true, X86_RAX, X86_RCX);
	uint8_t *same = x86_jcc(b, X86_CC_E);
	exit_rax(g);
	x86_patch_rel32(same, b->p);
	x86_alu_mi(b, X86_CMP, false, X86_RBX, OFF(check), 0);
	uint8_t *quiet = x86_jcc(b, X86_CC_E);
	exit_const(g, pc + d->len, 0, false);
	x86_patch_rel32(quiet, b->p);
	if (restore) {
		add_instret(g, -(int32_t)(p + 1));
		g->pending = p; /* the caller adds this instruction */
	}
	reload(g); /* the handler may have written any x */
}

/*
 * RAX = effective address; on a TLB hit (tag, in-page) RAX becomes the
 * host pointer. Returns the jcc fields that go to the slow path.
 */
static void tlb_lookup(struct gen *g, const struct insn *d, bool store, unsigned size,
		       uint8_t *slow[2])
{
	struct x86_buf *b = &g->b;
	int32_t tlb = store ? OFF(tlb_w) : OFF(tlb_r);
	ldx(g, X86_RAX, d->rs1);
	if (d->imm)
		x86_alu_ri(b, X86_ADD, true, X86_RAX, d->imm);
	x86_mov_rr(b, true, X86_RDX, X86_RAX);
	x86_shift_ri(b, X86_SHR, true, X86_RDX, 12);
	x86_mov_rr(b, false, X86_RCX, X86_RDX);
	x86_alu_ri(b, X86_AND, false, X86_RCX, TLB_SIZE - 1);
	x86_imul_rri(b, false, X86_RCX, X86_RCX, (int32_t)sizeof(struct tlb_ent));
	x86_alu_rr(b, X86_ADD, true, X86_RCX, X86_RBX);
	x86_alu_rm(b, X86_OR, true, X86_RDX, X86_RBX, OFF(dkey));
	x86_alu_rm(b, X86_CMP, true, X86_RDX, X86_RCX, tlb);
	slow[0] = x86_jcc(b, X86_CC_NE);
	x86_mov_rr(b, false, X86_RDX, X86_RAX);
	x86_alu_ri(b, X86_AND, false, X86_RDX, 0xfff);
	x86_alu_ri(b, X86_CMP, false, X86_RDX, (int32_t)(4096 - size));
	slow[1] = x86_jcc(b, X86_CC_A);
	x86_alu_rm(b, X86_ADD, true, X86_RAX, X86_RCX,
		   tlb + (int32_t)offsetof(struct tlb_ent, host_off));
}

static void gen_mem(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	struct x86_buf *b = &g->b;
	bool fp = f->kind == K_FLOAD || f->kind == K_FSTORE;
	bool store = f->kind == K_STORE || f->kind == K_FSTORE;
	uint8_t *slow[4] = { NULL, NULL, NULL, NULL };
	if (fp) { /* FS off: the handler raises illegal instruction */
		x86_load(b, 8, false, X86_RDX, X86_RBX, OFF(mstatus));
		x86_alu_ri(b, X86_AND, false, X86_RDX, (int32_t)MS_FS);
		slow[3] = x86_jcc(b, X86_CC_E);
	}
	tlb_lookup(g, d, store, f->a, slow);
	if (store) {
		/* a live LR reservation needs the slow path's snoop */
		x86_load(b, 1, false, X86_RDX, X86_RBX, OFF(resv_valid));
		x86_test_rr(b, false, X86_RDX, X86_RDX);
		slow[2] = x86_jcc(b, X86_CC_NE);
		if (fp)
			x86_load(b, 8, false, X86_RDX, X86_RBX, FO(d->rs2));
		else
			ldx(g, X86_RDX, d->rs2);
		x86_store(b, f->a, X86_RDX, X86_RAX, 0);
	} else if (fp) {
		x86_load(b, f->a, false, X86_RAX, X86_RAX, 0);
		if (f->a == 4) { /* NaN-box the single */
			x86_mov_imm(b, X86_RDX, 0xffffffff00000000ull);
			x86_alu_rr(b, X86_OR, true, X86_RAX, X86_RDX);
		}
		x86_store(b, 8, X86_RAX, X86_RBX, FO(d->rd));
		x86_alu_mi(b, X86_OR, true, X86_RBX, OFF(mstatus), (int32_t)MS_FS);
	} else {
		x86_load(b, f->a, f->s, X86_RAX, X86_RAX, 0);
		stx(g, d->rd, X86_RAX);
	}
	uint8_t *done = x86_jmp(b);
	for (int i = 0; i < 4; i++)
		if (slow[i])
			x86_patch_rel32(slow[i], b->p);
	uint32_t dirty = g->dirty; /* what the fast path left unwritten */
	call_helper(g, d, pc, false, true);
	g->dirty = dirty;
	x86_patch_rel32(done, b->p);
	g->pending++;
}

/* Result in RAX; 32-bit forms sign-extend it. */
static void finish_rax(struct gen *g, const struct form *f, const struct insn *d)
{
	if (f->w32)
		x86_extend_rr(&g->b, 4, true, X86_RAX, X86_RAX);
	stx(g, d->rd, X86_RAX);
}

static void gen_div(struct gen *g, const struct form *f, const struct insn *d)
{
	struct x86_buf *b = &g->b;
	bool w = !f->w32, rem = f->a;
	ldx(g, X86_RAX, d->rs1);
	ldx(g, X86_RCX, d->rs2);
	x86_test_rr(b, w, X86_RCX, X86_RCX);
	uint8_t *zero = x86_jcc(b, X86_CC_E), *ovf = NULL, *notm1 = NULL;
	if (f->s) {
		x86_alu_ri(b, X86_CMP, w, X86_RCX, -1);
		notm1 = x86_jcc(b, X86_CC_NE);
		if (w) {
			x86_mov_imm(b, X86_RDX, 1ull << 63);
			x86_alu_rr(b, X86_CMP, true, X86_RAX, X86_RDX);
		} else {
			x86_alu_ri(b, X86_CMP, false, X86_RAX, INT32_MIN);
		}
		ovf = x86_jcc(b, X86_CC_E);
		x86_patch_rel32(notm1, b->p);
		x86_cqo(b, w);
		x86_unary(b, X86_IDIV, w, X86_RCX);
	} else {
		x86_mov_imm(b, X86_RDX, 0);
		x86_unary(b, X86_DIV, w, X86_RCX);
	}
	if (rem)
		x86_mov_rr(b, true, X86_RAX, X86_RDX);
	uint8_t *done1 = x86_jmp(b);
	x86_patch_rel32(zero, b->p); /* x / 0 = -1, x % 0 = x */
	if (!rem)
		x86_mov_imm(b, X86_RAX, UINT64_MAX);
	uint8_t *done2 = x86_jmp(b);
	if (ovf) { /* MIN / -1 = MIN, MIN % -1 = 0 */
		x86_patch_rel32(ovf, b->p);
		if (rem)
			x86_mov_imm(b, X86_RAX, 0);
	}
	x86_patch_rel32(done1, b->p);
	x86_patch_rel32(done2, b->p);
	finish_rax(g, f, d);
}

static void gen_branch(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	struct x86_buf *b = &g->b;
	ldx(g, X86_RAX, d->rs1);
	op_rs2(g, X86_CMP, true, X86_RAX, d->rs2);
	uint8_t *taken = x86_jcc(b, f->a);
	unsigned n = g->pending + 1;
	exit_const(g, pc + d->len, n, true);
	x86_patch_rel32(taken, b->p);
	exit_const(g, pc + (uint64_t)(int64_t)d->imm, n, true);
}

/* Integer ops that only touch registers. */
static void gen_alu(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	struct x86_buf *b = &g->b;
	bool w = !f->w32;
	switch (f->kind) {
	case K_ALU_RR:
		ldx(g, X86_RAX, d->rs1);
		op_rs2(g, f->a, w, X86_RAX, d->rs2);
		break;
	case K_ALU_RI:
		ldx(g, X86_RAX, d->rs1);
		x86_alu_ri(b, f->a, w, X86_RAX, d->imm);
		break;
	case K_SH_RI:
		ldx(g, X86_RAX, d->rs1);
		x86_shift_ri(b, f->a, w, X86_RAX, (uint8_t)(d->imm & (w ? 63 : 31)));
		break;
	case K_SH_RR:
		ldx(g, X86_RCX, d->rs2);
		ldx(g, X86_RAX, d->rs1);
		x86_shift_rcl(b, f->a, w, X86_RAX);
		break;
	case K_SLT_RR:
	case K_SLT_RI:
		ldx(g, X86_RCX, d->rs1);
		x86_mov_imm(b, X86_RAX, 0); /* before the compare: xor clobbers flags */
		if (f->kind == K_SLT_RI)
			x86_alu_ri(b, X86_CMP, true, X86_RCX, d->imm);
		else
			op_rs2(g, X86_CMP, true, X86_RCX, d->rs2);
		x86_setcc(b, f->a, X86_RAX);
		break;
	case K_LUI:
		x86_mov_imm(b, X86_RAX, (uint64_t)(int64_t)d->imm);
		break;
	case K_AUIPC:
		x86_mov_imm(b, X86_RAX, pc + (uint64_t)(int64_t)d->imm);
		break;
	case K_MUL:
		ldx(g, X86_RAX, d->rs1);
		ldx(g, X86_RCX, d->rs2);
		x86_imul_rr(b, w, X86_RAX, X86_RCX);
		break;
	case K_MULH:
		ldx(g, X86_RAX, d->rs1);
		ldx(g, X86_RCX, d->rs2);
		x86_unary(b, f->a, true, X86_RCX);
		x86_mov_rr(b, true, X86_RAX, X86_RDX);
		break;
	case K_DIV:
		gen_div(g, f, d);
		return;
	}
	finish_rax(g, f, d);
}

/* One instruction; false when it ended the block. */
static bool gen_insn(struct gen *g, const struct insn *d, uint64_t pc)
{
	struct x86_buf *b = &g->b;
	const struct form *f = form_of(d->fn);
	switch (f->kind) {
	case K_HELP:
		if (jit_fp_gen(g, d, pc)) /* F/D ops with a native fast path */
			return true;
		call_helper(g, d, pc, false, false);
		return true;
	case K_END:
		if (jit_fp_gen(g, d, pc)) { /* fflags/frm/fcsr accesses */
			exit_const(g, pc + d->len, g->pending, true);
			return false;
		}
		call_helper(g, d, pc, true, false);
		return false;
	case K_FENCE: /* the interpreter's fence is a host full barrier too */
		x86_mfence(b);
		g->pending++;
		return true;
	case K_LOAD:
	case K_STORE:
	case K_FLOAD:
	case K_FSTORE:
		gen_mem(g, f, d, pc);
		return true;
	case K_BR:
		gen_branch(g, f, d, pc);
		return false;
	case K_JAL:
		if (d->rd) {
			x86_mov_imm(b, X86_RAX, pc + d->len);
			stx(g, d->rd, X86_RAX);
		}
		exit_const(g, pc + (uint64_t)(int64_t)d->imm, g->pending + 1, true);
		return false;
	case K_JALR:
		ldx(g, X86_RAX, d->rs1);
		if (d->imm)
			x86_alu_ri(b, X86_ADD, true, X86_RAX, d->imm);
		x86_alu_ri(b, X86_AND, true, X86_RAX, -2);
		if (d->rd) {
			x86_mov_imm(b, X86_RCX, pc + d->len);
			stx(g, d->rd, X86_RCX);
		}
		writeback(g);
		add_instret(g, (int32_t)g->pending + 1);
		exit_probe(g);
		return false;
	default:
		if (d->rd)
			gen_alu(g, f, d, pc);
		g->pending++;
		return true;
	}
}

/* The (up to) four registers the block's native code uses most. */
static void choose_regs(struct gen *g, const struct insn *const *ins, unsigned n)
{
	unsigned cnt[32] = { 0 };
	for (unsigned i = 0; i < n; i++) {
		unsigned k = form_of(ins[i]->fn)->kind;
		if (k == K_HELP || k == K_END)
			continue;
		cnt[ins[i]->rs1]++;
		if (k == K_FLOAD || k == K_FSTORE)
			continue; /* rd/rs2 name f registers */
		if (k == K_ALU_RR || k == K_SH_RR || k == K_SLT_RR || k == K_BR || k == K_STORE ||
		    k == K_MUL || k == K_MULH || k == K_DIV)
			cnt[ins[i]->rs2]++;
		cnt[ins[i]->rd]++;
	}
	cnt[0] = 0;
	static const uint8_t regs[4] = { X86_R12, X86_R13, X86_R14, X86_R15 };
	for (unsigned k = 0; k < 4; k++) {
		unsigned best = 0;
		for (unsigned r = 1; r < 32; r++)
			if (!g->host[r] && cnt[r] > cnt[best])
				best = r;
		if (cnt[best] < 2)
			break;
		g->host[best] = regs[k];
		g->mapped |= 1u << best;
	}
}

bool jit_gen_block(struct jit *j, struct hart *h, uint32_t bi,
		   const struct insn *const *ins, unsigned n)
{
	(void)h;
	struct jit_block *blk = &j->blocks[bi];
	struct gen g = { .j = j, .bi = bi, .pending = 0, .mapped = 0, .dirty = 0 };
	memset(g.host, 0, sizeof(g.host));
	x86_init(&g.b, j->code + j->used, JIT_CODE_SIZE - j->used);
	struct x86_buf *b = &g.b;
	blk->code = b->p;
	/* entry: a kick or interrupt, or an exhausted budget, goes back out */
	x86_alu_mi(b, X86_CMP, false, X86_RBX, OFF(check), 0);
	uint8_t *chk = x86_jcc(b, X86_CC_NE);
	x86_alu_mi(b, X86_SUB, true, X86_RBX, OFF(jit_budget), (int32_t)n);
	uint8_t *low = x86_jcc(b, X86_CC_L);
	choose_regs(&g, ins, n);
	reload(&g);
	uint64_t pc = blk->va;
	bool open = true;
	for (unsigned i = 0; i < n && open; i++) {
		open = gen_insn(&g, ins[i], pc);
		pc += ins[i]->len;
	}
	if (open)
		exit_const(&g, pc, g.pending, true);
	x86_patch_rel32(low, b->p);
	x86_alu_mi(b, X86_ADD, true, X86_RBX, OFF(jit_budget), (int32_t)n);
	x86_patch_rel32(chk, b->p);
	x86_mov_imm(b, X86_RAX, 0);
	jmp_exit(&g);
	if (b->overflow)
		return false;
	j->used += x86_len(b);
	j->used = (j->used + 15) & ~(size_t)15;
	return true;
}

void jit_gen_trampolines(struct jit *j)
{
	struct x86_buf b;
	x86_init(&b, j->code, 64);
	/* enter(h, entry): RBX = h for the whole run; the push keeps the
	 * stack 16-byte aligned for helper calls */
	static const uint8_t saved[5] = { X86_RBX, X86_R12, X86_R13, X86_R14, X86_R15 };
	for (int i = 0; i < 5; i++) /* 5 pushes keep the 16-byte alignment */
		x86_push(&b, saved[i]);
	x86_mov_rr(&b, true, X86_RBX, X86_RDI);
	x86_jmp_r(&b, X86_RSI);
	j->exit = b.p;
	for (int i = 4; i >= 0; i--)
		x86_pop(&b, saved[i]);
	x86_ret(&b);
	j->enter = (void *(*)(struct hart *, void *))(uintptr_t)j->code;
	j->used = 64;
}

/* ---- for jit-fp.c (see jit-int.h) ---- */
struct x86_buf *jit_gen_buf(struct gen *g) { return &g->b; }
uint32_t *jit_gen_fpstate(struct gen *g) { return &g->fp; }
void jit_gen_ldx(struct gen *g, unsigned host, unsigned r) { ldx(g, host, r); }
void jit_gen_stx(struct gen *g, unsigned r, unsigned host) { stx(g, r, host); }

void jit_gen_slow_path(struct gen *g, const struct insn *d, uint64_t pc, uint8_t *const *slow,
		       unsigned n)
{
	struct x86_buf *b = &g->b;
	if (n) {
		uint8_t *done = x86_jmp(b);
		for (unsigned i = 0; i < n; i++)
			x86_patch_rel32(slow[i], b->p);
		uint32_t dirty = g->dirty; /* what the fast path left unwritten */
		call_helper(g, d, pc, false, true);
		g->dirty = dirty;
		x86_patch_rel32(done, b->p);
	}
	g->pending++;
}
