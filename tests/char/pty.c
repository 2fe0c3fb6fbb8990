/*
 * pty: the pty backend prints "char device redirected to /dev/pts/N (label
 * ID)", and the slave it names is usable in raw mode: all 256 byte values
 * pass unchanged both ways (no echo, no CR/NL mapping, no ^C signal).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "char-test.h"

struct slave {
	int fd;
	uint8_t got[4096];
	size_t n;
	size_t want;
};

static bool slave_read(void *arg)
{
	struct slave *s = arg;
	ssize_t r;

	while (s->n < sizeof(s->got) &&
	       (r = read(s->fd, s->got + s->n, sizeof(s->got) - s->n)) > 0)
		s->n += (size_t)r;
	return s->n >= s->want;
}

static bool fe_got(void *arg)
{
	struct tfe *t = arg;

	return t->stored >= 512;
}

int main(int argc, char **argv)
{
	struct tenv e;
	struct tfe t = { .rx_store = true };
	struct slave sl = { .want = 512 };
	char errpath[512], msg[256] = "", want[128];
	uint8_t all[512];
	int saved, fd;
	FILE *f;

	t_timeout(30);
	tenv_open(&e, argc, argv);

	/* Catch what the open prints on stderr. */
	snprintf(errpath, sizeof(errpath), "%s/stderr", t_tmpdir());
	fflush(stderr);
	saved = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	struct chr_dev *chr = t_open(&e, "pty,id=term0");

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(errpath, "r");
	REQUIRE(f);
	CHECK(fgets(msg, sizeof(msg), f) != NULL);
	fclose(f);

	const char *path = chr_pty_path(chr);

	REQUIRE(path && !strncmp(path, "/dev/pts/", 9));
	snprintf(want, sizeof(want), "char device redirected to %s (label term0)\n", path);
	CHECK(!strcmp(msg, want));
	fprintf(stderr, "printed: %s", msg);

	for (int i = 0; i < 512; i++)
		all[i] = (uint8_t)i;
	tfe_attach(&t, chr, e.loop);

	/* guest -> slave */
	sl.fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
	REQUIRE(sl.fd >= 0);
	CHECK_EQ(chr_write(chr, all, sizeof(all)), sizeof(all));
	CHECK(t_run_until(e.loop, slave_read, &sl, 10));
	CHECK_EQ(sl.n, 512);
	CHECK(!memcmp(sl.got, all, 512));

	/* slave -> guest */
	CHECK_EQ(write(sl.fd, all, sizeof(all)), sizeof(all));
	CHECK(t_run_until(e.loop, fe_got, &t, 10));
	CHECK_EQ(t.stored, 512);
	CHECK(!memcmp(t.store, all, 512));
	close(sl.fd);
	chr_close(chr);
	tenv_close(&e);
	return t_finish();
}
