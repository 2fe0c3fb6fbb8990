/*
 * socket.c - the unix and tcp socket chardevs:
 *   socket,id=ID,path=PATH[,server=on|off][,wait=on|off][,reconnect=S]
 *   socket,id=ID,host=H,port=P[,server=on|off][,wait=on|off][,nodelay=on]
 *         [,reconnect=S|reconnect-ms=MS]
 *
 * Server: listens (one peer at a time); accepts a client with AIO_ACCEPT,
 * and when that client leaves, accepts the next. wait=on (the default, as
 * in QEMU) is honoured by whoever opens it calling chr_wait_connected.
 * Client: connects with AIO_CONNECT; with reconnect it retries every period
 * after a failure or a disconnect (a timer, not a poll: nothing runs while
 * it waits).
 * While no peer is connected, output is dropped and counted in
 * bytes_dropped (the guest never stalls on an absent peer); output queued
 * for a peer that left is dropped with it. Input is simply absent.
 *
 * On engines other than io_uring the accept/connect are a readiness poll
 * plus a non-blocking accept4/connect on the loop thread, like the stream.
 *
 * Name resolution (getaddrinfo) happens once, at open, and may block for
 * DNS there; reconnects reuse the address.
 *
 * Threading: loop thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "char/char-int.h"

struct chr_sock {
	struct chr_stream s; /* first */
	bool server, is_unix, nodelay, bound_unix;
	unsigned reconnect_ms;
	int listen_fd;
	int cfd;             /* a client socket while its connect is in flight */
	int failed;          /* client without reconnect: the connect error */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct aio_req areq; /* accept or connect (io_uring) */
	struct loop_watch awatch; /* readiness before them (other engines) */
	bool abusy, awatching;
	struct loop_timer rtimer;
	char desc[CHR_PATH_MAX + 32];
};

static void start_accept(struct chr_sock *k);
static void start_connect(struct chr_sock *k);

static void sock_attach_fd(struct chr_sock *k, int fd)
{
	int one = 1;

	if (!k->is_unix && k->nodelay)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->s.rfd = fd;
	chr_stream_set_wfd(&k->s, fd);
	chr_stream_set_connected(&k->s, true);
	chr_stream_kick(&k->s);
}

static void retry_later(struct chr_sock *k, unsigned ms)
{
	loop_timer_arm(k->s.chr.loop, &k->rtimer, loop_now_ns() + (uint64_t)ms * 1000000);
}

static void areq_submit(struct chr_sock *k)
{
	if (chr_stream_submit(&k->s, &k->areq) == 0) {
		k->abusy = true;
		return;
	}
	retry_later(k, 100); /* malformed cannot happen; resources may return */
}

/* ---- server ------------------------------------------------------------- */

static void accept_result(struct chr_sock *k, ssize_t res);

