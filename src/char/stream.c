/*
 * stream.c - the fd stream core under the file, pipe, pty and socket
 * backends (see char-int.h for the model).
 *
 * Each direction is a small state machine around one aio_req:
 *   read:  idle -> (wait POLLIN ->) read -> deliver -> idle, and it stays
 *          idle while bytes are held for a frontend that has no room.
 *   write: idle -> (wait POLLOUT ->) write a contiguous piece of the ring ->
 *          advance -> idle or next piece.
 * On io_uring the read/write is an aio submission; on the other engines (a
 * libaio or pool read of a pipe would block or fail with ESPIPE) it is a
 * one-shot loop_watch and a non-blocking syscall on the loop thread. The
 * wait is a loop_watch rather than AIO_POLL because libaio's poll refuses
 * files with two wait queues (ttys, read-write FIFOs). -EAGAIN from any I/O
 * turns into a wait and a retry, so fds are always O_NONBLOCK and nothing
 * blocks the loop.
 *
 * Threading: loop thread only. Ownership: the stream owns its fds and
 * buffers; requests own nothing (they point into the stream).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "char/char-int.h"

void chr_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void chr_emit(struct chr_dev *chr, enum chr_event ev)
{
	if (chr->event)
		chr->event(chr->event_opaque, ev);
}

void chr_ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
	    !(sa.sa_flags & SA_SIGINFO)) {
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

static void rd_done(struct aio_req *r, ssize_t res);
static void wr_done(struct aio_req *r, ssize_t res);
static void wr_kick(struct chr_stream *s);

int chr_stream_init(struct chr_stream *s, const struct chr_backend_ops *ops,
		    struct loop *loop, struct aio_engine *aio,
		    const struct chr_stream_hooks *hooks)
{
	s->chr.ops = ops;
	s->chr.loop = loop;
	s->aio = aio;
	s->hooks = hooks;
	s->direct = aio_engine_kind(aio) == AIO_ENGINE_URING;
	s->rfd = s->wfd = s->wdup = -1;
	s->ocap = CHR_STREAM_OUTBUF;
	s->obuf = malloc(s->ocap);
	return s->obuf ? 0 : -ENOMEM;
}

int chr_stream_submit(struct chr_stream *s, struct aio_req *r)
{
	int ret = aio_submit(s->aio, r);

	if (ret == 0)
		s->inflight++;
	return ret;
}

void chr_stream_set_connected(struct chr_stream *s, bool on)
{
	bool opened = on && !s->st.connected;

	s->st.connected = on;
	if (opened) {
		s->st.connects++;
		chr_fe_event(&s->chr, CHR_FE_OPENED); /* after the write fd is set */
	}
}

/* ---- host -> guest ------------------------------------------------------ */

static void deliver(struct chr_stream *s)
{
	struct chr_frontend *fe = &s->chr.fe;

	if (s->delivering)
		return; /* receive() called chr_accept_input: the outer loop goes on */
	s->delivering = true;
	while (s->ilen && s->chr.attached) {
		size_t room = fe->can_receive(fe->opaque);

		if (!room)
			break;
		if (room > s->ilen)
			room = s->ilen;
		fe->receive(fe->opaque, s->ibuf + s->ioff, room);
		s->ioff += room;
		s->ilen -= room;
		s->st.bytes_in += room;
	}
	s->delivering = false;
}

