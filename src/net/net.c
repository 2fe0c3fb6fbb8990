/*
 * net.c - the port core (connect, send, flow control, link state), iovec
 * helpers and hubs.
 *
 * A hub owns its ports; each is an ordinary port that a NIC or a backend
 * connects to. A frame one hub port receives from its peer is sent out of
 * every other hub port. A hub never queues: when one of its peers refuses a
 * frame (-EAGAIN) the frame is lost for that peer only and counted as a
 * drop on that hub port, so one slow member cannot stall the others.
 *
 * Threading: loop thread only (see net.h).
 */
#include "net-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void net_log(const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ringvm: net: %s: %s\n", name ? name : "?", msg);
}

int net_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- iovecs ---------------------------------------------------------------- */

size_t net_iov_size(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

size_t net_iov_copy(void *buf, size_t len, const struct iovec *iov, int iovcnt,
		    size_t skip)
{
	size_t done = 0;
	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t n = l - skip;
		if (n > len - done)
			n = len - done;
		memcpy((char *)buf + done, (const char *)iov[i].iov_base + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

/* ---- ports ----------------------------------------------------------------- */

void net_port_init(struct net_port *p, const struct net_port_ops *ops, void *opaque,
		   const char *name, bool hdr_capable)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->opaque = opaque;
	p->name = name;
	p->hdr_capable = hdr_capable;
	p->link_up = true;
}

int net_port_connect(struct net_port *a, struct net_port *b)
{
	if (a == b || a->peer || b->peer)
		return -EBUSY;
	a->peer = b;
	b->peer = a;
	a->waiting = b->waiting = false;
	/* A new peer may take frames: a backend holding frames from an earlier
	 * refusal (its old peer went away while it waited) sends them now. */
	if (a->ops->resume)
		a->ops->resume(a);
	if (b->ops->resume)
		b->ops->resume(b);
	return 0;
}

void net_port_disconnect(struct net_port *p)
{
	if (!p->peer)
		return;
	p->peer->peer = NULL;
	p->peer->waiting = false;
	p->peer = NULL;
	p->waiting = false;
}

size_t net_port_hdr_len(const struct net_port *p)
{
	return p->peer && p->hdr_capable && p->peer->hdr_capable ? NET_VNET_HDR_LEN : 0;
}

int net_port_send(struct net_port *p, const struct iovec *iov, int iovcnt)
{
	struct net_port *q = p->peer;
	if (!q || !p->link_up || !q->link_up) {
		p->stats.tx_drops++;
		return -ENOTCONN;
	}
	int ret = q->ops->receive(q, iov, iovcnt);
	if (ret == 0) {
		size_t n = net_iov_size(iov, iovcnt);
		p->stats.tx_frames++;
		p->stats.tx_bytes += n;
		q->stats.rx_frames++;
		q->stats.rx_bytes += n;
	} else if (ret == -EAGAIN) {
		p->stats.tx_refused++;
		p->waiting = true;
	} else {
		p->stats.tx_drops++;
	}
	return ret;
}

void net_port_resume(struct net_port *p)
{
	struct net_port *q = p->peer;
	if (!q || !q->waiting)
		return;
	q->waiting = false;
	if (q->ops->resume)
		q->ops->resume(q);
}

void net_port_set_link(struct net_port *p, bool up)
{
	if (p->link_up == up)
		return;
	p->link_up = up;
	if (p->peer && p->peer->ops->link_changed)
		p->peer->ops->link_changed(p->peer, up);
}

bool net_port_link_up(const struct net_port *p)
{
	return p->link_up;
}

bool net_port_peer_link_up(const struct net_port *p)
{
	return p->peer && p->peer->link_up;
}

int net_port_set_offload(struct net_port *p, unsigned offloads)
{
	if (!p->peer)
		return -ENOTCONN;
	if (!p->peer->ops->set_offload)
		return offloads ? -ENOTSUP : 0;
	return p->peer->ops->set_offload(p->peer, offloads);
}

void net_port_count_drop(struct net_port *p)
{
	p->stats.tx_drops++;
}

const struct net_port_stats *net_port_stats(const struct net_port *p)
{
	return &p->stats;
}

/* ---- hubs ------------------------------------------------------------------ */

struct net_hub_port {
	struct net_port port;
	struct net_hub *hub;
	struct net_hub_port *next;
	char name[80];
};

struct net_hub {
	int id;
	struct net_hub_port *ports; /* owned; in creation order */
};

/* A frame arrived from the peer of hub port src: send it out of every other
 * port. O(ports) per frame. Never refuses: drops are counted per member. */
static int hub_receive(struct net_port *p, const struct iovec *iov, int iovcnt)
{
	struct net_hub_port *src = p->opaque;
	for (struct net_hub_port *hp = src->hub->ports; hp; hp = hp->next) {
		if (hp == src || !hp->port.peer)
			continue;
		int ret = net_port_send(&hp->port, iov, iovcnt);
		if (ret == -EAGAIN) {
			hp->port.waiting = false; /* nothing kept, nothing owed */
			net_port_count_drop(&hp->port);
		}
	}
	return 0;
}

static const struct net_port_ops hub_port_ops = {
	.receive = hub_receive,
};

int net_hub_new(struct net_hub **out, int hubid)
{
	struct net_hub *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->id = hubid;
	*out = h;
	return 0;
}

struct net_port *net_hub_add_port(struct net_hub *h, const char *name)
{
	struct net_hub_port *hp = calloc(1, sizeof(*hp)), **tail = &h->ports;
	if (!hp)
		return NULL;
	snprintf(hp->name, sizeof(hp->name), "hub %d port %s", h->id, name ? name : "?");
	net_port_init(&hp->port, &hub_port_ops, hp, hp->name, false);
	hp->hub = h;
	while (*tail)
		tail = &(*tail)->next;
	*tail = hp;
	return &hp->port;
}

int net_hub_id(const struct net_hub *h)
{
	return h->id;
}

void net_hub_free(struct net_hub *h)
{
	if (!h)
		return;
	struct net_hub_port *hp = h->ports;
	while (hp) {
		struct net_hub_port *next = hp->next;
		net_port_disconnect(&hp->port);
		free(hp);
		hp = next;
	}
	free(h);
}

/* ---- backends -------------------------------------------------------------- */

struct net_port *net_backend_port(struct net_backend *b)
{
	return &b->port;
}

const char *net_backend_ifname(struct net_backend *b)
{
	return b->ops->ifname ? b->ops->ifname(b) : NULL;
}

void net_backend_close(struct net_backend *b)
{
	if (!b)
		return;
	net_port_set_link(&b->port, false);
	net_port_disconnect(&b->port);
	b->ops->close(b);
}
