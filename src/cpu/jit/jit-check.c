/*
 * jit-check.c - -accel jit,check=on: every translated block is re-run in
 * the interpreter on a shadow hart started from a snapshot of the real
 * hart, and the two architectural states (pc, instret, privilege, x, f,
 * the trap/MMU CSRs) are compared. The first difference prints a report
 * (the block's start pc, each differing item) and exits the process.
 *
 * The shadow works on the same RAM as the real hart, so device DMA, the
 * loader and anything else that writes guest RAM is seen by both. The real
 * hart's RAM stores are logged with the bytes they replace (the slow
 * paths and the interpreter's inline stores call jit_check_store; the fast
 * path of generated code appends its record inline, see jit-mem.c's
 * log_store, so runs of accesses with stores keep their fast form);
 * after the block the log is undone, the shadow re-runs the block on the
 * restored RAM, and the bytes each store left must equal what the shadow
 * left there. MMIO reads and the timer seen by the real hart are logged
 * and replayed to the shadow, MMIO writes are compared, not repeated.
 * The shadow starts every block from a snapshot of the real hart, so
 * instructions the interpreter runs outside blocks need no replay.
 * Loop blocks are checked as they run: a checked run retires at most
 * JIT_CHECK_BUDGET instructions (jit_run caps the budget), the shadow
 * follows all its passes, and when they differ the run is repeated from a
 * snapshot one pass more each time to name the first pass that differs
 * (find_pass).
 * Limits: the shadow sees the interrupt lines as they were when the block
 * started (and, when the real hart took an interrupt right after it, that
 * interrupt's line: which one was highest when it looked is not known);
 * a DMA write landing between the block and its re-run, on bytes
 * the block read, would be reported as a difference (the guest does not
 * read a buffer the device still owns, so this needs a guest bug).
 *
 * Threading: vCPU thread.
 */
#include "cpu/jit/jit-int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* MMIO accesses and timer reads one checked run may log (more: the run
 * is not checked, counted in skipped); a loop polling a device register
 * makes one or two a pass */
#define LOG_MAX 1024

struct mmio_rec { uint64_t addr, val; uint8_t size, kind; int ret; };
enum { R_READ, R_WRITE, R_TIME };

/* One logged RAM store: the bytes before (old), and after the real hart's
 * block (now). A checked run retires at most JIT_CHECK_BUDGET instructions
 * (a loop block's passes: see jit_run), each stores at most 2 pieces. */
#define store_rec jit_store_rec
#define STORE_MAX JIT_CHECK_STORE_MAX

struct jit_check {
	struct hart *shadow;
	struct hart *snap; /* a loop block's starting state (for find_pass) */
	struct store_rec *st; /* = the real hart's ck_st; ck_nst records, ck_over */
	struct cpu_bus orig;
	struct mmio_rec log[LOG_MAX];
	unsigned n, pos;
	bool overflow, mismatch;
	uint64_t blocks, loop_runs, skipped, fast_stores;
	uint64_t ir0; /* the real hart's instret at the snapshot */
	uint64_t dc_seen; /* the real hart's decode epoch at the last snapshot */
};

static struct jit_check *ck_of(void *opaque) { return opaque; }

static int log_read(void *opaque, uint64_t addr, unsigned size, uint64_t *val)
{
	struct jit_check *c = ck_of(opaque);
	int r = c->orig.mmio_read(c->orig.opaque, addr, size, val);
	if (c->n < LOG_MAX)
		c->log[c->n++] = (struct mmio_rec){ addr, *val, (uint8_t)size, R_READ, r };
	else
		c->overflow = true;
	return r;
}

static int log_write(void *opaque, uint64_t addr, unsigned size, uint64_t val)
{
	struct jit_check *c = ck_of(opaque);
	int r = c->orig.mmio_write(c->orig.opaque, addr, size, val);
	if (c->n < LOG_MAX)
		c->log[c->n++] = (struct mmio_rec){ addr, val, (uint8_t)size, R_WRITE, r };
	else
		c->overflow = true;
	return r;
}

