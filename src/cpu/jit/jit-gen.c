/*
 * jit-gen.c - x86-64 code for one guest block.
 *
 * Host registers: RBX holds the hart; RBP the instruction budget (a copy
 * of h->jit_budget kept in a register across chained blocks); R12-R15,
 * then R8-R11, RSI and RDI hold up to ten guest registers a block uses
 * most (loaded at their first use - a block is straight-line code with
 * side exits, so the generator knows at each point which are loaded -,
 * written back before every helper call and at every exit; the helper
 * stub keeps them, and after a helper, which writes at most x[rd], rd is
 * reloaded); the other guest registers are used in place in h->x[]. RAX,
 * RCX, RDX are scratch (and carry the helper stub's arguments); the
 * jump-cache probe also clobbers RSI, after the exit's write-back
 * (Linux's copy loops use eleven registers: with eight, three lived in
 * memory). XMM2-XMM15 hold f registers in the same way (choose_fregs;
 * all of them are reloaded after a call: no XMM register is callee-saved),
 * XMM0-XMM1 are jit-fp.c's scratch.
 * Native: RV64I/M integer ops (div rules included), lui/auipc, branches,
 * jal/jalr, integer loads/stores with the TLB fast path inline (jit-mem.c,
 * which shares struct gen through jit-gen.h), AMOs and LR/SC likewise
 * (jit-amo.c).
 * Everything
 * else calls the interpreter's handler with a copy of its struct insn
 * placed after the block's code (h->pc/h->npc/instret written first,
 * exactly as the interpreter loop does), and leaves the block when the
 * handler redirects (trap, jump) or raised the check flag.
 *
 * instret: a block charges its length to RBP at entry; instret is not
 * touched by generated code but derived from the budget: the true count is
 * h->instret + (h->jit_budget - RBP) - u, where u (a constant at each point
 * of the block) is the number of charged instructions not yet retired.
 * Before a helper, h->instret and h->jit_budget are settled (so handlers -
 * CSR reads, trap_raise - see the interpreter's value); an exit adds u back
 * to RBP and the exit trampoline settles the two fields.
 *
 * A block entry (sub n, %rbp) and a loop block's back edge test the
 * budget and the check flag with one compare of RBP against h->check: 0,
 * or INT64_MAX when raised (hart_request_check), so either leaves.
 *
 * h->pc is stored only when leaving generated code: a chained jump goes
 * straight to the next block, whose entry stores its own pc when it turns
 * back (check flag or budget).
 *
 * Threading: vCPU thread (the translating thread owns the code cache).
 */
#include "cpu/jit/jit-gen.h"

#include <stddef.h>
#include <stdlib.h>

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
	/* K_AMO: a = size, s = the operation (jit-amo.c) */
	{ op_amoswap_w, K_AMO, 4, 0, AMO_SWAP }, { op_amoswap_d, K_AMO, 8, 0, AMO_SWAP },
	{ op_amoadd_w, K_AMO, 4, 0, AMO_ADD }, { op_amoadd_d, K_AMO, 8, 0, AMO_ADD },
	{ op_amoxor_w, K_AMO, 4, 0, AMO_XOR }, { op_amoxor_d, K_AMO, 8, 0, AMO_XOR },
	{ op_amoand_w, K_AMO, 4, 0, AMO_AND }, { op_amoand_d, K_AMO, 8, 0, AMO_AND },
	{ op_amoor_w, K_AMO, 4, 0, AMO_OR }, { op_amoor_d, K_AMO, 8, 0, AMO_OR },
	{ op_amomin_w, K_AMO, 4, 0, AMO_MIN }, { op_amomin_d, K_AMO, 8, 0, AMO_MIN },
	{ op_amomax_w, K_AMO, 4, 0, AMO_MAX }, { op_amomax_d, K_AMO, 8, 0, AMO_MAX },
	{ op_amominu_w, K_AMO, 4, 0, AMO_MINU }, { op_amominu_d, K_AMO, 8, 0, AMO_MINU },
	{ op_amomaxu_w, K_AMO, 4, 0, AMO_MAXU }, { op_amomaxu_d, K_AMO, 8, 0, AMO_MAXU },
	/* K_LRSC: a = size, s = 1 for sc (jit-amo.c) */
	{ op_lr_w, K_LRSC, 4, 0, 0 }, { op_lr_d, K_LRSC, 8, 0, 0 },
	{ op_sc_w, K_LRSC, 4, 0, 1 }, { op_sc_d, K_LRSC, 8, 0, 1 },
	/* helpers that end the block: they change privilege, CSRs, mappings */
	{ op_csrrw, K_END, 0, 0, 0 }, { op_csrrs, K_END, 0, 0, 0 }, { op_csrrc, K_END, 0, 0, 0 },
	{ op_csrrwi, K_END, 0, 0, 0 }, { op_csrrsi, K_END, 0, 0, 0 }, { op_csrrci, K_END, 0, 0, 0 },
	{ op_ecall, K_END, 0, 0, 0 }, { op_ebreak, K_END, 0, 0, 0 }, { op_mret, K_END, 0, 0, 0 },
	{ op_sret, K_END, 0, 0, 0 }, { op_wfi, K_END, 0, 0, 0 }, { op_fence_i, K_END, 0, 0, 0 },
	{ op_sfence_vma, K_END, 0, 0, 0 }, { op_illegal, K_END, 0, 0, 0 },
};

static const struct form help_form = { NULL, K_HELP, 0, 0, 0 };

#define NFORMS (sizeof(forms) / sizeof(forms[0]))
#define FORM_HASH_BITS 9
_Static_assert(NFORMS < (1u << FORM_HASH_BITS) / 2, "the form hash must stay sparse");

/* fn -> forms index + 1 (0 = empty), open addressing; built once by
 * jit_gen_trampolines (on the thread that sets the accelerator, before
 * any hart runs), read-only afterwards. A linear search per instruction
 * was a large part of translation time. */
static uint16_t form_hash[1u << FORM_HASH_BITS];

static unsigned form_slot(insn_fn fn)
{
	return (unsigned)((((uintptr_t)fn >> 2) * 0x9e3779b97f4a7c15ull) >> (64 - FORM_HASH_BITS));
}

static void forms_init(void)
{
	if (form_hash[form_slot(forms[0].fn)])
		return; /* built already */
	for (unsigned i = 0; i < NFORMS; i++) {
		unsigned s = form_slot(forms[i].fn);
		while (form_hash[s])
			s = (s + 1) & ((1u << FORM_HASH_BITS) - 1);
		form_hash[s] = (uint16_t)(i + 1);
	}
}

static const struct form *form_of(insn_fn fn)
{
	for (unsigned s = form_slot(fn);; s = (s + 1) & ((1u << FORM_HASH_BITS) - 1)) {
		unsigned k = form_hash[s];
		if (!k)
			return &help_form;
		if (forms[k - 1].fn == fn)
			return &forms[k - 1];
	}
}

bool jit_ends_block(const struct insn *d)
{
	unsigned k = form_of(d->fn)->kind;
	if (k == K_END && jit_fp_csr(d))
		return false; /* fflags/frm/fcsr: native, the block goes on */
	return k == K_END || k == K_JAL || k == K_JALR; /* branches are side exits */
}

/* op dst, x[r] */
static void op_rs2(struct gen *g, enum x86_alu op, bool w, unsigned dst, unsigned r)
{
	if (r == 0)
		x86_alu_ri(&g->b, op, w, dst, 0);
	else if (hreg(g, r))
		x86_alu_rr(&g->b, op, w, dst, g->host[r]);
	else
		x86_alu_rm(&g->b, op, w, dst, X86_RBX, XO(r));
}

/* Mapped registers written in this block go back to h->x and h->f
 * (flags kept). */
