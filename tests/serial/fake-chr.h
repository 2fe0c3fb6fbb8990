/*
 * fake-chr.h - a test chardev for driving the UART without a loop: output
 * is recorded up to `room` bytes (the test refills room and calls
 * uart_poll, playing the reactor); input is a buffer handed to the UART as
 * far as its can_receive allows. Single-threaded test use only.
 */
#ifndef RINGVM_TESTS_SERIAL_FAKE_CHR_H
#define RINGVM_TESTS_SERIAL_FAKE_CHR_H

#include <string.h>

#include "char/char.h"
#include "harness.h"
#include "hw/uart.h"

enum { RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };

struct fake {
	struct chr_dev chr;
	uint8_t out[1 << 20];
	size_t out_len, room;
	const uint8_t *in;
	size_t in_off, in_len;
};

static bool fake_irq;
static uint64_t fake_ns; /* the UART's clock: tests advance it by hand */

static uint64_t fake_now(void *opaque)
{
	(void)opaque;
	return fake_ns;
}

/* The character timeout for a divisor, 8N1 at the default clock. */
static inline uint64_t fake_cti_ns(unsigned div)
{
	return 4ull * 10 * 16 * div * 1000000000ull / UART_CLOCK_HZ;
}

static void fake_set_irq(void *opaque, bool level)
{
	(void)opaque;
	fake_irq = level;
}

static size_t fake_write(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	struct fake *f = (struct fake *)chr;

	if (len > f->room)
		len = f->room;
	if (len > sizeof(f->out) - f->out_len)
		len = sizeof(f->out) - f->out_len;
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
	f->room -= len;
	return len;
}

static void fake_accept(struct chr_dev *chr)
{
	struct fake *f = (struct fake *)chr;
	size_t n = chr->fe.can_receive(chr->fe.opaque);

	if (n > f->in_len - f->in_off)
		n = f->in_len - f->in_off;
	if (n)
		chr->fe.receive(chr->fe.opaque, f->in + f->in_off, n);
	f->in_off += n;
}

static void fake_close(struct chr_dev *chr)
{
	(void)chr;
}

static const struct chr_backend_ops fake_ops = {
	.name = "fake", .write = fake_write, .accept_input = fake_accept,
	.close = fake_close,
};

static inline uint8_t rd(struct uart *u, unsigned off)
{
	uint64_t v = 0;

	CHECK_EQ(uart_mmio_read(u, off, 1, &v), 0);
	return (uint8_t)v;
}

static inline void wr(struct uart *u, unsigned off, uint8_t v)
{
	CHECK_EQ(uart_mmio_write(u, off, 1, v), 0);
}

/* A UART with no loop (the test plays the reactor and the clock) attached
 * to f. */
static inline struct uart *fake_uart(struct fake *f)
{
	const struct uart_irq irq = { fake_set_irq, NULL };
	struct uart *u = NULL;

	REQUIRE(uart_new(&u, NULL, &irq) == 0);
	uart_set_clock(u, 0, fake_now, NULL);
	f->chr.ops = &fake_ops;
	uart_attach(u, &f->chr);
	return u;
}

#endif
