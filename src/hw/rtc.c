/*
 * rtc.c - goldfish RTC model (see rtc.h).
 *
 * The alarm deadline is in guest (realtime + offset) ns; the reactor
 * timer runs on CLOCK_MONOTONIC, so the difference is converted when the
 * timer is armed and re-checked when it fires (a host clock step only
 * delays the alarm to the next check, it never fires it early).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "hw/rtc.h"
#include "loop/loop.h"

enum {
	RTC_TIME_LOW = 0x00, RTC_TIME_HIGH = 0x04, RTC_ALARM_LOW = 0x08,
	RTC_ALARM_HIGH = 0x0c, RTC_IRQ_ENABLED = 0x10, RTC_CLEAR_ALARM = 0x14,
	RTC_ALARM_STATUS = 0x18, RTC_CLEAR_INTERRUPT = 0x1c,
};

struct rtc {
	pthread_mutex_t lock;
	struct loop *loop;
	struct rtc_irq irq;
	int64_t offset_ns;     /* guest time - CLOCK_REALTIME */
	uint32_t time_high_latch, time_high_write, alarm_high;
	uint64_t alarm_ns;
	bool alarm_armed, irq_enabled, irq_pending, irq_level;
	struct loop_timer timer;
	struct loop_post_node rearm;
	atomic_bool rearm_posted;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t guest_now(struct rtc *r)
{
	return clock_ns(CLOCK_REALTIME) + (uint64_t)r->offset_ns;
}

static void update_irq(struct rtc *r)
{
	bool level = r->irq_pending && r->irq_enabled;

	if (level != r->irq_level) {
		r->irq_level = level;
		if (r->irq.set)
			r->irq.set(r->irq.opaque, level);
	}
}

/* Lock held: fire if due; returns ns until the alarm, or UINT64_MAX. */
static uint64_t check_locked(struct rtc *r)
{
	uint64_t now;

	if (!r->alarm_armed)
		return UINT64_MAX;
	now = guest_now(r);
	if (now >= r->alarm_ns) {
		r->alarm_armed = false;
		r->irq_pending = true;
		update_irq(r);
		return UINT64_MAX;
	}
	return r->alarm_ns - now;
}

uint64_t rtc_check(struct rtc *r)
{
	uint64_t left;

	pthread_mutex_lock(&r->lock);
	left = check_locked(r);
	pthread_mutex_unlock(&r->lock);
	return left == UINT64_MAX ? UINT64_MAX : clock_ns(CLOCK_REALTIME) + left;
}

static void timer_fn(void *arg)
{
	struct rtc *r = arg;
	uint64_t left;

	pthread_mutex_lock(&r->lock);
	left = check_locked(r);
	pthread_mutex_unlock(&r->lock);
	if (left == UINT64_MAX)
		loop_timer_cancel(r->loop, &r->timer);
	else
		loop_timer_arm(r->loop, &r->timer, loop_now_ns() + left);
}

static void rearm_fn(void *arg)
{
	struct rtc *r = arg;

	atomic_store(&r->rearm_posted, false);
	timer_fn(r);
}

static void post_rearm(struct rtc *r)
{
	if (r->loop && !atomic_exchange(&r->rearm_posted, true))
		loop_post_node(r->loop, &r->rearm);
}

int rtc_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
	struct rtc *r = opaque;
	uint64_t now;

	if (size != 4)
		return -1;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_TIME_LOW:
		now = guest_now(r);
		r->time_high_latch = (uint32_t)(now >> 32);
		*val = (uint32_t)now;
		break;
	case RTC_TIME_HIGH:
		*val = r->time_high_latch;
		break;
	case RTC_ALARM_LOW:
		*val = (uint32_t)r->alarm_ns;
		break;
	case RTC_ALARM_HIGH:
		*val = (uint32_t)(r->alarm_ns >> 32);
		break;
	case RTC_IRQ_ENABLED:
		*val = r->irq_enabled;
		break;
	case RTC_ALARM_STATUS:
		*val = r->alarm_armed;
		break;
	default:
		*val = 0;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int rtc_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct rtc *r = opaque;
	bool rearm = false;

	if (size != 4)
		return -1;
	val &= 0xffffffffu;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_TIME_LOW: {
		uint64_t want = (uint64_t)r->time_high_write << 32 | val;

		r->offset_ns = (int64_t)(want - clock_ns(CLOCK_REALTIME));
		rearm = r->alarm_armed;
		break;
	}
	case RTC_TIME_HIGH:
		r->time_high_write = (uint32_t)val;
		break;
	case RTC_ALARM_LOW:
		r->alarm_ns = (uint64_t)r->alarm_high << 32 | val;
		r->alarm_armed = true;
		rearm = check_locked(r) != UINT64_MAX;
		break;
	case RTC_ALARM_HIGH:
		r->alarm_high = (uint32_t)val;
		break;
	case RTC_IRQ_ENABLED:
		r->irq_enabled = val & 1;
		update_irq(r);
		break;
	case RTC_CLEAR_ALARM:
		r->alarm_armed = false;
		break;
	case RTC_CLEAR_INTERRUPT:
		r->irq_pending = false;
		update_irq(r);
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&r->lock);
	if (rearm)
		post_rearm(r);
	return 0;
}

void rtc_stop(struct rtc *r)
{
	if (r->loop)
		loop_timer_cancel(r->loop, &r->timer);
}

void rtc_reset(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	r->alarm_armed = false;
	r->irq_enabled = false;
	r->irq_pending = false;
	update_irq(r);
	pthread_mutex_unlock(&r->lock);
}

int rtc_new(struct rtc **out, struct loop *loop, const struct rtc_irq *irq)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	r->loop = loop;
	if (irq)
		r->irq = *irq;
	atomic_init(&r->rearm_posted, false);
	loop_timer_init(&r->timer, timer_fn, r);
	r->rearm.fn = rearm_fn;
	r->rearm.arg = r;
	*out = r;
	return 0;
}

void rtc_free(struct rtc *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}
