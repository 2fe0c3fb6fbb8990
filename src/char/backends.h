/*
 * backends.h - the reactor chardev backends (file, pipe, pty, unix/tcp
 * sockets, mux), QEMU-style option parsing and a registry by id.
 *
 * How main uses it:
 *   1. chr_parse_chardev("socket,id=s0,port=4444,server=on,wait=off", &spec,
 *      err, sizeof(err)) for each -chardev, chr_parse_serial("tcp::4444,server",
 *      ...) for each -serial; a parse error is one sentence in err.
 *   2. chr_registry_add(reg, &spec, ...) opens the backend now (a listening
 *      socket binds, a pty is created and its path printed).
 *   3. chr_registry_get(reg, "s0", &chr, ...) hands a chr_dev to a frontend
 *      (uart_attach). A mux=on chardev hands out one port per call.
 *   4. chr_registry_wait(reg, ...) before starting the vCPUs: runs the loop
 *      until every server=on,wait=on socket has its first client (and every
 *      client socket without reconnect has connected or failed).
 *   5. chr_registry_free(reg) at exit closes everything.
 *
 * Threading: everything here runs on the loop thread that owns the
 * chardevs (or on main before that loop starts running elsewhere).
 * Errors are negative errno; user-facing errors also fill err with one
 * sentence (err may be NULL).
 */
#ifndef RINGVM_CHAR_BACKENDS_H
#define RINGVM_CHAR_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "char/char.h"

struct aio_engine;

enum chr_kind {
	CHR_KIND_NULL,
	CHR_KIND_STDIO,
	CHR_KIND_FILE,
	CHR_KIND_PIPE,
	CHR_KIND_PTY,
	CHR_KIND_SOCKET,
	CHR_KIND_REF, /* -serial chardev:ID: no backend of its own */
};

#define CHR_ID_MAX 64
#define CHR_PATH_MAX 4096

/* A parsed -chardev / -serial. Plain data: copy it, no free needed. */
struct chr_spec {
	enum chr_kind kind;
	char id[CHR_ID_MAX];     /* -chardev id=; "" for -serial (the registry names it) */
	bool mux;                /* mux=on (and mon:) */
	bool mon;                /* -serial mon:...: the monitor shares this line */
	char path[CHR_PATH_MAX]; /* file, pipe, unix socket */
	bool append;             /* file: append=on */
	bool server;             /* socket, pipe: server=on */
	bool client;             /* pipe: client=on */
	bool wait;               /* socket server: wait=on (the default) */
	bool is_unix;            /* socket: path= (unix) rather than host/port */
	char host[256];          /* socket: host=; "" = any (server) / localhost */
	char port[32];           /* socket: port= (service name or number) */
	bool nodelay;            /* tcp: TCP_NODELAY */
	unsigned reconnect_ms;   /* socket client: retry period; 0 = never */
	bool signal;             /* stdio: signal=on (Ctrl-C stays a signal) */
	char ref[CHR_ID_MAX];    /* CHR_KIND_REF: the chardev's id */
};

/*
 * Parse "BACKEND,id=ID,key=value,..." as -chardev takes it. ",," in a
 * value is a literal comma. Returns 0, or -EINVAL with one sentence in err
 * ("unknown chardev backend 'x'", "chardev 'c0' needs path=", ...).
 */
int chr_parse_chardev(const char *spec, struct chr_spec *out, char *err, size_t errlen);

/*
 * Parse a -serial shorthand: stdio, null, none, file:PATH, pipe:PATH, pty,
 * tcp:[HOST]:PORT[,server[=on]][,wait=off|,nowait][,nodelay][,reconnect=S],
 * unix:PATH[,server...], chardev:ID, mon:SPEC. Same return as above.
 * "none" gives CHR_KIND_NULL with *none_out set (no serial port wanted).
 */
int chr_parse_serial(const char *spec, struct chr_spec *out, bool *none_out,
		     char *err, size_t errlen);

/*
 * Open one backend from a spec (not CHR_KIND_REF, not mux: the registry
 * does those). aio may be NULL for null/stdio. Returns 0 and *out, or
 * -errno with a sentence in err. Sockets are not waited for here.
 */
int chr_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
	     const struct chr_spec *spec, char *err, size_t errlen);

/* ---- counters ---------------------------------------------------------- */

