/*
 * csr.c - the Zicsr instructions and every CSR the hart implements
 * (machine and supervisor level, counters, PMP, FP control), with the
 * privilege, read-only and counter-enable checks of the privileged spec.
 *
 * Threading: vCPU thread (mip_hw is read atomically).
 */
#include "cpu/hart.h"

#define MSTATUS_WMASK (MS_SIE | MS_MIE | MS_SPIE | MS_MPIE | MS_SPP | MS_MPP | \
		       MS_FS | MS_MPRV | MS_SUM | MS_MXR | MS_TVM | MS_TW | MS_TSR)
#define SSTATUS_MASK (MS_SIE | MS_SPIE | MS_SPP | MS_FS | MS_SUM | MS_MXR | \
		      MS_UXL | MS_SD)
#define MEDELEG_MASK 0xb3ffull /* not ecall-from-M (11) */
#define MIDELEG_MASK 0x222ull  /* S-level interrupts */
#define MIE_MASK 0xaaaull
#define MIP_SW_MASK 0x222ull   /* SSIP, STIP, SEIP writable by M */


void csr_reset(struct hart *h)
{
	h->mstatus = (2ull << 32) | (2ull << 34); /* UXL = SXL = 64 */
	h->misa = (2ull << 62) | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 5) |
		  (1u << 8) | (1u << 12) | (1u << 18) | (1u << 20);
	h->fflags = h->frm = 0;
	h->medeleg = h->mideleg = h->mie = h->mip_sw = 0;
	h->mtvec = h->stvec = h->mscratch = h->sscratch = 0;
	h->mepc = h->sepc = h->mcause = h->scause = h->mtval = h->stval = 0;
	h->satp = 0;
	h->mcounteren = h->scounteren = h->mcountinhibit = 0;
	h->menvcfg = h->senvcfg = 0;
	h->cy_off = h->ir_off = h->cy_frozen = h->ir_frozen = 0;
	memset(h->pmpcfg, 0, sizeof(h->pmpcfg));
	memset(h->pmpaddr, 0, sizeof(h->pmpaddr));
	mmu_pmp_changed(h);
}

uint64_t csr_mstatus_read(const struct hart *h)
{
	uint64_t s = h->mstatus;
	if ((s & MS_FS) == MS_FS)
		s |= MS_SD;
	return s;
}

static uint64_t counter_value(const struct hart *h, unsigned which)
{
	if (which == 0)
		return (h->mcountinhibit & 1) ? h->cy_frozen : h->instret + h->cy_off;
	return (h->mcountinhibit & 4) ? h->ir_frozen : h->instret + h->ir_off;
}

/* The write takes effect after this instruction retires (+1 below). */
static void counter_write(struct hart *h, unsigned which, uint64_t v)
{
	if (which == 0) {
		h->cy_frozen = v;
		h->cy_off = v - (h->instret + 1);
	} else {
		h->ir_frozen = v;
		h->ir_off = v - (h->instret + 1);
	}
}

static void countinhibit_write(struct hart *h, uint32_t v)
{
	v &= ~2u; /* bit 1 (time) is read-only zero */
	uint32_t old = h->mcountinhibit;
	if ((v & 1) && !(old & 1))
		h->cy_frozen = h->instret + h->cy_off;
	if (!(v & 1) && (old & 1))
		h->cy_off = h->cy_frozen - h->instret - 1;
	if ((v & 4) && !(old & 4))
		h->ir_frozen = h->instret + h->ir_off;
	if (!(v & 4) && (old & 4))
		h->ir_off = h->ir_frozen - h->instret - 1;
	h->mcountinhibit = v;
}

static bool pmpaddr_locked(const struct hart *h, unsigned i)
{
	if (h->pmpcfg[i] & 0x80)
		return true;
	return i + 1 < 64 && (h->pmpcfg[i + 1] & 0x80) &&
	       ((h->pmpcfg[i + 1] >> 3) & 3) == 1;
}

/* Counter CSRs at 0xC00..0xC1F: mcounteren/scounteren gate lower modes. */
static bool counter_allowed(const struct hart *h, unsigned idx)
{
	if (h->priv < PRV_M && !((h->mcounteren >> idx) & 1))
		return false;
	if (h->priv < PRV_S && !((h->scounteren >> idx) & 1))
		return false;
	return true;
}