static uint64_t log_time(void *opaque)
{
	struct jit_check *c = ck_of(opaque);
	uint64_t v = c->orig.read_mtime ? c->orig.read_mtime(c->orig.opaque) : 0;
	if (c->n < LOG_MAX)
		c->log[c->n++] = (struct mmio_rec){ 0, v, 8, R_TIME, 0 };
	else
		c->overflow = true;
	return v;
}

static struct mmio_rec *replay(struct jit_check *c, unsigned kind, uint64_t addr, unsigned size)
{
	if (c->pos >= c->n || c->log[c->pos].kind != kind ||
	    (kind != R_TIME && (c->log[c->pos].addr != addr || c->log[c->pos].size != size))) {
		c->mismatch = true;
		return NULL;
	}
	return &c->log[c->pos++];
}

static int rep_read(void *opaque, uint64_t addr, unsigned size, uint64_t *val)
{
	struct mmio_rec *r = replay(opaque, R_READ, addr, size);
	*val = r ? r->val : 0;
	return r ? r->ret : -1;
}

static int rep_write(void *opaque, uint64_t addr, unsigned size, uint64_t val)
{
	struct mmio_rec *r = replay(opaque, R_WRITE, addr, size);
	if (r && r->val != val)
		ck_of(opaque)->mismatch = true;
	return r ? r->ret : -1;
}

static uint64_t rep_time(void *opaque)
{
	struct mmio_rec *r = replay(opaque, R_TIME, 0, 8);
	return r ? r->val : 0;
}

int jit_check_init(struct hart *h)
{
	struct jit_check *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	h->jit->check = c;
	c->st = calloc(STORE_MAX, sizeof(*c->st));
	c->orig = h->bus;
	/* no MMIO for the shadow either when the bus has none (an access
	 * outside RAM faults on both) */
	struct cpu_bus sb = { .ram = h->bus.ram, .ram_base = h->bus.ram_base,
			      .ram_size = h->bus.ram_size,
			      .mmio_read = c->orig.mmio_read ? rep_read : NULL,
			      .mmio_write = c->orig.mmio_write ? rep_write : NULL,
			      .read_mtime = rep_time, .opaque = c };
	c->shadow = c->st ? cpu_hart_new(&sb, (unsigned)h->hartid) : NULL;
	c->snap = c->shadow ? cpu_hart_new(&sb, (unsigned)h->hartid) : NULL;
	if (!c->snap)
		return -1;
	h->store_log = c;
	h->ck_st = c->st;
	h->ck_nst = 0;
	h->ck_over = 0;
	h->ck_pa_off = h->bus.ram_base - (uint64_t)(uintptr_t)h->bus.ram;
	h->bus.opaque = c;
	h->bus.mmio_read = c->orig.mmio_read ? log_read : NULL;
	h->bus.mmio_write = c->orig.mmio_write ? log_write : NULL;
	h->bus.read_mtime = log_time;
	return 0;
}

void jit_check_free(struct jit *j)
{
	struct jit_check *c = j->check;
	if (!c)
		return;
	if (getenv("RINGVM_JIT_STATS"))
		fprintf(stderr, "jit check stats: %llu block runs compared (%llu of loop blocks), "
			"%llu not compared (too many stores or MMIO accesses to replay); %llu stores of compared "
			"runs logged by generated code's fast path\n",
			(unsigned long long)(c->blocks - c->skipped),
			(unsigned long long)c->loop_runs, (unsigned long long)c->skipped,
			(unsigned long long)c->fast_stores);
	if (c->shadow)
		cpu_hart_free(c->shadow);
	if (c->snap)
		cpu_hart_free(c->snap);
	free(c->st);
	free(c);
	j->check = NULL;
}

/*
 * Architectural state the snapshot copies. The shadow's TLBs are flushed
 * for every block (its own epoch: the real hart's may have changed satp,
 * PMP or mappings in code the shadow never ran), and its decode cache
 * whenever the real hart's was (fence.i run outside a block).
 */
