/*
 * pty.c - the pty chardev: `pty` (-serial pty).
 *
 * A pseudo-terminal pair from posix_openpt; the guest's side is the
 * master, and "char device redirected to /dev/pts/N (label ID)" on stderr
 * tells the user which slave to open (screen, minicom, cat). The slave is
 * put in raw mode so bytes pass unchanged both ways.
 *
 * Hang-ups: ringvm keeps one slave descriptor open itself, so the master
 * never sees a hang-up (EIO / POLLHUP storm) while no program has the slave
 * open, and needs no timer to notice one coming back. The price, chosen on
 * purpose: while nobody reads, output is HELD, not dropped — the kernel's
 * pty buffer and then our 64 KiB ring fill, and the frontend is told to
 * wait (write_ready comes when a reader drains it). Nothing is lost, but a
 * guest that prints a lot to an unwatched pty slows down; use file: or a
 * socket for a console nobody watches.
 *
 * Threading: loop thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "char/char-int.h"

struct chr_pty {
	struct chr_stream s; /* first */
	int slave_fd;        /* held open so the master never hangs up */
	char path[64];
};

static void pty_rd_end(struct chr_stream *s, int err)
{
	struct chr_pty *p = (struct chr_pty *)s;

	/* With our own slave fd open this cannot be a hang-up; report it. */
	fprintf(stderr, "ringvm: chardev pty %s: read failed (%s); input stops\n",
		p->path, err ? strerror(-err) : "end of file");
}

static void pty_wr_end(struct chr_stream *s, int err)
{
	struct chr_pty *p = (struct chr_pty *)s;

	fprintf(stderr, "ringvm: chardev pty %s: write failed (%s); output dropped\n",
		p->path, strerror(-err));
	chr_stream_close_wfd(s);
	s->drop_idle = true;
	chr_stream_set_wfd(s, -1);
}

static void pty_down(struct chr_stream *s)
{
}

static void pty_fini(struct chr_stream *s)
{
	struct chr_pty *p = (struct chr_pty *)s;

	if (p->slave_fd >= 0)
		close(p->slave_fd);
}

static const struct chr_stream_hooks pty_hooks = {
	.rd_end = pty_rd_end,
	.wr_end = pty_wr_end,
	.down = pty_down,
	.fini = pty_fini,
};

static const struct chr_backend_ops pty_ops = {
	.name = "pty",
	.write = chr_stream_write,
	.accept_input = chr_stream_accept_input,
	.write_sync = chr_stream_write_sync,
	.close = chr_stream_close,
};

const char *chr_pty_path(struct chr_dev *chr)
{
	if (!chr || chr->ops != &pty_ops)
		return NULL;
	return ((struct chr_pty *)chr)->path;
}

static int pty_make(struct chr_pty *p, int *master)
{
	struct termios t;
	const char *name;
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (m < 0)
		return -errno;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m))) {
		int e = -errno;

		close(m);
		return e;
	}
	snprintf(p->path, sizeof(p->path), "%s", name);
	p->slave_fd = open(p->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->slave_fd < 0) {
		int e = -errno;

		close(m);
		return e;
	}
	/* Raw: no echo, no line editing, no CR/NL mapping, no signals. */
	if (tcgetattr(p->slave_fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(p->slave_fd, TCSANOW, &t);
	}
	*master = m;
	return 0;
}

int chr_pty_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
		 const struct chr_spec *spec, char *err, size_t errlen)
{
	struct chr_pty *p = calloc(1, sizeof(*p));
	int ret, m = -1;

	if (!p)
		return -ENOMEM;
	p->slave_fd = -1;
	ret = chr_stream_init(&p->s, &pty_ops, loop, aio, &pty_hooks);
	if (ret == 0)
		ret = pty_make(p, &m);
	if (ret < 0) {
		chr_err(err, errlen, "cannot create a pseudo-terminal: %s", strerror(-ret));
		free(p->s.obuf);
		free(p);
		return ret;
	}
	p->s.rfd = m;
	chr_stream_set_connected(&p->s, true);
	chr_stream_set_wfd(&p->s, m);
	fprintf(stderr, "char device redirected to %s (label %s)\n", p->path,
		spec->id[0] ? spec->id : "serial");
	*out = &p->s.chr;
	return 0;
}
