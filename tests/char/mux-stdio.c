/*
 * mux-stdio: -serial mon:stdio on a terminal: the terminal goes to raw
 * mode, Ctrl-A c switches between the console and monitor ports (stdio's
 * own escape filter is off, so the mux sees the c), Ctrl-A x still raises
 * QUIT, and closing the registry restores the terminal modes.
 * fd 0 and 1 are replaced by a pty slave the test drives from the master.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "char-test.h"

static int quits;

static void on_event(void *opaque, enum chr_event ev)
{
	if (ev == CHR_EVENT_QUIT)
		quits++;
}

struct both {
	struct tfe *con, *mon;
};

static bool got(void *arg)
{
	struct both *b = arg;

	return b->con->stored >= 2 && b->mon->stored >= 2 && quits;
}

int main(int argc, char **argv)
{
	struct tenv e;
	struct chr_registry *reg;
	struct chr_spec s;
	struct chr_dev *con, *mon;
	struct tfe tcon = { .rx_store = true }, tmon = { .rx_store = true };
	struct termios t;
	char err[256];
	bool none;
	int m, sl;

	t_timeout(30);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		t_skip("no pseudo-terminals here");
	sl = open(ptsname(m), O_RDWR | O_NOCTTY);
	REQUIRE(sl >= 0);
	REQUIRE(tcgetattr(sl, &t) == 0);
	t.c_lflag |= ICANON | ECHO;
	tcsetattr(sl, TCSANOW, &t);
	dup2(sl, 0);
	dup2(sl, 1);

	tenv_open(&e, argc, argv);
	REQUIRE(chr_registry_new(&reg, e.loop, e.aio) == 0);
	REQUIRE(chr_parse_serial("mon:stdio", &s, &none, err, sizeof(err)) == 0);
	REQUIRE(chr_registry_add(reg, &s, NULL, 0, err, sizeof(err)) == 0);
	chr_registry_set_event(reg, on_event, NULL);
	REQUIRE(chr_registry_get(reg, "serial0", &con, err, sizeof(err)) == 0);
	REQUIRE(chr_registry_get(reg, "serial0", &mon, err, sizeof(err)) == 0);
	tfe_attach(&tcon, con, e.loop);
	tfe_attach(&tmon, mon, e.loop);

	REQUIRE(tcgetattr(0, &t) == 0);
	CHECK(!(t.c_lflag & ICANON) && !(t.c_lflag & ECHO));

	static const char keys[] = "ab\001cmo\001c\001x";

	CHECK_EQ(write(m, keys, sizeof(keys) - 1), sizeof(keys) - 1);
	struct both b = { &tcon, &tmon };

	CHECK(t_run_until(e.loop, got, &b, 10));
	CHECK(tcon.stored == 2 && !memcmp(tcon.store, "ab", 2));
	CHECK(tmon.stored == 2 && !memcmp(tmon.store, "mo", 2));
	CHECK_EQ(quits, 1);

	chr_registry_free(reg);
	REQUIRE(tcgetattr(sl, &t) == 0);
	CHECK((t.c_lflag & ICANON) && (t.c_lflag & ECHO));
	tenv_close(&e);
	return t_finish();
}
