/*
 * socket.c - the socket backend: Ethernet frames over TCP (listen=,
 * connect=; each frame preceded by its length as a 4-byte big-endian
 * number, as QEMU's -netdev socket does, so ringvm and QEMU interconnect),
 * over UDP multicast (mcast=; one datagram per frame) and over
 * point-to-point UDP (udp=,localaddr=).
 *
 * Stream life cycle: DOWN -> (accept or connect completes) UP -> (peer
 * closes, error, hostile framing) DYING: recv/send cancelled and the socket
 * shut down; when the last request on it has completed the fd is closed,
 * queued frames are dropped (counted), the port's link goes down and a
 * listener accepts again / a connector retries every second.
 *
 * Flow control: frames from the peer port are appended to a 256 KiB
 * buffer while the other buffer is being sent (one send for many frames);
 * when the filling buffer is full the peer is refused (-EAGAIN) until the
 * buffers swap. Frames from
 * the network that the peer port refuses stay in our buffer and no recv is
 * posted until it resumes, so TCP pushes back on the remote sender (UDP:
 * the kernel's socket buffer fills and drops).
 *
 * Every I/O is an aio request (ACCEPT, CONNECT, RECV, SEND; POLL plus a
 * non-blocking recvfrom() for multicast, where the sender's address is
 * needed to ignore our own looped-back frames).
 *
 * Threading: loop thread only. The backend owns its fds, buffers and
 * requests; a request in flight owns its buffer until done() runs.
 */
#include "net-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOCK_TXBUF (256 * 1024)
#define SOCK_RBUF (2 * (4 + NET_MAX_FRAME))
#define SOCK_DGRAM_TX_SLOTS 16
#define SOCK_RECONNECT_NS 1000000000ull

/* Stream transmit: two buffers. Frames (with their length prefix) are
 * appended to the filling one; the other is being sent, as one AIO_SEND
 * for all its frames. When it is drained the two swap. */
struct txbuf {
	uint8_t *data;   /* SOCK_TXBUF bytes */
	size_t len, off; /* bytes queued, bytes already sent */
	unsigned frames;
};

struct sock {
	struct net_backend b; /* first */
	struct net_netdev_opts o;
	struct sockaddr_storage addr, local, self; /* target; bind; our mcast sender */
	socklen_t addrlen, locallen, selflen;
	int lfd, fd, sfd;     /* listener; connection or dgram rx socket; mcast tx */
	bool closing, dying, connecting;
	unsigned inflight;    /* requests whose done() has not run */
	unsigned conn_inflight; /* of those, the ones on fd */
	struct aio_req areq, creq, rreq, sreq;
	bool rx_posted, rx_held, tx_posted, tx_refused;
	struct loop_timer reconnect;
	bool reconnect_logged;
	/* receive */
	uint8_t *rbuf;
	size_t rstart, rend;
	/* stream transmit */
	struct txbuf tx[2];
	unsigned fill;        /* index of the filling buffer */
	/* datagram transmit slots */
	struct {
		struct aio_req req;
		struct sock *s;
		uint8_t *buf;
		size_t cap;
		bool busy;
	} dtx[SOCK_DGRAM_TX_SLOTS];
};

static bool is_stream_mode(const struct net_netdev_opts *o)
{
	return o->sock.mode == NET_SOCKET_LISTEN || o->sock.mode == NET_SOCKET_CONNECT;
}

static bool is_stream(const struct sock *s)
{
	return is_stream_mode(&s->o);
}

static void stream_rx_post(struct sock *s);
static void stream_parse(struct sock *s);
static void stream_kick_send(struct sock *s);
static void accept_post(struct sock *s);
static void connect_post(struct sock *s);
static void dgram_rx_post(struct sock *s);

/* ---- addresses ------------------------------------------------------------ */

