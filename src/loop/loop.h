/*
 * loop.h - the reactor core: one event loop, owned by one thread.
 *
 * A loop waits in exactly one place (its poller: an io_uring ring, or epoll
 * when io_uring is unavailable) for fd readiness, ring completions, timer
 * deadlines and cross-thread posts. Nothing in ringvm polls for I/O.
 *
 * Threading: every function here must be called on the loop's own thread,
 * except loop_post(), loop_post_node(), loop_kick() and loop_stop(), which
 * any thread may call at any time.
 *
 * Errors are negative errno values.
 */
#ifndef RINGVM_LOOP_H
#define RINGVM_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct io_uring;

typedef void loop_fn(void *arg);

/* Which poller a loop waits in. */
enum loop_poller_kind {
	LOOP_POLLER_AUTO = 0, /* io_uring if the kernel allows it, else epoll */
	LOOP_POLLER_URING,
	LOOP_POLLER_EPOLL,
};

struct loop_opts {
	enum loop_poller_kind poller;
	unsigned ring_entries; /* io_uring SQ size; 0 = default (256) */
	unsigned max_workers;  /* io-wq bound per kind; 0 = default (nproc) */
};

/*
 * Create a loop. opts may be NULL (defaults; RINGVM_POLLER=uring|epoll in the
 * environment overrides AUTO). When io_uring was wanted but cannot be had
 * (kernel.io_uring_disabled, seccomp, old kernel), AUTO falls back to epoll
 * with one log line on stderr; LOOP_POLLER_URING fails instead.
 * Returns 0 and stores the loop in *out, or -errno. The caller frees it with
 * loop_free() on the same thread that runs it.
 */
int loop_new(struct loop **out, const struct loop_opts *opts);

/*
 * Free the loop. Pending timers are dropped without running; posted
 * callbacks still queued are run once so their arguments are not leaked.
 * Requests still in flight must have been drained by the aio layer
 * (aio_engine_close) before this.
 */
void loop_free(struct loop *loop);

/* The poller this loop waits in. */
enum loop_poller_kind loop_poller(const struct loop *loop);
const char *loop_poller_name(const struct loop *loop);

/* The ring, when the poller is io_uring; NULL otherwise. */
struct io_uring *loop_ring(struct loop *loop);

/*
 * Run until loop_stop(). Returns 0 after a stop, or -errno if waiting failed.
 */
int loop_run(struct loop *loop);

/*
 * One turn: run due timers, deferred calls and posts, flush submissions,
 * wait at most timeout_ns (-1 = until something happens, 0 = don't wait),
 * dispatch what arrived. Returns the number of callbacks run, or -errno.
 */
int loop_run_once(struct loop *loop, int64_t timeout_ns);

/* Make loop_run() return after the current turn. Any thread. */
void loop_stop(struct loop *loop);

/* Has loop_stop() been called and not yet ended a loop_run()? */
bool loop_stopping(const struct loop *loop);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t loop_now_ns(void);

/* ---- cross-thread posts ------------------------------------------------ */

/*
 * An intrusive post: the caller owns the node and must not reuse it until
 * its fn has started running on the loop thread.
 */
struct loop_post_node {
	struct loop_post_node *_Atomic next; /* private */
	loop_fn *fn;
	void *arg;
};

/*
 * Queue node->fn(node->arg) to run on the loop thread and wake the loop at
 * once if it sleeps. Lock-free (MPSC); any thread, including the loop's.
 */
void loop_post_node(struct loop *loop, struct loop_post_node *node);

/*
 * Same, with a node the loop allocates and frees. Returns 0 or -ENOMEM.
 */
int loop_post(struct loop *loop, loop_fn *fn, void *arg);

/* Wake the loop without queueing anything. Any thread. */
void loop_kick(struct loop *loop);

/* ---- deferred calls (loop thread only) --------------------------------- */

/*
 * Run fn(arg) later in this turn (after the current callback returns,
 * before the loop next waits). The node is the caller's, as for posts.
 */
