/*
 * registry.c - opening a chr_spec, the chardevs of a program by id, the
 * counters query and the wait for socket peers.
 *
 * Threading: loop thread only, except chr_backends_restore_tty (any
 * thread, async-signal safe). Ownership: the registry owns every chardev
 * it opened (and each mux) and closes them in chr_registry_free.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "char/char-int.h"

/* ---- raw terminal for a mux over stdio ------------------------------------ */

/* stdio.c puts the terminal in raw mode only together with its own escape
 * filter, which would swallow the mux's Ctrl-A c; so a mux on stdio opens
 * stdio without escapes and sets raw mode here. */
static struct termios raw_saved;
static volatile int raw_fd = -1;

void chr_tty_set_raw(int fd)
{
	struct termios t;

	if (raw_fd >= 0 || !isatty(fd) || tcgetattr(fd, &raw_saved) < 0)
		return;
	t = raw_saved;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	raw_fd = fd;
	tcsetattr(fd, TCSANOW, &t);
}

void chr_backends_restore_tty(void)
{
	int fd = raw_fd;

	if (fd >= 0)
		tcsetattr(fd, TCSANOW, &raw_saved);
	chr_stdio_restore_tty();
}

/* At close: restore and forget, so a later open saves afresh. */
static void tty_unraw(void)
{
	if (raw_fd >= 0)
		tcsetattr(raw_fd, TCSANOW, &raw_saved);
	raw_fd = -1;
}

/* ---- one chardev ------------------------------------------------------------ */

int chr_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
	     const struct chr_spec *spec, char *err, size_t errlen)
{
	struct chr_stdio_opts so = { .in_fd = 0, .out_fd = 1, .escapes = true };
	int ret;

	if (spec->kind != CHR_KIND_NULL && spec->kind != CHR_KIND_STDIO && !aio) {
		chr_err(err, errlen, "chardev '%s' needs an I/O engine", spec->id);
		return -EINVAL;
	}
	switch (spec->kind) {
	case CHR_KIND_NULL:
		ret = chr_null_open(out, loop);
		break;
	case CHR_KIND_STDIO:
		/* Under a mux the escapes are the mux's (it adds Ctrl-A c). */
		so.escapes = !spec->mux && !spec->signal;
		if (spec->mux && !spec->signal)
			chr_tty_set_raw(0);
		ret = chr_stdio_open(out, loop, &so);
		break;
	case CHR_KIND_FILE:
		return chr_file_open(out, loop, aio, spec, err, errlen);
	case CHR_KIND_PIPE:
		return chr_pipe_open(out, loop, aio, spec, err, errlen);
	case CHR_KIND_PTY:
		return chr_pty_open(out, loop, aio, spec, err, errlen);
	case CHR_KIND_SOCKET:
		return chr_socket_open(out, loop, aio, spec, err, errlen);
	default:
		chr_err(err, errlen, "chardev:%s names another chardev; it opens nothing itself",
			spec->ref);
		return -EINVAL;
	}
	if (ret < 0)
		chr_err(err, errlen, "cannot open chardev '%s': %s", spec->id, strerror(-ret));
	return ret;
}

int chr_get_stats(struct chr_dev *chr, struct chr_stats *out)
{
	if (chr_is_stream(chr)) {
		*out = ((struct chr_stream *)chr)->st;
		return 0;
	}
	if (chr_mux_port_stats(chr, out) == 0)
		return 0;
	return -ENOTSUP;
}

int chr_wait_connected(struct chr_dev *chr, int64_t timeout_ns)
{
	uint64_t end = timeout_ns < 0 ? UINT64_MAX : loop_now_ns() + (uint64_t)timeout_ns;
	int st;

	while ((st = chr_socket_state(chr)) == 0) {
		uint64_t now = loop_now_ns();

		if (now >= end)
			return -ETIMEDOUT;
		loop_run_once(chr->loop, end == UINT64_MAX ? -1 : (int64_t)(end - now));
	}
	return st < 0 && st != -EINVAL ? st : 0;
}

/* ---- the registry ------------------------------------------------------------ */

struct reg_entry {
	struct chr_spec spec;
	struct chr_dev *chr;  /* the backend */
	struct chr_mux *mux;  /* when spec.mux */
	bool taken;           /* a plain chardev went to a frontend */
};

struct chr_registry {
	struct loop *loop;
	struct aio_engine *aio;
	struct reg_entry *v;
	size_t n, cap;
	unsigned serial_seq;
	void (*event)(void *, enum chr_event);
	void *event_opaque;
};

