/*
 * stream-backpressure.c - a NIC that stops taking frames on one end of a
 * stream link makes the sender on the other end wait instead of losing
 * frames: the receiving backend stops reading, TCP fills up, the sending
 * backend's buffers fill and it refuses its NIC (-EAGAIN). When the
 * receiver resumes, every frame arrives, in order, and the sender is told
 * to go on.
 */
#include "net-test.h"

#define FRAME 1500
#define LIMIT 40000 /* far more than socket buffers hold */

static struct nt_cap ca, cb;
static uint32_t next_seen;
static bool order_ok = true;

static bool check_seq(const uint8_t *f, size_t len)
{
	uint32_t seq;
	memcpy(&seq, f, 4);
	if (len != FRAME || seq != next_seen)
		order_ok = false;
	next_seen++;
	return false; /* counted, not kept */
}

static bool both_up(void *arg)
{
	(void)arg;
	return ca.link_ups == 1 && cb.link_ups == 1;
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

int main(void)
{
	t_timeout(60);
	nt_netns();
	struct nt f;
	nt_open(&f, NULL);
	struct net_backend *a = open_spec(&f, "socket,id=a,listen=127.0.0.1:7005");
	struct net_backend *b = open_spec(&f, "socket,id=b,connect=127.0.0.1:7005");
	nt_cap_init(&ca, "sender", false);
	nt_cap_init(&cb, "receiver", false);
	cb.filter = check_seq;
	REQUIRE(net_port_connect(&ca.port, net_backend_port(a)) == 0);
	REQUIRE(net_port_connect(&cb.port, net_backend_port(b)) == 0);
	REQUIRE(nt_run_until(&f, both_up, NULL, 5000));

	cb.refuse_every = 1; /* the receiving guest has no rx buffers */
	static uint8_t fr[FRAME];
	uint32_t sent = 0;
	struct iovec iov = { fr, sizeof(fr) };
	uint64_t end = loop_now_ns() + 20000000000ull;
	/* Send until the sender is refused and stays refused for a while. */
	int quiet_turns = 0;
	while (sent < LIMIT && quiet_turns < 50 && loop_now_ns() < end) {
		memcpy(fr, &sent, 4);
		if (net_port_send(&ca.port, &iov, 1) == 0) {
			sent++;
			quiet_turns = 0;
			continue;
		}
		ca.resumed = false;
		REQUIRE(loop_run_once(f.loop, 10000000) >= 0);
		if (!ca.resumed)
			quiet_turns++;
	}
	fprintf(stderr, "sent %u frames before the link pushed back\n", sent);
	CHECK(sent < LIMIT);                /* it did push back */
	CHECK_EQ(cb.offered, 1);            /* one refusal, then nothing until resume */
	CHECK(net_port_stats(&ca.port)->tx_refused > 0);

	/* The receiver gets rx buffers back: everything flows, in order. */
	cb.refuse_every = 0;
	nt_cap_resume(&cb);
	while (next_seen < sent && loop_now_ns() < end)
		REQUIRE(loop_run_once(f.loop, 10000000) >= 0);
	CHECK_EQ(next_seen, sent);
	CHECK(order_ok);
	CHECK_EQ(net_port_stats(&ca.port)->tx_drops, 0);
	CHECK_EQ(net_port_stats(net_backend_port(b))->tx_drops, 0);
	/* And the sender may send again. */
	memcpy(fr, &sent, 4);
	CHECK_EQ(net_port_send(&ca.port, &iov, 1), 0);

	net_backend_close(b);
	net_backend_close(a);
	nt_close(&f);
	return t_finish();
}
