/*
 * mux-switch: a mux=on chardev (from the registry) serves a console and a
 * monitor port over one unix socket. Input goes to the focused port;
 * Ctrl-A c moves the focus, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A h
 * writes the help, Ctrl-A x raises CHR_EVENT_QUIT; output of both ports
 * reaches the socket.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "char-test.h"

static int quits;

static void on_event(void *opaque, enum chr_event ev)
{
	if (ev == CHR_EVENT_QUIT)
		quits++;
}

struct want {
	struct tfe *con, *mon;
	size_t con_n, mon_n;
};

static bool have(void *arg)
{
	struct want *w = arg;

	return w->con->stored >= w->con_n && w->mon->stored >= w->mon_n;
}

struct sock_in {
	int fd;
	char buf[2048];
	size_t n;
	const char *needle;
};

static bool sock_has(void *arg)
{
	struct sock_in *s = arg;
	ssize_t r;

	while (s->n + 1 < sizeof(s->buf) &&
	       (r = recv(s->fd, s->buf + s->n, sizeof(s->buf) - 1 - s->n, MSG_DONTWAIT)) > 0)
		s->n += (size_t)r;
	s->buf[s->n] = 0;
	return strstr(s->buf, s->needle) != NULL;
}

int main(int argc, char **argv)
{
	struct tenv e;
	struct chr_registry *reg;
	struct chr_spec s;
	struct chr_dev *con, *mon;
	struct tfe tcon = { .rx_store = true }, tmon = { .rx_store = true };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char path[512], spec[700], err[256];
	int fd;

	t_timeout(30);
	tenv_open(&e, argc, argv);
	snprintf(path, sizeof(path), "%s/m.sock", t_tmpdir());
	snprintf(spec, sizeof(spec), "socket,id=con,path=%s,server=on,wait=off,mux=on", path);
	REQUIRE(chr_registry_new(&reg, e.loop, e.aio) == 0);
	REQUIRE(chr_parse_chardev(spec, &s, err, sizeof(err)) == 0);
	REQUIRE(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)) == 0);
	chr_registry_set_event(reg, on_event, NULL);
	REQUIRE(chr_registry_get(reg, "con", &con, err, sizeof(err)) == 0);
	REQUIRE(chr_registry_get(reg, "con", &mon, err, sizeof(err)) == 0);
	CHECK(con != mon);
	tfe_attach(&tcon, con, e.loop);
	tfe_attach(&tmon, mon, e.loop);

	strcpy(un.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE(connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0);

	/* abc to the console, Ctrl-A c, def to the monitor, Ctrl-A c back,
	 * gh + one literal Ctrl-A to the console. */
	static const char in[] = "abc\001cdef\001cgh\001\001";

	CHECK_EQ(send(fd, in, sizeof(in) - 1, 0), sizeof(in) - 1);
	struct want w = { &tcon, &tmon, 6, 3 };

	CHECK(t_run_until(e.loop, have, &w, 10));
	CHECK(tcon.stored == 6 && !memcmp(tcon.store, "abcgh\001", 6));
	CHECK(tmon.stored == 3 && !memcmp(tmon.store, "def", 3));

	/* Help goes out on the line; output of both ports too. */
	struct sock_in si = { .fd = fd, .needle = "quit" };

	CHECK_EQ(send(fd, "\001h", 2, 0), 2);
	CHECK(t_run_until(e.loop, sock_has, &si, 10));
	CHECK_EQ(chr_write(con, (const uint8_t *)"[console]", 9), 9);
	CHECK_EQ(chr_write(mon, (const uint8_t *)"[monitor]", 9), 9);
	si.needle = "[console][monitor]";
	CHECK(t_run_until(e.loop, sock_has, &si, 10));

	/* Ctrl-A x: the owner hears QUIT once; nothing reaches a port. */
	CHECK_EQ(quits, 0);
	CHECK_EQ(send(fd, "\001x", 2, 0), 2);
	for (int i = 0; i < 50 && !quits; i++)
		loop_run_once(e.loop, 10000000);
	CHECK_EQ(quits, 1);
	CHECK_EQ(tcon.stored, 6);
	CHECK_EQ(tmon.stored, 3);

	struct chr_stats st;

	REQUIRE(chr_get_stats(con, &st) == 0);
	CHECK_EQ(st.bytes_in, 6);
	CHECK_EQ(st.bytes_out, 9);
	CHECK(st.connected);
	close(fd);
	chr_registry_free(reg);
	tenv_close(&e);
	return t_finish();
}
