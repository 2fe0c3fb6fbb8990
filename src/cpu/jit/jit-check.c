/*
 * jit-check.c - -accel jit,check=on: every translated block is re-run in
 * the interpreter on a shadow hart started from a snapshot of the real
 * hart, and the two architectural states (pc, instret, privilege, x, f,
 * the trap/MMU CSRs) are compared. The first difference prints a report
 * (the block's start pc, each differing item) and exits the process.
 *
 * The shadow has its own copy of RAM (taken when the first block is
 * checked, after the machine finished loading and patching RAM: the FDT
 * is rewritten when devices are attached after the JIT was enabled) so the
 * block's stores happen once in each; MMIO reads and the timer seen by the
 * real hart are logged and replayed to the shadow, MMIO writes are
 * compared, not repeated. Device DMA writes only the real hart's RAM: the
 * shadow's RAM is copied again from it whenever an external interrupt line
 * (MEIP/SEIP) is seen rising before a block (devices write guest RAM before
 * they raise their line); a guest polling DMA'd memory without an
 * interrupt is still reported as a difference. The shadow sees the
 * interrupt lines as they were when
 * the block started; instructions the interpreter runs outside blocks
 * are repeated on the shadow so its RAM stays in step.
 *
 * Threading: vCPU thread.
 */
#include "cpu/jit/jit-int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define LOG_MAX 256

struct mmio_rec { uint64_t addr, val; uint8_t size, kind; int ret; };
enum { R_READ, R_WRITE, R_TIME };

struct jit_check {
	struct hart *shadow;
	uint8_t *ram;
	struct cpu_bus orig;
	struct mmio_rec log[LOG_MAX];
	unsigned n, pos;
	bool overflow, mismatch;
	bool synced; /* ram holds the snapshot */
	bool ext_high; /* an external interrupt line was high at the last block */
	uint64_t blocks;
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
	c->ram = malloc(h->bus.ram_size ? h->bus.ram_size : 1);
	c->orig = h->bus;
	struct cpu_bus sb = { .ram = c->ram, .ram_base = h->bus.ram_base,
			      .ram_size = h->bus.ram_size, .mmio_read = rep_read,
			      .mmio_write = rep_write, .read_mtime = rep_time, .opaque = c };
	c->shadow = c->ram ? cpu_hart_new(&sb, (unsigned)h->hartid) : NULL;
	if (!c->shadow)
		return -1;
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
	if (c->shadow)
		cpu_hart_free(c->shadow);
	free(c->ram);
	free(c);
	j->check = NULL;
}

/* Architectural state the snapshot copies (TLBs, caches and pointers stay). */
static void copy_state(struct hart *s, const struct hart *h)
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
	s->wfi_exit = false;
	__atomic_store_n(&s->mip_hw, __atomic_load_n(&h->mip_hw, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->check, 0, __ATOMIC_RELAXED);
	s->tlb_epoch = h->tlb_epoch;
	mmu_flush(s); /* new keys, and no stale translation */
}

/* Whether trap_check_irq would take an interrupt on h now (its rules). */
static bool irq_due(const struct hart *h)
{
	uint64_t pend = trap_pending_irqs(h);
	uint64_t m = pend & ~h->mideleg, s = pend & h->mideleg;
	if (!(h->priv < PRV_M || (h->mstatus & MS_MIE)))
		m = 0;
	if (!(h->priv < PRV_S || (h->priv == PRV_S && (h->mstatus & MS_SIE))))
		s = 0;
	return (m | s) != 0;
}

void jit_check_before(struct hart *h)
{
	struct jit_check *c = h->jit->check;
	bool ext = __atomic_load_n(&h->mip_hw, __ATOMIC_ACQUIRE) & (CPU_IRQ_MEIP | CPU_IRQ_SEIP);
	if (!c->synced || (ext && !c->ext_high)) { /* O(RAM size) */
		memcpy(c->ram, h->bus.ram, h->bus.ram_size);
		c->synced = true;
	}
	c->ext_high = ext;
	copy_state(c->shadow, h);
	/* A line can be up before its raiser sets the check flag: the shadow
	 * would take that interrupt at the block's first instruction, the
	 * block only at its next entry check. Raise the flag now so the block
	 * stops at entry and both take it at the same point. */
	if (irq_due(c->shadow))
		hart_request_check(h);
	c->n = c->pos = 0;
	c->overflow = c->mismatch = false;
}

#define CMP(field)                                                            \
	do {                                                                  \
		if (s->field != h->field) {                                   \
			fprintf(stderr, "  %-10s jit %#llx  interp %#llx\n", #field, \
				(unsigned long long)h->field,                 \
				(unsigned long long)s->field);                \
			bad = true;                                           \
		}                                                             \
	} while (0)

static bool compare(const struct hart *h, const struct hart *s)
{
	bool bad = false;
	CMP(pc); CMP(instret); CMP(priv); CMP(mstatus); CMP(fflags); CMP(frm);
	CMP(mepc); CMP(sepc); CMP(mcause); CMP(scause); CMP(mtval); CMP(stval);
	CMP(satp); CMP(mie); CMP(mip_sw); CMP(resv_valid);
	for (unsigned i = 0; i < 32; i++) {
		if (s->x[i] != h->x[i]) {
			fprintf(stderr, "  x%-9u jit %#llx  interp %#llx\n", i,
				(unsigned long long)h->x[i], (unsigned long long)s->x[i]);
			bad = true;
		}
		if (s->f[i] != h->f[i]) {
			fprintf(stderr, "  f%-9u jit %#llx  interp %#llx\n", i,
				(unsigned long long)h->f[i], (unsigned long long)s->f[i]);
			bad = true;
		}
	}
	return bad;
}

/* Step the shadow until it reaches (pc, instret) or (alt, instret). */
static void follow(struct hart *s, uint64_t pc, uint64_t alt, uint64_t ir, unsigned max)
{
	for (unsigned i = 0; i < max && !((s->pc == pc || s->pc == alt) && s->instret == ir); i++)
		cpu_interp(s, 1);
}

void jit_check_after(struct hart *h, uint64_t start_pc, uint64_t pc_end, uint64_t ir_end)
{
	struct jit_check *c = h->jit->check;
	struct hart *s = c->shadow;
	c->blocks++;
	if (c->overflow)
		return; /* too much MMIO to replay: skip this block's check */
	follow(s, pc_end, h->pc, ir_end, JIT_MAX_INSNS + 1);
	if (s->pc == pc_end && h->pc != pc_end) {
		/* the real hart took an interrupt after the block: offer the
		 * shadow the same lines at the same point */
		__atomic_store_n(&s->mip_hw, __atomic_load_n(&h->mip_hw, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELAXED);
		enum cpu_exit why;
		hart_request_check(s);
		cpu_handle_check(s, &why);
	}
	if (!compare(h, s) && !c->mismatch && c->pos == c->n)
		return;
	fprintf(stderr, "jit check: the block at pc %#llx (block %llu) differs from the "
		"interpreter%s (items above: jit vs interp)\n", (unsigned long long)start_pc,
		(unsigned long long)c->blocks,
		c->mismatch || c->pos != c->n ? "; MMIO accesses differ too" : "");
	exit(3);
}

/* Instructions the interpreter ran outside any block (after a
 * jit_check_before): repeat them on the shadow so its RAM stays in step. */
void jit_check_interp(struct hart *h, uint64_t k)
{
	follow(h->jit->check->shadow, h->pc, h->pc, h->instret, (unsigned)(k < 1024 ? k : 1024) + 1);
}