/* Resolve hp ("" host = any address) into ss. 0 or -errno with err. */
static int resolve(const struct sock *s, const char *key, const struct net_hostport *hp,
		   struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | (hp->host[0] ? 0 : AI_PASSIVE) };
	struct addrinfo *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", hp->port);
	if (!hp->host[0])
		hints.ai_family = AF_INET;
	int rc = getaddrinfo(hp->host[0] ? hp->host : NULL, port, &hints, &res);
	if (rc || !res)
		return net_err(err, errlen, -EHOSTUNREACH, "-netdev socket,id=%s: cannot resolve "
			       "'%s' in %s=: %s.", s->o.id, hp->host, key, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* ---- stream connection life cycle ----------------------------------------- */

static void conn_closed(struct sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->dying = false;
	s->rx_held = false;
	s->rstart = s->rend = 0;
	for (int i = 0; i < 2; i++) { /* frames the peer gave us that never left */
		s->b.port.stats.tx_drops += s->tx[i].frames;
		s->tx[i].len = s->tx[i].off = s->tx[i].frames = 0;
	}
	if (s->closing)
		return;
	net_port_set_link(&s->b.port, false);
	if (s->tx_refused) { /* nothing is queued: let the peer try (it will get -ENOTCONN) */
		s->tx_refused = false;
		net_port_resume(&s->b.port);
	}
	if (s->o.sock.mode == NET_SOCKET_LISTEN)
		accept_post(s);
	else
		loop_timer_arm(aio_engine_loop(s->b.engine), &s->reconnect,
			       loop_now_ns() + SOCK_RECONNECT_NS);
}

/* Start tearing the connection down; why is NULL for an orderly close. */
static void conn_lost(struct sock *s, const char *why)
{
	if (s->fd < 0 || s->dying)
		return;
	if (why)
		net_log(s->b.name, "%s", why);
	s->dying = true;
	if (s->rx_posted)
		aio_cancel(s->b.engine, &s->rreq);
	if (s->tx_posted)
		aio_cancel(s->b.engine, &s->sreq);
	shutdown(s->fd, SHUT_RDWR);
	if (!s->conn_inflight)
		conn_closed(s);
}

/* A request on the connection completed: finish a teardown if it was the last. */
static bool conn_req_done(struct sock *s)
{
	s->inflight--;
	s->conn_inflight--;
	if (s->dying && !s->conn_inflight)
		conn_closed(s);
	return s->fd >= 0 && !s->dying && !s->closing;
}

static void conn_up(struct sock *s, int fd)
{
	/* Frames are already batched into one send; Nagle would only hold a
	 * small frame (a guest's TCP ACK) back until the previous send is
	 * acknowledged, stalling the guests' own TCP. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->fd = fd;
	s->rstart = s->rend = 0;
	s->reconnect_logged = false;
	net_port_set_link(&s->b.port, true);
	stream_rx_post(s);
}

static void accept_done(struct aio_req *req, ssize_t res)
{
	struct sock *s = req->opaque;
	s->inflight--;
	if (s->closing) {
		if (res >= 0)
			close((int)res);
		return;
	}
	if (res < 0) { /* e.g. EMFILE: do not spin, try again in a second */
		if (!s->reconnect_logged)
			net_log(s->b.name, "accepting a connection failed (%s); retrying every "
				"second.", strerror((int)-res));
		s->reconnect_logged = true;
		loop_timer_arm(aio_engine_loop(s->b.engine), &s->reconnect,
			       loop_now_ns() + SOCK_RECONNECT_NS);
		return;
	}
	conn_up(s, (int)res);
}

static void accept_post(struct sock *s)
{
	aio_prep_accept(&s->areq, s->lfd, NULL, NULL, SOCK_CLOEXEC, accept_done, s);
	if (aio_submit(s->b.engine, &s->areq) == 0)
		s->inflight++;
}

static void connect_done(struct aio_req *req, ssize_t res)
{
	struct sock *s = req->opaque;
	s->inflight--;
	s->connecting = false;
	if (s->closing) {
		close(s->fd);
		s->fd = -1;
		return;
	}
	if (res < 0) {
		if (!s->reconnect_logged)
			net_log(s->b.name, "connecting to %s:%u failed (%s); retrying every second.",
				s->o.sock.addr.host, s->o.sock.addr.port, strerror((int)-res));
		s->reconnect_logged = true;
		close(s->fd);
		s->fd = -1;
		loop_timer_arm(aio_engine_loop(s->b.engine), &s->reconnect,
			       loop_now_ns() + SOCK_RECONNECT_NS);
		return;
	}
	int fd = s->fd;
	s->fd = -1;
	conn_up(s, fd);
}

static void connect_post(struct sock *s)
{
	s->fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		loop_timer_arm(aio_engine_loop(s->b.engine), &s->reconnect,
			       loop_now_ns() + SOCK_RECONNECT_NS);
		return;
	}
	aio_prep_connect(&s->creq, s->fd, (struct sockaddr *)&s->addr, s->addrlen,
			 connect_done, s);
	if (aio_submit(s->b.engine, &s->creq) == 0) {
		s->inflight++;
		s->connecting = true;
	}
}

