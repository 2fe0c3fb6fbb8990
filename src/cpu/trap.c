/*
 * trap.c - taking exceptions and interrupts (with medeleg/mideleg
 * delegation, direct and vectored tvec), mret/sret, and the TLB keys that
 * depend on the privilege mode.
 *
 * Threading: vCPU thread; reads mip_hw atomically (other threads set it).
 */
#include "cpu/hart.h"

void trap_update_keys(struct hart *h)
{
	uint64_t k = hart_data_priv(h) | ((h->mstatus & MS_SUM) ? 4 : 0) |
		     ((h->mstatus & MS_MXR) ? 8 : 0);
	h->dkey = k << 56 | h->tlb_epoch << 60;
	h->xkey = (uint64_t)h->priv << 56 | h->tlb_epoch << 60;
	h->wkey = h->dkey | (h->resv_valid ? TLB_RESV_KEY : 0);
}

void trap_take(struct hart *h, uint64_t cause, uint64_t tval)
{
	bool irq = cause >> 63;
	unsigned code = cause & 63;
	uint64_t deleg = irq ? h->mideleg : h->medeleg;
	hart_set_resv(h, false);
	if (h->priv <= PRV_S && ((deleg >> code) & 1)) {
		h->scause = cause;
		h->sepc = h->pc;
		h->stval = tval;
		uint64_t s = h->mstatus & ~(MS_SPP | MS_SPIE | MS_SIE);
		if (h->priv == PRV_S)
			s |= MS_SPP;
		if (h->mstatus & MS_SIE)
			s |= MS_SPIE;
		h->mstatus = s;
		h->priv = PRV_S;
		h->npc = (h->stvec & ~3ull) + ((irq && (h->stvec & 1)) ? 4 * code : 0);
	} else {
		h->mcause = cause;
		h->mepc = h->pc;
		h->mtval = tval;
		uint64_t s = h->mstatus & ~(MS_MPP | MS_MPIE | MS_MIE);
		s |= (uint64_t)h->priv << 11;
		if (h->mstatus & MS_MIE)
			s |= MS_MPIE;
		h->mstatus = s;
		h->priv = PRV_M;
		h->npc = (h->mtvec & ~3ull) + ((irq && (h->mtvec & 1)) ? 4 * code : 0);
	}
	trap_update_keys(h);
}

void trap_raise(struct hart *h, uint64_t cause, uint64_t tval)
{
	h->instret--; /* the run loop counts every executed instruction */
	trap_take(h, cause, tval);
}

uint64_t trap_pending_irqs(const struct hart *h)
{
	return hart_mip(h) & h->mie;
}

/* The interrupts that would be taken now (pending, enabled, and globally
 * enabled for the current privilege); M-level ones first. */
static uint64_t takeable(const struct hart *h)
{
	uint64_t pend = trap_pending_irqs(h);
	if (!pend)
		return 0;
	uint64_t m = pend & ~h->mideleg, s = pend & h->mideleg;
	if (!(h->priv < PRV_M || (h->mstatus & MS_MIE)))
		m = 0;
	if (!(h->priv < PRV_S || (h->priv == PRV_S && (h->mstatus & MS_SIE))))
		s = 0;
	return m ? m : s;
}

void trap_irq_recheck(struct hart *h)
{
	if (takeable(h))
		hart_request_check(h);
}

/* Take the highest-priority enabled interrupt; returns true if one was taken. */
bool trap_check_irq(struct hart *h)
{
	uint64_t en = takeable(h);
	if (!en)
		return false;
	/* Priority: MEI, MSI, MTI, SEI, SSI, STI (3.1.9). */
	static const uint8_t order[] = { 11, 3, 7, 9, 1, 5 };
	for (unsigned i = 0; i < sizeof(order); i++) {
		if (en & (1ull << order[i])) {
			h->npc = h->pc;
			trap_take(h, (1ull << 63) | order[i], 0);
			h->pc = h->npc;
			return true;
		}
	}
	return false;
}

OP(mret)
{
	if (h->priv != PRV_M) {
		hart_illegal(h, d);
		return h->npc;
	}
	uint64_t s = h->mstatus;
	unsigned pp = (s & MS_MPP) >> 11;
	s = (s & ~(MS_MIE | MS_MPP)) | MS_MPIE | ((s & MS_MPIE) ? MS_MIE : 0);
	if (pp != PRV_M)
		s &= ~MS_MPRV;
	h->mstatus = s;
	h->priv = pp;
	h->npc = h->mepc;
	trap_update_keys(h);
	trap_irq_recheck(h);
	return h->npc;
}

OP(sret)
{
	if (h->priv < PRV_S || (h->priv == PRV_S && (h->mstatus & MS_TSR))) {
		hart_illegal(h, d);
		return h->npc;
	}
	uint64_t s = h->mstatus;
	unsigned pp = (s & MS_SPP) ? PRV_S : PRV_U;
	s = (s & ~(MS_SIE | MS_SPP)) | MS_SPIE | ((s & MS_SPIE) ? MS_SIE : 0);
	s &= ~MS_MPRV; /* pp is never M here */
	h->mstatus = s;
	h->priv = pp;
	h->npc = h->sepc;
	trap_update_keys(h);
	trap_irq_recheck(h);
	return h->npc;
}
