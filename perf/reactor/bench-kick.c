/*
 * bench-kick [SAMPLES] [uring|epoll] - cross-thread kick latency: another
 * thread posts to a sleeping loop; we measure from just before the post to
 * the callback running on the loop thread. Prints one JSON line with p50,
 * p99 and max in microseconds.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop/loop.h"

static struct loop *loop;
static uint64_t *lat;
static int samples;
static atomic_int done_count;
static uint64_t posted_at;
static struct loop_post_node node;

static void on_post(void *arg)
{
	int i = (int)(intptr_t)arg;
	lat[i] = loop_now_ns() - posted_at;
	atomic_store(&done_count, i + 1);
}

static void *poster(void *arg)
{
	(void)arg;
	for (int i = 0; i < samples; i++) {
		usleep(200); /* let the loop go back to sleep */
		node.fn = on_post;
		node.arg = (void *)(intptr_t)i;
		posted_at = loop_now_ns();
		loop_post_node(loop, &node);
		while (atomic_load(&done_count) != i + 1)
			; /* the next post reuses the node */
	}
	loop_stop(loop);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	pthread_t tid;
	struct loop_opts o = { 0 };
	samples = argc > 1 ? atoi(argv[1]) : 20000;
	if (argc > 2)
		o.poller = !strcmp(argv[2], "epoll") ? LOOP_POLLER_EPOLL : LOOP_POLLER_URING;
	if (samples <= 0 || loop_new(&loop, &o) < 0) {
		fprintf(stderr, "usage: bench-kick [SAMPLES] [uring|epoll]\n");
		return 1;
	}
	lat = calloc((size_t)samples, sizeof(*lat));
	pthread_create(&tid, NULL, poster, NULL);
	loop_run(loop);
	pthread_join(tid, NULL);
	qsort(lat, (size_t)samples, sizeof(*lat), cmp);
	printf("{\"poller\": \"%s\", \"p50_us\": %.2f, \"p99_us\": %.2f, \"max_us\": %.2f}\n",
	       loop_poller_name(loop), lat[samples / 2] / 1e3, lat[samples * 99 / 100] / 1e3,
	       lat[samples - 1] / 1e3);
	loop_free(loop);
	free(lat);
	return 0;
}
