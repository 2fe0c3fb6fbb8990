/*
 * uart.c - 16550A UART model (see uart.h for the threading split).
 *
 * The transmitter is modelled as infinitely fast while the host-bound ring
 * has room for a full FIFO: THRE and TEMT read 1 and the THRE interrupt
 * re-arms after every THR write, so Linux's 8250 driver streams 16 bytes
 * per interrupt without polling. When the ring is short of room, THRE and
 * TEMT read 0 until the reactor has drained it, then the THRE interrupt
 * fires. Loopback (MCR.LOOP) feeds THR into the RX FIFO, as drivers' self
 * tests expect.
 *
 * The receiver: host bytes land in an RX ring (UART_RX_RING) on the loop
 * thread; the guest sees its first 16 as the FIFO (1 with the FIFO off),
 * and each RBR read moves the next ring byte into view on the vCPU thread
 * itself, as if it had just arrived on the wire. So a stream costs the
 * vCPU no round trip to the reactor per FIFO load: the vCPU posts only
 * when the ring has drained to half (the chardev refills it, or resumes
 * reading its fd) and when the timeout timer needs arming. Flow control
 * to the host is at the ring: the chardev is told how much room is left.
 *
 * Character timeout (IIR 0x0c): with fewer bytes in the FIFO than the
 * trigger level, the interrupt waits until nothing was received and
 * nothing read for 4 character times at the programmed baud rate (divisor,
 * UART clock and LCR word length). A loop timer implements it; it runs only
 * while such a partial FIFO waits, and fires at the last event + timeout.
 *
 * RINGVM_UART_TRACE=PATH records when bytes and interrupts pass each stage
 * (uart-trace.h; perf/serial/stages.py turns it into a per-stage table).
 *
 * Reactor wake-ups are rationed both ways (each can preempt the vCPU on a
 * busy host): RX bursts with pauses (RX_BURST) and a TX linger
 * (TX_LINGER_NS), explained where they are defined.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "char/char.h"
#include "hw/uart-trace.h"
#include "hw/uart.h"
#include "loop/loop.h"

enum {
	REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
	REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI 0x04
#define IER_EDSSI 0x08

#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLR_RX 0x02

#define LCR_DLAB 0x80
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define RX_LOW_WATER (UART_RX_RING / 2)
/*
 * A guest's 8250 driver reads the FIFO in its interrupt handler for as long
 * as data is there; a line that never goes quiet would keep it there, and
 * the tty layer's worker (which throttles the sender via RTS) would never
 * run: its buffers overflow and bytes are lost in the guest (RTS flow
 * control covers only the line discipline's buffer, behind that worker).
 * So after each RX_BURST bytes (half the ring) the FIFO stays empty for as long as the
 * guest took to read the burst (at least RX_PAUSE_NS): the guest gets at
 * least as much time for its tty path as its interrupt handler used, on
 * any host load. This halves the peak rate at most.
 */
#define RX_BURST 8192u
#define TX_LINGER_NS 500000ull
#define RX_PAUSE_NS 100000ull
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

struct uart {
	pthread_mutex_t lock; /* guards everything below but the post nodes */
	struct loop *loop;
	struct uart_irq irq;
	struct chr_dev *chr; /* loop thread only */

	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr, lsr_err, msr_delta;
	bool thr_pending, irq_level, fifo_on;
	bool wake_owed;          /* [lock] a rise owes a hart wake-up at unlock */
	uint8_t rx[UART_RX_RING];
	unsigned rx_head, rx_count; /* ring; the FIFO is its first rx_fifo */
	unsigned rx_fifo;           /* bytes the guest sees (<= 16) */
	uint64_t rx_last_ns;        /* last byte received or RBR read */
	bool cti;                   /* the character timeout expired */
	bool cti_armed;             /* the timer runs (or a post will arm it) */
	uint32_t clock_hz;
	uint64_t (*now)(void *);    /* the clock (tests substitute theirs) */
	void *now_opaque;
	struct loop_timer cti_timer; /* loop thread only */
	unsigned rx_burst;           /* bytes into the FIFO since the last pause */
	uint64_t rx_burst_ns;        /* when this burst began; then its length */
	bool rx_paused;              /* burst spent: the loop reopens later */
	struct loop_timer pause_timer; /* loop thread only */

