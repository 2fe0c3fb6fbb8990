/*
 * jit-mem.c - x86-64 code for the guest's loads and stores (integer and
 * fld/flw/fsd/fsw): the inline TLB lookup of a single access, and runs -
 * the accesses off one base register checked once for all the bytes they
 * touch (plan_runs picks them, gen_mem_run emits them), kept across the
 * passes of a loop block when the base creeps. Every fast path has a slow
 * path that calls the interpreter's handler, so traps stay precise.
 *
 * Threading: vCPU thread (the translating thread owns the code cache).
 */
#include "cpu/jit/jit-gen.h"

#include <stdlib.h>

/* BMI2's rorx (one instruction for a copy and a shift) forms a TLB index
 * straight from a base register. Not with RINGVM_JIT_NOAVX: hosts without
 * AVX lack BMI2 too, and the tests that select their code cover this
 * file's other form. */
static bool host_bmi2(void)
{
	static int v = -1;
	if (v < 0)
		v = __builtin_cpu_supports("bmi2") && !getenv("RINGVM_JIT_NOAVX");
	return v;
}

/* ECX = the TLB entry offset of the page of x + off (x in register x) */
static void tlb_index(struct x86_buf *b, unsigned x, int32_t off)
{
	if (!off && host_bmi2()) { /* bits 0-6 rotate into 25-31: masked off */
		x86_rorx(b, false, X86_RCX, x, TLB_IDX_SHIFT);
	} else {
		if (off)
			x86_lea(b, X86_RCX, x, off);
		else
			x86_mov_rr(b, false, X86_RCX, x);
		x86_shift_ri(b, X86_SHR, false, X86_RCX, TLB_IDX_SHIFT); /* index bits < 32 */
	}
	x86_alu_ri(b, X86_AND, false, X86_RCX, TLB_IDX_MASK);
}

/*
 * The TLB fast path of an access to x[rs1] + imm. Returns the register
 * holding x[rs1] (its host register, or RDX, loaded here: every other
 * register may hold a guest register); on a hit RAX = the entry's host_off
 * and the access goes to [RAX + that + imm] (two instructions fewer than
 * forming the address first). The jcc field that goes to the slow path is
 * slow[0]. The tag compared is that of the access's last byte, in the
 * entry of its first byte's page: an access that crosses the page cannot
 * hit (the entry holds its own page, never the next one: they have
 * different indices), so one compare checks both while misaligned accesses
 * within a page stay fast (sending every misaligned access to the slow
 * path made such code 2.5x slower).
 */
static unsigned tlb_lookup_in(struct gen *g, const struct insn *d, int32_t tlb, int32_t key,
			      unsigned size, uint8_t **slow)
{
	struct x86_buf *b = &g->b;
	unsigned base = hreg(g, d->rs1);
	bool mapped = base != 0;
	if (!mapped) { /* RAX holds it until host_off is loaded, then RDX */
		base = X86_RAX;
		ldx(g, base, d->rs1);
	}
	if (d->imm + (int32_t)size - 1)
		x86_lea(b, X86_RDX, base, d->imm + (int32_t)size - 1);
	else
		x86_mov_rr(b, true, X86_RDX, base);
	tlb_index(b, base, d->imm);
	x86_shift_ri(b, X86_SHR, true, X86_RDX, 12);
	x86_alu_rm(b, X86_OR, true, X86_RDX, X86_RBX, key);
	x86_alu_rm_ix(b, X86_CMP, true, X86_RDX, X86_RBX, X86_RCX, tlb);
	slow[0] = x86_jcc(b, X86_CC_NE);
	if (!mapped) {
		x86_mov_rr(b, true, X86_RDX, X86_RAX);
		base = X86_RDX;
	}
	x86_load_ix(b, 8, false, X86_RAX, X86_RBX, X86_RCX,
		    tlb + (int32_t)offsetof(struct tlb_ent, host_off));
	return base;
}

/* stores: wkey misses while an LR reservation is live (the slow path
 * snoops it) */
static unsigned tlb_lookup(struct gen *g, const struct insn *d, bool store, unsigned size,
			   uint8_t **slow)
{
	return tlb_lookup_in(g, d, store ? OFF(tlb_w) : OFF(tlb_r), store ? OFF(wkey) : OFF(dkey),
			     size, slow);
}

