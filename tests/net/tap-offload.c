/*
 * tap-offload.c - net_port_set_offload reaches the kernel: on a tap with
 * vnet_hdr=on and a header-capable NIC, frames start whole (checksummed,
 * no NEEDS_CSUM); once the NIC asks for NET_OFFLOAD_CSUM, the kernel hands
 * over UDP frames with the checksum left to the NIC (NEEDS_CSUM, start and
 * offset of the UDP checksum field).
 */
#include "net-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static bool is_udp9(const uint8_t *f, size_t len)
{
	const uint8_t *e = f + NET_VNET_HDR_LEN;
	return len >= NET_VNET_HDR_LEN + 42 && e[12] == 8 && e[13] == 0 && e[23] == 17 &&
	       e[36] == 0 && e[37] == 9;
}

static void send_udp(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	inet_pton(AF_INET, "10.9.2.2", &to.sin_addr);
	char msg[100] = "offload";
	REQUIRE(sendto(s, msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to)) == 100);
	close(s);
}

int main(void)
{
	t_timeout(30);
	nt_need_tun();
	nt_netns();
	struct nt f;
	nt_open(&f, "io_uring");
	struct net_netdev_opts o;
	char err[256];
	REQUIRE(net_parse_netdev("tap,id=t,ifname=rvtap2,vnet_hdr=on", &o, err, sizeof(err)) == 0);
	struct net_backend *b;
	REQUIRE(net_tap_open(&b, f.e, &o, err, sizeof(err)) == 0);
	nt_sh("ip addr add 10.9.2.1/24 dev rvtap2 && ip link set rvtap2 up && "
	      "ip neigh replace 10.9.2.2 lladdr 52:54:00:00:02:02 dev rvtap2");
	static struct nt_cap c;
	nt_cap_init(&c, "nic", true);
	c.filter = is_udp9;
	REQUIRE(net_port_connect(&c.port, net_backend_port(b)) == 0);
	REQUIRE(net_port_hdr_len(&c.port) == NET_VNET_HDR_LEN);

	/* 1. No offloads: a whole frame with a valid UDP checksum. */
	send_udp();
	REQUIRE(nt_run_until(&f, nt_cap_has, &c, 3000));
	struct net_vnet_hdr h;
	memcpy(&h, c.frames[0].data, sizeof(h));
	CHECK(!(h.flags & NET_VNET_F_NEEDS_CSUM));
	const uint8_t *e = c.frames[0].data + NET_VNET_HDR_LEN;
	CHECK(e[40] || e[41]); /* a computed UDP checksum is never 0 */
	nt_cap_clear(&c);

	/* 2. The NIC offers checksum offload: the kernel leaves it to us. */
	CHECK_EQ(net_port_set_offload(&c.port, NET_OFFLOAD_CSUM), 0);
	send_udp();
	REQUIRE(nt_run_until(&f, nt_cap_has, &c, 3000));
	memcpy(&h, c.frames[0].data, sizeof(h));
	CHECK(h.flags & NET_VNET_F_NEEDS_CSUM);
	CHECK_EQ(h.csum_start, 14 + 20); /* the UDP header */
	CHECK_EQ(h.csum_offset, 6);      /* its checksum field */
	CHECK_EQ(h.gso_type, NET_VNET_GSO_NONE);
	nt_cap_clear(&c);

	net_backend_close(b);
	nt_close(&f);
	return t_finish();
}
