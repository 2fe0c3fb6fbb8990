/*
 * jit-ras.c - the JIT's return-address stack: the code a call (jit_ras_push,
 * jit_ras_pad) and a return (jit_ras_pop) generate, and its shared stubs
 * (jit_ras_stubs). The rest of the block and its exits are jit-gen.c's.
 *
 * Threading: the vCPU thread (translation), like jit-gen.c.
 */
#include "cpu/jit/jit-gen.h"

/*
 * The return-address stack (RINGVM_JIT_RAS, on unless 0): a guest return
 * (jalr x0 through ra or t0) jumps through an entry of a table in the
 * hart (h->jit_ras), without the jump cache, whose lines a return-heavy
 * guest (~5000 returns per disk request) finds cold.
 *  - The entry is chosen by the guest's sp, which a call and its return
 *    see alike under the ABI (16-byte aligned, restored by the callee):
 *    each frame of a call chain has its own entry (4 KiB of stack), as a
 *    stack would, with no top to keep (a top pointer in memory made each
 *    push and pop wait for the last) and nothing to write at a return.
 *  - A call (jal/jalr with rd ra or t0) writes {the address of its pad,
 *    h->jit_ras_gen}. The pad is code of the calling block, after the
 *    call's own exit: RAX (the return pc) must be the call's return pc,
 *    then the fetch TLB must map that page now as when the block was
 *    made, and a direct exit to the return pc follows, chained like any
 *    other (same page: the continuation is dropped with the caller).
 *  - The mapping check: what the probe checks of a jump-cache entry (tag
 *    under the current xkey, same pa_off: privilege, satp, sfence.vma,
 *    TLB flushes are seen), in ras_full - unless the entry's generation
 *    is h->jit_ras_gen: that is bumped whenever generated code is left
 *    (the dispatcher, the interpreter, traps and interrupts run only
 *    then) and by every helper that ends its block (CSR writes, xret,
 *    sfence.vma, fence.i, ...); a helper that does not end its block
 *    cannot change the fetch mapping (the rest of its block assumes it),
 *    so between the two nothing could have.
 *  - Anything else goes to ras_miss (the probe): a return whose sp moved,
 *    another frame's entry, an empty one. Blocks are dropped only with
 *    the jump cache (jc_clear), which empties the table as well, and
 *    their code stays until a full flush (which does too): every pad in
 *    the table is live code.
 * Costs: a push is six instructions, a pop two and an indirect jump (per
 * return site, as the probe's), the pad six on the hot path; the probe
 * it replaces is ~25 with a call and its loads of the jump cache.
 */
/* reg = the byte offset of sp's entry in h->jit_ras */
static void ras_index(struct gen *g, unsigned reg)
{
	_Static_assert(sizeof(((struct hart *)0)->jit_ras) == 4096, "256 entries of 16 bytes");
	ldx(g, reg, 2);
	x86_alu_ri(&g->b, X86_AND, false, reg, 0xff0);
}

#define RAS_PAD OFF(jit_ras[0].pad)
#define RAS_GEN OFF(jit_ras[0].gen)

/* A call returning to ret (RAX, RCX clobbered: before the call touches
 * its registers). The pad's address is filled in by ras_pad. */
void jit_ras_push(struct gen *g, uint64_t ret)
{
	struct x86_buf *b = &g->b;
	ras_index(g, X86_RAX);
	g->ras_field = x86_lea_rip(b, X86_RCX);
	x86_store_ix(b, 8, X86_RCX, X86_RBX, X86_RAX, RAS_PAD);
	x86_load(b, 8, false, X86_RCX, X86_RBX, OFF(jit_ras_gen));
	x86_store_ix(b, 8, X86_RCX, X86_RBX, X86_RAX, RAS_GEN);
	g->ras_ret = ret;
}

/* A return (RAX = its pc, registers written back): jump through sp's
 * entry, RDX = its offset. */