/* The retry timer: connect again, or (listener) accept again. */
static void reconnect_fire(void *arg)
{
	struct sock *s = arg;
	if (s->closing || s->fd >= 0)
		return;
	if (s->o.sock.mode == NET_SOCKET_LISTEN)
		accept_post(s);
	else
		connect_post(s);
}

/* ---- stream receive ------------------------------------------------------- */

static void stream_rx_done(struct aio_req *req, ssize_t res)
{
	struct sock *s = req->opaque;
	s->rx_posted = false;
	if (!conn_req_done(s))
		return;
	if (res == 0) {
		conn_lost(s, s->rend > s->rstart
			  ? "the peer closed the connection in the middle of a frame."
			  : "the peer closed the connection; link down.");
		return;
	}
	if (res < 0) {
		char why[128];
		snprintf(why, sizeof(why), "receiving failed (%s); closing the connection.",
			 strerror((int)-res));
		conn_lost(s, why);
		return;
	}
	s->rend += (size_t)res;
	stream_parse(s);
}

static void stream_rx_post(struct sock *s)
{
	if (s->rx_posted || s->rx_held || s->fd < 0 || s->dying || s->closing)
		return;
	aio_prep_recv(&s->rreq, s->fd, s->rbuf + s->rend, SOCK_RBUF - s->rend, 0,
		      stream_rx_done, s);
	if (aio_submit(s->b.engine, &s->rreq) == 0) {
		s->rx_posted = true;
		s->inflight++;
		s->conn_inflight++;
	}
}

/* Deliver every whole frame in rbuf, then receive more (unless held). */
static void stream_parse(struct sock *s)
{
	s->rx_held = false;
	while (s->rend - s->rstart >= 4) {
		const uint8_t *p = s->rbuf + s->rstart;
		uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		if (len > NET_MAX_FRAME) {
			char why[160];
			snprintf(why, sizeof(why), "the peer announced a frame of %u bytes (at most %u "
				 "allowed); closing the connection.", len, NET_MAX_FRAME);
			conn_lost(s, why);
			return;
		}
		if (s->rend - s->rstart < 4 + (size_t)len)
			break;
		if (len) {
			struct iovec iov = { (void *)(p + 4), len };
			if (net_port_send(&s->b.port, &iov, 1) == -EAGAIN) {
				s->rx_held = true; /* resume() parses again */
				return;
			}
		}
		s->rstart += 4 + (size_t)len;
	}
	/* Keep the partial frame at the front: the buffer holds two whole
	 * maximal frames, so there is always room for the rest of one. */
	if (s->rstart) {
		memmove(s->rbuf, s->rbuf + s->rstart, s->rend - s->rstart);
		s->rend -= s->rstart;
		s->rstart = 0;
	}
	stream_rx_post(s);
}

/* ---- stream transmit ------------------------------------------------------ */

static void stream_tx_done(struct aio_req *req, ssize_t res)
{
	struct sock *s = req->opaque;
	s->tx_posted = false;
	if (!conn_req_done(s))
		return;
	if (res < 0) {
		char why[128];
		snprintf(why, sizeof(why), "sending failed (%s); closing the connection.",
			 strerror((int)-res));
		conn_lost(s, why);
		return;
	}
	struct txbuf *sb = &s->tx[!s->fill];
	sb->off += (size_t)res;
	if (sb->off == sb->len)
		sb->len = sb->off = sb->frames = 0;
	stream_kick_send(s);
}

static void stream_kick_send(struct sock *s)
{
	if (s->tx_posted || s->fd < 0 || s->dying || s->closing)
		return;
	struct txbuf *sb = &s->tx[!s->fill];
	bool swapped = false;
	if (sb->off == sb->len) {
		if (!s->tx[s->fill].len)
			return; /* nothing to send */
		s->fill = !s->fill;
		sb = &s->tx[!s->fill];
		swapped = true;
	}
	aio_prep_send(&s->sreq, s->fd, sb->data + sb->off, sb->len - sb->off, MSG_NOSIGNAL,
		      stream_tx_done, s);
	if (aio_submit(s->b.engine, &s->sreq) == 0) {
		s->tx_posted = true;
		s->inflight++;
		s->conn_inflight++;
	}
	/* The filling buffer is empty again: a refused peer may send. */
	if (swapped && s->tx_refused) {
		s->tx_refused = false;
		net_port_resume(&s->b.port);
	}
}

