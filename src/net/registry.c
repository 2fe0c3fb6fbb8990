/*
 * registry.c - the machine's netdevs by id: added from -netdev (main
 * thread, before the loop runs), opened and closed on the loop thread,
 * looked up when a NIC is created (-device ...,netdev=ID).
 *
 * The registry owns every backend and hub it opened.
 */
#include "net-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct net_netdev_opts o;
	struct net_backend *backend; /* tap/socket once opened */
	struct net_port *hub_port;   /* hubport once opened (owned by its hub) */
	struct entry *next;
};

struct hub_node {
	struct net_hub *hub;
	struct hub_node *next;
};

struct net_registry {
	struct entry *entries; /* in order added */
	struct hub_node *hubs;
};

int net_registry_new(struct net_registry **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static struct entry *find(struct net_registry *r, const char *id)
{
	for (struct entry *e = r->entries; e; e = e->next)
		if (!strcmp(e->o.id, id))
			return e;
	return NULL;
}

int net_registry_add(struct net_registry *r, const struct net_netdev_opts *o, char *err,
		     size_t errlen)
{
	if (find(r, o->id))
		return net_err(err, errlen, -EEXIST, "-netdev: id '%s' is used twice.", o->id);
	struct entry *e = calloc(1, sizeof(*e)), **tail = &r->entries;
	if (!e)
		return net_err(err, errlen, -ENOMEM, "-netdev: out of memory.");
	e->o = *o;
	while (*tail)
		tail = &(*tail)->next;
	*tail = e;
	return 0;
}

int net_registry_add_spec(struct net_registry *r, const char *spec, char *err, size_t errlen)
{
	struct net_netdev_opts o;
	int ret = net_parse_netdev(spec, &o, err, errlen);
	return ret ? ret : net_registry_add(r, &o, err, errlen);
}

static struct net_hub *hub_get(struct net_registry *r, int id)
{
	for (struct hub_node *h = r->hubs; h; h = h->next)
		if (net_hub_id(h->hub) == id)
			return h->hub;
	struct hub_node *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	if (net_hub_new(&h->hub, id)) {
		free(h);
		return NULL;
	}
	h->next = r->hubs;
	r->hubs = h;
	return h->hub;
}

static int open_hubport(struct net_registry *r, struct entry *e, char *err, size_t errlen)
{
	struct net_hub *h = hub_get(r, e->o.hub.hubid);
	struct net_port *p = h ? net_hub_add_port(h, e->o.id) : NULL;
	if (!p)
		return net_err(err, errlen, -ENOMEM, "-netdev hubport: out of memory.");
	e->hub_port = p;
	if (!e->o.hub.netdev[0])
		return 0;
	struct entry *t = find(r, e->o.hub.netdev);
	struct net_port *tp = t ? net_registry_find(r, t->o.id) : NULL;
	if (!tp)
		return net_err(err, errlen, -ENOENT,
			       "-netdev hubport: netdev=%s names no netdev.", e->o.hub.netdev);
	if (net_port_connect(p, tp))
		return net_err(err, errlen, -EBUSY,
			       "-netdev hubport: netdev=%s is already connected elsewhere.",
			       e->o.hub.netdev);
	return 0;
}

int net_registry_open(struct net_registry *r, struct aio_engine *eng, char *err, size_t errlen)
{
	int ret;
	/* Backends first, so a hubport's netdev= finds them open. */
	for (struct entry *e = r->entries; e; e = e->next) {
		if (e->backend || e->o.type == NET_NETDEV_HUBPORT)
			continue;
		if (e->o.type == NET_NETDEV_TAP)
			ret = net_tap_open(&e->backend, eng, &e->o, err, errlen);
		else
			ret = net_socket_open(&e->backend, eng, &e->o, err, errlen);
		if (ret)
			return ret;
	}
	for (struct entry *e = r->entries; e; e = e->next)
		if (e->o.type == NET_NETDEV_HUBPORT && !e->hub_port &&
		    (ret = open_hubport(r, e, err, errlen)))
			return ret;
	return 0;
}

const char *net_registry_type(struct net_registry *r, const char *id)
{
	struct entry *e = r ? find(r, id) : NULL;

	if (!e)
		return NULL;
	return e->o.type == NET_NETDEV_TAP ? "tap" :
	       e->o.type == NET_NETDEV_SOCKET ? "socket" : "hubport";
}

struct net_port *net_registry_find(struct net_registry *r, const char *id)
{
	struct entry *e = id ? find(r, id) : NULL;
	if (!e)
		return NULL;
	return e->backend ? net_backend_port(e->backend) : e->hub_port;
}

int net_registry_attach(struct net_registry *r, const char *id, struct net_port *nic,
			char *err, size_t errlen)
{
	struct net_port *p = net_registry_find(r, id);
	if (!p)
		return net_err(err, errlen, -ENOENT, "netdev=%s names no netdev.", id ? id : "");
	if (net_port_connect(nic, p))
		return net_err(err, errlen, -EBUSY,
			       "netdev=%s is already used by another device.", id);
	return 0;
}

void net_registry_free(struct net_registry *r)
{
	if (!r)
		return;
	while (r->entries) {
		struct entry *e = r->entries;
		r->entries = e->next;
		net_backend_close(e->backend);
		free(e);
	}
	while (r->hubs) {
		struct hub_node *h = r->hubs;
		r->hubs = h->next;
		net_hub_free(h->hub);
		free(h);
	}
	free(r);
}
