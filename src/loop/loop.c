/*
 * loop.c - the reactor core: posts, deferred calls, timers, flush hooks and
 * the turn that ties them to a poller (poller-uring.c or poller-epoll.c).
 *
 * Threading: a loop is run by one thread. Posts and kicks come from any
 * thread through the lock-free MPSC queue and the wake eventfd; the wake fd
 * is written only when the loop may be asleep, so a busy loop takes posts
 * without a syscall.
 */
#include "loop-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

uint64_t loop_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- MPSC queue ------------------------------------------------------- */

static void mpsc_init(struct loop_mpsc *q)
{
	atomic_store(&q->stub.next, NULL);
	atomic_store(&q->head, &q->stub);
	q->tail = &q->stub;
}

static void mpsc_push(struct loop_mpsc *q, struct loop_post_node *n)
{
	atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
	struct loop_post_node *prev = atomic_exchange(&q->head, n);
	atomic_store_explicit(&prev->next, n, memory_order_release);
}

/*
 * Pop one node, or NULL if empty or if a producer is between its exchange
 * and its link (the caller then sees mpsc_busy() and does not sleep).
 */
static struct loop_post_node *mpsc_pop(struct loop_mpsc *q)
{
	struct loop_post_node *tail = q->tail;
	struct loop_post_node *next = atomic_load_explicit(&tail->next, memory_order_acquire);

	if (tail == &q->stub) {
		if (!next)
			return NULL;
		q->tail = tail = next;
		next = atomic_load_explicit(&next->next, memory_order_acquire);
	}
	if (next) {
		q->tail = next;
		return tail;
	}
	if (tail != atomic_load(&q->head))
		return NULL;
	mpsc_push(q, &q->stub);
	next = atomic_load_explicit(&tail->next, memory_order_acquire);
	if (next) {
		q->tail = next;
		return tail;
	}
	return NULL;
}

/* Anything queued or being queued? */
static bool mpsc_busy(struct loop_mpsc *q)
{
	return q->tail != &q->stub || atomic_load(&q->head) != &q->stub ||
	       atomic_load(&q->stub.next) != NULL;
}

/* ---- creation --------------------------------------------------------- */

static enum loop_poller_kind poller_from_env(void)
{
	const char *s = getenv("RINGVM_POLLER");
	if (!s || !*s)
		return LOOP_POLLER_AUTO;
	if (!strcmp(s, "uring") || !strcmp(s, "io_uring"))
		return LOOP_POLLER_URING;
	if (!strcmp(s, "epoll"))
		return LOOP_POLLER_EPOLL;
	fprintf(stderr, "ringvm: ignoring RINGVM_POLLER=%s (want uring or epoll)\n", s);
	return LOOP_POLLER_AUTO;
}

int loop_new(struct loop **out, const struct loop_opts *opts)
{
	struct loop_opts def = { 0 };
	struct loop *loop;
	int ret;

	if (!opts)
		opts = &def;
	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	mpsc_init(&loop->posts);
	loop->defer_tail = &loop->defer_head;
	loop->epfd = -1;
	loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->wake_fd < 0) {
		ret = -errno;
		free(loop);
		return ret;
	}

	enum loop_poller_kind want = opts->poller;
	if (want == LOOP_POLLER_AUTO)
		want = poller_from_env();
	if (want != LOOP_POLLER_EPOLL) {
		loop->ops = &loop_poller_uring;
		loop->kind = LOOP_POLLER_URING;
		ret = loop->ops->init(loop, opts);
		if (ret == 0)
			goto done;
		if (want == LOOP_POLLER_URING)
			goto fail;
		fprintf(stderr, "ringvm: io_uring is unavailable (%s); using epoll and "
			"thread-pool I/O instead\n", strerror(-ret));
	}
	loop->ops = &loop_poller_epoll;
	loop->kind = LOOP_POLLER_EPOLL;
	ret = loop->ops->init(loop, opts);
	if (ret < 0)
		goto fail;
done:
	*out = loop;
	return 0;
fail:
	close(loop->wake_fd);
	free(loop);
	return ret;
}

static void run_posts(struct loop *loop, int *ran);

void loop_free(struct loop *loop)
{
	int ran = 0;
	if (!loop)
		return;
	run_posts(loop, &ran);
	loop->ops->fini(loop);
	close(loop->wake_fd);
	free(loop->heap);
	free(loop);
}

enum loop_poller_kind loop_poller(const struct loop *loop) { return loop->kind; }
const char *loop_poller_name(const struct loop *loop) { return loop->ops->name; }
struct io_uring *loop_ring(struct loop *loop) { return loop->ring; }

/* ---- posts and kicks -------------------------------------------------- */

void loop_kick(struct loop *loop)
{
	uint64_t one = 1;
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load(&loop->sleeping))
		return;
	if (atomic_exchange(&loop->wake_pending, 1))
		return; /* a wake is already on its way */
	(void)!write(loop->wake_fd, &one, sizeof(one));
}

void loop_post_node(struct loop *loop, struct loop_post_node *node)
{
	mpsc_push(&loop->posts, node);
	loop_kick(loop);
}

/* A post whose node the loop owns. */
struct owned_post {
	struct loop_post_node node;
	loop_fn *fn;
	void *arg;
};

static void run_owned(void *p)
{
	struct owned_post *op = p;
	loop_fn *fn = op->fn;
	void *arg = op->arg;
	free(op);
	fn(arg);
}

int loop_post(struct loop *loop, loop_fn *fn, void *arg)
{
	struct owned_post *op = malloc(sizeof(*op));
	if (!op)
		return -ENOMEM;
	op->fn = fn;
	op->arg = arg;
	op->node.fn = run_owned;
	op->node.arg = op;
	loop_post_node(loop, &op->node);
	return 0;
}

