/*
 * stdio.c - the stdio chardev backend (-serial stdio, -nographic).
 *
 * Input: a loop_watch on stdin; bytes are read only while the frontend has
 * room, so a slow guest pushes back on the host instead of losing input.
 * On a terminal, raw mode is set and QEMU's Ctrl-A escapes are honoured.
 * Output: written with a non-blocking fd (a private open of the same pipe
 * or terminal through /proc/self/fd, so the shell's file description keeps
 * its flags); when the host cannot take more, a POLLOUT watch waits.
 *
 * Threading: loop thread only, except chr_stdio_restore_tty (any thread,
 * async-signal safe). Ownership: the chr_dev owns the fds it opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "char/char.h"
#include "loop/loop.h"

#define STDIO_INBUF 256

struct chr_stdio {
	struct chr_dev chr; /* first: the chr_dev pointer is this struct */
	int in_fd, out_fd;
	bool in_owned, out_owned, out_nonblock;
	bool escapes, saw_ctrl_a, in_eof, in_regular;
	struct loop_watch in_watch, out_watch;
	bool in_watching, out_watching, want_write_ready;
	uint8_t held[STDIO_INBUF]; /* read but not yet taken by the frontend */
	size_t held_off, held_len;
};

/* Saved terminal state for the restore paths (one stdio per process). */
static struct termios saved_tio;
static volatile int saved_tio_fd = -1;

void chr_stdio_restore_tty(void)
{
	int fd = saved_tio_fd;

	if (fd >= 0)
		tcsetattr(fd, TCSANOW, &saved_tio);
}

static void set_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &saved_tio) < 0)
		return;
	t = saved_tio;
	/* Raw input (Ctrl-C goes to the guest); output processing (ONLCR) is
	 * kept so a bare-metal guest printing "\n" still starts new lines. */
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	saved_tio_fd = fd;
	tcsetattr(fd, TCSANOW, &t);
}

/* Reopen a pipe/terminal non-blocking without touching the shared file
 * description; regular files are used as they are (they never block, and
 * a reopen would lose O_APPEND and the offset). Returns fd or -1. */
static int reopen_nonblock(int fd, int mode)
{
	struct stat st;
	char path[64];

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, mode | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

static void stdio_pump_input(struct chr_stdio *s);

static void stdio_out_ready(struct loop_watch *w, int events)
{
	struct chr_stdio *s = w->arg;

	loop_unwatch(s->chr.loop, &s->out_watch);
	s->out_watching = false;
	if (s->want_write_ready && s->chr.attached && s->chr.fe.write_ready) {
		s->want_write_ready = false;
		s->chr.fe.write_ready(s->chr.fe.opaque);
	}
}

static size_t stdio_write(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	struct chr_stdio *s = (struct chr_stdio *)chr;
	ssize_t n;

	if (s->out_fd < 0)
		return len;
	if (s->out_watching) {
		s->want_write_ready = true;
		return 0;
	}
	do
		n = write(s->out_fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n == len)
		return len;
	if (n < 0 && errno != EAGAIN)
		return len; /* host output is gone (EPIPE...): drop, never stall */
	if (n < 0)
		n = 0;
	s->want_write_ready = true;
	if (loop_watch(chr->loop, &s->out_watch, s->out_fd, POLLOUT,
		       stdio_out_ready, s) == 0)
		s->out_watching = true;
	return (size_t)n;
}

/*
 * Blocking write of everything; for help text and shutdown. Gives up when
 * the reader takes nothing for 2 s, so a stuck pipe cannot hang the exit.
 */
static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 2000) <= 0)
				return;
			continue;
		}
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void stdio_help(struct chr_stdio *s)
{
	static const char help[] =
		"\nC-a h    print this help\n"
		"C-a x    quit ringvm\n"
		"C-a C-a  send C-a to the guest\n";

	if (s->out_fd >= 0)
		write_all(s->out_fd, help, sizeof(help) - 1);
}

static void emit(struct chr_dev *chr, enum chr_event ev)
{
	if (chr->event)
		chr->event(chr->event_opaque, ev);
}

/* Escape processing of raw bytes into the held buffer (in place). */
static void stdio_filter(struct chr_stdio *s, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = s->held[i];

		if (!s->saw_ctrl_a) {
			if (c == 0x01)
				s->saw_ctrl_a = true;
			else
				s->held[out++] = c;
			continue;
		}
		s->saw_ctrl_a = false;
		if (c == 0x01)
			s->held[out++] = c;
		else if (c == 'x' || c == 'X')
			emit(&s->chr, CHR_EVENT_QUIT);
		else if (c == 'h' || c == 'H' || c == '?')
			stdio_help(s);
		/* other escapes are ignored, like an unknown key */
	}
	s->held_off = 0;
	s->held_len = out;
}

