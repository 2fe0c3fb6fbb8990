/*
 * jit.c - the JIT's block cache and run loop: look a guest pc up (fetch
 * TLB -> physical address -> hash of blocks), translate on a miss, run the
 * block, chain direct exits within a page (and link those into another
 * page behind a guard), invalidate blocks when their page is written,
 * flush everything on fence.i / reset / a full cache.
 *
 * Correctness rules (why chaining and invalidation are safe):
 *  - blocks are keyed by (physical, virtual) pc and only chain to blocks
 *    of the same virtual page, hence the same physical page: a page write
 *    invalidates every block that could jump into another of that page;
 *  - a direct exit into another page is linked only behind its own check
 *    of the fetch TLB (see struct jit_exit), and the links are undone
 *    whenever the jump cache is emptied (page drops, fence.i, flushes);
 *  - the interpreter's code-page map makes every store into a page with
 *    translated code take the slow path, which calls jit_page_written();
 *    that raises the check flag so the running block leaves right after
 *    the store (generated code tests it after every helper call);
 *  - fence.i only starts a new epoch: each page with blocks is checked
 *    (a hash of its bytes) when the run loop next enters it, and its
 *    blocks are dropped if the bytes changed; so nothing is freed while
 *    generated code is on the stack, and unchanged code is not
 *    retranslated (Linux runs fence.i hundreds of times while booting).
 * Anything the JIT cannot translate (MMIO or a page-crossing
 * instruction, the tail of the budget) runs in the interpreter, and so
 * does a block's first visit (it is translated on a later one).
 *
 * Threading: vCPU thread; cpu_set_accel before the hart runs.
 */
#include "cpu/jit/jit-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Translation time is summed in TSC ticks (clock_gettime twice per block
 * was ~1% of a boot) and converted with the rate seen over the run. */
static uint64_t ticks(void)
{
#if defined(__x86_64__)
	return __rdtsc();
#else
	return now_ns();
#endif
}

static unsigned hslot(uint64_t pa, uint64_t va)
{
	return (unsigned)(((pa ^ (va << 20)) * 0x9e3779b97f4a7c15ull) >> (64 - JIT_HASH_BITS));
}

/* The valid block for (pa, va), or NULL. */
static struct jit_block *find(struct jit *j, uint64_t pa, uint64_t va)
{
	for (uint32_t bi = j->hash[hslot(pa, va)]; bi != JIT_NONE; bi = j->blocks[bi].hash_next)
		if (j->blocks[bi].pa == pa && j->blocks[bi].va == va)
			return &j->blocks[bi];
	return NULL;
}

static void unhash(struct jit *j, uint32_t bi)
{
	const struct jit_block *blk = &j->blocks[bi];
	uint32_t *p = &j->hash[hslot(blk->pa, blk->va)];
	while (*p != bi && *p != JIT_NONE)
		p = &j->blocks[*p].hash_next;
	if (*p == bi)
		*p = blk->hash_next;
}

/* Empty the return-address stack (see jit-gen.c's ras_push): its entries
 * are blocks' code, so whatever drops blocks or makes a jump-cache entry
 * stale empties it too. */
static void ras_clear(struct jit *j)
{
	for (unsigned i = 0; i < sizeof(j->hart->jit_ras) / sizeof(j->hart->jit_ras[0]); i++)
		j->hart->jit_ras[i].pad = j->ras_miss;
}

/* Undo the cross-page links (see struct jit_exit): both jmps back to the
 * stub. Called with generated code on the stack too (a page write from a
 * helper): the running block leaves after the helper. */
static void unlink_all(struct jit *j)
{
	for (uint32_t i = 0; i < j->nlinks; i++) {
		struct jit_exit *x = &j->exits[j->links[i]];
		x86_patch_rel32(x->field, x->stub);
		x86_patch_rel32(x->miss, x->stub);
		x->linked = false;
	}
	j->nlinks = 0;
}

/* Empty the jump cache: only the sets filled since the last time, unless
 * that was more than the log holds; the cross-page links and the
 * return-address stack go with it. */
