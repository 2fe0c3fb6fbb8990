/*
 * parse.c - QEMU-style -chardev and -serial option strings to chr_spec.
 *
 * -chardev BACKEND,id=ID[,key=value...]: values run to the next ',' and
 * ",," is a literal comma. Booleans take on/off (also yes/no, true/false);
 * the old bare forms "server", "nowait", "nodelay" are accepted too.
 * -serial takes the shorthands listed in backends.h. Every error is one
 * sentence naming the chardev and the option.
 *
 * Threading: pure functions, any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "char/backends.h"
#include "char/char-int.h"

struct kv {
	char key[32];
	char val[CHR_PATH_MAX];
	bool bare; /* "server" with no '=' */
};

/* Take the next "key[=value]" from *p; ",," is a comma. false at the end
 * or on an over-long item (then *too_long). */
static bool next_item(const char **p, struct kv *kv, bool *too_long)
{
	const char *s = *p;
	size_t k = 0, v = 0;
	bool in_val = false;

	*too_long = false;
	if (!*s)
		return false;
	memset(kv, 0, sizeof(*kv));
	kv->bare = true;
	for (; *s; s++) {
		char c = *s;

		if (c == ',') {
			if (s[1] != ',')
				break;
			s++; /* ",," -> ',' */
		} else if (c == '=' && !in_val) {
			in_val = true;
			kv->bare = false;
			continue;
		}
		if (!in_val && k + 1 < sizeof(kv->key))
			kv->key[k++] = c;
		else if (in_val && v + 1 < sizeof(kv->val))
			kv->val[v++] = c;
		else
			*too_long = true;
	}
	*p = *s ? s + 1 : s;
	return true;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "on", "yes", "true", "y" };
	static const char *no[] = { "off", "no", "false", "n" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return (*end || errno || *out > max) ? -EINVAL : 0;
}

static const char *kind_name(enum chr_kind k)
{
	static const char *names[] = { "null", "stdio", "file", "pipe", "pty", "socket",
				       "chardev" };
	return names[k];
}

static const char *label(const struct chr_spec *s)
{
	return s->id[0] ? s->id : kind_name(s->kind);
}

/* Does this option belong to this backend? */
static bool allowed(enum chr_kind k, const char *key)
{
	static const struct { enum chr_kind kind; const char *keys; } tab[] = {
		{ CHR_KIND_NULL, "" },
		{ CHR_KIND_STDIO, " signal " },
		{ CHR_KIND_FILE, " path append " },
		{ CHR_KIND_PIPE, " path server client " },
		{ CHR_KIND_PTY, "" },
		{ CHR_KIND_SOCKET, " path host port server wait nodelay reconnect reconnect-ms " },
	};
	char pat[40];

	if (!strcmp(key, "id") || !strcmp(key, "mux"))
		return true;
	snprintf(pat, sizeof(pat), " %s ", key);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].kind == k)
			return strstr(tab[i].keys, pat) != NULL;
	return false;
}

static int set_str(struct chr_spec *s, const struct kv *kv, char *dst, size_t cap,
		   char *err, size_t errlen)
{
	if (kv->bare || !kv->val[0] || strlen(kv->val) >= cap) {
		chr_err(err, errlen, "chardev '%s': %s= needs a value of 1 to %zu characters",
			label(s), kv->key, cap - 1);
		return -EINVAL;
	}
	strcpy(dst, kv->val);
	if (dst == s->path && s->kind == CHR_KIND_SOCKET)
		s->is_unix = true;
	return 0;
}

/* Apply one option; the key is known to be allowed. */
static int apply(struct chr_spec *s, struct kv *kv, char *err, size_t errlen)
{
	bool b = true;
	unsigned long n;

	/* Legacy bare flags. */
	if (kv->bare && !strcmp(kv->key, "nowait")) {
		s->wait = false;
		return 0;
	}
	if (!strcmp(kv->key, "id")) {
		if (!kv->val[0] || strlen(kv->val) >= sizeof(s->id)) {
			chr_err(err, errlen, "chardev id '%s' must be 1 to %zu characters",
				kv->val, sizeof(s->id) - 1);
			return -EINVAL;
		}
		strcpy(s->id, kv->val);
		return 0;
	}
	if (!strcmp(kv->key, "path"))
		return set_str(s, kv, s->path, sizeof(s->path), err, errlen);
	if (!strcmp(kv->key, "host"))
		return set_str(s, kv, s->host, sizeof(s->host), err, errlen);
	if (!strcmp(kv->key, "port"))
		return set_str(s, kv, s->port, sizeof(s->port), err, errlen);
	if (!strcmp(kv->key, "reconnect") || !strcmp(kv->key, "reconnect-ms")) {
		bool ms = kv->key[9] == '-';

		if (parse_uint(kv->val, ms ? 86400000ul : 86400ul, &n) < 0) {
			chr_err(err, errlen, "chardev '%s': %s='%s' is not a number of %s",
				label(s), kv->key, kv->val, ms ? "milliseconds" : "seconds");
			return -EINVAL;
		}
		s->reconnect_ms = (unsigned)(ms ? n : n * 1000);
		return 0;
	}
	if (!kv->bare && parse_bool(kv->val, &b) < 0) {
		chr_err(err, errlen, "chardev '%s': '%s=%s' must be on or off", label(s),
			kv->key, kv->val);
		return -EINVAL;
	}
	if (!strcmp(kv->key, "mux"))
		s->mux = b;
	else if (!strcmp(kv->key, "append"))
		s->append = b;
	else if (!strcmp(kv->key, "server"))
		s->server = b;
	else if (!strcmp(kv->key, "client"))
		s->client = b;
	else if (!strcmp(kv->key, "wait"))
		s->wait = b;
	else if (!strcmp(kv->key, "nodelay"))
		s->nodelay = b;
	else if (!strcmp(kv->key, "signal"))
		s->signal = b;
	return 0;
}

