/*
 * char.h - character backends (the host side of a serial line).
 *
 * A chardev joins two halves, TinyEMU style:
 *   - the frontend (a device model: the UART, later virtio-console) fills
 *     struct chr_frontend with its callbacks and opaque pointer;
 *   - the backend (stdio here; pipes, sockets and ptys later) fills
 *     struct chr_backend_ops (a const table) and its private state.
 *
 * Flow control both ways, nobody blocks:
 *   host -> guest: the backend asks fe.can_receive() how much the device
 *     takes now and hands at most that to fe.receive(). What does not fit
 *     stays in the backend, which stops reading its fd until the frontend
 *     calls chr_accept_input() (its FIFO drained).
 *   guest -> host: the frontend calls chr_write(), which accepts 0..len
 *     bytes. When it accepted less, the backend calls fe.write_ready()
 *     once it can take more.
 *
 * Threading: every function and callback here runs on the loop thread that
 * owns the chardev (the reactor). A frontend on another thread (the UART
 * registers live on the vCPU thread) posts to the loop first.
 *
 * Errors are negative errno.
 */
#ifndef RINGVM_CHAR_H
#define RINGVM_CHAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct chr_dev;

/* What happened on the line, for a frontend that cares (the monitor). */
enum chr_fe_event {
	CHR_FE_OPENED,    /* a new peer: a socket client connected or a
			   * connect succeeded, a FIFO's reader came back */
	CHR_FE_FOCUS_IN,  /* mux port: it now has the input focus (Ctrl-A c) */
	CHR_FE_FOCUS_OUT, /* mux port: it lost the focus */
};

/* Filled by the frontend (device); all callbacks on the loop thread. */
struct chr_frontend {
	/* Bytes the device can take right now (0 = stop). */
	size_t (*can_receive)(void *opaque);
	/* Deliver len <= can_receive() bytes. */
	void (*receive)(void *opaque, const uint8_t *buf, size_t len);
	/* chr_write() accepted less than asked earlier; it has room again. */
	void (*write_ready)(void *opaque);
	void *opaque;
	/* Optional (NULL: ignored). May call chr_write. Last, so positional
	 * initializers of the fields above stay valid. */
	void (*event)(void *opaque, enum chr_fe_event ev);
};

/* Filled by each backend; a const table. */
struct chr_backend_ops {
	const char *name;
	/* Accept up to len bytes for the host; returns how many (0..len). */
	size_t (*write)(struct chr_dev *chr, const uint8_t *buf, size_t len);
	/* The frontend has room again: deliver what is held, resume reading. */
	void (*accept_input)(struct chr_dev *chr);
	/* Write all of buf, blocking if it must (shutdown paths only). */
	void (*write_sync)(struct chr_dev *chr, const uint8_t *buf, size_t len);
	/* Stop all I/O, restore host state (terminal modes), free chr. */
	void (*close)(struct chr_dev *chr);
};

/* Events a backend reports to its owner (the program), e.g. escapes. */
enum chr_event {
	CHR_EVENT_QUIT,   /* the user asked to quit (Ctrl-A x on stdio) */
	CHR_EVENT_EOF,    /* the input side closed */
};

/* The common head of every backend's state; backends embed it first. */
struct chr_dev {
	const struct chr_backend_ops *ops; /* backend */
	struct loop *loop;                 /* backend: the owning loop */
	struct chr_frontend fe;            /* frontend, via chr_attach() */
	bool attached;
	/* Owner (program) callback for chr_event; may be NULL. */
	void (*event)(void *opaque, enum chr_event ev);
	void *event_opaque;
};

/* Attach a device; fe is copied. Starts input delivery. Loop thread. */
void chr_attach(struct chr_dev *chr, const struct chr_frontend *fe);

/* Returns the number of bytes accepted (0..len); 0 if nothing attached. */
size_t chr_write(struct chr_dev *chr, const uint8_t *buf, size_t len);

/* The frontend can take input again. */
void chr_accept_input(struct chr_dev *chr);

/* Write all of buf, blocking if needed; for shutdown (drain a device). */
void chr_write_sync(struct chr_dev *chr, const uint8_t *buf, size_t len);

/* Close and free; NULL is allowed. */
void chr_close(struct chr_dev *chr);

/* Backends: tell the attached frontend (if it listens) about ev. */
void chr_fe_event(struct chr_dev *chr, enum chr_fe_event ev);

/* Whether input typed on the line reaches chr's frontend now: false only
 * for a mux port that does not have the focus. (mux.c) */
bool chr_has_focus(struct chr_dev *chr);

/* ---- the "null" backend: swallows output, never has input ------------- */

/* Returns 0 and *out, or -ENOMEM. Loop thread. */
int chr_null_open(struct chr_dev **out, struct loop *loop);

/* ---- the stdio backend -------------------------------------------------- */

struct chr_stdio_opts {
	int in_fd;   /* usually 0; -1 = no input */
	int out_fd;  /* usually 1 */
	/*
	 * Put a terminal input into raw mode (restored at close and by
	 * chr_stdio_restore_tty) and honour the Ctrl-A escapes: x quits,
	 * h prints help, Ctrl-A sends Ctrl-A. When in_fd is not a terminal,
	 * bytes always pass through unchanged.
	 */
	bool escapes;
};

/*
 * Open the stdio backend on loop (loop thread). Returns 0 and *out, or
 * -errno. Input is watched with loop_watch; output is written without
 * blocking (a private non-blocking open of the same pipe/terminal when
 * possible) and the rest is written when the fd becomes writable.
 */
int chr_stdio_open(struct chr_dev **out, struct loop *loop,
		   const struct chr_stdio_opts *opts);

/*
 * Restore the terminal modes saved by chr_stdio_open, if any. Async-signal
 * safe (tcsetattr only); any thread. Used by crash and exit paths.
 */
void chr_stdio_restore_tty(void);

#endif
