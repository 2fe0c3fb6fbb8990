/*
 * flow-slow-reader: a host reader that takes 4 KiB per loop turn loses
 * nothing of 4 MiB a fast frontend writes through a unix socket: chr_write
 * accepts less when the bounded ring is full and write_ready resumes it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "char-test.h"

#define SIZE (4u << 20)

struct reader {
	int fd;
	uint64_t got, bad;
};

static bool slow_read(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[4096];
	ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

	for (ssize_t i = 0; i < n; i++)
		r->bad += buf[i] != tfe_byte(8, r->got + (uint64_t)i);
	if (n > 0)
		r->got += (uint64_t)n;
	return r->got == SIZE;
}

static bool connected(void *arg)
{
	struct chr_stats st;

	return chr_get_stats(arg, &st) == 0 && st.connected;
}

int main(int argc, char **argv)
{
	struct tenv e;
	char path[512], spec[700];
	struct tfe t = { .tx_seed = 8, .tx_total = SIZE };
	struct reader r = { 0 };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct chr_stats st;
	int sz = 4096;

	t_timeout(120);
	t_tick_ns = 1000000; /* the reader reads once per turn: turn quickly */
	tenv_open(&e, argc, argv);
	snprintf(path, sizeof(path), "%s/r.sock", t_tmpdir());
	snprintf(spec, sizeof(spec), "socket,id=s,path=%s,server=on,wait=off", path);
	struct chr_dev *chr = t_open(&e, spec);

	strcpy(un.sun_path, path);
	r.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)); /* keep it slow */
	REQUIRE(connect(r.fd, (struct sockaddr *)&un, sizeof(un)) == 0);
	CHECK(t_run_until(e.loop, connected, chr, 10));
	tfe_attach(&t, chr, e.loop);
	tfe_pump(&t);
	CHECK(t.tx_sent < SIZE);
	CHECK(t_run_until(e.loop, slow_read, &r, 100));
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