int chr_registry_new(struct chr_registry **out, struct loop *loop, struct aio_engine *aio)
{
	struct chr_registry *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->aio = aio;
	*out = r;
	return 0;
}

static struct reg_entry *find(struct chr_registry *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].spec.id, id))
			return &r->v[i];
	return NULL;
}

static void set_event(struct chr_registry *r, struct reg_entry *e)
{
	if (e->mux)
		chr_mux_set_event(e->mux, r->event, r->event_opaque);
	else if (e->chr) {
		e->chr->event = r->event;
		e->chr->event_opaque = r->event_opaque;
	}
}

int chr_registry_add(struct chr_registry *r, const struct chr_spec *spec, char *id_out,
		     size_t id_len, char *err, size_t errlen)
{
	struct reg_entry e = { .spec = *spec };
	int ret;

	if (spec->kind == CHR_KIND_REF) {
		if (!find(r, spec->ref)) {
			chr_err(err, errlen, "no -chardev with id '%s'", spec->ref);
			return -ENOENT;
		}
		if (id_out)
			snprintf(id_out, id_len, "%s", spec->ref);
		return 0;
	}
	if (!e.spec.id[0])
		snprintf(e.spec.id, sizeof(e.spec.id), "serial%u", r->serial_seq++);
	if (find(r, e.spec.id)) {
		chr_err(err, errlen, "chardev id '%s' is used twice", e.spec.id);
		return -EEXIST;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct reg_entry *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	ret = chr_open(&e.chr, r->loop, r->aio, &e.spec, err, errlen);
	if (ret < 0)
		return ret;
	if (e.spec.mux && (ret = chr_mux_open(&e.mux, e.chr)) < 0) {
		chr_close(e.chr);
		return ret;
	}
	r->v[r->n++] = e;
	set_event(r, &r->v[r->n - 1]);
	if (id_out)
		snprintf(id_out, id_len, "%s", e.spec.id);
	return 0;
}

int chr_registry_get(struct chr_registry *r, const char *id, struct chr_dev **out,
		     char *err, size_t errlen)
{
	struct reg_entry *e = find(r, id);
	int ret;

	if (!e) {
		chr_err(err, errlen, "no chardev with id '%s'", id);
		return -ENOENT;
	}
	if (e->mux) {
		ret = chr_mux_add_port(e->mux, out);
		if (ret < 0)
			chr_err(err, errlen, "chardev '%s' already serves %d frontends", id,
				CHR_MUX_MAX);
		return ret;
	}
	if (e->taken) {
		chr_err(err, errlen, "chardev '%s' is already in use; add mux=on to share it", id);
		return -EBUSY;
	}
	e->taken = true;
	*out = e->chr;
	return 0;
}

void chr_registry_set_event(struct chr_registry *r, void (*event)(void *, enum chr_event),
			    void *opaque)
{
	r->event = event;
	r->event_opaque = opaque;
	for (size_t i = 0; i < r->n; i++)
		set_event(r, &r->v[i]);
}

int chr_registry_wait(struct chr_registry *r, char *err, size_t errlen)
{
	for (size_t i = 0; i < r->n; i++) {
		struct chr_spec *s = &r->v[i].spec;
		int ret;

		if (s->kind != CHR_KIND_SOCKET || (s->server && !s->wait) ||
		    (!s->server && s->reconnect_ms))
			continue;
		if (s->server)
			fprintf(stderr, "ringvm: waiting for a connection on %s (chardev %s)\n",
				chr_socket_desc(r->v[i].chr), s->id);
		ret = chr_wait_connected(r->v[i].chr, -1);
		if (ret < 0) {
			chr_err(err, errlen, "chardev '%s' cannot connect to %s: %s", s->id,
				chr_socket_desc(r->v[i].chr), strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int chr_registry_entry(struct chr_registry *r, size_t i, const char **id,
		       const char **backend, bool *mux)
{
	static const char *names[] = { "null", "stdio", "file", "pipe", "pty", "socket" };
	const struct chr_spec *s;

	if (!r || i >= r->n)
		return -ENOENT;
	s = &r->v[i].spec;
	*id = s->id;
	*backend = (unsigned)s->kind < sizeof(names) / sizeof(names[0]) ? names[s->kind] : "?";
	*mux = s->mux;
	return 0;
}

void chr_registry_free(struct chr_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].mux)
			chr_mux_close(r->v[i].mux);
		else
			chr_close(r->v[i].chr);
	}
	tty_unraw();
	free(r->v);
	free(r);
}
