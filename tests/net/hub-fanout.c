/*
 * hub-fanout.c - three ports on one hub (-netdev hubport,hubid=1, through
 * the registry) each see every frame of the other two and never their own;
 * a member that refuses a frame loses only its copy (counted as a drop)
 * and a port on another hub sees nothing.
 */
#include "net-test.h"

#define N 3

int main(void)
{
	t_timeout(10);
	struct nt f;
	nt_open(&f, NULL);
	struct net_registry *r;
	char err[256];
	REQUIRE(net_registry_new(&r) == 0);
	const char *specs[] = { "hubport,id=h0,hubid=1", "hubport,id=h1,hubid=1",
				"hubport,id=h2,hubid=1", "hubport,id=other,hubid=2" };
	for (int i = 0; i < 4; i++)
		REQUIRE(net_registry_add_spec(r, specs[i], err, sizeof(err)) == 0);
	REQUIRE(net_registry_open(r, f.e, err, sizeof(err)) == 0);
	CHECK(net_registry_find(r, "nope") == NULL);

	static struct nt_cap cap[N + 1];
	const char *ids[] = { "h0", "h1", "h2", "other" };
	for (int i = 0; i <= N; i++) {
		nt_cap_init(&cap[i], ids[i], false);
		struct net_port *p = net_registry_find(r, ids[i]);
		REQUIRE(p);
		REQUIRE(net_port_connect(&cap[i].port, p) == 0);
		CHECK_EQ(net_port_connect(&cap[i].port, p), -EBUSY); /* one NIC per port */
	}
	/* Each member sends two frames tagged with its index. */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			uint8_t fr[64];
			memset(fr, 0, sizeof(fr));
			fr[0] = (uint8_t)i;
			fr[1] = (uint8_t)round;
			struct iovec iov[2] = { { fr, 20 }, { fr + 20, 44 } }; /* scattered */
			CHECK_EQ(net_port_send(&cap[i].port, iov, 2), 0);
		}
	for (int i = 0; i < N; i++) {
		CHECK_EQ(cap[i].count, 2 * (N - 1));
		unsigned from_count[N] = { 0 };
		for (unsigned k = 0; k < cap[i].count; k++) {
			CHECK_EQ(cap[i].frames[k].len, 64);
			unsigned from = cap[i].frames[k].data[0];
			REQUIRE(from < N);
			from_count[from]++;
		}
		for (int j = 0; j < N; j++)
			CHECK_EQ(from_count[j], j == i ? 0 : 2);
	}
	CHECK_EQ(cap[N].count, 0); /* hub 2 is another segment */

	/* A busy member: h1 refuses; h2 still gets the frame; h1's copy is a drop. */
	for (int i = 0; i < N; i++)
		nt_cap_clear(&cap[i]);
	cap[1].refuse_every = 1;
	uint8_t fr[60] = { 0 };
	struct iovec iov = { fr, sizeof(fr) };
	CHECK_EQ(net_port_send(&cap[0].port, &iov, 1), 0); /* a hub never refuses */
	CHECK_EQ(cap[1].count, 0);
	CHECK_EQ(cap[2].count, 1);
	CHECK_EQ(net_port_stats(net_registry_find(r, "h1"))->tx_drops, 1);
	CHECK_EQ(net_port_stats(net_registry_find(r, "h2"))->tx_drops, 0);

	for (int i = 0; i <= N; i++)
		nt_cap_clear(&cap[i]);
	net_registry_free(r);
	nt_close(&f);
	return t_finish();
}