	uint8_t tx[UART_TX_RING];
	uint64_t tx_head, tx_tail; /* free-running; vCPU advances head */
	bool tx_blocked;            /* loop: chardev refused; wait write_ready */
	bool tx_lingering;          /* the loop looks again soon: no post needed */
	struct loop_timer tx_timer; /* loop thread only */
	uint64_t tx_dropped;

	struct loop_post_node tx_post, rx_post;
	atomic_bool tx_posted, rx_posted;
	atomic_bool attached; /* a chardev may be holding input for us */
	unsigned trace_id;    /* this UART's number in the latency trace */
	bool trace_rbr;       /* trace the next RBR read */
};

static unsigned rx_trigger(const struct uart *u)
{
	static const unsigned levels[4] = { 1, 4, 8, 14 };

	return u->fifo_on ? levels[u->fcr >> 6] : 1;
}

static unsigned fifo_size(const struct uart *u)
{
	return u->fifo_on ? UART_FIFO_SIZE : 1;
}

/*
 * The far end honours RTS as hardware flow control: with DTR up and RTS
 * down (Linux's throttle under crtscts) no more bytes enter the FIFO. With
 * DTR down too (a closed port, or firmware that never sets the modem
 * lines) bytes flow: RTS is then no statement about the receiver.
 */
static bool rx_gate_open(const struct uart *u)
{
	return (u->mcr & MCR_LOOP) || (u->mcr & 0x03) != 0x01;
}

static void post_once(struct uart *u, struct loop_post_node *node, atomic_bool *flag);
static void update_irq(struct uart *u);
static void uart_unlock(struct uart *u);
static void cti_kick(struct uart *u);

/* Move ring bytes into the FIFO as far as it, the gate and the burst
 * budget allow; lock held. */
static void fifo_refill(struct uart *u)
{
	unsigned want = u->rx_count < fifo_size(u) ? u->rx_count : fifo_size(u);

	if (want <= u->rx_fifo || !rx_gate_open(u) || u->rx_paused)
		return;
	if (u->rx_burst >= RX_BURST) {
		if (u->rx_fifo)
			return; /* the pause starts once the FIFO was read empty */
		u->rx_paused = true;
		u->rx_burst_ns = u->now(u->now_opaque) - u->rx_burst_ns;
		post_once(u, &u->rx_post, &u->rx_posted); /* the loop times it */
		return;
	}
	if (!u->rx_burst)
		u->rx_burst_ns = u->now(u->now_opaque);
	u->rx_burst += want - u->rx_fifo;
	u->rx_fifo = want;
}

/* The pause is over: the next burst may show. Loop thread. */
static void pause_timer_fn(void *arg)
{
	struct uart *u = arg;

	pthread_mutex_lock(&u->lock);
	u->rx_paused = false;
	u->rx_burst = 0;
	fifo_refill(u);
	update_irq(u);
	uart_unlock(u);
	cti_kick(u); /* what now shows may be below the trigger level */
}

/* A partial FIFO waits for the timeout; lock held. */
static bool cti_waiting(const struct uart *u)
{
	unsigned n = u->rx_fifo;

	return n && n < rx_trigger(u) && !u->cti;
}

/* 4 character times: start + 5..8 data + parity + 1..2 stop bits. */
static uint64_t cti_timeout_ns(const struct uart *u)
{
	unsigned div = ((unsigned)u->dlm << 8) | u->dll;
	unsigned bits = 1 + 5 + (u->lcr & 3) + ((u->lcr & 0x08) ? 1 : 0) +
			((u->lcr & 0x04) ? 2 : 1);

	if (!div)
		div = 1;
	return 4ull * bits * 16 * div * 1000000000ull / u->clock_hz;
}

static bool tx_room(const struct uart *u)
{
	return UART_TX_RING - (u->tx_head - u->tx_tail) >= UART_FIFO_SIZE;
}

static uint8_t uart_iir(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_OE))
		return IIR_RLSI;
	if ((u->ier & IER_ERBFI) && u->rx_fifo) {
		if (u->rx_fifo >= rx_trigger(u))
			return IIR_RDI;
		if (u->cti)
			return IIR_CTI;
	}
	if ((u->ier & IER_ETBEI) && u->thr_pending)
		return IIR_THRI;
	if ((u->ier & IER_EDSSI) && u->msr_delta)
		return IIR_MSI;
	return IIR_NONE;
}