static void writeback(struct gen *g)
{
	for (uint32_t m = g->dirty & ~1u; m; m &= m - 1) {
		unsigned r = (unsigned)__builtin_ctz(m);
		x86_store(&g->b, 8, g->host[r], X86_RBX, XO(r));
	}
	for (uint32_t m = g->fdirty; m; m &= m - 1) {
		unsigned r = (unsigned)__builtin_ctz(m);
		x86_movs_store(&g->b, true, g->fhost[r], X86_RBX, FO(r));
	}
}

/* Host copies of the loaded registers from h->x (after memory changed;
 * unused now that helpers write at most rd, kept for translators that
 * call something that may write several). */
__attribute__((unused)) static void reload(struct gen *g)
{
	for (uint32_t m = g->loaded & ~1u; m; m &= m - 1) {
		unsigned r = (unsigned)__builtin_ctz(m);
		x86_load(&g->b, 8, false, g->host[r], X86_RBX, XO(r));
	}
}

/* Charged but not yet retired instructions of the block at this point. */
static int32_t unretired(const struct gen *g)
{
	return (int32_t)g->n - (int32_t)g->pending;
}

/* Before leaving: give the unretired part of the charge back to RBP. */
void jit_gen_settle_budget(struct gen *g)
{
	if (unretired(g))
		x86_lea(&g->b, X86_RBP, X86_RBP, unretired(g));
}

static void jmp_exit(struct gen *g)
{
	x86_patch_rel32(x86_jmp(&g->b), g->j->exit);
}

/* pc = RAX, at the end of the block: the probe stub returns the code of
 * pc's block in RCX when the jump cache has it and the fetch TLB still
 * maps it the same way, else it leaves with h->pc = RAX. The indirect
 * jump stays here, so each site has its own branch prediction. */
static void exit_probe(struct gen *g)
{
	jit_gen_settle_budget(g);
	x86_call(&g->b, g->j->probe, X86_RCX);
	x86_jmp_r(&g->b, X86_RCX);
}

/* RINGVM_JIT_STATS: add 1 to the counter at c (clobbers RDX) */
void jit_gen_count(struct jit *j, struct x86_buf *b, uint64_t *c)
{
	if (!j->stats)
		return;
	x86_mov_imm(b, X86_RDX, (uint64_t)(uintptr_t)c);
	x86_alu_mi(b, X86_ADD, true, X86_RDX, 0, 1);
}

/* rd (or rs1) of a call (return): ra or t0, as the ABI's link registers */
static bool is_link(unsigned r)
{
	return r == 1 || r == 5;
}

/* A same-page exit the dispatcher can chain (the caller checked there is
 * room in j->exits): a jmp to a stub right behind it that stores the pc
 * (target; already in RAX when in_rax) and returns its struct jit_exit,
 * so the dispatcher can patch the jmp to the target block. */
void jit_gen_chained_exit(struct gen *g, uint64_t target, bool in_rax)
{
	struct x86_buf *b = &g->b;
	struct jit_exit *x = &g->j->exits[g->j->nexits++];
	uint8_t *f = x86_jmp(b);

	x86_patch_rel32(f, b->p);
	if (!in_rax)
		x86_mov_imm(b, X86_RAX, target);
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(pc));
	x86_mov_imm(b, X86_RAX, (uint64_t)(uintptr_t)x);
	jmp_exit(g);
	*x = (struct jit_exit){ .field = f, .from = g->bi, .target = target };
}

/*
 * RINGVM_JIT_BREAK (tests only: see jit-int.h): a deliberate miscompile on
 * the way into every pass after the first - a kept register (the highest
 * one the block writes, else the highest kept) gets 1 added, or the first
 * cached run's host_off 8 -, so tests can show that check mode reports
 * loop-block differences.
 */
static void test_break(struct gen *g)
{
	struct x86_buf *b = &g->b;
	if (g->j->test_break == JIT_BREAK_RUN) {
		for (unsigned o = 0; o < g->nruns; o++) {
			const struct run *r = &g->runs[o];
			if (!r->cached)
				continue;
			if (r->reg)
				x86_alu_ri(b, X86_ADD, true, r->reg, 8);
			else
				x86_alu_mi(b, X86_ADD, true, X86_RBX, r->slot, 8);
			return;
		}
		return;
	}
	uint32_t m = g->loop_dirty ? g->loop_dirty : g->mapped;
	if (m) /* the highest: an accumulator more often than a temporary */
		x86_alu_ri(b, X86_ADD, true, g->host[31 - __builtin_clz(m)], 1);
}

/*
 * A jump back to the start of a loop block: the check flag and the budget
 * are tested as at a block entry, then the body runs again with every
 * mapped register still in its host register (all loaded; those the
 * block writes anywhere counted dirty: see jit_gen_block). RBP: the unretired part of this pass is
 * given back and the next pass charged, sub pending in all; RBP below
 * h->check (0, or more than any budget when raised) leaves, the new
 * charge undone. Two instructions and a fused compare-and-branch a pass
 * (a separate test of the flag, an immediate compared with memory, does
 * not fuse).
 */
static void back_edge(struct gen *g)
{
	struct x86_buf *b = &g->b;
	uint64_t va = g->j->blocks[g->bi].va;
	x86_alu_ri(b, X86_SUB, true, X86_RBP, (int32_t)g->pending);
	x86_alu_rm(b, X86_CMP, true, X86_RBP, X86_RBX, OFF(check));
	if (g->j->test_break) {
		uint8_t *no = x86_jcc(b, X86_CC_L);
		test_break(g);
		x86_patch_rel32(x86_jmp(b), g->head);
		x86_patch_rel32(no, b->p);
	} else {
		x86_patch_rel32(x86_jcc(b, X86_CC_GE), g->head);
	}
	x86_alu_ri(b, X86_ADD, true, X86_RBP, (int32_t)g->n); /* undo the new charge */
	uint32_t dirty = g->dirty, fdirty = g->fdirty;
	g->dirty = g->loop_dirty;
	g->fdirty = g->loop_fdirty;
	writeback(g);
	g->dirty = dirty;
	g->fdirty = fdirty;
	x86_mov_imm(b, X86_RAX, va);
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(pc));
	x86_mov_imm(b, X86_RAX, 0);
	jmp_exit(g);
}

/*
 * Leave for target in another page, registers written back: the guarded
 * link of struct jit_exit (see jit-int.h), unlinked at first; without a
 * free exit (or under RINGVM_JIT_XLINK=0), the probe as before.
 */
static void exit_xpage(struct gen *g, uint64_t target)
{
	struct x86_buf *b = &g->b;
	struct jit *j = g->j;
	if (j->nexits >= JIT_MAX_EXITS || j->no_xlink) {
		x86_mov_imm(b, X86_RAX, target);
		exit_probe(g);
		return;
	}
	jit_gen_settle_budget(g);
	struct jit_exit *x = &j->exits[j->nexits++];
	int32_t e = OFF(tlb_x) + (int32_t)(hart_xidx(target) * sizeof(struct tlb_ent));
	x86_mov_imm(b, X86_RAX, target >> 12);
	x86_alu_rm(b, X86_OR, true, X86_RAX, X86_RBX, OFF(xkey));
	x86_alu_rm(b, X86_CMP, true, X86_RAX, X86_RBX, e);
	uint8_t *tag_miss = x86_jcc(b, X86_CC_NE);
	x->pa_imm = x86_mov_imm64(b, X86_RAX, 0);
	x86_alu_rm(b, X86_CMP, true, X86_RAX, X86_RBX,
		   e + (int32_t)offsetof(struct tlb_ent, pa_off));
	uint8_t *pa_miss = x86_jcc(b, X86_CC_NE);
	x->field = x86_jmp(b); /* linked: the target block */
	x86_patch_rel32(tag_miss, b->p);
	x86_patch_rel32(pa_miss, b->p);
	x->miss = x86_jmp(b); /* linked: the probe right behind it */
	x86_mov_imm(b, X86_RAX, target);
	x86_call(b, j->probe, X86_RCX);
	x86_jmp_r(b, X86_RCX);
	x->stub = b->p;
	x86_patch_rel32(x->field, x->stub);
	x86_patch_rel32(x->miss, x->stub);
	x86_mov_imm(b, X86_RAX, (uint64_t)(uintptr_t)x);
	x86_patch_rel32(x86_jmp(b), j->xexit);
	x->from = g->bi;
	x->target = target;
	x->linked = false;
}

