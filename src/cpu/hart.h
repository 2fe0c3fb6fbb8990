/*
 * hart.h - the RV64GC hart state and the helpers shared by the interpreter
 * files (decode, exec-*, csr, mmu, trap). A later JIT shares this struct.
 *
 * Threading: everything here belongs to the vCPU thread that runs the hart,
 * except mip_hw, check, exit_req and wake_seq, which other threads touch
 * through cpu_set_irq()/cpu_kick() with atomics.
 */
#ifndef RINGVM_CPU_HART_H
#define RINGVM_CPU_HART_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/ops.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

enum { PRV_U = 0, PRV_S = 1, PRV_M = 3 };
enum { ACC_R = 0, ACC_W = 1, ACC_X = 2 };

/* Exception causes (privileged spec table 3.6). */
enum {
	EXC_INSN_MISALIGNED = 0, EXC_INSN_ACCESS = 1, EXC_ILLEGAL = 2,
	EXC_BREAKPOINT = 3, EXC_LOAD_MISALIGNED = 4, EXC_LOAD_ACCESS = 5,
	EXC_STORE_MISALIGNED = 6, EXC_STORE_ACCESS = 7, EXC_ECALL_U = 8,
	EXC_ECALL_S = 9, EXC_ECALL_M = 11, EXC_INSN_PAGE = 12,
	EXC_LOAD_PAGE = 13, EXC_STORE_PAGE = 15,
};

/* mstatus bits */
#define MS_SIE (1ull << 1)
#define MS_MIE (1ull << 3)
#define MS_SPIE (1ull << 5)
#define MS_MPIE (1ull << 7)
#define MS_SPP (1ull << 8)
#define MS_MPP (3ull << 11)
#define MS_FS (3ull << 13)
#define MS_MPRV (1ull << 17)
#define MS_SUM (1ull << 18)
#define MS_MXR (1ull << 19)
#define MS_TVM (1ull << 20)
#define MS_TW (1ull << 21)
#define MS_TSR (1ull << 22)
#define MS_UXL (3ull << 32)
#define MS_SXL (3ull << 34)
#define MS_SD (1ull << 63)

#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID UINT64_MAX
#define TLB_RESV_KEY (1ull << 55)
#define DC_BITS 15
#define DC_SIZE (1u << DC_BITS)
#define DC_PA_MASK ((1ull << 56) - 1)

/*
 * One software TLB entry: a 4 KiB guest page that is plain RAM and passes
 * PMP for the whole page. tag = (vaddr >> 12) | key << 56 | epoch << 60,
 * where the key is the effective privilege plus SUM/MXR, so mode switches
 * need no flush, and a flush just bumps the epoch (memset every 15th).
 * Epoch 15 is never live, so TLB_INVALID (all ones) never matches.
 */
struct tlb_ent {
	uint64_t tag;
	uintptr_t host_off; /* host pointer = vaddr + host_off */
	uint64_t pa_off;    /* guest physical = vaddr + pa_off */
	/* 1: the translation does not depend on satp (a global mapping, or
	 * M-mode's own), so it survives satp writes and sfence.vma with an
	 * ASID (mmu_flush_asid). 32 bytes: the JIT indexes with a shift. */
	uint64_t keep;
};

struct hart;
struct insn;
/*
 * A handler executes d at pc and returns the next pc. On entry h->pc = pc
 * and h->npc = pc + d->len; a trap (or anything else that redirects)
 * writes h->npc, so handlers with side paths simply return h->npc.
 */
typedef uint64_t (*insn_fn)(struct hart *h, const struct insn *d, uint64_t pc);

/*
 * A decoded instruction, cached by physical address (tag). 32 bytes.
 * raw keeps the encoding for mtval on illegal instruction traps.
 */
struct insn {
	uint64_t tag;
	insn_fn fn;
	int32_t imm;
	uint8_t rd, rs1, rs2, rs3;
	uint8_t len, rm;
	uint16_t csr;
	uint32_t raw;
};