/* Recompute the line; lock held. */
static void update_irq(struct uart *u)
{
	bool level = uart_iir(u) != IIR_NONE;

	if (level != u->irq_level) {
		u->irq_level = level;
		if (level && uart_iir(u) != IIR_THRI) { /* RX causes: one per message */
			uart_trace(u->trace_id, UART_TR_IRQ, uart_iir(u));
			u->trace_rbr = true;
		}
		if (u->irq.set)
			u->irq.set(u->irq.opaque, level);
		u->wake_owed |= level;
	}
}

/* Release the lock, then make the hart wake-up a rise in it owes (a
 * system call when the hart sleeps: never under the lock the woken vCPU
 * takes first). */
static void uart_unlock(struct uart *u)
{
	bool wake = u->wake_owed;

	u->wake_owed = false;
	pthread_mutex_unlock(&u->lock);
	if (wake && u->irq.wake)
		u->irq.wake(u->irq.opaque);
}

static void post_once(struct uart *u, struct loop_post_node *node, atomic_bool *flag)
{
	if (u->loop && !atomic_exchange(flag, true))
		loop_post_node(u->loop, node);
}

/* A byte arrives; the caller checked for room. Lock held. */
static void rx_push(struct uart *u, uint8_t c)
{
	u->rx[(u->rx_head + u->rx_count) % UART_RX_RING] = c;
	u->rx_count++;
	fifo_refill(u);
	u->rx_last_ns = u->now(u->now_opaque);
}

/* The loop must arm the timeout timer (or take input); lock held. */
static void rx_wake_loop(struct uart *u)
{
	if (cti_waiting(u) && !u->cti_armed) {
		u->cti_armed = true;
		post_once(u, &u->rx_post, &u->rx_posted);
	}
}

static uint8_t read_rbr(struct uart *u)
{
	uint8_t c = 0;

	if (!u->rx_fifo)
		return 0;
	if (u->trace_rbr) { /* the first read after the line went up */
		u->trace_rbr = false;
		uart_trace(u->trace_id, UART_TR_RBR, u->rx_fifo);
	}
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_RX_RING;
	u->rx_count--;
	u->rx_fifo--;
	fifo_refill(u);
	u->rx_last_ns = u->now(u->now_opaque);
	u->cti = false; /* reading RBR clears the timeout indication */
	/* Half drained: the chardev refills (it may be holding input). */
	if (u->rx_count == RX_LOW_WATER || (u->rx_count == 0 && !(u->mcr & MCR_LOOP)))
		post_once(u, &u->rx_post, &u->rx_posted);
	rx_wake_loop(u);
	return c;
}

static uint8_t read_msr(struct uart *u)
{
	uint8_t m;

	if (u->mcr & MCR_LOOP) {
		/* RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD */
		m = (uint8_t)(((u->mcr & 0x02) << 3) | ((u->mcr & 0x01) << 5) |
			      ((u->mcr & 0x04) << 4) | ((u->mcr & 0x08) << 4));
	} else {
		m = 0xb0; /* DCD, DSR, CTS: a connected line */
	}
	m |= u->msr_delta;
	u->msr_delta = 0;
	return m;
}

static uint8_t reg_read(struct uart *u, unsigned off)
{
	uint8_t v;

	switch (off) {
	case REG_RBR_THR:
		return (u->lcr & LCR_DLAB) ? u->dll : read_rbr(u);
	case REG_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case REG_IIR_FCR:
		v = uart_iir(u);
		if (v == IIR_THRI)
			u->thr_pending = false; /* reading IIR acknowledges THRE */
		return v | (u->fifo_on ? IIR_FIFO : 0);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = u->lsr_err | (u->rx_fifo ? LSR_DR : 0);
		if ((u->mcr & MCR_LOOP) || tx_room(u))
			v |= LSR_THRE | LSR_TEMT;
		u->lsr_err = 0; /* error bits clear on read */
		return v;
	case REG_MSR:
		return read_msr(u);
	default:
		return u->scr;
	}
}