/*
 * Check mode only (blocks made for -accel jit,check=on): log a fast-path
 * store before it, as the slow path's jit_check_store does: append a
 * struct jit_store_rec (pa, the bytes it replaces, size, fast = 1) at
 * h->ck_st[h->ck_nst++], or set h->ck_over when the log is full (the run
 * is then not compared). The address is [hb + ix + imm], where the store
 * really goes, so a wrong host_off is undone and compared where it wrote.
 * RSI, RDI and RCX are saved around it (any may hold a guest register or
 * a run's host_off), no call (the f registers stay in XMM registers);
 * flags are clobbered (nothing keeps them across an access).
 */
static void log_store(struct gen *g, unsigned size, unsigned hb, unsigned ix, int32_t imm)
{
	struct x86_buf *b = &g->b;
	x86_push(b, X86_RSI);
	x86_push(b, X86_RDI);
	x86_push(b, X86_RCX);
	if (ix == X86_RSI) {
		x86_alu_rr(b, X86_ADD, true, X86_RSI, hb);
	} else {
		x86_mov_rr(b, true, X86_RSI, hb);
		x86_alu_rr(b, X86_ADD, true, X86_RSI, ix);
	}
	if (imm)
		x86_lea(b, X86_RSI, X86_RSI, imm);
	x86_load(b, 4, false, X86_RDI, X86_RBX, OFF(ck_nst));
	x86_alu_ri(b, X86_CMP, false, X86_RDI, JIT_CHECK_STORE_MAX);
	uint8_t *full = x86_jcc(b, X86_CC_AE);
	x86_alu_mi(b, X86_ADD, false, X86_RBX, OFF(ck_nst), 1);
	_Static_assert(sizeof(struct jit_store_rec) == 32, "a record is 32 bytes");
	x86_shift_ri(b, X86_SHL, true, X86_RDI, 5);
	x86_alu_rm(b, X86_ADD, true, X86_RDI, X86_RBX, OFF(ck_st));
	x86_load(b, size, false, X86_RCX, X86_RSI, 0);
	x86_store(b, 8, X86_RCX, X86_RDI, (int32_t)offsetof(struct jit_store_rec, old));
	x86_alu_rm(b, X86_ADD, true, X86_RSI, X86_RBX, OFF(ck_pa_off));
	x86_store(b, 8, X86_RSI, X86_RDI, (int32_t)offsetof(struct jit_store_rec, pa));
	x86_store_imm(b, 4, X86_RDI, (int32_t)offsetof(struct jit_store_rec, n), (int32_t)size);
	x86_store_imm(b, 4, X86_RDI, (int32_t)offsetof(struct jit_store_rec, fast), 1);
	uint8_t *done = x86_jmp(b);
	x86_patch_rel32(full, b->p);
	x86_store_imm(b, 4, X86_RBX, OFF(ck_over), 1);
	x86_patch_rel32(done, b->p);
	x86_pop(b, X86_RCX);
	x86_pop(b, X86_RDI);
	x86_pop(b, X86_RSI);
}

/*
 * The access itself at [hb + ix + imm]: hb holds the page's host_off, ix
 * x[rs1]. Stores take their value in RCX (RAX and RDX may be hb and ix).
 */
