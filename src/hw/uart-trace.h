/*
 * uart-trace.h - an opt-in latency trace of the UARTs (diagnostics for
 * perf/serial: where does an echo round trip spend its time?).
 *
 * With RINGVM_UART_TRACE=PATH in the environment, the first UART maps PATH
 * (created or truncated, UART_TRACE_MAX records) and every UART appends
 * events to it: bytes from the host, the interrupt line going up for
 * received data, the character timeout firing, the first RBR read after
 * that, THR writes that start a stream, the TX ring filling up, bytes to
 * the host: a few records per message, not one per byte. The
 * file is a shared mapping, so it survives a SIGKILL of ringvm. Without the
 * variable the cost is one predictable branch per event.
 *
 * Record (little-endian, 24 bytes): u64 CLOCK_MONOTONIC ns, u32 UART
 * number (creation order), u32 value, u8 kind (enum uart_trace_kind),
 * 7 bytes zero. A zero timestamp ends the used part.
 * perf/serial/stages.py reads it.
 *
 * Threading: any thread (records are claimed with an atomic counter).
 */
#ifndef RINGVM_HW_UART_TRACE_H
#define RINGVM_HW_UART_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#define UART_TRACE_MAX (1u << 20) /* records; later events are not kept */

enum uart_trace_kind {
	UART_TR_RX = 'R',    /* value bytes from the chardev entered the ring (loop) */
	UART_TR_IRQ = 'I',   /* the line went up for received data (value: IIR id);
			      * THRE interrupts are not recorded */
	UART_TR_CTI = 'C',   /* the character timeout fired (loop) */
	UART_TR_RBR = 'D',   /* the guest's first RBR read after I; value = bytes
			      * the FIFO showed */
	UART_TR_THR = 'T',   /* the guest wrote THR into an empty TX ring (value 1) */
	UART_TR_FULL = 'F',  /* the TX ring is short of a FIFO load: THRE reads 0 */
	UART_TR_TX = 'W',    /* value bytes went to the chardev (loop) */
};

extern bool uart_trace_on; /* set once by uart_trace_open */

/* Map the trace file if RINGVM_UART_TRACE names one (first call only).
 * Returns the next UART number. */
unsigned uart_trace_open(void);

void uart_trace_add(unsigned uart, enum uart_trace_kind kind, uint32_t value);

static inline void uart_trace(unsigned uart, enum uart_trace_kind kind, uint32_t value)
{
	if (__builtin_expect(uart_trace_on, 0))
		uart_trace_add(uart, kind, value);
}

#endif
