/*
 * mmu.c - address translation (Sv39/Sv48/Sv57 with hardware A/D), PMP,
 * the software TLB, physical access (RAM or MMIO callbacks), misaligned
 * access emulation and the code-page tracking that keeps the decode cache
 * coherent with stores.
 *
 * Threading: vCPU thread only. Page-table A/D updates use compare-and-swap
 * because other harts may share the tables.
 */
#include "cpu/hart.h"

#define PTE_V 1u
#define PTE_R 2u
#define PTE_W 4u
#define PTE_X 8u
#define PTE_U 16u
#define PTE_G 32u
#define PTE_A 64u
#define PTE_D 128u
#define PPN_MASK ((1ull << 44) - 1)

static const uint8_t page_cause[3] = { EXC_LOAD_PAGE, EXC_STORE_PAGE, EXC_INSN_PAGE };
static const uint8_t access_cause[3] = { EXC_LOAD_ACCESS, EXC_STORE_ACCESS, EXC_INSN_ACCESS };

/* O(1) usually: a new epoch; every 15th flush clears the arrays. */
void mmu_flush(struct hart *h)
{
	if (++h->tlb_epoch == 15) {
		h->tlb_epoch = 0;
		for (unsigned i = 0; i < TLB_SIZE; i++) {
			h->tlb_r[i].tag = TLB_INVALID;
			h->tlb_w[i].tag = TLB_INVALID;
			h->tlb_x[i].tag = TLB_INVALID;
		}
	}
	h->super_lo[0] = h->super_lo[1] = UINT64_MAX;
	h->super_hi[0] = h->super_hi[1] = 0;
	trap_update_keys(h);
}

/*
 * A change of address space (a satp write that keeps the mode, or
 * sfence.vma x0 with an ASID): entries that do not depend on satp
 * (global mappings - the kernel's text and data under Linux - and M-mode
 * ones) move to a new epoch, the others are dropped. Linux switches mm
 * (satp write, sfence.vma x0, asid) ~180 times when a process starts or
 * ends; a plain flush then cost ~100 kernel pages refilled each time.
 * O(TLB entries): ~3000 tag checks. super_lo/hi stay (they still bound
 * the superpages the kept entries hold pieces of).
 */
void mmu_flush_asid(struct hart *h)
{
	uint64_t old = h->tlb_epoch, nep = old == 14 ? 0 : old + 1;
	struct tlb_ent *t[3] = { h->tlb_r, h->tlb_w, h->tlb_x };
	for (unsigned k = 0; k < 3; k++) {
		for (unsigned i = 0; i < TLB_SIZE; i++) {
			struct tlb_ent *e = &t[k][i];
			if (e->keep && (e->tag >> 60) == old)
				e->tag = (e->tag & ~(15ull << 60)) | nep << 60;
			else
				e->tag = TLB_INVALID;
		}
	}
	h->tlb_epoch = nep;
	trap_update_keys(h);
}

/*
 * sfence.vma with an address (Linux issues ~14k per boot, mostly for user
 * pages): drop that page's entries in the three TLBs, under any key,
 * instead of all of them. A full flush instead when the page may lie in
 * a superpage that has cached pieces (the fence covers the whole leaf:
 * super_lo/hi bound every superpage the TLBs hold pieces of, per address
 * half), or is the page being executed (the interpreter keeps fetching
 * straight-line code from it without a TLB lookup).
 */
void mmu_flush_page(struct hart *h, uint64_t va)
{
	unsigned half = (unsigned)(va >> 63);
	if ((va >= h->super_lo[half] && va <= h->super_hi[half]) || ((va ^ h->pc) >> 12) == 0) {
		mmu_flush(h);
		return;
	}
	unsigned i = (va >> 12) & (TLB_SIZE - 1);
	uint64_t vpn = va >> 12;
	struct tlb_ent *t[3] = { &h->tlb_r[i], &h->tlb_w[i], &h->tlb_x[hart_xidx(va)] };
	for (unsigned k = 0; k < 3; k++)
		if ((t[k]->tag & ((1ull << 52) - 1)) == vpn)
			t[k]->tag = TLB_INVALID;
}

/*
 * fence.i: forget all decoded instructions (a new decode epoch; every
 * 255th time the array is cleared). code_page flags stay: a stale flag
 * only costs one extra invalidation scan on the next store to the page.
 */
void mmu_code_flush(struct hart *h)
{
	if (h->jit)
		jit_code_flush(h);
	h->dc_epoch += 1ull << 56;
	if (h->dc_epoch == 0xffull << 56) {
		h->dc_epoch = 0;
		for (unsigned i = 0; i < DC_SIZE; i++)
			h->dc[i].tag = TLB_INVALID;
	}
}