static void mem_access(struct gen *g, const struct form *f, const struct insn *d, unsigned hb,
		       unsigned ix)
{
	struct x86_buf *b = &g->b;
	bool fp = f->kind == K_FLOAD || f->kind == K_FSTORE;
	bool store = f->kind == K_STORE || f->kind == K_FSTORE;
	if (store) {
		if (g->j->check)
			log_store(g, f->a, hb, ix, d->imm);
		if (fp && fhreg(g, d->rs2)) {
			x86_movs_ix(b, true, f->a == 8, g->fhost[d->rs2], hb, ix, d->imm);
		} else if (!fp && hreg(g, d->rs2)) { /* straight from its host register */
			x86_store_ix(b, f->a, g->host[d->rs2], hb, ix, d->imm);
		} else {
			if (fp)
				x86_load(b, 8, false, X86_RCX, X86_RBX, FO(d->rs2));
			else
				ldx(g, X86_RCX, d->rs2);
			x86_store_ix(b, f->a, X86_RCX, hb, ix, d->imm);
		}
	} else if (fp && f->a == 8 && g->fhost[d->rd]) {
		x86_movs_ix(b, false, true, g->fhost[d->rd], hb, ix, d->imm);
		g->floaded |= 1u << d->rd;
		g->fdirty |= 1u << d->rd;
	} else if (fp) {
		x86_load_ix(b, f->a, false, X86_RAX, hb, ix, d->imm);
		if (f->a == 4) { /* NaN-box the single */
			x86_mov_imm(b, X86_RDX, 0xffffffff00000000ull);
			x86_alu_rr(b, X86_OR, true, X86_RAX, X86_RDX);
		}
		if (g->fhost[d->rd]) {
			x86_movq_xr(b, g->fhost[d->rd], X86_RAX);
			g->floaded |= 1u << d->rd;
			g->fdirty |= 1u << d->rd;
		} else {
			x86_store(b, 8, X86_RAX, X86_RBX, FO(d->rd));
		}
	} else if (d->rd && g->host[d->rd]) {
		x86_load_ix(b, f->a, f->s, g->host[d->rd], hb, ix, d->imm);
		g->loaded |= 1u << d->rd;
		g->dirty |= 1u << d->rd;
	} else {
		x86_load_ix(b, f->a, f->s, X86_RAX, hb, ix, d->imm);
		stx(g, d->rd, X86_RAX);
	}
}

/* One access with its own TLB lookup; guard: the FS guard's jcc or NULL.
 * The slow path calls d's handler and rejoins. */
static void gen_mem_full(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc,
			 uint8_t *guard, uint32_t at_split, uint32_t dirty_split,
			 uint32_t fdirty_split)
{
	bool store = f->kind == K_STORE || f->kind == K_FSTORE;
	uint8_t *slow[4] = { NULL, NULL, NULL, guard };
	unsigned ix = tlb_lookup(g, d, store, f->a, slow);
	mem_access(g, f, d, X86_RAX, ix);
	jit_gen_add_cold(g, d, pc, slow, 4, at_split, dirty_split, fdirty_split);
}

/*
 * A run head's check (RAX = host_off after it): the run's lowest and
 * highest byte in one page, that page in the read TLB (a run with loads)
 * and the write TLB (with stores; a live LR reservation fails too, as its
 * stores need the snoop: wkey, or a test in a run with both), both entries
 * with one host_off. Index from the lowest byte, tag from the highest, as
 * in tlb_lookup. Returns the number of jcc fields in fail[] (at most 4)
 * taken when it does not hold.
 */
static unsigned run_check(struct gen *g, const struct run *r, const struct insn *d, unsigned ix,
			  uint8_t **fail)
{
	struct x86_buf *b = &g->b;
	unsigned base = ix, nf = 0;
	if (!base) {
		base = X86_RAX;
		ldx(g, base, d->rs1);
	}
	x86_lea(b, X86_RDX, base, r->hi);
	tlb_index(b, base, r->lo);
	x86_shift_ri(b, X86_SHR, true, X86_RDX, 12);
	x86_alu_rm(b, X86_OR, true, X86_RDX, X86_RBX, r->load ? OFF(dkey) : OFF(wkey));
	if (r->load) {
		x86_alu_rm_ix(b, X86_CMP, true, X86_RDX, X86_RBX, X86_RCX, OFF(tlb_r));
		fail[nf++] = x86_jcc(b, X86_CC_NE);
	}
	if (r->store) {
		x86_alu_rm_ix(b, X86_CMP, true, X86_RDX, X86_RBX, X86_RCX, OFF(tlb_w));
		fail[nf++] = x86_jcc(b, X86_CC_NE);
	}
	if (r->load && r->store) {
		_Static_assert(sizeof(((struct hart *)0)->resv_valid) == 1, "resv_valid is a bool");
		x86_test_mi(b, 1, X86_RBX, OFF(resv_valid), 1);
		fail[nf++] = x86_jcc(b, X86_CC_NE);
	}
	int32_t ho = (int32_t)offsetof(struct tlb_ent, host_off);
	x86_load_ix(b, 8, false, X86_RAX, X86_RBX, X86_RCX, (r->load ? OFF(tlb_r) : OFF(tlb_w)) + ho);
	if (r->load && r->store) {
		x86_alu_rm_ix(b, X86_CMP, true, X86_RAX, X86_RBX, X86_RCX, OFF(tlb_w) + ho);
		fail[nf++] = x86_jcc(b, X86_CC_NE);
	}
	return nf;
}