static int stream_receive(struct sock *s, const struct iovec *iov, int iovcnt, size_t len)
{
	if (s->fd < 0 || s->dying)
		return -ENOTCONN;
	struct txbuf *fb = &s->tx[s->fill];
	if (fb->len + 4 + len > SOCK_TXBUF) {
		s->tx_refused = true;
		return -EAGAIN;
	}
	uint8_t *d = fb->data + fb->len;
	d[0] = (uint8_t)(len >> 24);
	d[1] = (uint8_t)(len >> 16);
	d[2] = (uint8_t)(len >> 8);
	d[3] = (uint8_t)len;
	net_iov_copy(d + 4, len, iov, iovcnt, 0);
	fb->len += 4 + len;
	fb->frames++;
	stream_kick_send(s);
	return 0;
}

/* ---- datagrams (mcast=, udp=) --------------------------------------------- */

/* Hand the datagram in rbuf[0..rend) to the peer; false if it was refused. */
static bool dgram_deliver(struct sock *s)
{
	if (s->rend >= 14) { /* shorter than an Ethernet header: noise, ignore */
		struct iovec iov = { s->rbuf, s->rend };
		if (net_port_send(&s->b.port, &iov, 1) == -EAGAIN) {
			s->rx_held = true;
			return false;
		}
	}
	s->rx_held = false;
	s->rend = 0;
	return true;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != AF_INET || b->ss_family != AF_INET)
		return false;
	const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
	return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static void dgram_rx_done(struct aio_req *req, ssize_t res)
{
	struct sock *s = req->opaque;
	s->inflight--;
	s->rx_posted = false;
	if (s->closing || res == -ECANCELED) /* cancelled: the engine is closing */
		return;
	if (res < 0 && res != -EAGAIN && res != -ECONNREFUSED) {
		/* ECONNREFUSED: an ICMP error for an earlier send; not fatal. */
		net_log(s->b.name, "receiving failed (%s); trying again.", strerror((int)-res));
	}
	if (s->o.sock.mode == NET_SOCKET_UDP) {
		if (res > 0) {
			s->rend = (size_t)res;
			if (!dgram_deliver(s))
				return;
		}
		dgram_rx_post(s);
		return;
	}
	/* mcast: the socket is readable; read up to 64 datagrams (a busy group
	 * must not hold the loop; the re-armed poll fires again at once),
	 * skipping our own frames. */
	for (unsigned budget = 64; budget; budget--) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s->fd, s->rbuf, NET_MAX_FRAME, MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		if (same_addr(&from, &s->self))
			continue;
		s->rend = (size_t)n;
		if (!dgram_deliver(s))
			return;
	}
	dgram_rx_post(s);
}

static void dgram_rx_post(struct sock *s)
{
	if (s->rx_posted || s->rx_held || s->closing)
		return;
	if (s->o.sock.mode == NET_SOCKET_UDP)
		aio_prep_recv(&s->rreq, s->fd, s->rbuf, NET_MAX_FRAME, 0, dgram_rx_done, s);
	else
		aio_prep_poll(&s->rreq, s->fd, POLLIN, dgram_rx_done, s);
	if (aio_submit(s->b.engine, &s->rreq) == 0) {
		s->rx_posted = true;
		s->inflight++;
	}
}

static void dgram_tx_done(struct aio_req *req, ssize_t res)
{
	struct sock *s = req->opaque;
	s->inflight--;
	for (unsigned i = 0; i < SOCK_DGRAM_TX_SLOTS; i++)
		if (&s->dtx[i].req == req)
			s->dtx[i].busy = false;
	if (s->closing)
		return;
	if (res < 0)
		s->b.port.stats.tx_drops++; /* e.g. ECONNREFUSED: no one at udp= yet */
	if (s->tx_refused) {
		s->tx_refused = false;
		net_port_resume(&s->b.port);
	}
}