struct hart {
	uint64_t x[32];
	uint64_t f[32];
	uint64_t pc;   /* the instruction being executed */
	uint64_t npc;  /* where execution continues; traps redirect it */
	uint64_t instret;
	unsigned priv;
	uint64_t dkey, xkey; /* TLB keys for data and fetch, pre-shifted */
	/* the write TLB's: dkey, plus TLB_RESV_KEY (a bit no tag holds) while
	 * an LR reservation is live, so every store misses and takes the slow
	 * path, which snoops it (hart_set_resv keeps the two in step) */
	uint64_t wkey;
	uint64_t tlb_epoch;  /* 0..14, bits 60..63 of every live TLB tag */
	uint64_t dc_epoch;   /* 0..254 << 56, ORed into decode cache tags */
	/* per address half (va bit 63): the span [lo, hi] (hi inclusive) of
	 * the superpages the TLBs hold pieces of since the last full flush
	 * (mmu_flush_page) */
	uint64_t super_lo[2], super_hi[2];

	/* TLBs, hot: right after the registers. */
	struct tlb_ent tlb_r[TLB_SIZE], tlb_w[TLB_SIZE], tlb_x[TLB_SIZE];

	/* CSRs */
	uint64_t mstatus;  /* SD is computed on read */
	uint32_t fflags, frm;
	uint64_t misa, medeleg, mideleg, mie;
	uint64_t mip_sw;   /* software-writable bits: SSIP, STIP, SEIP */
	uint64_t mtvec, stvec, mscratch, sscratch, mepc, sepc;
	uint64_t mcause, scause, mtval, stval, satp;
	uint32_t mcounteren, scounteren, mcountinhibit;
	uint64_t menvcfg, senvcfg;
	uint64_t hartid;
	uint8_t pmpcfg[64];
	uint64_t pmpaddr[64];
	/* Active PMP entries in priority order, ranges [lo, hi) precomputed. */
	unsigned pmp_n;
	struct { uint64_t lo, hi; uint8_t cfg; } pmp_act[64];
	/* [lo, hi): where every access passes PMP in any mode (mmu.c's
	 * pmp_open; lo > hi when there is no such range) */
	uint64_t pmp_open_lo, pmp_open_hi;

	/* LR/SC reservation: the 8 bytes from resv_pa, and the value LR saw */
	bool resv_valid;
	uint64_t resv_pa;
	uint64_t resv_val;

	/* Decode cache and the per-RAM-page "has decoded code" map. */
	struct insn *dc;
	uint8_t *code_page;
	uint64_t ram_pages;

	/* Cross-thread (own cache line: other threads write these) */
	_Alignas(64) uint64_t _Atomic mip_hw;
	/* look at irqs/exit_req before next insn: 0, or INT64_MAX when raised
	 * (more than any budget, so the JIT's budget test - sub, then cmp
	 * with this and jl - leaves on either: see jit-gen.c) */
	int64_t _Atomic check;
	int _Atomic exit_req;  /* cpu_kick() */
	uint32_t _Atomic wake_seq; /* futex word for cpu_wfi_wait */
	int _Atomic sleeping;

	_Alignas(64) bool wfi_exit; /* set by WFI to leave cpu_run */
	struct insn scratch; /* uncached decode (page-crossing or MMIO fetch) */
	/* Counter CSRs: value = instret + off, or frozen while inhibited. */
	uint64_t cy_off, ir_off, cy_frozen, ir_frozen;
	struct cpu_bus bus;
	/* JIT (src/cpu/jit): NULL when interpreting; budget left in jit_run. */
	struct jit *jit;
	int64_t jit_budget;
	/* host_off of a run of accesses (jit-gen.c) when the block has no
	 * free host register for it; valid only inside the block that set it */
	uint64_t jit_run[16];
	/* the JIT's return-address stack (jit-gen.c's ras_push: calls write,
	 * returns read the entry of the guest's sp; jit.c empties it with the
	 * jump cache): {host code address - a calling block's pad, or the
	 * stub for none -, jit_ras_gen when written}; jit_ras_gen: bumped by
	 * the JIT whenever the fetch mapping may change. Only the vCPU
	 * thread's generated code and jit.c touch them. */
	uint64_t jit_ras_gen;
	_Alignas(64) struct { void *pad; uint64_t gen; } jit_ras[256];
	/* jit-fp.c's inexact tracking: 1 while fflags.NX is clear and MXCSR.PE
	 * collects the inexactness of generated code's FP ops (moved to NX
	 * before every helper call, fflags access and exit); jit_rc: the
	 * rounding mode (RISC-V encoding, 0 = RNE) generated code set in
	 * MXCSR.RC for dynamic-mode ops while frm is not RNE (0 whenever C code
	 * runs); jit_mxcsr: their ldmxcsr/stmxcsr scratch. Only the vCPU
	 * thread's generated code and its stubs touch them. */
	uint32_t jit_nx, jit_rc, jit_mxcsr;
	/* check mode: the real hart's RAM stores are logged (with the bytes
	 * they replace) so the shadow can re-run a block on the same RAM: the
	 * slow paths and the interpreter's inline stores call
	 * jit_check_store, generated code's fast-path stores append to the
	 * log themselves (ck_st[ck_nst++], ck_over when full; ck_pa_off turns
	 * a host address into a physical one). jit-check.c owns the log. */
	struct jit_check *store_log;
	void *ck_st;
	uint32_t ck_nst;
	uint32_t ck_over;
	uint64_t ck_pa_off;
};

