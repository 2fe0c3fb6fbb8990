/*
 * nic.c - the -nic shorthand: "-nic TYPE[,backend options][,model=M][,mac=MAC]"
 * is one -netdev (with a generated id) plus the NIC that uses it, as in
 * QEMU. "-nic none" asks for no NIC. Pure functions: any thread.
 */
#include "net-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Move "key=value" options model= and mac= out of spec; the rest, with
 * the same ",," escapes, goes to rest (same size as spec + room for id). */
static int split_nic(const char *spec, char *rest, size_t restlen, char *model,
		     size_t modellen, char *mac, size_t maclen, char *err, size_t errlen)
{
	size_t w = 0;
	const char *p = spec;
	bool first = true;
	while (*p || first) {
		/* one option, up to an unescaped comma */
		char opt[512];
		size_t n = 0;
		while (*p && !(*p == ',' && p[1] != ',')) {
			if (*p == ',') /* ",," */
				p++;
			if (n + 1 >= sizeof(opt))
				return net_err(err, errlen, -EINVAL, "-nic: an option is too long.");
			opt[n++] = *p++;
		}
		opt[n] = '\0';
		if (*p == ',')
			p++;
		char *dst = NULL;
		size_t dlen = 0;
		if (!first && !strncmp(opt, "model=", 6)) {
			dst = model, dlen = modellen;
		} else if (!first && !strncmp(opt, "mac=", 4)) {
			dst = mac, dlen = maclen;
		} else if (!first && (!strncmp(opt, "id=", 3) || !strcmp(opt, "id"))) {
			return net_err(err, errlen, -EINVAL,
				       "-nic: id= is not allowed (use -netdev and -device to name it).");
		}
		if (dst) {
			const char *v = strchr(opt, '=') + 1;
			if (strlen(v) >= dlen || !*v)
				return net_err(err, errlen, -EINVAL, "-nic: %s is empty or too long.", opt);
			strcpy(dst, v);
		} else {
			/* re-escape commas inside the value */
			for (size_t i = 0; i <= n; i++) {
				if (w + 3 >= restlen)
					return net_err(err, errlen, -EINVAL, "-nic: the option list is too long.");
				if (i == n) {
					rest[w++] = ',';
					break;
				}
				if (opt[i] == ',')
					rest[w++] = ',';
				rest[w++] = opt[i];
			}
		}
		first = false;
	}
	if (w)
		w--; /* the trailing comma */
	rest[w] = '\0';
	return 0;
}

int net_parse_nic(const char *spec, unsigned index, struct net_nic_opts *out, char *err,
		  size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!spec || !*spec)
		return net_err(err, errlen, -EINVAL, "-nic: give a type (tap, socket, hubport or none).");
	size_t cap = strlen(spec) + 32;
	char *rest = malloc(cap), *full = malloc(cap + 32);
	char mac[32] = "";
	int ret = -ENOMEM;
	if (!rest || !full) {
		net_err(err, errlen, ret, "-nic: out of memory.");
		goto out;
	}
	ret = split_nic(spec, rest, cap, out->model, sizeof(out->model), mac, sizeof(mac), err,
			errlen);
	if (ret)
		goto out;
	if (!strcmp(rest, "none")) {
		out->none = true;
		goto out;
	}
	if (!out->model[0])
		strcpy(out->model, "virtio-net-device");
	if (mac[0] && (ret = net_parse_mac(mac, out->mac, err, errlen)))
		goto out;
	out->has_mac = mac[0] != '\0';
	/* TYPE,id=nicN,rest-of-options */
	char *comma = strchr(rest, ',');
	size_t tl = comma ? (size_t)(comma - rest) : strlen(rest);
	snprintf(full, cap + 32, "%.*s,id=nic%u%s", (int)tl, rest, index, comma ? comma : "");
	ret = net_parse_netdev(full, &out->netdev, err, errlen);
	if (ret && err && !strncmp(err, "-netdev", 7)) { /* speak of what the user typed */
		memmove(err + 4, err + 7, strlen(err + 7) + 1);
		memcpy(err, "-nic", 4);
	}
out:
	free(rest);
	free(full);
	return ret;
}
