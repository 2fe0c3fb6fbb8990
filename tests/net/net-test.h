/*
 * net-test.h - shared pieces of the net tests: a loop + engine fixture, a
 * private network namespace, and a "capture" port that plays the NIC:
 * it records every frame it is given and can refuse frames (-EAGAIN) to
 * exercise flow control.
 */
#ifndef RINGVM_NET_TEST_H
#define RINGVM_NET_TEST_H

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "net/net.h"

struct nt {
	struct loop *loop;
	struct aio_engine *e;
};

/* Loop + engine; engine from name ("io_uring", "threads", ... or NULL = auto). */
static inline void nt_open(struct nt *f, const char *engine)
{
	enum aio_engine_kind kind = AIO_ENGINE_AUTO;
	struct loop_opts o = { 0 };
	if (engine)
		REQUIRE(aio_engine_parse(engine, &kind) == 0);
	if (kind == AIO_ENGINE_NATIVE || kind == AIO_ENGINE_THREADS)
		o.poller = LOOP_POLLER_EPOLL;
	if (loop_new(&f->loop, &o) < 0)
		t_skip("this host has no such poller");
	int ret = aio_engine_open(&f->e, f->loop, kind);
	if (ret == -ENOSYS || ret == -EPERM)
		t_skip("this host lacks the engine");
	REQUIRE(ret == 0);
}

static inline void nt_close(struct nt *f)
{
	aio_engine_close(f->e);
	loop_free(f->loop);
}

/* Become root of a fresh network namespace with lo up; skip (77) when we
 * cannot. Self-cleaning: the namespace dies with the process. */
static inline void nt_netns(void)
{
	if (geteuid() != 0)
		t_skip("needs root (network namespaces)");
	if (unshare(CLONE_NEWNET) < 0)
		t_skip("cannot unshare a network namespace");
	if (system("ip link set lo up") != 0)
		t_skip("the ip command (iproute2) is missing or failed");
}

static inline void nt_need_tun(void)
{
	struct stat st;
	if (stat("/dev/net/tun", &st) < 0)
		t_skip("/dev/net/tun is missing");
}

/* Run a shell command; fail the test if it fails. */
static inline void nt_sh(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
		exit(1);
	}
}

/* ---- the capture port ---------------------------------------------------- */

#define NT_MAX_FRAMES 4096

struct nt_frame {
	size_t len;
	uint8_t *data; /* malloc'd copy, vnet header included when present */
};

struct nt_cap {
	struct net_port port;
	struct nt_frame frames[NT_MAX_FRAMES];
	unsigned count;
	unsigned refuse_every; /* refuse every Nth offered frame once (0 = never) */
	unsigned offered;
	bool refused_pending;  /* we refused; resume owed on next nt_cap_resume */
	int link_ups, link_downs;
	bool resumed;          /* our peer resumed us (ops->resume) */
	bool (*filter)(const uint8_t *f, size_t len); /* keep only matching */
};

static inline int nt_cap_receive(struct net_port *p, const struct iovec *iov, int iovcnt)
{
	struct nt_cap *c = p->opaque;
	c->offered++;
	if (c->refuse_every && c->offered % c->refuse_every == 0) {
		c->refused_pending = true;
		return -EAGAIN;
	}
	size_t len = net_iov_size(iov, iovcnt);
	uint8_t *d = malloc(len ? len : 1);
	REQUIRE(d);
	net_iov_copy(d, len, iov, iovcnt, 0);
	if ((c->filter && !c->filter(d, len)) || c->count == NT_MAX_FRAMES) {
		free(d);
		return 0;
	}
	c->frames[c->count].len = len;
	c->frames[c->count++].data = d;
	return 0;
}

static inline void nt_cap_on_resume(struct net_port *p)
{
	((struct nt_cap *)p->opaque)->resumed = true;
}

static inline void nt_cap_on_link(struct net_port *p, bool up)
{
	struct nt_cap *c = p->opaque;
	if (up)
		c->link_ups++;
	else
		c->link_downs++;
}

static const struct net_port_ops nt_cap_ops = {
	.receive = nt_cap_receive,
	.resume = nt_cap_on_resume,
	.link_changed = nt_cap_on_link,
};

static inline void nt_cap_init(struct nt_cap *c, const char *name, bool hdr)
{
	memset(c, 0, sizeof(*c));
	net_port_init(&c->port, &nt_cap_ops, c, name, hdr);
}

static inline void nt_cap_clear(struct nt_cap *c)
{
	for (unsigned i = 0; i < c->count; i++)
		free(c->frames[i].data);
	c->count = 0;
}

/* Let the backend send again after a refusal (what a NIC does when the
 * guest adds rx buffers). */
static inline void nt_cap_resume(struct nt_cap *c)
{
	if (c->refused_pending) {
		c->refused_pending = false;
		net_port_resume(&c->port);
	}
}

/* Run the loop until cond(arg) or ms elapse; returns cond's last value. */
static inline bool nt_run_until(struct nt *f, bool (*cond)(void *), void *arg, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	while (!cond(arg)) {
		uint64_t now = loop_now_ns();
		if (now >= end)
			return false;
		REQUIRE(loop_run_once(f->loop, (int64_t)(end - now < 10000000 ? end - now
								     : 10000000)) >= 0);
	}
	return true;
}

/* Run the loop for ms regardless. */
static inline void nt_run_for(struct nt *f, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	for (uint64_t now; (now = loop_now_ns()) < end;)
		REQUIRE(loop_run_once(f->loop, (int64_t)(end - now)) >= 0);
}

/* Internet checksum (RFC 1071). */
static inline uint16_t nt_csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline bool nt_cap_has(void *arg)
{
	struct nt_cap *c = arg;
	return c->count > 0;
}

#endif