static void jc_clear(struct jit *j)
{
	unlink_all(j);
	ras_clear(j);
	_Static_assert(JIT_JC2_BITS <= 16, "jc_log holds slot numbers in 16 bits");
	_Static_assert(JIT_JC_SETS <= (1u << JIT_JC2_BITS), "a slot's low bits are its set");
	if (j->jc_log_n > JIT_JC_LOG) {
		memset(j->jc, 0xff, sizeof(j->jc));
		memset(j->jc2, 0xff, sizeof(j->jc2[0]) << JIT_JC2_BITS);
	} else {
		for (uint32_t i = 0; i < j->jc_log_n; i++) {
			unsigned slot = j->jc_log[i];
			memset(&j->jc[(slot & (JIT_JC_SETS - 1)) * 2u], 0xff, 2 * sizeof(j->jc[0]));
			memset(&j->jc2[slot], 0xff, sizeof(j->jc2[0]));
		}
	}
	j->jc_log_n = 0;
}

static void flush_all(struct jit *j, struct hart *h)
{
	j->used = JIT_TRAMP_BYTES; /* keep the trampolines */
	j->nlinks = 0; /* their code is dropped with the rest */
	j->nblocks = j->nexits = 0;
	memset(j->hash, 0xff, sizeof(j->hash));
	memset(j->page_head, 0xff, h->ram_pages * sizeof(uint32_t));
	jc_clear(j);
	j->gen++;
	j->n_flushes++;
}

void jit_code_flush(struct hart *h)
{
	h->jit->fence_epoch++;
	jc_clear(h->jit); /* pages must be rechecked */
}

/* Four independent multiply lanes: ~0.2 us for the 4 KiB page. */
static uint64_t page_hash(const struct hart *h, uint64_t idx)
{
	const uint8_t *p = h->bus.ram + (idx << 12);
	uint64_t a = 1, b = 2, c = 3, d = 4, w[4];
	for (unsigned i = 0; i < 4096; i += 32) {
		memcpy(w, p + i, 32);
		a = (a ^ w[0]) * 0xff51afd7ed558ccdull;
		b = (b ^ w[1]) * 0xc4ceb9fe1a85ec53ull;
		c = (c ^ w[2]) * 0x9e3779b97f4a7c15ull;
		d = (d ^ w[3]) * 0xd6e8feb86659fd93ull;
		a ^= a >> 31;
		b ^= b >> 29;
		c ^= c >> 27;
		d ^= d >> 33;
	}
	return a ^ (b * 3) ^ (c * 5) ^ (d * 7);
}

static void drop_page(struct jit *j, uint64_t idx)
{
	if (j->page_head[idx] != JIT_NONE)
		jc_clear(j);
	for (uint32_t bi = j->page_head[idx]; bi != JIT_NONE; bi = j->blocks[bi].page_next) {
		j->blocks[bi].valid = false;
		unhash(j, bi);
	}
	j->page_head[idx] = JIT_NONE;
}

void jit_page_written(struct hart *h, uint64_t pa_page)
{
	drop_page(h->jit, (pa_page - h->bus.ram_base) >> 12);
	hart_request_check(h); /* the running block must not go on */
}

/* First entry into a page since the last fence.i. */
static void revalidate(struct jit *j, struct hart *h, uint64_t idx)
{
	if (j->page_head[idx] != JIT_NONE)
		j->n_rechecked++;
	if (j->page_head[idx] != JIT_NONE && page_hash(h, idx) != j->page_hash[idx]) {
		drop_page(j, idx);
		j->n_stale_pages++;
	}
	j->page_epoch[idx] = j->fence_epoch;
}

static bool in_ram(const struct hart *h, uint64_t pa, uint64_t len)
{
	return pa >= h->bus.ram_base && pa - h->bus.ram_base < h->bus.ram_size &&
	       len <= h->bus.ram_size - (pa - h->bus.ram_base);
}

/* Decode up to JIT_MAX_INSNS instructions from one page into buf (the
 * generator copies the ones a helper call needs into the code cache). */