void loop_defer(struct loop *loop, struct loop_post_node *node);

/* ---- timers (loop thread only) ----------------------------------------- */

struct loop_timer {
	loop_fn *fn;
	void *arg;
	uint64_t deadline; /* CLOCK_MONOTONIC ns; private while armed */
	size_t heap_index; /* private; SIZE_MAX when not armed */
	uint64_t seq;      /* private: FIFO order among equal deadlines */
};

void loop_timer_init(struct loop_timer *t, loop_fn *fn, void *arg);

/* Arm (or re-arm) for an absolute deadline. O(log n). Returns 0 or -ENOMEM. */
int loop_timer_arm(struct loop *loop, struct loop_timer *t, uint64_t deadline_ns);

/* Disarm; harmless if not armed. O(log n). */
void loop_timer_cancel(struct loop *loop, struct loop_timer *t);

static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

/* ---- flush hooks (loop thread only) ------------------------------------ */

/*
 * A hook runs once per turn just before the loop waits: the place where a
 * batching engine (libaio) hands its batch to the kernel. The node is the
 * caller's and stays registered until loop_del_flush_hook().
 */
struct loop_hook {
	loop_fn *fn;
	void *arg;
	struct loop_hook *next; /* private */
};
void loop_add_flush_hook(struct loop *loop, struct loop_hook *h);
void loop_del_flush_hook(struct loop *loop, struct loop_hook *h);

/* ---- fd readiness (loop thread only) ----------------------------------- */

struct loop_watch;
/* events: POLLIN/POLLOUT/... as returned by poll(2); negative on error. */
typedef void loop_watch_fn(struct loop_watch *w, int events);

struct loop_watch {
	int fd;
	uint32_t events; /* POLLIN | POLLOUT ... */
	loop_watch_fn *fn;
	void *arg;
	/* private */
	uint32_t state;
	struct loop_ring_op *op;  /* io_uring poller */
	struct loop_watch *next;  /* epoll poller: other watches of this fd */
};

/*
 * Call w->fn each time fd is ready for w->events, until loop_unwatch().
 * Level-triggered: fn is called again next turn if still ready. The watch
 * struct is the caller's and must stay valid until loop_unwatch().
 */
int loop_watch(struct loop *loop, struct loop_watch *w, int fd, uint32_t events,
	       loop_watch_fn *fn, void *arg);
void loop_unwatch(struct loop *loop, struct loop_watch *w);

/* ---- ring completions (for src/aio/, io_uring poller only) ------------- */

/*
 * Every SQE the loop's ring carries has a struct loop_ring_op as user_data.
 * The loop calls op->done(op, cqe->res, cqe->flags) on its thread.
 */
struct loop_ring_op {
	void (*done)(struct loop_ring_op *op, int res, uint32_t cqe_flags);
};

/*
 * Get an SQE for op, flushing the SQ to the kernel if it is full. Returns
 * NULL only if the kernel refuses to take more (then -EAGAIN later).
 * Submissions go to the kernel in one io_uring_enter per loop turn.
 */
struct io_uring_sqe *loop_ring_sqe(struct loop *loop, struct loop_ring_op *op);

/* Push queued SQEs to the kernel now (normally the loop does it). */
int loop_ring_flush(struct loop *loop);

/*
 * The ring's fixed-file table, one per ring and shared by all its users.
 * loop_ring_file_add registers fd (or takes another reference to its slot)
 * and returns the slot, or -errno: -ENOSYS no ring or no sparse tables
 * (kernel < 5.19), -ENOSPC table full. Each add needs one remove before fd
 * is closed: a slot keeps its file open, and a new file could get the same
 * fd number. loop_ring_file_slot gives fd's slot, or -1.
 */
int loop_ring_file_add(struct loop *loop, int fd);
void loop_ring_file_remove(struct loop *loop, int fd);
int loop_ring_file_slot(const struct loop *loop, int fd);

#endif
