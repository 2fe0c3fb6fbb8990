/*
 * pty-held: while no program reads the pty slave, output is held, not
 * dropped: chr_write stops accepting once the kernel buffer and the 64 KiB
 * ring are full, and when a reader opens the slave, everything arrives in
 * order (1 MiB) and write_ready resumes the frontend.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "char-test.h"

#define SIZE (1u << 20)

struct rd {
	int fd;
	uint64_t got, bad;
};

static bool read_all(void *arg)
{
	struct rd *r = arg;
	uint8_t buf[16384];
	ssize_t n;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			r->bad += buf[i] != tfe_byte(13, r->got + (uint64_t)i);
		r->got += (uint64_t)n;
	}
	return r->got >= SIZE;
}

int main(int argc, char **argv)
{
	struct tenv e;
	struct tfe t = { .tx_seed = 13, .tx_total = SIZE };
	struct rd r = { 0 };
	struct chr_stats st;

	t_timeout(60);
	t_tick_ns = 1000000;
	tenv_open(&e, argc, argv);
	struct chr_dev *chr = t_open(&e, "pty,id=p");

	tfe_attach(&t, chr, e.loop);
	tfe_pump(&t);
	for (uint64_t end = loop_now_ns() + 200000000; loop_now_ns() < end;)
		loop_run_once(e.loop, 10000000);
	CHECK(t.tx_sent < SIZE); /* held: the frontend was told to wait */
	REQUIRE(chr_get_stats(chr, &st) == 0);
	CHECK_EQ(st.bytes_dropped, 0);
	fprintf(stderr, "held after %" PRIu64 " bytes accepted\n", t.tx_sent);

	r.fd = open(chr_pty_path(chr), O_RDONLY | O_NOCTTY | O_NONBLOCK);
	REQUIRE(r.fd >= 0);
	CHECK(t_run_until(e.loop, read_all, &r, 30));
	CHECK_EQ(r.got, SIZE);
	CHECK_EQ(r.bad, 0);
	CHECK(t.write_ready_calls > 0);
	REQUIRE(chr_get_stats(chr, &st) == 0);
	CHECK_EQ(st.bytes_out, SIZE);
	CHECK_EQ(st.bytes_dropped, 0);
	close(r.fd);
	chr_close(chr);
	tenv_close(&e);
	return t_finish();
}
