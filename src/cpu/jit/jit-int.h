/*
 * jit-int.h - the JIT's private state, shared by the translator (jit.c),
 * the x86-64 code generator (jit-gen.c) and the check mode (jit-check.c).
 *
 * Threading: one struct jit per hart, used only by the vCPU thread that
 * runs the hart (the code cache is per hart, so patching needs no locks).
 */
#ifndef RINGVM_JIT_INT_H
#define RINGVM_JIT_INT_H

#include "cpu/hart.h"
#include <stdio.h>
#include "cpu/jit/x86-emit.h"

#define JIT_MAX_INSNS 64           /* per block */
/* check mode: the most instructions one checked run of a block (a loop
 * block's passes) may retire; the store log holds 2 pieces for each */
#define JIT_CHECK_BUDGET 512
/* check mode's store log (h->ck_st, owned by jit-check.c): one record a
 * stored piece, appended by jit_check_store and, for fast-path stores,
 * by generated code (jit-mem.c writes pa, old, n and fast = 1) */
struct jit_store_rec { uint64_t pa, old, now; uint32_t n, fast; };
#define JIT_CHECK_STORE_MAX (2 * JIT_CHECK_BUDGET)
#define JIT_CODE_SIZE (128u << 20) /* bytes of host code before a full flush */
#define JIT_MAX_BLOCKS (1u << 17)
#define JIT_MAX_EXITS (1u << 18)
#define JIT_HASH_BITS 16
#define JIT_NONE UINT32_MAX
#define JIT_TRAMP_BYTES 1536     /* trampolines and shared stubs at the start of code */
#define JIT_FP_CONST_BYTES 608   /* ... whose last bytes hold jit-fp.c's constants and stubs */
#define JIT_JC_BITS 12           /* entries; two ways per 64-byte set */
#define JIT_JC_LOG 512           /* fills since the last clear, remembered */
#define JIT_JC2_BITS 15          /* entries of the second-level jump cache (1 MiB) */
#define JIT_JC_SETS (1u << (JIT_JC_BITS - 1))
#define JIT_SEEN (1u << 16)      /* first-visit filter slots */

/*
 * The jump cache: indirect jumps (jalr), and direct jumps to another page
 * whose link's guard missed (see struct jit_exit), look their target up
 * here from generated code and go straight to the block.
 * An entry is used only while the fetch TLB still maps va with the same
 * pa_off, so TLB flushes and privilege changes need no extra work; page
 * drops, fence.i and full flushes clear the whole array. The dispatcher
 * looks here first too (one cache line, where the block hash and the
 * block cost two misses). Two-way sets of one cache line each, indexed
 * by pc (jit_jc_set): way 0 holds the newest entry (a direct-mapped array
 * sent ~150k jumps per boot to the dispatcher after conflicts).
 * Size: a 1 MiB O_DIRECT read (guest dd) makes ~8900 indirect jumps per
 * request, and most of the probe's cost is its load of the entry missing
 * the host's cache. 4k entries (128 KiB) still send ~70 jumps a request
 * to the dispatcher's hash lookup (~0.3 us each); 16k cut that to ~27,
 * but the sparser array made the probe's loads and the guest code around
 * them slower by more than that saved (perf/disk/guest-profile.py, 3
 * interleaved pairs: +15-20 us of stub and +10-20 us of guest time per
 * request against -9 us of lookup).
 */
struct jit_jc {
	uint64_t va, pa_off;
	uint8_t *code; /* the block, or the interp stub (see struct jit) */
	uint32_t n;   /* the block's length: the dispatcher's budget test */
	uint32_t pad;
};

/* The set of pc: by pc >> 1 (jit-gen.c's probe computes the same). An
 * index mixing in the page number (pc >> 12) missed as often. */
static inline unsigned jit_jc_set(uint64_t pc)
{
	return (unsigned)((pc >> 1) & (JIT_JC_SETS - 1));
}

/*
 * The second level (jc2): a direct-mapped array of the same entries,
 * written with every fill, read only when both ways of pc's set missed -
 * by the probe too, which then goes to the block without leaving
 * generated code. A miss in the first level cost a trip through the
 * dispatcher and its block hash (~0.3 us: the exit, two cache misses, the
 * entry again), ~70 times per request of a 1 MiB O_DIRECT read (targets
 * used once a request, evicted by ~9000 indirect jumps in between);
 * making the first level itself bigger made every probe slower. Its slot
 * of pc: pc >> 1, whose low bits are pc's set, so one logged slot number
 * names both entries to clear.
 */
static inline unsigned jit_jc2_slot(uint64_t pc)
{
	return (unsigned)((pc >> 1) & ((1u << JIT_JC2_BITS) - 1));
}

