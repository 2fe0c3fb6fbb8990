/*
 * jit-amo.c - x86-64 code for the guest's AMOs (amoswap, amoadd, amoxor,
 * amoand, amoor, amomin, amomax, amominu, amomaxu; .w and .d) and LR/SC
 * (gen_lr, gen_sc: the handlers' work on the reservation fields inline).
 *
 * The fast path is mmu_amo_ptr's: an aligned address whose page hits the
 * write TLB, tagged with wkey (which misses while an LR reservation is
 * live, so the handler's mmu_resv_store snoop still runs; write TLB
 * entries exist only for RAM pages without translated code, so stores
 * into code are still seen). It then does one host atomic on guest RAM,
 * as the handler does with __atomic builtins, so harts on other threads
 * stay coherent: xchg (swap), lock xadd (add), lock and/or/xor/add when
 * rd is x0 (no old value wanted: Linux's set_bit, atomic_add), else a
 * lock cmpxchg loop (and/or/xor, and min/max with a cmov). A misaligned
 * address, a miss, MMIO or a fault takes the slow path: the handler,
 * which traps or fills the TLB.
 *
 * Registers: RAX, RCX, RDX are scratch (RDX = the host address of the
 * word, RAX the old value of a cmpxchg loop, RCX the new one); rs2 is
 * read from its host register or from h->x[] in place (x0 from h->x[0],
 * which generated code keeps zero), so no guest register is disturbed;
 * rd is written last, so rd may equal rs1 or rs2.
 *
 * Threading: vCPU thread (the translating thread owns the code cache).
 */
#include "cpu/jit/jit-gen.h"

/* op dst, x[r] (w: 64-bit) */
static void amo_src(struct gen *g, enum x86_alu op, bool w, unsigned dst, unsigned r)
{
	if (r && g->host[r])
		x86_alu_rr(&g->b, op, w, dst, g->host[r]);
	else
		x86_alu_rm(&g->b, op, w, dst, X86_RBX, XO(r));
}

/* cmovcc dst, x[r] */
static void amo_cmov(struct gen *g, enum x86_cc cc, bool w, unsigned dst, unsigned r)
{
	if (r && g->host[r])
		x86_cmov(&g->b, cc, w, dst, g->host[r]);
	else
		x86_cmov_rm(&g->b, cc, w, dst, X86_RBX, XO(r));
}

/*
 * [RDX] = new(old, x[rs2]) in a lock cmpxchg loop; returns RAX, which
 * holds the old value. min/max: RCX = old, compared with x[rs2], replaced
 * by it when the pick is x[rs2] (signed/unsigned, as the handler's
 * pick_new).
 */
static unsigned amo_cas_loop(struct gen *g, unsigned op, bool w, unsigned size, unsigned rs2)
{
	struct x86_buf *b = &g->b;
	static const enum x86_cc take[] = {
		[AMO_MIN] = X86_CC_G, [AMO_MAX] = X86_CC_L,
		[AMO_MINU] = X86_CC_A, [AMO_MAXU] = X86_CC_B,
	};
	hreg(g, rs2); /* its load, if any, before the loop */
	x86_load(b, size, false, X86_RAX, X86_RDX, 0);
	uint8_t *again = b->p;
	x86_mov_rr(b, w, X86_RCX, X86_RAX);
	if (op == AMO_AND || op == AMO_OR || op == AMO_XOR) {
		amo_src(g, op == AMO_AND ? X86_AND : op == AMO_OR ? X86_OR : X86_XOR, w, X86_RCX,
			rs2);
	} else {
		amo_src(g, X86_CMP, w, X86_RCX, rs2);
		amo_cmov(g, take[op], w, X86_RCX, rs2);
	}
	x86_lock_cmpxchg_m(b, w, X86_RCX, X86_RDX, 0);
	x86_patch_rel32(x86_jcc(b, X86_CC_NE), again); /* RAX = what it found */
	return X86_RAX;
}

#define AMO_NO_OLD 16u /* amo_op: no register holds the old value */

/* The atomic on [RDX]; returns the register holding the old value, or
 * AMO_NO_OLD when rd is x0 and the form keeps none. */
