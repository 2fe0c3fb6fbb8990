/*
 * uart-regs.c - 16550A register semantics through the MMIO handlers:
 * reset values, DLAB, scratch, FIFO control and IIR identification, LSR,
 * THRE interrupt rules, the RX FIFO in front of the RX ring (flow control
 * back to the chardev at the ring), the character timeout on a fake clock,
 * loopback, and TX through the ring with back-pressure (THRE = 0) when the
 * host stalls. The reactor side is driven by hand (uart_poll) with a fake
 * chardev backend, so this test needs no loop.
 */
#include <string.h>

#include "char/char.h"
#include "harness.h"
#include "hw/uart.h"

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static bool irq;
static uint64_t fake_ns;

static uint64_t fake_now(void *opaque)
{
	return fake_ns;
}

static void set_irq(void *opaque, bool level)
{
	irq = level;
}

/* A backend that records output, accepts at most `room` bytes per call,
 * and holds input to deliver. */
struct fake {
	struct chr_dev chr;
	uint8_t out[UART_TX_RING];
	size_t out_len, room;
	uint8_t in[64];
	size_t in_off, in_len;
};

static size_t fake_write(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	struct fake *f = (struct fake *)chr;

	if (len > f->room)
		len = f->room;
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
}

static const struct chr_backend_ops fake_ops = {
	.name = "fake", .write = fake_write, .accept_input = fake_accept,
	.close = fake_close,
};

static uint8_t rd(struct uart *u, unsigned off)
{
	uint64_t v = 0;

	CHECK_EQ(uart_mmio_read(u, off, 1, &v), 0);
	return (uint8_t)v;
}

static void wr(struct uart *u, unsigned off, uint8_t v)
{
	CHECK_EQ(uart_mmio_write(u, off, 1, v), 0);
}

static void test_regs(struct uart *u)
{
	CHECK_EQ(rd(u, LSR), 0x60); /* THRE | TEMT, no data */
	CHECK_EQ(rd(u, IIR), 0x01); /* no interrupt, FIFOs off */
	CHECK_EQ(rd(u, IER), 0);
	CHECK_EQ(rd(u, MSR) & 0xb0, 0xb0);
	wr(u, SCR, 0x5a);
	CHECK_EQ(rd(u, SCR), 0x5a);
	/* DLAB maps 0/1 to the divisor latch */
	wr(u, LCR, 0x83);
	wr(u, RBR, 0x01);
	wr(u, IER, 0x02);
	CHECK_EQ(rd(u, RBR), 0x01);
	CHECK_EQ(rd(u, IER), 0x02);
	wr(u, LCR, 0x03);
	CHECK_EQ(rd(u, IER), 0);
	CHECK_EQ(rd(u, LCR), 0x03);
	/* FIFO enable shows in IIR bits 7:6 */
	wr(u, FCR, 0x01);
	CHECK_EQ(rd(u, IIR), 0xc1);
	CHECK(!irq);
}

static void test_thre(struct uart *u, struct fake *f)
{
	/* Enabling ETBEI with an empty transmitter raises THRI at once. */
	wr(u, IER, 0x02);
	CHECK(irq);
	CHECK_EQ(rd(u, IIR), 0xc2);
	CHECK(!irq);                /* reading IIR acknowledged it */
	CHECK_EQ(rd(u, IIR), 0xc1);
	/* A THR write re-arms it (the byte goes straight to the ring). */
	wr(u, RBR, 'A');
	CHECK(irq);
	CHECK_EQ(rd(u, LSR) & 0x60, 0x60);
	wr(u, IER, 0);
	CHECK(!irq);
	uart_poll(u);
	CHECK_EQ(f->out_len, 1);
	CHECK_EQ(f->out[0], 'A');
}

