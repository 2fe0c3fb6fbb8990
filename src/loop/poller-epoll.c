/*
 * poller-epoll.c - the loop sleeps in epoll_wait, for hosts without
 * io_uring (kernel.io_uring_disabled, seccomp, old kernels). File I/O then
 * goes through libaio (its eventfd is a watch here) or the thread pool.
 *
 * Watches are level-triggered epoll registrations, grouped per fd because
 * epoll holds one entry per fd: several watches of one fd (a reader and a
 * writer, say) share it with the union of their events.
 */
#include "loop-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int epoll_init(struct loop *loop, const struct loop_opts *opts)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)loop->wake_fd };
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
	free(loop->fd_slots);
}

/* POLLIN == EPOLLIN etc. on Linux; keep the bits that make sense. */
static uint32_t to_epoll(uint32_t poll_events)
{
	return poll_events & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP);
}

/* Register the union of the fd's watches' events (or drop the fd). */
static int sync_fd(struct loop *loop, int fd, bool was_registered)
{
	struct loop_fd_slot *slot = &loop->fd_slots[fd];
	uint32_t mask = 0;
	for (struct loop_watch *w = slot->head; w; w = w->next)
		mask |= to_epoll(w->events);
	if (!slot->head) {
		if (was_registered)
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		slot->mask = 0;
		return 0;
	}
	if (was_registered && mask == slot->mask)
		return 0;
	struct epoll_event ev = { .events = mask, .data.u64 = (uint64_t)fd };
	if (epoll_ctl(loop->epfd, was_registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	slot->mask = mask;
	return 0;
}

static int epoll_watch_add(struct loop *loop, struct loop_watch *w)
{
	if (w->fd < 0 || w->fd == loop->wake_fd)
		return -EBADF;
	if ((size_t)w->fd >= loop->nfd_slots) {
		size_t n = (size_t)w->fd * 2 + 16;
		struct loop_fd_slot *s = realloc(loop->fd_slots, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		memset(s + loop->nfd_slots, 0, (n - loop->nfd_slots) * sizeof(*s));
		loop->fd_slots = s;
		loop->nfd_slots = n;
	}
	struct loop_fd_slot *slot = &loop->fd_slots[w->fd];
	bool registered = slot->head != NULL;
	w->next = slot->head;
	slot->head = w;
	int ret = sync_fd(loop, w->fd, registered);
	if (ret < 0)
		slot->head = w->next;
	return ret;
}

static void epoll_watch_del(struct loop *loop, struct loop_watch *w)
{
	struct loop_fd_slot *slot = &loop->fd_slots[w->fd];
	for (struct loop_watch **p = &slot->head; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	if (loop->dispatch_next == w)
		loop->dispatch_next = w->next;
	sync_fd(loop, w->fd, true);
}

/*
 * An event names an fd; every watch of that fd whose events match is
 * called. A callback may unwatch any watch (dispatch_next is fixed up).
 * A stale event for an fd closed and reused within one batch can reach the
 * new watch once: harmless for level-triggered users, who read
 * non-blockingly.
 */
static int epoll_wait_once(struct loop *loop, int64_t timeout_ns)
{
	struct epoll_event evs[LOOP_EPOLL_BATCH];
	int timeout_ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
	int n = epoll_wait(loop->epfd, evs, LOOP_EPOLL_BATCH, timeout_ms);
	int ran = 0;

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		int fd = (int)evs[i].data.u64;
		uint32_t got = evs[i].events;
		if (fd == loop->wake_fd) {
			uint64_t v;
			(void)!read(loop->wake_fd, &v, sizeof(v));
			loop_woken(loop);
			continue;
		}
		if ((size_t)fd >= loop->nfd_slots)
			continue;
		for (struct loop_watch *w = loop->fd_slots[fd].head; w; w = loop->dispatch_next) {
			loop->dispatch_next = w->next;
			uint32_t mine = got & (to_epoll(w->events) | EPOLLERR | EPOLLHUP);
			if (mine) {
				w->fn(w, (int)mine);
				ran++;
			}
		}
		loop->dispatch_next = NULL;
	}
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