/*
 * A translated block: straight-line guest code starting at virtual pc va
 * (physical pa), ending at a branch, jump, system instruction, the end of
 * the page or JIT_MAX_INSNS. Keyed by (pa, va): pc-relative constants
 * (auipc, jal, branch targets) are baked in from va.
 */
struct jit_block {
	uint64_t pa, va;
	uint8_t *code;      /* entry: check flag, budget, then the body */
	uint32_t n;         /* guest instructions */
	uint32_t page_next; /* next block index on the same RAM page */
	uint32_t hash_next; /* next block index in the same hash bucket */
	bool valid;         /* false once its page was written */
	bool loop;          /* a loop block (it jumps back to its start) */
};

enum { JIT_BREAK_NONE, JIT_BREAK_REG, JIT_BREAK_RUN };

/* A direct exit whose jmp rel32 may be patched to the target block. */
struct jit_exit {
	uint8_t *field;
	uint32_t from;      /* block index */
	bool linked;        /* a cross-page exit, now linked (see below) */
	uint64_t target;    /* guest virtual pc */
	/* a cross-page exit (target in another page; NULL for same-page
	 * ones): the guard's expected pa_off (an imm64 in the code), the
	 * miss jmp's rel32 and the stub both jmps go to while unlinked */
	uint8_t *pa_imm, *miss, *stub;
};

/*
 * Cross-page links. A direct exit (jal, branch, fall-through) whose target
 * is in another page cannot be chained as same-page ones are (the other
 * page's mapping may change, and its writes do not drop this page's
 * blocks), and the jump cache probe's loads of its set miss the host cache
 * (a 1 MiB O_DIRECT read made ~3200 such exits per request, ~36% of all
 * probes). So such an exit gets its own inline guard (jit-gen.c's
 * exit_xpage):
 *   tlb_x[hart_xidx(target)].tag == hart_xtag(target, h->xkey)  (mapped
 *       now, under the current privilege and TLB epoch: index and page
 *       number are translation-time constants)
 *   and its pa_off == the imm64 the link was made for,
 * then a jmp to the target block. Unlinked, that jmp and the guard's miss
 * jmp go to a stub that leaves with the exit (like a same-page one), and
 * jit.c's xlink links it: the imm64 = the fetch TLB's pa_off, the jmp to
 * the block found for (target + pa_off, target) in a page checked since
 * the last fence.i, the miss jmp to the probe (a mapping that moved later
 * is then served by the jump cache, as before). Every link is undone
 * (links[]) wherever the jump cache is cleared (jc_clear: page drops,
 * fence.i, full flushes), so a link never outlives its target block or
 * skips a page recheck: it is valid exactly when a jump cache entry
 * would be.
 */