static void write_thr(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		if (u->rx_fifo >= fifo_size(u) || u->rx_count >= UART_RX_RING)
			u->lsr_err |= LSR_OE;
		else
			rx_push(u, c);
		rx_wake_loop(u);
		u->thr_pending = true;
		return;
	}
	if (UART_TX_RING - (u->tx_head - u->tx_tail) == 0) {
		u->tx_dropped++; /* the guest ignored THRE=0 */
		u->thr_pending = false;
		return;
	}
	bool was_empty = u->tx_head == u->tx_tail;

	if (was_empty) /* a stream's later bytes would fill the trace */
		uart_trace(u->trace_id, UART_TR_THR, 1);

	u->tx[u->tx_head % UART_TX_RING] = c;
	u->tx_head++;
	/* "sent" at once while there is room; else THRE comes with the drain */
	u->thr_pending = tx_room(u);
	if (!u->thr_pending)
		uart_trace(u->trace_id, UART_TR_FULL, 0);
	if ((was_empty && !u->tx_lingering) || u->tx_head - u->tx_tail == UART_TX_RING / 4)
		post_once(u, &u->tx_post, &u->tx_posted);
}

static void write_fcr(struct uart *u, uint8_t v)
{
	bool on = v & FCR_ENABLE;

	if (on != u->fifo_on || (v & FCR_CLR_RX)) {
		/* Drop what the FIFO shows; ring bytes behind it count as still
		 * on the wire (the chardev held them before the ring existed). */
		unsigned n = u->rx_fifo;

		u->rx_head = (u->rx_head + n) % UART_RX_RING;
		u->rx_count -= n;
		u->rx_fifo = 0;
		u->cti = false;
		if (!(u->mcr & MCR_LOOP))
			post_once(u, &u->rx_post, &u->rx_posted);
	}
	/* TX clear is a no-op: ring bytes already count as transmitted. */
	u->fifo_on = on;
	u->fcr = v & 0xc9;
	fifo_refill(u);
	rx_wake_loop(u); /* a new trigger level may leave a partial FIFO */
}

static void reg_write(struct uart *u, unsigned off, uint8_t v)
{
	switch (off) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			write_thr(u, v);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* enabling ETBEI with the transmitter empty raises THRE */
		if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI) &&
		    ((u->mcr & MCR_LOOP) || tx_room(u)))
			u->thr_pending = true;
		u->ier = v & 0x0f;
		break;
	case REG_IIR_FCR:
		write_fcr(u, v);
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		u->mcr = v & 0x1f;
		fifo_refill(u); /* RTS up again (unthrottle) lets bytes in */
		rx_wake_loop(u);
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

int uart_mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
	struct uart *u = opaque;

	pthread_mutex_lock(&u->lock);
	*val = off < 8 ? reg_read(u, (unsigned)off) : 0;
	update_irq(u);
	uart_unlock(u);
	return 0;
}

int uart_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct uart *u = opaque;

	pthread_mutex_lock(&u->lock);
	if (off < 8)
		reg_write(u, (unsigned)off, (uint8_t)val);
	update_irq(u);
	uart_unlock(u);
	return 0;
}

/* ---- loop thread: the chardev side ------------------------------------ */

static size_t fe_can_receive(void *opaque)
{
	struct uart *u = opaque;
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = (u->mcr & MCR_LOOP) ? 0 : UART_RX_RING - u->rx_count;
	uart_unlock(u);
	return n;
}

/*
 * The timeout timer: lock held, loop thread (or uart_poll without a loop).
 * Returns the deadline to arm for, or 0 when the timer should stop: an
 * empty FIFO, one at or above the trigger level (RDI is up; the RBR read
 * that takes it below posts), or an expired timeout (RBR read re-posts).
 */
static uint64_t cti_check(struct uart *u)
{
	uint64_t deadline;

	if (!cti_waiting(u))
		return 0;
	deadline = u->rx_last_ns + cti_timeout_ns(u);
	if (u->now(u->now_opaque) < deadline)
		return deadline;
	u->cti = true;
	uart_trace(u->trace_id, UART_TR_CTI, 0);
	update_irq(u);
	return 0;
}

static void cti_timer_fn(void *arg)
{
	struct uart *u = arg;
	uint64_t deadline;

	pthread_mutex_lock(&u->lock);
	deadline = cti_check(u);
	u->cti_armed = deadline != 0;
	uart_unlock(u);
	if (deadline)
		loop_timer_arm(u->loop, &u->cti_timer, deadline);
}