static inline bool in_ram(const struct hart *h, uint64_t pa, uint64_t len)
{
	return pa >= h->bus.ram_base && pa - h->bus.ram_base <= h->bus.ram_size &&
	       len <= h->bus.ram_size - (pa - h->bus.ram_base);
}

static inline uint8_t *ram_ptr(const struct hart *h, uint64_t pa)
{
	return h->bus.ram + (pa - h->bus.ram_base);
}

/* [lo, hi) of PMP entry i, or false when it is off or empty. */
static bool pmp_range(const struct hart *h, unsigned i, uint64_t *lo, uint64_t *hi)
{
	unsigned a = (h->pmpcfg[i] >> 3) & 3;
	uint64_t addr = h->pmpaddr[i];
	switch (a) {
	case 1: /* TOR */
		*lo = i ? h->pmpaddr[i - 1] << 2 : 0;
		*hi = addr << 2;
		return *lo < *hi;
	case 2: /* NA4 */
		*lo = addr << 2;
		*hi = *lo + 4;
		return true;
	case 3: { /* NAPOT */
		unsigned t = __builtin_ctzll(~addr);
		if (t >= 54) {
			*lo = 0;
			*hi = UINT64_MAX;
			return true;
		}
		*lo = (addr & ~((1ull << t) - 1)) << 2;
		*hi = *lo + (1ull << (t + 3));
		return true;
	}
	}
	return false;
}

/*
 * The range around the top of RAM where PMP allows everything: inside an
 * RWX entry and outside every entry before it, so that entry decides any
 * access there, for any mode. With OpenSBI's setup (the CLINT and its own
 * image closed, then all of memory RWX) that is all RAM above the
 * firmware, and pmp_check answers it with two compares instead of a walk
 * over the entries (a page walk checks each PTE it reads).
 */
static void pmp_open(struct hart *h)
{
	uint64_t x = h->bus.ram_base + (h->bus.ram_size ? h->bus.ram_size - 1 : 0);
	uint64_t lo = 0, hi = UINT64_MAX;
	h->pmp_open_lo = 1;
	h->pmp_open_hi = 0;
	for (unsigned i = 0; i < h->pmp_n; i++) {
		uint64_t elo = h->pmp_act[i].lo, ehi = h->pmp_act[i].hi;
		if (elo <= x && x < ehi) {
			if ((h->pmp_act[i].cfg & 7) == 7) {
				h->pmp_open_lo = lo > elo ? lo : elo;
				h->pmp_open_hi = hi < ehi ? hi : ehi;
			}
			return;
		}
		if (ehi <= x) { /* keep clear of entry i */
			if (ehi > lo)
				lo = ehi;
		} else if (elo < hi) {
			hi = elo;
		}
	}
}

/* After any pmpcfg/pmpaddr write: rebuild the active list, flush the TLB. */
void mmu_pmp_changed(struct hart *h)
{
	h->pmp_n = 0;
	for (unsigned i = 0; i < 64; i++) {
		uint64_t lo, hi;
		if (!pmp_range(h, i, &lo, &hi))
			continue;
		h->pmp_act[h->pmp_n].lo = lo;
		h->pmp_act[h->pmp_n].hi = hi;
		h->pmp_act[h->pmp_n].cfg = h->pmpcfg[i];
		h->pmp_n++;
	}
	pmp_open(h);
	mmu_flush(h);
}

/*
 * PMP check for [pa, pa+len) (3.7.1): the lowest-numbered entry that
 * matches any byte decides; it must cover all bytes. No match: only M
 * (with 64 entries implemented, S/U fail even when all are off).
 * Cost: O(active entries).
 */
bool pmp_check(const struct hart *h, uint64_t pa, unsigned len, int acc,
	       unsigned priv)
{
	static const uint8_t perm[3] = { 1, 2, 4 };
	uint64_t end = pa + len;
	if (pa >= h->pmp_open_lo && end <= h->pmp_open_hi && end > pa)
		return true;
	for (unsigned i = 0; i < h->pmp_n; i++) {
		uint64_t lo = h->pmp_act[i].lo, hi = h->pmp_act[i].hi;
		if (!(pa < hi && end > lo))
			continue;
		if (pa < lo || end > hi)
			return false;
		uint8_t cfg = h->pmp_act[i].cfg;
		if (priv == PRV_M && !(cfg & 0x80))
			return true;
		return cfg & perm[acc];
	}
	return priv == PRV_M;
}

