/*
 * jit-gen.h - the code generator's state for one block, shared by
 * jit-gen.c (blocks, integer ops, branches, exits, helper calls),
 * jit-mem.c (loads and stores: the inline TLB lookup and runs) and
 * jit-amo.c (AMOs); private to those three (jit-fp.c sees struct gen only
 * through jit-int.h).
 *
 * Threading: vCPU thread (a struct gen lives on the translating thread's
 * stack for one block).
 */
#ifndef RINGVM_JIT_GEN_H
#define RINGVM_JIT_GEN_H

#include "cpu/jit/jit-int.h"

#include <stddef.h>

#define OFF(f) ((int32_t)offsetof(struct hart, f))
#define XO(r) ((int32_t)(offsetof(struct hart, x) + 8 * (r)))
#define FO(r) ((int32_t)(offsetof(struct hart, f) + 8 * (r)))

_Static_assert(sizeof(struct tlb_ent) == 32, "the inline TLB lookup assumes 32-byte entries");
#define TLB_IDX_SHIFT 7 /* (va >> 12) * 32 = va >> 7, masked */
#define TLB_IDX_MASK ((int32_t)((TLB_SIZE - 1) << 5))

enum kind {
	K_HELP, K_END, K_ALU_RR, K_ALU_RI, K_SH_RI, K_SH_RR, K_SLT_RR, K_SLT_RI,
	K_LUI, K_AUIPC, K_JAL, K_JALR, K_BR, K_LOAD, K_STORE, K_MUL, K_MULH, K_DIV, K_FENCE, K_FLOAD, K_FSTORE,
	K_AMO, K_LRSC,
};

/* K_AMO's s: the operation (a: 4 or 8 bytes; K_LRSC: s = 0 LR, 1 SC) */
enum { AMO_SWAP, AMO_ADD, AMO_XOR, AMO_AND, AMO_OR, AMO_MIN, AMO_MAX, AMO_MINU, AMO_MAXU };

/* a: x86 op / cc / size; w32: the RV64 "w" form; s: sign or variant flag */
struct form { insn_fn fn; uint8_t kind, a, w32, s; };

/* Most jumps one instruction's fast path may take to its slow path
 * (jit-fp.c's MAX_SLOW must not exceed it). */
#define COLD_JUMPS 8
/* Most jumps to a slow path that leaves the block after the handler. */
#define COLD_LEAVE 3

