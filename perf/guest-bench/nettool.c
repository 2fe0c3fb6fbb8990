/*
 * nettool.c - TCP and UDP load for the network tests and benchmarks, built both
 * for the test guest (guest/mkinitramfs.sh, riscv64) and for the host
 * (perf/guest-bench/CMakeLists.txt), so both ends speak the same protocol.
 *
 * TCP: the sender connects, sends BYTES bytes of a fixed pseudo-random stream,
 * shuts down its write side and waits for the sink's one-line reply
 * "bytes N hash H\n". Its time therefore ends when the sink has received
 * everything, not when the last byte was queued locally. The sink accepts one
 * connection, reads to EOF, replies and closes. With -c both ends hash the
 * stream (FNV-1a 64) and the sender fails unless count and hash match; without
 * it the hash is 0 (the benchmark does not pay for it in an emulated guest).
 *
 * UDP: udpsend fires SIZE-byte datagrams for SECONDS (sendmmsg batches);
 * udpsink counts datagrams until IDLE seconds pass without one and reports
 * the rate between the first and the last.
 *
 * Every mode prints one line starting with "NETTOOL" and exits non-zero on a
 * failure. A whole run is bounded by -t SECONDS (default 600) via alarm().
 *
 * Usage:
 *   nettool [-c] [-t S] send HOST PORT MIB
 *   nettool [-c] [-t S] sink PORT
 *   nettool [-t S] udpsend HOST PORT SIZE SECONDS
 *   nettool [-t S] udpsink PORT IDLE
 *
 * Single-threaded, blocking sockets; no state outside main's frame.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PERIOD 65537u /* prime: the pattern never lines up with buffer sizes */
#define CHUNK 65536u
#define BATCH 64

static int check_hash;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	printf("NETTOOL-FAIL %s: %s\n", what, strerror(errno));
	return 1;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* PERIOD bytes of xorshift output, repeated once so that any CHUNK-long slice
 * starting below PERIOD is contiguous. */
static unsigned char *pattern(void)
{
	unsigned char *p = malloc(PERIOD + CHUNK);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	if (!p)
		return NULL;
	for (unsigned i = 0; i < PERIOD; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p[i] = (unsigned char)(x >> 32);
	}
	memcpy(p + PERIOD, p, CHUNK);
	return p;
}

static int addr_of(const char *host, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	if (!host)
		return 0;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		printf("NETTOOL-FAIL bad IPv4 address '%s'\n", host);
		return -1;
	}
	return 0;
}

