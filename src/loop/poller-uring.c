/*
 * poller-uring.c - the loop sleeps in io_uring_enter.
 *
 * One ring per loop carries everything: aio submissions (src/aio/uring.c),
 * fd watches (one-shot POLL_ADD re-armed after each callback, which gives
 * level-triggered semantics), and a read on the wake eventfd so posts from
 * other threads end the wait at once. Submissions are batched: the SQ is
 * handed to the kernel once per turn, in the same io_uring_enter that waits.
 *
 * Needs IORING_FEAT_NODROP (5.5) so a full CQ never loses a completion, and
 * IORING_FEAT_EXT_ARG (5.11) for the wait timeout without a timeout SQE.
 */
#include "loop-int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <liburing.h>

#define URING_DEFAULT_ENTRIES 256
#define URING_CQE_BATCH 64

/* A watch's ring op: loop-owned, so it can outlive an unwatched watch. */
struct watch_op {
	struct loop_ring_op op;
	struct loop *loop;
	struct loop_watch *w; /* NULL once unwatched */
	bool armed;
	bool in_callback;     /* unwatch from the callback: free afterwards */
};

static void wake_done(struct loop_ring_op *op, int res, uint32_t flags);
static int uring_wait(struct loop *loop, int64_t timeout_ns);

static int arm_wake(struct loop *loop)
{
	struct io_uring_sqe *sqe = loop_ring_sqe(loop, &loop->wake_op);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_read(sqe, loop->wake_fd, &loop->wake_buf, sizeof(loop->wake_buf), 0);
	return 0;
}

static void wake_done(struct loop_ring_op *op, int res, uint32_t flags)
{
	struct loop *loop = (struct loop *)((char *)op - offsetof(struct loop, wake_op));
	(void)res;
	(void)flags;
	loop_woken(loop);
	arm_wake(loop);
}

static int uring_init(struct loop *loop, const struct loop_opts *opts)
{
	struct io_uring_params p = { 0 };
	unsigned entries = opts->ring_entries ? opts->ring_entries : URING_DEFAULT_ENTRIES;
	int ret;

	loop->ring = calloc(1, sizeof(*loop->ring));
	if (!loop->ring)
		return -ENOMEM;
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = entries * 4;
	ret = io_uring_queue_init_params(entries, loop->ring, &p);
	if (ret < 0)
		goto fail;
	if (!(p.features & IORING_FEAT_NODROP) || !(p.features & IORING_FEAT_EXT_ARG)) {
		io_uring_queue_exit(loop->ring);
		ret = -ENOSYS; /* kernel too old: < 5.11 */
		goto fail;
	}
	/* Bound io-wq: [0] bounded (file) workers, [1] unbounded (socket). */
	unsigned workers[2] = { opts->max_workers, opts->max_workers };
	if (!workers[0]) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		workers[0] = workers[1] = n > 0 ? (unsigned)n * 2 : 4;
	}
	(void)io_uring_register_iowq_max_workers(loop->ring, workers); /* 5.15+ */
	loop->wake_op.done = wake_done;
	ret = arm_wake(loop);
	if (ret < 0) {
		io_uring_queue_exit(loop->ring);
		goto fail;
	}
	return 0;
fail:
	free(loop->ring);
	loop->ring = NULL;
	return ret;
}

static void uring_fini(struct loop *loop)
{
	/* Let removed watches hear their last completion so nothing leaks. */
	for (int i = 0; i < 100 && loop->watch_ops_live; i++)
		uring_wait(loop, 1000000);
	loop_ring_files_free(loop);
	io_uring_queue_exit(loop->ring);
	free(loop->ring);
	loop->ring = NULL;
}

struct io_uring_sqe *loop_ring_sqe(struct loop *loop, struct loop_ring_op *op)
{
	if (!loop->ring)
		return NULL;
	struct io_uring_sqe *sqe = io_uring_get_sqe(loop->ring);
	if (!sqe) {
		io_uring_submit(loop->ring);
		loop->sq_pending = 0;
		sqe = io_uring_get_sqe(loop->ring);
		if (!sqe)
			return NULL;
	}
	io_uring_sqe_set_data(sqe, op);
	loop->sq_pending++;
	return sqe;
}

int loop_ring_flush(struct loop *loop)
{
	if (!loop->ring)
		return 0;
	loop->sq_pending = 0;
	int ret = io_uring_submit(loop->ring);
	return ret < 0 ? ret : 0;
}