/* Cross-option checks once everything is read. */
static int check(struct chr_spec *s, char *err, size_t errlen)
{
	const char *l = label(s);

	if ((s->kind == CHR_KIND_FILE || s->kind == CHR_KIND_PIPE) && !s->path[0]) {
		chr_err(err, errlen, "chardev '%s' (%s) needs path=PATH", l, kind_name(s->kind));
		return -EINVAL;
	}
	if (s->kind == CHR_KIND_PIPE && s->server && s->client) {
		chr_err(err, errlen, "chardev '%s': a pipe is server=on or client=on, not both", l);
		return -EINVAL;
	}
	if (s->kind != CHR_KIND_SOCKET)
		return 0;
	if (s->is_unix && (s->host[0] || s->port[0])) {
		chr_err(err, errlen, "chardev '%s': path= (unix) and host=/port= (tcp) "
			"cannot be combined", l);
		return -EINVAL;
	}
	if (!s->is_unix && !s->port[0]) {
		chr_err(err, errlen, "chardev '%s' (socket) needs path=PATH (unix) or "
			"port=PORT (tcp)", l);
		return -EINVAL;
	}
	if (s->server && s->reconnect_ms) {
		chr_err(err, errlen, "chardev '%s': reconnect is for clients, not server=on", l);
		return -EINVAL;
	}
	return 0;
}

