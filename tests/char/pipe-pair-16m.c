/*
 * pipe-pair-16m: a pipe server (creates P.in/P.out) and a pipe client
 * (opens them crosswise) in one process exchange 16 MiB in each direction
 * at the same time, every byte checked; the server removes the FIFOs it
 * made when it closes.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "char-test.h"

#define SIZE (16ull << 20)

struct pair {
	struct tfe *a, *b;
};

static bool done(void *arg)
{
	struct pair *p = arg;

	return p->a->rx_count == SIZE && p->b->rx_count == SIZE;
}

int main(int argc, char **argv)
{
	struct tenv e;
	char base[512], spec[700], in[600];
	struct tfe a = { .tx_seed = 1, .tx_total = SIZE, .rx_seed = 2 };
	struct tfe b = { .tx_seed = 2, .tx_total = SIZE, .rx_seed = 1 };
	struct pair p = { &a, &b };
	struct chr_stats sa, sb;
	struct stat st;

	t_timeout(120);
	tenv_open(&e, argc, argv);
	snprintf(base, sizeof(base), "%s/link", t_tmpdir());
	snprintf(spec, sizeof(spec), "pipe,id=srv,path=%s,server=on", base);
	struct chr_dev *srv = t_open(&e, spec);

	snprintf(in, sizeof(in), "%s.in", base);
	CHECK(stat(in, &st) == 0 && S_ISFIFO(st.st_mode));
	snprintf(spec, sizeof(spec), "pipe,id=cli,path=%s,client=on", base);
	struct chr_dev *cli = t_open(&e, spec);

	tfe_attach(&a, srv, e.loop);
	tfe_attach(&b, cli, e.loop);
	tfe_pump(&a);
	tfe_pump(&b);
	CHECK(t_run_until(e.loop, done, &p, 100));
	CHECK_EQ(a.rx_count, SIZE);
	CHECK_EQ(b.rx_count, SIZE);
	CHECK_EQ(a.rx_bad, 0);
	CHECK_EQ(b.rx_bad, 0);
	REQUIRE(chr_get_stats(srv, &sa) == 0 && chr_get_stats(cli, &sb) == 0);
	CHECK_EQ(sa.bytes_out, SIZE);
	CHECK_EQ(sb.bytes_out, SIZE);
	CHECK_EQ(sa.bytes_in, SIZE);
	CHECK_EQ(sa.bytes_dropped + sb.bytes_dropped, 0);
	CHECK(sa.connected && sb.connected);
	chr_close(cli);
	chr_close(srv);
	CHECK(stat(in, &st) < 0);
	tenv_close(&e);
	return t_finish();
}
