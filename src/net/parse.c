/*
 * parse.c - the -netdev option parser (QEMU's syntax) and MAC addresses.
 *
 * "TYPE,key=value,key=value"; ",," inside a value stands for a literal
 * comma, as in QEMU. Each error is one sentence naming the option.
 * Pure functions: any thread.
 */
#include "net-int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS 16

struct kv {
	char *key, *val; /* val NULL when no '=' was given */
	bool used;
};

/* Split spec into the type and key=value pairs, in buf (caller's copy). */
static int split(char *buf, char **type, struct kv *kv, int *n, char *err, size_t errlen)
{
	char *parts[MAX_OPTS + 1];
	int np = 0;
	char *w = buf, *start = buf;
	for (char *r = buf;; r++) {
		if (*r == ',' && r[1] == ',') { /* escaped comma */
			*w++ = ',';
			r++;
			continue;
		}
		if (*r == ',' || *r == '\0') {
			bool end = *r == '\0';
			*w++ = '\0';
			if (np == MAX_OPTS + 1)
				return net_err(err, errlen, -EINVAL,
					       "-netdev: too many options (at most %d).", MAX_OPTS);
			parts[np++] = start;
			start = w;
			if (end)
				break;
			continue;
		}
		*w++ = *r;
	}
	*type = parts[0];
	*n = 0;
	for (int i = 1; i < np; i++) {
		if (!parts[i][0])
			return net_err(err, errlen, -EINVAL,
				       "-netdev %s: empty option (stray comma).", *type);
		char *eq = strchr(parts[i], '=');
		if (eq)
			*eq = '\0';
		for (int j = 0; j < *n; j++)
			if (!strcmp(kv[j].key, parts[i]))
				return net_err(err, errlen, -EINVAL,
					       "-netdev %s: option '%s' is given twice.", *type,
					       parts[i]);
		kv[*n].key = parts[i];
		kv[*n].val = eq ? eq + 1 : NULL;
		kv[*n].used = false;
		(*n)++;
	}
	return 0;
}

static struct kv *take(struct kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key)) {
			kv[i].used = true;
			return &kv[i];
		}
	return NULL;
}

/* key=value where a value is required; NULL if the key is absent. */
static int take_str(struct kv *kv, int n, const char *type, const char *key,
		    const char **out, char *err, size_t errlen)
{
	struct kv *e = take(kv, n, key);
	*out = NULL;
	if (!e)
		return 0;
	if (!e->val)
		return net_err(err, errlen, -EINVAL, "-netdev %s: option '%s' needs a value (%s=...).",
			       type, key, key);
	*out = e->val;
	return 0;
}

static int parse_bool(const char *type, const char *key, const char *v, bool *out,
		      char *err, size_t errlen)
{
	if (!v || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
		*out = false;
		return 0;
	}
	return net_err(err, errlen, -EINVAL, "-netdev %s: %s=%s is not on or off.", type, key, v);
}

/* "HOST:PORT" or "[V6]:PORT"; host may be empty when allow_empty_host. */
static int parse_hostport(const char *type, const char *key, const char *v,
			  bool allow_empty_host, struct net_hostport *hp, char *err,
			  size_t errlen)
{
	const char *colon = strrchr(v, ':');
	if (!colon)
		return net_err(err, errlen, -EINVAL,
			       "-netdev %s: %s=%s is not HOST:PORT.", type, key, v);
	const char *h = v;
	size_t hl = (size_t)(colon - v);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(hp->host))
		return net_err(err, errlen, -EINVAL, "-netdev %s: host name in %s= is too long.",
			       type, key);
	if (!hl && !allow_empty_host)
		return net_err(err, errlen, -EINVAL,
			       "-netdev %s: %s=%s lacks a host (HOST:PORT).", type, key, v);
	memcpy(hp->host, h, hl);
	hp->host[hl] = '\0';
	const char *p = colon + 1;
	char *end;
	errno = 0;
	unsigned long port = strtoul(p, &end, 10);
	if (!*p || *end || errno || !isdigit((unsigned char)*p) || port == 0 || port > 65535)
		return net_err(err, errlen, -EINVAL,
			       "-netdev %s: bad port '%s' in %s= (a number from 1 to 65535).",
			       type, p, key);
	hp->port = (uint16_t)port;
	return 0;
}

