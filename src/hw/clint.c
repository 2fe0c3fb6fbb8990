/*
 * clint.c - CLINT model (see clint.h).
 *
 * mtime = (CLOCK_MONOTONIC - base) / 100 + offset: 100 ns per tick at
 * 10 MHz. A guest write to mtime changes offset. Deadlines for the reactor
 * are exact: at now + (mtimecmp - mtime(now)) * 100 ns the counter reads
 * mtimecmp.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "cpu/cpu.h"
#include "hw/clint.h"
#include "loop/loop.h"

#define NS_PER_TICK (1000000000ull / CLINT_FREQ_HZ)

struct clint {
	pthread_mutex_t lock; /* guards mtimecmp, msip and the line states */
	struct loop *loop;
	struct clint_out out;
	uint64_t base_ns;
	_Atomic uint64_t offset;
	uint64_t mtimecmp;
	uint32_t msip;
	bool mtip;
	struct loop_timer timer;       /* loop thread */
	struct loop_post_node rearm;
	atomic_bool rearm_posted;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mtime_at(struct clint *c, uint64_t now)
{
	return (now - c->base_ns) / NS_PER_TICK + atomic_load(&c->offset);
}

uint64_t clint_mtime(struct clint *c)
{
	return mtime_at(c, mono_ns());
}

static void set_mtip(struct clint *c, bool level)
{
	if (level != c->mtip) {
		c->mtip = level;
		if (c->out.set)
			c->out.set(c->out.opaque, CPU_IRQ_MTIP, level);
	}
}

/* Lock held. Returns the deadline (ns) or UINT64_MAX. */
static uint64_t check_locked(struct clint *c)
{
	uint64_t now = mono_ns(), t = mtime_at(c, now), delta;

	if (t >= c->mtimecmp) {
		set_mtip(c, true);
		return UINT64_MAX;
	}
	set_mtip(c, false);
	delta = c->mtimecmp - t;
	if (delta > (UINT64_MAX - now) / NS_PER_TICK)
		return UINT64_MAX; /* beyond the host clock's range: never */
	return now + delta * NS_PER_TICK;
}

uint64_t clint_check(struct clint *c)
{
	uint64_t d;

	pthread_mutex_lock(&c->lock);
	d = check_locked(c);
	pthread_mutex_unlock(&c->lock);
	return d;
}

/* Loop thread: the timer and the re-arm post both land here. */
static void timer_fn(void *arg)
{
	struct clint *c = arg;
	uint64_t d = clint_check(c);

	if (d == UINT64_MAX)
		loop_timer_cancel(c->loop, &c->timer);
	else
		loop_timer_arm(c->loop, &c->timer, d);
}

static void rearm_fn(void *arg)
{
	struct clint *c = arg;

	atomic_store(&c->rearm_posted, false);
	timer_fn(c);
}

static void post_rearm(struct clint *c)
{
	if (c->loop && !atomic_exchange(&c->rearm_posted, true))
		loop_post_node(c->loop, &c->rearm);
}

int clint_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
	struct clint *c = opaque;
	uint64_t v;

	if (size != 4 && size != 8)
		return -1;
	pthread_mutex_lock(&c->lock);
	if (off < 4)
		v = c->msip;
	else if (off >= 0x4000 && off < 0x4008)
		v = c->mtimecmp;
	else if (off >= 0xbff8 && off < 0xc000)
		v = clint_mtime(c);
	else
		v = 0;
	pthread_mutex_unlock(&c->lock);
	*val = (off & 4) && size == 4 ? v >> 32 : v;
	if (size == 4)
		*val &= 0xffffffffu;
	return 0;
}

/* Merge a 4-byte write into a 64-bit register. */
static uint64_t merge(uint64_t old, uint64_t off, unsigned size, uint64_t val)
{
	if (size == 8)
		return val;
	if (off & 4)
		return (old & 0xffffffffu) | (val << 32);
	return (old & ~0xffffffffull) | (val & 0xffffffffu);
}

int clint_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct clint *c = opaque;
	uint64_t due;

	if (size != 4 && size != 8)
		return -1;
	pthread_mutex_lock(&c->lock);
	if (off < 4) {
		c->msip = val & 1;
		if (c->out.set)
			c->out.set(c->out.opaque, CPU_IRQ_MSIP, c->msip);
	} else if (off >= 0x4000 && off < 0x4008) {
		c->mtimecmp = merge(c->mtimecmp, off, size, val);
		due = check_locked(c);
		pthread_mutex_unlock(&c->lock);
		if (due != UINT64_MAX)
			post_rearm(c);
		return 0;
	} else if (off >= 0xbff8 && off < 0xc000) {
		uint64_t now = mono_ns(), cur = mtime_at(c, now);
		uint64_t want = merge(cur, off, size, val);

		atomic_store(&c->offset, atomic_load(&c->offset) + (want - cur));
		due = check_locked(c);
		pthread_mutex_unlock(&c->lock);
		post_rearm(c);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void clint_stop(struct clint *c)
{
	if (c->loop)
		loop_timer_cancel(c->loop, &c->timer);
}

void clint_reset(struct clint *c)
{
	pthread_mutex_lock(&c->lock);
	c->mtimecmp = UINT64_MAX;
	c->msip = 0;
	if (c->out.set)
		c->out.set(c->out.opaque, CPU_IRQ_MSIP, false);
	c->mtip = true; /* force the callback so the hart's line is known low */
	set_mtip(c, false);
	pthread_mutex_unlock(&c->lock);
	/* No re-arm post: a timer still armed finds the compare disabled
	 * when it fires and stops. Posting nothing here also means a machine
	 * under construction leaves nothing queued on the loop. */
}

int clint_new(struct clint **out, struct loop *loop, const struct clint_out *cb)
{
	struct clint *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->loop = loop;
	if (cb)
		c->out = *cb;
	c->base_ns = mono_ns();
	atomic_init(&c->offset, 0);
	atomic_init(&c->rearm_posted, false);
	loop_timer_init(&c->timer, timer_fn, c);
	c->rearm.fn = rearm_fn;
	c->rearm.arg = c;
	clint_reset(c);
	*out = c;
	return 0;
}

void clint_free(struct clint *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}
