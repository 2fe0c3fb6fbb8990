/*
 * exec-int.c - handlers for RV64I, M, A, Zicsr, Zifencei and the system
 * instructions (ecall, ebreak, wfi, fences, sfence.vma).
 *
 * Each handler returns the next pc (see insn_fn in hart.h); after a trap
 * it returns h->npc. x0 is re-zeroed by the run loop.
 *
 * Threading: vCPU thread. AMOs use host atomics on guest RAM so several
 * harts on several threads stay coherent.
 */
#include "cpu/hart.h"

#define X(r) (h->x[d->r])
#define IMM ((int64_t)d->imm)

OP(illegal) { return hart_illegal(h, d); }

OP(lui) { X(rd) = (uint64_t)IMM; return NEXT; }
OP(auipc) { X(rd) = pc + (uint64_t)IMM; return NEXT; }
OP(jal) { X(rd) = NEXT; return pc + (uint64_t)IMM; }
OP(jalr)
{
	uint64_t t = (X(rs1) + (uint64_t)IMM) & ~1ull;
	X(rd) = NEXT;
	return t;
}

#define BRANCH(name, cond) \
	OP(name) { return (cond) ? pc + (uint64_t)IMM : NEXT; }
BRANCH(beq, X(rs1) == X(rs2))
BRANCH(bne, X(rs1) != X(rs2))
BRANCH(blt, (int64_t)X(rs1) < (int64_t)X(rs2))
BRANCH(bge, (int64_t)X(rs1) >= (int64_t)X(rs2))
BRANCH(bltu, X(rs1) < X(rs2))
BRANCH(bgeu, X(rs1) >= X(rs2))

#define LOAD(name, fn, type, stype) \
	OP(name)                                                             \
	{                                                                    \
		type v;                                                      \
		if (unlikely(!fn(h, X(rs1) + (uint64_t)IMM, &v)))            \
			return h->npc;                                       \
		X(rd) = (uint64_t)(stype)v;                                  \
		return NEXT;                                                 \
	}
LOAD(lb, ld_u8, uint8_t, int8_t)
LOAD(lh, ld_u16, uint16_t, int16_t)
LOAD(lw, ld_u32, uint32_t, int32_t)
LOAD(ld, ld_u64, uint64_t, uint64_t)
LOAD(lbu, ld_u8, uint8_t, uint8_t)
LOAD(lhu, ld_u16, uint16_t, uint16_t)
LOAD(lwu, ld_u32, uint32_t, uint32_t)

#define STORE(name, fn, type) \
	OP(name)                                                             \
	{                                                                    \
		if (unlikely(!fn(h, X(rs1) + (uint64_t)IMM, (type)X(rs2))))  \
			return h->npc;                                       \
		return NEXT;                                                 \
	}
STORE(sb, st_u8, uint8_t)
STORE(sh, st_u16, uint16_t)
STORE(sw, st_u32, uint32_t)
STORE(sd, st_u64, uint64_t)

OP(addi) { X(rd) = X(rs1) + (uint64_t)IMM; return NEXT; }
OP(slti) { X(rd) = (int64_t)X(rs1) < IMM; return NEXT; }
OP(sltiu) { X(rd) = X(rs1) < (uint64_t)IMM; return NEXT; }
OP(xori) { X(rd) = X(rs1) ^ (uint64_t)IMM; return NEXT; }
OP(ori) { X(rd) = X(rs1) | (uint64_t)IMM; return NEXT; }
OP(andi) { X(rd) = X(rs1) & (uint64_t)IMM; return NEXT; }
OP(slli) { X(rd) = X(rs1) << (d->imm & 63); return NEXT; }
OP(srli) { X(rd) = X(rs1) >> (d->imm & 63); return NEXT; }
OP(srai) { X(rd) = (uint64_t)((int64_t)X(rs1) >> (d->imm & 63)); return NEXT; }
OP(addiw) { X(rd) = (uint64_t)(int32_t)(X(rs1) + (uint64_t)IMM); return NEXT; }
OP(slliw) { X(rd) = (uint64_t)(int32_t)((uint32_t)X(rs1) << (d->imm & 31)); return NEXT; }
OP(srliw) { X(rd) = (uint64_t)(int32_t)((uint32_t)X(rs1) >> (d->imm & 31)); return NEXT; }
OP(sraiw) { X(rd) = (uint64_t)((int32_t)X(rs1) >> (d->imm & 31)); return NEXT; }