/*
 * A member of a run (plan_runs): the head checks the whole run's bytes
 * once and keeps host_off in the run's register (or h->jit_run slot); the
 * other members use it with no check: the base register is not written
 * between them, nothing that may change a mapping runs between them (a
 * helper other than a slow path ends the run), and the block cannot be
 * entered in the middle. When the check fails (a miss, a page crossing,
 * MMIO, a write-protected code page - stores to pages with translated code
 * have no write TLB entry -, an LR reservation), the head takes the full
 * path (gen_run_fallback), so no member runs without a checked host_off.
 * An FS guard that fails at the head leaves the block.
 *
 * A cached run's head (a loop block's) only checks that its bytes lie in
 * one page, the one whose host_off it kept from an earlier pass: within
 * one entry of such a block nothing can change a mapping, make a page
 * code (only translation does) or take an LR reservation (no helpers),
 * and every exit drops the cache (each entry starts with a C that fails:
 * jit_mem_loop_entry). A miss runs the full check (gen_run_miss).
 */
static void gen_mem_run(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc,
			const struct run *r, uint8_t *guard, uint32_t at_split, uint32_t dirty_split,
			uint32_t fdirty_split)
{
	struct x86_buf *b = &g->b;
	bool head = r->head == g->cur;
	bool fp = f->kind == K_FLOAD || f->kind == K_FSTORE;
	unsigned ix = hreg(g, d->rs1);
	/* loaded before the split, so the fallback starts in the same state */
	if (f->kind == K_STORE)
		hreg(g, d->rs2);
	else if (f->kind == K_FSTORE)
		fhreg(g, d->rs2);
	uint32_t fb_loaded = g->loaded, fb_floaded = g->floaded;
	uint8_t *fail[4], *miss[1] = { NULL };
	unsigned nf = 0, hb = r->reg ? r->reg : X86_RAX;
	if (head && r->cached && r->rising) {
		/* base below the limit: its bytes are in the cached page (the
		 * base has not decreased since run_fill checked them) */
		unsigned base = ix;
		if (!base) {
			base = X86_RAX;
			ldx(g, base, d->rs1);
		}
		if (r->preg)
			x86_alu_rr(b, X86_CMP, true, base, r->preg);
		else
			x86_alu_rm(b, X86_CMP, true, base, X86_RBX, r->pslot);
		miss[0] = x86_jcc(b, X86_CC_AE);
		if (!r->reg)
			x86_load(b, 8, false, X86_RAX, X86_RBX, r->slot);
	} else if (head && r->cached) {
		/* x[base] - C < 4096 - (hi - lo), unsigned: lo and hi in the
		 * cached page (C: see run_fill), else gen_run_miss */
		ldx(g, X86_RDX, d->rs1);
		if (r->preg)
			x86_alu_rr(b, X86_SUB, true, X86_RDX, r->preg);
		else
			x86_alu_rm(b, X86_SUB, true, X86_RDX, X86_RBX, r->pslot);
		x86_alu_ri(b, X86_CMP, true, X86_RDX, 4096 - (r->hi - r->lo));
		miss[0] = x86_jcc(b, X86_CC_AE);
		if (!r->reg)
			x86_load(b, 8, false, X86_RAX, X86_RBX, r->slot);
	} else if (head) {
		nf = run_check(g, r, d, ix, fail);
		if (r->reg)
			x86_mov_rr(b, true, r->reg, X86_RAX);
		else
			x86_store(b, 8, X86_RAX, X86_RBX, r->slot);
	} else if (!r->reg && !(g->rax_run == g->run_of[g->cur] && g->rax_at + 1 == g->cur)) {
		x86_load(b, 8, false, X86_RAX, X86_RBX, r->slot);
	}
	unsigned ix0 = ix;
	uint8_t *hit = b->p; /* a cached run's miss path comes back here */
	if (!ix) {
		ix = X86_RDX;
		ldx(g, ix, d->rs1);
	}
	mem_access(g, f, d, hb, ix);
	/* RAX still holds host_off unless the access loaded into it (the
	 * guard's handler path rejoins with RAX clobbered) */
	bool into_rax = f->kind == K_STORE || f->kind == K_FSTORE ? false
		      : fp ? !(f->a == 8 && g->fhost[d->rd]) : !(d->rd && g->host[d->rd]);
	g->rax_run = hb == X86_RAX && !into_rax && !guard ? g->run_of[g->cur] : 0;
	g->rax_at = g->cur;
	if (guard) {
		jit_gen_add_cold(g, d, pc, head ? NULL : &guard, head ? 0 : 1, at_split, dirty_split,
			 fdirty_split);
		if (head)
			g->cold[g->ncold - 1].leave[0] = guard;
	}
	if (head) { /* a cached run's miss makes it (gen_run_miss) */
		jit_gen_add_cold(g, d, pc, r->cached ? miss : fail, r->cached ? 1 : nf, fb_loaded,
			 dirty_split, fdirty_split);
		struct cold *c = &g->cold[g->ncold - 1];
		c->f = f;
		c->floaded_split = fb_floaded;
		c->run = r;
		c->ix = ix0;
		if (r->cached) {
			c->miss = r;
			c->hit = hit;
		}
	}
}