struct jit {
	uint8_t *code;
	size_t used;
	/* trampolines at the start of code: enter(h, entry) and the exit */
	void *(*enter)(struct hart *h, void *entry);
	uint8_t *exit;
	/* shared stubs that blocks call (see jit_gen_trampolines) */
	uint8_t *probe, *call_check, *call_end;
	/* ras_miss: a return the return-address stack does not hold goes
	 * to the probe through it (jit-gen.c's ras_pop; an empty entry of the
	 * stack holds it); ras_full: a pad's check of the fetch TLB */
	uint8_t *ras_miss, *ras_full;
	/* xexit: "leave with RAX = an unlinked cross-page exit, h->pc = its
	 * target" (see exit_xpage in jit-gen.c) */
	uint8_t *xexit;
	/* interp: "leave with h->pc = RAX"; a jump-cache entry whose code is
	 * this stub marks a pc no block can start at (an instruction crossing
	 * its page, code outside RAM): the dispatcher interprets one
	 * instruction there without a block lookup and translation attempt
	 * (a 1 MiB O_DIRECT read ran ~13 of those per request) */
	uint8_t *interp;
	uint8_t *fp_consts;                 /* 16-byte aligned, see jit_fp_consts */
	struct jit_block *blocks;
	uint32_t nblocks;
	struct jit_exit *exits;
	uint32_t nexits;
	/* buckets of valid blocks by (pa, va), chained through hash_next: a
	 * block stays findable until its page is dropped or the cache is
	 * flushed (a direct-mapped table retranslated ~18% of a boot's blocks
	 * after collisions) */
	uint32_t hash[1u << JIT_HASH_BITS];
	_Alignas(64) struct jit_jc jc[1u << JIT_JC_BITS];
	struct jit_jc *jc2;                 /* 1 << JIT_JC2_BITS, see jit_jc2_slot */
	/* the jc2 slots filled since the jump cache was last cleared
	 * (jc_log_n > JIT_JC_LOG: more, clear it all): a clear then costs
	 * what was filled, not a 1 MiB memset (a boot runs ~800 fence.i, most
	 * after a few dozen fills) */
	uint16_t jc_log[JIT_JC_LOG];
	uint32_t jc_log_n;
	/* exits[] indices of the cross-page links made since the jump cache
	 * was last cleared (each site is linked at most once in between) */
	uint32_t *links;
	uint32_t nlinks;
	uint32_t *page_head;                /* per RAM page, block list */
	uint32_t seen[JIT_SEEN];            /* first visits (jit.c) */
	bool eager; /* RINGVM_JIT_EAGER: translate on the first visit (tests) */
	/* calls and returns use the return-address stack (jit-gen.c's
	 * ras_push); RINGVM_JIT_RAS=0 turns it off (comparisons) */
	bool ras;
	/* RINGVM_JIT_XLINK=0: cross-page exits probe the jump cache, never
	 * linked (to measure the links against) */
	bool no_xlink;
	/* RINGVM_JIT_BREAK=reg|run (tests only): loop blocks are miscompiled
	 * on purpose (see test_break in jit-gen.c), to show check mode sees it */
	uint8_t test_break;
	/* fence.i: a page's blocks are revalidated (hash of the page's bytes
	 * against the hash when its first block was made) the first time the
	 * page is entered after a fence.i; this catches code written behind
	 * the hart's back (device DMA, the loader, other harts). */
	uint64_t *page_hash;
	uint32_t *page_epoch;
	uint32_t fence_epoch;
	uint64_t gen;                       /* bumped by every full flush */
	struct hart *hart;                  /* whose jit_ras jc_clear empties */
	/* RINGVM_JIT_STATS: generated code counts the returns the
	 * return-address stack sent to their continuation, and those it sent
	 * to the probe */
	bool stats;
	uint64_t n_ras_hit, n_ras_miss;
	/* statistics */
	uint64_t n_translated, n_flushes, n_chained, n_stale_pages, n_rechecked, n_xlinked;
	/* runs of generated code jit_run started (a probe miss in generated
	 * code comes back through it: tests/jit/probe-kernel-half.c) */
	uint64_t n_entered;
	uint64_t translate_ticks, start_ticks, start_ns; /* TSC, see jit.c */
	FILE *perf_map;                     /* RINGVM_JIT_PERFMAP, or NULL */
	/* check mode */
	struct jit_check *check;
};

/* jit-gen.c: translate the decoded insns of block index bi; false when the
 * code buffer overflowed (caller flushes and retries). */
bool jit_gen_block(struct jit *j, struct hart *h, uint32_t bi,
		   const struct insn *const *ins, unsigned n);
/* jit-gen.c: the enter/exit trampolines at the start of the cache. */
void jit_gen_trampolines(struct jit *j);

/*
 * jit-fp.c: native code for the hot F/D instructions and fflags/frm/fcsr
 * accesses (false: not handled, the caller calls the interpreter's
 * handler; a handled CSR access does not end the block). It uses these from
 * jit-gen.c: the block's emitter buffer and its per-block FP state word;
 * ldx/stx of guest x registers (mapped or in memory); and slow_path,
 * which ends a fast path: the n jcc fields go to a call of d's handler
 * (the inputs are untouched there), both paths join, and the insn counts;
 * the nleave ones go to a call of the handler that then leaves the block
 * (the guards of state the rest of the block relies on); pre (or NULL),
 * the result check's jcc, goes first to out-of-line code jit_fp_pre
 * emits, which jumps back to resume (in the fast path, right after pre)
 * when the result needs no handler, else falls through to the call.
 */
struct gen;
bool jit_fp_gen(struct gen *g, const struct insn *d, uint64_t pc);
struct x86_buf *jit_gen_buf(struct gen *g);
uint32_t *jit_gen_fpstate(struct gen *g);
/*
 * jit_fp_native: will jit_fp_gen emit native code for d? *fregs = the f
 * registers it reads or writes, *fwritten those it writes. jit_gen_freg: the XMM register holding
 * f[r] (loaded here on first use), or 0 when f[r] is used in h->f.
 * jit_gen_fdst: the XMM register f[r] is written to, or 0 (then write
 * h->f[r]); call it only after the op's last jump to its slow path (the
 * slow path must see the inputs untouched).
 */
