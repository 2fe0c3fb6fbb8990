/*
 * registry-attach.c - a NIC attaches to a netdev by id; a missing id or a
 * netdev another NIC holds is refused with one sentence, and the refused
 * NIC stays unconnected.
 */
#include "net-test.h"

int main(void)
{
	t_timeout(10);
	struct nt f;
	nt_open(&f, NULL);
	struct net_registry *r;
	char err[256];
	REQUIRE(net_registry_new(&r) == 0);
	REQUIRE(net_registry_add_spec(r, "hubport,id=n0,hubid=0", err, sizeof(err)) == 0);
	REQUIRE(net_registry_add_spec(r, "hubport,id=n1,hubid=0", err, sizeof(err)) == 0);
	REQUIRE(net_registry_open(r, f.e, err, sizeof(err)) == 0);
	static struct nt_cap a, b, c;
	nt_cap_init(&a, "nic-a", true);
	nt_cap_init(&b, "nic-b", true);
	nt_cap_init(&c, "nic-c", true);
	CHECK_EQ(net_registry_attach(r, "n0", &a.port, err, sizeof(err)), 0);
	CHECK_EQ(net_registry_attach(r, "n1", &b.port, err, sizeof(err)), 0);
	CHECK_EQ(net_port_hdr_len(&a.port), 0); /* a hub port carries no header */
	CHECK(net_port_peer_link_up(&a.port));

	CHECK_EQ(net_registry_attach(r, "n0", &c.port, err, sizeof(err)), -EBUSY);
	CHECK(!strcmp(err, "netdev=n0 is already used by another device."));
	CHECK_EQ(net_registry_attach(r, "n9", &c.port, err, sizeof(err)), -ENOENT);
	CHECK(!strcmp(err, "netdev=n9 names no netdev."));
	CHECK(!net_port_peer_link_up(&c.port));

	/* The two that attached are on one segment. */
	uint8_t fr[60] = { 7 };
	struct iovec iov = { fr, sizeof(fr) };
	CHECK_EQ(net_port_send(&a.port, &iov, 1), 0);
	CHECK_EQ(b.count, 1);
	nt_cap_clear(&b);
	net_registry_free(r);
	nt_close(&f);
	return t_finish();
}