OP(add) { X(rd) = X(rs1) + X(rs2); return NEXT; }
OP(sub) { X(rd) = X(rs1) - X(rs2); return NEXT; }
OP(sll) { X(rd) = X(rs1) << (X(rs2) & 63); return NEXT; }
OP(slt) { X(rd) = (int64_t)X(rs1) < (int64_t)X(rs2); return NEXT; }
OP(sltu) { X(rd) = X(rs1) < X(rs2); return NEXT; }
OP(xor) { X(rd) = X(rs1) ^ X(rs2); return NEXT; }
OP(srl) { X(rd) = X(rs1) >> (X(rs2) & 63); return NEXT; }
OP(sra) { X(rd) = (uint64_t)((int64_t)X(rs1) >> (X(rs2) & 63)); return NEXT; }
OP(or) { X(rd) = X(rs1) | X(rs2); return NEXT; }
OP(and) { X(rd) = X(rs1) & X(rs2); return NEXT; }
OP(addw) { X(rd) = (uint64_t)(int32_t)(X(rs1) + X(rs2)); return NEXT; }
OP(subw) { X(rd) = (uint64_t)(int32_t)(X(rs1) - X(rs2)); return NEXT; }
OP(sllw) { X(rd) = (uint64_t)(int32_t)((uint32_t)X(rs1) << (X(rs2) & 31)); return NEXT; }
OP(srlw) { X(rd) = (uint64_t)(int32_t)((uint32_t)X(rs1) >> (X(rs2) & 31)); return NEXT; }
OP(sraw) { X(rd) = (uint64_t)((int32_t)X(rs1) >> (X(rs2) & 31)); return NEXT; }

/* ---- M ---- */
OP(mul) { X(rd) = X(rs1) * X(rs2); return NEXT; }
OP(mulh) { X(rd) = (uint64_t)(((__int128)(int64_t)X(rs1) * (int64_t)X(rs2)) >> 64); return NEXT; }
OP(mulhu) { X(rd) = (uint64_t)(((unsigned __int128)X(rs1) * X(rs2)) >> 64); return NEXT; }
OP(mulhsu)
{
	__int128 p = (__int128)(int64_t)X(rs1) * (__int128)(unsigned __int128)X(rs2);
	X(rd) = (uint64_t)(p >> 64);
	return NEXT;
}
OP(div)
{
	int64_t a = (int64_t)X(rs1), b = (int64_t)X(rs2);
	X(rd) = b == 0 ? UINT64_MAX : (a == INT64_MIN && b == -1) ? (uint64_t)a : (uint64_t)(a / b);
	return NEXT;
}
OP(divu)
{
	uint64_t a = X(rs1), b = X(rs2);
	X(rd) = b == 0 ? UINT64_MAX : a / b;
	return NEXT;
}
OP(rem)
{
	int64_t a = (int64_t)X(rs1), b = (int64_t)X(rs2);
	X(rd) = b == 0 ? (uint64_t)a : (a == INT64_MIN && b == -1) ? 0 : (uint64_t)(a % b);
	return NEXT;
}
OP(remu)
{
	uint64_t a = X(rs1), b = X(rs2);
	X(rd) = b == 0 ? a : a % b;
	return NEXT;
}
OP(mulw) { X(rd) = (uint64_t)(int32_t)(X(rs1) * X(rs2)); return NEXT; }
OP(divw)
{
	int32_t a = (int32_t)X(rs1), b = (int32_t)X(rs2);
	int32_t r = b == 0 ? -1 : (a == INT32_MIN && b == -1) ? a : a / b;
	X(rd) = (uint64_t)(int64_t)r;
	return NEXT;
}
OP(divuw)
{
	uint32_t a = (uint32_t)X(rs1), b = (uint32_t)X(rs2);
	X(rd) = (uint64_t)(int32_t)(b == 0 ? UINT32_MAX : a / b);
	return NEXT;
}
OP(remw)
{
	int32_t a = (int32_t)X(rs1), b = (int32_t)X(rs2);
	int32_t r = b == 0 ? a : (a == INT32_MIN && b == -1) ? 0 : a % b;
	X(rd) = (uint64_t)(int64_t)r;
	return NEXT;
}
OP(remuw)
{
	uint32_t a = (uint32_t)X(rs1), b = (uint32_t)X(rs2);
	X(rd) = (uint64_t)(int32_t)(b == 0 ? a : a % b);
	return NEXT;
}