/* ---- cpu.c ---- */
/* The interpreter loop (cpu_run without the JIT). */
enum cpu_exit cpu_interp(struct hart *h, uint64_t max_insns);
/* The same, stopping after the first instruction that does not fall
 * through (taken branch or jump, trap, interrupt); *ran = instructions
 * run (a trapping one included). The JIT runs a block's first visit so. */
enum cpu_exit cpu_interp_block(struct hart *h, uint64_t max_insns, uint64_t *ran);
/* Handle the check flag (irqs, WFI, kicks); true = leave with *why. */
bool cpu_handle_check(struct hart *h, enum cpu_exit *why);

/* ---- jit/ hooks (jit.c) ---- */
enum cpu_exit jit_run(struct hart *h, uint64_t max_insns);
void jit_page_written(struct hart *h, uint64_t pa_page); /* a code page was stored to */
void jit_code_flush(struct hart *h);                      /* fence.i / reset */
void jit_free(struct hart *h);
void jit_check_store(struct hart *h, uint64_t pa, unsigned n); /* before a logged store */

/* ---- trap.c ---- */
/* Exception from inside an instruction (it does not retire). */
void trap_raise(struct hart *h, uint64_t cause, uint64_t tval);
/* Trap taken between instructions (fetch faults, interrupts). */
void trap_take(struct hart *h, uint64_t cause, uint64_t tval);
bool trap_check_irq(struct hart *h);
/*
 * After a write that may enable an interrupt (mstatus, mie, mideleg, sip/
 * mip, xRET): raise the check flag only when one can be taken now. An
 * interrupt line raised later sets the flag itself, so nothing is lost;
 * Linux toggles sstatus.SUM around every user copy and returns with sret
 * after every trap, and a flag each time sent the JIT back to its
 * dispatcher ~100k times per boot.
 */
void trap_irq_recheck(struct hart *h);
void trap_update_keys(struct hart *h);
uint64_t trap_pending_irqs(const struct hart *h);

static inline uint64_t hart_illegal(struct hart *h, const struct insn *d)
{
	trap_raise(h, EXC_ILLEGAL, d->raw);
	return h->npc;
}

/* ---- csr.c ---- */
enum { CSR_RW = 0, CSR_RS = 1, CSR_RC = 2 }; /* csrrw/csrrs/csrrc kinds */
/* Returns false after raising illegal instruction. */
bool csr_access(struct hart *h, const struct insn *d, unsigned csr,
		uint64_t src, int op, bool write, uint64_t *old);
uint64_t csr_mstatus_read(const struct hart *h);
void csr_reset(struct hart *h);

/* ---- mmu.c ---- */
void mmu_flush(struct hart *h);
void mmu_flush_asid(struct hart *h); /* satp write, sfence.vma x0, rs2 != x0 */
void mmu_flush_page(struct hart *h, uint64_t va); /* sfence.vma with an address */
void mmu_pmp_changed(struct hart *h);
void mmu_code_flush(struct hart *h);
bool mmu_load_slow(struct hart *h, uint64_t va, unsigned size, uint64_t *v);
bool mmu_store_slow(struct hart *h, uint64_t va, unsigned size, uint64_t v);
/* Translate for an atomic op: returns a host pointer to RAM or NULL (trap raised). */
void *mmu_amo_ptr(struct hart *h, uint64_t va, unsigned size, bool store,
		  uint64_t *pa);
/* Fetch path: returns the decoded insn at h->pc or NULL after a trap. */
const struct insn *mmu_fetch_slow(struct hart *h);
bool pmp_check(const struct hart *h, uint64_t pa, unsigned len, int acc,
	       unsigned priv);
void mmu_resv_store(struct hart *h, uint64_t pa, unsigned size);

