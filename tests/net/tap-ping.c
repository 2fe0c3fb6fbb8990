/*
 * tap-ping.c - a tap backend carries frames both ways: in a private network
 * namespace the test opens tap rvtap0, gives it 10.9.0.1/24, then injects
 * an ARP request and an ICMP echo request built here through the port's
 * send path, and checks the kernel's ARP reply and echo reply arrive
 * through the receive path, intact.
 *
 *   tap-ping MODE [ENGINE]
 *   MODE plain:     vnet_hdr=off, bare frames.
 *        vnet:      vnet_hdr=on and a header-capable peer: 12-byte headers.
 *        vnet-bare: vnet_hdr=on, a peer without headers: the backend adds
 *                   and strips them.
 *   ENGINE io_uring (reads on the ring) or threads (poll + read).
 */
#include "net-test.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>

static size_t hl; /* vnet header length on the link */
static const uint8_t my_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0x02 };
static const uint8_t my_ip[4] = { 10, 9, 0, 2 }, tap_ip[4] = { 10, 9, 0, 1 };

static bool interesting(const uint8_t *f, size_t len)
{
	if (len < hl + 42)
		return false;
	const uint8_t *e = f + hl;
	if (memcmp(e, my_mac, 6)) /* only frames addressed to us */
		return false;
	uint16_t type = (uint16_t)(e[12] << 8 | e[13]);
	return type == 0x0806 || (type == 0x0800 && e[23] == 1);
}

static void send_frame(struct nt_cap *c, const uint8_t *frame, size_t len)
{
	static const uint8_t zero[NET_VNET_HDR_LEN];
	struct iovec iov[2] = { { (void *)zero, hl }, { (void *)frame, len } };
	CHECK_EQ(net_port_send(&c->port, hl ? iov : iov + 1, hl ? 2 : 1), 0);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static void read_mac(const char *ifname, uint8_t mac[6])
{
	/* Not /sys/class/net: sysfs shows the namespace it was mounted in. */
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	REQUIRE(fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0);
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
}

/* Frame i of the capture as a pointer past the vnet header. */
static const uint8_t *eth(struct nt_cap *c, unsigned i)
{
	return c->frames[i].data + hl;
}

static void check_vnet_hdr(struct nt_cap *c, unsigned i)
{
	if (!hl)
		return;
	struct net_vnet_hdr h;
	memcpy(&h, c->frames[i].data, sizeof(h));
	CHECK_EQ(h.gso_type, NET_VNET_GSO_NONE); /* offloads are off: whole frames */
	CHECK(!(h.flags & NET_VNET_F_NEEDS_CSUM));
}

static void do_arp(struct nt *f, struct nt_cap *c, const uint8_t tap_mac[6])
{
	uint8_t a[60] = { 0 };
	memset(a, 0xff, 6);
	memcpy(a + 6, my_mac, 6);
	put16(a + 12, 0x0806);
	put16(a + 14, 1);       /* Ethernet */
	put16(a + 16, 0x0800);  /* IPv4 */
	a[18] = 6;
	a[19] = 4;
	put16(a + 20, 1);       /* request */
	memcpy(a + 22, my_mac, 6);
	memcpy(a + 28, my_ip, 4);
	memcpy(a + 38, tap_ip, 4);
	send_frame(c, a, sizeof(a));
	REQUIRE(nt_run_until(f, nt_cap_has, c, 5000));
	const uint8_t *r = eth(c, 0);
	CHECK_EQ(r[12] << 8 | r[13], 0x0806);
	CHECK_EQ(r[20] << 8 | r[21], 2); /* reply */
	CHECK(!memcmp(r + 6, tap_mac, 6) && !memcmp(r + 22, tap_mac, 6));
	CHECK(!memcmp(r + 28, tap_ip, 4) && !memcmp(r + 38, my_ip, 4));
	check_vnet_hdr(c, 0);
	nt_cap_clear(c);
}

static void do_ping(struct nt *f, struct nt_cap *c, const uint8_t tap_mac[6])
{
	uint8_t p[14 + 20 + 8 + 56];
	memcpy(p, tap_mac, 6);
	memcpy(p + 6, my_mac, 6);
	put16(p + 12, 0x0800);
	uint8_t *ip = p + 14, *icmp = ip + 20;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, 20 + 8 + 56);
	put16(ip + 4, 0x4242);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, my_ip, 4);
	memcpy(ip + 16, tap_ip, 4);
	put16(ip + 10, nt_csum(ip, 20));
	memset(icmp, 0, 8);
	icmp[0] = 8; /* echo request */
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 7);
	for (int i = 0; i < 56; i++)
		icmp[8 + i] = (uint8_t)(i * 7 + 3);
	put16(icmp + 2, nt_csum(icmp, 8 + 56));
	send_frame(c, p, sizeof(p));

	REQUIRE(nt_run_until(f, nt_cap_has, c, 5000));
	const uint8_t *r = eth(c, 0);
	size_t rlen = c->frames[0].len - hl;
	REQUIRE(rlen >= sizeof(p));
	const uint8_t *rip = r + 14, *ricmp = rip + 20;
	CHECK_EQ(r[12] << 8 | r[13], 0x0800);
	CHECK(!memcmp(r, my_mac, 6) && !memcmp(r + 6, tap_mac, 6));
	CHECK(!memcmp(rip + 12, tap_ip, 4) && !memcmp(rip + 16, my_ip, 4));
	CHECK_EQ(nt_csum(rip, 20), 0);
	CHECK_EQ(ricmp[0], 0); /* echo reply */
	CHECK_EQ(ricmp[4] << 8 | ricmp[5], 0x1234);
	CHECK_EQ(ricmp[6] << 8 | ricmp[7], 7);
	CHECK(!memcmp(ricmp + 8, icmp + 8, 56));
	CHECK_EQ(nt_csum(ricmp, 8 + 56), 0);
	check_vnet_hdr(c, 0);
	nt_cap_clear(c);
}

