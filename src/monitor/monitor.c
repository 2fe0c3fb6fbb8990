/*
 * monitor.c - line editing, command parsing and output of the monitor.
 *
 * Input: printable ASCII goes into the line (echoed), backspace/DEL
 * removes the last character, a tab counts as a space, CR or LF runs the line (a CR LF pair runs
 * it once). Other bytes (control characters, telnet or binary junk, bytes
 * >= 0x80) are ignored. A line longer than MON_LINE_MAX - 1 characters is
 * thrown away with one error line when it ends.
 *
 * Greeting: the banner and a prompt go to each new peer of the chardev
 * (CHR_FE_OPENED: a socket client that connects late, or again), and on a
 * mux port the first time it gets the focus (Ctrl-A c), as with QEMU's
 * -nographic. Later focus changes print a fresh prompt and the line typed
 * so far.
 *
 * Output: an OUT_MAX buffer; chr_write takes what it can now and the rest
 * goes on write_ready. While the buffer is full, more output is dropped
 * (counted): a monitor user that never reads cannot make ringvm grow.
 *
 * Threading: loop thread only (see monitor.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "char/backends.h"
#include "char/char.h"
#include "monitor/monitor.h"

#define OUT_MAX 65536
#define MAX_ARGS 8

struct mon {
	struct mon_env env;
	struct chr_dev *chr;  /* NULL until mon_attach (tests) */
	bool disabled;        /* mon_disable, or after quit */
	char line[MON_LINE_MAX];
	size_t len;
	bool overflow;        /* the current line got too long */
	bool last_cr;         /* a CR ended the last line: skip its LF */
	bool greeted;         /* the banner went to the current peer */
	char out[OUT_MAX];
	size_t out_len;
	uint64_t out_dropped;
};

static void out_flush(struct mon *m)
{
	size_t n;

	if (!m->chr || !m->out_len)
		return;
	n = chr_write(m->chr, (const uint8_t *)m->out, m->out_len);
	memmove(m->out, m->out + n, m->out_len - n);
	m->out_len -= n;
}

static void out_put(struct mon *m, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t need = s[i] == '\n' ? 2 : 1;

		if (m->out_len + need > OUT_MAX) {
			m->out_dropped += len - i;
			break;
		}
		if (s[i] == '\n')
			m->out[m->out_len++] = '\r';
		m->out[m->out_len++] = s[i];
	}
	out_flush(m);
}

void mon_printf(struct mon *m, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_put(m, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void prompt(struct mon *m)
{
	out_put(m, "(ringvm) ", 9);
}

/* ---- commands ------------------------------------------------------------- */

static void cmd_help(struct mon *m)
{
	mon_printf(m, "help|?                  list the commands\n"
		      "info status             whether the guest runs\n"
		      "info version            the ringvm version\n"
		      "info network            NICs: netdev, backend, link, MAC\n"
		      "info block              drives: id, file, format, read-only\n"
		      "info chardev            character devices and their backends\n"
		      "set_link NAME on|off    take a NIC's link up or down\n"
		      "quit|q                  quit ringvm\n");
}

static void cmd_info(struct mon *m, int argc, char **argv)
{
	const struct mon_env *e = &m->env;
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "status"))
		mon_printf(m, "VM status: running\n");
	else if (!strcmp(what, "version"))
		mon_printf(m, "ringvm %s\n", RINGVM_VERSION);
	else if (!strcmp(what, "network") && e->info_network)
		e->info_network(e->opaque, m);
	else if (!strcmp(what, "block") && e->info_block)
		e->info_block(e->opaque, m);
	else if (!strcmp(what, "chardev") && e->info_chardev)
		e->info_chardev(e->opaque, m);
	else if (!*what)
		mon_printf(m, "info needs one of: status version network block chardev\n");
	else
		mon_printf(m, "unknown info item: '%s' (try: status version network block "
			      "chardev)\n", what);
}