static unsigned amo_op(struct gen *g, const struct form *f, const struct insn *d)
{
	struct x86_buf *b = &g->b;
	bool w = f->a == 8;
	switch (f->s) {
	case AMO_SWAP:
		ldx(g, X86_RCX, d->rs2);
		x86_xchg_m(b, w, X86_RCX, X86_RDX, 0);
		return X86_RCX;
	case AMO_ADD:
		ldx(g, X86_RCX, d->rs2);
		if (!d->rd) {
			x86_lock_alu_mr(b, X86_ADD, w, X86_RDX, 0, X86_RCX);
			return AMO_NO_OLD;
		}
		x86_lock_xadd_m(b, w, X86_RCX, X86_RDX, 0);
		return X86_RCX;
	case AMO_AND:
	case AMO_OR:
	case AMO_XOR:
		if (!d->rd) {
			ldx(g, X86_RCX, d->rs2);
			x86_lock_alu_mr(b, f->s == AMO_AND ? X86_AND : f->s == AMO_OR ? X86_OR : X86_XOR,
					w, X86_RDX, 0, X86_RCX);
			return AMO_NO_OLD;
		}
		return amo_cas_loop(g, f->s, w, f->a, d->rs2);
	default:
		return amo_cas_loop(g, f->s, w, f->a, d->rs2);
	}
}

/* rd = the old value in register old (.w: sign-extended) */
static void write_old(struct gen *g, const struct form *f, const struct insn *d, unsigned old)
{
	struct x86_buf *b = &g->b;
	unsigned hd = g->host[d->rd];
	unsigned dst = hd ? hd : old;
	if (!d->rd)
		return;
	if (f->a == 4)
		x86_extend_rr(b, 4, true, dst, old);
	else if (hd)
		x86_mov_rr(b, true, hd, old);
	if (hd) {
		g->loaded |= 1u << d->rd;
		g->dirty |= 1u << d->rd;
	} else {
		x86_store(b, 8, old, X86_RBX, XO(d->rd));
	}
}

/*
 * mmu_amo_ptr's fast path for x[rs1] (an AMO has no offset: its imm field
 * holds funct bits): the write TLB tagged with key, and a misaligned
 * address to the slow path too (the handler traps). Returns the register
 * holding x[rs1]; RAX = the entry's host_off, RCX = its offset in the TLB.
 */
static unsigned aligned_lookup(struct gen *g, const struct form *f, const struct insn *d,
			       int32_t key, uint8_t **slow)
{
	const struct insn at = { .rs1 = d->rs1, .imm = 0 };
	unsigned ix = jit_mem_lookup(g, &at, OFF(tlb_w), key, f->a, slow);
	x86_test_ri(&g->b, ix, f->a - 1u);
	slow[1] = x86_jcc(&g->b, X86_CC_NE);
	return ix;
}

/* RDX = the word's host address, x[rs1] (in ix) + host_off (in RAX) */
static void host_addr(struct gen *g, unsigned ix)
{
	if (ix != X86_RDX)
		x86_mov_rr(&g->b, true, X86_RDX, ix);
	x86_alu_rr(&g->b, X86_ADD, true, X86_RDX, X86_RAX);
}

void jit_amo_gen(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	uint32_t at_split = g->loaded, dirty_split = g->dirty, fdirty_split = g->fdirty;
	uint8_t *slow[2];
	unsigned ix = aligned_lookup(g, f, d, OFF(wkey), slow);
	if (g->j->check)
		jit_mem_log_store(g, f->a, X86_RAX, ix, 0);
	host_addr(g, ix);
	unsigned old = amo_op(g, f, d);
	if (old != AMO_NO_OLD)
		write_old(g, f, d, old);
	jit_gen_add_cold(g, d, pc, slow, 2, at_split, dirty_split, fdirty_split);
	g->pending++;
}

/*
 * RCX = the physical address of x[rs1] (in register ix), from the write
 * TLB entry at RCX (jit_mem_lookup's hit), as mmu_amo_ptr's pa.
 */
static void entry_pa(struct gen *g, unsigned ix)
{
	x86_load_ix(&g->b, 8, false, X86_RCX, X86_RBX, X86_RCX,
		    OFF(tlb_w) + (int32_t)offsetof(struct tlb_ent, pa_off));
	x86_alu_rr(&g->b, X86_ADD, true, X86_RCX, ix);
}