struct gen {
	struct x86_buf b;
	struct jit *j;
	uint32_t bi;
	unsigned n;       /* instructions in the block (charged at entry) */
	unsigned pending; /* retired so far in this block */
	uint8_t host[32]; /* guest register -> R12..R15, R8..R11, RSI, RDI; 0 = in memory */
	uint32_t mapped, dirty;
	uint32_t loaded;  /* mapped registers whose host copy is live here */
	uint32_t keep_ok; /* loaded ones a helper call may keep (see gen_mem) */
	uint8_t *head;    /* a loop block: where its back edges jump (else NULL) */
	uint32_t loop_dirty, loop_fdirty; /* ... and the mapped registers it
					   * writes (x: up to its last back
					   * edge): at its head all count dirty */
	uint32_t fp;      /* jit-fp.c's per-block state */
	uint32_t split_loaded, split_dirty; /* state before a jit-fp.c fast path */
	/* f registers in XMM2-XMM15, as the x ones: fhost[r] = XMM number or
	 * 0; every call clobbers all of them (SysV), so they are written back
	 * before and reloaded after each helper */
	uint8_t fhost[32];
	uint32_t fmapped, fdirty, floaded;
	uint32_t split_fdirty;
	unsigned cur;     /* index of the instruction being translated */
	/* runs of accesses off one base register (plan_runs): run_of[i] =
	 * run index + 1 of instruction i, 0 = none */
	uint8_t run_of[JIT_MAX_INSNS];
	struct run {
		unsigned head, last, n; /* first and last member, members */
		unsigned base;          /* the base register */
		int32_t lo, hi;         /* bytes touched: x[base] + lo .. + hi */
		bool load, store;
		uint8_t reg;            /* host register holding host_off, or 0: */
		int32_t slot;           /* ... its h->jit_run[] offset */
		/* cached: in a loop block, host_off is kept across passes with
		 * C = its page's address - lo (one that fails at block entry:
		 * see jit_mem_loop_entry), in preg or at pslot, and the head
		 * only checks x[base] - C < 4096 - (hi - lo) */
		bool cached;
		uint8_t preg;
		int32_t pslot;
		/* cached and its base never decreases within a block entry:
		 * preg/pslot hold a limit instead, the first base value whose
		 * bytes leave the page (0 at block entry: no page), and the
		 * head is one compare (see gen_mem_run) */
		bool rising;
	} runs[JIT_MAX_INSNS];
	unsigned pass;    /* a loop block's shortest pass (loops_to_start) */
	unsigned nruns;
	/* RAX holds the host_off of run rax_run - 1 right after instruction
	 * rax_at (a slot run's member that left it there) */
	unsigned rax_run, rax_at;
	unsigned ndref; /* entries of dref[], after cold[] */
	/* the block's call (at most one: it ends the block), see ras_push:
	 * the lea rip field to point at its pad, and its return pc */
	uint8_t *ras_field;
	uint64_t ras_ret;
	/* in a loop block, a forward branch i whose target is instruction t
	 * of the block jumps there (into[i] = t + 1, see plan_into) instead
	 * of leaving; label[t]/label_pending[t]: where t's code starts and
	 * the retired count there */
	uint8_t into[JIT_MAX_INSNS];
	uint8_t *label[JIT_MAX_INSNS];
	unsigned label_pending[JIT_MAX_INSNS];
	unsigned ncold, nside;
	/* slow paths (memory accesses, jit-fp.c's ops), emitted after the
	 * block's body (out of the hot path's way) with the generator state
	 * of their instruction; last:
	 * jit_gen_block zeroes everything before it */
	struct cold {
		uint8_t *slow[COLD_JUMPS], *done;
		uint8_t *leave[COLD_LEAVE]; /* to the helper, then out of the block */
		uint8_t *pre, *resume; /* jit-fp.c's result check: see jit_fp_pre */
		const struct insn *d;
		const struct form *f; /* a run head's fallback (see gen_mem_run), or NULL */
		const struct run *miss; /* a cached run head's miss (see gen_run_miss), or NULL */
		const struct run *run;  /* a fallback's run */
		uint8_t *hit;
		unsigned ix;
		uint64_t pc;
		unsigned pending;
		uint32_t dirty_split, dirty_fast, loaded_fast, at_split;
		uint32_t fdirty_split, fdirty_fast, floaded_fast, floaded_split;
	} cold[4 * JIT_MAX_INSNS]; /* a run head's: guard, miss, fallback, its miss */
	/* helper calls' insn operands: lea rip fields, pointed at copies of
	 * the insns that end the block's code (near the code: the stub's
	 * load of d->len and d->fn hits a line that is warm) */
	struct dref { uint8_t *field; const struct insn *d; } dref[3 * JIT_MAX_INSNS];
	/* taken forward branches: their exits, emitted after the body too */
	struct side {
		uint8_t *field;
		uint64_t target;
		unsigned pending;
		uint32_t dirty, fdirty;
		unsigned into; /* g->into of its branch: 0 = leave */
	} side[JIT_MAX_INSNS];
};

/* The host register of x[r], loaded on first use; 0 when not mapped. */
static inline unsigned hreg(struct gen *g, unsigned r)
{
	if (r == 0 || !g->host[r])
		return 0;
	if (!(g->loaded & (1u << r))) {
		x86_load(&g->b, 8, false, g->host[r], X86_RBX, XO(r));
		g->loaded |= 1u << r;
	}
	return g->host[r];
}

