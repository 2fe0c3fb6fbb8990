/*
 * nic-parse.c - the -nic shorthand: model= and mac= are the NIC's, the rest
 * is a -netdev with a generated id; "none" means no NIC; errors are one
 * sentence that speaks of -nic.
 */
#include "harness.h"
#include "net/net.h"

#include <errno.h>
#include <string.h>

int main(void)
{
	t_timeout(10);
	struct net_nic_opts n;
	char err[256];
	CHECK_EQ(net_parse_nic("tap,ifname=tap3,script=no,mac=52:54:00:00:00:09,model=virtio-net-device",
			       2, &n, err, sizeof(err)), 0);
	CHECK(!n.none && n.has_mac && n.mac[5] == 9);
	CHECK(!strcmp(n.model, "virtio-net-device"));
	CHECK_EQ(n.netdev.type, NET_NETDEV_TAP);
	CHECK(!strcmp(n.netdev.id, "nic2") && !strcmp(n.netdev.tap.ifname, "tap3"));

	CHECK_EQ(net_parse_nic("socket,connect=127.0.0.1:1234", 0, &n, err, sizeof(err)), 0);
	CHECK(!n.has_mac && !strcmp(n.model, "virtio-net-device"));
	CHECK(n.netdev.sock.mode == NET_SOCKET_CONNECT && n.netdev.sock.addr.port == 1234);
	CHECK(!strcmp(n.netdev.id, "nic0"));

	CHECK_EQ(net_parse_nic("hubport,hubid=4", 1, &n, err, sizeof(err)), 0);
	CHECK(n.netdev.type == NET_NETDEV_HUBPORT && n.netdev.hub.hubid == 4);

	CHECK_EQ(net_parse_nic("none", 0, &n, err, sizeof(err)), 0);
	CHECK(n.none);

	struct { const char *spec, *want; } bad[] = {
		{ "user", "-nic: unknown type 'user'" },
		{ "tap,id=x", "-nic: id= is not allowed" },
		{ "tap,mac=01:00:00:00:00:01", "multicast address" },
		{ "tap,mac=zz", "is not a MAC address" },
		{ "tap,colour=red", "-nic tap: unknown option 'colour'." },
		{ "socket,listen=:99999", "-nic socket: bad port '99999'" },
		{ "", "-nic: give a type" },
		{ "tap,model=", "-nic: model= is empty" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int ret = net_parse_nic(bad[i].spec, 0, &n, err, sizeof(err));
		size_t l = strlen(err);
		if (ret != -EINVAL || !strstr(err, bad[i].want) || !l || err[l - 1] != '.') {
			fprintf(stderr, "'%s': ret %d err '%s' (want '%s')\n", bad[i].spec, ret, err,
				bad[i].want);
			t_failures++;
		}
	}
	return t_finish();
}