/* Leave for a constant pc. n is unused (kept for callers): the retired
 * count is g->pending. A chainable exit is a jmp to a stub right behind
 * it that stores the pc and returns its struct jit_exit, so the dispatcher
 * can patch the jmp to the target block (the stub is then skipped). */
void jit_gen_exit_const(struct gen *g, uint64_t target, unsigned n, bool chain)
{
	(void)n;
	struct x86_buf *b = &g->b;
	struct jit *j = g->j;
	if (chain && g->head && target == j->blocks[g->bi].va) {
		back_edge(g);
		return;
	}
	writeback(g);
	if (chain && (target >> 12) != (j->blocks[g->bi].va >> 12)) {
		exit_xpage(g, target);
		return;
	}
	jit_gen_settle_budget(g);
	if (chain && j->nexits < JIT_MAX_EXITS) {
		jit_gen_chained_exit(g, target, false);
	} else {
		x86_mov_imm(b, X86_RAX, target);
		x86_store(b, 8, X86_RAX, X86_RBX, OFF(pc));
		x86_mov_imm(b, X86_RAX, 0);
		jmp_exit(g);
	}
}

/* After a helper: it may have written x[rd] (the call stub keeps the
 * caller-saved R8-R11, RSI, RDI); on a slow path, registers the fast path loaded
 * after the split (not in keep_ok) are loaded here too. */
static void reload_after_call(struct gen *g, unsigned rd)
{
	for (uint32_t m = g->loaded & ~1u; m; m &= m - 1) {
		unsigned r = (unsigned)__builtin_ctz(m);
		if (r == rd || !(g->keep_ok & (1u << r)))
			x86_load(&g->b, 8, false, g->host[r], X86_RBX, XO(r));
	}
	for (uint32_t m = g->floaded; m; m &= m - 1) {
		unsigned r = (unsigned)__builtin_ctz(m);
		x86_movs_load(&g->b, true, g->fhost[r], X86_RBX, FO(r));
	}
}

/*
 * Call d->fn(h, d, pc) as the interpreter would, through a shared stub
 * (see jit_gen_trampolines: it settles instret and the budget, sets
 * h->pc/npc, and leaves the block on a redirect - trap, jump - or a
 * raised check flag), so a call site is ~25 bytes plus write-backs and
 * reloads. On return RAX = next pc.
 * restore: the block continues on both paths of a fast/slow split, so
 * the caller counts this instruction (pending + 1); otherwise it is
 * counted here. ends: the block ends after it, through the probe (which
 * rechecks the fetch TLB: privilege or mapping changes are seen).
 */
static void call_helper(struct gen *g, const struct insn *d, uint64_t pc, bool ends, bool restore)
{
	struct x86_buf *b = &g->b;
	writeback(g);
	g->dirty = 0; /* on this path memory is current; exits below need nothing */
	g->fdirty = 0;
	if (g->ndref < sizeof(g->dref) / sizeof(g->dref[0]))
		g->dref[g->ndref++] = (struct dref){ x86_lea_rip(b, X86_RAX), d };
	else
		b->overflow = true; /* cannot happen: at most 3 calls per insn */
	x86_mov_imm(b, X86_RDX, pc);
	x86_mov_imm(b, X86_RCX, (uint64_t)unretired(g));
	x86_call(b, ends ? g->j->call_end : g->j->call_check, X86_RSI);
	g->pending++; /* the helper's instruction is done (or trapped) */
	if (ends) {
		exit_probe(g);
		return;
	}
	if (restore)
		g->pending--; /* the caller adds this instruction */
	reload_after_call(g, d->rd);
}

/*
 * Queue the slow path of the instruction just emitted: slow[] (n entries,
 * NULL ones skipped) jump to it from the fast path; at_split/dirty_split
 * are the loaded/dirty sets before the fast path began. gen_cold emits
 * it after the block's body; it rejoins here, at the fast path's end.
 */
void jit_gen_add_cold(struct gen *g, const struct insn *d, uint64_t pc, uint8_t *const *slow,
		      unsigned n, uint32_t at_split, uint32_t dirty_split, uint32_t fdirty_split)
{
	if (g->ncold == sizeof(g->cold) / sizeof(g->cold[0]))
		abort(); /* cannot happen: at most 4 per instruction */
	struct cold *c = &g->cold[g->ncold++];
	for (unsigned k = 0; k < COLD_JUMPS; k++)
		c->slow[k] = k < n ? slow[k] : NULL;
	for (unsigned k = 0; k < COLD_LEAVE; k++)
		c->leave[k] = NULL;
	c->pre = c->resume = NULL;
	c->done = g->b.p;
	c->d = d;
	c->f = NULL;
	c->miss = NULL;
	c->pc = pc;
	c->pending = g->pending;
	c->dirty_split = dirty_split;
	c->dirty_fast = g->dirty;
	c->loaded_fast = g->loaded;
	c->at_split = at_split;
	c->fdirty_split = fdirty_split;
	c->fdirty_fast = g->fdirty;
	c->floaded_fast = g->floaded;
	c->floaded_split = g->floaded;
}

/*
 * The slow paths of the block's memory accesses. Each starts from the
 * state at its split (the fast path's rd may not hold x[rd]: it must not
 * be written back) and rejoins the fast path in that path's state: what
 * the fast path has loaded is loaded here too.
 */
