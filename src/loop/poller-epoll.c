/*
 * poller-epoll.c - the loop sleeps in epoll_wait, for hosts without
 * io_uring (kernel.io_uring_disabled, seccomp, old kernels). File I/O then
 * goes through libaio (its eventfd is a watch here) or the thread pool.
 *
 * Watches are level-triggered epoll registrations. A watch removed while a
 * batch is being dispatched is struck from the rest of that batch, so a
 * callback may unwatch (and free) any watch, including another one.
 */
#include "loop-int.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* The wake fd's epoll data: a sentinel no watch can have. */
static char wake_tag;

static int epoll_init(struct loop *loop, const struct loop_opts *opts)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &wake_tag };
	(void)opts;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return -errno;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wake_fd, &ev) < 0) {
		int ret = -errno;
		close(loop->epfd);
		return ret;
	}
	return 0;
}

static void epoll_fini(struct loop *loop)
{
	close(loop->epfd);
}

static uint32_t to_epoll(uint32_t poll_events)
{
	/* POLLIN == EPOLLIN etc. on Linux; keep the bits that make sense. */
	return poll_events & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP);
}

static int epoll_watch_add(struct loop *loop, struct loop_watch *w)
{
	struct epoll_event ev = { .events = to_epoll(w->events), .data.ptr = w };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	return 0;
}

static void epoll_watch_del(struct loop *loop, struct loop_watch *w)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	for (int i = 0; i < loop->batch_len; i++)
		if (loop->batch[i].data.ptr == w)
			loop->batch[i].data.ptr = NULL;
}

static int epoll_wait_once(struct loop *loop, int64_t timeout_ns)
{
	struct epoll_event evs[LOOP_EPOLL_BATCH];
	int timeout_ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
	int n = epoll_wait(loop->epfd, evs, LOOP_EPOLL_BATCH, timeout_ms);
	int ran = 0;

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	loop->batch = evs;
	loop->batch_len = n;
	for (int i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;
		if (p == &wake_tag) {
			uint64_t v;
			(void)!read(loop->wake_fd, &v, sizeof(v));
			loop_woken(loop);
			continue;
		}
		if (!p)
			continue;
		struct loop_watch *w = p;
		w->fn(w, (int)evs[i].events);
		ran++;
	}
	loop->batch = NULL;
	loop->batch_len = 0;
	return ran;
}

const struct loop_poller_ops loop_poller_epoll = {
	.name = "epoll",
	.init = epoll_init,
	.fini = epoll_fini,
	.wait = epoll_wait_once,
	.watch = epoll_watch_add,
	.unwatch = epoll_watch_del,
};
