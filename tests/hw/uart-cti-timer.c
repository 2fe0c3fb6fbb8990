/*
 * uart-cti-timer.c - the 16550A character timeout runs on the reactor's
 * timers (real time, a real loop): with fewer bytes in the FIFO than the
 * trigger level, IIR 0x0c comes no sooner than 4 character times after the
 * last byte received or read (not at once), restarts on every received
 * byte and every RBR read, and stops once the FIFO is empty.
 * 1200 baud (divisor 96) makes the timeout 33 ms: wide margins on a loaded
 * host. Gaps that the host stretched past the timeout skip the "not yet"
 * checks rather than fail them.
 */
#include "../serial/fake-chr.h"
#include "loop/loop.h"

static bool irq;
static uint64_t irq_at;

/* The line as the loop's timer sees it: when it rose, in loop time. */
static void set_irq(void *opaque, bool level)
{
	(void)opaque;
	if (level && !irq)
		irq_at = loop_now_ns();
	irq = level;
}

/* Run the loop until the line rises or ms pass; true if it rose. */
static bool run_until_irq(struct loop *loop, unsigned ms)
{
	uint64_t end = loop_now_ns() + ms * 1000000ull;

	while (!irq && loop_now_ns() < end)
		loop_run_once(loop, 1000000);
	return irq;
}

/* One more byte from the host (the loop delivers it). Returns the time
 * just before it arrived: the timeout runs from a later instant. */
static uint64_t feed(struct loop *loop, struct uart *u, struct fake *f)
{
	uint64_t t = loop_now_ns();

	f->in_len++;
	uart_poll(u);
	loop_run_once(loop, 0);
	return t;
}

int main(void)
{
	const uint64_t cti = fake_cti_ns(96);
	const struct uart_irq ui = { set_irq, NULL };
	static struct fake f = { .chr.ops = &fake_ops };
	static uint8_t in[64];
	struct loop *loop;
	struct uart *u;
	uint64_t last, prev;
	bool gaps_ok = true;

	t_timeout(30);
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(0x30 + i);
	f.in = in;
	f.room = sizeof(f.out);
	REQUIRE(loop_new(&loop, NULL) == 0);
	REQUIRE(uart_new(&u, loop, &ui) == 0);
	uart_attach(u, &f.chr);
	wr(u, LCR, 0x83); /* divisor 96: 1200 baud */
	wr(u, RBR, 96);
	wr(u, IER, 0);
	wr(u, LCR, 0x03);
	wr(u, FCR, 0x81); /* FIFO on, trigger 8 */
	wr(u, IER, 0x01);

	/* 1. three bytes: no interrupt at once, the timeout after ~33 ms */
	f.in_len = 2;
	last = feed(loop, u, &f);
	CHECK_EQ(f.in_off, 3);
	if (loop_now_ns() - last < cti / 2) { /* else the host stalled us */
		CHECK(!irq);
		CHECK_EQ(rd(u, IIR), 0xc1);
	}
	CHECK(run_until_irq(loop, 2000));
	CHECK(irq_at - last >= cti);
	CHECK_EQ(rd(u, IIR), 0xcc);

	/* 2. an RBR read clears it and restarts the wait */
	last = loop_now_ns(); /* before the read that restarts the wait */
	CHECK_EQ(rd(u, RBR), 0x30);
	CHECK(!irq);
	CHECK(run_until_irq(loop, 2000));
	CHECK(irq_at - last >= cti);
	CHECK_EQ(rd(u, IIR), 0xcc);
	CHECK_EQ(rd(u, RBR), 0x31);
	CHECK_EQ(rd(u, RBR), 0x32);
	CHECK(!irq);

	/* 3. bytes arriving every ~cti/3 keep restarting it (below trigger) */
	prev = loop_now_ns();
	for (int i = 0; i < 5; i++) {
		uint64_t end = prev + cti / 3;

		while (loop_now_ns() < end)
			loop_run_once(loop, (int64_t)(end - loop_now_ns()));
		last = feed(loop, u, &f);
		if (last - prev >= cti)
			gaps_ok = false; /* the host stalled us: no verdict */
		prev = last;
	}
	if (gaps_ok)
		CHECK(!irq);
	CHECK(run_until_irq(loop, 2000));
	CHECK(irq_at - last >= cti);
	CHECK_EQ(rd(u, IIR), 0xcc);

	/* 4. read everything: the line drops and stays down (timer stopped) */
	for (int i = 0; i < 5; i++)
		CHECK_EQ(rd(u, RBR), 0x33 + i);
	CHECK(!irq);
	CHECK_EQ(rd(u, LSR) & 1, 0);
	CHECK(!run_until_irq(loop, 3 * (unsigned)(cti / 1000000)));
	CHECK_EQ(rd(u, IIR), 0xc1);

	uart_attach(u, NULL);
	uart_free(u);
	loop_free(loop);
	return t_finish();
}