static int check_id(const char *type, const char *id, char *err, size_t errlen)
{
	if (!id || !*id)
		return net_err(err, errlen, -EINVAL, "-netdev %s: id= is missing.", type);
	if (strlen(id) >= 64)
		return net_err(err, errlen, -EINVAL, "-netdev %s: id '%s' is too long.", type, id);
	if (!isalpha((unsigned char)id[0]))
		goto bad;
	for (const char *c = id; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			goto bad;
	return 0;
bad:
	return net_err(err, errlen, -EINVAL,
		       "-netdev %s: id '%s' must start with a letter and hold only letters, "
		       "digits, '-', '_' and '.'.", type, id);
}

static int parse_tap(struct kv *kv, int n, struct net_netdev_opts *o, char *err, size_t errlen)
{
	const char *ifname, *script, *down, *vh;
	int ret;
	if ((ret = take_str(kv, n, "tap", "ifname", &ifname, err, errlen)) ||
	    (ret = take_str(kv, n, "tap", "script", &script, err, errlen)) ||
	    (ret = take_str(kv, n, "tap", "downscript", &down, err, errlen)))
		return ret;
	struct kv *e = take(kv, n, "vnet_hdr");
	vh = e ? (e->val ? e->val : "on") : "off";
	if ((ret = parse_bool("tap", "vnet_hdr", vh, &o->tap.vnet_hdr, err, errlen)))
		return ret;
	if (ifname && strlen(ifname) >= sizeof(o->tap.ifname))
		return net_err(err, errlen, -EINVAL,
			       "-netdev tap: ifname=%s is longer than 15 characters.", ifname);
	if (ifname)
		strcpy(o->tap.ifname, ifname);
	const char *s[2] = { script, down }, *k[2] = { "script", "downscript" };
	for (int i = 0; i < 2; i++)
		if (s[i] && *s[i] && strcmp(s[i], "no"))
			return net_err(err, errlen, -EINVAL,
				       "-netdev tap: %s=%s is not supported: ringvm runs no scripts, "
				       "so configure the interface yourself and pass %s=no.",
				       k[i], s[i], k[i]);
	return 0;
}

static int parse_socket(struct kv *kv, int n, struct net_netdev_opts *o, char *err,
			size_t errlen)
{
	static const char *const modes[] = { "listen", "connect", "mcast", "udp" };
	const char *v = NULL, *local;
	int ret, found = 0;
	for (int m = 0; m < 4; m++) {
		const char *x;
		if ((ret = take_str(kv, n, "socket", modes[m], &x, err, errlen)))
			return ret;
		if (x) {
			found++;
			v = x;
			o->sock.mode = (enum net_socket_mode)(NET_SOCKET_LISTEN + m);
		}
	}
	if (found != 1)
		return net_err(err, errlen, -EINVAL,
			       "-netdev socket: give exactly one of listen=, connect=, mcast= or udp=.");
	const char *key = modes[o->sock.mode - NET_SOCKET_LISTEN];
	if ((ret = parse_hostport("socket", key, v, o->sock.mode == NET_SOCKET_LISTEN,
				  &o->sock.addr, err, errlen)))
		return ret;
	if ((ret = take_str(kv, n, "socket", "localaddr", &local, err, errlen)))
		return ret;
	switch (o->sock.mode) {
	case NET_SOCKET_UDP:
		if (!local)
			return net_err(err, errlen, -EINVAL,
				       "-netdev socket: udp= needs localaddr=HOST:PORT.");
		o->sock.has_localaddr = true;
		return parse_hostport("socket", "localaddr", local, true, &o->sock.localaddr,
				      err, errlen);
	case NET_SOCKET_MCAST:
		if (!local)
			return 0;
		if (strlen(local) >= sizeof(o->sock.localaddr.host))
			return net_err(err, errlen, -EINVAL,
				       "-netdev socket: localaddr= is too long.");
		strcpy(o->sock.localaddr.host, local);
		o->sock.has_localaddr = true;
		return 0;
	default:
		if (local)
			return net_err(err, errlen, -EINVAL,
				       "-netdev socket: localaddr= applies only to mcast= and udp=.");
		return 0;
	}
}

static int parse_hubport(struct kv *kv, int n, struct net_netdev_opts *o, char *err,
			 size_t errlen)
{
	const char *hubid, *nd;
	int ret;
	if ((ret = take_str(kv, n, "hubport", "hubid", &hubid, err, errlen)) ||
	    (ret = take_str(kv, n, "hubport", "netdev", &nd, err, errlen)))
		return ret;
	if (!hubid)
		return net_err(err, errlen, -EINVAL, "-netdev hubport: hubid= is missing.");
	char *end;
	errno = 0;
	long h = strtol(hubid, &end, 10);
	if (!*hubid || *end || errno || h < 0 || h > 0x7fffffff)
		return net_err(err, errlen, -EINVAL,
			       "-netdev hubport: hubid=%s is not a non-negative number.", hubid);
	o->hub.hubid = (int)h;
	if (nd) {
		if (strlen(nd) >= sizeof(o->hub.netdev))
			return net_err(err, errlen, -EINVAL, "-netdev hubport: netdev= is too long.");
		strcpy(o->hub.netdev, nd);
	}
	return 0;
}

int net_parse_netdev(const char *spec, struct net_netdev_opts *out, char *err, size_t errlen)
{
	struct kv kv[MAX_OPTS];
	int n = 0, ret;
	char *type = NULL;
	if (!spec)
		return net_err(err, errlen, -EINVAL, "-netdev: empty argument.");
	char *buf = strdup(spec);
	if (!buf)
		return net_err(err, errlen, -ENOMEM, "-netdev: out of memory.");
	memset(out, 0, sizeof(*out));
	if ((ret = split(buf, &type, kv, &n, err, errlen)))
		goto done;
	int (*fn)(struct kv *, int, struct net_netdev_opts *, char *, size_t) = NULL;
	if (!strcmp(type, "tap")) {
		out->type = NET_NETDEV_TAP;
		fn = parse_tap;
	} else if (!strcmp(type, "socket")) {
		out->type = NET_NETDEV_SOCKET;
		fn = parse_socket;
	} else if (!strcmp(type, "hubport")) {
		out->type = NET_NETDEV_HUBPORT;
		fn = parse_hubport;
	} else {
		ret = net_err(err, errlen, -EINVAL,
			      "-netdev: unknown type '%s' (ringvm has tap, socket and hubport).",
			      type);
		goto done;
	}
	const char *id;
	if ((ret = take_str(kv, n, type, "id", &id, err, errlen)) ||
	    (ret = check_id(type, id, err, errlen)))
		goto done;
	strcpy(out->id, id);
	if ((ret = fn(kv, n, out, err, errlen)))
		goto done;
	for (int i = 0; i < n; i++)
		if (!kv[i].used) {
			ret = net_err(err, errlen, -EINVAL, "-netdev %s: unknown option '%s'.", type,
				      kv[i].key);
			goto done;
		}
done:
	free(buf);
	return ret;
}

int net_parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen)
{
	const char *p = s ? s : "";
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    (i < 5 && p[2] != ':') || (i == 5 && p[2] != '\0'))
			return net_err(err, errlen, -EINVAL,
				       "mac=%s is not a MAC address like 52:54:00:12:34:56.", s ? s : "");
		char hex[3] = { p[0], p[1], 0 };
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
		p += 3;
	}
	if (mac[0] & 1)
		return net_err(err, errlen, -EINVAL,
			       "mac=%s is a multicast address; a NIC needs a unicast one "
			       "(first octet even).", s);
	return 0;
}
