/*
 * pipe-in-out: `pipe,path=P` uses P.in as the guest's input and P.out as
 * its output when both FIFOs exist, and P itself for both otherwise (a
 * single FIFO then loops the guest's output back to it). Opening never
 * blocks, even with nobody on the other end yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "char-test.h"

struct ext {
	struct tfe *t;
	int rfd;            /* our read end of P.out */
	uint64_t got, bad;
};

static bool ext_done(void *arg)
{
	struct ext *x = arg;
	uint8_t buf[8192];
	ssize_t n;

	while ((n = read(x->rfd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			x->bad += buf[i] != tfe_byte(x->t->tx_seed, x->got + (uint64_t)i);
		x->got += (uint64_t)n;
	}
	return x->got == x->t->tx_total && x->t->stored == 11;
}

static bool loop_done(void *arg)
{
	struct tfe *t = arg;

	return t->rx_count == t->tx_total;
}

int main(int argc, char **argv)
{
	struct tenv e;
	char base[512], in[600], out[600], spec[700];
	struct tfe t = { .tx_seed = 3, .tx_total = 200000, .rx_store = true };
	struct ext x = { .t = &t };
	int wfd;

	t_timeout(60);
	tenv_open(&e, argc, argv);
	snprintf(base, sizeof(base), "%s/p", t_tmpdir());
	snprintf(in, sizeof(in), "%s.in", base);
	snprintf(out, sizeof(out), "%s.out", base);
	REQUIRE(mkfifo(in, 0600) == 0 && mkfifo(out, 0600) == 0);

	/* Nobody is on the other side yet: this must not block. */
	snprintf(spec, sizeof(spec), "pipe,id=p0,path=%s", base);
	struct chr_dev *chr = t_open(&e, spec);

	tfe_attach(&t, chr, e.loop);
	tfe_pump(&t); /* held: no reader on P.out yet */
	CHECK(t.tx_sent > 0);

	x.rfd = open(out, O_RDONLY | O_NONBLOCK);
	wfd = open(in, O_WRONLY | O_NONBLOCK); /* the chardev reads P.in */
	REQUIRE(x.rfd >= 0);
	CHECK(wfd >= 0);
	CHECK(write(wfd, "hello guest", 11) == 11);
	CHECK(t_run_until(e.loop, ext_done, &x, 30));
	CHECK_EQ(x.got, t.tx_total);
	CHECK_EQ(x.bad, 0);
	CHECK(t.stored == 11 && !memcmp(t.store, "hello guest", 11));
	struct chr_stats st;

	REQUIRE(chr_get_stats(chr, &st) == 0);
	CHECK_EQ(st.bytes_dropped, 0);
	CHECK_EQ(st.bytes_in, 11);
	chr_close(chr);
	close(wfd);
	close(x.rfd);

	/* One FIFO, no .in/.out: the same FIFO both ways, so output loops back. */
	struct tfe t2 = { .tx_seed = 9, .tx_total = 300000, .rx_seed = 9 };

	snprintf(base, sizeof(base), "%s/single", t_tmpdir());
	REQUIRE(mkfifo(base, 0600) == 0);
	snprintf(spec, sizeof(spec), "pipe,id=p1,path=%s", base);
	chr = t_open(&e, spec);
	tfe_attach(&t2, chr, e.loop);
	tfe_pump(&t2);
	CHECK(t_run_until(e.loop, loop_done, &t2, 30));
	CHECK_EQ(t2.rx_count, t2.tx_total);
	CHECK_EQ(t2.rx_bad, 0);
	chr_close(chr);
	tenv_close(&e);
	return t_finish();
}
