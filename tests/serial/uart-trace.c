/*
 * uart-trace.c - RINGVM_UART_TRACE records an echo's stages in order: a
 * byte from the host (R, 1 byte), the character timeout (C) and the line
 * going up (I, the timeout id 0x0c) for a FIFO below its trigger level,
 * the guest's first RBR read
 * (D, 1 byte shown) and THR write (T: into an empty ring; later bytes of a
 * stream are not recorded, the ring filling up is: F), the byte to the host
 * (W, 1 byte); each record names the UART (creation order) and carries a
 * CLOCK_MONOTONIC time that never goes back. A second UART gets number 1.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake-chr.h"

struct rec {
	uint64_t ns;
	uint32_t uart, value;
	uint8_t kind, pad[7];
};

static struct fake f, f2;

int main(void)
{
	static const struct { char kind; uint32_t value; } want[] = {
		{ 'R', 1 }, { 'C', 0 }, { 'I', 0x0c }, { 'D', 1 }, { 'T', 1 }, { 'W', 1 },
	};
	static const uint8_t ping = 0x5a;
	struct rec r[16];
	char path[512];
	struct uart *u, *u2;
	int fd;

	t_timeout(30);
	snprintf(path, sizeof(path), "%s/trace", t_tmpdir());
	REQUIRE(setenv("RINGVM_UART_TRACE", path, 1) == 0);
	u = fake_uart(&f);
	f.room = 64;
	wr(u, LCR, 0x03);
	wr(u, FCR, 0x81); /* trigger 8: a lone byte waits for the timeout */
	wr(u, IER, 0x01);
	f.in = &ping;
	f.in_len = 1;
	uart_poll(u);
	CHECK(!fake_irq);
	fake_ns += fake_cti_ns(12) + 1000;
	uart_poll(u);
	CHECK(fake_irq);
	CHECK_EQ(rd(u, RBR), ping);
	wr(u, THR, ping);
	uart_poll(u);
	CHECK_EQ(f.out_len, 1);
	u2 = fake_uart(&f2);
	for (unsigned i = 0; i < UART_TX_RING; i++)
		wr(u2, THR, 1); /* T once, then F when the ring is short of room */

	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(read(fd, r, sizeof(r)) == (ssize_t)sizeof(r));
	close(fd);
	for (unsigned i = 0; i < 6; i++) {
		CHECK_EQ(r[i].kind, (uint8_t)want[i].kind);
		CHECK_EQ(r[i].value, want[i].value);
		CHECK_EQ(r[i].uart, 0);
		CHECK(r[i].ns != 0);
		if (i)
			CHECK(r[i].ns >= r[i - 1].ns);
	}
	CHECK_EQ(r[6].kind, 'T');
	CHECK_EQ(r[6].uart, 1);
	CHECK_EQ(r[7].kind, 'F');
	CHECK_EQ(r[7].uart, 1);
	/* each write while THRE reads 0 records F again */
	CHECK_EQ(r[8].kind, 'F');
	CHECK(r[9].kind == 'F' || r[9].ns == 0);
	uart_free(u2);
	uart_free(u);
	return t_finish();
}