static void accept_ready(struct loop_watch *w, int events)
{
	struct chr_sock *k = w->arg;
	int fd;

	loop_unwatch(k->s.chr.loop, w);
	k->awatching = false;
	fd = accept4(k->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	accept_result(k, fd < 0 ? -errno : fd);
}

static void accept_done(struct aio_req *r, ssize_t res)
{
	struct chr_sock *k = r->opaque;

	chr_stream_req_done(&k->s);
	k->abusy = false;
	if (!k->s.closing)
		accept_result(k, res);
}

static void watch_or_retry(struct chr_sock *k, int fd, uint32_t ev, loop_watch_fn *fn)
{
	if (loop_watch(k->s.chr.loop, &k->awatch, fd, ev, fn, k) == 0)
		k->awatching = true;
	else
		retry_later(k, 100);
}

static void accept_result(struct chr_sock *k, ssize_t res)
{
	if (res == -EAGAIN || res == -EINTR || res == -ECONNABORTED) {
		watch_or_retry(k, k->listen_fd, POLLIN, accept_ready);
		return;
	}
	if (res < 0) {
		/* EMFILE and friends: try again shortly rather than spin. */
		fprintf(stderr, "ringvm: chardev %s: accept failed (%s)\n", k->desc,
			strerror((int)-res));
		retry_later(k, 100);
		return;
	}
	sock_attach_fd(k, (int)res);
}

static void start_accept(struct chr_sock *k)
{
	if (k->abusy || k->awatching || k->s.closing)
		return;
	if (!k->s.direct) {
		watch_or_retry(k, k->listen_fd, POLLIN, accept_ready);
		return;
	}
	aio_prep_accept(&k->areq, k->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC,
			accept_done, k);
	areq_submit(k);
}

/* ---- client ------------------------------------------------------------- */

static void connect_failed(struct chr_sock *k, int err)
{
	if (k->cfd >= 0)
		close(k->cfd);
	k->cfd = -1;
	if (k->reconnect_ms)
		retry_later(k, k->reconnect_ms);
	else
		k->failed = err;
}

static void connect_result(struct chr_sock *k, ssize_t res);

static void connect_ready(struct loop_watch *w, int events)
{
	struct chr_sock *k = w->arg;
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	loop_unwatch(k->s.chr.loop, w);
	k->awatching = false;
	if (getsockopt(k->cfd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	connect_result(k, -soerr);
}

static void connect_done(struct aio_req *r, ssize_t res)
{
	struct chr_sock *k = r->opaque;

	chr_stream_req_done(&k->s);
	k->abusy = false;
	if (!k->s.closing)
		connect_result(k, res);
}

static void connect_result(struct chr_sock *k, ssize_t res)
{
	int fd = k->cfd;

	if (res == -EINPROGRESS || res == -EALREADY || res == -EAGAIN) {
		watch_or_retry(k, k->cfd, POLLOUT, connect_ready);
		return;
	}
	if (res < 0) {
		connect_failed(k, (int)res);
		return;
	}
	k->cfd = -1;
	sock_attach_fd(k, fd);
}

static void start_connect(struct chr_sock *k)
{
	int res;

	if (k->abusy || k->awatching || k->cfd >= 0 || k->s.closing || k->s.rfd >= 0)
		return;
	k->cfd = socket(k->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->cfd < 0) {
		connect_failed(k, -errno);
		return;
	}
	k->failed = 0;
	if (k->s.direct) {
		aio_prep_connect(&k->areq, k->cfd, (struct sockaddr *)&k->addr, k->addrlen,
				 connect_done, k);
		areq_submit(k);
		return;
	}
	res = connect(k->cfd, (struct sockaddr *)&k->addr, k->addrlen);
	connect_result(k, res < 0 ? -errno : 0);
}

static void rtimer_fn(void *arg)
{
	struct chr_sock *k = arg;

	if (k->server)
		start_accept(k);
	else
		start_connect(k);
}

/* ---- stream hooks --------------------------------------------------------- */

static void sock_rd_end(struct chr_stream *s, int err)
{
	chr_stream_shutdown(s);
}

static void sock_wr_end(struct chr_stream *s, int err)
{
	chr_stream_shutdown(s);
}

static void sock_down(struct chr_stream *s)
{
	struct chr_sock *k = (struct chr_sock *)s;

	if (k->server)
		start_accept(k);
	else if (k->reconnect_ms)
		retry_later(k, k->reconnect_ms);
	else
		k->failed = -ECONNRESET;
}

static void sock_stop(struct chr_stream *s)
{
	struct chr_sock *k = (struct chr_sock *)s;

	loop_timer_cancel(s->chr.loop, &k->rtimer);
	if (k->abusy)
		aio_cancel(s->aio, &k->areq);
	if (k->awatching)
		loop_unwatch(s->chr.loop, &k->awatch);
	k->awatching = false;
}

static void sock_fini(struct chr_stream *s)
{
	struct chr_sock *k = (struct chr_sock *)s;

	if (k->cfd >= 0)
		close(k->cfd);
	if (k->listen_fd >= 0)
		close(k->listen_fd);
	if (k->bound_unix)
		unlink(((struct sockaddr_un *)&k->addr)->sun_path);
}

static const struct chr_stream_hooks sock_hooks = {
	.rd_end = sock_rd_end,
	.wr_end = sock_wr_end,
	.down = sock_down,
	.stop = sock_stop,
	.fini = sock_fini,
};

static const struct chr_backend_ops sock_ops = {
	.name = "socket",
	.write = chr_stream_write,
	.accept_input = chr_stream_accept_input,
	.write_sync = chr_stream_write_sync,
	.close = chr_stream_close,
};

int chr_socket_port(struct chr_dev *chr)
{
	struct chr_sock *k = (struct chr_sock *)chr;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!chr || chr->ops != &sock_ops || k->is_unix || k->listen_fd < 0)
		return -EINVAL;
	if (getsockname(k->listen_fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int chr_socket_state(struct chr_dev *chr)
{
	struct chr_sock *k = (struct chr_sock *)chr;

	if (!chr || chr->ops != &sock_ops)
		return -EINVAL;
	if (k->s.st.connected)
		return 1;
	return k->failed ? k->failed : 0;
}

/* ---- open ----------------------------------------------------------------- */

static int sock_resolve(struct chr_sock *k, const struct chr_spec *spec, char *err,
			size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	const char *host = spec->host[0] ? spec->host : NULL;
	int ret;

	if (k->is_unix) {
		struct sockaddr_un *un = (struct sockaddr_un *)&k->addr;

		if (strlen(spec->path) >= sizeof(un->sun_path)) {
			chr_err(err, errlen, "unix socket path '%s' is longer than %zu bytes",
				spec->path, sizeof(un->sun_path) - 1);
			return -ENAMETOOLONG;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, spec->path);
		k->addrlen = sizeof(*un);
		return 0;
	}
	if (k->server && !host)
		hints.ai_flags = AI_PASSIVE;
	if (!k->server && !host)
		host = "localhost";
	if (k->server && !host)
		hints.ai_family = AF_INET; /* "any": IPv4 like QEMU's 0.0.0.0 */
	ret = getaddrinfo(host, spec->port, &hints, &ai);
	if (ret) {
		chr_err(err, errlen, "cannot resolve '%s' port '%s': %s", host ? host : "",
			spec->port, gai_strerror(ret));
		return -EINVAL;
	}
	memcpy(&k->addr, ai->ai_addr, ai->ai_addrlen);
	k->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int sock_listen(struct chr_sock *k, char *err, size_t errlen)
{
	struct stat st;
	int one = 1, e;
	int fd = socket(k->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		goto fail;
	if (k->is_unix) {
		const char *path = ((struct sockaddr_un *)&k->addr)->sun_path;

		/* A stale socket from an earlier run would make bind fail. */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&k->addr, k->addrlen) < 0 || listen(fd, 1) < 0)
		goto fail;
	k->bound_unix = k->is_unix;
	k->listen_fd = fd;
	return 0;
fail:
	e = errno;
	chr_err(err, errlen, "cannot listen on %s: %s", k->desc, strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}

int chr_socket_open(struct chr_dev **out, struct loop *loop, struct aio_engine *aio,
		    const struct chr_spec *spec, char *err, size_t errlen)
{
	struct chr_sock *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	chr_ignore_sigpipe();
	k->listen_fd = k->cfd = -1;
	k->server = spec->server;
	k->is_unix = spec->is_unix;
	k->nodelay = spec->nodelay;
	k->reconnect_ms = spec->server ? 0 : spec->reconnect_ms;
	loop_timer_init(&k->rtimer, rtimer_fn, k);
	if (k->is_unix)
		snprintf(k->desc, sizeof(k->desc), "unix:%s", spec->path);
	else
		snprintf(k->desc, sizeof(k->desc), "tcp:%s:%s", spec->host, spec->port);
	ret = chr_stream_init(&k->s, &sock_ops, loop, aio, &sock_hooks);
	if (ret < 0)
		goto fail;
	k->s.sock = true;
	k->s.drop_idle = true;
	ret = sock_resolve(k, spec, err, errlen);
	if (ret == 0 && k->server)
		ret = sock_listen(k, err, errlen);
	if (ret < 0)
		goto fail;
	if (k->server)
		start_accept(k);
	else
		start_connect(k);
	*out = &k->s.chr;
	return 0;
fail:
	free(k->s.obuf);
	free(k);
	return ret;
}

const char *chr_socket_desc(struct chr_dev *chr)
{
	return chr && chr->ops == &sock_ops ? ((struct chr_sock *)chr)->desc : NULL;
}