static unsigned decode_block(struct hart *h, uint64_t pa, struct insn *buf,
			     const struct insn **ins)
{
	unsigned n = 0;
	uint64_t page_end = (pa | 0xfff) + 1;
	while (n < JIT_MAX_INSNS && pa + 2 <= page_end) {
		const uint8_t *p = h->bus.ram + (pa - h->bus.ram_base);
		uint32_t raw = p[0] | p[1] << 8;
		if ((raw & 3) == 3) {
			if (pa + 4 > page_end)
				break; /* crosses the page: the interpreter does it */
			raw |= (uint32_t)(p[2] | p[3] << 8) << 16;
		}
		/* the first visit's interpretation usually decoded it */
		const struct insn *d = &h->dc[(pa >> 1) & (DC_SIZE - 1)];
		if (d->tag != (pa | h->dc_epoch) || d->raw != raw)
			d = decode_fill(h, pa, raw);
		struct insn *c = &buf[n];
		*c = *d;
		ins[n++] = c;
		pa += c->len;
		if (jit_ends_block(c))
			break;
	}
	return n;
}

static struct jit_block *translate(struct jit *j, struct hart *h, uint64_t pa, uint64_t va)
{
	if (!in_ram(h, pa, 2))
		return NULL;
	uint64_t t0 = ticks();
	for (int attempt = 0; attempt < 2; attempt++) {
		if (j->nblocks >= JIT_MAX_BLOCKS || j->nexits + 2 * JIT_MAX_INSNS > JIT_MAX_EXITS ||
		    j->used + 64 * 1024 > JIT_CODE_SIZE)
			flush_all(j, h);
		struct insn buf[JIT_MAX_INSNS];
		const struct insn *ins[JIT_MAX_INSNS];
		uint32_t save_exits = j->nexits;
		unsigned n = decode_block(h, pa, buf, ins);
		if (n == 0)
			return NULL;
		uint32_t bi = j->nblocks;
		struct jit_block *blk = &j->blocks[bi];
		blk->pa = pa;
		blk->va = va;
		blk->n = n;
		if (!jit_gen_block(j, h, bi, ins, n)) {
			j->nexits = save_exits;
			flush_all(j, h);
			continue;
		}
		j->nblocks++;
		blk->valid = true;
		uint64_t idx = (pa - h->bus.ram_base) >> 12;
		if (j->page_head[idx] == JIT_NONE) {
			j->page_hash[idx] = page_hash(h, idx);
			j->page_epoch[idx] = j->fence_epoch;
		}
		blk->page_next = j->page_head[idx];
		j->page_head[idx] = bi;
		unsigned slot = hslot(pa, va);
		blk->hash_next = j->hash[slot];
		j->hash[slot] = bi;
		j->n_translated++;
		if (j->perf_map)
			fprintf(j->perf_map, "%lx %lx guest_%llx\n", (unsigned long)(uintptr_t)blk->code,
				(unsigned long)(j->code + j->used - blk->code), (unsigned long long)va);
		j->translate_ticks += ticks() - t0;
		return blk;
	}
	return NULL;
}

/* The block for pc, translated if needed; NULL: let the interpreter run. */
/*
 * Blocks are translated on their second visit: a third of a boot's
 * blocks run once (init code), and interpreting ~12 instructions costs
 * far less than translating them. seen[] remembers one (pa, va) per
 * hash slot; a collision only means one more interpreted visit.
 */
static bool first_visit(struct jit *j, uint64_t pa, uint64_t va)
{
	uint32_t *s = &j->seen[hslot(pa, va) & (JIT_SEEN - 1)];
	uint32_t tag = (uint32_t)((pa >> 1) ^ (va << 7)) | 1;
	if (*s == tag)
		return false;
	*s = tag;
	return true;
}

/* A first visit: the interpreter runs up to the first instruction that
 * does not fall through (not check mode: see jit_run). */
static enum cpu_exit interp_block(struct hart *h)
{
	uint64_t ran;
	enum cpu_exit why = cpu_interp_block(h, (uint64_t)h->jit_budget, &ran);
	h->jit_budget -= (int64_t)ran;
	return why;
}

static struct jit_block *lookup(struct jit *j, struct hart *h, uint64_t pc, bool *cold)
{
	const struct tlb_ent *e = &h->tlb_x[hart_xidx(pc)];
	if (e->tag != hart_xtag(pc, h->xkey))
		return NULL;
	uint64_t pa = pc + e->pa_off;
	if (pa - h->bus.ram_base < h->bus.ram_size) {
		uint64_t idx = (pa - h->bus.ram_base) >> 12;
		if (j->page_epoch[idx] != j->fence_epoch)
			revalidate(j, h, idx);
	}
	struct jit_block *blk = find(j, pa, pc);
	if (blk)
		return blk;
	if (!j->check && !j->eager && first_visit(j, pa, pc)) {
		*cold = true;
		return NULL;
	}
	return translate(j, h, pa, pc);
}

