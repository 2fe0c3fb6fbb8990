/*
 * monitor.h - a minimal human monitor (QEMU HMP syntax) on a chardev.
 *
 * The monitor is one more frontend of a chardev (a plain one from
 * -monitor DEV, or the second port of a -serial mon:... mux). It reads
 * lines, runs commands and writes the answers back. What the commands act
 * on (NICs, drives, chardevs, quitting) belongs to the program: it fills
 * struct mon_env with callbacks, so this module knows nothing of devices.
 *
 * Commands: help/?, info status|version|network|block|chardev,
 * set_link NAME on|off, quit/q. Unknown commands and bad arguments get one
 * line and the prompt again; input is bounded (MON_LINE_MAX) and control
 * or non-ASCII bytes are ignored, so no input line can crash it.
 *
 * Threading: everything runs on the loop thread that owns the chardev
 * (mon_new/mon_attach may run on main before that loop runs elsewhere).
 * Ownership: the program owns the mon and frees it after the chardev it is
 * attached to was closed.
 */
#ifndef RINGVM_MONITOR_H
#define RINGVM_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chr_dev;
struct mon;

#define MON_LINE_MAX 256 /* longest command line, NUL included */

struct mon_env {
	void *opaque;
	/* Print one line per NIC / drive / chardev with mon_printf. */
	void (*info_network)(void *opaque, struct mon *m);
	void (*info_block)(void *opaque, struct mon *m);
	void (*info_chardev)(void *opaque, struct mon *m);
	/* Take the link of NIC/netdev `name` up or down: 0 or -ENOENT. */
	int (*set_link)(void *opaque, const char *name, bool up);
	/* Quit ringvm (exit status 0). */
	void (*quit)(void *opaque);
};

/* env is copied. 0 or -ENOMEM. */
int mon_new(struct mon **out, const struct mon_env *env);

/* Become chr's frontend. The banner and the prompt go out now if someone
 * is there to read them, else to each peer that connects (sockets) or at
 * the first focus (a mux port: -serial mon:..., -nographic). */
void mon_attach(struct mon *m, struct chr_dev *chr);

/* Ignore further input (the devices behind env are going away). */
void mon_disable(struct mon *m);

/* Feed input bytes as if they came from the chardev (tests, and the
 * chardev receive callback). */
void mon_input(struct mon *m, const uint8_t *buf, size_t len);

/* Append formatted text to the output ('\n' goes out as "\r\n"). Output
 * that does not fit the buffer while the chardev is slow is dropped. */
void mon_printf(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Without a chardev the output accumulates here (tests): the bytes not
 * sent yet and their count. */
const char *mon_pending(const struct mon *m, size_t *len);
void mon_pending_clear(struct mon *m);

/* NULL is allowed. */
void mon_free(struct mon *m);

#endif