static void copy_arch(struct hart *s, const struct hart *h)
{
	memcpy(s->x, h->x, sizeof(h->x));
	memcpy(s->f, h->f, sizeof(h->f));
	s->pc = h->pc;
	s->npc = h->npc;
	s->instret = h->instret;
	s->priv = h->priv;
	size_t a = offsetof(struct hart, mstatus), e = offsetof(struct hart, resv_val) + 8;
	memcpy((char *)s + a, (const char *)h + a, e - a);
	s->cy_off = h->cy_off;
	s->ir_off = h->ir_off;
	s->cy_frozen = h->cy_frozen;
	s->ir_frozen = h->ir_frozen;
}

static void copy_state(struct jit_check *c, struct hart *s, const struct hart *h)
{
	copy_arch(s, h);
	s->wfi_exit = false;
	__atomic_store_n(&s->mip_hw, __atomic_load_n(&h->mip_hw, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->check, 0, __ATOMIC_RELAXED);
	mmu_flush(s); /* new keys, and no stale translation */
	if (c->dc_seen != h->dc_epoch) {
		c->dc_seen = h->dc_epoch;
		mmu_code_flush(s);
	}
}

void jit_check_before(struct hart *h, const struct jit_block *blk)
{
	struct jit_check *c = h->jit->check;
	copy_state(c, c->shadow, h);
	if (blk && blk->loop)
		copy_arch(c->snap, h);
	c->n = c->pos = 0;
	c->overflow = c->mismatch = false;
	h->ck_nst = 0;
	h->ck_over = 0;
	c->ir0 = h->instret;
}

uint64_t jit_check_lines(const struct hart *h)
{
	return __atomic_load_n(&h->jit->check->shadow->mip_hw, __ATOMIC_RELAXED);
}

void jit_check_store(struct hart *h, uint64_t pa, unsigned n)
{
	struct jit_check *c = h->store_log;
	if (h->ck_nst == STORE_MAX) {
		h->ck_over = 1;
		return;
	}
	struct store_rec *r = &c->st[h->ck_nst++];
	r->pa = pa;
	r->n = n;
	r->fast = 0;
	r->old = 0;
	memcpy(&r->old, h->bus.ram + (pa - h->bus.ram_base), n);
}

/* A record generated code made holds where its store really went: one
 * outside RAM (a miscompiled host_off) cannot be undone - say so. */
static bool log_in_ram(const struct hart *h, const struct jit_check *c)
{
	for (unsigned i = 0; i < h->ck_nst; i++) {
		const struct store_rec *r = &c->st[i];
		if (r->pa < h->bus.ram_base || r->pa - h->bus.ram_base > h->bus.ram_size - r->n) {
			fprintf(stderr, "  mem %#llx (%u bytes, fast path) is outside guest RAM\n",
				(unsigned long long)r->pa, r->n);
			return false;
		}
	}
	return true;
}

/* Keep what the real hart stored, then put the old bytes back (newest
 * first, so overlapping stores unwind right). */
static void undo_stores(struct hart *h, struct jit_check *c)
{
	for (unsigned i = 0; i < h->ck_nst; i++) {
		c->st[i].now = 0;
		memcpy(&c->st[i].now, h->bus.ram + (c->st[i].pa - h->bus.ram_base), c->st[i].n);
	}
	for (unsigned i = h->ck_nst; i-- > 0;)
		memcpy(h->bus.ram + (c->st[i].pa - h->bus.ram_base), &c->st[i].old, c->st[i].n);
}

/* Does an earlier record than i store to the same bytes? (A loop's
 * stores repeat: each place is reported once.) */
static bool seen_before(const struct jit_check *c, unsigned i)
{
	for (unsigned k = 0; k < i; k++)
		if (c->st[k].pa == c->st[i].pa && c->st[k].n == c->st[i].n)
			return true;
	return false;
}

/* After the shadow's run: RAM must hold what the real hart stored. */
static bool compare_stores(const struct hart *h, const struct jit_check *c, bool say)
{
	bool bad = false;
	for (unsigned i = 0; i < h->ck_nst; i++) {
		const struct store_rec *r = &c->st[i];
		const uint8_t *p = h->bus.ram + (r->pa - h->bus.ram_base);
		if (memcmp(p, &r->now, r->n) && !seen_before(c, i)) {
			bad = true;
			if (!say)
				continue;
			uint64_t b = 0;
			memcpy(&b, p, r->n);
			fprintf(stderr, "  mem %#llx (%u bytes, %s path) jit %#llx  interp %#llx\n",
				(unsigned long long)r->pa, r->n, r->fast ? "fast" : "slow",
				(unsigned long long)r->now, (unsigned long long)b);
		}
	}
	return bad;
}

#define CMP(field)                                                            \
	do {                                                                  \
		if (s->field != h->field) {                                   \
			if (say)                                              \
				fprintf(stderr, "  %-10s jit %#llx  interp %#llx\n", #field, \
					(unsigned long long)h->field,         \
					(unsigned long long)s->field);        \
			bad = true;                                           \
		}                                                             \
	} while (0)

/* say: print each differing item */
static bool compare(const struct hart *h, const struct hart *s, bool say)
{
	bool bad = false;
	CMP(pc); CMP(instret); CMP(priv); CMP(mstatus); CMP(fflags); CMP(frm);
	CMP(mepc); CMP(sepc); CMP(mcause); CMP(scause); CMP(mtval); CMP(stval);
	CMP(satp); CMP(mie); CMP(mip_sw); CMP(resv_valid);
	for (unsigned i = 0; i < 32; i++) {
		if (s->x[i] != h->x[i]) {
			if (say)
				fprintf(stderr, "  x%-9u jit %#llx  interp %#llx\n", i,
					(unsigned long long)h->x[i], (unsigned long long)s->x[i]);
			bad = true;
		}
		if (s->f[i] != h->f[i]) {
			if (say)
				fprintf(stderr, "  f%-9u jit %#llx  interp %#llx\n", i,
					(unsigned long long)h->f[i], (unsigned long long)s->f[i]);
			bad = true;
		}
	}
	return bad;
}

/*
 * The interrupt line the real hart took at pc_end, read from the trap
 * CSRs of the mode it went to; else (not an interrupt it could identify)
 * the current lines. Not the current lines always: one may have risen
 * since the real hart looked (a timer tick right after a disk interrupt
 * made the shadow take the timer instead). A software-pending bit
 * (mip_sw, which the shadow has too) gives no line.
 */
static uint64_t taken_line(const struct hart *h, uint64_t pc_end)
{
	uint64_t cause = h->priv == PRV_M ? h->mcause : h->scause;
	uint64_t epc = h->priv == PRV_M ? h->mepc : h->sepc;
	if (!(cause >> 63) || epc != pc_end)
		return __atomic_load_n(&h->mip_hw, __ATOMIC_ACQUIRE);
	uint64_t bit = 1ull << (cause & 63);
	return (h->mip_sw & bit) ? 0 : bit;
}

/*
 * Run the shadow until it reaches (pc, instret) or (alt, instret): first
 * ir - instret steps in one go (a step retires at most one instruction,
 * so this cannot pass ir; a loop block's passes are up to
 * JIT_CHECK_BUDGET instructions), then one step at a time (a trap or an
 * interrupt moves pc without retiring).
 */
static void follow(struct hart *s, uint64_t pc, uint64_t alt, uint64_t ir)
{
	if (ir > s->instret + 1 && ir - s->instret <= JIT_CHECK_BUDGET)
		cpu_interp(s, ir - s->instret - 1);
	for (unsigned i = 0; i < JIT_MAX_INSNS + 1 &&
			     !((s->pc == pc || s->pc == alt) && s->instret == ir); i++)
		cpu_interp(s, 1);
}

/* The report's first line: the block, and for a loop block the run. */
static void report(const struct jit_check *c, const struct jit_block *blk, uint64_t ir_end)
{
	fprintf(stderr, "jit check: the %sblock at pc %#llx (block %llu, %u instructions) "
		"differs from the interpreter%s (items above: jit vs interp)\n",
		blk->loop ? "loop " : "", (unsigned long long)blk->va,
		(unsigned long long)c->blocks, blk->n,
		c->mismatch || c->pos != c->n ? "; MMIO accesses differ too" : "");
	if (blk->loop)
		fprintf(stderr, "jit check: the loop block's run retired %llu instructions "
			"from instret %llu (passes of up to %u)\n",
			(unsigned long long)(ir_end - c->ir0), (unsigned long long)c->ir0, blk->n);
}

/*
 * After a loop block's run differed: the first pass that differs. The
 * run is repeated from its start (the snapshot, RAM put back from the
 * store log, MMIO replayed from the log), one pass more each time (a
 * budget of n more than the instructions the passes before retired), and
 * compared with the shadow run as far. Best effort, on the way out: a
 * store only the interpreter made is not undone, and a raised check flag
 * ends a re-run early (then nothing is said).
 */
static void find_pass(struct hart *h, struct jit_check *c, const struct jit_block *blk,
		      uint64_t ir_end)
{
	struct hart *s = c->shadow;
	h->bus.mmio_read = h->bus.mmio_read ? rep_read : NULL;
	h->bus.mmio_write = h->bus.mmio_write ? rep_write : NULL;
	h->bus.read_mtime = rep_time;
	undo_stores(h, c);
	uint64_t done = 0;
	for (unsigned pass = 1; pass <= JIT_CHECK_BUDGET; pass++) {
		/* new TLB keys only when the run changed what they hang on (a
		 * trap at its end): a re-run on cold entries would leave a run of
		 * loads and stores after its first access (first touch) */
		const struct hart *sn = c->snap;
		bool keys = h->priv != sn->priv || h->satp != sn->satp ||
			    h->mstatus != sn->mstatus || h->resv_valid != sn->resv_valid;
		copy_arch(h, sn);
		if (keys)
			mmu_flush(h);
		h->ck_nst = 0;
		h->ck_over = 0;
		c->pos = 0;
		h->jit_budget = (int64_t)(blk->n + done);
		h->jit->enter(h, blk->code);
		uint64_t pc_k = h->pc, ir_k = h->instret;
		if ((ir_k - c->ir0 <= done && pass > 1) || h->ck_over || !log_in_ram(h, c))
			return; /* no further: the check flag, or a log not to undo */
		undo_stores(h, c);
		copy_state(c, s, c->snap);
		c->pos = 0;
		follow(s, pc_k, pc_k, ir_k);
		if (compare(h, s, false) || compare_stores(h, c, false)) {
			fprintf(stderr, "jit check: the first difference is after pass %u (its "
				"instructions %llu..%llu of the run):\n", pass,
				(unsigned long long)done + 1, (unsigned long long)(ir_k - c->ir0));
			compare(h, s, true);
			compare_stores(h, c, true);
			return;
		}
		undo_stores(h, c);
		done = ir_k - c->ir0;
		if (ir_k >= ir_end)
			return;
	}
}

void jit_check_after(struct hart *h, const struct jit_block *blk, uint64_t pc_end,
		     uint64_t ir_end)
{
	struct jit_check *c = h->jit->check;
	struct hart *s = c->shadow;
	c->blocks++;
	c->loop_runs += blk->loop;
	if (c->overflow || h->ck_over) {
		c->skipped++;
		return; /* too much to replay: skip this block's check */
	}
	if (!log_in_ram(h, c)) {
		report(c, blk, ir_end);
		exit(3);
	}
	for (unsigned i = 0; i < h->ck_nst; i++)
		c->fast_stores += c->st[i].fast;
	undo_stores(h, c);
	follow(s, pc_end, h->pc, ir_end);
	if (s->pc == pc_end && h->pc != pc_end) {
		/* the real hart took an interrupt after the block: offer the
		 * shadow the same line at the same point */
		__atomic_store_n(&s->mip_hw, taken_line(h, pc_end), __ATOMIC_RELAXED);
		enum cpu_exit why;
		hart_request_check(s);
		cpu_handle_check(s, &why);
	}
	bool bad = compare(h, s, true);
	bad |= compare_stores(h, c, true);
	if (!bad && !c->mismatch && c->pos == c->n)
		return;
	report(c, blk, ir_end);
	if (blk->loop)
		find_pass(h, c, blk, ir_end);
	exit(3);
}

/* Instructions the interpreter ran outside any block (after a
 * jit_check_before): the interpreter is the reference, nothing to compare;
 * its stores stay. */
void jit_check_interp(struct hart *h, uint64_t k)
{
	(void)k;
	h->ck_nst = 0;
}