void loop_woken(struct loop *loop)
{
	atomic_store(&loop->wake_pending, 0);
}

static void run_posts(struct loop *loop, int *ran)
{
	struct loop_post_node *n;
	while ((n = mpsc_pop(&loop->posts))) {
		n->fn(n->arg);
		(*ran)++;
	}
}

void loop_stop(struct loop *loop)
{
	atomic_store(&loop->stop, true);
	loop_kick(loop);
}

bool loop_stopping(const struct loop *loop)
{
	return atomic_load(&loop->stop);
}

/* ---- deferred calls and hooks ----------------------------------------- */

void loop_defer(struct loop *loop, struct loop_post_node *node)
{
	atomic_store_explicit(&node->next, NULL, memory_order_relaxed);
	*loop->defer_tail = node;
	loop->defer_tail = (struct loop_post_node **)&node->next;
}

static void run_deferred(struct loop *loop, int *ran)
{
	while (loop->defer_head) {
		struct loop_post_node *n = loop->defer_head;
		loop->defer_head = atomic_load_explicit(&n->next, memory_order_relaxed);
		if (!loop->defer_head)
			loop->defer_tail = &loop->defer_head;
		n->fn(n->arg);
		(*ran)++;
	}
}

void loop_add_flush_hook(struct loop *loop, struct loop_hook *h)
{
	h->next = loop->hooks;
	loop->hooks = h;
}

void loop_del_flush_hook(struct loop *loop, struct loop_hook *h)
{
	for (struct loop_hook **p = &loop->hooks; *p; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			return;
		}
	}
}

/* ---- timers: binary heap ---------------------------------------------- */

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_set(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

static void heap_up(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_down(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= loop->heap_len)
			break;
		if (c + 1 < loop->heap_len && timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], t))
			break;
		heap_set(loop, i, loop->heap[c]);
		i = c;
	}
	heap_set(loop, i, t);
}

void loop_timer_init(struct loop_timer *t, loop_fn *fn, void *arg)
{
	t->fn = fn;
	t->arg = arg;
	t->deadline = 0;
	t->heap_index = SIZE_MAX;
	t->seq = 0;
}

void loop_timer_cancel(struct loop *loop, struct loop_timer *t)
{
	size_t i = t->heap_index;
	if (i == SIZE_MAX)
		return;
	t->heap_index = SIZE_MAX;
	struct loop_timer *last = loop->heap[--loop->heap_len];
	if (i == loop->heap_len)
		return;
	heap_set(loop, i, last);
	heap_up(loop, i);
	heap_down(loop, last->heap_index);
}

int loop_timer_arm(struct loop *loop, struct loop_timer *t, uint64_t deadline_ns)
{
	loop_timer_cancel(loop, t);
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
		struct loop_timer **h = realloc(loop->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		loop->heap = h;
		loop->heap_cap = cap;
	}
	t->deadline = deadline_ns;
	t->seq = loop->timer_seq++;
	heap_set(loop, loop->heap_len++, t);
	heap_up(loop, t->heap_index);
	return 0;
}

static void run_timers(struct loop *loop, int *ran)
{
	if (!loop->heap_len)
		return;
	uint64_t now = loop_now_ns();
	while (loop->heap_len && loop->heap[0]->deadline <= now) {
		struct loop_timer *t = loop->heap[0];
		loop_timer_cancel(loop, t);
		t->fn(t->arg);
		(*ran)++;
	}
}

/* ---- fd watches -------------------------------------------------------- */

int loop_watch(struct loop *loop, struct loop_watch *w, int fd, uint32_t events,
	       loop_watch_fn *fn, void *arg)
{
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	w->state = 1;
	w->op = NULL;
	return loop->ops->watch(loop, w);
}

void loop_unwatch(struct loop *loop, struct loop_watch *w)
{
	if (!w->state)
		return;
	w->state = 0;
	loop->ops->unwatch(loop, w);
}

/* ---- the turn ---------------------------------------------------------- */

static int64_t next_timeout(struct loop *loop, int64_t timeout_ns)
{
	if (loop->defer_head || mpsc_busy(&loop->posts) || atomic_load(&loop->stop))
		return 0;
	if (loop->heap_len) {
		uint64_t now = loop_now_ns();
		uint64_t dl = loop->heap[0]->deadline;
		int64_t until = dl > now ? (int64_t)(dl - now) : 0;
		if (timeout_ns < 0 || until < timeout_ns)
			timeout_ns = until;
	}
	return timeout_ns;
}

int loop_run_once(struct loop *loop, int64_t timeout_ns)
{
	int ran = 0, ret;

	run_posts(loop, &ran);
	run_deferred(loop, &ran);
	run_timers(loop, &ran);
	for (struct loop_hook *h = loop->hooks; h; h = h->next)
		h->fn(h->arg);

	/* Dekker with the posters: announce sleep, then look once more. */
	atomic_store(&loop->sleeping, 1);
	atomic_thread_fence(memory_order_seq_cst);
	int64_t t = ran ? 0 : next_timeout(loop, timeout_ns);
	ret = loop->ops->wait(loop, t);
	atomic_store(&loop->sleeping, 0);
	if (ret < 0 && ret != -EINTR)
		return ret;
	if (ret > 0)
		ran += ret;

	run_timers(loop, &ran);
	run_posts(loop, &ran);
	run_deferred(loop, &ran);
	return ran;
}

int loop_run(struct loop *loop)
{
	int ret = 0;
	/* A stop that came before we started still counts. */
	while (!atomic_load(&loop->stop)) {
		ret = loop_run_once(loop, -1);
		if (ret < 0)
			break;
	}
	atomic_store(&loop->stop, false);
	return ret < 0 ? ret : 0;
}