void jit_ras_pop(struct gen *g)
{
	struct x86_buf *b = &g->b;
	jit_gen_settle_budget(g);
	ras_index(g, X86_RDX);
	x86_rex_ix(b, false, 4, X86_RDX, X86_RBX, false); /* jmp [RBX + RDX + pad] */
	x86_byte(b, 0xff);
	x86_modrm_ix(b, 4, X86_RBX, X86_RDX, RAS_PAD);
}

/* The pad of the call ras_push began (after the call's exit: reached
 * only from ras_pop, RAX = the return pc, RDX = the entry, the budget
 * settled). */
void jit_ras_pad(struct gen *g)
{
	struct x86_buf *b = &g->b;
	struct jit *j = g->j;
	const struct jit_block *blk = &j->blocks[g->bi];
	uint64_t ret = g->ras_ret;
	if (!b->overflow)
		x86_patch_rel32(g->ras_field, b->p);
	g->ras_field = NULL;
	if ((ret >> 12) != (blk->va >> 12) || j->nexits >= JIT_MAX_EXITS) {
		/* on another page: its block could be dropped without this one */
		x86_patch_rel32(x86_jmp(b), j->ras_miss);
		return;
	}
	if ((uint64_t)(int64_t)(int32_t)ret == ret) {
		x86_alu_ri(b, X86_CMP, true, X86_RAX, (int32_t)ret);
	} else {
		x86_mov_imm(b, X86_RCX, ret);
		x86_alu_rr(b, X86_CMP, true, X86_RAX, X86_RCX);
	}
	x86_patch_rel32(x86_jcc(b, X86_CC_NE), j->ras_miss);
	x86_load(b, 8, false, X86_RCX, X86_RBX, OFF(jit_ras_gen));
	x86_alu_rm_ix(b, X86_CMP, true, X86_RCX, X86_RBX, X86_RDX, RAS_GEN);
	uint8_t *other = x86_jcc(b, X86_CC_NE);
	uint8_t *exit = b->p;
	jit_gen_count(j, b, &j->n_ras_hit);
	jit_gen_chained_exit(g, ret, true);
	/* another generation: the fetch TLB decides (out of the hot path's
	 * way, which falls through to the exit) */
	x86_patch_rel32(other, b->p);
	x86_mov_imm(b, X86_RCX, blk->pa - blk->va);
	x86_call(b, j->ras_full, X86_RDX);
	x86_patch_rel32(x86_jmp(b), exit);
}

/* ras_miss: where a return goes when the return-address stack's entry
 * does not hold its continuation (see ras_pop): the probe, as for any
 * other indirect jump (RAX = pc, the budget settled). An empty entry
 * names it too.
 * ras_full, called by a pad whose entry is of another generation (RAX =
 * the return pc, RCX = the pa_off its block was made with): returns when
 * the fetch TLB maps RAX with that pa_off now (the probe's check), else
 * drops its return address for ras_miss. Clobbers RDX, RSI. */
void jit_ras_stubs(struct jit *j, struct x86_buf *b)
{
	j->ras_miss = b->p;
	jit_gen_count(j, b, &j->n_ras_miss);
	x86_call(b, j->probe, X86_RCX);
	x86_jmp_r(b, X86_RCX);
	j->ras_full = b->p;
	uint8_t *m1 = jit_gen_xtlb_tag(b);
	x86_alu_rm(b, X86_CMP, true, X86_RCX, X86_RSI,
		   OFF(tlb_x) + (int32_t)offsetof(struct tlb_ent, pa_off));
	uint8_t *m2 = x86_jcc(b, X86_CC_NE);
	x86_ret(b);
	x86_patch_rel32(m1, b->p);
	x86_patch_rel32(m2, b->p);
	x86_alu_ri(b, X86_ADD, true, X86_RSP, 8);
	x86_patch_rel32(x86_jmp(b), j->ras_miss);
}
