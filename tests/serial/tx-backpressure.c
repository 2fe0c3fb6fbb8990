/*
 * tx-backpressure.c - guest-to-host bytes are never lost when the host is
 * slow: a "driver" writes THR only while LSR.THRE is set (16 bytes per THRE
 * like Linux's 8250), the host takes a few bytes per reactor turn. THRE and
 * TEMT must clear when the ring is short of a FIFO's room, the THRE
 * interrupt must come back once the reactor drained it, every byte must
 * arrive in order, and nothing may be counted as dropped.
 */
#include <stdlib.h>

#include "fake-chr.h"

static struct fake f;

int main(void)
{
	const size_t total = 256 * 1024;
	size_t sent = 0, stalls = 0, thre_irqs = 0;
	struct uart *u;

	t_timeout(30);
	u = fake_uart(&f);
	wr(u, FCR, 0x07);
	wr(u, IER, 0x02); /* ETBEI */
	CHECK(fake_irq);  /* enabling ETBEI with room raises THRE */

	for (unsigned turn = 0; sent < total && turn < 10000000; turn++) {
		uint8_t lsr = rd(u, LSR);

		if (lsr & 0x20) {
			CHECK(lsr & 0x40); /* TEMT follows THRE in this model */
			for (int i = 0; i < 16 && sent < total; i++, sent++)
				wr(u, THR, (uint8_t)(sent * 7 + (sent >> 9)));
			continue;
		}
		stalls++;
		CHECK(!(lsr & 0x40));
		/* the host wakes up: 37 bytes per turn, an odd size on purpose */
		f.room = 37;
		uart_poll(u);
		if (fake_irq && (rd(u, IIR) & 0x0f) == 0x02)
			thre_irqs++;
	}
	while (f.out_len < total) {
		f.room = 4096;
		uart_poll(u);
	}
	CHECK_EQ(sent, total);
	CHECK_EQ(f.out_len, total);
	for (size_t i = 0; i < total; i++)
		if (f.out[i] != (uint8_t)(i * 7 + (i >> 9))) {
			CHECK_EQ(i, (size_t)-1);
			break;
		}
	CHECK(stalls > 0);    /* the ring did fill: back-pressure was exercised */
	CHECK(thre_irqs > 0); /* and the drain raised THRE again */
	CHECK_EQ(uart_tx_dropped(u), 0);
	CHECK(rd(u, LSR) & 0x60);
	uart_free(u);
	return t_finish();
}
