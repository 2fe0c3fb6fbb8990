/* 8 threads x 100k cross-thread posts: none lost, none run twice, each
 * producer's posts run in the order it made them. */
#include <pthread.h>
#include <stdlib.h>

#include "loop-test.h"

#define THREADS 8
#define POSTS 100000

struct node {
	struct loop_post_node pn;
	int thread, seq;
};

static struct loop *loop;
static struct node *nodes[THREADS];
static int next_seq[THREADS];
static long ran;
static int errors;

static void on_post(void *arg)
{
	struct node *n = arg;
	if (n->seq != next_seq[n->thread])
		errors++;
	next_seq[n->thread] = n->seq + 1;
	ran++;
}

static void *producer(void *arg)
{
	int t = (int)(intptr_t)arg;
	for (int i = 0; i < POSTS; i++) {
		struct node *n = &nodes[t][i];
		n->thread = t;
		n->seq = i;
		n->pn.fn = on_post;
		n->pn.arg = n;
		loop_post_node(loop, &n->pn);
	}
	return NULL;
}

static int owned_ran;
static void on_owned(void *arg)
{
	owned_ran += (int)(intptr_t)arg;
}

int main(int argc, char **argv)
{
	pthread_t tid[THREADS];
	t_timeout(50);
	loop = loop_test_open(argc, argv);
	for (int t = 0; t < THREADS; t++)
		REQUIRE((nodes[t] = calloc(POSTS, sizeof(struct node))));
	for (int t = 0; t < THREADS; t++)
		REQUIRE(pthread_create(&tid[t], NULL, producer, (void *)(intptr_t)t) == 0);
	while (ran < (long)THREADS * POSTS)
		REQUIRE(loop_run_once(loop, -1) >= 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(tid[t], NULL);
	REQUIRE(loop_run_once(loop, 0) >= 0);
	CHECK_EQ(ran, (long)THREADS * POSTS);
	CHECK_EQ(errors, 0);
	for (int t = 0; t < THREADS; t++)
		CHECK_EQ(next_seq[t], POSTS);

	/* Loop-owned nodes: posted, run once, freed (ASan checks the free). */
	for (int i = 0; i < 1000; i++)
		REQUIRE(loop_post(loop, on_owned, (void *)1) == 0);
	while (owned_ran < 1000)
		REQUIRE(loop_run_once(loop, -1) >= 0);
	CHECK_EQ(owned_ran, 1000);
	/* Posts still queued at free run then (so their memory is freed). */
	REQUIRE(loop_post(loop, on_owned, (void *)1) == 0);
	loop_free(loop);
	CHECK_EQ(owned_ran, 1001);
	for (int t = 0; t < THREADS; t++)
		free(nodes[t]);
	return t_finish();
}