static void gen_cold(struct gen *g)
{
	struct x86_buf *b = &g->b;
	for (unsigned i = 0; i < g->ncold; i++) { /* a run fallback adds one */
		struct cold *c = &g->cold[i];
		if (c->miss) {
			jit_mem_miss(g, c);
			continue;
		}
		if (c->f) {
			jit_mem_fallback(g, c);
			continue;
		}
		bool any = false;
		for (int k = 0; k < COLD_JUMPS; k++)
			any |= c->slow[k] != NULL;
		if (any || c->pre) {
			g->pending = c->pending;
			g->dirty = c->dirty_split;
			g->loaded = c->loaded_fast;
			g->fdirty = c->fdirty_split;
			g->floaded = c->floaded_fast;
			if (c->pre) { /* falls through to the handler unless it resumes */
				x86_patch_rel32(c->pre, b->p);
				jit_fp_pre(g, c->d, c->resume);
			}
			for (int k = 0; k < COLD_JUMPS; k++)
				if (c->slow[k])
					x86_patch_rel32(c->slow[k], b->p);
			g->keep_ok = c->at_split;
			call_helper(g, c->d, c->pc, false, true);
			g->keep_ok = UINT32_MAX;
			g->dirty = c->dirty_fast;
			g->fdirty = c->fdirty_fast;
			x86_patch_rel32(x86_jmp(b), c->done);
		}
		if (!c->leave[0] && !c->leave[1] && !c->leave[2])
			continue;
		/* a failed guard of block-wide state: the rest of the block
		 * assumes it, so after the handler the block is left */
		for (int k = 0; k < COLD_LEAVE; k++)
			if (c->leave[k])
				x86_patch_rel32(c->leave[k], b->p);
		g->pending = c->pending;
		g->dirty = c->dirty_split;
		g->loaded = c->loaded_fast;
		g->fdirty = c->fdirty_split;
		g->floaded = c->floaded_fast;
		call_helper(g, c->d, c->pc, true, false);
	}
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

/* A taken branch leaves the block (a chainable side exit); the block goes
 * on with the next instruction. */
static void gen_branch(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	struct x86_buf *b = &g->b;
	unsigned h1 = hreg(g, d->rs1);
	if (h1 && d->rs2 == 0) {
		x86_test_rr(b, true, h1, h1);
	} else if (h1) {
		op_rs2(g, X86_CMP, true, h1, d->rs2);
	} else {
		ldx(g, X86_RAX, d->rs1);
		op_rs2(g, X86_CMP, true, X86_RAX, d->rs2);
	}
	uint64_t target = pc + (uint64_t)(int64_t)d->imm;
	if (target > pc) {
		/* forward: mostly not taken (a loop's exit, a skipped case), so
		 * its exit goes after the body and the hot path falls through
		 * instead of jumping over it */
		struct side *s = &g->side[g->nside++];
		s->field = x86_jcc(b, (enum x86_cc)f->a);
		s->target = target;
		s->pending = ++g->pending;
		s->dirty = g->dirty;
		s->fdirty = g->fdirty;
		s->into = g->into[g->cur];
		return;
	}
	uint8_t *fall = x86_jcc(b, (enum x86_cc)(f->a ^ 1));
	g->pending++;
	jit_gen_exit_const(g, target, g->pending, true);
	x86_patch_rel32(fall, b->p);
}

/* The exits of the block's taken forward branches (gen_branch). */
static void gen_side(struct gen *g)
{
	for (unsigned i = 0; i < g->nside; i++) {
		struct side *s = &g->side[i];
		x86_patch_rel32(s->field, g->b.p);
		if (s->into) { /* the skipped instructions' charge back */
			unsigned t = s->into - 1;
			if (g->label_pending[t] != s->pending)
				x86_lea(&g->b, X86_RBP, X86_RBP,
					(int32_t)(g->label_pending[t] - s->pending));
			x86_patch_rel32(x86_jmp(&g->b), g->label[t]);
			continue;
		}
		g->pending = s->pending;
		g->dirty = s->dirty;
		g->fdirty = s->fdirty;
		jit_gen_exit_const(g, s->target, s->pending, true);
	}
}

/* Integer ops that only touch registers. */
/*
 * The common forms straight into rd's host register when rd is mapped
 * (one or two x86 instructions instead of three through RAX). False when
 * this does not apply (rd in memory, other forms, rd == rs2 != rs1).
 */
static bool gen_alu_direct(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	struct x86_buf *b = &g->b;
	unsigned hd = g->host[d->rd];
	bool w = !f->w32;
	if (!hd || (f->kind != K_ALU_RR && f->kind != K_ALU_RI && f->kind != K_SH_RI &&
		    f->kind != K_LUI && f->kind != K_AUIPC))
		return false;
	if (f->kind == K_ALU_RR && d->rs2 == d->rd && d->rs1 != d->rd) {
		/* rd = rs1 op rd: commutative ops swap; sub is neg, then add */
		if (f->a != X86_ADD && f->a != X86_XOR && f->a != X86_OR && f->a != X86_AND &&
		    f->a != X86_SUB)
			return false;
		hreg(g, d->rd);
		if (f->a == X86_SUB) {
			x86_unary(b, X86_NEG, w, hd);
			if (d->rs1)
				op_rs2(g, X86_ADD, w, hd, d->rs1);
		} else {
			op_rs2(g, f->a, w, hd, d->rs1);
		}
		if (f->w32)
			x86_extend_rr(b, 4, true, hd, hd);
	} else if (f->kind == K_LUI || f->kind == K_AUIPC) {
		x86_mov_imm(b, hd, (f->kind == K_AUIPC ? pc : 0) + (uint64_t)(int64_t)d->imm);
	} else if (f->kind == K_ALU_RI && f->a == X86_ADD && d->rs1 != d->rd && hreg(g, d->rs1)) {
		/* addiw: the low half of the 64-bit sum, sign-extended (sext.w
		 * = addiw 0: one movsxd) */
		if (w || d->imm)
			x86_lea(b, hd, g->host[d->rs1], d->imm);
		if (!w)
			x86_extend_rr(b, 4, true, hd, w || d->imm ? hd : g->host[d->rs1]);
	} else {
		if (d->rs1 == d->rd)
			hreg(g, d->rd);
		else
			ldx(g, hd, d->rs1);
		if (f->kind == K_ALU_RR)
			op_rs2(g, f->a, w, hd, d->rs2);
		else if (f->kind == K_ALU_RI)
			x86_alu_ri(b, f->a, w, hd, d->imm);
		else
			x86_shift_ri(b, f->a, w, hd, (uint8_t)(d->imm & (w ? 63 : 31)));
		if (f->w32)
			x86_extend_rr(b, 4, true, hd, hd);
	}
	g->loaded |= 1u << d->rd;
	g->dirty |= 1u << d->rd;
	return true;
}

/*
 * mv and li (add/or/xor with x0, sub of x0, and their immediate and w
 * forms): one move into rd instead of zeroing and an op. False when d is
 * not one.
 */
static bool gen_move(struct gen *g, const struct form *f, const struct insn *d)
{
	bool addlike = f->a == X86_ADD || f->a == X86_OR || f->a == X86_XOR;
	int src; /* guest register, or -1 for the immediate */
	if (f->kind == K_ALU_RI && d->rs1 == 0 && addlike)
		src = -1;
	else if (f->kind == K_ALU_RR && d->rs1 == 0 && addlike)
		src = d->rs2;
	else if (f->kind == K_ALU_RR && d->rs2 == 0 && (addlike || f->a == X86_SUB))
		src = d->rs1;
	else
		return false;
	if (!g->host[d->rd] && d->rd && src > 0 && !f->w32 && hreg(g, (unsigned)src)) {
		x86_store(&g->b, 8, g->host[src], X86_RBX, XO(d->rd)); /* in memory from a host register */
		return true;
	}
	unsigned dst = g->host[d->rd] ? g->host[d->rd] : X86_RAX;
	if (src < 0) {
		x86_mov_imm(&g->b, dst, (uint64_t)(int64_t)d->imm); /* 12 bits: w changes nothing */
	} else {
		ldx(g, dst, (unsigned)src);
		if (f->w32)
			x86_extend_rr(&g->b, 4, true, dst, dst);
	}
	if (dst == X86_RAX) {
		stx(g, d->rd, X86_RAX);
	} else {
		g->loaded |= 1u << d->rd;
		g->dirty |= 1u << d->rd;
	}
	return true;
}

static void gen_alu(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	struct x86_buf *b = &g->b;
	bool w = !f->w32;
	if (gen_move(g, f, d) || gen_alu_direct(g, f, d, pc))
		return;
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
	case K_SLT_RI: {
		/* straight into rd's host register when it is not an operand */
		unsigned h1 = hreg(g, d->rs1), hd = g->host[d->rd];
		bool direct = hd && d->rd != d->rs1 && (f->kind == K_SLT_RI || d->rd != d->rs2);
		unsigned dst = direct ? hd : X86_RAX;
		if (!h1) {
			h1 = X86_RCX;
			ldx(g, h1, d->rs1);
		}
		if (f->kind == K_SLT_RR)
			hreg(g, d->rs2); /* its load, if any, before the zeroing below */
		x86_mov_imm(b, dst, 0); /* before the compare: xor clobbers flags */
		if (f->kind == K_SLT_RI)
			x86_alu_ri(b, X86_CMP, true, h1, d->imm);
		else
			op_rs2(g, X86_CMP, true, h1, d->rs2);
		x86_setcc(b, f->a, dst);
		if (!direct)
			break;
		g->loaded |= 1u << d->rd;
		g->dirty |= 1u << d->rd;
		return;
	}
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
static bool gen_insn(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	struct x86_buf *b = &g->b;
	switch (f->kind) {
	case K_HELP:
		g->split_loaded = g->loaded;
		g->split_dirty = g->dirty;
		g->split_fdirty = g->fdirty;
		if (jit_fp_gen(g, d, pc)) /* F/D ops with a native fast path */
			return true;
		call_helper(g, d, pc, false, false);
		return true;
	case K_END:
		g->split_loaded = g->loaded;
		g->split_dirty = g->dirty;
		g->split_fdirty = g->fdirty;
		if (jit_fp_gen(g, d, pc)) /* fflags/frm/fcsr accesses */
			return true;
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
		jit_mem_gen(g, f, d, pc);
		return true;
	case K_AMO:
		jit_amo_gen(g, f, d, pc);
		return true;
	case K_LRSC:
		jit_amo_lrsc(g, f, d, pc);
		return true;
	case K_BR:
		gen_branch(g, f, d, pc);
		return true;
	case K_JAL:
		if (g->j->ras && is_link(d->rd))
			jit_ras_push(g, pc + d->len);
		if (d->rd) {
			x86_mov_imm(b, X86_RAX, pc + d->len);
			stx(g, d->rd, X86_RAX);
		}
		g->pending++;
		jit_gen_exit_const(g, pc + (uint64_t)(int64_t)d->imm, g->pending, true);
		if (g->ras_field)
			jit_ras_pad(g);
		return false;
	case K_JALR:
		if (g->j->ras && is_link(d->rd))
			jit_ras_push(g, pc + d->len);
		ldx(g, X86_RAX, d->rs1);
		if (d->imm)
			x86_alu_ri(b, X86_ADD, true, X86_RAX, d->imm);
		x86_alu_ri(b, X86_AND, true, X86_RAX, -2);
		if (d->rd) {
			x86_mov_imm(b, X86_RCX, pc + d->len);
			stx(g, d->rd, X86_RCX);
		}
		writeback(g);
		g->pending++;
		if (g->j->ras && d->rd == 0 && is_link(d->rs1))
			jit_ras_pop(g); /* a return */
		else
			exit_probe(g);
		if (g->ras_field)
			jit_ras_pad(g);
		return false;
	default:
		if (d->rd)
			gen_alu(g, f, d, pc);
		g->pending++;
		return true;
	}
}

/* The host registers guest registers may live in, in order of choice
 * (runs take the ones left: plan_runs) */
const uint8_t jit_gen_regs[10] = { X86_R12, X86_R13, X86_R14, X86_R15, X86_R8,
				  X86_R9, X86_R10, X86_R11, X86_RSI, X86_RDI };

/*
 * Host registers a loop block's shortest pass would like for its runs:
 * two per run (host_off and the cached page or limit, see jit_mem_plan),
 * a run counted at each access off a base register not used as one since
 * it was last written (an estimate: spans and helpers are not looked at).
 * choose_regs leaves that many to them rather than map registers only
 * the rarer paths after the pass use: in h->jit_run slots, every pass
 * loads them from memory.
 */
static unsigned pass_run_regs(const struct insn *const *ins, const struct form *const *fs,
			      unsigned pass)
{
	uint32_t open = 0;
	unsigned runs = 0;
	for (unsigned i = 0; i < pass; i++) {
		unsigned k = fs[i]->kind, b = ins[i]->rs1;
		if ((k == K_LOAD || k == K_STORE || k == K_FLOAD || k == K_FSTORE) && b &&
		    !(open >> b & 1)) {
			runs++;
			open |= 1u << b;
		}
		if (k != K_STORE && k != K_FSTORE && k != K_BR && k != K_FENCE && k != K_FLOAD)
			open &= ~(1u << ins[i]->rd);
	}
	return runs > 3 ? 6 : 2 * runs;
}

/* The (up to) ten registers the block's native code uses most (in a
 * loop block, any it uses: they stay in host registers across passes;
 * uses in its shortest pass, the first pass instructions, weigh 8: the
 * rest of a loop block is mostly its rarer paths). */
static void choose_regs(struct gen *g, const struct insn *const *ins,
			const struct form *const *fs, unsigned n, unsigned pass)
{
	unsigned cnt[32] = { 0 };
	bool loop = pass != 0;
	unsigned spare = loop ? pass_run_regs(ins, fs, pass) : 0;
	uint32_t in_pass = 0; /* the registers the pass uses */
	for (unsigned i = 0; i < n; i++) {
		unsigned k = fs[i]->kind, w = i < pass ? 8 : 1;
		uint32_t used;
		if (k == K_HELP || k == K_END)
			continue;
		/* U and J forms have no rs1, S and B forms no rd: the fields
		 * hold immediate bits (a junk register mapped costs a load) */
		used = k == K_LUI || k == K_AUIPC || k == K_JAL ? 0 : 1u << ins[i]->rs1;
		if (k != K_FLOAD && k != K_FSTORE) { /* their rd/rs2 name f registers */
			if (k == K_ALU_RR || k == K_SH_RR || k == K_SLT_RR || k == K_BR ||
			    k == K_STORE || k == K_MUL || k == K_MULH || k == K_DIV || k == K_AMO ||
			    k == K_LRSC)
				used |= 1u << ins[i]->rs2;
			if (k != K_BR && k != K_STORE && k != K_FENCE) /* S/B: rd is imm */
				used |= 1u << ins[i]->rd;
		}
		for (uint32_t m = used; m; m &= m - 1)
			cnt[__builtin_ctz(m)] += w;
		if (i < pass)
			in_pass |= used;
	}
	for (unsigned r = 1; r < 32 && loop; r++)
		if (in_pass >> r & 1)
			cnt[r] += 1u << 16; /* the pass's registers first */
	cnt[0] = 0;
	/* the candidates by count, most used first, ties by register number */
	uint8_t cand[31];
	unsigned nc = 0;
	for (unsigned r = 1; r < 32; r++) {
		if (cnt[r] < (loop ? 1u : 2u))
			continue;
		unsigned k = nc++;
		while (k && cnt[cand[k - 1]] < cnt[r]) {
			cand[k] = cand[k - 1];
			k--;
		}
		cand[k] = (uint8_t)r;
	}
	for (unsigned k = 0; k < nc && k < 10; k++) {
		if (!(in_pass >> cand[k] & 1) && k + spare >= 10)
			break; /* used only off the shortest pass: its runs first */
		g->host[cand[k]] = jit_gen_regs[k];
		g->mapped |= 1u << cand[k];
	}
}

/*
 * The f registers the block's native F/D code and fld/fsd use most go to
 * XMM2-XMM15 (in a loop block, any they use). Not in a block that calls a
 * helper on its way (other than its slow paths and a final CSR access or
 * system instruction): every call writes them all back and reloads them.
 */
static void choose_fregs(struct gen *g, const struct insn *const *ins,
			 const struct form *const *fs, unsigned n, bool loop)
{
	unsigned cnt[32] = { 0 }, best;
	uint32_t written = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct insn *d = ins[i];
		unsigned k = fs[i]->kind;
		uint32_t m = 0, w = 0;
		if (k == K_FLOAD)
			m = w = 1u << d->rd;
		else if (k == K_FSTORE)
			m = 1u << d->rs2;
		else if (k == K_HELP && !jit_fp_native(d, &m, &w))
			return;
		written |= w;
		for (; m; m &= m - 1)
			cnt[__builtin_ctz(m)]++;
	}
	for (unsigned x = 2; x < 16; x++) {
		best = 32;
		for (unsigned r = 0; r < 32; r++)
			if (!g->fhost[r] && cnt[r] >= (loop ? 1u : 2u) &&
			    (best == 32 || cnt[r] > cnt[best]))
				best = r;
		if (best == 32)
			break;
		g->fhost[best] = (uint8_t)x;
		g->fmapped |= 1u << best;
	}
	g->loop_fdirty = g->fmapped & written;
}

/* The x registers the block may write (more is harmless: a loop block's
 * exits write back these of its mapped ones; the others never change). */
static uint32_t x_written(const struct insn *const *ins, const struct form *const *fs,
			  unsigned n)
{
	uint32_t w = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = fs[i]->kind;
		if (k != K_STORE && k != K_FSTORE && k != K_BR && k != K_FENCE && k != K_FLOAD)
			w |= 1u << ins[i]->rd; /* helpers: rd may name an f register */
	}
	return w & ~1u;
}