/*
 * Link a cross-page exit that left through its stub (see struct
 * jit_exit) to the block the fetch TLB now leads its target to, if that
 * block exists and its page was checked since the last fence.i (else the
 * exit stays unlinked: it is tried again on its next use).
 */
static void xlink(struct jit *j, const struct hart *h, struct jit_exit *x)
{
	const struct tlb_ent *e = &h->tlb_x[hart_xidx(x->target)];
	if (x->linked || !j->blocks[x->from].valid || e->tag != hart_xtag(x->target, h->xkey))
		return;
	uint64_t pa = x->target + e->pa_off;
	if (pa - h->bus.ram_base >= h->bus.ram_size ||
	    j->page_epoch[(pa - h->bus.ram_base) >> 12] != j->fence_epoch)
		return;
	const struct jit_block *t = find(j, pa, x->target);
	if (!t || j->nlinks >= JIT_MAX_EXITS)
		return;
	memcpy(x->pa_imm, &e->pa_off, 8);
	x86_patch_rel32(x->field, t->code);
	x86_patch_rel32(x->miss, x->miss + 4);
	x->linked = true;
	j->links[j->nlinks++] = (uint32_t)(x - j->exits);
	j->n_xlinked++;
}

/* Point a direct exit at its target block when both are in one page
 * (cross-page ones: xlink). */
static void chain(struct jit *j, struct hart *h, struct jit_exit *x)
{
	struct jit_block *src = &j->blocks[x->from];
	if (x->stub) {
		xlink(j, h, x);
		return;
	}
	if (!src->valid || (x->target >> 12) != (src->va >> 12))
		return;
	uint64_t pa = src->pa + (x->target - src->va);
	uint64_t gen = j->gen;
	struct jit_block *t = find(j, pa, x->target);
	if (!t && !j->check && !j->eager)
		return; /* translated on its next visit, chained after that */
	if (!t)
		t = translate(j, h, pa, x->target);
	if (!t || j->gen != gen || !src->valid)
		return;
	x86_patch_rel32(x->field, t->code);
	j->n_chained++;
}

static struct jit_jc *jc_set(struct jit *j, uint64_t pc)
{
	return &j->jc[jit_jc_set(pc) * 2];
}

/* The jump cache's block for pc (valid: see struct jit_jc), or NULL. */
static const struct jit_jc *jc_hit(struct jit *j, const struct hart *h, uint64_t pc)
{
	const struct jit_jc *c = jc_set(j, pc);
	if (c->va != pc && (++c)->va != pc && (c = &j->jc2[jit_jc2_slot(pc)])->va != pc)
		return NULL;
	const struct tlb_ent *e = &h->tlb_x[hart_xidx(pc)];
	if (e->tag != hart_xtag(pc, h->xkey) || e->pa_off != c->pa_off)
		return NULL;
	return c;
}

/* Make (pc -> code) the newest entry of pc's set (the other way keeps
 * the last). */
static void jc_put(struct jit *j, uint64_t pc, uint64_t pa_off, uint8_t *code, uint32_t n)
{
	unsigned slot = jit_jc2_slot(pc);
	struct jit_jc *c = &j->jc[jit_jc_set(pc) * 2];
	if (j->jc_log_n < JIT_JC_LOG)
		j->jc_log[j->jc_log_n] = (uint16_t)slot;
	if (j->jc_log_n <= JIT_JC_LOG)
		j->jc_log_n++;
	if (c[0].va != pc)
		c[1] = c[0];
	c[0] = (struct jit_jc){ .va = pc, .pa_off = pa_off, .code = code, .n = n };
	j->jc2[slot] = c[0];
}

static void jc_fill(struct jit *j, uint64_t pc, const struct jit_block *blk)
{
	jc_put(j, pc, blk->pa - blk->va, blk->code, blk->n);
}