/* Returns false for a CSR that does not exist or is not accessible. */
static bool csr_read(struct hart *h, unsigned csr, uint64_t *v)
{
	if (csr >= 0xc00 && csr <= 0xc1f) {
		if (!counter_allowed(h, csr - 0xc00))
			return false;
		if (csr == 0xc00)
			*v = counter_value(h, 0);
		else if (csr == 0xc01)
			*v = h->bus.read_mtime ? h->bus.read_mtime(h->bus.opaque) : 0;
		else if (csr == 0xc02)
			*v = counter_value(h, 1);
		else
			*v = 0;
		return true;
	}
	if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) {
		*v = 0; /* mhpmcounterN / mhpmeventN: not implemented, read zero */
		return true;
	}
	if (csr >= 0x3a0 && csr <= 0x3af) {
		if (csr & 1)
			return false; /* odd pmpcfg do not exist on RV64 */
		memcpy(v, &h->pmpcfg[(csr - 0x3a0) * 4], 8);
		return true;
	}
	if (csr >= 0x3b0 && csr <= 0x3ef) {
		*v = h->pmpaddr[csr - 0x3b0];
		return true;
	}
	switch (csr) {
	case 0x001: *v = h->fflags; break;
	case 0x002: *v = h->frm; break;
	case 0x003: *v = h->fflags | h->frm << 5; break;
	case 0x100: *v = csr_mstatus_read(h) & SSTATUS_MASK; break;
	case 0x104: *v = h->mie & h->mideleg; break;
	case 0x105: *v = h->stvec; break;
	case 0x106: *v = h->scounteren; break;
	case 0x10a: *v = h->senvcfg; break;
	case 0x140: *v = h->sscratch; break;
	case 0x141: *v = h->sepc; break;
	case 0x142: *v = h->scause; break;
	case 0x143: *v = h->stval; break;
	case 0x144: *v = hart_mip(h) & h->mideleg; break;
	case 0x180: *v = h->satp; break;
	case 0x300: *v = csr_mstatus_read(h); break;
	case 0x301: *v = h->misa; break;
	case 0x302: *v = h->medeleg; break;
	case 0x303: *v = h->mideleg; break;
	case 0x304: *v = h->mie; break;
	case 0x305: *v = h->mtvec; break;
	case 0x306: *v = h->mcounteren; break;
	case 0x30a: *v = h->menvcfg; break;
	case 0x320: *v = h->mcountinhibit; break;
	case 0x340: *v = h->mscratch; break;
	case 0x341: *v = h->mepc; break;
	case 0x342: *v = h->mcause; break;
	case 0x343: *v = h->mtval; break;
	case 0x344: *v = hart_mip(h); break;
	case 0xb00: *v = counter_value(h, 0); break;
	case 0xb02: *v = counter_value(h, 1); break;
	case 0xf11: case 0xf12: case 0xf13: case 0xf15: *v = 0; break;
	case 0xf14: *v = h->hartid; break;
	default: return false;
	}
	return true;
}

static uint64_t tvec_legal(uint64_t v)
{
	return (v & 3) >= 2 ? v & ~3ull : v;
}

static void mstatus_write(struct hart *h, uint64_t v, uint64_t mask)
{
	uint64_t n = (h->mstatus & ~mask) | (v & mask);
	if (((n & MS_MPP) >> 11) == 2) /* reserved MPP: keep the old value */
		n = (n & ~MS_MPP) | (h->mstatus & MS_MPP);
	h->mstatus = n;
	trap_update_keys(h);
	trap_irq_recheck(h);
}

static void satp_write(struct hart *h, uint64_t v)
{
	unsigned mode = v >> 60;
	if (mode != 0 && (mode < 8 || mode > 10))
		return; /* unsupported mode: the write has no effect */
	if (mode == 0)
		v = 0;
	bool same_mode = mode == h->satp >> 60;
	h->satp = v; /* 16 ASID bits, 44 PPN bits: all writable */
	if (same_mode)
		mmu_flush_asid(h); /* global mappings stay */
	else
		mmu_flush(h);
}

