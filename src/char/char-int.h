/*
 * char-int.h - private to src/char/: the fd stream core shared by the
 * file, pipe, pty and socket backends.
 *
 * A chr_stream is a chr_dev with one read fd and one write fd (often the
 * same), an input buffer that holds what the frontend cannot take yet, and
 * a bounded output ring that holds what the host cannot take yet. Each
 * direction has one aio_req: on an io_uring engine it is the read/write/
 * recv/send itself; on the other engines (whose reads of pipes would block
 * or fail) it is a one-shot loop_watch for readiness followed by one
 * non-blocking syscall on the loop thread. Regular files always use
 * AIO_WRITE.
 *
 * The backend (pipe.c, socket.c...) embeds the stream first and reacts to
 * its hooks: a read side that ended, a write that failed, a shutdown that
 * finished. It decides whether to reopen, reconnect or accept again.
 *
 * Threading: loop thread only. Ownership: the stream owns rfd/wfd while
 * they are set and closes them in shutdown/close.
 */
#ifndef RINGVM_CHAR_INT_H
#define RINGVM_CHAR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aio/aio.h"
#include "char/backends.h"
#include "char/char.h"
#include "loop/loop.h"

struct chr_stream;

struct chr_stream_hooks {
	/* The read side ended (0 = EOF, else -errno); nothing read in flight. */
	void (*rd_end)(struct chr_stream *s, int err);
	/* A write failed (-EPIPE...); nothing written in flight; the unwritten
	 * bytes are still queued. */
	void (*wr_end)(struct chr_stream *s, int err);
	/* Optional: bytes arrived (before they are delivered). */
	void (*rd_data)(struct chr_stream *s);
	/* chr_stream_shutdown finished: fds closed, nothing in flight. */
	void (*down)(struct chr_stream *s);
	/* Close: cancel the backend's own timers/requests (before the drain). */
	void (*stop)(struct chr_stream *s);
	/* Close: release the backend's own resources (after the drain). */
	void (*fini)(struct chr_stream *s);
};

#define CHR_STREAM_INBUF 4096
#define CHR_STREAM_OUTBUF (64 * 1024)

struct chr_stream {
	struct chr_dev chr; /* first: a chr_dev pointer is the stream */
	struct aio_engine *aio;
	const struct chr_stream_hooks *hooks;
	struct chr_stats st;
	bool direct;     /* io_uring engine: submit the I/O itself */
	bool sock;       /* recv/send rather than read/write */
	bool seek;       /* regular file: writes at woff */
	bool drop_idle;  /* no write fd: drop output (sockets) rather than hold it */
	bool rd_poll;    /* wait for POLLIN before the next read (FIFO, no writer yet) */
	int rfd, wfd;    /* -1 = none; may be equal */
	int wdup;        /* dup of wfd for its watch when wfd == rfd (epoll) */
	uint64_t woff;
	unsigned inflight; /* every request of this chardev, backend's included */
	bool closing, shutting, delivering, want_wr;

	struct aio_req rreq;
	struct loop_watch rwatch; /* readiness: one-shot, see stream.c */
	bool rbusy, rwatching;
	uint8_t ibuf[CHR_STREAM_INBUF];
	size_t ioff, ilen;

	struct aio_req wreq;
	struct loop_watch wwatch;
	bool wbusy, wwatching;
	uint8_t *obuf;
	size_t ocap, ohead, olen;
};

/* Set up the head of a backend's state (zeroed by the caller). */
int chr_stream_init(struct chr_stream *s, const struct chr_backend_ops *ops,
		    struct loop *loop, struct aio_engine *aio,
		    const struct chr_stream_hooks *hooks);

/* Hand fds to the stream (either may be -1 to leave that side as it is).
 * The stream owns them from now on; I/O starts at once. */
void chr_stream_set_rfd(struct chr_stream *s, int fd);
void chr_stream_set_wfd(struct chr_stream *s, int fd);

/* Close one side now (no request of that side may be in flight: call it
 * from rd_end/wr_end). Queued output stays queued. */
void chr_stream_close_rfd(struct chr_stream *s);
void chr_stream_close_wfd(struct chr_stream *s);

/* Peer gone: cancel both sides, close the fds, drop queued output (counted),
 * then call hooks->down. */
void chr_stream_shutdown(struct chr_stream *s);

/* Mark connected (counts a connect, and tells the frontend: call it once
 * the write fd is set, so that a greeting reaches the new peer) /
 * disconnected. */
void chr_stream_set_connected(struct chr_stream *s, bool on);

/* Submit a backend request and count it; the backend's done() must start
 * with chr_stream_req_done(). Returns aio_submit's result. */
int chr_stream_submit(struct chr_stream *s, struct aio_req *r);
static inline void chr_stream_req_done(struct chr_stream *s) { s->inflight--; }

/* Restart reading (after a reopen). */
void chr_stream_kick(struct chr_stream *s);

/* The chr_backend_ops functions every stream backend uses. */
size_t chr_stream_write(struct chr_dev *chr, const uint8_t *buf, size_t len);
void chr_stream_accept_input(struct chr_dev *chr);
void chr_stream_write_sync(struct chr_dev *chr, const uint8_t *buf, size_t len);
void chr_stream_close(struct chr_dev *chr);

static inline bool chr_is_stream(const struct chr_dev *chr)
{
	return chr && chr->ops->write == chr_stream_write;
}

/* Emit an owner event. */
void chr_emit(struct chr_dev *chr, enum chr_event ev);

/* Make a 2^31-proof copy of an error sentence. */
void chr_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ignore SIGPIPE once per process if nobody set a handler: a write to a
 * pipe or socket whose reader left must fail with EPIPE, not kill us. */
void chr_ignore_sigpipe(void);

/* Per-backend openers (dispatch in chr_open). */
int chr_file_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
		  const struct chr_spec *spec, char *err, size_t errlen);
int chr_pipe_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
		  const struct chr_spec *spec, char *err, size_t errlen);
int chr_pty_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
		 const struct chr_spec *spec, char *err, size_t errlen);
int chr_socket_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
		    const struct chr_spec *spec, char *err, size_t errlen);

/* Mux ports, for chr_get_stats. */
int chr_mux_port_stats(struct chr_dev *chr, struct chr_stats *out);

/* Socket backend internals for chr_wait_connected: 1 = connected, 0 =
 * still trying, <0 = failed for good; -EINVAL if chr is no socket. */
int chr_socket_state(struct chr_dev *chr);

/* "tcp:HOST:PORT" / "unix:PATH" for messages, or NULL if chr is no socket. */
const char *chr_socket_desc(struct chr_dev *chr);

/* Set raw mode on a terminal for the mux-over-stdio case (saved once). */
void chr_tty_set_raw(int fd);

#endif