static void stdio_deliver(struct chr_stdio *s)
{
	struct chr_frontend *fe = &s->chr.fe;

	while (s->held_len && s->chr.attached) {
		size_t room = fe->can_receive(fe->opaque);

		if (!room)
			return;
		if (room > s->held_len)
			room = s->held_len;
		fe->receive(fe->opaque, s->held + s->held_off, room);
		s->held_off += room;
		s->held_len -= room;
	}
}

/* One read into the held buffer; false on EOF, error or nothing there. */
static bool stdio_read(struct chr_stdio *s)
{
	ssize_t n = read(s->in_fd, s->held, sizeof(s->held));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0) {
		if (s->in_watching)
			loop_unwatch(s->chr.loop, &s->in_watch);
		s->in_watching = false;
		s->in_eof = true;
		emit(&s->chr, CHR_EVENT_EOF);
		return false;
	}
	if (s->escapes) {
		stdio_filter(s, (size_t)n);
	} else {
		s->held_off = 0;
		s->held_len = (size_t)n;
	}
	return true;
}

static void stdio_in_ready(struct loop_watch *w, int events)
{
	struct chr_stdio *s = w->arg;

	if (!s->held_len && !stdio_read(s))
		return;
	stdio_pump_input(s);
}

/*
 * Deliver held bytes; watch the fd only while nothing is held. A regular
 * file cannot be watched (epoll refuses it) and never blocks: read it
 * directly while the frontend keeps taking bytes.
 */
static void stdio_pump_input(struct chr_stdio *s)
{
	for (;;) {
		if (s->in_fd < 0 || s->in_eof || !s->chr.attached)
			return;
		stdio_deliver(s);
		if (s->held_len) {
			if (s->in_watching)
				loop_unwatch(s->chr.loop, &s->in_watch);
			s->in_watching = false;
			return;
		}
		if (s->in_regular) {
			if (!stdio_read(s))
				return;
			continue;
		}
		if (!s->in_watching &&
		    loop_watch(s->chr.loop, &s->in_watch, s->in_fd, POLLIN,
			       stdio_in_ready, s) == 0)
			s->in_watching = true;
		return;
	}
}

static void stdio_accept_input(struct chr_dev *chr)
{
	stdio_pump_input((struct chr_stdio *)chr);
}

static void stdio_write_sync(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	struct chr_stdio *s = (struct chr_stdio *)chr;

	if (s->out_fd >= 0)
		write_all(s->out_fd, buf, len);
}

static void stdio_close(struct chr_dev *chr)
{
	struct chr_stdio *s = (struct chr_stdio *)chr;

	if (s->in_watching)
		loop_unwatch(chr->loop, &s->in_watch);
	if (s->out_watching)
		loop_unwatch(chr->loop, &s->out_watch);
	chr_stdio_restore_tty();
	saved_tio_fd = -1;
	if (s->in_owned)
		close(s->in_fd);
	if (s->out_owned)
		close(s->out_fd);
	free(s);
}

static const struct chr_backend_ops stdio_ops = {
	.name = "stdio",
	.write = stdio_write,
	.accept_input = stdio_accept_input,
	.write_sync = stdio_write_sync,
	.close = stdio_close,
};

int chr_stdio_open(struct chr_dev **out, struct loop *loop,
		   const struct chr_stdio_opts *opts)
{
	struct chr_stdio *s = calloc(1, sizeof(*s));
	int fd;

	if (!s)
		return -ENOMEM;
	s->chr.ops = &stdio_ops;
	s->chr.loop = loop;
	s->in_fd = opts->in_fd;
	s->out_fd = opts->out_fd;
	if (s->in_fd >= 0) {
		struct stat st;

		s->in_regular = fstat(s->in_fd, &st) == 0 && S_ISREG(st.st_mode);
		s->escapes = opts->escapes && isatty(s->in_fd);
		if (s->escapes)
			set_raw(s->in_fd);
		fd = reopen_nonblock(s->in_fd, O_RDONLY);
		if (fd >= 0) {
			s->in_fd = fd;
			s->in_owned = true;
		}
	}
	if (s->out_fd >= 0) {
		fd = reopen_nonblock(s->out_fd, O_WRONLY);
		if (fd >= 0) {
			s->out_fd = fd;
			s->out_owned = true;
		}
	}
	*out = &s->chr;
	return 0;
}
