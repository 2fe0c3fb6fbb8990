/*
 * rtc.h - the goldfish RTC (google,goldfish-rtc) at 0x00101000, IRQ 11.
 *
 * Time is nanoseconds since the epoch (CLOCK_REALTIME plus an offset the
 * guest may set). Registers (32-bit): 0x00 TIME_LOW (reading it latches
 * TIME_HIGH; writing it sets the time with the TIME_HIGH written before),
 * 0x04 TIME_HIGH, 0x08 ALARM_LOW (writing arms the alarm), 0x0c ALARM_HIGH,
 * 0x10 IRQ_ENABLED, 0x14 CLEAR_ALARM, 0x18 ALARM_STATUS, 0x1c
 * CLEAR_INTERRUPT.
 *
 * Threading: rtc_mmio_* on the vCPU thread; the alarm is a reactor timer
 * (armed through a post); rtc_stop on the loop thread. One mutex.
 */
#ifndef RINGVM_HW_RTC_H
#define RINGVM_HW_RTC_H

#include <stdbool.h>
#include <stdint.h>

#define RTC_SIZE 0x1000

struct loop;
struct rtc;

struct rtc_irq {
	void (*set)(void *opaque, bool level);
	void *opaque;
};

/* loop may be NULL (tests): then rtc_check() is the only alarm clock. */
int rtc_new(struct rtc **out, struct loop *loop, const struct rtc_irq *irq);
void rtc_free(struct rtc *r);

int rtc_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val);
int rtc_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val);

/* Fire the alarm if due; returns CLOCK_REALTIME ns of the next alarm or
 * UINT64_MAX. Loop thread (or tests). */
uint64_t rtc_check(struct rtc *r);

void rtc_stop(struct rtc *r);
void rtc_reset(struct rtc *r);

#endif