static void test_rx(struct uart *u, struct fake *f)
{
	/* divisor 1 at 3.6864 MHz, 8N1: 4 characters of 10 bits = 173.6 us */
	const uint64_t cti = 4ull * 10 * 16 * 1000000000ull / 3686400;

	wr(u, LCR, 0x83);
	wr(u, RBR, 0x01);
	wr(u, IER, 0x00);
	wr(u, LCR, 0x03);
	/* 20 bytes offered: the ring takes them, the FIFO shows 16. */
	for (int i = 0; i < 20; i++)
		f->in[i] = (uint8_t)('a' + i);
	f->in_len = 20;
	f->in_off = 0;
	wr(u, FCR, 0x81); /* FIFO on, trigger level 8 */
	uart_poll(u);
	CHECK_EQ(f->in_off, 20);
	CHECK_EQ(rd(u, LSR) & 1, 1);
	CHECK(!irq);                  /* ERBFI not enabled */
	wr(u, IER, 0x01);
	CHECK(irq);
	CHECK_EQ(rd(u, IIR), 0xc4);   /* 16 >= 8: data available */
	for (int i = 0; i < 13; i++)
		CHECK_EQ(rd(u, RBR), 'a' + i);
	/* 7 < 8 left: no interrupt until 4 character times of silence */
	CHECK_EQ(rd(u, IIR), 0xc1);
	CHECK(!irq);
	fake_ns += cti - 1000;
	uart_poll(u);
	CHECK(!irq);
	fake_ns += 2000;
	uart_poll(u);
	CHECK(irq);
	CHECK_EQ(rd(u, IIR), 0xcc);   /* character timeout */
	CHECK_EQ(rd(u, RBR), 'a' + 13); /* a read clears it and restarts the wait */
	CHECK(!irq);
	fake_ns += cti / 2;
	uart_poll(u);
	CHECK(!irq);
	fake_ns += cti / 2 + 1000;
	uart_poll(u);
	CHECK_EQ(rd(u, IIR), 0xcc);
	for (int i = 14; i < 20; i++)
		CHECK_EQ(rd(u, RBR), 'a' + i);
	CHECK(!irq);
	CHECK_EQ(rd(u, LSR) & 1, 0);
	CHECK_EQ(rd(u, RBR), 0);      /* empty FIFO reads 0 */
	fake_ns += 10 * cti;
	uart_poll(u);
	CHECK(!irq);                  /* no timeout on an empty FIFO */
	f->in_len = f->in_off = 0;
	wr(u, IER, 0);
}

static void test_loopback(struct uart *u)
{
	wr(u, MCR, 0x10 | 0x03);      /* loop, RTS, DTR */
	CHECK_EQ(rd(u, MSR) & 0x30, 0x30); /* CTS, DSR follow RTS, DTR */
	wr(u, RBR, 0x42);
	CHECK_EQ(rd(u, LSR) & 1, 1);
	CHECK_EQ(rd(u, RBR), 0x42);
	/* overrun: 17 bytes into a 16-byte FIFO sets OE, which clears on read */
	for (int i = 0; i < 17; i++)
		wr(u, RBR, (uint8_t)i);
	CHECK_EQ(rd(u, LSR) & 0x02, 0x02);
	CHECK_EQ(rd(u, LSR) & 0x02, 0);
	wr(u, FCR, 0x03);             /* clear RX */
	CHECK_EQ(rd(u, LSR) & 1, 0);
	wr(u, MCR, 0);
}

static void test_backpressure(struct uart *u, struct fake *f)
{
	size_t n = 0;

	f->out_len = 0;
	f->room = 0;                  /* the host stalls */
	while (rd(u, LSR) & 0x20) {
		wr(u, RBR, (uint8_t)n);
		n++;
		REQUIRE(n <= UART_TX_RING);
	}
	/* THRE drops while a full FIFO's worth would not fit any more. */
	CHECK_EQ(n, UART_TX_RING - UART_FIFO_SIZE + 1);
	CHECK_EQ(rd(u, LSR) & 0x60, 0);
	uart_poll(u);
	CHECK_EQ(f->out_len, 0);
	wr(u, IER, 0x02);
	CHECK(!irq);                  /* not empty: no THRI yet */
	/* The host takes 100 bytes: room again, THRI fires. */
	f->room = 100;
	f->chr.fe.write_ready(f->chr.fe.opaque);
	CHECK_EQ(f->out_len, 100);
	CHECK(irq);
	CHECK_EQ(rd(u, IIR), 0xc2);
	CHECK_EQ(rd(u, LSR) & 0x60, 0x60);
	f->room = SIZE_MAX;
	f->chr.fe.write_ready(f->chr.fe.opaque);
	CHECK_EQ(f->out_len, n);
	for (size_t i = 0; i < n; i++)
		if (f->out[i] != (uint8_t)i) {
			CHECK_EQ(f->out[i], (uint8_t)i);
			break;
		}
	CHECK_EQ(uart_tx_dropped(u), 0);
	wr(u, IER, 0);
}

int main(void)
{
	const struct uart_irq ui = { set_irq, NULL };
	struct fake f = { .chr.ops = &fake_ops, .room = SIZE_MAX };
	struct uart *u;

	t_timeout(10);
	REQUIRE(uart_new(&u, NULL, &ui) == 0);
	uart_set_clock(u, 0, fake_now, NULL);
	uart_attach(u, &f.chr);
	test_regs(u);
	test_thre(u, &f);
	test_rx(u, &f);
	test_loopback(u);
	test_backpressure(u, &f);

	/* Shutdown flush pushes what the ring holds even if write() stalls. */
	uart_free(u);
	return t_finish();
}
