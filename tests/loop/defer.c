/* Deferred calls run in FIFO order within the same turn, including ones
 * deferred by a deferred call; loop_stop ends loop_run. */
#include "loop-test.h"

static struct loop *loop;
static struct loop_post_node nodes[4];
static int order[4], n;

static void on_defer(void *arg)
{
	int i = (int)(intptr_t)arg;
	order[n++] = i;
	if (i == 0)
		loop_defer(loop, &nodes[3]);
	if (i == 3)
		loop_stop(loop);
}

int main(int argc, char **argv)
{
	t_timeout(30);
	loop = loop_test_open(argc, argv);
	for (int i = 0; i < 4; i++) {
		nodes[i].fn = on_defer;
		nodes[i].arg = (void *)(intptr_t)i;
	}
	for (int i = 0; i < 3; i++)
		loop_defer(loop, &nodes[i]);
	/* Nothing else wakes the loop: if the defers did not run and stop it,
	 * loop_run would hang and the timeout fails the test. */
	CHECK_EQ(loop_run(loop), 0);
	CHECK_EQ(n, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(order[i], i);
	/* A stop before run still counts. */
	loop_stop(loop);
	CHECK_EQ(loop_run(loop), 0);
	loop_free(loop);
	return t_finish();
}
