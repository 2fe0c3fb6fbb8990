/*
 * tap.c - the tap backend: a Linux tap interface (/dev/net/tun, IFF_TAP |
 * IFF_NO_PI, optionally IFF_VNET_HDR) as a port.
 *
 * Receive path (kernel -> peer): with the io_uring engine, TAP_RX_BUFS
 * reads stay outstanding on the ring; the fd is O_NONBLOCK so the kernel
 * parks each read on the tap's wait queue (no io-wq thread blocks). Each
 * completed read is queued in completion order and handed to the peer.
 * When the peer refuses (-EAGAIN) the buffer waits and is not re-posted,
 * so once every buffer waits nothing reads the tap: the kernel's queue
 * fills and the kernel drops, like a real wire. Other engines (libaio and
 * the thread pool cannot wait on a tap fd without blocking a thread) keep
 * one AIO_POLL outstanding and read what is ready with non-blocking read().
 *
 * Transmit path (peer -> kernel): each frame is copied into one of
 * TAP_TX_SLOTS slots and written with AIO_WRITE (AIO_WRITEV with a zeroed
 * vnet header when the tap has one and the link does not). With every slot
 * in flight the peer is refused and resumed when a write completes.
 *
 * Threading: loop thread only. Ownership: the backend owns its buffers,
 * requests and fd; requests in flight own their buffer until done() runs.
 */
#include "net-int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TAP_RX_BUFS 16
#define TAP_TX_SLOTS 32
#define TAP_POLL_BUDGET 64
#define TAP_BUF_SIZE (NET_VNET_HDR_LEN + NET_MAX_FRAME)

struct tap;

struct tap_rx {
	struct aio_req req;
	struct tap *t;
	uint8_t *buf;
	ssize_t len;      /* bytes in buf when ready */
	bool busy;        /* read in flight or frame waiting: not free */
};

struct tap_tx {
	struct aio_req req;
	struct tap *t;
	uint8_t *buf;
	size_t cap;
	struct iovec iov[2];
	bool busy;
};

struct tap {
	struct net_backend b;  /* first */
	int fd;
	char ifname[IFNAMSIZ];
	bool vnet_hdr;         /* IFF_VNET_HDR on the fd */
	bool use_ring;         /* reads as ring submissions (io_uring engine) */
	bool closing;
	bool gone;             /* the interface was deleted: the fd is dead */
	bool rx_err_logged;
	unsigned inflight;     /* our requests whose done() has not run */
	struct tap_rx rx[TAP_RX_BUFS];
	unsigned ready[TAP_RX_BUFS]; /* FIFO of rx indexes holding frames */
	unsigned ready_head, ready_count;
	struct aio_req poll_req; /* non-ring engines */
	bool poll_armed;
	struct loop_timer retry; /* after a read error, try again later */
	struct tap_tx tx[TAP_TX_SLOTS];
	unsigned tx_busy;
	bool tx_refused;       /* we told the peer -EAGAIN */
};

static void rx_post(struct tap *t, struct tap_rx *r);
static void rx_deliver(struct tap *t);
static void poll_arm(struct tap *t);

static const uint8_t zero_hdr[NET_VNET_HDR_LEN];

/* The interface was deleted on the host (reads and writes on the fd fail
 * with EBADFD from then on, kernel 6.1): say so once, take the link down and
 * stop reading; frames sent to us are dropped from now on. The fd stays
 * open until the backend is closed. */
static void tap_gone(struct tap *t)
{
	if (t->gone)
		return;
	t->gone = true;
	net_log(t->b.name, "tap %s went away (deleted on the host); link down.", t->ifname);
	net_port_set_link(&t->b.port, false);
}

/* ---- receive ------------------------------------------------------------- */

static void rx_ready(struct tap *t, struct tap_rx *r, ssize_t len)
{
	r->len = len;
	t->ready[(t->ready_head + t->ready_count) % TAP_RX_BUFS] = (unsigned)(r - t->rx);
	t->ready_count++;
}