struct chr_stats {
	uint64_t bytes_in;      /* host -> guest, handed to the frontend */
	uint64_t bytes_out;     /* guest -> host, written to the host fd */
	uint64_t bytes_dropped; /* guest -> host, discarded (nobody connected) */
	uint64_t connects;      /* peers that connected (sockets, pipes) */
	bool connected;         /* a peer is there now (always true for file/pty) */
};

/* Fill *out for a chardev from this file's backends (incl. mux ports);
 * -ENOTSUP for null/stdio, which keep no counters. */
int chr_get_stats(struct chr_dev *chr, struct chr_stats *out);

/* ---- backend-specific queries ------------------------------------------ */

/* The pty slave's path ("/dev/pts/N"), or NULL if chr is no pty. */
const char *chr_pty_path(struct chr_dev *chr);

/* A tcp server's bound port (useful with port=0), or -EINVAL. */
int chr_socket_port(struct chr_dev *chr);

/*
 * Run the loop until a socket chardev has a peer, the attempt failed
 * (client without reconnect), or timeout_ns passed (-1 = forever).
 * Returns 0 when connected, the connect error, or -ETIMEDOUT. Other
 * backends return 0 at once. For main before the VM starts, and tests.
 */
int chr_wait_connected(struct chr_dev *chr, int64_t timeout_ns);

/* ---- mux: several frontends on one backend ----------------------------- */

#define CHR_MUX_MAX 4

struct chr_mux;

/*
 * Make a mux over backend (the mux takes ownership and closes it). The mux
 * is the backend's frontend. Ctrl-A c moves input focus to the next port,
 * Ctrl-A x raises CHR_EVENT_QUIT on the mux's owner callback (set with
 * chr_mux_set_event), Ctrl-A h prints help, Ctrl-A Ctrl-A sends one Ctrl-A.
 * Returns 0 or -ENOMEM.
 */
int chr_mux_open(struct chr_mux **out, struct chr_dev *backend);

/* A new port (a chr_dev for one frontend). The first port has the focus.
 * Returns 0, or -ENOSPC after CHR_MUX_MAX ports. Ports belong to the mux:
 * chr_close(port) only detaches its frontend. */
int chr_mux_add_port(struct chr_mux *mux, struct chr_dev **out);

void chr_mux_set_event(struct chr_mux *mux, void (*event)(void *, enum chr_event),
		       void *opaque);

/* Which port has the input focus (0-based). */
unsigned chr_mux_focus(const struct chr_mux *mux);

/* Close the backend and free the mux and its ports. */
void chr_mux_close(struct chr_mux *mux);

/* ---- registry ---------------------------------------------------------- */

struct chr_registry;

/* aio is the engine the backends submit to; both must outlive the registry. */
int chr_registry_new(struct chr_registry **out, struct loop *loop, struct aio_engine *aio);

/*
 * Open spec's backend now and file it under spec->id (for a -serial spec
 * with no id, a name "serialN" is made and copied to id_out if given).
 * A CHR_KIND_REF spec only checks that the id exists. Returns 0 or -errno
 * with one sentence in err (duplicate id, open failure...).
 */
int chr_registry_add(struct chr_registry *reg, const struct chr_spec *spec,
		     char *id_out, size_t id_len, char *err, size_t errlen);

/*
 * Hand the chardev `id` to a frontend. A plain chardev can be taken once
 * ("chardev 'x' is already in use; add mux=on to share it"); a mux=on one
 * gives a new port each time. Returns 0 or -errno with err.
 */
int chr_registry_get(struct chr_registry *reg, const char *id, struct chr_dev **out,
		     char *err, size_t errlen);

/* Set the owner event callback (Ctrl-A x, EOF) on every chardev. */
void chr_registry_set_event(struct chr_registry *reg,
			    void (*event)(void *, enum chr_event), void *opaque);

/* Wait for sockets as described at the top. Prints one line per server it
 * waits for. Returns 0 or the first error, with err. */
int chr_registry_wait(struct chr_registry *reg, char *err, size_t errlen);

/* Chardev number i (0-based, in order added): its id and backend name
 * ("stdio", "socket", ...; "mux:" prefix not added: *mux says so).
 * 0, or -ENOENT past the end. For the monitor's info chardev. */
int chr_registry_entry(struct chr_registry *reg, size_t i, const char **id,
		       const char **backend, bool *mux);

/* Close every chardev and free the registry. NULL is allowed. */
void chr_registry_free(struct chr_registry *reg);

/* Restore a terminal put into raw mode for a mux on stdio (any thread,
 * async-signal safe). Also calls chr_stdio_restore_tty. */
void chr_backends_restore_tty(void);

#endif
