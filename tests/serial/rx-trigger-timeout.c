/*
 * rx-trigger-timeout.c - host-to-guest delivery through the RX FIFO (fake
 * clock, the test plays the reactor):
 *  - FCR trigger levels 1/4/8/14: at or above the level IIR says "data
 *    available" (0x04); below it, nothing until 4 character times at the
 *    programmed rate passed with no byte received and none read, then the
 *    character-timeout id (0x0c), so a short message is never stranded;
 *  - the FIFO shows 16 bytes of the RX ring; the host side stops at the
 *    ring's size (flow control, no overrun) and is offered more once the
 *    guest drained half of it;
 *  - IER.ERBFI gates the interrupt; FCR RX clear empties the FIFO.
 */
#include "fake-chr.h"

static struct fake f;
static uint8_t src[3 * UART_RX_RING];

static void drain_check(struct uart *u, size_t *got, size_t max)
{
	while (*got < max && (rd(u, LSR) & 0x01)) {
		CHECK_EQ(rd(u, RBR), src[*got]);
		(*got)++;
	}
}

static void trigger_levels(struct uart *u)
{
	static const struct { uint8_t fcr; unsigned level; } trig[] = {
		{ 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
	};
	const uint64_t cti = fake_cti_ns(12); /* the reset divisor: 9600 baud */
	size_t got;

	for (unsigned t = 0; t < 4; t++) {
		unsigned lvl = trig[t].level;

		wr(u, FCR, trig[t].fcr | 0x02); /* set level, clear RX */
		wr(u, IER, 0x01);
		f.in = src;
		f.in_off = 0;
		f.in_len = lvl > 1 ? lvl - 1 : 0; /* just below the trigger */
		uart_poll(u);
		if (lvl > 1) {
			CHECK(!fake_irq); /* not at once: the line may still be busy */
			fake_ns += cti - 1000;
			uart_poll(u);
			CHECK(!fake_irq);
			fake_ns += 2000;
			uart_poll(u);
			CHECK(fake_irq);
			CHECK_EQ(rd(u, IIR) & 0x0f, 0x0c); /* timeout id */
		}
		f.in_len = 40; /* now past it: the FIFO shows 16 */
		uart_poll(u);
		CHECK(fake_irq);
		CHECK_EQ(rd(u, IIR) & 0x0f, 0x04);
		CHECK_EQ(f.in_off, 40);
		CHECK_EQ(rd(u, LSR) & 0x02, 0); /* no overrun */
		wr(u, IER, 0x00);
		CHECK(!fake_irq); /* ERBFI gates it */
		wr(u, IER, 0x01);
		got = 0;
		drain_check(u, &got, 40);
		CHECK_EQ(got, 40);
		CHECK(!fake_irq);
		CHECK_EQ(rd(u, IIR) & 0x0f, 0x01);
	}
}

static void ring_flow(struct uart *u)
{
	size_t got = 0;

	f.in = src;
	f.in_off = 0;
	f.in_len = sizeof(src);
	uart_poll(u);
	CHECK_EQ(f.in_off, UART_RX_RING); /* the ring is full: the host waits */
	uart_poll(u);
	CHECK_EQ(f.in_off, UART_RX_RING);
	CHECK_EQ(rd(u, LSR) & 0x02, 0);
	while (got < sizeof(src)) {
		size_t before = got;

		drain_check(u, &got, got + 1000);
		CHECK(got > before);
		if (got == before)
			break;
		uart_poll(u); /* the reactor refills */
		CHECK(f.in_off - got <= UART_RX_RING);
	}
	CHECK_EQ(got, sizeof(src));
	CHECK_EQ(rd(u, LSR) & 0x03, 0);
}

int main(void)
{
	struct uart *u;

	t_timeout(30);
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13 + 5 + (i >> 8));
	u = fake_uart(&f);
	trigger_levels(u);
	ring_flow(u);
	/* FCR RX clear drops what the FIFO showed; the ring keeps the rest */
	f.in_off = 0;
	f.in_len = 20;
	uart_poll(u);
	CHECK_EQ(f.in_off, 20);
	wr(u, FCR, 0xc3);
	CHECK_EQ(rd(u, LSR) & 0x01, 0x01);
	CHECK_EQ(rd(u, RBR), src[16]);
	uart_free(u);
	return t_finish();
}
