/* Cancelled timers never fire, re-arming moves a timer, and a callback may
 * cancel other timers. */
#include "loop-test.h"

#define N 500

static struct loop_timer timers[N];
static int fired[N], total;
static struct loop *loop;

static void on_timer(void *arg)
{
	int i = (int)(intptr_t)arg;
	fired[i]++;
	total++;
	/* Timer 0 fires first and cancels every odd timer still armed. */
	if (i == 0)
		for (int k = 1; k < N; k += 2)
			loop_timer_cancel(loop, &timers[k]);
}

int main(int argc, char **argv)
{
	t_timeout(30);
	loop = loop_test_open(argc, argv);
	uint64_t now = loop_now_ns();
	for (int i = 0; i < N; i++) {
		loop_timer_init(&timers[i], on_timer, (void *)(intptr_t)i);
		REQUIRE(loop_timer_arm(loop, &timers[i], now + 10000000 + (uint64_t)i * 10000) == 0);
	}
	/* Cancel multiples of 10 (not 0) now; re-arm timer 0 earlier. */
	for (int i = 10; i < N; i += 10)
		loop_timer_cancel(loop, &timers[i]);
	loop_timer_cancel(loop, &timers[10]); /* twice is harmless */
	REQUIRE(loop_timer_arm(loop, &timers[0], now + 1000000) == 0);

	uint64_t end = now + 100000000;
	while (loop_now_ns() < end)
		REQUIRE(loop_run_once(loop, 5000000) >= 0);
	int expect = 0;
	for (int i = 0; i < N; i++) {
		int want = (i == 0) || (i % 2 == 0 && i % 10 != 0);
		CHECK_EQ(fired[i], want);
		expect += want;
	}
	CHECK_EQ(total, expect);
	loop_free(loop);
	return t_finish();
}
