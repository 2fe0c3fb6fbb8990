/*
 * socket-open-errors.c - a socket netdev that cannot be opened says why in
 * one sentence and leaves nothing behind: a listen port already taken, a
 * mcast= address that is not a multicast group, a localaddr= that is not
 * an IPv4 address, a udp localaddr= another netdev holds.
 */
#include "net-test.h"

static void refused(struct nt *f, const char *spec, const char *want)
{
	struct net_netdev_opts o;
	char err[256] = "";
	REQUIRE(net_parse_netdev(spec, &o, err, sizeof(err)) == 0);
	struct net_backend *b = NULL;
	unsigned before = aio_inflight(f->e);
	int ret = net_socket_open(&b, f->e, &o, err, sizeof(err));
	size_t n = strlen(err);
	if (ret >= 0 || b || !strstr(err, want) || !n || err[n - 1] != '.' || strchr(err, '\n')) {
		fprintf(stderr, "'%s': ret %d err '%s' (want '%s')\n", spec, ret, err, want);
		t_failures++;
	}
	CHECK_EQ(aio_inflight(f->e), before); /* nothing left in flight */
}

int main(void)
{
	t_timeout(20);
	nt_netns();
	struct nt f;
	nt_open(&f, NULL);
	struct net_netdev_opts o;
	char err[256];
	REQUIRE(net_parse_netdev("socket,id=a,listen=127.0.0.1:7006", &o, err, sizeof(err)) == 0);
	struct net_backend *a;
	REQUIRE(net_socket_open(&a, f.e, &o, err, sizeof(err)) == 0);
	refused(&f, "socket,id=b,listen=127.0.0.1:7006",
		"cannot listen on 127.0.0.1:7006: Address already in use");
	refused(&f, "socket,id=c,mcast=10.0.0.1:7007", "is not an IPv4 multicast group");
	refused(&f, "socket,id=d,mcast=239.1.1.1:7007,localaddr=lo",
		"localaddr=lo is not an IPv4 address");
	REQUIRE(net_parse_netdev("socket,id=u,udp=127.0.0.1:7009,localaddr=127.0.0.1:7008", &o, err,
				 sizeof(err)) == 0);
	struct net_backend *u;
	REQUIRE(net_socket_open(&u, f.e, &o, err, sizeof(err)) == 0);
	refused(&f, "socket,id=e,udp=127.0.0.1:7010,localaddr=127.0.0.1:7008",
		"cannot bind localaddr=127.0.0.1:7008: Address already in use");
	net_backend_close(u);
	net_backend_close(a);
	nt_close(&f);
	return t_finish();
}
