/*
 * pipe-two-procs: two processes, each with its own loop, join through a
 * pipe server and a pipe client and exchange 4 MiB each way; the client
 * process starts first and waits (without blocking in open) until the
 * server's FIFOs appear, as a second ringvm started early would be retried.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "char-test.h"

#define SIZE (4ull << 20)

static bool done(void *arg)
{
	struct tfe *t = arg;
	struct chr_stats st;

	return t->rx_count >= SIZE && chr_get_stats(t->chr, &st) == 0 &&
	       st.bytes_out == SIZE;
}

static int side(int argc, char **argv, const char *base, bool server)
{
	struct tenv e;
	char spec[700];
	struct tfe t = { .tx_seed = server ? 21 : 22, .tx_total = SIZE,
			 .rx_seed = server ? 22 : 21 };

	tenv_open(&e, argc, argv);
	snprintf(spec, sizeof(spec), "pipe,id=%s,path=%s,%s=on", server ? "s" : "c", base,
		 server ? "server" : "client");
	struct chr_dev *chr = t_open(&e, spec);

	tfe_attach(&t, chr, e.loop);
	tfe_pump(&t);
	CHECK(t_run_until(e.loop, done, &t, 50));
	CHECK_EQ(t.rx_count, SIZE);
	CHECK_EQ(t.rx_bad, 0);
	/* Keep the FIFOs until the peer has read everything we wrote. */
	for (uint64_t end = loop_now_ns() + 200000000; loop_now_ns() < end;)
		loop_run_once(e.loop, 10000000);
	chr_close(chr);
	tenv_close(&e);
	return t_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	char base[512], out[600];
	struct stat st;
	int status;
	pid_t pid;

	t_timeout(60);
	snprintf(base, sizeof(base), "%s/two", t_tmpdir());
	snprintf(out, sizeof(out), "%s.out", base);
	fflush(stderr);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		/* The client needs the FIFOs: wait for the server to make them. */
		for (int i = 0; i < 1000 && stat(out, &st) < 0; i++)
			usleep(5000);
		_exit(side(argc, argv, base, false));
	}
	usleep(50000);
	int mine = side(argc, argv, base, true);

	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(mine, 0);
	return t_finish();
}