/* hart_set_resv(h, live) (clobbers RCX or, when live, RAX and RDX) */
static void set_resv(struct gen *g, bool live)
{
	struct x86_buf *b = &g->b;
	_Static_assert(sizeof(((struct hart *)0)->resv_valid) == 1, "resv_valid is a bool");
	unsigned r = live ? X86_RAX : X86_RCX;
	x86_mov_imm(b, r, live);
	x86_store(b, 1, r, X86_RBX, OFF(resv_valid));
	r = live ? X86_RDX : X86_RCX;
	if (live)
		x86_mov_imm(b, r, TLB_RESV_KEY);
	else
		x86_load(b, 8, false, r, X86_RBX, OFF(dkey));
	if (live)
		x86_alu_rm(b, X86_OR, true, r, X86_RBX, OFF(dkey));
	x86_store(b, 8, r, X86_RBX, OFF(wkey));
}

/*
 * lr: mmu_amo_ptr's fast path for a load (the write TLB tagged with dkey:
 * a live reservation is taken again, as the handler does), then what the
 * handler does: resv_pa, resv_val (the word, zero-extended), the
 * reservation taken (wkey then misses, so every store snoops it), rd.
 */
static void gen_lr(struct gen *g, const struct form *f, const struct insn *d, uint8_t **slow)
{
	struct x86_buf *b = &g->b;
	unsigned ix = aligned_lookup(g, f, d, OFF(dkey), slow);
	entry_pa(g, ix);
	x86_store(b, 8, X86_RCX, X86_RBX, OFF(resv_pa));
	x86_load_ix(b, f->a, false, X86_RCX, X86_RAX, ix, 0);
	x86_store(b, 8, X86_RCX, X86_RBX, OFF(resv_val));
	set_resv(g, true);
	write_old(g, f, d, X86_RCX);
}

/*
 * sc: mmu_amo_ptr's fast path for a store (the write TLB tagged with
 * dkey: a live reservation must not send it to the slow path), then the
 * handler's: it succeeds only with a live reservation at the same
 * physical address, whose value is still there (lock cmpxchg against
 * resv_val: the stand-in for other harts' snoops); the reservation is
 * dropped either way; rd = 0 on success, else 1.
 */
static void gen_sc(struct gen *g, const struct form *f, const struct insn *d, uint8_t **slow)
{
	struct x86_buf *b = &g->b;
	unsigned ix = aligned_lookup(g, f, d, OFF(dkey), slow);
	hreg(g, d->rs2); /* its load, if any, on both paths below */
	if (g->j->check)
		jit_mem_log_store(g, f->a, X86_RAX, ix, 0);
	entry_pa(g, ix);
	host_addr(g, ix);
	x86_load(b, 1, false, X86_RAX, X86_RBX, OFF(resv_valid));
	x86_alu_rm(b, X86_CMP, true, X86_RCX, X86_RBX, OFF(resv_pa));
	uint8_t *other = x86_jcc(b, X86_CC_NE);
	x86_test_rr(b, false, X86_RAX, X86_RAX);
	uint8_t *none = x86_jcc(b, X86_CC_E);
	set_resv(g, false);
	x86_load(b, f->a, false, X86_RAX, X86_RBX, OFF(resv_val));
	ldx(g, X86_RCX, d->rs2);
	x86_lock_cmpxchg_m(b, f->a == 8, X86_RCX, X86_RDX, 0);
	x86_setcc(b, X86_CC_NE, X86_RAX);
	x86_extend_rr(b, 1, false, X86_RAX, X86_RAX);
	uint8_t *done = x86_jmp(b);
	x86_patch_rel32(other, b->p);
	x86_patch_rel32(none, b->p);
	set_resv(g, false);
	x86_mov_imm(b, X86_RAX, 1);
	x86_patch_rel32(done, b->p);
	stx(g, d->rd, X86_RAX);
}

void jit_amo_lrsc(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	uint32_t at_split = g->loaded, dirty_split = g->dirty, fdirty_split = g->fdirty;
	uint8_t *slow[2];
	if (f->s)
		gen_sc(g, f, d, slow);
	else
		gen_lr(g, f, d, slow);
	jit_gen_add_cold(g, d, pc, slow, 2, at_split, dirty_split, fdirty_split);
	g->pending++;
}