/* pc has no block and cannot have one while its bytes and mapping stay
 * (lookup found none and could not make one: an instruction crossing its
 * page, code outside RAM): send it to the interpreter from the jump
 * cache. fence.i and writes to pages with blocks empty the cache, so a pc
 * that became translatable is looked up again; an entry that outlives
 * such a change is merely slower (interpreting is never wrong). */
static void jc_fill_interp(struct jit *j, const struct hart *h, uint64_t pc)
{
	const struct tlb_ent *e = &h->tlb_x[hart_xidx(pc)];
	if (e->tag == hart_xtag(pc, h->xkey))
		jc_put(j, pc, e->pa_off, j->interp, 1);
}

/*
 * The dispatcher's search for pc's block: true with *blk (NULL: one
 * instruction for the interpreter); false when this already ran what
 * comes next - a first visit interpreted (*why set), a fetch fault taken.
 * A fetch-TLB miss is filled here rather than by one interpreted
 * instruction and another trip through the loop (~130k times per boot);
 * check mode needs that too: it avoids running the interpreter outside
 * blocks (the shadow could not follow interrupts taken there).
 */
static bool dispatch_find(struct jit *j, struct hart *h, struct jit_block **blk,
			  enum cpu_exit *why)
{
	bool cold = false;
	*why = CPU_EXIT_BUDGET;
	*blk = lookup(j, h, h->pc, &cold);
	if (!*blk && !cold) {
		if (!mmu_fetch_slow(h)) {
			h->pc = h->npc;
			h->jit_budget--;
			return false;
		}
		*blk = lookup(j, h, h->pc, &cold);
	}
	if (cold) {
		*why = interp_block(h);
		return false;
	}
	return true;
}

/* Run what the jump cache holds for h->pc (a hit within the budget): its
 * block, or one interpreted instruction (see struct jit's interp). true:
 * jit_run returns *why. */
static bool run_cached(struct jit *j, struct hart *h, const struct jit_jc *c,
		       enum cpu_exit *why)
{
	if (c->code == j->interp) {
		h->jit_budget--;
		*why = cpu_interp(h, 1);
		return *why != CPU_EXIT_BUDGET;
	}
	j->n_entered++;
	struct jit_exit *x = j->enter(h, c->code);
	if (x)
		chain(j, h, x);
	return __atomic_load_n(&h->check, __ATOMIC_RELAXED) && cpu_handle_check(h, why);
}

enum cpu_exit jit_run(struct hart *h, uint64_t max_insns)
{
	struct jit *j = h->jit;
	enum cpu_exit why;
	if (cpu_handle_check(h, &why))
		return why;
	h->jit_budget = max_insns > INT64_MAX ? INT64_MAX : (int64_t)max_insns;
	while (h->jit_budget > 0) {
		const struct jit_jc *c = j->check ? NULL : jc_hit(j, h, h->pc);
		if (c && (int64_t)c->n <= h->jit_budget) {
			if (run_cached(j, h, c, &why))
				return why;
			continue;
		}
		uint64_t lines = 0;
		if (j->check) {
			/* an interrupt the snapshot would show as pending is taken
			 * now, as the shadow would take it before the block's first
			 * instruction (the real hart only looks at the check flag,
			 * which the device thread sets a moment after the line) */
			lines = __atomic_load_n(&h->mip_hw, __ATOMIC_ACQUIRE);
			trap_check_irq(h);
		}
		struct jit_block *blk;
		if (!dispatch_find(j, h, &blk, &why)) {
			if (why != CPU_EXIT_BUDGET)
				return why;
			continue;
		}
		bool tail = false; /* the tail of the budget, in a block too; a side
				    * exit may leave some of it: return anyway */
		if (blk && j->check && (int64_t)blk->n > h->jit_budget) {
			h->jit_budget = blk->n;
			tail = true;
		}
		if (blk && !j->check) /* generated code may now find it */
			jc_fill(j, h->pc, blk);
		else if (!blk && !j->check)
			jc_fill_interp(j, h, h->pc);
		if (!blk || (int64_t)blk->n > h->jit_budget) {
			uint64_t k = blk ? (uint64_t)h->jit_budget : 1;
			h->jit_budget -= (int64_t)k;
			if (j->check)
				jit_check_before(h, NULL);
			why = cpu_interp(h, k);
			if (j->check)
				jit_check_interp(h, k);
			if (why != CPU_EXIT_BUDGET)
				return why;
			continue;
		}
		int64_t rest = 0; /* budget held back from a checked block */
		if (j->check) {
			jit_check_before(h, blk);
			if (jit_check_lines(h) != lines)
				continue; /* a line moved in between: look again */
			if (h->jit_budget > JIT_CHECK_BUDGET) {
				rest = h->jit_budget - JIT_CHECK_BUDGET;
				h->jit_budget = JIT_CHECK_BUDGET;
			}
		}
		j->n_entered++;
		struct jit_exit *x = j->enter(h, blk->code);
		if (j->check) {
			h->jit_budget += rest;
			/* the interpreter takes a pending interrupt right after the
			 * instruction that raised the flag: so does the compared run */
			uint64_t pc_end = h->pc, ir_end = h->instret;
			bool stop = __atomic_load_n(&h->check, __ATOMIC_RELAXED) &&
				    cpu_handle_check(h, &why);
			/* no chaining: one block per check */
			jit_check_after(h, blk, pc_end, ir_end);
			if (stop)
				return why;
			if (tail)
				return CPU_EXIT_BUDGET;
		} else if (x) {
			chain(j, h, x);
		}
		if (__atomic_load_n(&h->check, __ATOMIC_RELAXED) && cpu_handle_check(h, &why))
			return why;
	}
	return CPU_EXIT_BUDGET;
}

