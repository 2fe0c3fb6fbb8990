/*
 * uart-stdio.c - the UART with the stdio chardev on a real reactor, over
 * pipes: guest THR writes reach the output pipe (posted to and drained by
 * the loop thread), and a burst of host input larger than the RX FIFO
 * reaches the guest whole and in order (flow control, no overrun). Bytes
 * pass through unchanged when input is not a terminal (0x01 included).
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "char/char.h"
#include "harness.h"
#include "hw/uart.h"
#include "loop/loop.h"

struct ctx {
	struct loop *loop;
	struct uart *u;
	struct chr_dev *chr;
	int in_fd, out_fd;
};

static void *io_main(void *arg)
{
	struct ctx *c = arg;
	struct chr_stdio_opts so = { .in_fd = c->in_fd, .out_fd = c->out_fd, .escapes = true };

	REQUIRE(chr_stdio_open(&c->chr, c->loop, &so) == 0);
	uart_attach(c->u, c->chr);
	REQUIRE(loop_run(c->loop) == 0);
	loop_run_once(c->loop, 0);
	uart_flush(c->u);
	uart_attach(c->u, NULL);
	chr_close(c->chr);
	return NULL;
}

static uint8_t rd(struct uart *u, unsigned off)
{
	uint64_t v;

	uart_mmio_read(u, off, 1, &v);
	return (uint8_t)v;
}

/* Read exactly n bytes from fd within a few seconds. */
static size_t read_n(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 5000) <= 0)
			break;
		ssize_t r = read(fd, buf + got, n - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

int main(void)
{
	struct ctx c = { 0 };
	int in_pipe[2], out_pipe[2];
	static uint8_t sent[3000], got[3000];
	uint8_t buf[64];
	pthread_t io;
	size_t n = 0;

	t_timeout(30);
	REQUIRE(pipe(in_pipe) == 0 && pipe(out_pipe) == 0);
	c.in_fd = in_pipe[0];
	c.out_fd = out_pipe[1];
	REQUIRE(loop_new(&c.loop, NULL) == 0);
	REQUIRE(uart_new(&c.u, c.loop, NULL) == 0);
	REQUIRE(pthread_create(&io, NULL, io_main, &c) == 0);

	/* Guest -> host. */
	const char *msg = "hello, \x01world\n";
	for (const char *p = msg; *p; p++)
		uart_mmio_write(c.u, 0, 1, (uint8_t)*p);
	CHECK_EQ(read_n(out_pipe[0], buf, strlen(msg)), strlen(msg));
	CHECK(!memcmp(buf, msg, strlen(msg)));

	/* Host -> guest: 3000 bytes through a 16-byte FIFO. */
	uart_mmio_write(c.u, 2, 1, 0x01); /* FIFO on */
	for (size_t i = 0; i < sizeof(sent); i++)
		sent[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(write(in_pipe[1], sent, sizeof(sent)), (ssize_t)sizeof(sent));
	for (unsigned spins = 0; n < sizeof(sent) && spins < 5000000; spins++) {
		uint8_t lsr = rd(c.u, 5);

		CHECK_EQ(lsr & 0x02, 0); /* never an overrun */
		if (lsr & 0x01)
			got[n++] = rd(c.u, 0);
		else
			usleep(10);
	}
	CHECK_EQ(n, sizeof(sent));
	CHECK(!memcmp(sent, got, sizeof(sent)));

	/* Bytes written just before shutdown are flushed, not lost. */
	for (int i = 0; i < 100; i++)
		uart_mmio_write(c.u, 0, 1, 'z');
	loop_stop(c.loop);
	pthread_join(io, NULL);
	close(out_pipe[1]);
	size_t tail = 0;
	ssize_t r;
	while ((r = read(out_pipe[0], buf, sizeof(buf))) > 0)
		tail += (size_t)r;
	CHECK_EQ(tail, 100);
	loop_free(c.loop);
	uart_free(c.u);
	return t_finish();
}