/*
 * Before a loop block's head: the FP state its ops check (FS, frm, NX) is
 * checked once here, not on every pass. When it does not hold, the first
 * instruction runs by its handler and the block is left: the rest of the
 * code runs as another block whose ops check for themselves (their
 * handlers mark FS dirty and set NX, so the next entry usually passes).
 */
static void loop_prologue(struct gen *g, const struct insn *const *ins, unsigned n,
			  unsigned passes_end)
{
	uint32_t need = 0;
	uint8_t *fail[3];
	for (unsigned i = 0; i < n; i++)
		need |= jit_fp_needs(ins[i]);
	/* an fflags/frm write or an MXCSR.RC switch may undo it in a pass:
	 * the ops check. Those after the last back edge (passes_end) run
	 * once, on the way out (glibc's frflags/fsflags after an inner loop),
	 * and check anew after their write like any block's ops. */
	for (unsigned i = 0; i < passes_end; i++)
		need &= ~jit_fp_undoes(ins[i]);
	unsigned k = need ? jit_fp_prologue(g, need, fail) : 0;
	if (!k)
		return;
	uint8_t *ok = x86_jmp(&g->b);
	for (unsigned i = 0; i < k; i++)
		x86_patch_rel32(fail[i], g->b.p);
	uint32_t dirty = g->dirty, fdirty = g->fdirty;
	call_helper(g, ins[0], g->j->blocks[g->bi].va, true, false);
	g->dirty = dirty;
	g->fdirty = fdirty;
	g->pending = 0;
	x86_patch_rel32(ok, g->b.p);
}

