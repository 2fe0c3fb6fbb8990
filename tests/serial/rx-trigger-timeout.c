/*
 * rx-trigger-timeout.c - host-to-guest delivery through the RX FIFO:
 *  - FCR trigger levels 1/4/8/14: at or above the level IIR says "data
 *    available" (0x04); below it, data still interrupts with the
 *    character-timeout id (0x0c), so a short message is never stranded;
 *  - the FIFO holds 16 bytes; the rest stays in the chardev (flow control,
 *    no overrun) and is refilled as the guest drains the FIFO;
 *  - IER.ERBFI gates the interrupt; FCR RX clear empties the FIFO.
 */
#include "fake-chr.h"

static struct fake f;

static void drain_check(struct uart *u, size_t *got, const uint8_t *src)
{
	while (rd(u, LSR) & 0x01) {
		CHECK_EQ(rd(u, RBR), src[*got]);
		(*got)++;
	}
}

int main(void)
{
	static const struct { uint8_t fcr; unsigned level; } trig[] = {
		{ 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
	};
	uint8_t src[100];
	struct uart *u;
	size_t got;

	t_timeout(30);
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 13 + 5);
	u = fake_uart(&f);

	for (unsigned t = 0; t < 4; t++) {
		unsigned lvl = trig[t].level;

		wr(u, FCR, trig[t].fcr | 0x02); /* set level, clear RX */
		wr(u, IER, 0x01);
		f.in = src;
		f.in_off = 0;
		f.in_len = lvl > 1 ? lvl - 1 : 0; /* just below the trigger */
		uart_poll(u);
		if (lvl > 1) {
			CHECK(fake_irq);
			CHECK_EQ(rd(u, IIR) & 0x0f, 0x0c); /* timeout id */
		}
		f.in_len = 40; /* now past it: the FIFO fills to 16 */
		uart_poll(u);
		CHECK(fake_irq);
		CHECK_EQ(rd(u, IIR) & 0x0f, 0x04);
		CHECK_EQ(f.in_off, 16);
		CHECK_EQ(rd(u, LSR) & 0x02, 0); /* no overrun: flow control */
		wr(u, IER, 0x00);
		CHECK(!fake_irq); /* ERBFI gates it */
		wr(u, IER, 0x01);
		got = 0;
		while (got < 40) {
			drain_check(u, &got, src);
			uart_poll(u); /* the reactor refills once the FIFO emptied */
		}
		CHECK_EQ(got, 40);
		CHECK(!fake_irq);
		CHECK_EQ(rd(u, IIR) & 0x0f, 0x01);
	}
	/* FCR RX clear drops what the FIFO held, the backend keeps the rest */
	f.in_off = 0;
	f.in_len = 20;
	uart_poll(u);
	CHECK_EQ(f.in_off, 16);
	wr(u, FCR, 0xc3);
	CHECK_EQ(rd(u, LSR) & 0x01, 0);
	uart_poll(u);
	CHECK_EQ(f.in_off, 20);
	CHECK_EQ(rd(u, RBR), src[16]);
	uart_free(u);
	return t_finish();
}
