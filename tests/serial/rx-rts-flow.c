/*
 * rx-rts-flow.c - hardware flow control toward the guest: with DTR up and
 * RTS down (Linux throttling a crtscts port) no ring byte enters the FIFO
 * beyond what it already showed; raising RTS lets the rest through, in
 * order, nothing lost. With DTR down (firmware that never touches the
 * modem lines) bytes flow regardless of RTS.
 */
#include "fake-chr.h"

static struct fake f;
static uint8_t src[100];

int main(void)
{
	struct uart *u;
	size_t got = 0;

	t_timeout(30);
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	u = fake_uart(&f);
	wr(u, FCR, 0x01);
	wr(u, MCR, 0x0b); /* DTR, RTS, OUT2: an open Linux port */
	f.in = src;
	f.in_len = sizeof(src);
	uart_poll(u);
	CHECK_EQ(f.in_off, sizeof(src)); /* the ring took everything */
	wr(u, MCR, 0x09); /* throttle: RTS down */
	while (rd(u, LSR) & 0x01) {
		CHECK_EQ(rd(u, RBR), src[got]);
		got++;
	}
	CHECK_EQ(got, 16); /* only what the FIFO already held */
	uart_poll(u);
	CHECK_EQ(rd(u, LSR) & 0x01, 0);
	wr(u, MCR, 0x0b); /* unthrottle */
	while (got < 50 && (rd(u, LSR) & 0x01)) {
		CHECK_EQ(rd(u, RBR), src[got]);
		got++;
	}
	CHECK_EQ(got, 50);
	wr(u, MCR, 0x00); /* no DTR: RTS means nothing, bytes flow */
	while (rd(u, LSR) & 0x01) {
		CHECK_EQ(rd(u, RBR), src[got]);
		got++;
	}
	CHECK_EQ(got, sizeof(src));
	CHECK_EQ(rd(u, LSR) & 0x02, 0);
	uart_free(u);
	return t_finish();
}