/* 1 + the index of the first (last: the last) branch or jal of the block
 * that goes back to its first instruction, 0 when none does: the
 * instructions up to the first are the loop's shortest pass, those after
 * the last run once, on the way out. (Check mode makes loop blocks too:
 * the shadow re-runs as many instructions as all the passes retired.) */
static unsigned loops_to_start(const struct insn *const *ins, const struct form *const *fs,
			       unsigned n, uint64_t va, bool last)
{
	uint64_t pc = va;
	unsigned found = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = fs[i]->kind;
		if ((k == K_BR || k == K_JAL) && pc + (uint64_t)(int64_t)ins[i]->imm == va) {
			found = i + 1;
			if (!last)
				break;
		}
		pc += ins[i]->len;
	}
	return found;
}

/*
 * A loop block's forward branches to a later instruction t of the block
 * jump there instead of leaving (strlen's "no zero byte in this word"
 * branch goes to its back edge: as an exit, each word left the block and
 * entered it again). The state at t must hold on the jump: every mapped
 * register is loaded throughout a loop block, and what is dirty only
 * grows along its code when the skipped instructions call no helper, so
 * only the budget needs the skipped instructions' charge back. They may
 * be integer ops, loads, stores and branches; no F/D op (jit-fp.c's
 * block-wide guards hold from where they ran) and no run with members on
 * both sides of t (its head or RAX may be skipped).
 */
static void plan_into(struct gen *g, const struct insn *const *ins, const struct form *const *fs,
		      unsigned n, uint64_t va)
{
	uint64_t pcs[JIT_MAX_INSNS];
	for (unsigned i = 0, pc = 0; i < n; pc += ins[i]->len, i++)
		pcs[i] = va + pc;
	for (unsigned i = 0; i < n; i++) {
		uint64_t target = pcs[i] + (uint64_t)(int64_t)ins[i]->imm;
		if (fs[i]->kind != K_BR || target <= pcs[i])
			continue;
		unsigned t = i + 1;
		while (t < n && pcs[t] < target)
			t++;
		if (t >= n || pcs[t] != target)
			continue;
		bool ok = true;
		for (unsigned k = i + 1; k < t && ok; k++) {
			unsigned kind = fs[k]->kind;
			ok = kind == K_ALU_RR || kind == K_ALU_RI || kind == K_SH_RI || kind == K_SH_RR ||
			     kind == K_SLT_RR || kind == K_SLT_RI || kind == K_LUI || kind == K_AUIPC ||
			     kind == K_MUL || kind == K_MULH || kind == K_DIV || kind == K_BR ||
			     kind == K_LOAD || kind == K_STORE;
			for (unsigned m = t; m < n && ok && g->run_of[k]; m++)
				ok = g->run_of[m] != g->run_of[k];
		}
		if (ok)
			g->into[i] = (uint8_t)(t + 1);
	}
}

/* The insns helper calls pass, after the block's code (one copy each). */
static void emit_insn_copies(struct gen *g)
{
	struct x86_buf *b = &g->b;
	uint8_t *at[3 * JIT_MAX_INSNS];
	while ((uintptr_t)b->p & 7)
		x86_byte(b, 0xcc);
	for (unsigned i = 0; i < g->ndref; i++) {
		at[i] = NULL;
		for (unsigned k = 0; k < i && !at[i]; k++)
			if (g->dref[k].d == g->dref[i].d)
				at[i] = at[k];
		if (!at[i]) {
			at[i] = b->p;
			x86_bytes(b, g->dref[i].d, sizeof(struct insn));
		}
		if (!b->overflow)
			x86_patch_rel32(g->dref[i].field, at[i]);
	}
}

bool jit_gen_block(struct jit *j, struct hart *h, uint32_t bi,
		   const struct insn *const *ins, unsigned n)
{
	(void)h;
	struct jit_block *blk = &j->blocks[bi];
	struct gen g;
	memset(&g, 0, offsetof(struct gen, cold)); /* cold[] is filled as used */
	g.j = j;
	g.bi = bi;
	g.n = n;
	g.keep_ok = UINT32_MAX;
	x86_init(&g.b, j->code + j->used, JIT_CODE_SIZE - j->used);
	struct x86_buf *b = &g.b;
	blk->code = b->p;
	/* entry: a kick or interrupt (h->check is then more than any
	 * budget), or an exhausted budget, goes back out */
	x86_alu_ri(b, X86_SUB, true, X86_RBP, (int32_t)n);
	x86_alu_rm(b, X86_CMP, true, X86_RBP, X86_RBX, OFF(check));
	uint8_t *low = x86_jcc(b, X86_CC_L);
	const struct form *fs[JIT_MAX_INSNS];
	for (unsigned i = 0; i < n; i++)
		fs[i] = form_of(ins[i]->fn);
	unsigned pass = loops_to_start(ins, fs, n, blk->va, false);
	bool loop = pass != 0;
	g.pass = pass;
	choose_regs(&g, ins, fs, n, pass);
	choose_fregs(&g, ins, fs, n, loop);
	jit_mem_plan(&g, ins, fs, n);
	if (loop) { /* load all mapped registers once; exits write all back */
		for (unsigned r = 1; r < 32; r++)
			hreg(&g, r);
		for (unsigned r = 0; r < 32; r++)
			fhreg(&g, r);
		/* what earlier passes may have written: the rest (after the
		 * last back edge) is written on the way out, tracked as usual */
		unsigned passes_end = loops_to_start(ins, fs, n, blk->va, true);
		g.loop_dirty = g.mapped & x_written(ins, fs, passes_end);
		g.dirty = g.loop_dirty;
		g.fdirty = g.loop_fdirty;
		jit_mem_loop_entry(&g, ins); /* cached runs: their first page or limit */
		loop_prologue(&g, ins, n, passes_end);
		plan_into(&g, ins, fs, n, blk->va);
		g.head = b->p;
	}
	blk->loop = loop;
	uint64_t pc = blk->va;
	bool open = true;
	for (unsigned i = 0; i < n && open; i++) {
		g.cur = i;
		g.label[i] = b->p;
		g.label_pending[i] = g.pending;
		open = gen_insn(&g, fs[i], ins[i], pc);
		pc += ins[i]->len;
	}
	if (open)
		jit_gen_exit_const(&g, pc, g.pending, true);
	gen_side(&g);
	gen_cold(&g);
	x86_patch_rel32(low, b->p);
	x86_alu_ri(b, X86_ADD, true, X86_RBP, (int32_t)n);
	x86_mov_imm(b, X86_RAX, blk->va); /* chained jumps did not store it */
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(pc));
	x86_mov_imm(b, X86_RAX, 0);
	jmp_exit(&g);
	emit_insn_copies(&g);
	if (b->overflow)
		return false;
	j->used += x86_len(b);
	j->used = (j->used + 15) & ~(size_t)15;
	return true;
}