/* ---- A ---- */
OP(lr_w)
{
	uint64_t pa;
	int32_t *p = mmu_amo_ptr(h, X(rs1), 4, false, &pa);
	if (!p)
		return h->npc;
	int32_t v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	hart_set_resv(h, true);
	h->resv_pa = pa;
	h->resv_val = (uint32_t)v;
	X(rd) = (uint64_t)(int64_t)v;
	return NEXT;
}
OP(lr_d)
{
	uint64_t pa;
	uint64_t *p = mmu_amo_ptr(h, X(rs1), 8, false, &pa);
	if (!p)
		return h->npc;
	uint64_t v = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	hart_set_resv(h, true);
	h->resv_pa = pa;
	h->resv_val = v;
	X(rd) = v;
	return NEXT;
}

/*
 * SC succeeds only with a live reservation on the same address; across
 * harts the compare-and-swap against the LR value stands in for the
 * coherence snoop (an ABA store is not detected, which the spec permits
 * for constrained LR/SC loops only in spirit; good enough here).
 */
OP(sc_w)
{
	uint64_t pa;
	uint32_t *p = mmu_amo_ptr(h, X(rs1), 4, true, &pa);
	if (!p)
		return h->npc;
	bool ok = h->resv_valid && h->resv_pa == pa;
	hart_set_resv(h, false);
	if (ok) {
		uint32_t expect = (uint32_t)h->resv_val;
		ok = __atomic_compare_exchange_n(p, &expect, (uint32_t)X(rs2), false,
						 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	}
	X(rd) = !ok;
	return NEXT;
}
OP(sc_d)
{
	uint64_t pa;
	uint64_t *p = mmu_amo_ptr(h, X(rs1), 8, true, &pa);
	if (!p)
		return h->npc;
	bool ok = h->resv_valid && h->resv_pa == pa;
	hart_set_resv(h, false);
	if (ok) {
		uint64_t expect = h->resv_val;
		ok = __atomic_compare_exchange_n(p, &expect, X(rs2), false,
						 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	}
	X(rd) = !ok;
	return NEXT;
}

#define AMO_FETCH(name, type, bits, builtin)                                 \
	OP(name)                                                             \
	{                                                                    \
		uint64_t pa;                                                 \
		type *p = mmu_amo_ptr(h, X(rs1), sizeof(type), true, &pa);   \
		if (!p)                                                      \
			return h->npc;                                       \
		mmu_resv_store(h, pa, sizeof(type));                         \
		type v = builtin(p, (type)X(rs2), __ATOMIC_SEQ_CST);         \
		X(rd) = (uint64_t)(int##bits##_t)v;                          \
		return NEXT;                                                 \
	}
AMO_FETCH(amoswap_w, uint32_t, 32, __atomic_exchange_n)
AMO_FETCH(amoadd_w, uint32_t, 32, __atomic_fetch_add)
AMO_FETCH(amoxor_w, uint32_t, 32, __atomic_fetch_xor)
AMO_FETCH(amoand_w, uint32_t, 32, __atomic_fetch_and)
AMO_FETCH(amoor_w, uint32_t, 32, __atomic_fetch_or)
AMO_FETCH(amoswap_d, uint64_t, 64, __atomic_exchange_n)
AMO_FETCH(amoadd_d, uint64_t, 64, __atomic_fetch_add)
AMO_FETCH(amoxor_d, uint64_t, 64, __atomic_fetch_xor)
AMO_FETCH(amoand_d, uint64_t, 64, __atomic_fetch_and)
AMO_FETCH(amoor_d, uint64_t, 64, __atomic_fetch_or)

/* min/max: a compare-and-swap loop. */
#define AMO_CMP(name, type, stype, bits, pick_new)                           \
	OP(name)                                                             \
	{                                                                    \
		uint64_t pa;                                                 \
		type *p = mmu_amo_ptr(h, X(rs1), sizeof(type), true, &pa);   \
		if (!p)                                                      \
			return h->npc;                                       \
		mmu_resv_store(h, pa, sizeof(type));                         \
		type b = (type)X(rs2);                                       \
		type a = __atomic_load_n(p, __ATOMIC_RELAXED);               \
		type n;                                                      \
		do {                                                         \
			n = (pick_new) ? b : a;                              \
		} while (!__atomic_compare_exchange_n(p, &a, n, false,       \
						      __ATOMIC_SEQ_CST,      \
						      __ATOMIC_RELAXED));    \
		X(rd) = (uint64_t)(int##bits##_t)a;                          \
		return NEXT;                                                 \
	}
AMO_CMP(amomin_w, uint32_t, int32_t, 32, (int32_t)b < (int32_t)a)
AMO_CMP(amomax_w, uint32_t, int32_t, 32, (int32_t)b > (int32_t)a)
AMO_CMP(amominu_w, uint32_t, uint32_t, 32, b < a)
AMO_CMP(amomaxu_w, uint32_t, uint32_t, 32, b > a)
AMO_CMP(amomin_d, uint64_t, int64_t, 64, (int64_t)b < (int64_t)a)
AMO_CMP(amomax_d, uint64_t, int64_t, 64, (int64_t)b > (int64_t)a)
AMO_CMP(amominu_d, uint64_t, uint64_t, 64, b < a)
AMO_CMP(amomaxu_d, uint64_t, uint64_t, 64, b > a)

/* ---- Zicsr ---- */

static void csr_op(struct hart *h, const struct insn *d, uint64_t src, int op, bool write)
{
	uint64_t old;
	if (csr_access(h, d, d->csr, src, op, write, &old))
		X(rd) = old;
}
OP(csrrw) { csr_op(h, d, X(rs1), CSR_RW, true); return h->npc; }
OP(csrrs) { csr_op(h, d, X(rs1), CSR_RS, d->rs1 != 0); return h->npc; }
OP(csrrc) { csr_op(h, d, X(rs1), CSR_RC, d->rs1 != 0); return h->npc; }
OP(csrrwi) { csr_op(h, d, d->rs1, CSR_RW, true); return h->npc; }
OP(csrrsi) { csr_op(h, d, d->rs1, CSR_RS, d->rs1 != 0); return h->npc; }
OP(csrrci) { csr_op(h, d, d->rs1, CSR_RC, d->rs1 != 0); return h->npc; }

/* ---- system ---- */
OP(ecall)
{
	static const uint8_t cause[4] = { EXC_ECALL_U, EXC_ECALL_S, 0, EXC_ECALL_M };
	trap_raise(h, cause[h->priv], 0);
	return h->npc;
}
OP(ebreak) { trap_raise(h, EXC_BREAKPOINT, pc); return h->npc; }

OP(wfi)
{
	if (h->priv == PRV_U || (h->priv == PRV_S && (h->mstatus & MS_TW))) {
		hart_illegal(h, d);
		return h->npc;
	}
	if (!trap_pending_irqs(h)) {
		h->wfi_exit = true;
		hart_request_check(h);
	}
	return NEXT;
}

/* One hart, in order: memory ordering is the host's (x86 TSO + atomics). */
OP(fence) { __atomic_thread_fence(__ATOMIC_SEQ_CST); return NEXT; }

OP(fence_i) { mmu_code_flush(h); return NEXT; }

OP(sfence_vma)
{
	if (h->priv == PRV_U || (h->priv == PRV_S && (h->mstatus & MS_TVM))) {
		hart_illegal(h, d);
		return h->npc;
	}
	if (d->rs1)
		mmu_flush_page(h, h->x[d->rs1]);
	else if (d->rs2)
		mmu_flush_asid(h); /* one address space: global mappings stay */
	else
		mmu_flush(h);
	return NEXT;
}