static void csr_write(struct hart *h, unsigned csr, uint64_t v)
{
	if (csr >= 0x3a0 && csr <= 0x3af) {
		unsigned base = (csr - 0x3a0) * 4;
		for (unsigned i = 0; i < 8; i++) {
			uint8_t b = (v >> (8 * i)) & 0x9f;
			if (h->pmpcfg[base + i] & 0x80)
				continue;
			if ((b & 3) == 2)
				b &= ~2; /* W without R is reserved */
			h->pmpcfg[base + i] = b;
		}
		mmu_pmp_changed(h);
		return;
	}
	if (csr >= 0x3b0 && csr <= 0x3ef) {
		unsigned i = csr - 0x3b0;
		if (!pmpaddr_locked(h, i))
			h->pmpaddr[i] = v & ((1ull << 54) - 1);
		mmu_pmp_changed(h);
		return;
	}
	switch (csr) {
	case 0x001: h->fflags = v & 31; h->mstatus |= MS_FS; break;
	case 0x002: h->frm = v & 7; h->mstatus |= MS_FS; break;
	case 0x003: h->fflags = v & 31; h->frm = (v >> 5) & 7; h->mstatus |= MS_FS; break;
	case 0x100: mstatus_write(h, v, SSTATUS_MASK & MSTATUS_WMASK); break;
	case 0x104:
		h->mie = (h->mie & ~h->mideleg) | (v & h->mideleg & MIE_MASK);
		trap_irq_recheck(h);
		break;
	case 0x105: h->stvec = tvec_legal(v); break;
	case 0x106: h->scounteren = (uint32_t)v; break;
	case 0x10a: h->senvcfg = v & 1; break;
	case 0x140: h->sscratch = v; break;
	case 0x141: h->sepc = v & ~1ull; break;
	case 0x142: h->scause = v & (0x8000000000000000ull | 63); break;
	case 0x143: h->stval = v; break;
	case 0x144: {
		uint64_t m = h->mideleg & 2; /* only SSIP is writable through sip */
		h->mip_sw = (h->mip_sw & ~m) | (v & m);
		trap_irq_recheck(h);
		break;
	}
	case 0x180: satp_write(h, v); break;
	case 0x300: mstatus_write(h, v, MSTATUS_WMASK); break;
	case 0x301: break; /* misa: not writable (WARL) */
	case 0x302: h->medeleg = v & MEDELEG_MASK; break;
	case 0x303: h->mideleg = v & MIDELEG_MASK; trap_irq_recheck(h); break;
	case 0x304: h->mie = v & MIE_MASK; trap_irq_recheck(h); break;
	case 0x305: h->mtvec = tvec_legal(v); break;
	case 0x306: h->mcounteren = (uint32_t)v; break;
	case 0x30a: h->menvcfg = v & 1; break;
	case 0x320: countinhibit_write(h, (uint32_t)v); break;
	case 0x340: h->mscratch = v; break;
	case 0x341: h->mepc = v & ~1ull; break;
	case 0x342: h->mcause = v & (0x8000000000000000ull | 63); break;
	case 0x343: h->mtval = v; break;
	case 0x344:
		h->mip_sw = (h->mip_sw & ~MIP_SW_MASK) | (v & MIP_SW_MASK);
		trap_irq_recheck(h);
		break;
	case 0xb00: counter_write(h, 0, v); break;
	case 0xb02: counter_write(h, 1, v); break;
	default: break; /* hpm counters/events: writes ignored */
	}
}

/* Extra access rules beyond the address-encoded privilege. */
static bool csr_gate(const struct hart *h, unsigned csr)
{
	if (csr <= 3)
		return (h->mstatus & MS_FS) != 0;
	if (csr == 0x180)
		return !(h->priv == PRV_S && (h->mstatus & MS_TVM));
	return true;
}

/*
 * sstatus from S or M: ~60 of the ~100 CSR accesses of a guest's 1 MiB
 * O_DIRECT read (Linux sets and clears SUM around each user copy and SIE
 * around critical sections). The same result as the general path, but
 * the TLB keys are recomputed only when SUM or MXR change (MPRV and MPP,
 * the others they depend on, are not in sstatus) and interrupts are
 * rechecked only when SIE goes from 0 to 1 (no other sstatus bit can make
 * one takeable).
 */
static void sstatus_access(struct hart *h, uint64_t src, int op, bool write, uint64_t *old)
{
	const uint64_t mask = SSTATUS_MASK & MSTATUS_WMASK;
	uint64_t s = h->mstatus, v = csr_mstatus_read(h) & SSTATUS_MASK;
	*old = v;
	if (!write)
		return;
	uint64_t n = op == CSR_RW ? src : op == CSR_RS ? (v | src) : (v & ~src);
	uint64_t ns = (s & ~mask) | (n & mask);
	h->mstatus = ns;
	if ((s ^ ns) & (MS_SUM | MS_MXR))
		trap_update_keys(h);
	if (ns & ~s & MS_SIE)
		trap_irq_recheck(h);
}

bool csr_access(struct hart *h, const struct insn *d, unsigned csr,
		uint64_t src, int op, bool write, uint64_t *old)
{
	uint64_t v;
	if (csr == 0x100 && h->priv >= PRV_S) {
		sstatus_access(h, src, op, write, old);
		return true;
	}
	if (((csr >> 8) & 3) > h->priv || (write && (csr >> 10) == 3) ||
	    !csr_gate(h, csr) || !csr_read(h, csr, &v)) {
		hart_illegal(h, d);
		return false;
	}
	*old = v;
	if (write) {
		/* mip.SEIP reads as the OR of the software bit and the PLIC line, but
		 * a read-modify-write works on the software bit alone (privileged
		 * spec 3.1.9), or csrs/csrc of mip would latch the line forever. */
		uint64_t base = v;
		if (csr == 0x344)
			base = (v & ~(uint64_t)CPU_IRQ_SEIP) | (h->mip_sw & CPU_IRQ_SEIP);
		uint64_t n = op == CSR_RW ? src : op == CSR_RS ? (base | src) : (base & ~src);
		csr_write(h, csr, n);
	}
	return true;
}
