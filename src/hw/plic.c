/*
 * plic.c - PLIC model (see plic.h).
 *
 * Gateway: a source becomes pending when its line is high and it is not
 * claimed; a claim clears pending and marks it claimed; completion releases
 * it, and a line still high makes it pending again. A context's output is
 * high while some enabled, pending source has priority > its threshold.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hw/plic.h"

#define NWORDS (PLIC_NSRC / 32)

struct plic {
	pthread_mutex_t lock;
	struct plic_ctx_out out;
	uint32_t prio[PLIC_NSRC];
	uint32_t level[NWORDS];   /* line state from devices */
	uint32_t pending[NWORDS];
	uint32_t claimed[NWORDS];
	uint32_t enable[PLIC_NCTX][NWORDS];
	uint32_t threshold[PLIC_NCTX];
	bool ctx_level[PLIC_NCTX];
};

static bool bit(const uint32_t *w, unsigned n)
{
	return (w[n / 32] >> (n % 32)) & 1;
}

static void set_bit(uint32_t *w, unsigned n, bool v)
{
	if (v)
		w[n / 32] |= 1u << (n % 32);
	else
		w[n / 32] &= ~(1u << (n % 32));
}

/* The best claimable source for ctx (0 = none). Lock held. O(sources). */
static unsigned best_source(const struct plic *p, unsigned ctx)
{
	unsigned best = 0;
	uint32_t best_prio = 0;

	for (unsigned w = 0; w < NWORDS; w++) {
		uint32_t m = p->pending[w] & p->enable[ctx][w];

		while (m) {
			unsigned src = w * 32 + (unsigned)__builtin_ctz(m);

			m &= m - 1;
			if (p->prio[src] > best_prio) {
				best_prio = p->prio[src];
				best = src;
			}
		}
	}
	return best_prio > p->threshold[ctx] ? best : 0;
}

/* Recompute the context outputs. Lock held. Returns true if one rose. */
static bool update(struct plic *p)
{
	bool rose = false;

	for (unsigned ctx = 0; ctx < PLIC_NCTX; ctx++) {
		bool level = best_source(p, ctx) != 0;

		if (level != p->ctx_level[ctx]) {
			p->ctx_level[ctx] = level;
			rose |= level;
			if (p->out.set)
				p->out.set(p->out.opaque, ctx, level);
		}
	}
	return rose;
}

void plic_wake(struct plic *p)
{
	if (p->out.wake)
		p->out.wake(p->out.opaque);
}

bool plic_set_irq_nowake(struct plic *p, unsigned src, bool level)
{
	bool rose;

	if (src == 0 || src >= PLIC_NSRC)
		return false;
	pthread_mutex_lock(&p->lock);
	set_bit(p->level, src, level);
	if (level && !bit(p->claimed, src))
		set_bit(p->pending, src, true);
	else if (!level)
		set_bit(p->pending, src, false); /* level-triggered: follows the line */
	rose = update(p);
	pthread_mutex_unlock(&p->lock);
	return rose;
}

void plic_set_irq(struct plic *p, unsigned src, bool level)
{
	if (plic_set_irq_nowake(p, src, level))
		plic_wake(p);
}

static uint32_t claim(struct plic *p, unsigned ctx)
{
	unsigned src = best_source(p, ctx);

	if (src) {
		set_bit(p->pending, src, false);
		set_bit(p->claimed, src, true);
	}
	return src;
}

static void complete(struct plic *p, unsigned ctx, uint32_t src)
{
	/* The spec ignores completions for sources not enabled for ctx. */
	if (src == 0 || src >= PLIC_NSRC || !bit(p->enable[ctx], src))
		return;
	set_bit(p->claimed, src, false);
	if (bit(p->level, src))
		set_bit(p->pending, src, true);
}

static int read32(struct plic *p, uint64_t off, uint32_t *v)
{
	*v = 0;
	if (off < 4 * PLIC_NSRC) {
		*v = p->prio[off / 4];
	} else if (off >= 0x1000 && off < 0x1000 + 4 * NWORDS) {
		*v = p->pending[(off - 0x1000) / 4];
	} else if (off >= 0x2000 && off < 0x2000 + 0x80 * PLIC_NCTX) {
		unsigned ctx = (unsigned)(off - 0x2000) / 0x80, w = (unsigned)(off % 0x80) / 4;

		if (w < NWORDS)
			*v = p->enable[ctx][w];
	} else if (off >= 0x200000 && off < 0x200000 + 0x1000 * PLIC_NCTX) {
		unsigned ctx = (unsigned)(off - 0x200000) / 0x1000, reg = off % 0x1000;

		if (reg == 0)
			*v = p->threshold[ctx];
		else if (reg == 4)
			*v = claim(p, ctx);
	} else if (off >= PLIC_SIZE) {
		return -1;
	}
	return 0;
}

static int write32(struct plic *p, uint64_t off, uint32_t v)
{
	if (off < 4 * PLIC_NSRC) {
		if (off >= 4) /* source 0 does not exist */
			p->prio[off / 4] = v & PLIC_PRIO_MASK;
	} else if (off >= 0x2000 && off < 0x2000 + 0x80 * PLIC_NCTX) {
		unsigned ctx = (unsigned)(off - 0x2000) / 0x80, w = (unsigned)(off % 0x80) / 4;

		if (w < NWORDS)
			p->enable[ctx][w] = w == 0 ? v & ~1u : v;
	} else if (off >= 0x200000 && off < 0x200000 + 0x1000 * PLIC_NCTX) {
		unsigned ctx = (unsigned)(off - 0x200000) / 0x1000, reg = off % 0x1000;

		if (reg == 0)
			p->threshold[ctx] = v & PLIC_PRIO_MASK;
		else if (reg == 4)
			complete(p, ctx, v);
	} else if (off >= PLIC_SIZE) {
		return -1;
	}
	/* pending bits are read-only; other holes ignore writes */
	return 0;
}

int plic_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
	struct plic *p = opaque;
	uint32_t lo = 0, hi = 0;
	bool rose;
	int r;

	if (size < 4)
		return -1;
	pthread_mutex_lock(&p->lock);
	r = read32(p, off, &lo);
	if (!r && size == 8)
		r = read32(p, off + 4, &hi);
	rose = update(p);
	pthread_mutex_unlock(&p->lock);
	if (rose)
		plic_wake(p);
	*val = lo | (uint64_t)hi << 32;
	return r;
}

int plic_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct plic *p = opaque;
	bool rose;
	int r;

	if (size < 4)
		return -1;
	pthread_mutex_lock(&p->lock);
	r = write32(p, off, (uint32_t)val);
	if (!r && size == 8)
		r = write32(p, off + 4, (uint32_t)(val >> 32));
	rose = update(p);
	pthread_mutex_unlock(&p->lock);
	if (rose)
		plic_wake(p);
	return r;
}

void plic_reset(struct plic *p)
{
	pthread_mutex_lock(&p->lock);
	memset(p->prio, 0, sizeof(p->prio));
	memset(p->claimed, 0, sizeof(p->claimed));
	memset(p->enable, 0, sizeof(p->enable));
	memset(p->threshold, 0, sizeof(p->threshold));
	memcpy(p->pending, p->level, sizeof(p->pending));
	update(p); /* nothing is enabled after a reset: no output rises */
	pthread_mutex_unlock(&p->lock);
}

int plic_new(struct plic **out, const struct plic_ctx_out *cb)
{
	struct plic *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	if (cb)
		p->out = *cb;
	*out = p;
	return 0;
}

void plic_free(struct plic *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}