static int dgram_receive(struct sock *s, const struct iovec *iov, int iovcnt, size_t len)
{
	unsigned i = 0;
	while (i < SOCK_DGRAM_TX_SLOTS && s->dtx[i].busy)
		i++;
	if (i == SOCK_DGRAM_TX_SLOTS) {
		s->tx_refused = true;
		return -EAGAIN;
	}
	if (s->dtx[i].cap < len) {
		uint8_t *nb = realloc(s->dtx[i].buf, len);
		if (!nb)
			return -ENOMEM;
		s->dtx[i].buf = nb;
		s->dtx[i].cap = len;
	}
	net_iov_copy(s->dtx[i].buf, len, iov, iovcnt, 0);
	int fd = s->o.sock.mode == NET_SOCKET_MCAST ? s->sfd : s->fd;
	aio_prep_send(&s->dtx[i].req, fd, s->dtx[i].buf, len, MSG_NOSIGNAL, dgram_tx_done, s);
	int ret = aio_submit(s->b.engine, &s->dtx[i].req);
	if (ret < 0)
		return ret;
	s->dtx[i].busy = true;
	s->inflight++;
	return 0;
}

/* ---- the port --------------------------------------------------------------- */

static int sock_receive(struct net_port *p, const struct iovec *iov, int iovcnt)
{
	struct sock *s = p->opaque;
	size_t len = net_iov_size(iov, iovcnt);
	if (len > NET_MAX_FRAME)
		return -EMSGSIZE;
	return is_stream(s) ? stream_receive(s, iov, iovcnt, len)
			    : dgram_receive(s, iov, iovcnt, len);
}

static void sock_resume(struct net_port *p)
{
	struct sock *s = p->opaque;
	if (!s->rx_held || s->closing)
		return;
	if (is_stream(s)) {
		if (s->fd >= 0 && !s->dying)
			stream_parse(s);
	} else if (dgram_deliver(s)) {
		dgram_rx_post(s); /* mcast: the poll reports what else is waiting */
	}
}

static const struct net_port_ops sock_port_ops = {
	.receive = sock_receive,
	.resume = sock_resume,
};

/* ---- open / close ------------------------------------------------------------ */

#define SYSFAIL(what) net_err(err, errlen, -errno, "-netdev socket,id=%s: %s: %s.", \
			      s->o.id, what, strerror(errno))

static int open_listen(struct sock *s, char *err, size_t errlen)
{
	int one = 1;
	s->lfd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return SYSFAIL("cannot create a socket");
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&s->addr, s->addrlen) < 0)
		return net_err(err, errlen, -errno, "-netdev socket,id=%s: cannot listen on "
			       "%s:%u: %s.", s->o.id, s->o.sock.addr.host, s->o.sock.addr.port,
			       strerror(errno));
	if (listen(s->lfd, 1) < 0)
		return SYSFAIL("listen failed");
	accept_post(s);
	return 0;
}