static void cmd_set_link(struct mon *m, int argc, char **argv)
{
	bool up;
	int r;

	if (argc != 3 || (strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
		mon_printf(m, "usage: set_link NAME on|off\n");
		return;
	}
	up = !strcmp(argv[2], "on");
	r = m->env.set_link ? m->env.set_link(m->env.opaque, argv[1], up) : -ENOENT;
	if (r == -ENOENT)
		mon_printf(m, "no NIC or netdev named '%s' (see info network)\n", argv[1]);
	else if (r < 0)
		mon_printf(m, "set_link %s: %s\n", argv[1], strerror(-r));
}

/* Split line in place at blanks; returns the word count (<= MAX_ARGS). */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *save = NULL;

	for (char *w = strtok_r(line, " \t", &save); w && argc < MAX_ARGS;
	     w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	return argc;
}

static void run_line(struct mon *m, char *line)
{
	char *argv[MAX_ARGS];
	int argc = split(line, argv);

	if (!argc)
		return;
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "?")) {
		cmd_help(m);
	} else if (!strcmp(argv[0], "info")) {
		cmd_info(m, argc, argv);
	} else if (!strcmp(argv[0], "set_link")) {
		cmd_set_link(m, argc, argv);
	} else if (!strcmp(argv[0], "quit") || !strcmp(argv[0], "q")) {
		m->disabled = true; /* nothing more after quit */
		if (m->env.quit)
			m->env.quit(m->env.opaque);
	} else {
		mon_printf(m, "unknown command: '%s' (try help)\n", argv[0]);
	}
}

/* ---- input ---------------------------------------------------------------- */

static void end_line(struct mon *m)
{
	out_put(m, "\n", 1);
	if (m->overflow)
		mon_printf(m, "line too long (at most %d characters); ignored\n",
			   MON_LINE_MAX - 1);
	else {
		m->line[m->len] = '\0';
		run_line(m, m->line);
	}
	m->len = 0;
	m->overflow = false;
	if (!m->disabled)
		prompt(m);
}

void mon_input(struct mon *m, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && !m->disabled; i++) {
		uint8_t c = buf[i] == '\t' ? ' ' : buf[i]; /* a tab is a blank */
		bool was_cr = m->last_cr;

		m->last_cr = c == '\r';
		if (c == '\n' && was_cr)
			continue;
		if (c == '\r' || c == '\n') {
			end_line(m);
		} else if (c == 0x7f || c == 0x08) {
			if (m->len && !m->overflow) {
				m->len--;
				out_put(m, "\b \b", 3);
			}
		} else if (c >= 0x20 && c < 0x7f) {
			if (m->len + 1 >= MON_LINE_MAX)
				m->overflow = true;
			else if (!m->overflow) {
				m->line[m->len++] = (char)c;
				out_put(m, (const char *)&c, 1);
			}
		}
	}
}

/* ---- chardev frontend ----------------------------------------------------- */

static size_t fe_can_receive(void *opaque)
{
	(void)opaque;
	return 4096; /* every byte is consumed at once */
}

static void fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
	mon_input(opaque, buf, len);
}

static void fe_write_ready(void *opaque)
{
	out_flush(opaque);
}

int mon_new(struct mon **out, const struct mon_env *env)
{
	struct mon *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->env = *env;
	*out = m;
	return 0;
}

static void greet(struct mon *m)
{
	if (m->disabled)
		return;
	mon_printf(m, "ringvm %s monitor - type 'help' for more information\n",
		   RINGVM_VERSION);
	prompt(m);
	m->greeted = true;
}

/* Someone is at the other end now (not a listening socket alone). */
static bool peer_present(struct chr_dev *chr)
{
	struct chr_stats st;

	return chr_get_stats(chr, &st) < 0 || st.connected; /* no stats: stdio, null */
}

static void fe_event(void *opaque, enum chr_fe_event ev)
{
	struct mon *m = opaque;

	switch (ev) {
	case CHR_FE_OPENED:
		/* A new client: the half-typed line and the unsent output
		 * were the previous one's. */
		m->len = 0;
		m->overflow = m->last_cr = false;
		m->out_len = 0;
		m->greeted = false;
		if (chr_has_focus(m->chr))
			greet(m);
		break;
	case CHR_FE_FOCUS_IN:
		if (!m->greeted) {
			greet(m);
		} else if (!m->disabled) {
			out_put(m, "\n", 1);
			prompt(m);
			out_put(m, m->line, m->overflow ? 0 : m->len);
		}
		break;
	case CHR_FE_FOCUS_OUT:
		break;
	}
}

void mon_attach(struct mon *m, struct chr_dev *chr)
{
	m->chr = chr;
	/* A mux port without the focus greets on its first Ctrl-A c; a server
	 * socket nobody connected to yet greets each client (fe_event). */
	if (chr_has_focus(chr) && peer_present(chr))
		greet(m);
	chr_attach(chr, &(struct chr_frontend){ .can_receive = fe_can_receive,
						.receive = fe_receive,
						.write_ready = fe_write_ready,
						.event = fe_event,
						.opaque = m });
}

void mon_disable(struct mon *m)
{
	if (m)
		m->disabled = true;
}

const char *mon_pending(const struct mon *m, size_t *len)
{
	*len = m->out_len;
	return m->out;
}

void mon_pending_clear(struct mon *m)
{
	m->out_len = 0;
}

void mon_free(struct mon *m)
{
	free(m);
}