/* Start the timer if a partial FIFO waits and it is not running. Loop. */
static void cti_kick(struct uart *u)
{
	bool start;

	pthread_mutex_lock(&u->lock);
	start = cti_waiting(u) && (!u->cti_armed || !loop_timer_armed(&u->cti_timer));
	if (start)
		u->cti_armed = true;
	uart_unlock(u);
	if (start && u->loop && u->chr)
		cti_timer_fn(u); /* checks at once, arms for the deadline */
}

static void fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct uart *u = opaque;

	uart_trace(u->trace_id, UART_TR_RX, (uint32_t)len);
	pthread_mutex_lock(&u->lock);
	for (size_t i = 0; i < len && u->rx_count < UART_RX_RING; i++)
		rx_push(u, buf[i]);
	update_irq(u);
	uart_unlock(u);
	cti_kick(u);
}

/* Move ring bytes to the chardev; returns how many moved. Loop thread. */
static uint64_t tx_drain(struct uart *u)
{
	uint64_t moved = 0;

	for (;;) {
		uint64_t used, idx, chunk;
		size_t n;

		pthread_mutex_lock(&u->lock);
		used = u->tx_head - u->tx_tail;
		idx = u->tx_tail % UART_TX_RING;
		uart_unlock(u);
		if (!used)
			return moved;
		chunk = used < UART_TX_RING - idx ? used : UART_TX_RING - idx;
		/* the vCPU only writes outside [tail, head): no lock needed */
		n = u->chr ? chr_write(u->chr, u->tx + idx, chunk) : chunk;
		uart_trace(u->trace_id, UART_TR_TX, (uint32_t)n);
		moved += n;

		pthread_mutex_lock(&u->lock);
		bool had_room = tx_room(u);

		u->tx_tail += n;
		if (!had_room && tx_room(u)) {
			u->thr_pending = true;
			update_irq(u);
		}
		u->tx_blocked = n < chunk;
		uart_unlock(u);
		if (n < chunk)
			return moved; /* fe_write_ready resumes */
	}
}

/*
 * After a drain that moved bytes the loop lingers: it looks at the ring
 * again in TX_LINGER_NS, and the vCPU does not post meanwhile (it posts
 * only once a quarter of the ring is used). A guest streaming output then
 * wakes the reactor ~2000 times a second instead of once per FIFO load
 * (each wake-up can preempt the vCPU on a busy host). A lone write after a
 * quiet spell still posts at once: the linger ends when a look finds less
 * than a FIFO load.
 */
static void tx_linger(struct uart *u, uint64_t moved)
{
	bool stop = false;

	if (!u->loop || !u->chr)
		return; /* no timers while detached: the loop may be going away */
	pthread_mutex_lock(&u->lock);
	/* Linger only for a stream (a FIFO load or more per look): a lone
	 * byte (an echo, a keystroke) must not wait for the next look. */
	if (moved < UART_FIFO_SIZE && u->tx_head == u->tx_tail)
		stop = true;
	u->tx_lingering = !stop;
	uart_unlock(u);
	if (!stop && !loop_timer_armed(&u->tx_timer))
		loop_timer_arm(u->loop, &u->tx_timer, loop_now_ns() + TX_LINGER_NS);
}

static void tx_timer_fn(void *arg)
{
	struct uart *u = arg;

	tx_linger(u, tx_drain(u));
}

static void fe_write_ready(void *opaque)
{
	struct uart *u = opaque;

	tx_linger(u, tx_drain(u));
}

static void tx_post_fn(void *arg)
{
	struct uart *u = arg;

	atomic_store(&u->tx_posted, false);
	tx_linger(u, tx_drain(u));
}

static void rx_post_fn(void *arg)
{
	struct uart *u = arg;
	uint64_t pause;
	bool paused;

	atomic_store(&u->rx_posted, false);
	pthread_mutex_lock(&u->lock);
	paused = u->rx_paused;
	pause = u->rx_burst_ns > RX_PAUSE_NS ? u->rx_burst_ns : RX_PAUSE_NS;
	uart_unlock(u);
	if (pause > 50 * RX_PAUSE_NS)
		pause = 50 * RX_PAUSE_NS; /* 5 ms: the vCPU was descheduled */
	if (paused && u->chr && !loop_timer_armed(&u->pause_timer))
		loop_timer_arm(u->loop, &u->pause_timer, loop_now_ns() + pause);
	chr_accept_input(u->chr);
	cti_kick(u);
}