static ssize_t sys_read(struct chr_stream *s)
{
	ssize_t n;

	do
		n = s->sock ? recv(s->rfd, s->ibuf, sizeof(s->ibuf), MSG_DONTWAIT)
			    : read(s->rfd, s->ibuf, sizeof(s->ibuf));
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static void rd_result(struct chr_stream *s, ssize_t res);

/* Readiness is a loop_watch, not an AIO_POLL: libaio's poll refuses files
 * with two wait queues (ttys, FIFOs opened read-write). One-shot. */
static void rd_ready(struct loop_watch *w, int events)
{
	struct chr_stream *s = w->arg;

	loop_unwatch(s->chr.loop, w);
	s->rwatching = false;
	rd_result(s, events < 0 ? events : sys_read(s));
}

static void rd_submit(struct chr_stream *s, bool poll)
{
	struct aio_req *r = &s->rreq;

	if (poll) {
		if (loop_watch(s->chr.loop, &s->rwatch, s->rfd, POLLIN, rd_ready, s) == 0)
			s->rwatching = true;
		else
			s->hooks->rd_end(s, -EIO);
		return;
	}
	if (s->sock)
		aio_prep_recv(r, s->rfd, s->ibuf, sizeof(s->ibuf), 0, rd_done, s);
	else
		aio_prep_read(r, s->rfd, s->ibuf, sizeof(s->ibuf), 0, rd_done, s);
	r->aflags = 0; /* a short read is the normal case on a stream */
	if (chr_stream_submit(s, r) == 0)
		s->rbusy = true;
	else
		s->hooks->rd_end(s, -EIO);
}

void chr_stream_kick(struct chr_stream *s)
{
	if (s->rbusy || s->rwatching || s->rfd < 0 || s->ilen || !s->chr.attached || s->shutting ||
	    s->closing)
		return;
	rd_submit(s, !s->direct || s->rd_poll);
}

static void check_down(struct chr_stream *s);

static void rd_done(struct aio_req *r, ssize_t res)
{
	struct chr_stream *s = r->opaque;

	chr_stream_req_done(s);
	s->rbusy = false;
	if (s->closing)
		return;
	if (s->shutting) {
		check_down(s);
		return;
	}
	rd_result(s, res);
}

static void rd_result(struct chr_stream *s, ssize_t res)
{
	if (res == -EAGAIN) {
		rd_submit(s, true);
		return;
	}
	if (res == -EINTR) { /* a signal reached the worker that blocked: retry */
		rd_submit(s, !s->direct || s->rd_poll);
		return;
	}
	if (res <= 0) {
		s->hooks->rd_end(s, (int)res);
		return;
	}
	s->rd_poll = false;
	if (s->hooks->rd_data)
		s->hooks->rd_data(s);
	s->ioff = 0;
	s->ilen = (size_t)res;
	deliver(s);
	chr_stream_kick(s);
}

void chr_stream_accept_input(struct chr_dev *chr)
{
	struct chr_stream *s = (struct chr_stream *)chr;

	deliver(s);
	chr_stream_kick(s);
}

/* ---- guest -> host ------------------------------------------------------ */

static ssize_t sys_write(struct chr_stream *s);
static void wr_result(struct chr_stream *s, ssize_t res);

static void wr_ready(struct loop_watch *w, int events)
{
	struct chr_stream *s = w->arg;

	loop_unwatch(s->chr.loop, w);
	s->wwatching = false;
	wr_result(s, events < 0 ? events : sys_write(s));
}

static void wr_submit(struct chr_stream *s, bool poll)
{
	struct aio_req *r = &s->wreq;
	size_t chunk = s->olen < s->ocap - s->ohead ? s->olen : s->ocap - s->ohead;
	const uint8_t *p = s->obuf + s->ohead;

	if (poll) {
		/* The epoll poller takes one watch per fd number: when reading
		 * and writing share an fd, the write watch uses a dup of it. */
		int fd = s->wfd;

		if (s->wfd == s->rfd) {
			if (s->wdup < 0)
				s->wdup = fcntl(s->wfd, F_DUPFD_CLOEXEC, 0);
			fd = s->wdup;
		}
		if (fd >= 0 &&
		    loop_watch(s->chr.loop, &s->wwatch, fd, POLLOUT, wr_ready, s) == 0)
			s->wwatching = true;
		else
			s->hooks->wr_end(s, -EIO);
		return;
	}
	if (s->sock)
		aio_prep_send(r, s->wfd, p, chunk, MSG_NOSIGNAL, wr_done, s);
	else
		aio_prep_write(r, s->wfd, p, chunk, s->seek ? s->woff : 0, wr_done, s);
	if (!s->seek)
		r->aflags = 0;
	if (chr_stream_submit(s, r) == 0)
		s->wbusy = true;
	else
		s->hooks->wr_end(s, -EIO);
}

static void wr_kick(struct chr_stream *s)
{
	if (s->wbusy || s->wwatching || s->wfd < 0 || !s->olen || s->shutting || s->closing)
		return;
	wr_submit(s, !(s->direct || s->seek));
}

static ssize_t sys_write(struct chr_stream *s)
{
	size_t chunk = s->olen < s->ocap - s->ohead ? s->olen : s->ocap - s->ohead;
	ssize_t n;

	do
		n = s->sock ? send(s->wfd, s->obuf + s->ohead, chunk,
				   MSG_DONTWAIT | MSG_NOSIGNAL)
			    : write(s->wfd, s->obuf + s->ohead, chunk);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Tell the frontend it may write again, once there is room. */
static void maybe_write_ready(struct chr_stream *s)
{
	if (s->want_wr && s->olen < s->ocap && s->chr.attached) {
		s->want_wr = false;
		if (s->chr.fe.write_ready)
			s->chr.fe.write_ready(s->chr.fe.opaque);
	}
}

static void wr_done(struct aio_req *r, ssize_t res)
{
	struct chr_stream *s = r->opaque;

	chr_stream_req_done(s);
	s->wbusy = false;
	if (s->closing)
		return;
	if (s->shutting) {
		check_down(s);
		return;
	}
	wr_result(s, res);
}

static void wr_result(struct chr_stream *s, ssize_t res)
{
	if (res == -EAGAIN) {
		wr_submit(s, true);
		return;
	}
	if (res == -EINTR) { /* as for reads */
		wr_submit(s, !(s->direct || s->seek));
		return;
	}
	if (res <= 0) {
		s->hooks->wr_end(s, res ? (int)res : -EIO);
		return;
	}
	s->ohead = (s->ohead + (size_t)res) % s->ocap;
	s->olen -= (size_t)res;
	s->woff += (uint64_t)res;
	s->st.bytes_out += (uint64_t)res;
	if (!s->olen)
		s->ohead = 0;
	wr_kick(s);
	maybe_write_ready(s);
}

size_t chr_stream_write(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	struct chr_stream *s = (struct chr_stream *)chr;
	size_t n, tail, first;

	if (s->closing)
		return 0;
	if (s->wfd < 0 && s->drop_idle) {
		s->st.bytes_dropped += len;
		return len;
	}
	n = s->ocap - s->olen;
	if (n > len)
		n = len;
	tail = (s->ohead + s->olen) % s->ocap;
	first = n < s->ocap - tail ? n : s->ocap - tail;
	memcpy(s->obuf + tail, buf, first);
	memcpy(s->obuf, buf + first, n - first);
	s->olen += n;
	if (n < len)
		s->want_wr = true;
	wr_kick(s);
	return n;
}

/* Blocking write for shutdown paths; gives up after a second of no progress. */
static bool write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 1000) <= 0)
				return false;
			continue;
		}
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