void jit_mem_gen(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc)
{
	bool fp = f->kind == K_FLOAD || f->kind == K_FSTORE;
	bool store = f->kind == K_STORE || f->kind == K_FSTORE;
	uint32_t at_split = g->loaded, dirty_split = g->dirty, fdirty_split = g->fdirty;
	/* FS Off, or not Dirty for fld: the handler's business */
	uint8_t *guard = fp ? jit_fp_fs_guard(&g->b, &g->fp, !store) : NULL;
	unsigned ri = g->run_of[g->cur];
	if (ri)
		gen_mem_run(g, f, d, pc, &g->runs[ri - 1], guard, at_split, dirty_split,
			    fdirty_split);
	else
		gen_mem_full(g, f, d, pc, guard, at_split, dirty_split, fdirty_split);
	g->pending++;
}

/* After a run_check that held (RAX = host_off): keep host_off for the
 * members, and a cached run's page (ix: the base's host register or 0). */
static void run_fill(struct gen *g, const struct run *r, const struct insn *d, unsigned ix)
{
	struct x86_buf *b = &g->b;
	if (r->reg)
		x86_mov_rr(b, true, r->reg, X86_RAX);
	else
		x86_store(b, 8, X86_RAX, X86_RBX, r->slot);
	if (!r->cached)
		return;
	unsigned base = ix;
	if (!base) { /* RAX is host_off now */
		base = X86_RDX;
		ldx(g, base, d->rs1);
	}
	/* a rising run's limit, else C = the page of byte lo, minus lo:
	 * x[base] - C is then the offset of byte lo in that page (see
	 * gen_mem_run) */
	x86_lea(b, X86_RDX, base, r->lo);
	if (r->rising) {
		/* limit = page + 4096 - hi: below it, x[base] + hi is in the
		 * page. The last page of the address space gets 0 (always a
		 * miss): a base creeping past 2^64 would wrap below its limit. */
		x86_alu_ri(b, X86_AND, true, X86_RDX, -4096);
		x86_alu_ri(b, X86_CMP, true, X86_RDX, -4096);
		uint8_t *top = x86_jcc(b, X86_CC_E);
		x86_alu_ri(b, X86_ADD, true, X86_RDX, 4096 - r->hi);
		uint8_t *done = x86_jmp(b);
		x86_patch_rel32(top, b->p);
		x86_mov_imm(b, X86_RDX, 0);
		x86_patch_rel32(done, b->p);
	} else {
		x86_alu_ri(b, X86_AND, true, X86_RDX, -4096);
		if (r->lo)
			x86_lea(b, X86_RDX, X86_RDX, -r->lo);
	}
	if (r->preg)
		x86_mov_rr(b, true, r->preg, X86_RDX);
	else
		x86_store(b, 8, X86_RDX, X86_RBX, r->pslot);
}

/*
 * At a loop block's entry, before its head: each cached run is checked
 * and filled here, for x[base] as it is now (as a fill at the head would:
 * the pair C, host_off stays right for this entry whatever x[base] does,
 * the head's check compares x[base] with C), so a loop of few passes
 * does not start with a miss. When the check fails, a rising run gets
 * limit 0 (none) and another C = x[base] + 2^63, which makes the head's
 * first check fail: until the head first runs, x[base]
 * moves only by addi immediates under 256, at most one per instruction
 * before the head (creeping_regs), so x[base] - C stays within 2^20 of
 * 2^63, far above any page offset.
 */