/* Compare the fetch TLB's entry for pc = RAX with RAX's tag under h->xkey
 * (RSI = hart + the entry's offset in tlb_x, RDX = the tag); returns the
 * jne to patch to where a miss goes. Clobbers RDX, RSI. */
uint8_t *jit_gen_xtlb_tag(struct x86_buf *b)
{
	x86_mov_rr(b, true, X86_RDX, X86_RAX);
	x86_shift_ri(b, X86_SHR, true, X86_RDX, 12);
	x86_mov_rr(b, true, X86_RSI, X86_RAX); /* RSI = hart_xidx(RAX) */
	x86_shift_ri(b, X86_SHR, true, X86_RSI, 32);
	x86_alu_rr(b, X86_XOR, false, X86_RSI, X86_RDX);
	x86_alu_ri(b, X86_AND, false, X86_RSI, TLB_SIZE - 1);
	x86_shift_ri(b, X86_SHL, false, X86_RSI, 5); /* 32-byte entries */
	x86_alu_rr(b, X86_ADD, true, X86_RSI, X86_RBX);
	x86_alu_rm(b, X86_OR, true, X86_RDX, X86_RBX, OFF(xkey));
	x86_alu_rm(b, X86_CMP, true, X86_RDX, X86_RSI, OFF(tlb_x));
	return x86_jcc(b, X86_CC_NE);
}

/*
 * probe (called with RAX = guest pc, the budget settled, registers
 * written back): returns the code of pc's block in RCX when the jump
 * cache has it (either way of its set, else its second level) and the
 * fetch TLB (its entry at hart_xidx(pc)) still maps pc to the same place; else
 * drops its return address and leaves with h->pc = RAX.
 */
static void gen_probe(struct jit *j, struct x86_buf *b)
{
	j->probe = b->p;
	_Static_assert(sizeof(struct jit_jc) == 32, "two jump cache ways per 64-byte set");
	x86_mov_rr(b, false, X86_RCX, X86_RAX); /* RCX = jit_jc_set(RAX) */
	x86_shift_ri(b, X86_SHR, false, X86_RCX, 1);
	x86_alu_ri(b, X86_AND, false, X86_RCX, JIT_JC_SETS - 1);
	x86_shift_ri(b, X86_SHL, false, X86_RCX, 6);
	x86_mov_imm(b, X86_RDX, (uint64_t)(uintptr_t)j->jc);
	x86_alu_rr(b, X86_ADD, true, X86_RCX, X86_RDX);
	x86_alu_rm(b, X86_CMP, true, X86_RAX, X86_RCX, 0);
	uint8_t *way0 = x86_jcc(b, X86_CC_E);
	x86_alu_rm(b, X86_CMP, true, X86_RAX, X86_RCX, 32);
	uint8_t *l2 = x86_jcc(b, X86_CC_NE);
	x86_alu_ri(b, X86_ADD, true, X86_RCX, 32);
	uint8_t *hit = x86_jmp(b);
	/* both ways missed: the second level (RCX = jc2 + jit_jc2_slot(RAX)) */
	x86_patch_rel32(l2, b->p);
	x86_mov_rr(b, false, X86_RCX, X86_RAX);
	x86_shift_ri(b, X86_SHR, false, X86_RCX, 1);
	x86_alu_ri(b, X86_AND, false, X86_RCX, (1 << JIT_JC2_BITS) - 1);
	x86_shift_ri(b, X86_SHL, false, X86_RCX, 5);
	x86_mov_imm(b, X86_RDX, (uint64_t)(uintptr_t)j->jc2);
	x86_alu_rr(b, X86_ADD, true, X86_RCX, X86_RDX);
	x86_alu_rm(b, X86_CMP, true, X86_RAX, X86_RCX, 0);
	uint8_t *m1 = x86_jcc(b, X86_CC_NE);
	x86_patch_rel32(way0, b->p);
	x86_patch_rel32(hit, b->p);
	uint8_t *m2 = jit_gen_xtlb_tag(b);
	x86_load(b, 8, false, X86_RDX, X86_RSI,
		 OFF(tlb_x) + (int32_t)offsetof(struct tlb_ent, pa_off));
	x86_alu_rm(b, X86_CMP, true, X86_RDX, X86_RCX, (int32_t)offsetof(struct jit_jc, pa_off));
	uint8_t *m3 = x86_jcc(b, X86_CC_NE);
	x86_load(b, 8, false, X86_RCX, X86_RCX, (int32_t)offsetof(struct jit_jc, code));
	x86_ret(b);
	x86_patch_rel32(m1, b->p);
	x86_patch_rel32(m2, b->p);
	x86_patch_rel32(m3, b->p);
	x86_alu_ri(b, X86_ADD, true, X86_RSP, 8);
	/* interp: reached through the jump cache (RAX = pc, the probe has
	 * returned), see struct jit */
	j->interp = b->p;
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(pc));
	x86_mov_imm(b, X86_RAX, 0);
	x86_patch_rel32(x86_jmp(b), j->exit);
}

/*
 * The helper call (RAX = the insn, RDX = its pc, RCX = u, the block's
 * unretired count before it): the caller-saved registers that hold guest
 * registers (R8-R11, RSI, RDI) are kept, so a call site reloads only rd;
 * h->instret and h->jit_budget = RBP + u are settled (so handlers - CSR
 * reads, trap_raise - see the interpreter's values; RBP itself is
 * unchanged, so the count stays right after the call), h->pc/npc set,
 * d->fn(h, d, pc) called with x0 kept zero. RAX = the next pc on return.
 * check: a redirect (RAX != pc + len) or a raised check flag leaves the
 * block instead (RBP += u - 1, h->pc = where to go on), dropping the
 * return address and the saved registers.
 */
