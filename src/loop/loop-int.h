/*
 * loop-int.h - what the loop core and its pollers share. Not for other
 * modules: they see loop.h only.
 */
#ifndef RINGVM_LOOP_INT_H
#define RINGVM_LOOP_INT_H

#include <stdatomic.h>
#include <sys/epoll.h>

#include "loop.h"

/*
 * A poller is where the loop sleeps. Each is one file with the same
 * handful of functions (Redis ae.c style).
 */
struct loop_poller_ops {
	const char *name;
	int (*init)(struct loop *loop, const struct loop_opts *opts);
	void (*fini)(struct loop *loop);
	/* Flush submissions, wait up to timeout_ns (-1 forever), dispatch.
	 * Returns callbacks run, or -errno. */
	int (*wait)(struct loop *loop, int64_t timeout_ns);
	int (*watch)(struct loop *loop, struct loop_watch *w);
	void (*unwatch)(struct loop *loop, struct loop_watch *w);
};

extern const struct loop_poller_ops loop_poller_uring;
extern const struct loop_poller_ops loop_poller_epoll;

/* Vyukov's intrusive MPSC queue: push from any thread, pop from one. */
struct loop_mpsc {
	struct loop_post_node *_Atomic head;
	struct loop_post_node *tail;
	struct loop_post_node stub;
};

#define LOOP_EPOLL_BATCH 64

struct loop {
	enum loop_poller_kind kind;
	const struct loop_poller_ops *ops;

	/* wakeups: posters write wake_fd only when the loop may sleep */
	int wake_fd;
	atomic_int sleeping;
	atomic_int wake_pending;
	atomic_bool stop;
	struct loop_mpsc posts;

	/* deferred calls: FIFO, loop thread only */
	struct loop_post_node *defer_head, **defer_tail;

	/* timers: binary min-heap on (deadline, seq) */
	struct loop_timer **heap;
	size_t heap_len, heap_cap;
	uint64_t timer_seq;

	struct loop_hook *hooks;

	/* io_uring poller */
	struct io_uring *ring;
	struct loop_ring_op wake_op;
	uint64_t wake_buf;
	unsigned sq_pending; /* SQEs taken since the last submit */
	unsigned watch_ops_live;
	struct loop_ring_files *files; /* fixed-file table (ring-files.c), lazily */

	/* epoll poller: watches grouped per fd (epoll takes one entry per fd) */
	int epfd;
	struct loop_fd_slot *fd_slots; /* indexed by fd */
	size_t nfd_slots;
	struct loop_watch *dispatch_next; /* fixed up when unwatched mid-dispatch */
};

struct loop_fd_slot {
	struct loop_watch *head;
	uint32_t mask;
};

/* ring-files.c: with the ring, on the loop thread */
void loop_ring_files_free(struct loop *loop);

/* Called by a poller when the wake fd fired (after draining it). */
void loop_woken(struct loop *loop);

#endif