static int parse_opts(struct chr_spec *s, const char *p, char *err, size_t errlen)
{
	struct kv kv;
	bool too_long;
	int ret;

	while (next_item(&p, &kv, &too_long)) {
		if (too_long) {
			chr_err(err, errlen, "chardev '%s': option '%s' is too long", label(s),
				kv.key);
			return -EINVAL;
		}
		if (!kv.key[0]) {
			chr_err(err, errlen, "chardev '%s': empty option (stray comma?)", label(s));
			return -EINVAL;
		}
		if (!allowed(s->kind, kv.key) &&
		    !(kv.bare && !strcmp(kv.key, "nowait") && s->kind == CHR_KIND_SOCKET)) {
			chr_err(err, errlen, "chardev '%s' (%s) has no option '%s'", label(s),
				kind_name(s->kind), kv.key);
			return -EINVAL;
		}
		ret = apply(s, &kv, err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int kind_of(const char *name, enum chr_kind *out)
{
	static const char *names[] = { "null", "stdio", "file", "pipe", "pty", "socket" };

	for (int i = 0; i < 6; i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum chr_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void spec_init(struct chr_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->wait = true; /* QEMU's default for server=on */
}

int chr_parse_chardev(const char *spec, struct chr_spec *out, char *err, size_t errlen)
{
	char name[32];
	size_t n = strcspn(spec, ",");
	int ret;

	spec_init(out);
	if (!n || n >= sizeof(name)) {
		chr_err(err, errlen, "-chardev needs a backend first, e.g. socket,id=s0,...");
		return -EINVAL;
	}
	memcpy(name, spec, n);
	name[n] = 0;
	if (kind_of(name, &out->kind) < 0) {
		chr_err(err, errlen, "unknown chardev backend '%s' (ringvm has null, stdio, "
			"file, pipe, pty and socket)", name);
		return -EINVAL;
	}
	ret = parse_opts(out, spec + n + (spec[n] == ','), err, errlen);
	if (ret < 0)
		return ret;
	if (!out->id[0]) {
		chr_err(err, errlen, "-chardev %s needs id=ID", name);
		return -EINVAL;
	}
	return check(out, err, errlen);
}

/* "tcp:[HOST]:PORT[,opts]" after the "tcp:" */
static int parse_tcp(struct chr_spec *s, const char *p, char *err, size_t errlen)
{
	size_t alen = strcspn(p, ",");
	const char *colon, *hs = p, *he;

	if (*p == '[') {
		he = memchr(p, ']', alen);
		if (!he || he[1] != ':') {
			chr_err(err, errlen, "-serial tcp: bad address '%.*s' (want [HOST]:PORT)",
				(int)alen, p);
			return -EINVAL;
		}
		hs = p + 1;
		colon = he + 1;
	} else {
		colon = NULL;
		for (const char *q = p; q < p + alen; q++)
			if (*q == ':')
				colon = q;
		he = colon;
	}
	if (!colon || colon + 1 >= p + alen) {
		chr_err(err, errlen, "-serial tcp: needs a port, as in tcp:HOST:PORT or tcp::PORT");
		return -EINVAL;
	}
	if ((size_t)(he - hs) >= sizeof(s->host) ||
	    (size_t)(p + alen - colon - 1) >= sizeof(s->port)) {
		chr_err(err, errlen, "-serial tcp: host or port is too long");
		return -EINVAL;
	}
	memcpy(s->host, hs, (size_t)(he - hs));
	memcpy(s->port, colon + 1, (size_t)(p + alen - colon - 1));
	return parse_opts(s, p + alen + (p[alen] == ','), err, errlen);
}

/* "unix:PATH[,opts]" after the "unix:" */
static int parse_unix(struct chr_spec *s, const char *p, char *err, size_t errlen)
{
	struct kv kv;
	bool too_long;

	/* The path is the first item (",," escapes a comma in it). */
	if (!next_item(&p, &kv, &too_long) || !kv.bare || too_long || !kv.key[0]) {
		/* a path with '=' in it: take it raw up to the first comma */
		chr_err(err, errlen, "-serial unix: needs a path, as in unix:/tmp/ringvm.sock");
		return -EINVAL;
	}
	snprintf(s->path, sizeof(s->path), "%s", kv.key);
	s->is_unix = true;
	return parse_opts(s, p, err, errlen);
}

static int parse_serial_kind(const char *spec, struct chr_spec *out, bool *none,
			     char *err, size_t errlen)
{
	static const struct { const char *pfx; enum chr_kind kind; } path_forms[] = {
		{ "file:", CHR_KIND_FILE }, { "pipe:", CHR_KIND_PIPE },
	};

	if (!strcmp(spec, "none") || !strcmp(spec, "null")) {
		out->kind = CHR_KIND_NULL;
		*none = spec[1] == 'o';
		return 0;
	}
	if (!strcmp(spec, "stdio") || !strcmp(spec, "pty")) {
		out->kind = spec[0] == 's' ? CHR_KIND_STDIO : CHR_KIND_PTY;
		return 0;
	}
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(path_forms[i].pfx);

		if (!strncmp(spec, path_forms[i].pfx, n)) {
			out->kind = path_forms[i].kind;
			if (!spec[n] || strlen(spec + n) >= sizeof(out->path)) {
				chr_err(err, errlen, "-serial %.*s needs a path, as in %sPATH",
					(int)n - 1, spec, path_forms[i].pfx);
				return -EINVAL;
			}
			strcpy(out->path, spec + n);
			return 0;
		}
	}
	if (!strncmp(spec, "tcp:", 4)) {
		out->kind = CHR_KIND_SOCKET;
		return parse_tcp(out, spec + 4, err, errlen);
	}
	if (!strncmp(spec, "unix:", 5)) {
		out->kind = CHR_KIND_SOCKET;
		return parse_unix(out, spec + 5, err, errlen);
	}
	if (!strncmp(spec, "chardev:", 8)) {
		out->kind = CHR_KIND_REF;
		if (!spec[8] || strlen(spec + 8) >= sizeof(out->ref)) {
			chr_err(err, errlen, "-serial chardev: needs the id of a -chardev");
			return -EINVAL;
		}
		strcpy(out->ref, spec + 8);
		return 0;
	}
	chr_err(err, errlen, "unknown -serial device '%s' (ringvm has stdio, null, none, "
		"file:, pipe:, pty, tcp:, unix:, chardev: and mon:)", spec);
	return -EINVAL;
}

int chr_parse_serial(const char *spec, struct chr_spec *out, bool *none_out, char *err,
		     size_t errlen)
{
	bool none = false, mon = false;
	int ret;

	spec_init(out);
	if (!strncmp(spec, "mon:", 4)) {
		mon = true;
		spec += 4;
		if (!strncmp(spec, "mon:", 4) || !strncmp(spec, "chardev:", 8)) {
			chr_err(err, errlen, "-serial mon: takes a device such as mon:stdio");
			return -EINVAL;
		}
	}
	ret = parse_serial_kind(spec, out, &none, err, errlen);
	if (ret == 0 && none && mon) {
		chr_err(err, errlen, "-serial mon:none makes no sense; use mon:stdio");
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = check(out, err, errlen);
	if (ret < 0)
		return ret;
	out->mux = out->mon = mon;
	if (none_out)
		*none_out = none;
	return 0;
}
