/*
 * uart-trace.c - the opt-in UART latency trace (see uart-trace.h).
 *
 * Threading: uart_trace_open runs on the thread that creates UARTs (main);
 * uart_trace_add on any thread. The mapping is never unmapped: it must
 * outlive every UART and costs nothing once the process ends.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hw/uart-trace.h"

struct rec {
	uint64_t ns;
	uint32_t uart, value;
	uint8_t kind, pad[7];
};

bool uart_trace_on;
static struct rec *recs;
static atomic_uint used;
static atomic_uint uarts;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void map_file(void)
{
	const char *path = getenv("RINGVM_UART_TRACE");
	size_t len = sizeof(struct rec) * (size_t)UART_TRACE_MAX;
	void *p;
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0) {
		fprintf(stderr, "ringvm: RINGVM_UART_TRACE: cannot create '%s'; no trace\n", path);
		if (fd >= 0)
			close(fd);
		return;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "ringvm: RINGVM_UART_TRACE: cannot map '%s'; no trace\n", path);
		return;
	}
	recs = p;
	uart_trace_on = true;
}

unsigned uart_trace_open(void)
{
	pthread_once(&once, map_file);
	return atomic_fetch_add(&uarts, 1);
}

void uart_trace_add(unsigned uart, enum uart_trace_kind kind, uint32_t value)
{
	unsigned i = atomic_fetch_add_explicit(&used, 1, memory_order_relaxed);
	struct timespec ts;

	if (i >= UART_TRACE_MAX)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	recs[i].uart = uart;
	recs[i].value = value;
	recs[i].kind = (uint8_t)kind;
	/* the timestamp last: a reader of a live file skips half-written records */
	__atomic_store_n(&recs[i].ns, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
			 __ATOMIC_RELEASE);
}