/* Reap without holding the CQ: callbacks may re-enter the loop. */
static int reap(struct loop *loop)
{
	struct io_uring_cqe *cqes[URING_CQE_BATCH];
	struct {
		struct loop_ring_op *op;
		int res;
		uint32_t flags;
	} done[URING_CQE_BATCH];
	int ran = 0;
	unsigned n;

	while ((n = io_uring_peek_batch_cqe(loop->ring, cqes, URING_CQE_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			done[i].op = io_uring_cqe_get_data(cqes[i]);
			done[i].res = cqes[i]->res;
			done[i].flags = cqes[i]->flags;
		}
		io_uring_cq_advance(loop->ring, n);
		for (unsigned i = 0; i < n; i++) {
			if (done[i].op) /* NULL: fire-and-forget SQEs (cancels) */
				done[i].op->done(done[i].op, done[i].res, done[i].flags);
		}
		ran += n;
	}
	return ran;
}

static int uring_wait(struct loop *loop, int64_t timeout_ns)
{
	struct io_uring_cqe *cqe;
	int ret;

	if (timeout_ns == 0 || io_uring_cq_ready(loop->ring)) {
		if (loop->sq_pending || io_uring_sq_ready(loop->ring)) {
			loop->sq_pending = 0;
			ret = io_uring_submit(loop->ring);
			if (ret < 0 && ret != -EBUSY && ret != -EAGAIN && ret != -EINTR)
				return ret;
		}
		return reap(loop);
	}
	loop->sq_pending = 0;
	if (timeout_ns < 0) {
		ret = io_uring_submit_and_wait(loop->ring, 1);
	} else {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_ns / 1000000000,
			.tv_nsec = timeout_ns % 1000000000,
		};
		ret = io_uring_submit_and_wait_timeout(loop->ring, &cqe, 1, &ts, NULL);
	}
	if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
		return ret;
	return reap(loop);
}

/* ---- watches ------------------------------------------------------------ */

static void watch_done(struct loop_ring_op *op, int res, uint32_t flags);

static void watch_arm(struct loop *loop, struct watch_op *wo)
{
	struct io_uring_sqe *sqe = loop_ring_sqe(loop, &wo->op);
	if (!sqe) {
		/* Cannot happen with a drained SQ; report as an error event. */
		wo->armed = false;
		if (wo->w)
			wo->w->fn(wo->w, -EAGAIN);
		return;
	}
	io_uring_prep_poll_add(sqe, wo->w->fd, wo->w->events);
	wo->armed = true;
}

static void watch_done(struct loop_ring_op *op, int res, uint32_t flags)
{
	struct watch_op *wo = (struct watch_op *)op;
	struct loop_watch *w = wo->w;
	(void)flags;

	wo->armed = false;
	if (!w) { /* unwatched while armed: this is the last we hear of it */
		wo->loop->watch_ops_live--;
		free(wo);
		return;
	}
	/* io_uring cancels a thread's requests when that thread exits: a watch
	 * armed by a thread that has gone is armed again from this one. */
	if (res == -ECANCELED) {
		watch_arm(wo->loop, wo);
		return;
	}
	wo->in_callback = true;
	w->fn(w, res);
	wo->in_callback = false;
	/* The callback may have unwatched (and freed) w. */
	if (!wo->w) {
		wo->loop->watch_ops_live--;
		free(wo);
	} else if (!wo->armed) {
		watch_arm(wo->loop, wo);
	}
}

static int uring_watch(struct loop *loop, struct loop_watch *w)
{
	struct watch_op *wo = calloc(1, sizeof(*wo));
	if (!wo)
		return -ENOMEM;
	wo->op.done = watch_done;
	wo->loop = loop;
	loop->watch_ops_live++;
	wo->w = w;
	w->op = &wo->op;
	watch_arm(loop, wo);
	return 0;
}

static void uring_unwatch(struct loop *loop, struct loop_watch *w)
{
	struct watch_op *wo = (struct watch_op *)w->op;
	w->op = NULL;
	if (!wo)
		return;
	wo->w = NULL;
	if (wo->in_callback)
		return; /* watch_done frees it when the callback returns */
	if (!wo->armed) {
		loop->watch_ops_live--;
		free(wo);
		return;
	}
	struct io_uring_sqe *sqe = loop_ring_sqe(loop, NULL);
	if (sqe)
		io_uring_prep_poll_remove(sqe, (__u64)(uintptr_t)&wo->op);
}

const struct loop_poller_ops loop_poller_uring = {
	.name = "io_uring",
	.init = uring_init,
	.fini = uring_fini,
	.wait = uring_wait,
	.watch = uring_watch,
	.unwatch = uring_unwatch,
};