static inline void ldx(struct gen *g, unsigned host, unsigned r)
{
	if (r == 0)
		x86_mov_imm(&g->b, host, 0);
	else if (hreg(g, r))
		x86_mov_rr(&g->b, true, host, g->host[r]);
	else
		x86_load(&g->b, 8, false, host, X86_RBX, XO(r));
}

static inline void stx(struct gen *g, unsigned r, unsigned host)
{
	if (r == 0)
		return;
	if (g->host[r]) {
		x86_mov_rr(&g->b, true, g->host[r], host);
		g->dirty |= 1u << r;
		g->loaded |= 1u << r;
	} else {
		x86_store(&g->b, 8, host, X86_RBX, XO(r));
	}
}

/* The XMM register of f[r], loaded on first use; 0 when not mapped. */
static inline unsigned fhreg(struct gen *g, unsigned r)
{
	if (!g->fhost[r])
		return 0;
	if (!(g->floaded & (1u << r))) {
		x86_movs_load(&g->b, true, g->fhost[r], X86_RBX, FO(r));
		g->floaded |= 1u << r;
	}
	return g->fhost[r];
}

/* jit-gen.c: the host registers guest registers may live in, in order of
 * choice (runs take the ones left); queue a slow path (see its comment);
 * leave the block for a constant pc. */
extern const uint8_t jit_gen_regs[10];
void jit_gen_add_cold(struct gen *g, const struct insn *d, uint64_t pc, uint8_t *const *slow,
		      unsigned n, uint32_t at_split, uint32_t dirty_split, uint32_t fdirty_split);
void jit_gen_exit_const(struct gen *g, uint64_t target, unsigned n, bool chain);
/* jit-gen.c's pieces the return stack (jit-ras.c) builds on */
void jit_gen_settle_budget(struct gen *g);
void jit_gen_count(struct jit *j, struct x86_buf *b, uint64_t *c);
void jit_gen_chained_exit(struct gen *g, uint64_t target, bool in_rax);
uint8_t *jit_gen_xtlb_tag(struct x86_buf *b);
/* jit-ras.c: the return-address stack */
void jit_ras_push(struct gen *g, uint64_t ret);
void jit_ras_pop(struct gen *g);
void jit_ras_pad(struct gen *g);
void jit_ras_stubs(struct jit *j, struct x86_buf *b);

/* jit-mem.c: a load or store (f: K_LOAD, K_STORE, K_FLOAD, K_FSTORE);
 * the runs of a block (before its code); the cold code of a run head's
 * fallback (c->f set) and of a cached run's miss (c->miss set); a loop
 * block's entry code for its cached runs (after its registers are
 * loaded). */
void jit_mem_gen(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc);
void jit_mem_plan(struct gen *g, const struct insn *const *ins, const struct form *const *fs,
		  unsigned n);
void jit_mem_fallback(struct gen *g, const struct cold *c);
void jit_mem_miss(struct gen *g, struct cold *c);
void jit_mem_loop_entry(struct gen *g, const struct insn *const *ins);
/* jit-mem.c, for jit-amo.c: the inline TLB lookup of x[d->rs1] + d->imm
 * in the TLB at hart offset tlb, tagged with the key at offset key
 * (returns the register holding x[rs1]; on a hit RAX = host_off and RCX
 * = the entry's offset from that TLB; slow[0] is the jcc to the slow
 * path) and check mode's fast-path store log. */
unsigned jit_mem_lookup(struct gen *g, const struct insn *d, int32_t tlb, int32_t key,
			unsigned size, uint8_t **slow);
void jit_mem_log_store(struct gen *g, unsigned size, unsigned hb, unsigned ix, int32_t imm);

/* jit-amo.c: an AMO (f: K_AMO) or LR/SC (K_LRSC) with its fast path
 * inline. */
void jit_amo_gen(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc);
void jit_amo_lrsc(struct gen *g, const struct form *f, const struct insn *d, uint64_t pc);

#endif