void jit_mem_loop_entry(struct gen *g, const struct insn *const *ins)
{
	struct x86_buf *b = &g->b;
	for (unsigned o = 0; o < g->nruns; o++) {
		const struct run *r = &g->runs[o];
		if (!r->cached)
			continue;
		const struct insn *d = ins[r->head];
		unsigned ix = hreg(g, r->base);
		uint8_t *fail[4];
		unsigned nf = run_check(g, r, d, ix, fail);
		run_fill(g, r, d, ix);
		uint8_t *done = x86_jmp(b);
		for (unsigned k = 0; k < nf; k++)
			x86_patch_rel32(fail[k], b->p);
		x86_mov_imm(b, X86_RDX, r->rising ? 0 : 1ull << 63); /* limit 0: none */
		if (!r->rising && ix)
			x86_alu_rr(b, X86_ADD, true, X86_RDX, ix);
		else if (!r->rising)
			x86_alu_rm(b, X86_ADD, true, X86_RDX, X86_RBX, XO(r->base));
		if (r->preg)
			x86_mov_rr(b, true, r->preg, X86_RDX);
		else
			x86_store(b, 8, X86_RDX, X86_RBX, r->pslot);
		x86_patch_rel32(done, b->p);
	}
}

/*
 * A run head's fallback (c->f set): the state is that of the split; the
 * head runs its full path (its miss calls the handler, which fills the
 * TLB), then the run is checked again - its base is not written by the
 * head of a run with other members - and the block goes on when it holds
 * (a first touch), else it is left for the next instruction (MMIO, a
 * page crossing...), so no member runs unchecked. A run of one (a loop
 * block's cached access) just goes on.
 */
void jit_mem_fallback(struct gen *g, const struct cold *c)
{
	struct x86_buf *b = &g->b;
	for (int k = 0; k < COLD_JUMPS; k++)
		if (c->slow[k])
			x86_patch_rel32(c->slow[k], b->p);
	g->pending = c->pending;
	g->loaded = c->at_split;
	g->dirty = c->dirty_split;
	g->floaded = c->floaded_split;
	g->fdirty = c->fdirty_split;
	gen_mem_full(g, c->f, c->d, c->pc, NULL, c->at_split, c->dirty_split, c->fdirty_split);
	g->pending++;
	if (c->run->n > 1) {
		uint8_t *fail[4];
		unsigned nf = run_check(g, c->run, c->d, c->ix, fail);
		run_fill(g, c->run, c->d, c->ix);
		x86_patch_rel32(x86_jmp(b), c->done);
		for (unsigned k = 0; k < nf; k++)
			x86_patch_rel32(fail[k], b->p);
		jit_gen_exit_const(g, c->pc + c->d->len, g->pending, true);
	} else {
		x86_patch_rel32(x86_jmp(b), c->done);
	}
}

/*
 * A cached run head's miss (c->miss): the full check; on success the
 * page and host_off are cached and the head goes on at c->hit (RAX =
 * host_off there when the run has no register); on failure, the fallback
 * (a new cold entry: c's state at the split).
 */
void jit_mem_miss(struct gen *g, struct cold *c)
{
	struct x86_buf *b = &g->b;
	const struct run *r = c->miss;
	for (int k = 0; k < COLD_JUMPS; k++)
		if (c->slow[k])
			x86_patch_rel32(c->slow[k], b->p);
	uint8_t *fail[4];
	unsigned nf = run_check(g, r, c->d, c->ix, fail);
	run_fill(g, r, c->d, c->ix);
	x86_patch_rel32(x86_jmp(b), c->hit);
	if (g->ncold == sizeof(g->cold) / sizeof(g->cold[0]))
		abort(); /* cannot happen: at most 4 per instruction */
	struct cold *fb = &g->cold[g->ncold++];
	*fb = *c;
	fb->miss = NULL;
	for (int k = 0; k < COLD_JUMPS; k++)
		fb->slow[k] = k < (int)nf ? fail[k] : NULL;
}

/* The x register d writes (0: none); helpers other than native F/D ops
 * are not asked (they end every run). */
