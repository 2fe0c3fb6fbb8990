/*
 * peer-disconnect: a socket client that disconnects in the middle of a
 * 4 MiB stream neither crashes the chardev nor stops the loop: the rest of
 * the output is dropped and counted (bytes_out + bytes_dropped = all of
 * it), and the server accepts the next client, with which data flows both
 * ways again.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "char-test.h"

#define SIZE (4u << 20)

struct cl {
	int fd;
	uint64_t got, bad, stop_at;
};

static bool read_some(void *arg)
{
	struct cl *c = arg;
	uint8_t buf[8192];
	ssize_t n;

	while (c->got < c->stop_at && (n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			c->bad += buf[i] != tfe_byte(4, c->got + (uint64_t)i);
		c->got += (uint64_t)n;
	}
	return c->got >= c->stop_at;
}

static bool all_accounted(void *arg)
{
	struct tfe *t = arg;
	struct chr_stats st;

	return chr_get_stats(t->chr, &st) == 0 && !st.connected && t->tx_sent == SIZE &&
	       st.bytes_out + st.bytes_dropped == SIZE;
}

static bool got_again(void *arg)
{
	return ((struct tfe *)arg)->stored >= 5;
}

static int dial(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(un.sun_path, path);
	REQUIRE(fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0);
	return fd;
}

int main(int argc, char **argv)
{
	struct tenv e;
	char path[512], spec[700], buf[16];
	struct tfe t = { .tx_seed = 4, .tx_total = SIZE, .rx_store = true };
	struct cl c1 = { .stop_at = 100000 };
	struct chr_stats st;

	t_timeout(60);
	tenv_open(&e, argc, argv);
	snprintf(path, sizeof(path), "%s/d.sock", t_tmpdir());
	snprintf(spec, sizeof(spec), "socket,id=s,path=%s,server=on,wait=off", path);
	struct chr_dev *chr = t_open(&e, spec);

	c1.fd = dial(path);
	CHECK_EQ(chr_wait_connected(chr, 5000000000ll), 0);
	tfe_attach(&t, chr, e.loop);
	tfe_pump(&t);
	CHECK(t_run_until(e.loop, read_some, &c1, 20));
	CHECK_EQ(c1.bad, 0);
	close(c1.fd); /* mid-stream, with unread data: the server sees a reset */

	CHECK(t_run_until(e.loop, all_accounted, &t, 20));
	REQUIRE(chr_get_stats(chr, &st) == 0);
	CHECK(st.bytes_dropped > 0);
	CHECK(st.bytes_out >= c1.got);
	CHECK(!loop_stopping(e.loop));

	/* The next client is served. */
	int c2 = dial(path);

	CHECK_EQ(chr_wait_connected(chr, 5000000000ll), 0);
	CHECK_EQ(send(c2, "again", 5, 0), 5);
	CHECK(t_run_until(e.loop, got_again, &t, 10));
	CHECK(t.stored == 5 && !memcmp(t.store, "again", 5));
	CHECK_EQ(chr_write(chr, (const uint8_t *)"bye", 3), 3);
	for (int i = 0; i < 100 && loop_run_once(e.loop, 10000000) >= 0; i++) {
		chr_get_stats(chr, &st);
		if (st.bytes_out + st.bytes_dropped == SIZE + 3)
			break;
	}
	CHECK_EQ(recv(c2, buf, sizeof(buf), MSG_DONTWAIT), 3);
	CHECK(!memcmp(buf, "bye", 3));
	REQUIRE(chr_get_stats(chr, &st) == 0);
	CHECK_EQ(st.connects, 2);
	close(c2);
	chr_close(chr);
	tenv_close(&e);
	return t_finish();
}