static void rx_done(struct aio_req *req, ssize_t res)
{
	struct tap_rx *r = req->opaque;
	struct tap *t = r->t;
	t->inflight--;
	if (t->closing || res == -ECANCELED) { /* cancelled: the engine is closing */
		r->busy = false;
		return;
	}
	if (res == -EBADFD) {
		r->busy = false;
		tap_gone(t);
		return;
	}
	if (res < 0) {
		r->busy = false;
		if (res != -EAGAIN && !t->rx_err_logged) {
			t->rx_err_logged = true;
			net_log(t->b.name, "reading the tap failed (%s); retrying every 100 ms.",
				strerror((int)-res));
		}
		if (!loop_timer_armed(&t->retry))
			loop_timer_arm(aio_engine_loop(t->b.engine), &t->retry,
				       loop_now_ns() + 100000000ull);
		return;
	}
	rx_ready(t, r, res);
	rx_deliver(t);
}

static void rx_post(struct tap *t, struct tap_rx *r)
{
	if (t->gone) {
		r->busy = false;
		return;
	}
	if (!t->use_ring) {
		r->busy = false;
		poll_arm(t);
		return;
	}
	/* A stream read: no file position involved. */
	aio_prep_read(&r->req, t->fd, r->buf, TAP_BUF_SIZE, AIO_OFFSET_NONE, rx_done, r);
	r->req.aflags = 0; /* one read = one frame: never resubmit a short read */
	r->busy = true;
	if (aio_submit(t->b.engine, &r->req) == 0)
		t->inflight++;
	else
		r->busy = false;
}

/* Hand queued frames to the peer, in order, until it refuses. */
static void rx_deliver(struct tap *t)
{
	size_t hlen = net_port_hdr_len(&t->b.port);
	/* After a refusal, offer nothing until the peer resumes us: new reads
	 * only join the queue behind the refused frame. */
	while (t->ready_count && !t->closing && !t->b.port.waiting) {
		struct tap_rx *r = &t->rx[t->ready[t->ready_head]];
		size_t skip = t->vnet_hdr && !hlen ? NET_VNET_HDR_LEN : 0;
		if ((size_t)r->len < skip + 14) { /* shorter than an Ethernet header */
			net_port_count_drop(&t->b.port);
		} else {
			struct iovec iov = { r->buf + skip, (size_t)r->len - skip };
			if (net_port_send(&t->b.port, &iov, 1) == -EAGAIN)
				return; /* resume() calls us again */
		}
		t->ready_head = (t->ready_head + 1) % TAP_RX_BUFS;
		t->ready_count--;
		rx_post(t, r);
	}
}

/* Non-ring engines: the tap is readable; read until empty or out of buffers. */
static void poll_done(struct aio_req *req, ssize_t res)
{
	struct tap *t = req->opaque;
	t->inflight--;
	t->poll_armed = false;
	if (t->closing || res == -ECANCELED)
		return;
	if (res < 0) { /* as for a failed read: try again later */
		if (!loop_timer_armed(&t->retry))
			loop_timer_arm(aio_engine_loop(t->b.engine), &t->retry,
				       loop_now_ns() + 100000000ull);
		return;
	}
	/* At most TAP_POLL_BUDGET frames per wake-up, so a busy tap cannot hold
	 * the loop; the re-armed poll fires again at once if more wait. */
	unsigned budget = TAP_POLL_BUDGET;
	for (unsigned i = 0; i < TAP_RX_BUFS && !t->ready_count && budget; i++) {
		struct tap_rx *r = &t->rx[i];
		if (r->busy)
			continue;
		ssize_t n = read(t->fd, r->buf, TAP_BUF_SIZE);
		if (n < 0 && errno == EBADFD) {
			tap_gone(t);
			return; /* no poll again: a dead tap polls as an error at once */
		}
		if (n < 0)
			break;
		r->busy = true;
		budget--;
		rx_ready(t, r, n);
		rx_deliver(t);
		i = (unsigned)-1; /* rescan: delivery freed buffers */
	}
	poll_arm(t);
}

static void poll_arm(struct tap *t)
{
	if (t->poll_armed || t->closing || t->gone || t->ready_count)
		return;
	aio_prep_poll(&t->poll_req, t->fd, POLLIN, poll_done, t);
	if (aio_submit(t->b.engine, &t->poll_req) == 0) {
		t->poll_armed = true;
		t->inflight++;
	}
}

static void rx_start(struct tap *t)
{
	for (unsigned i = 0; i < TAP_RX_BUFS; i++)
		if (!t->rx[i].busy)
			rx_post(t, &t->rx[i]);
}

static void retry_fire(void *arg)
{
	rx_start(arg);
}