int main(int argc, char **argv)
{
	t_timeout(30);
	REQUIRE(argc >= 2);
	const char *mode = argv[1];
	bool vnet = strcmp(mode, "plain") != 0, cap_hdr = !strcmp(mode, "vnet");
	nt_need_tun();
	nt_netns();
	struct nt f;
	nt_open(&f, argc >= 3 ? argv[2] : "io_uring");

	struct net_netdev_opts o;
	char err[256];
	char spec[128];
	snprintf(spec, sizeof(spec), "tap,id=t0,ifname=rvtap0,script=no,downscript=no,vnet_hdr=%s",
		 vnet ? "on" : "off");
	REQUIRE(net_parse_netdev(spec, &o, err, sizeof(err)) == 0);
	struct net_backend *b;
	int ret = net_tap_open(&b, f.e, &o, err, sizeof(err));
	if (ret)
		fprintf(stderr, "%s\n", err);
	REQUIRE(ret == 0);
	CHECK(!strcmp(net_backend_ifname(b), "rvtap0"));
	(void)!system("sysctl -qw net.ipv6.conf.rvtap0.disable_ipv6=1 2>/dev/null");
	nt_sh("ip addr add 10.9.0.1/24 dev rvtap0 && ip link set rvtap0 up");

	static struct nt_cap c;
	nt_cap_init(&c, "nic", cap_hdr);
	c.filter = interesting;
	REQUIRE(net_port_connect(&c.port, net_backend_port(b)) == 0);
	hl = net_port_hdr_len(&c.port);
	CHECK_EQ(hl, cap_hdr ? NET_VNET_HDR_LEN : 0);
	/* Offloads need a header on the link. */
	CHECK_EQ(net_port_set_offload(&c.port, NET_OFFLOAD_CSUM), cap_hdr ? 0 : -ENOTSUP);
	CHECK_EQ(net_port_set_offload(&c.port, 0), 0);

	uint8_t tap_mac[6];
	read_mac("rvtap0", tap_mac);
	do_arp(&f, &c, tap_mac);
	do_ping(&f, &c, tap_mac);
	CHECK(net_port_stats(&c.port)->tx_frames == 2);

	net_backend_close(b);
	nt_cap_clear(&c);
	nt_close(&f);
	return t_finish();
}
