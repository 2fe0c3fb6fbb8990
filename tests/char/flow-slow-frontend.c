/*
 * flow-slow-frontend: a frontend that takes one byte per loop turn still
 * gets every byte a fast host peer sends (256 KiB over a unix socket): the
 * backend holds what does not fit and stops reading until accept_input.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "char-test.h"

#define SIZE (256u << 10)

struct peer {
	int fd;
	uint64_t sent;
	struct tfe *t;
};

/* The host side writes as fast as the socket lets it. */
static bool pump(void *arg)
{
	struct peer *p = arg;
	uint8_t buf[16384];

	while (p->sent < SIZE) {
		size_t len = SIZE - p->sent < sizeof(buf) ? SIZE - p->sent : sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = tfe_byte(5, p->sent + i);
		ssize_t n = send(p->fd, buf, len, MSG_DONTWAIT);

		if (n <= 0)
			break;
		p->sent += (uint64_t)n;
	}
	return p->t->rx_count == SIZE;
}

int main(int argc, char **argv)
{
	struct tenv e;
	char path[512], spec[700];
	struct tfe t = { .rx_seed = 5, .rx_max = 1, .rx_slow = true };
	struct peer p = { .t = &t };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct chr_stats st;

	t_timeout(120);
	tenv_open(&e, argc, argv);
	snprintf(path, sizeof(path), "%s/f.sock", t_tmpdir());
	snprintf(spec, sizeof(spec), "socket,id=s,path=%s,server=on,wait=off", path);
	struct chr_dev *chr = t_open(&e, spec);

	tfe_attach(&t, chr, e.loop);
	strcpy(un.sun_path, path);
	p.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE(connect(p.fd, (struct sockaddr *)&un, sizeof(un)) == 0);
	CHECK(t_run_until(e.loop, pump, &p, 100));
	CHECK_EQ(t.rx_count, SIZE);
	CHECK_EQ(t.rx_bad, 0);
	REQUIRE(chr_get_stats(chr, &st) == 0);
	CHECK_EQ(st.bytes_in, SIZE);
	close(p.fd);
	chr_close(chr);
	tenv_close(&e);
	return t_finish();
}
