/*
 * uart.h - a 16550A UART (the virt board's ttyS0).
 *
 * Registers (byte wide, reg-shift 0) are read and written by the vCPU
 * thread through uart_mmio_*; the host side (a chardev) lives on the loop
 * thread. Guest->host bytes go into a bounded ring the reactor drains; the
 * vCPU never blocks: when the ring lacks room for a FIFO's worth, LSR.THRE
 * reads 0 and the guest waits for the THRE interrupt like on hardware.
 * Host->guest bytes go into an RX ring behind the 16-byte FIFO only as far
 * as it has room (flow control back to the chardev); RBR reads move ring
 * bytes into the FIFO on the vCPU thread. The character timeout interrupt
 * is a loop timer (4 character times at the programmed rate).
 *
 * Threading: uart_mmio_* on the vCPU thread; uart_attach, uart_flush,
 * uart_free on the loop thread; uart_reset any thread. One small mutex per
 * UART guards the registers, FIFOs and ring.
 */
#ifndef RINGVM_HW_UART_H
#define RINGVM_HW_UART_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct chr_dev;
struct uart;

#define UART_FIFO_SIZE 16
#define UART_TX_RING 16384 /* host-bound buffering, a power of two */
#define UART_RX_RING 16384 /* guest-bound buffering behind the FIFO */
#define UART_CLOCK_HZ 3686400u /* the input clock unless set (virt's) */

/* The interrupt line; filled by the machine. set is called under the UART
 * lock (no blocking, no system call); wake (may be NULL) follows a rise
 * once the lock is released and wakes the hart. */
struct uart_irq {
	void (*set)(void *opaque, bool level);
	void *opaque;
	void (*wake)(void *opaque);
};

/*
 * Create a UART. loop is the reactor the chardev lives on (NULL: no posts;
 * tests then call uart_poll themselves). Returns 0 and *out, or -ENOMEM.
 */
int uart_new(struct uart **out, struct loop *loop, const struct uart_irq *irq);

/* Free (loop thread, or any thread once the loop is gone). A UART that
 * was attached with a loop must be detached first (uart_attach NULL, on
 * the loop thread while it exists): that cancels its timers. */
void uart_free(struct uart *u);

/* Connect a chardev (loop thread); NULL detaches (output is dropped). */
void uart_attach(struct uart *u, struct chr_dev *chr);

/* Registers: off 0..7, any size (the low byte is used). Return 0. */
int uart_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val);
int uart_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val);

/*
 * The reactor's work, normally run from posts: move ring bytes to the
 * chardev and offer held input again. Loop thread.
 */
void uart_poll(struct uart *u);

/* Push every byte still in the ring to the chardev, blocking (shutdown). */
void uart_flush(struct uart *u);

/* Hardware reset of the registers (the TX ring keeps its bytes). */
void uart_reset(struct uart *u);

/*
 * The input clock (0 keeps it) and the time source in ns (NULL: the loop's
 * monotonic clock; tests pass a fake one). Any thread, before use.
 */
void uart_set_clock(struct uart *u, uint32_t clock_hz, uint64_t (*now)(void *opaque),
		    void *opaque);

/* Bytes dropped because the guest wrote into a full ring (diagnostics). */
uint64_t uart_tx_dropped(const struct uart *u);

#endif
