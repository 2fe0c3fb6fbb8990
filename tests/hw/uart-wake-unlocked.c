/*
 * uart-wake-unlocked.c - the UART's interrupt rise wakes the hart only
 * after the UART lock is released: the `wake` callback reads IIR (takes
 * the lock, as the woken vCPU does first) and would deadlock, caught by
 * the timeout, if it were still held. A fall never wakes.
 */
#include "harness.h"
#include "hw/uart.h"

enum { IER = 1, IIR = 2 };

static struct uart *uart;
static bool level;
static int wakes;
static uint64_t iir_in_wake;

static void set_irq(void *opaque, bool l)
{
	(void)opaque;
	level = l;
}

static void wake(void *opaque)
{
	(void)opaque;
	wakes++;
	CHECK_EQ(uart_mmio_read(uart, IIR, 1, &iir_in_wake), 0);
}

int main(void)
{
	const struct uart_irq irq = { set_irq, NULL, wake };
	uint64_t v;

	t_timeout(10);
	REQUIRE(uart_new(&uart, NULL, &irq) == 0);
	/* THR is empty: enabling its interrupt raises the line at once. */
	CHECK_EQ(uart_mmio_write(uart, IER, 1, 0x02), 0);
	CHECK_EQ(wakes, 1);
	CHECK_EQ(iir_in_wake & 0x0f, 0x02); /* THRE identified (and cleared) */
	CHECK(!level);
	/* Turning it off again: no rise, no wake. */
	CHECK_EQ(uart_mmio_write(uart, IER, 1, 0x00), 0);
	CHECK_EQ(uart_mmio_read(uart, IIR, 1, &v), 0);
	CHECK_EQ(wakes, 1);
	uart_free(uart);
	return t_finish();
}