void chr_stream_write_sync(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	struct chr_stream *s = (struct chr_stream *)chr;

	if (s->wfd < 0 || s->wbusy || s->shutting) {
		/* Cannot jump the queue of a write in flight: queue what fits. */
		size_t n = s->wfd < 0 && s->drop_idle ? 0 : chr_stream_write(chr, buf, len);

		s->st.bytes_dropped += len - n;
		return;
	}
	while (s->olen) {
		size_t chunk = s->olen < s->ocap - s->ohead ? s->olen : s->ocap - s->ohead;

		if (s->seek ? pwrite(s->wfd, s->obuf + s->ohead, chunk, (off_t)s->woff) !=
				      (ssize_t)chunk
			    : !write_all(s->wfd, s->obuf + s->ohead, chunk))
			break;
		s->woff += chunk;
		s->st.bytes_out += chunk;
		s->ohead = (s->ohead + chunk) % s->ocap;
		s->olen -= chunk;
	}
	if (s->olen) {
		s->st.bytes_dropped += s->olen + len;
		s->olen = s->ohead = 0;
		return;
	}
	s->ohead = 0;
	if (s->seek ? pwrite(s->wfd, buf, len, (off_t)s->woff) == (ssize_t)len
		    : write_all(s->wfd, buf, len)) {
		s->woff += len;
		s->st.bytes_out += len;
	} else {
		s->st.bytes_dropped += len;
	}
}

