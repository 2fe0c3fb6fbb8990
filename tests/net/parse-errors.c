/*
 * parse-errors.c - every bad -netdev (and mac=) gives -EINVAL and one
 * sentence naming the problem; the good forms parse into the right fields;
 * the registry refuses a duplicate id.
 */
#include "harness.h"
#include "net/net.h"

#include <errno.h>
#include <string.h>

static char err[256];

/* spec must fail with a sentence containing want. */
static void bad(const char *spec, const char *want)
{
	struct net_netdev_opts o;
	err[0] = '\0';
	int ret = net_parse_netdev(spec, &o, err, sizeof(err));
	size_t n = strlen(err);
	bool one_sentence = n > 0 && err[n - 1] == '.' && !strchr(err, '\n');
	if (ret != -EINVAL || !strstr(err, want) || !one_sentence) {
		fprintf(stderr, "spec '%s': ret %d, err '%s' (wanted '%s')\n", spec, ret, err, want);
		t_failures++;
	}
}

static void good(const char *spec, struct net_netdev_opts *o)
{
	int ret = net_parse_netdev(spec, o, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "spec '%s' refused: %s\n", spec, err);
		t_failures++;
	}
}

int main(void)
{
	t_timeout(10);
	bad("user,id=n0", "unknown type 'user'");
	bad("", "unknown type ''");
	bad("tap,ifname=tap0", "id= is missing");
	bad("tap,id=", "id= is missing");
	bad("tap,id=0bad", "must start with a letter");
	bad("tap,id=n0,colour=blue", "unknown option 'colour'");
	bad("tap,id=n0,id=n1", "given twice");
	bad("tap,id=n0,ifname=x,", "empty option (stray comma)");
	bad("tap,id=n0,,x", "must start with a letter");
	bad("tap,id=n0,script=/etc/qemu-ifup", "script=/etc/qemu-ifup is not supported");
	bad("tap,id=n0,vnet_hdr=maybe", "vnet_hdr=maybe is not on or off");
	bad("tap,id=n0,ifname=averyveryverylongname", "longer than 15");
	bad("socket,id=s0,listen=:0", "bad port '0'");
	bad("socket,id=s0,listen=:65536", "bad port '65536'");
	bad("socket,id=s0,connect=127.0.0.1:http", "bad port 'http'");
	bad("socket,id=s0,connect=127.0.0.1", "is not HOST:PORT");
	bad("socket,id=s0,connect=:1234", "lacks a host");
	bad("socket,id=s0", "exactly one of listen=");
	bad("socket,id=s0,listen=:1,connect=h:2", "exactly one of listen=");
	bad("socket,id=s0,udp=127.0.0.1:5000", "needs localaddr=");
	bad("socket,id=s0,listen=:5000,localaddr=1.2.3.4", "applies only to mcast= and udp=");
	bad("socket,id=s0,udp=127.0.0.1:5000,localaddr=:x", "bad port 'x'");
	bad("hubport,id=h0", "hubid= is missing");
	bad("hubport,id=h0,hubid=-1", "not a non-negative number");
	bad("hubport,id=h0,hubid", "needs a value");

	struct net_netdev_opts o;
	good("tap,id=n0,ifname=tap7,script=no,downscript=no,vnet_hdr=on", &o);
	CHECK_EQ(o.type, NET_NETDEV_TAP);
	CHECK(!strcmp(o.id, "n0") && !strcmp(o.tap.ifname, "tap7") && o.tap.vnet_hdr);
	good("socket,id=s1,listen=:1234", &o);
	CHECK(o.sock.mode == NET_SOCKET_LISTEN && o.sock.addr.port == 1234 && !o.sock.addr.host[0]);
	good("socket,id=s2,mcast=230.0.0.1:1234,localaddr=127.0.0.1", &o);
	CHECK(o.sock.mode == NET_SOCKET_MCAST && !strcmp(o.sock.addr.host, "230.0.0.1"));
	CHECK(o.sock.has_localaddr && !strcmp(o.sock.localaddr.host, "127.0.0.1"));
	good("socket,id=s3,udp=[::1]:7,localaddr=[::1]:8", &o);
	CHECK(!strcmp(o.sock.addr.host, "::1") && o.sock.localaddr.port == 8);
	good("hubport,id=h1,hubid=3,netdev=n0", &o);
	CHECK(o.hub.hubid == 3 && !strcmp(o.hub.netdev, "n0"));

	/* Duplicate ids are the registry's to refuse. */
	struct net_registry *r;
	REQUIRE(net_registry_new(&r) == 0);
	CHECK_EQ(net_registry_add_spec(r, "hubport,id=x,hubid=0", err, sizeof(err)), 0);
	CHECK_EQ(net_registry_add_spec(r, "socket,id=x,listen=:9", err, sizeof(err)), -EEXIST);
	CHECK(strstr(err, "id 'x' is used twice.") != NULL);
	net_registry_free(r);

	/* MAC addresses for -device ...,mac= */
	uint8_t mac[6];
	CHECK_EQ(net_parse_mac("52:54:00:12:34:5f", mac, err, sizeof(err)), 0);
	CHECK(mac[0] == 0x52 && mac[5] == 0x5f);
	const char *badmacs[] = { "52:54:00:12:34", "52:54:00:12:34:56:78", "52-54-00-12-34-56",
				  "52:54:00:12:34:zz", "", "01:00:5e:00:00:01" };
	for (unsigned i = 0; i < sizeof(badmacs) / sizeof(badmacs[0]); i++) {
		err[0] = '\0';
		CHECK_EQ(net_parse_mac(badmacs[i], mac, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "mac=") == err && err[strlen(err) - 1] == '.');
	}
	return t_finish();
}
