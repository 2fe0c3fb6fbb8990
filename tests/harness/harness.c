/* harness.c - see harness.h. */
#include "harness.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

int t_failures;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static char tmpdir[256];

void t_skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	exit(77);
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: test timed out\n";
	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

void t_timeout(unsigned seconds)
{
	signal(SIGALRM, on_alarm);
	alarm(seconds);
}

static void rm_tmpdir(void)
{
	char cmd[300];
	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	(void)!system(cmd);
}

const char *t_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/ringvm-test-XXXXXX",
			 base && *base ? base : "/tmp");
		REQUIRE(mkdtemp(tmpdir));
		atexit(rm_tmpdir);
	}
	return tmpdir;
}

void t_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
	fprintf(stderr, "seed %" PRIu64 "\n", seed);
}

uint64_t t_rand(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

int t_finish(void)
{
	if (t_failures) {
		fprintf(stderr, "FAIL: %d check(s) failed\n", t_failures);
		return 1;
	}
	return 0;
}