bool jit_fp_native(const struct insn *d, uint32_t *fregs, uint32_t *fwritten);
/*
 * A loop block checks the block-wide FP state its passes rely on once,
 * before its head: jit_fp_needs = the state d's native code (or fld/fsd)
 * would check; jit_fp_prologue emits the checks of need (the union) into
 * b, sets them known in the block's state word *st and returns the jcc
 * fields (at most 3) taken when one does not hold. Only CSR writes and
 * MXCSR.RC switches undo that state: other CSR accesses end the block, and what a native
 * fflags/frm/fcsr write or a rounding op that switches MXCSR.RC in the
 * block's passes may undo (jit-gen.c's loop_prologue) is left to the ops, so what the prologue
 * checked holds for every pass.
 */
uint32_t jit_fp_needs(const struct insn *d);
/* jit-fp.c: write its JIT_FP_CONST_BYTES of constants (read RIP-relative
 * by generated code) and stubs at at; jit-gen.c: where they are */
void jit_fp_consts(uint8_t *at);
const uint8_t *jit_gen_fp_consts(struct gen *g);
unsigned jit_fp_prologue(struct gen *g, uint32_t need, uint8_t **fail);
/*
 * Inexact tracking and dynamic rounding (see jit-fp.c): while h->jit_nx
 * is set, MXCSR.PE holds the inexactness of the FP ops generated code ran
 * since NX was seen clear; while h->jit_rc is not 0, MXCSR.RC is not RNE.
 * C code must see neither: jit_fp_call_flush emits, into the helper stub,
 * the move of PE into fflags.NX and RC = RNE before the call (after:
 * false) and the restart of tracking and RC after it (after: true);
 * jit_fp_exit_flush, into the exit trampoline, the move, the end of
 * tracking and RC = RNE. fp_area: where jit_fp_consts wrote
 * (j->fp_consts). Before: RDI, RCX, RDX clobbered; after and exit: RCX,
 * RDX (RAX stays).
 */
void jit_fp_call_flush(struct x86_buf *b, const uint8_t *fp_area, bool after);
void jit_fp_exit_flush(struct x86_buf *b, const uint8_t *fp_area);
unsigned jit_gen_freg(struct gen *g, unsigned r);
unsigned jit_gen_fdst(struct gen *g, unsigned r);
void jit_gen_ldx(struct gen *g, unsigned host, unsigned r);
void jit_gen_stx(struct gen *g, unsigned r, unsigned host);
void jit_gen_slow_path(struct gen *g, const struct insn *d, uint64_t pc, uint8_t *const *slow,
		       unsigned n, uint8_t *const *leave, unsigned nleave, uint8_t *pre,
		       uint8_t *resume);
/* jit-fp.c: the out-of-line part of d's result check (see above), emitted
 * with the generator in the fast path's state at its end (d's sources
 * loaded); it may clobber RAX, RCX, RDX and XMM1, not XMM0 (the result). */
void jit_fp_pre(struct gen *g, const struct insn *d, uint8_t *resume);
/*
 * mstatus.FS guard of an F/D instruction (jit-fp.c; fld/fsd use it too):
 * dirty = the instruction writes an f register, so its fast path needs FS
 * == Dirty (it then writes no mstatus: a store per op would chain loop
 * iterations through memory); else FS != Off. Emits nothing when the block
 * already knows, and returns the jcc to send to the instruction's slow
 * path (or NULL). The handler there raises illegal instruction (leaving
 * the block) or marks FS dirty itself, so from this point on the whole
 * block knows - see the state bits in jit-fp.c.
 */
uint8_t *jit_fp_fs_guard(struct x86_buf *b, uint32_t *st, bool dirty);

/* jit-check.c */
int jit_check_init(struct hart *h);
void jit_check_free(struct jit *j);
/* the snapshot before blk runs (NULL: the interpreter runs) */
void jit_check_before(struct hart *h, const struct jit_block *blk);
/* the interrupt lines (mip_hw) the last jit_check_before snapshot holds */
uint64_t jit_check_lines(const struct hart *h);
/* pc_end/ir_end: the real hart after the block blk, before it took any
 * interrupt (its current state may be at the trap vector). */
void jit_check_after(struct hart *h, const struct jit_block *blk, uint64_t pc_end,
		     uint64_t ir_end);
void jit_check_interp(struct hart *h, uint64_t k);
/* jit-gen.c: true when translation stops after d */
bool jit_ends_block(const struct insn *d);
/* jit-fp.c: d is an fflags/frm/fcsr access with native code (it does not
 * end the block); jit_fp_undoes: the state bits (see jit_fp_needs) such a
 * write may undo, which the block checks anew after it, or that a native
 * rounding op may undo (it sets MXCSR.RC for dynamic or static RNE
 * rounding); 0: none */
bool jit_fp_csr(const struct insn *d);
uint32_t jit_fp_undoes(const struct insn *d);

#endif