static unsigned x_dest(const struct form *f, const struct insn *d)
{
	switch (f->kind) {
	case K_STORE: case K_FSTORE: case K_FLOAD: case K_BR: case K_FENCE:
		return 0;
	case K_HELP: { /* a native F/D op writes f[rd] or x[rd], never both */
		uint32_t fregs, fwritten;
		if (jit_fp_native(d, &fregs, &fwritten) && (fwritten >> d->rd & 1))
			return 0;
		return d->rd;
	}
	default:
		return d->rd;
	}
}

#define JIT_RUN_SLOTS 16 /* h->jit_run[] */
_Static_assert(sizeof(((struct hart *)0)->jit_run) == 8 * JIT_RUN_SLOTS, "jit_run slots");

/* A free host register (else slot) from instruction at to end: true when
 * one was free. */
static bool take_res(int *reg_end, int *slot_end, int at, int end, uint8_t *reg, int32_t *slot)
{
	for (unsigned k = 0; k < 10; k++)
		if (reg_end[k] < at) {
			*reg = jit_gen_regs[k];
			reg_end[k] = end;
			return true;
		}
	for (unsigned k = 0; k < JIT_RUN_SLOTS; k++)
		if (slot_end[k] < at) {
			*slot = OFF(jit_run) + 8 * (int32_t)k;
			slot_end[k] = end;
			return true;
		}
	return false;
}

static void release_res(int *reg_end, int *slot_end, uint8_t reg, int32_t slot)
{
	for (unsigned k = 0; k < 10; k++)
		if (reg && jit_gen_regs[k] == reg)
			reg_end[k] = -1;
	if (!reg)
		slot_end[(slot - OFF(jit_run)) / 8] = -1;
}

/*
 * The registers a loop block's passes move by at most 255 bytes at a time
 * (addi to itself) or not at all: a cached page then mostly holds. A
 * larger stride is not worth it: a matrix column's 1600 bytes cross a
 * page every 2.6 passes, and each crossing's miss (a full check, the
 * refill, two jumps, often a mispredicted branch) cost more than the
 * plain lookup of every pass (guest-cpu fp's matmul loop: 7% slower).
 * Passes end at the last back edge: what follows it runs once, on the way
 * out.
 */
static uint32_t creeping_regs(const struct insn *const *ins, const struct form *const *fs,
			      unsigned n, uint32_t *rising)
{
	uint32_t creeping = ~0u, falling = 0;
	unsigned last_back = 0;
	for (unsigned i = 0, pc = 0; i < n; pc += ins[i]->len, i++)
		if ((fs[i]->kind == K_BR || fs[i]->kind == K_JAL) && (int64_t)pc + ins[i]->imm == 0)
			last_back = i;
	for (unsigned i = 0; i <= last_back; i++) {
		const struct insn *d = ins[i];
		unsigned xd = x_dest(fs[i], d);
		if (xd && !(fs[i]->kind == K_ALU_RI && fs[i]->a == X86_ADD && !fs[i]->w32 &&
			    d->rs1 == xd && d->imm > -256 && d->imm < 256))
			creeping &= ~(1u << xd);
		else if (xd && d->imm < 0)
			falling |= 1u << xd;
	}
	*rising = creeping & ~falling; /* only addi with imm >= 0, or unwritten */
	return creeping;
}

/*
 * Host registers and slots for the runs, each free after its run's last
 * member (a cached run's never: cacheable = the base registers a run of
 * the loop's shortest pass may be cached for). A run left without one
 * stays a set of single accesses.
 */