/* ---- decode.c ---- */
void decode_insn(struct insn *d, uint32_t raw);
const struct insn *decode_fill(struct hart *h, uint64_t pa, uint32_t raw);

/* ---- exec handlers referenced by decode ---- */
#define OP(name) uint64_t op_##name(struct hart *h, const struct insn *d, uint64_t pc)
#define NEXT (pc + d->len)

static inline uint64_t hart_xtag(uint64_t va, uint64_t key)
{
	return (va >> 12) | key;
}

/*
 * The fetch TLB's index: the page number with va bits 32..41 folded in.
 * Plain (va >> 12) put OpenSBI's M-mode code at 0x80000000 and the
 * kernel's text at 0xffffffff80000000 (the same low bits) in the same
 * entries: each SBI call (one timer call per disk request) evicted
 * kernel text, refilled by a page walk. With the fold the kernel's text
 * (bits 32..41 all ones) runs down from the top of the table while M-mode
 * and low user code (bits 32.. zero) keep their index. Every reader of
 * tlb_x uses this: the interpreter, mmu.c's fill and single-page flush,
 * jit.c's lookups and the JIT's probe stub (gen_probe), which computes
 * the same ((va >> 12) ^ (va >> 32)) & (TLB_SIZE - 1). The read and
 * write TLBs keep plain (va >> 12) (generated code inlines that index).
 */
static inline unsigned hart_xidx(uint64_t va)
{
	return (unsigned)((va >> 12) ^ (va >> 32)) & (TLB_SIZE - 1);
}

/* Data loads/stores with the fast path inline. */
#define DEFINE_LOAD(name, type)                                               \
	static inline bool name(struct hart *h, uint64_t va, type *out)        \
	{                                                                      \
		const struct tlb_ent *e = &h->tlb_r[(va >> 12) & (TLB_SIZE - 1)]; \
		if (likely(e->tag == hart_xtag(va, h->dkey) &&                 \
			   (va & 0xfff) <= 4096 - sizeof(type))) {             \
			memcpy(out, (void *)(uintptr_t)(va + e->host_off),     \
			       sizeof(type));                                  \
			return true;                                           \
		}                                                              \
		uint64_t v;                                                    \
		if (!mmu_load_slow(h, va, sizeof(type), &v))                   \
			return false;                                          \
		*out = (type)v;                                                \
		return true;                                                   \
	}
DEFINE_LOAD(ld_u8, uint8_t)
DEFINE_LOAD(ld_u16, uint16_t)
DEFINE_LOAD(ld_u32, uint32_t)
DEFINE_LOAD(ld_u64, uint64_t)

#define DEFINE_STORE(name, type)                                              \
	static inline bool name(struct hart *h, uint64_t va, type v)           \
	{                                                                      \
		const struct tlb_ent *e = &h->tlb_w[(va >> 12) & (TLB_SIZE - 1)]; \
		if (likely(e->tag == hart_xtag(va, h->wkey) &&                 \
			   (va & 0xfff) <= 4096 - sizeof(type))) {             \
			if (unlikely(h->store_log))                            \
				jit_check_store(h, va + e->pa_off, sizeof(type)); \
			memcpy((void *)(uintptr_t)(va + e->host_off), &v,      \
			       sizeof(type));                                  \
			return true;                                           \
		}                                                              \
		return mmu_store_slow(h, va, sizeof(type), v);                 \
	}
DEFINE_STORE(st_u8, uint8_t)
DEFINE_STORE(st_u16, uint16_t)
DEFINE_STORE(st_u32, uint32_t)
DEFINE_STORE(st_u64, uint64_t)

/* Take or drop the LR reservation (see wkey). */
static inline void hart_set_resv(struct hart *h, bool live)
{
	h->resv_valid = live;
	h->wkey = h->dkey | (live ? TLB_RESV_KEY : 0);
}

static inline uint64_t hart_mip(const struct hart *h)
{
	return h->mip_sw | __atomic_load_n(&h->mip_hw, __ATOMIC_ACQUIRE);
}

/* Privilege of loads/stores: MPRV in M-mode borrows MPP's. */
static inline unsigned hart_data_priv(const struct hart *h)
{
	if ((h->mstatus & MS_MPRV) && h->priv == PRV_M)
		return (h->mstatus & MS_MPP) >> 11;
	return h->priv;
}

static inline void hart_request_check(struct hart *h)
{
	__atomic_store_n(&h->check, INT64_MAX, __ATOMIC_RELEASE);
}

#endif
