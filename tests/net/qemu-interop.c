/*
 * qemu-interop.c - ringvm's socket backend speaks QEMU's stream framing:
 * a real qemu-system-riscv64 (a guest that only sleeps in WFI) listens on
 * two -netdev socket ports joined by a QEMU hub; two ringvm connectors
 * exchange frames of many sizes through it, both ways, intact and in order.
 *   qemu-interop stream: QEMU listens on both ports.
 *   qemu-interop mcast:  QEMU's first netdev is on a multicast group with a
 *                        ringvm mcast port (QEMU's datagram format, and its
 *                        frames pass our own-frame filter).
 * Skips (77) without root or without qemu-system-riscv64.
 */
#include "net-test.h"

#include <signal.h>
#include <sys/wait.h>

#define NFRAMES 200

static struct nt_cap ca, cb;

static unsigned probes[2], echoes;
static bool mcast;

static bool is_probe(const uint8_t *fr, size_t len)
{
	return len == 60 && fr[0] == 0xff && fr[1] == 0xff && fr[2] == 0xff && fr[3] == 0xff;
}

/* Capture filters: count probes per receiving side and our own frames
 * coming back (QEMU hears its own multicast and forwards it), keep the rest. */
static bool keep_a(const uint8_t *fr, size_t len)
{
	if (len > 4 && fr[4] == 1)
		return echoes++, false;
	return is_probe(fr, len) ? (probes[0]++, false) : true;
}

static bool keep_b(const uint8_t *fr, size_t len)
{
	if (len > 4 && fr[4] == 2)
		return echoes++, false;
	return is_probe(fr, len) ? (probes[1]++, false) : true;
}

static bool both_up(void *arg)
{
	(void)arg;
	return (mcast || ca.link_ups >= 1) && cb.link_ups >= 1; /* mcast: always up */
}

static bool both_have(void *arg)
{
	(void)arg;
	return ca.count >= NFRAMES && cb.count >= NFRAMES;
}

static size_t size_of(unsigned i)
{
	static const size_t big[] = { 60, 1514, 9014, 14, 65536, 4096, 61 };
	if (mcast) /* UDP on loopback: keep a burst within socket buffers */
		return 60 + (i * 7919u) % 1455;
	return i % 3 ? 60 + (i * 7919u) % 1455 : big[(i / 3) % 7];
}

static void fill(uint8_t *b, size_t len, unsigned i, unsigned dir)
{
	for (size_t k = 0; k < len; k++)
		b[k] = (uint8_t)(k * 31 + i * 7 + dir);
	memcpy(b, &i, 4);
	if (len > 4)
		b[4] = (uint8_t)dir;
}

static struct net_backend *open_spec(struct nt *f, const char *spec)
{
	struct net_netdev_opts o;
	char err[256];
	REQUIRE(net_parse_netdev(spec, &o, err, sizeof(err)) == 0);
	struct net_backend *b;
	REQUIRE(net_socket_open(&b, f->e, &o, err, sizeof(err)) == 0);
	return b;
}