static int open_mcast(struct sock *s, char *err, size_t errlen)
{
	struct sockaddr_in *g = (struct sockaddr_in *)&s->addr;
	struct in_addr local = { .s_addr = htonl(INADDR_ANY) };
	int one = 1;
	if (g->sin_family != AF_INET || !IN_MULTICAST(ntohl(g->sin_addr.s_addr)))
		return net_err(err, errlen, -EINVAL, "-netdev socket,id=%s: mcast=%s:%u is not "
			       "an IPv4 multicast group (224.0.0.0 to 239.255.255.255).", s->o.id,
			       s->o.sock.addr.host, s->o.sock.addr.port);
	if (s->o.sock.has_localaddr && inet_pton(AF_INET, s->o.sock.localaddr.host, &local) != 1)
		return net_err(err, errlen, -EINVAL, "-netdev socket,id=%s: localaddr=%s is not "
			       "an IPv4 address.", s->o.id, s->o.sock.localaddr.host);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	s->sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || s->sfd < 0)
		return SYSFAIL("cannot create a socket");
	/* Several VMs on one host share the group's port. */
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)g, sizeof(*g)) < 0)
		return SYSFAIL("cannot bind the multicast port");
	struct ip_mreq mr = { .imr_multiaddr = g->sin_addr, .imr_interface = local };
	if (setsockopt(s->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		return SYSFAIL("cannot join the multicast group (is there a multicast route?)");
	/* The sender: loop back so other VMs on this host hear us. */
	setsockopt(s->sfd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	if (s->o.sock.has_localaddr &&
	    setsockopt(s->sfd, IPPROTO_IP, IP_MULTICAST_IF, &local, sizeof(local)) < 0)
		return SYSFAIL("cannot send from localaddr");
	if (connect(s->sfd, (struct sockaddr *)g, sizeof(*g)) < 0)
		return SYSFAIL("cannot address the multicast group");
	s->selflen = sizeof(s->self);
	getsockname(s->sfd, (struct sockaddr *)&s->self, &s->selflen);
	dgram_rx_post(s);
	return 0;
}

static int open_udp(struct sock *s, char *err, size_t errlen)
{
	int ret;
	if ((ret = resolve(s, "localaddr", &s->o.sock.localaddr, &s->local, &s->locallen, err,
			   errlen)))
		return ret;
	/* No SO_REUSEADDR: a second VM on the same localaddr would steal
	 * datagrams; it is told the address is in use instead. */
	s->fd = socket(s->local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return SYSFAIL("cannot create a socket");
	if (bind(s->fd, (struct sockaddr *)&s->local, s->locallen) < 0)
		return net_err(err, errlen, -errno, "-netdev socket,id=%s: cannot bind "
			       "localaddr=%s:%u: %s.", s->o.id, s->o.sock.localaddr.host,
			       s->o.sock.localaddr.port, strerror(errno));
	if (connect(s->fd, (struct sockaddr *)&s->addr, s->addrlen) < 0)
		return SYSFAIL("cannot address the udp= peer");
	dgram_rx_post(s);
	return 0;
}

static void sock_close(struct net_backend *b)
{
	struct sock *s = (struct sock *)b;
	struct loop *loop = aio_engine_loop(b->engine);
	s->closing = true;
	loop_timer_cancel(loop, &s->reconnect);
	struct aio_req *reqs[] = { &s->areq, &s->creq, &s->rreq, &s->sreq };
	for (unsigned i = 0; i < 4; i++)
		aio_cancel(b->engine, reqs[i]);
	if (s->fd >= 0 && is_stream(s))
		shutdown(s->fd, SHUT_RDWR);
	while (s->inflight) /* dgram sends are short; the rest was cancelled */
		loop_run_once(loop, -1);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->closing = true;
	conn_closed(s); /* frees the tx queue; closing: no re-accept */
	int fds[] = { s->lfd, s->sfd };
	for (unsigned i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (unsigned i = 0; i < SOCK_DGRAM_TX_SLOTS; i++)
		free(s->dtx[i].buf);
	free(s->tx[0].data);
	free(s->tx[1].data);
	free(s->rbuf);
	free(s);
}

static const struct net_backend_ops sock_backend_ops = {
	.kind = "socket",
	.close = sock_close,
};

int net_socket_open(struct net_backend **out, struct aio_engine *e,
		    const struct net_netdev_opts *o, char *err, size_t errlen)
{
	static const char *const keys[] = { "", "listen", "connect", "mcast", "udp" };
	struct sock *s = calloc(1, sizeof(*s));
	if (!s || !(s->rbuf = malloc(SOCK_RBUF)) ||
	    (is_stream_mode(o) && (!(s->tx[0].data = malloc(SOCK_TXBUF)) ||
				   !(s->tx[1].data = malloc(SOCK_TXBUF))))) {
		if (s) {
			free(s->rbuf);
			free(s->tx[0].data);
		}
		free(s);
		return net_err(err, errlen, -ENOMEM, "-netdev socket: out of memory.");
	}
	s->o = *o;
	s->lfd = s->fd = s->sfd = -1;
	s->b.ops = &sock_backend_ops;
	s->b.engine = e;
	snprintf(s->b.name, sizeof(s->b.name), "socket %s", o->id);
	net_port_init(&s->b.port, &sock_port_ops, s, s->b.name, false);
	loop_timer_init(&s->reconnect, reconnect_fire, s);
	if (is_stream(s))
		s->b.port.link_up = false; /* until a connection exists */
	int ret = resolve(s, keys[o->sock.mode], &o->sock.addr, &s->addr, &s->addrlen, err, errlen);
	if (!ret) {
		switch (o->sock.mode) {
		case NET_SOCKET_LISTEN: ret = open_listen(s, err, errlen); break;
		case NET_SOCKET_CONNECT: connect_post(s); break;
		case NET_SOCKET_MCAST: ret = open_mcast(s, err, errlen); break;
		case NET_SOCKET_UDP: ret = open_udp(s, err, errlen); break;
		}
	}
	if (ret) {
		sock_close(&s->b);
		return ret;
	}
	*out = &s->b;
	return 0;
}
