/*
 * flow-pipe-uart.c - nothing is lost between a pipe chardev and the UART,
 * with the real threads: the loop on its own thread, the test's main thread
 * playing a polling guest driver on the registers (the vCPU side).
 *  A. guest -> host, slow host reader (512-byte reads, sleeps between):
 *     every byte of 4 MiB arrives in order, the guest saw THRE = 0 (back-
 *     pressure) instead of the UART or chardev dropping anything.
 *  B. host -> guest, slow guest (256 bytes, then a sleep): every byte of
 *     2 MiB arrives in order with no overrun, and the emulator buffers at
 *     most its RX ring plus one read: the backend stopped reading P.in, so
 *     the host writer is the one held back (the FIFO P.in backs up).
 * Runs on io_uring and with --epoll.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../char/char-test.h"
#include "hw/uart.h"

#define A_SIZE (4u << 20)
#define B_SIZE (2u << 20)

enum { RBR = 0, THR = 0, IER = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };

static struct tenv e;
static char path_in[600], path_out[600];
static _Atomic uint64_t host_got, host_bad, host_sent;

static uint8_t rd(struct uart *u, unsigned off)
{
	uint64_t v = 0;

	uart_mmio_read(u, off, 1, &v);
	return (uint8_t)v;
}

static void wr(struct uart *u, unsigned off, uint8_t v)
{
	uart_mmio_write(u, off, 1, v);
}

static void nap_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

static void *loop_thread(void *arg)
{
	(void)arg;
	loop_run(e.loop);
	return NULL;
}

static void *slow_reader(void *arg)
{
	int fd = open(path_out, O_RDONLY);
	uint8_t buf[512];

	(void)arg;
	while (fd >= 0 && host_got < A_SIZE) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != tfe_byte(21, host_got + (uint64_t)i))
				host_bad++;
		host_got += (uint64_t)n;
		nap_us(100);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *fast_writer(void *arg)
{
	int fd = *(int *)arg;
	uint8_t buf[65536];

	while (host_sent < B_SIZE) {
		size_t len = B_SIZE - host_sent < sizeof(buf) ? B_SIZE - host_sent : sizeof(buf);
		ssize_t n;

		for (size_t i = 0; i < len; i++)
			buf[i] = tfe_byte(22, host_sent + i);
		n = write(fd, buf, len); /* blocking: held back when nobody reads */
		if (n <= 0)
			break;
		host_sent += (uint64_t)n;
	}
	return NULL;
}

static void guest_to_host(struct uart *u)
{
	pthread_t th;
	uint64_t sent = 0, stalls = 0, end = loop_now_ns() + 60000000000ull;

	REQUIRE(pthread_create(&th, NULL, slow_reader, NULL) == 0);
	while (sent < A_SIZE && loop_now_ns() < end) {
		if (!(rd(u, LSR) & 0x20)) {
			stalls++; /* the transmitter is busy: wait like a driver */
			nap_us(50);
			continue;
		}
		for (int i = 0; i < 16 && sent < A_SIZE; i++, sent++)
			wr(u, THR, tfe_byte(21, sent));
	}
	while (host_got < A_SIZE && loop_now_ns() < end)
		nap_us(1000);
	pthread_join(th, NULL);
	CHECK_EQ(sent, A_SIZE);
	CHECK_EQ(host_got, A_SIZE);
	CHECK_EQ(host_bad, 0);
	CHECK(stalls > 0); /* back-pressure reached the guest */
	CHECK_EQ(uart_tx_dropped(u), 0);
	fprintf(stderr, "A: %llu THRE=0 polls\n", (unsigned long long)stalls);
}

static void host_to_guest(struct uart *u, int wfd)
{
	pthread_t th;
	uint64_t got = 0, bad = 0, end = loop_now_ns() + 60000000000ull;
	size_t most_held = 0, backed_up = 0;

	REQUIRE(pthread_create(&th, NULL, fast_writer, &wfd) == 0);
	while (got < B_SIZE && loop_now_ns() < end) {
		int queued = 0;

		for (int i = 0; i < 256 && (rd(u, LSR) & 0x01); i++, got++) {
			uint8_t c = rd(u, RBR);

			bad += c != tfe_byte(22, got);
		}
		CHECK_EQ(rd(u, LSR) & 0x02, 0); /* never an overrun */
		/* Bytes inside the emulator = written - in P.in - read. */
		if (ioctl(wfd, FIONREAD, &queued) == 0) {
			size_t held = (size_t)(host_sent - (uint64_t)queued - got);

			if (held > most_held && host_sent > got + (uint64_t)queued)
				most_held = held;
			if ((size_t)queued > backed_up)
				backed_up = (size_t)queued;
		}
		nap_us(200);
	}
	pthread_join(th, NULL);
	CHECK_EQ(got, B_SIZE);
	CHECK_EQ(bad, 0);
	CHECK(backed_up >= 32768); /* the host writer was held back */
	/* the RX ring plus one backend read buffer (4 KiB), and one more
	 * read for the race between sampling host_sent and FIONREAD */
	CHECK(most_held <= UART_RX_RING + 2 * 4096);
	fprintf(stderr, "B: P.in backed up to %zu, emulator held at most %zu\n", backed_up,
		most_held);
}

int main(int argc, char **argv)
{
	char spec[700], base[560];
	struct chr_dev *chr;
	struct uart *u;
	pthread_t lt;
	int wfd;

	t_timeout(120);
	tenv_open(&e, argc, argv);
	snprintf(base, sizeof(base), "%s/link", t_tmpdir());
	snprintf(path_in, sizeof(path_in), "%s.in", base);
	snprintf(path_out, sizeof(path_out), "%s.out", base);
	REQUIRE(mkfifo(path_in, 0600) == 0 && mkfifo(path_out, 0600) == 0);
	snprintf(spec, sizeof(spec), "pipe,id=l,path=%s", base);
	chr = t_open(&e, spec);
	REQUIRE(uart_new(&u, e.loop, NULL) == 0);
	uart_attach(u, chr); /* before the loop thread exists: no race */
	wfd = open(path_in, O_RDWR); /* ours; the backend reads P.in */
	REQUIRE(wfd >= 0);
	wr(u, FCR, 0x07);
	wr(u, MCR, 0x0b);
	REQUIRE(pthread_create(&lt, NULL, loop_thread, NULL) == 0);

	guest_to_host(u);
	host_to_guest(u, wfd);

	loop_stop(e.loop);
	pthread_join(lt, NULL);
	uart_attach(u, NULL);
	chr_close(chr);
	close(wfd);
	uart_free(u);
	tenv_close(&e);
	return t_finish();
}