static void assign_runs(struct gen *g, uint32_t cacheable, uint32_t rising)
{
	int reg_end[10], slot_end[JIT_RUN_SLOTS];
	for (unsigned k = 0; k < 10; k++)
		reg_end[k] = -1;
	for (unsigned k = 0; k < JIT_RUN_SLOTS; k++)
		slot_end[k] = -1;
	for (unsigned r = 1; r < 32; r++)
		for (unsigned k = 0; k < 10; k++)
			if (g->host[r] == jit_gen_regs[k])
				reg_end[k] = INT32_MAX; /* a guest register's */
	/* Cached runs first, with resources no other run touches: the passes
	 * repeat, so one freed before a cached run's head in program order is
	 * written again by its earlier owner in the next pass. */
	for (unsigned o = 0; o < g->nruns; o++) {
		struct run *r = &g->runs[o];
		if (r->head < g->pass && (cacheable >> r->base & 1) &&
		    take_res(reg_end, slot_end, 0, INT32_MAX, &r->reg, &r->slot)) {
			r->cached = take_res(reg_end, slot_end, 0, INT32_MAX, &r->preg, &r->pslot);
			r->rising = r->cached && (rising >> r->base & 1);
			if (r->cached)
				continue;
			release_res(reg_end, slot_end, r->reg, r->slot);
			r->reg = 0;
			r->slot = 0;
		}
	}
	for (unsigned o = 0; o < g->nruns; o++) {
		struct run *r = &g->runs[o];
		int at = (int)r->head;
		if (r->cached)
			continue;
		if (r->n >= 2 && take_res(reg_end, slot_end, at, (int)r->last, &r->reg, &r->slot))
			continue;
		for (unsigned i = r->head; i <= r->last; i++)
			if (g->run_of[i] == o + 1)
				g->run_of[i] = 0;
	}
}

/*
 * Runs: the accesses off one base register x[b] from one that starts the
 * run to the last before x[b] is written, a helper (other than native
 * F/D ops: their slow paths, like those of other accesses, only do what
 * one instruction does) or lr/sc (lr takes a reservation), a loop
 * block's first back edge (its shortest pass apart from the rarer paths
 * after it) or the end; the bytes they touch span under 2 KiB (else a new
 * run starts). A run of two or more gets a host register no guest
 * register uses (else an h->jit_run slot) from its head to its last
 * member; with none free it stays a set of single accesses. In a loop
 * block with no helper or lr/sc (either could take an LR reservation), a
 * run of the shortest pass whose base creeps is cached across passes
 * (even a run of one): see gen_mem_run.
 */
void jit_mem_plan(struct gen *g, const struct insn *const *ins,
		      const struct form *const *fs, unsigned n)
{
	int open[32];
	bool cache = g->pass != 0;
	memset(open, -1, sizeof(open));
	for (unsigned i = 0; i < n; i++) {
		const struct insn *d = ins[i];
		unsigned k = fs[i]->kind;
		uint32_t m, w;
		if ((k == K_LOAD || k == K_STORE || k == K_FLOAD || k == K_FSTORE) && d->rs1) {
			int32_t lo = d->imm, hi = d->imm + fs[i]->a - 1;
			int o = open[d->rs1];
			struct run *r = o >= 0 ? &g->runs[o] : NULL;
			if (r && (hi > r->hi ? hi : r->hi) - (lo < r->lo ? lo : r->lo) < 2048) {
				r->lo = lo < r->lo ? lo : r->lo;
				r->hi = hi > r->hi ? hi : r->hi;
			} else {
				o = open[d->rs1] = (int)g->nruns++;
				r = &g->runs[o];
				*r = (struct run){ .head = i, .lo = lo, .hi = hi, .base = d->rs1 };
			}
			r->last = i;
			r->n++;
			if (k == K_STORE || k == K_FSTORE)
				r->store = true;
			else
				r->load = true;
			g->run_of[i] = (uint8_t)(o + 1);
		}
		/* a helper may take an LR reservation, as lr does */
		bool help = (k == K_HELP && !jit_fp_native(d, &m, &w)) || k == K_LRSC;
		if (help)
			cache = false;
		if (help || k == K_END || k == K_JAL || k == K_JALR || i + 1 == g->pass)
			memset(open, -1, sizeof(open));
		else if (x_dest(fs[i], d))
			open[x_dest(fs[i], d)] = -1;
	}
	uint32_t rising = 0, creeping = cache ? creeping_regs(ins, fs, n, &rising) : 0;
	assign_runs(g, creeping, rising);
}

/* ---- for jit-amo.c (see jit-gen.h) ---- */
unsigned jit_mem_lookup(struct gen *g, const struct insn *d, int32_t tlb, int32_t key,
			unsigned size, uint8_t **slow)
{
	return tlb_lookup_in(g, d, tlb, key, size, slow);
}

void jit_mem_log_store(struct gen *g, unsigned size, unsigned hb, unsigned ix, int32_t imm)
{
	log_store(g, size, hb, ix, imm);
}