/* ---- fds, shutdown, close ----------------------------------------------- */

static void close_dup(struct chr_stream *s)
{
	if (s->wdup >= 0)
		close(s->wdup);
	s->wdup = -1;
}

void chr_stream_set_rfd(struct chr_stream *s, int fd)
{
	s->rfd = fd;
	chr_stream_kick(s);
}

void chr_stream_set_wfd(struct chr_stream *s, int fd)
{
	s->wfd = fd;
	wr_kick(s);
	maybe_write_ready(s);
}

void chr_stream_close_rfd(struct chr_stream *s)
{
	if (s->rwatching)
		loop_unwatch(s->chr.loop, &s->rwatch);
	s->rwatching = false;
	if (s->rfd >= 0 && s->rfd != s->wfd)
		close(s->rfd);
	s->rfd = -1;
	s->ilen = 0;
}

void chr_stream_close_wfd(struct chr_stream *s)
{
	if (s->wwatching)
		loop_unwatch(s->chr.loop, &s->wwatch);
	s->wwatching = false;
	if (s->wfd >= 0 && s->wfd != s->rfd)
		close(s->wfd);
	s->wfd = -1;
	close_dup(s);
}

static void stop_watches(struct chr_stream *s)
{
	if (s->rwatching)
		loop_unwatch(s->chr.loop, &s->rwatch);
	if (s->wwatching)
		loop_unwatch(s->chr.loop, &s->wwatch);
	s->rwatching = s->wwatching = false;
}

static void check_down(struct chr_stream *s)
{
	int fd = s->rfd;

	if (!s->shutting || s->rbusy || s->wbusy)
		return;
	if (s->wfd >= 0 && s->wfd != fd)
		close(s->wfd);
	if (fd >= 0)
		close(fd);
	s->rfd = s->wfd = -1;
	close_dup(s);
	s->ilen = 0;
	/* Output queued for the old peer is not replayed to the next one. */
	s->st.bytes_dropped += s->olen;
	s->olen = s->ohead = 0;
	s->shutting = false;
	chr_stream_set_connected(s, false);
	s->hooks->down(s);
	maybe_write_ready(s);
}

void chr_stream_shutdown(struct chr_stream *s)
{
	if (s->shutting)
		return;
	s->shutting = true;
	stop_watches(s);
	if (s->rbusy)
		aio_cancel(s->aio, &s->rreq);
	if (s->wbusy)
		aio_cancel(s->aio, &s->wreq);
	check_down(s);
}

/* Give queued output its chance before close: all of it for a file, up to
 * half a second for a peer that may be slow or gone. */
static void flush_before_close(struct chr_stream *s)
{
	uint64_t end = loop_now_ns() + 500000000ull;

	while (s->olen && s->wfd >= 0 && !s->shutting && (s->wbusy || s->wwatching)) {
		if (!s->seek && loop_now_ns() >= end)
			break;
		if (loop_run_once(s->chr.loop, 10 * 1000000) < 0)
			break;
	}
}

void chr_stream_close(struct chr_dev *chr)
{
	struct chr_stream *s = (struct chr_stream *)chr;

	flush_before_close(s);
	s->closing = true;
	if (s->hooks->stop)
		s->hooks->stop(s);
	stop_watches(s);
	if (s->rbusy)
		aio_cancel(s->aio, &s->rreq);
	if (s->wbusy)
		aio_cancel(s->aio, &s->wreq);
	/* Requests point into s: it lives until the last one completed. */
	while (s->inflight)
		loop_run_once(chr->loop, 10 * 1000000);
	if (s->wfd >= 0 && s->wfd != s->rfd)
		close(s->wfd);
	if (s->rfd >= 0)
		close(s->rfd);
	close_dup(s);
	if (s->hooks->fini)
		s->hooks->fini(s);
	free(s->obuf);
	free(s);
}