static void tap_resume(struct net_port *p)
{
	struct tap *t = p->opaque;
	rx_deliver(t);
	if (!t->use_ring)
		poll_arm(t);
}

/* ---- transmit ------------------------------------------------------------ */

static void tx_done(struct aio_req *req, ssize_t res)
{
	struct tap_tx *x = req->opaque;
	struct tap *t = x->t;
	t->inflight--;
	x->busy = false;
	t->tx_busy--;
	if (t->closing)
		return;
	if (res < 0) /* interface down (EIO) or the kernel refused the frame */
		t->b.port.stats.tx_drops++;
	if (res == -EBADFD)
		tap_gone(t);
	if (t->tx_refused) {
		t->tx_refused = false;
		net_port_resume(&t->b.port);
	}
}

/* io_uring: -1 = a stream write. The other engines use pwrite(), which
 * rejects -1; the tap ignores the offset, so 0 does. */
static uint64_t tx_off(const struct tap *t)
{
	return t->use_ring ? AIO_OFFSET_NONE : 0;
}

static int tap_receive(struct net_port *p, const struct iovec *iov, int iovcnt)
{
	struct tap *t = p->opaque;
	size_t len = net_iov_size(iov, iovcnt);
	size_t hlen = net_port_hdr_len(p);
	if (len > hlen + NET_MAX_FRAME || len < hlen + 14)
		return -EMSGSIZE;
	if (t->gone)
		return -ENOTCONN;
	struct tap_tx *x = NULL;
	for (unsigned i = 0; i < TAP_TX_SLOTS && !x; i++)
		if (!t->tx[i].busy)
			x = &t->tx[i];
	if (!x) {
		t->tx_refused = true;
		return -EAGAIN;
	}
	if (x->cap < len) {
		uint8_t *nb = realloc(x->buf, len);
		if (!nb)
			return -ENOMEM;
		x->buf = nb;
		x->cap = len;
	}
	net_iov_copy(x->buf, len, iov, iovcnt, 0);
	if (t->vnet_hdr && !hlen) { /* the tap wants a header the link lacks */
		x->iov[0] = (struct iovec){ (void *)zero_hdr, NET_VNET_HDR_LEN };
		x->iov[1] = (struct iovec){ x->buf, len };
		aio_prep_writev(&x->req, t->fd, x->iov, 2, tx_off(t), tx_done, x);
	} else {
		aio_prep_write(&x->req, t->fd, x->buf, len, tx_off(t), tx_done, x);
	}
	x->req.aflags = 0; /* a tap write is all or nothing */
	int ret = aio_submit(t->b.engine, &x->req);
	if (ret < 0)
		return ret;
	x->busy = true;
	t->tx_busy++;
	t->inflight++;
	return 0;
}

