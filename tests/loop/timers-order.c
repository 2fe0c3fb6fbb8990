/* Timers fire in deadline order (FIFO among equal deadlines), never early. */
#include "loop-test.h"

#define N 2000

static struct loop_timer timers[N];
static uint64_t deadline[N];
static int order[N], fired;
static uint64_t fired_at[N];

static void on_timer(void *arg)
{
	int i = (int)(intptr_t)arg;
	fired_at[i] = loop_now_ns();
	order[fired++] = i;
}

int main(int argc, char **argv)
{
	t_timeout(30);
	struct loop *loop = loop_test_open(argc, argv);
	t_seed(42);
	uint64_t base = loop_now_ns() + 5000000;
	for (int i = 0; i < N; i++) {
		/* 50 distinct deadlines over 50 ms, so many are equal */
		deadline[i] = base + (t_rand() % 50) * 1000000;
		loop_timer_init(&timers[i], on_timer, (void *)(intptr_t)i);
		REQUIRE(loop_timer_arm(loop, &timers[i], deadline[i]) == 0);
	}
	while (fired < N)
		REQUIRE(loop_run_once(loop, -1) >= 0);
	for (int k = 0; k < N; k++) {
		int i = order[k];
		CHECK(fired_at[i] >= deadline[i]);
		CHECK(!loop_timer_armed(&timers[i]));
		if (k > 0) {
			int p = order[k - 1];
			CHECK(deadline[p] < deadline[i] || (deadline[p] == deadline[i] && p < i));
		}
	}
	loop_free(loop);
	return t_finish();
}