static int tcp_send(const char *host, const char *port, uint64_t total)
{
	struct sockaddr_in sa;
	unsigned char *pat = pattern();
	uint64_t sent = 0, h = 0xcbf29ce484222325ull, rn = 0, rh = 0;
	char reply[128];
	size_t got = 0;
	int s;

	if (!pat || addr_of(host, port, &sa) < 0)
		return 1;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		return fail("connect");
	double t0 = now();
	while (sent < total) {
		size_t off = sent % PERIOD;
		size_t n = total - sent < CHUNK ? (size_t)(total - sent) : CHUNK;
		ssize_t w = write(s, pat + off, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail("write");
		if (check_hash)
			h = fnv(h, pat + off, (size_t)w);
		sent += (uint64_t)w;
	}
	shutdown(s, SHUT_WR);
	for (;;) { /* the reply ends at the sink's close */
		ssize_t r = read(s, reply + got, sizeof reply - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("read reply");
		if (r == 0 || (got += (size_t)r) == sizeof reply - 1)
			break;
	}
	double dt = now() - t0;
	reply[got] = 0;
	if (sscanf(reply, "bytes %" SCNu64 " hash %" SCNx64, &rn, &rh) != 2) {
		printf("NETTOOL-FAIL no reply from the sink (got '%s')\n", reply);
		return 1;
	}
	if (!check_hash)
		h = 0;
	if (rn != sent || rh != h) {
		printf("NETTOOL-FAIL sent %" PRIu64 " bytes hash %016" PRIx64
		       ", sink got %" PRIu64 " hash %016" PRIx64 "\n", sent, h, rn, rh);
		return 1;
	}
	printf("NETTOOL send bytes %" PRIu64 " hash %016" PRIx64 " seconds %.3f mbps %.1f\n",
	       sent, h, dt, (double)sent * 8 / dt / 1e6);
	close(s);
	free(pat);
	return 0;
}

static int tcp_sink(const char *port)
{
	struct sockaddr_in sa;
	static unsigned char buf[1 << 18];
	uint64_t n = 0, h = 0xcbf29ce484222325ull;
	double t0 = 0;
	int one = 1, ls, c;
	char reply[80];

	addr_of(NULL, port, &sa);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		return fail("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 1) < 0)
		return fail("listen");
	printf("NETTOOL-LISTEN %s\n", port);
	fflush(stdout);
	c = accept(ls, NULL, NULL);
	if (c < 0)
		return fail("accept");
	for (;;) {
		ssize_t r = read(c, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail("read");
		if (r == 0)
			break;
		if (!n)
			t0 = now();
		if (check_hash)
			h = fnv(h, buf, (size_t)r);
		n += (uint64_t)r;
	}
	double dt = now() - t0;
	if (!check_hash)
		h = 0;
	int len = snprintf(reply, sizeof reply, "bytes %" PRIu64 " hash %016" PRIx64 "\n", n, h);
	if (write(c, reply, (size_t)len) != len)
		return fail("write reply");
	printf("NETTOOL sink bytes %" PRIu64 " hash %016" PRIx64 " seconds %.3f mbps %.1f\n",
	       n, h, dt, n && dt > 0 ? (double)n * 8 / dt / 1e6 : 0.0);
	close(c);
	close(ls);
	return 0;
}

static int udp_send(const char *host, const char *port, int size, double secs)
{
	struct sockaddr_in sa;
	static unsigned char buf[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	uint64_t sent = 0, errs = 0;
	int s;

	if (size < 1 || size > 2048 || addr_of(host, port, &sa) < 0) {
		printf("NETTOOL-FAIL bad size or address\n");
		return 1;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		return fail("connect");
	memset(m, 0, sizeof m);
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ buf[i], (size_t)size };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	double t0 = now(), t;
	while ((t = now()) - t0 < secs) {
		for (int i = 0; i < BATCH; i++)
			memcpy(buf[i], &sent, sizeof sent < (size_t)size ? sizeof sent : (size_t)size);
		int r = sendmmsg(s, m, BATCH, 0);
		if (r > 0)
			sent += (uint64_t)r;
		else if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED || errno == EINTR)
			errs++;
		else
			return fail("sendmmsg");
	}
	printf("NETTOOL udpsend packets %" PRIu64 " seconds %.3f pps %.0f errors %" PRIu64 "\n",
	       sent, t - t0, (double)sent / (t - t0), errs);
	close(s);
	return 0;
}

static int udp_sink(const char *port, double idle)
{
	struct sockaddr_in sa;
	static unsigned char buf[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct timeval tv = { (time_t)idle, (suseconds_t)((idle - (time_t)idle) * 1e6) };
	uint64_t n = 0, bytes = 0;
	double first = 0, last = 0;
	int s = socket(AF_INET, SOCK_DGRAM, 0), sz = 8 << 20;

	addr_of(NULL, port, &sa);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		return fail("bind");
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	memset(m, 0, sizeof m);
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ buf[i], sizeof buf[i] };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	printf("NETTOOL-LISTEN %s\n", port);
	fflush(stdout);
	for (;;) {
		int r = recvmmsg(s, m, BATCH, 0, NULL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break; /* idle: the sender is done */
		if (r < 0)
			return fail("recvmmsg");
		if (!n) { /* from now on, stop after `idle` seconds of silence */
			first = now();
			setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		}
		last = now();
		for (int i = 0; i < r; i++)
			bytes += m[i].msg_len;
		n += (uint64_t)r;
	}
	double dt = last - first;
	printf("NETTOOL udpsink packets %" PRIu64 " bytes %" PRIu64 " seconds %.3f pps %.0f\n",
	       n, bytes, dt, n > 1 && dt > 0 ? (double)(n - 1) / dt : 0.0);
	close(s);
	return n ? 0 : 1;
}

int main(int argc, char **argv)
{
	int opt, limit = 600;

	while ((opt = getopt(argc, argv, "ct:")) != -1) {
		if (opt == 'c')
			check_hash = 1;
		else if (opt == 't')
			limit = atoi(optarg);
		else
			goto usage;
	}
	argc -= optind, argv += optind;
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm((unsigned)limit);
	if (argc == 4 && !strcmp(argv[0], "send"))
		return tcp_send(argv[1], argv[2], (uint64_t)strtoull(argv[3], NULL, 0) << 20);
	if (argc == 2 && !strcmp(argv[0], "sink"))
		return tcp_sink(argv[1]);
	if (argc == 5 && !strcmp(argv[0], "udpsend"))
		return udp_send(argv[1], argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 3 && !strcmp(argv[0], "udpsink"))
		return udp_sink(argv[1], atof(argv[2]));
usage:
	fprintf(stderr, "usage: nettool [-c] [-t S] send HOST PORT MIB | sink PORT |"
			" udpsend HOST PORT SIZE SECONDS | udpsink PORT IDLE\n");
	return 2;
}