/* Page walk (privileged spec 4.3.2). Returns 0 or an exception cause. */
static int walk(struct hart *h, uint64_t va, int acc, unsigned priv, uint64_t *pa,
		uint64_t *leaf_size, bool *global)
{
	unsigned levels = (unsigned)(h->satp >> 60) - 5;
	unsigned vabits = 12 + 9 * levels;
	if ((uint64_t)((int64_t)(va << (64 - vabits)) >> (64 - vabits)) != va)
		return page_cause[acc];
restart:;
	uint64_t a = (h->satp & PPN_MASK) << 12;
	*global = false;
	for (int i = (int)levels - 1; i >= 0; i--) {
		uint64_t pte_pa = a + ((va >> (12 + 9 * i)) & 511) * 8;
		if (!in_ram(h, pte_pa, 8) || !pmp_check(h, pte_pa, 8, ACC_R, PRV_S))
			return access_cause[acc];
		uint64_t *pp = (uint64_t *)ram_ptr(h, pte_pa);
		uint64_t pte = __atomic_load_n(pp, __ATOMIC_RELAXED);
		if (!(pte & PTE_V) || ((pte & (PTE_R | PTE_W)) == PTE_W) || (pte >> 54))
			return page_cause[acc];
		if (pte & PTE_G) /* a global pointer makes all below it global */
			*global = true;
		if (!(pte & (PTE_R | PTE_X))) {
			a = ((pte >> 10) & PPN_MASK) << 12;
			continue;
		}
		/* leaf */
		if (acc == ACC_X && !(pte & PTE_X))
			return page_cause[acc];
		if (acc == ACC_R && !(pte & PTE_R) &&
		    !((h->mstatus & MS_MXR) && (pte & PTE_X)))
			return page_cause[acc];
		if (acc == ACC_W && !(pte & PTE_W))
			return page_cause[acc];
		if (pte & PTE_U) {
			if (priv == PRV_S && (acc == ACC_X || !(h->mstatus & MS_SUM)))
				return page_cause[acc];
		} else if (priv == PRV_U) {
			return page_cause[acc];
		}
		uint64_t ppn = (pte >> 10) & PPN_MASK;
		uint64_t lowmask = (1ull << (9 * i)) - 1;
		if (ppn & lowmask)
			return page_cause[acc]; /* misaligned superpage */
		uint64_t need = PTE_A | (acc == ACC_W ? PTE_D : 0);
		if ((pte & need) != need) {
			if (!pmp_check(h, pte_pa, 8, ACC_W, PRV_S))
				return access_cause[acc];
			if (!__atomic_compare_exchange_n(pp, &pte, pte | need, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				goto restart;
		}
		uint64_t off_mask = (1ull << (12 + 9 * i)) - 1;
		*pa = ((ppn << 12) & ~off_mask) | (va & off_mask);
		*leaf_size = off_mask + 1;
		return 0;
	}
	return page_cause[acc];
}

/* Drop write-TLB entries of a RAM page that just became code. */
static void purge_write_tlb(struct hart *h, uint64_t pa_page)
{
	for (unsigned i = 0; i < TLB_SIZE; i++) {
		struct tlb_ent *e = &h->tlb_w[i];
		if (e->tag != TLB_INVALID &&
		    (((e->tag << 12) + e->pa_off) >> 12 << 12) == pa_page)
			e->tag = TLB_INVALID;
	}
}

/* A store hit a page with decoded instructions: forget them. */
static void code_page_written(struct hart *h, uint64_t pa)
{
	uint64_t page = pa >> 12 << 12;
	h->code_page[(page - h->bus.ram_base) >> 12] = 0;
	if (h->jit)
		jit_page_written(h, page);
	for (unsigned k = 0; k < 2048; k++) {
		struct insn *d = &h->dc[((page >> 1) + k) & (DC_SIZE - 1)];
		if (((d->tag & DC_PA_MASK) >> 12 << 12) == page)
			d->tag = TLB_INVALID;
	}
}

static inline void check_code_write(struct hart *h, uint64_t pa, unsigned len)
{
	uint64_t idx = (pa - h->bus.ram_base) >> 12;
	if (h->code_page[idx])
		code_page_written(h, pa);
	uint64_t idx2 = (pa + len - 1 - h->bus.ram_base) >> 12;
	if (idx2 != idx && idx2 < h->ram_pages && h->code_page[idx2])
		code_page_written(h, pa + len - 1);
}

/*
 * Translate an access that stays inside one page; check PMP; fill the TLB
 * when the whole page is RAM and passes PMP. Returns 0 (with *pa) or a
 * cause. acc: ACC_R / ACC_W / ACC_X.
 */
static int xlate(struct hart *h, uint64_t va, unsigned len, int acc, uint64_t *pa)
{
	struct tlb_ent *e = acc == ACC_R ? &h->tlb_r[(va >> 12) & (TLB_SIZE - 1)]
			  : acc == ACC_W ? &h->tlb_w[(va >> 12) & (TLB_SIZE - 1)]
			  : &h->tlb_x[hart_xidx(va)];
	uint64_t key = acc == ACC_X ? h->xkey : h->dkey;
	if (e->tag == hart_xtag(va, key)) { /* whole page known good */
		*pa = va + e->pa_off;
		return 0;
	}
	unsigned priv = acc == ACC_X ? h->priv : hart_data_priv(h);
	int cause = 0;
	uint64_t leaf = 4096;
	bool keep = priv == PRV_M;
	if (priv == PRV_M || (h->satp >> 60) == 0)
		*pa = va;
	else if ((cause = walk(h, va, acc, priv, pa, &leaf, &keep)) != 0)
		return cause;
	if (!pmp_check(h, *pa, len, acc, priv))
		return access_cause[acc];
	uint64_t page = *pa >> 12 << 12;
	if (!in_ram(h, page, 4096) || !pmp_check(h, page, 4096, acc, priv))
		return 0;
	if (acc == ACC_W && h->code_page[(page - h->bus.ram_base) >> 12])
		return 0;
	uint64_t vpage = va >> 12 << 12;
	if (leaf > 4096) { /* a piece of a superpage: see mmu_flush_page */
		unsigned half = (unsigned)(va >> 63);
		uint64_t lo = va & ~(leaf - 1);
		if (lo < h->super_lo[half])
			h->super_lo[half] = lo;
		if (lo + leaf - 1 > h->super_hi[half])
			h->super_hi[half] = lo + leaf - 1;
	}
	e->tag = hart_xtag(va, key);
	e->keep = keep;
	e->pa_off = page - vpage;
	e->host_off = (uintptr_t)ram_ptr(h, page) - (uintptr_t)vpage;
	return 0;
}

/* Physical read of n bytes in one page (already PMP-checked). */
static bool phys_read(struct hart *h, uint64_t pa, unsigned n, uint8_t *buf)
{
	if (in_ram(h, pa, n)) {
		memcpy(buf, ram_ptr(h, pa), n);
		return true;
	}
	if (!h->bus.mmio_read)
		return false;
	if ((n == 1 || n == 2 || n == 4 || n == 8) && !(pa & (n - 1))) {
		uint64_t v;
		if (h->bus.mmio_read(h->bus.opaque, pa, n, &v))
			return false;
		memcpy(buf, &v, n);
		return true;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t v;
		if (h->bus.mmio_read(h->bus.opaque, pa + i, 1, &v))
			return false;
		buf[i] = (uint8_t)v;
	}
	return true;
}

static bool phys_write(struct hart *h, uint64_t pa, unsigned n, const uint8_t *buf)
{
	if (in_ram(h, pa, n)) {
		check_code_write(h, pa, n);
		if (unlikely(h->store_log))
			jit_check_store(h, pa, n);
		memcpy(ram_ptr(h, pa), buf, n);
		return true;
	}
	if (!h->bus.mmio_write)
		return false;
	if ((n == 1 || n == 2 || n == 4 || n == 8) && !(pa & (n - 1))) {
		uint64_t v = 0;
		memcpy(&v, buf, n);
		return h->bus.mmio_write(h->bus.opaque, pa, n, v) == 0;
	}
	for (unsigned i = 0; i < n; i++)
		if (h->bus.mmio_write(h->bus.opaque, pa + i, 1, buf[i]))
			return false;
	return true;
}

/*
 * Translate both pieces of a (possibly page-crossing) access before any
 * byte moves, so a fault on the second page leaves memory untouched.
 */
static bool xlate_split(struct hart *h, uint64_t va, unsigned size, int acc,
			uint64_t pa[2], unsigned n[2])
{
	unsigned off = va & 0xfff;
	n[0] = off + size > 4096 ? 4096 - off : size;
	n[1] = size - n[0];
	int c = xlate(h, va, n[0], acc, &pa[0]);
	if (c) {
		trap_raise(h, c, va);
		return false;
	}
	if (n[1]) {
		c = xlate(h, va + n[0], n[1], acc, &pa[1]);
		if (c) {
			trap_raise(h, c, va + n[0]);
			return false;
		}
	}
	return true;
}

bool mmu_load_slow(struct hart *h, uint64_t va, unsigned size, uint64_t *v)
{
	uint64_t pa[2];
	unsigned n[2];
	uint8_t buf[8];
	if (!xlate_split(h, va, size, ACC_R, pa, n))
		return false;
	for (int i = 0; i < 2 && n[i]; i++) {
		if (!phys_read(h, pa[i], n[i], buf + (i ? n[0] : 0))) {
			trap_raise(h, EXC_LOAD_ACCESS, i ? va + n[0] : va);
			return false;
		}
	}
	uint64_t r = 0;
	memcpy(&r, buf, size);
	*v = r;
	return true;
}

void mmu_resv_store(struct hart *h, uint64_t pa, unsigned size)
{
	if (h->resv_valid && pa < h->resv_pa + 8 && pa + size > h->resv_pa)
		hart_set_resv(h, false);
}

bool mmu_store_slow(struct hart *h, uint64_t va, unsigned size, uint64_t v)
{
	uint64_t pa[2];
	unsigned n[2];
	uint8_t buf[8];
	memcpy(buf, &v, 8);
	if (!xlate_split(h, va, size, ACC_W, pa, n))
		return false;
	for (int i = 0; i < 2 && n[i]; i++) {
		mmu_resv_store(h, pa[i], n[i]);
		if (!phys_write(h, pa[i], n[i], buf + (i ? n[0] : 0))) {
			trap_raise(h, EXC_STORE_ACCESS, i ? va + n[0] : va);
			return false;
		}
	}
	return true;
}

void *mmu_amo_ptr(struct hart *h, uint64_t va, unsigned size, bool store,
		  uint64_t *pa_out)
{
	if (va & (size - 1)) {
		trap_raise(h, store ? EXC_STORE_MISALIGNED : EXC_LOAD_MISALIGNED, va);
		return NULL;
	}
	int acc = store ? ACC_W : ACC_R;
	const struct tlb_ent *e = &h->tlb_w[(va >> 12) & (TLB_SIZE - 1)];
	uint64_t pa;
	if (likely(e->tag == hart_xtag(va, h->dkey))) {
		pa = va + e->pa_off;
	} else {
		int c = xlate(h, va, size, acc, &pa);
		if (!c && store && !pmp_check(h, pa, size, ACC_R, hart_data_priv(h)))
			c = EXC_STORE_ACCESS;
		if (c) {
			trap_raise(h, c, va);
			return NULL;
		}
		if (!in_ram(h, pa, size)) {
			trap_raise(h, store ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS, va);
			return NULL;
		}
		if (store)
			check_code_write(h, pa, size);
	}
	if (store && unlikely(h->store_log))
		jit_check_store(h, pa, size);
	*pa_out = pa;
	return ram_ptr(h, pa);
}

/* Instruction fetch when the fetch TLB or the decode cache missed. */
const struct insn *mmu_fetch_slow(struct hart *h)
{
	uint64_t pc = h->pc, pa, pa2;
	uint8_t b[4];
	int c = xlate(h, pc, 2, ACC_X, &pa);
	if (c) {
		trap_take(h, c, pc);
		return NULL;
	}
	if (!phys_read(h, pa, 2, b)) {
		trap_take(h, EXC_INSN_ACCESS, pc);
		return NULL;
	}
	uint32_t raw = b[0] | b[1] << 8;
	if ((raw & 3) != 3) {
		if (in_ram(h, pa, 2))
			return decode_fill(h, pa, raw);
		decode_insn(&h->scratch, raw);
		return &h->scratch;
	}
	bool cross = (pc & 0xfff) == 0xffe;
	if (cross) {
		c = xlate(h, pc + 2, 2, ACC_X, &pa2);
		if (c) {
			trap_take(h, c, pc + 2);
			return NULL;
		}
	} else {
		pa2 = pa + 2;
	}
	if (!phys_read(h, pa2, 2, b + 2)) {
		trap_take(h, EXC_INSN_ACCESS, pc + 2);
		return NULL;
	}
	raw |= (uint32_t)(b[2] | b[3] << 8) << 16;
	if (!cross && in_ram(h, pa, 4))
		return decode_fill(h, pa, raw);
	decode_insn(&h->scratch, raw);
	return &h->scratch;
}

/* Cache the decoding of the instruction at RAM address pa. */
const struct insn *decode_fill(struct hart *h, uint64_t pa, uint32_t raw)
{
	struct insn *d = &h->dc[(pa >> 1) & (DC_SIZE - 1)];
	decode_insn(d, raw);
	d->tag = pa | h->dc_epoch;
	uint64_t idx = (pa - h->bus.ram_base) >> 12;
	if (!h->code_page[idx]) {
		h->code_page[idx] = 1;
		purge_write_tlb(h, pa >> 12 << 12);
	}
	return d;
}