static int tap_set_offload(struct net_port *p, unsigned off)
{
	struct tap *t = p->opaque;
	if (!t->vnet_hdr || !net_port_hdr_len(p))
		return off ? -ENOTSUP : 0;
	unsigned f = 0;
	if (off & NET_OFFLOAD_CSUM)
		f |= TUN_F_CSUM;
	if (off & NET_OFFLOAD_TSO4)
		f |= TUN_F_TSO4;
	if (off & NET_OFFLOAD_TSO6)
		f |= TUN_F_TSO6;
	if (off & NET_OFFLOAD_ECN)
		f |= TUN_F_TSO_ECN;
	if (off & NET_OFFLOAD_UFO)
		f |= TUN_F_UFO;
	return ioctl(t->fd, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

static const struct net_port_ops tap_port_ops = {
	.receive = tap_receive,
	.resume = tap_resume,
	.set_offload = tap_set_offload,
};

/* ---- open / close -------------------------------------------------------- */

static int tap_open_fd(struct tap *t, const struct net_netdev_opts *o, char *err,
		       size_t errlen)
{
	const char *want = o->tap.ifname[0] ? o->tap.ifname : "(new)";
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT || e == ENODEV)
			return net_err(err, errlen, -e, "-netdev tap,id=%s: /dev/net/tun is missing "
				       "(load the tun module).", o->id);
		if (e == EACCES || e == EPERM)
			return net_err(err, errlen, -e, "-netdev tap,id=%s: using tap %s needs root "
				       "(/dev/net/tun is not accessible).", o->id, want);
		return net_err(err, errlen, -e, "-netdev tap,id=%s: cannot open /dev/net/tun: %s.",
			       o->id, strerror(e));
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (o->tap.vnet_hdr ? IFF_VNET_HDR : 0);
	memcpy(ifr.ifr_name, o->tap.ifname, sizeof(o->tap.ifname)); /* NUL-terminated */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		if (e == EPERM || e == EACCES)
			return net_err(err, errlen, -e, "-netdev tap,id=%s: using tap %s needs root "
				       "(CAP_NET_ADMIN) or a tap owned by this user.", o->id, want);
		if (e == EBUSY)
			return net_err(err, errlen, -e, "-netdev tap,id=%s: tap %s is in use by "
				       "another program.", o->id, want);
		if (e == EINVAL)
			return net_err(err, errlen, -e, "-netdev tap,id=%s: %s exists and is not a "
				       "tap interface (or has other flags).", o->id, want);
		return net_err(err, errlen, -e, "-netdev tap,id=%s: cannot attach to tap %s: %s.",
			       o->id, want, strerror(e));
	}
	memcpy(t->ifname, ifr.ifr_name, IFNAMSIZ);
	t->ifname[IFNAMSIZ - 1] = '\0';
	if (o->tap.vnet_hdr) {
		int sz = NET_VNET_HDR_LEN;
		/* Offloads start off: the kernel hands us whole, checksummed
		 * frames until a NIC asks for more (net_port_set_offload). */
		if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0 || ioctl(fd, TUNSETOFFLOAD, 0u) < 0) {
			int e = errno;
			close(fd);
			return net_err(err, errlen, -e, "-netdev tap,id=%s: the kernel refused "
				       "vnet_hdr=on for %s: %s.", o->id, t->ifname, strerror(e));
		}
	}
	t->fd = fd;
	return 0;
}

static void tap_free(struct tap *t)
{
	for (unsigned i = 0; i < TAP_RX_BUFS; i++)
		free(t->rx[i].buf);
	for (unsigned i = 0; i < TAP_TX_SLOTS; i++)
		free(t->tx[i].buf);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static void tap_close(struct net_backend *b)
{
	struct tap *t = (struct tap *)b;
	struct loop *loop = aio_engine_loop(b->engine);
	t->closing = true;
	loop_timer_cancel(loop, &t->retry);
	for (unsigned i = 0; i < TAP_RX_BUFS; i++)
		aio_cancel(b->engine, &t->rx[i].req);
	if (t->poll_armed)
		aio_cancel(b->engine, &t->poll_req);
	/* Writes are short; let them finish. Then nothing refers to t. */
	while (t->inflight)
		loop_run_once(loop, -1);
	tap_free(t);
}

static const char *tap_ifname(struct net_backend *b)
{
	return ((struct tap *)b)->ifname;
}

static const struct net_backend_ops tap_backend_ops = {
	.kind = "tap",
	.close = tap_close,
	.ifname = tap_ifname,
};

int net_tap_open(struct net_backend **out, struct aio_engine *e,
		 const struct net_netdev_opts *o, char *err, size_t errlen)
{
	struct tap *t = calloc(1, sizeof(*t));
	if (!t)
		return net_err(err, errlen, -ENOMEM, "-netdev tap: out of memory.");
	t->fd = -1;
	int ret = tap_open_fd(t, o, err, errlen);
	if (ret) {
		tap_free(t);
		return ret;
	}
	t->vnet_hdr = o->tap.vnet_hdr;
	t->use_ring = aio_engine_kind(e) == AIO_ENGINE_URING;
	t->b.ops = &tap_backend_ops;
	t->b.engine = e;
	snprintf(t->b.name, sizeof(t->b.name), "tap %s (%s)", o->id, t->ifname);
	net_port_init(&t->b.port, &tap_port_ops, t, t->b.name, t->vnet_hdr);
	loop_timer_init(&t->retry, retry_fire, t);
	for (unsigned i = 0; i < TAP_RX_BUFS; i++) {
		t->rx[i].t = t;
		if (!(t->rx[i].buf = malloc(TAP_BUF_SIZE))) {
			tap_free(t);
			return net_err(err, errlen, -ENOMEM, "-netdev tap: out of memory.");
		}
	}
	for (unsigned i = 0; i < TAP_TX_SLOTS; i++)
		t->tx[i].t = t;
	rx_start(t);
	*out = &t->b;
	return 0;
}