static pid_t start_qemu(const char *dir)
{
	/* wfi; j .-4 : the guest sleeps, so QEMU idles while it switches frames. */
	static const uint8_t code[] = { 0x73, 0x00, 0x50, 0x10, 0x6f, 0xf0, 0xdf, 0xff };
	char img[256];
	snprintf(img, sizeof(img), "%s/wfi.bin", dir);
	FILE *fp = fopen(img, "wb");
	REQUIRE(fp && fwrite(code, 1, sizeof(code), fp) == sizeof(code));
	fclose(fp);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		execlp("qemu-system-riscv64", "qemu-system-riscv64", "-M", "virt", "-bios", "none",
		       "-kernel", img, "-display", "none", "-monitor", "none", "-serial", "none",
		       "-netdev", mcast ? "socket,id=a,mcast=239.192.9.9:7110,localaddr=127.0.0.1"
				: "socket,id=a,listen=127.0.0.1:7101",
		       "-netdev", "socket,id=b,listen=127.0.0.1:7102",
		       "-netdev", "hubport,id=h0,hubid=0,netdev=a",
		       "-netdev", "hubport,id=h1,hubid=0,netdev=b", (char *)NULL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	t_timeout(60);
	mcast = argc >= 2 && !strcmp(argv[1], "mcast");
	if (system("command -v qemu-system-riscv64 >/dev/null 2>&1") != 0)
		t_skip("qemu-system-riscv64 is not installed");
	nt_netns();
	if (mcast)
		nt_sh("ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo");
	struct nt f;
	nt_open(&f, NULL);
	pid_t qemu = start_qemu(t_tmpdir());
	/* Connectors retry once a second until QEMU listens. */
	struct net_backend *a = open_spec(&f, mcast
		? "socket,id=a,mcast=239.192.9.9:7110,localaddr=127.0.0.1"
		: "socket,id=a,connect=127.0.0.1:7101");
	struct net_backend *b = open_spec(&f, "socket,id=b,connect=127.0.0.1:7102");
	nt_cap_init(&ca, "nic-a", false);
	nt_cap_init(&cb, "nic-b", false);
	REQUIRE(net_port_connect(&ca.port, net_backend_port(a)) == 0);
	REQUIRE(net_port_connect(&cb.port, net_backend_port(b)) == 0);
	if (!nt_run_until(&f, both_up, NULL, 15000)) {
		kill(qemu, SIGKILL);
		REQUIRE(!"QEMU did not accept both connections");
	}
	/* Connected is not accepted: QEMU plugs each socket into its hub when it
	 * accepts it. Probe both ways until a probe gets through each way. */
	ca.filter = keep_a;
	cb.filter = keep_b;
	for (int i = 0; i < 100 && !(probes[0] && probes[1]); i++) {
		uint8_t p[60];
		memset(p, 0xff, sizeof(p));
		struct iovec iov = { p, sizeof(p) };
		net_port_send(&ca.port, &iov, 1);
		net_port_send(&cb.port, &iov, 1);
		nt_run_for(&f, 100);
	}
	REQUIRE(probes[0] && probes[1]);
	nt_run_for(&f, 100); /* late probes */

	static uint8_t buf[65536];
	unsigned na = 0, nb = 0;
	uint64_t end = loop_now_ns() + 30000000000ull;
	while (!both_have(NULL) && loop_now_ns() < end) {
		unsigned burst = mcast ? 2 : NFRAMES; /* UDP: pace, QEMU reads one per poll */
		for (unsigned k = 0; na < NFRAMES && k < burst; k++) {
			fill(buf, size_of(na), na, 1);
			struct iovec iov = { buf, size_of(na) };
			if (net_port_send(&ca.port, &iov, 1))
				break; /* queue full: retry next turn */
			na++;
		}
		for (unsigned k = 0; nb < NFRAMES && k < burst; k++) {
			fill(buf, size_of(nb), nb, 2);
			struct iovec iov = { buf, size_of(nb) };
			if (net_port_send(&cb.port, &iov, 1))
				break;
			nb++;
		}
		if (mcast)
			nt_run_for(&f, 2);
		else
			REQUIRE(loop_run_once(f.loop, 10000000) >= 0);
	}
	CHECK_EQ(cb.count, NFRAMES);
	CHECK_EQ(ca.count, NFRAMES);
	struct nt_cap *rx[2] = { &cb, &ca };
	for (unsigned d = 0; d < 2; d++)
		for (unsigned i = 0; i < rx[d]->count; i++) {
			fill(buf, size_of(i), i, d + 1);
			const struct nt_frame *fr = &rx[d]->frames[i];
			if (fr->len != size_of(i) || memcmp(fr->data, buf, fr->len)) {
				fprintf(stderr, "dir %u frame %u differs (len %zu)\n", d, i, fr->len);
				t_failures++;
				break;
			}
		}
	if (echoes)
		fprintf(stderr, "%u of our own frames came back through QEMU (ignored)\n", echoes);
	kill(qemu, SIGTERM);
	int st;
	waitpid(qemu, &st, 0);
	net_backend_close(a);
	net_backend_close(b);
	nt_cap_clear(&ca);
	nt_cap_clear(&cb);
	nt_close(&f);
	return t_finish();
}
