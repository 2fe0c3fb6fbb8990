/*
 * registry-hub-bridge.c - the registry opens netdevs and wires
 * "hubport,netdev=X" to backend X: a NIC on one hub port reaches a UDP
 * backend plugged into the same hub, and back. A netdev= naming nothing,
 * or a backend already plugged elsewhere, is refused with one sentence.
 */
#include "net-test.h"

static struct nt_cap nic, far;

static bool got(void *arg)
{
	(void)arg;
	return nic.count >= 1 && far.count >= 1;
}

int main(void)
{
	t_timeout(20);
	nt_netns();
	struct nt f;
	nt_open(&f, NULL);
	char err[256];

	struct net_registry *r;
	REQUIRE(net_registry_new(&r) == 0);
	const char *specs[] = {
		"socket,id=u1,udp=127.0.0.1:7031,localaddr=127.0.0.1:7030",
		"hubport,id=h0,hubid=0,netdev=u1",
		"hubport,id=h1,hubid=0",
		"socket,id=u2,udp=127.0.0.1:7030,localaddr=127.0.0.1:7031",
	};
	for (int i = 0; i < 4; i++)
		REQUIRE(net_registry_add_spec(r, specs[i], err, sizeof(err)) == 0);
	int ret = net_registry_open(r, f.e, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s\n", err);
	REQUIRE(ret == 0);
	nt_cap_init(&nic, "nic", false);
	nt_cap_init(&far, "far", false);
	REQUIRE(net_port_connect(&nic.port, net_registry_find(r, "h1")) == 0);
	REQUIRE(net_port_connect(&far.port, net_registry_find(r, "u2")) == 0);
	/* u1 is taken by the hub: a NIC cannot have it too. */
	CHECK_EQ(net_port_connect(&far.port, net_registry_find(r, "u1")), -EBUSY);

	uint8_t a[80], b[90];
	memset(a, 0xa1, sizeof(a));
	memset(b, 0xb2, sizeof(b));
	struct iovec ia = { a, sizeof(a) }, ib = { b, sizeof(b) };
	CHECK_EQ(net_port_send(&nic.port, &ia, 1), 0);
	CHECK_EQ(net_port_send(&far.port, &ib, 1), 0);
	REQUIRE(nt_run_until(&f, got, NULL, 3000));
	CHECK(far.frames[0].len == 80 && far.frames[0].data[79] == 0xa1);
	CHECK(nic.frames[0].len == 90 && nic.frames[0].data[0] == 0xb2);
	nt_cap_clear(&nic);
	nt_cap_clear(&far);
	net_registry_free(r);

	/* Bad wiring. */
	REQUIRE(net_registry_new(&r) == 0);
	REQUIRE(net_registry_add_spec(r, "hubport,id=hx,hubid=0,netdev=nope", err, sizeof(err)) == 0);
	CHECK_EQ(net_registry_open(r, f.e, err, sizeof(err)), -ENOENT);
	CHECK(!strcmp(err, "-netdev hubport: netdev=nope names no netdev."));
	net_registry_free(r);

	REQUIRE(net_registry_new(&r) == 0);
	REQUIRE(net_registry_add_spec(r, specs[0], err, sizeof(err)) == 0);
	REQUIRE(net_registry_add_spec(r, "hubport,id=p1,hubid=0,netdev=u1", err, sizeof(err)) == 0);
	REQUIRE(net_registry_add_spec(r, "hubport,id=p2,hubid=1,netdev=u1", err, sizeof(err)) == 0);
	CHECK_EQ(net_registry_open(r, f.e, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "netdev=u1 is already connected elsewhere.") != NULL);
	net_registry_free(r);

	nt_close(&f);
	return t_finish();
}