static double translate_s(const struct jit *j)
{
	uint64_t dt = ticks() - j->start_ticks, dns = now_ns() - j->start_ns;
	return dt ? (double)j->translate_ticks * ((double)dns / (double)dt) / 1e9 : 0;
}

static void print_stats(const struct jit *j)
{
	if (!getenv("RINGVM_JIT_STATS"))
		return;
	fprintf(stderr, "jit: %llu blocks translated in %.3f s (%zu KiB of code), %llu chained exits, "
		"%llu cross-page links, %llu full flushes, %llu fence.i, %llu page rechecks, "
		"%llu pages changed under fence.i\n",
		(unsigned long long)j->n_translated, translate_s(j),
		(j->used - JIT_TRAMP_BYTES) >> 10,
		(unsigned long long)j->n_chained, (unsigned long long)j->n_xlinked,
		(unsigned long long)j->n_flushes,
		(unsigned long long)j->fence_epoch, (unsigned long long)j->n_rechecked,
		(unsigned long long)j->n_stale_pages);
	fprintf(stderr, "jit: return-address stack: %llu hits, %llu misses\n",
		(unsigned long long)j->n_ras_hit, (unsigned long long)j->n_ras_miss);
}

/* RINGVM_JIT_PERFMAP=1: name each block in /tmp/perf-PID.map (the file
 * `perf report` reads for JIT code), so profiles show guest block pcs.
 * RINGVM_JIT_PERFMAP=2: also, at exit, the code cache's bytes go to
 * /tmp/perf-PID.code (first line: its host address), so the blocks the
 * profile names can be disassembled (objdump -b binary -m i386:x86-64). */
static void open_perf_map(struct jit *j)
{
	if (!getenv("RINGVM_JIT_PERFMAP"))
		return;
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	j->perf_map = fopen(path, "a");
	if (j->perf_map)
		setvbuf(j->perf_map, NULL, _IOLBF, 0);
}

static void dump_code(const struct jit *j)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/perf-%d.code", (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%lx\n", (unsigned long)(uintptr_t)j->code);
	fwrite(j->code, 1, j->used, f);
	fclose(f);
}

/*
 * The hart's JIT state (struct jit and the second-level jump cache, ~1.7
 * MiB) and the code cache are mapped 2 MiB-aligned and advised as huge
 * pages: generated code reaches the jump cache ~9000 times per 1 MiB
 * O_DIRECT request, and jumps among ~13 MiB of blocks; in 4 KiB pages
 * both cost host TLB misses on top of cache misses. Where the host gives
 * no huge pages the advice is ignored and everything works as before.
 */
#define HUGE_BYTES (2u << 20)