void uart_poll(struct uart *u)
{
	tx_drain(u);
	chr_accept_input(u->chr);
	if (!u->loop) { /* no timers: end a pause, evaluate the timeout now */
		pause_timer_fn(u);
		pthread_mutex_lock(&u->lock);
		u->cti_armed = cti_check(u) != 0;
		uart_unlock(u);
	}
}

void uart_attach(struct uart *u, struct chr_dev *chr)
{
	struct chr_frontend fe = {
		.can_receive = fe_can_receive,
		.receive = fe_receive,
		.write_ready = fe_write_ready,
		.opaque = u,
	};

	u->chr = chr;
	atomic_store(&u->attached, chr != NULL);
	if (!chr && u->loop) {
		/* Detached: no timer runs from now on (they are not re-armed
		 * while detached), so uart_free may follow the loop's end. */
		loop_timer_cancel(u->loop, &u->cti_timer);
		loop_timer_cancel(u->loop, &u->pause_timer);
		loop_timer_cancel(u->loop, &u->tx_timer);
		pthread_mutex_lock(&u->lock);
		u->cti_armed = u->tx_lingering = false;
		uart_unlock(u);
	}
	if (chr) {
		chr_attach(chr, &fe);
		pause_timer_fn(u); /* a pause cut short by a detach ends now */
	}
	tx_drain(u);
}

void uart_flush(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	while (u->tx_head != u->tx_tail) {
		uint64_t idx = u->tx_tail % UART_TX_RING;
		uint64_t used = u->tx_head - u->tx_tail;
		uint64_t chunk = used < UART_TX_RING - idx ? used : UART_TX_RING - idx;

		if (u->chr)
			chr_write_sync(u->chr, u->tx + idx, chunk);
		u->tx_tail += chunk;
	}
	uart_unlock(u);
}

void uart_reset(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	u->ier = u->mcr = u->scr = u->fcr = u->lsr_err = u->msr_delta = 0;
	u->lcr = 0x03; /* 8N1 */
	u->dll = 0x0c; /* 9600 baud at 1.8432 MHz, a common reset value */
	u->dlm = 0;
	u->fifo_on = false;
	u->rx_count = u->rx_head = u->rx_fifo = 0;
	u->cti = false;
	u->rx_burst = 0;
	u->rx_paused = false; /* a pending pause timer finds nothing to do */
	u->thr_pending = false;
	update_irq(u);
	uart_unlock(u);
	if (atomic_load(&u->attached)) /* the FIFO emptied: take held input */
		post_once(u, &u->rx_post, &u->rx_posted);
}

uint64_t uart_tx_dropped(const struct uart *u)
{
	return u->tx_dropped;
}

static uint64_t default_now(void *opaque)
{
	(void)opaque;
	return loop_now_ns();
}

void uart_set_clock(struct uart *u, uint32_t clock_hz, uint64_t (*now)(void *opaque),
		    void *opaque)
{
	pthread_mutex_lock(&u->lock);
	if (clock_hz)
		u->clock_hz = clock_hz;
	u->now = now ? now : default_now;
	u->now_opaque = opaque;
	uart_unlock(u);
}

int uart_new(struct uart **out, struct loop *loop, const struct uart_irq *irq)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	pthread_mutex_init(&u->lock, NULL);
	u->loop = loop;
	if (irq)
		u->irq = *irq;
	u->tx_post.fn = tx_post_fn;
	u->tx_post.arg = u;
	u->rx_post.fn = rx_post_fn;
	u->rx_post.arg = u;
	atomic_init(&u->tx_posted, false);
	atomic_init(&u->rx_posted, false);
	atomic_init(&u->attached, false);
	u->clock_hz = UART_CLOCK_HZ;
	u->now = default_now;
	u->trace_id = uart_trace_open();
	loop_timer_init(&u->cti_timer, cti_timer_fn, u);
	loop_timer_init(&u->pause_timer, pause_timer_fn, u);
	loop_timer_init(&u->tx_timer, tx_timer_fn, u);
	uart_reset(u);
	*out = u;
	return 0;
}

void uart_free(struct uart *u)
{
	if (!u)
		return;
	/* timers: cancelled by the detach (uart_attach NULL) before this */
	pthread_mutex_destroy(&u->lock);
	free(u);
}