static void gen_call_stub(struct jit *j, struct x86_buf *b, bool check)
{
	static const uint8_t keep[6] = { X86_R8, X86_R9, X86_R10, X86_R11, X86_RSI, X86_RDI };
	*(check ? &j->call_check : &j->call_end) = b->p;
	for (int i = 0; i < 6; i++)
		x86_push(b, keep[i]);
	x86_mov_rr(b, true, X86_RSI, X86_RAX);
	x86_mov_rr(b, true, X86_RAX, X86_RBP);
	x86_alu_rr(b, X86_ADD, true, X86_RAX, X86_RCX);
	x86_load(b, 8, false, X86_RDI, X86_RBX, OFF(jit_budget));
	x86_alu_rr(b, X86_SUB, true, X86_RDI, X86_RAX);
	x86_alu_rm(b, X86_ADD, true, X86_RDI, X86_RBX, OFF(instret));
	x86_store(b, 8, X86_RDI, X86_RBX, OFF(instret));
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(jit_budget));
	x86_store(b, 8, X86_RDX, X86_RBX, OFF(pc));
	x86_load(b, 1, false, X86_RAX, X86_RSI, (int32_t)offsetof(struct insn, len));
	x86_alu_rr(b, X86_ADD, true, X86_RAX, X86_RDX);
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(npc));
	/* the return address, six saved, two pushes and 8 more keep RSP
	 * 16-aligned */
	x86_push(b, X86_RCX);
	x86_push(b, X86_RAX);
	x86_alu_ri(b, X86_SUB, true, X86_RSP, 8);
	jit_fp_call_flush(b, j->fp_consts, false); /* fflags.NX current for the handler */
	x86_mov_rr(b, true, X86_RDI, X86_RBX);
	x86_load(b, 8, false, X86_RAX, X86_RSI, (int32_t)offsetof(struct insn, fn));
	if (!check) /* a helper that ends its block may change the fetch mapping */
		x86_alu_mi(b, X86_ADD, true, X86_RBX, OFF(jit_ras_gen), 1);
	x86_call_r(b, X86_RAX);
	x86_store_imm(b, 8, X86_RBX, XO(0), 0);
	jit_fp_call_flush(b, j->fp_consts, true);
	x86_alu_ri(b, X86_ADD, true, X86_RSP, 8);
	x86_pop(b, X86_RCX); /* pc + len */
	x86_pop(b, X86_RDX); /* u */
	uint8_t *redirect = NULL, *flag = NULL;
	if (check) {
		x86_alu_rr(b, X86_CMP, true, X86_RAX, X86_RCX);
		redirect = x86_jcc(b, X86_CC_NE);
		x86_alu_mi(b, X86_CMP, true, X86_RBX, OFF(check), 0);
		flag = x86_jcc(b, X86_CC_NE);
	}
	for (int i = 5; i >= 0; i--)
		x86_pop(b, keep[i]);
	x86_ret(b);
	if (!check)
		return;
	x86_patch_rel32(flag, b->p);
	x86_mov_rr(b, true, X86_RAX, X86_RCX);
	x86_patch_rel32(redirect, b->p);
	x86_alu_rr(b, X86_ADD, true, X86_RBP, X86_RDX);
	x86_lea(b, X86_RBP, X86_RBP, -1);
	x86_store(b, 8, X86_RAX, X86_RBX, OFF(pc));
	x86_alu_ri(b, X86_ADD, true, X86_RSP, 8 + 6 * 8);
	x86_mov_imm(b, X86_RAX, 0);
	x86_patch_rel32(x86_jmp(b), j->exit);
}

void jit_gen_trampolines(struct jit *j)
{
	struct x86_buf b;
	forms_init();
	/* the last JIT_FP_CONST_BYTES of the area: jit-fp.c's constants and
	 * stubs (written below; the call stubs and exit call them) */
	j->fp_consts = j->code + JIT_TRAMP_BYTES - JIT_FP_CONST_BYTES;
	x86_init(&b, j->code, JIT_TRAMP_BYTES - JIT_FP_CONST_BYTES);
	/* enter(h, entry): RBX = h and RBP = the budget for the whole run; 6
	 * pushes and 8 bytes more keep the stack 16-byte aligned for helper
	 * calls */
	static const uint8_t saved[6] = { X86_RBX, X86_RBP, X86_R12, X86_R13, X86_R14, X86_R15 };
	for (int i = 0; i < 6; i++)
		x86_push(&b, saved[i]);
	x86_alu_ri(&b, X86_SUB, true, X86_RSP, 8);
	x86_mov_rr(&b, true, X86_RBX, X86_RDI);
	x86_load(&b, 8, false, X86_RBP, X86_RBX, OFF(jit_budget));
	x86_jmp_r(&b, X86_RSI);
	/* exit: instret += the budget used since the last settle (RAX is the
	 * return value and stays) */
	j->exit = b.p;
	x86_alu_mi(&b, X86_ADD, true, X86_RBX, OFF(jit_ras_gen), 1); /* see jit-ras.c */
	jit_fp_exit_flush(&b, j->fp_consts);
	x86_load(&b, 8, false, X86_RCX, X86_RBX, OFF(jit_budget));
	x86_alu_rr(&b, X86_SUB, true, X86_RCX, X86_RBP);
	x86_alu_rm(&b, X86_ADD, true, X86_RCX, X86_RBX, OFF(instret));
	x86_store(&b, 8, X86_RCX, X86_RBX, OFF(instret));
	x86_store(&b, 8, X86_RBP, X86_RBX, OFF(jit_budget));
	x86_alu_ri(&b, X86_ADD, true, X86_RSP, 8);
	for (int i = 5; i >= 0; i--)
		x86_pop(&b, saved[i]);
	x86_ret(&b);
	gen_probe(j, &b);
	jit_ras_stubs(j, &b);
	gen_call_stub(j, &b, true);
	gen_call_stub(j, &b, false);
	/* xexit (RAX = the struct jit_exit, see exit_xpage) */
	j->xexit = b.p;
	x86_load(&b, 8, false, X86_RCX, X86_RAX, (int32_t)offsetof(struct jit_exit, target));
	x86_store(&b, 8, X86_RCX, X86_RBX, OFF(pc));
	x86_patch_rel32(x86_jmp(&b), j->exit);
	if (b.overflow)
		abort(); /* cannot happen: the trampolines and stubs are ~760 bytes of 928 */
	j->enter = (void *(*)(struct hart *, void *))(uintptr_t)j->code;
	jit_fp_consts(j->fp_consts);
	j->used = JIT_TRAMP_BYTES;
}

/* ---- for jit-fp.c (see jit-int.h) ---- */
struct x86_buf *jit_gen_buf(struct gen *g) { return &g->b; }
const uint8_t *jit_gen_fp_consts(struct gen *g) { return g->j->fp_consts; }
uint32_t *jit_gen_fpstate(struct gen *g) { return &g->fp; }
void jit_gen_ldx(struct gen *g, unsigned host, unsigned r) { ldx(g, host, r); }
void jit_gen_stx(struct gen *g, unsigned r, unsigned host) { stx(g, r, host); }
unsigned jit_gen_freg(struct gen *g, unsigned r) { return fhreg(g, r); }

unsigned jit_gen_fdst(struct gen *g, unsigned r)
{
	if (g->fhost[r]) {
		g->floaded |= 1u << r;
		g->fdirty |= 1u << r;
	}
	return g->fhost[r];
}

void jit_gen_slow_path(struct gen *g, const struct insn *d, uint64_t pc, uint8_t *const *slow,
		       unsigned n, uint8_t *const *leave, unsigned nleave, uint8_t *pre,
		       uint8_t *resume)
{
	if (n > COLD_JUMPS || nleave > COLD_LEAVE)
		abort(); /* cannot happen: jit-fp.c's MAX_SLOW/MAX_LEAVE are within */
	if (n || nleave || pre) {
		jit_gen_add_cold(g, d, pc, slow, n, g->split_loaded, g->split_dirty, g->split_fdirty);
		for (unsigned k = 0; k < nleave; k++)
			g->cold[g->ncold - 1].leave[k] = leave[k];
		g->cold[g->ncold - 1].pre = pre;
		g->cold[g->ncold - 1].resume = resume;
	}
	g->pending++;
}