static size_t huge_len(size_t len)
{
	return (len + HUGE_BYTES - 1) & ~(size_t)(HUGE_BYTES - 1);
}

/* len bytes (a multiple of HUGE_BYTES) of zeroed anonymous memory at a
 * HUGE_BYTES boundary, or NULL; munmap(p, len) frees it. */
static void *map_huge(size_t len, int prot)
{
	uint8_t *p = mmap(NULL, len + HUGE_BYTES, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (p + len + HUGE_BYTES > a + len)
		munmap(a + len, (size_t)(p + len + HUGE_BYTES - (a + len)));
	madvise(a, len, MADV_HUGEPAGE);
	return a;
}

static size_t state_len(void)
{
	return huge_len(((sizeof(struct jit) + 63) & ~(size_t)63) +
			(sizeof(struct jit_jc) << JIT_JC2_BITS));
}

void jit_free(struct hart *h)
{
	struct jit *j = h->jit;
	if (!j)
		return;
	print_stats(j);
	if (j->perf_map)
		fclose(j->perf_map);
	const char *pm = getenv("RINGVM_JIT_PERFMAP");
	if (pm && !strcmp(pm, "2") && j->code)
		dump_code(j);
	jit_check_free(j);
	h->store_log = NULL;
	if (j->code)
		munmap(j->code, JIT_CODE_SIZE);
	free(j->blocks);
	free(j->exits);
	free(j->links);
	free(j->page_head);
	free(j->page_hash);
	free(j->page_epoch);
	munmap(j, state_len()); /* jc2 too */
	h->jit = NULL;
}

int cpu_set_accel(struct hart *h, enum cpu_accel accel, bool check)
{
	if (accel == CPU_ACCEL_INTERP) {
		jit_free(h);
		return 0;
	}
#if !defined(__x86_64__)
	(void)check;
	return -ENOTSUP;
#else
	if (h->jit)
		jit_free(h);
	_Static_assert(JIT_CODE_SIZE % HUGE_BYTES == 0, "the code cache is whole huge pages");
	struct jit *j = map_huge(state_len(), PROT_READ | PROT_WRITE); /* zeroed */
	if (!j)
		return -ENOMEM;
	h->jit = j;
	j->hart = h;
	j->stats = getenv("RINGVM_JIT_STATS") != NULL;
	j->jc2 = (struct jit_jc *)((uint8_t *)j + ((sizeof(*j) + 63) & ~(size_t)63));
	j->code = map_huge(JIT_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
	j->blocks = calloc(JIT_MAX_BLOCKS, sizeof(*j->blocks));
	j->exits = calloc(JIT_MAX_EXITS, sizeof(*j->exits));
	j->links = calloc(JIT_MAX_EXITS, sizeof(*j->links));
	j->page_head = calloc(h->ram_pages ? h->ram_pages : 1, sizeof(uint32_t));
	j->page_hash = calloc(h->ram_pages ? h->ram_pages : 1, sizeof(uint64_t));
	j->page_epoch = calloc(h->ram_pages ? h->ram_pages : 1, sizeof(uint32_t));
	if (!j->code || !j->blocks || !j->exits || !j->links || !j->page_head ||
	    !j->page_hash || !j->page_epoch ||
	    (check && jit_check_init(h))) {
		jit_free(h);
		return -ENOMEM;
	}
	jit_gen_trampolines(j);
	open_perf_map(j);
	j->eager = getenv("RINGVM_JIT_EAGER") != NULL;
	const char *ras = getenv("RINGVM_JIT_RAS");
	j->ras = !ras || strcmp(ras, "0");
	const char *xl = getenv("RINGVM_JIT_XLINK");
	j->no_xlink = xl && !strcmp(xl, "0");
	const char *brk = getenv("RINGVM_JIT_BREAK");
	j->test_break = !brk ? JIT_BREAK_NONE : !strcmp(brk, "run") ? JIT_BREAK_RUN
		      : !strcmp(brk, "reg") ? JIT_BREAK_REG : JIT_BREAK_NONE;
	j->start_ns = now_ns();
	j->start_ticks = ticks();
	j->jc_log_n = JIT_JC_LOG + 1; /* the first clear covers the whole cache */
	flush_all(j, h);
	j->n_flushes = 0;
	return 0;
#endif
}
