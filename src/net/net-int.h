/*
 * net-int.h - what the backends in src/net share and nobody else sees.
 *
 * A backend is a struct net_backend embedded first in its own state; the
 * registry and tests handle it only through net_backend_port/close.
 * Threading: loop thread only, like everything in src/net.
 */
#ifndef RINGVM_NET_INT_H
#define RINGVM_NET_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "net.h"

struct net_backend_ops {
	const char *kind;
	void (*close)(struct net_backend *b); /* cancel, drain, free */
	const char *(*ifname)(struct net_backend *b);
};

struct net_backend {
	const struct net_backend_ops *ops;
	struct aio_engine *engine;
	struct net_port port;
	char name[112]; /* "tap n0" etc., for log sentences */
};

/* One log line on stderr, prefixed "ringvm: net: NAME: ". */
void net_log(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* snprintf into err (which may be NULL) and return -EINVAL-like code ret. */
int net_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
