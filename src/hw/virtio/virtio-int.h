/*
 * virtio-int.h - what the transport (virtio-mmio.c), the split virtqueue
 * (virtqueue.c) and the device models (virtio-blk/rng/console.c) share.
 *
 * Ownership and threads:
 *   - The register file (fields marked [lock]) belongs to the vCPU side and
 *     sits under d->lock; the reactor takes the lock only to snapshot a
 *     queue's configuration, raise an interrupt or finish a reset.
 *   - Ring state (struct virtq below the [reactor] mark) is the reactor's.
 *   - d->epoch counts resets. Work started in one epoch never touches guest
 *     rings in another. d->inflight counts requests (and queue walks) in
 *     progress; a reset written while it is non-zero completes on the
 *     reactor when it drops to zero (status reads the old value until then).
 */
#ifndef RINGVM_HW_VIRTIO_INT_H
#define RINGVM_HW_VIRTIO_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hw/virtio/virtio-mmio.h"
#include "loop/loop.h"

/* ---- spec constants (virtio 1.2) ---------------------------------------- */
#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_VENDOR_ID 0x4d565200u  /* "\0RVM" */

#define VIRTIO_S_ACKNOWLEDGE 1u
#define VIRTIO_S_DRIVER 2u
#define VIRTIO_S_DRIVER_OK 4u
#define VIRTIO_S_FEATURES_OK 8u
#define VIRTIO_S_NEEDS_RESET 64u
#define VIRTIO_S_FAILED 128u

#define VIRTIO_ISR_USED 1u
#define VIRTIO_ISR_CONFIG 2u

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY 1u

#define VIRTIO_MAX_QUEUES 16
#define VIRTIO_MAX_QUEUE_SIZE 1024
/* Linux may put more entries in an indirect table than the queue has
 * (total_sg > num is allowed with indirect); bound it like the ring. */
#define VIRTIO_MAX_INDIRECT 1024
/* Segments one chain can yield: a direct part plus one indirect table. */
#define VIRTIO_MAX_SEGS(qmax) ((qmax) + VIRTIO_MAX_INDIRECT)

#define VIRTIO_BIT(n) (1ull << (n))

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtio_mmio;

/* What the vCPU writes for one queue [lock]. */
struct virtq_regs {
	uint32_t num;
	uint32_t ready;
	uint64_t desc, driver, device;
};

struct virtq {
	struct virtio_mmio *dev;
	unsigned index;
	unsigned max;                     /* QueueNumMax */
	struct loop_post_node notify_node;/* posted by QueueNotify */
	atomic_bool notify_pending;       /* coalesces notifies */
	struct loop_post_node signal_node;/* deferred interrupt decision */
	bool signal_pending;
	/* [reactor] ring state, valid while active */
	bool active, broken;
	uint32_t act_epoch;
	uint16_t num;
	bool event_idx, indirect;
	uint8_t *desc;                    /* num * 16 bytes in guest RAM */
	uint8_t *avail;                   /* flags, idx, ring[num], used_event */
	uint8_t *used;                    /* flags, idx, ring[num]{id,len}, avail_event */
	uint16_t last_avail, used_idx, signalled_used;
	struct iovec *scratch;            /* VIRTIO_MAX_SEGS(max): one chain */
	void *priv;                       /* the device's per-queue state */
};

/* One popped descriptor chain: out_num readable segments, then in_num
 * writable ones, in iov (the queue's scratch: valid until the next pop). */
struct virtq_elem {
	uint16_t head;
	unsigned out_num, in_num;
	size_t out_len, in_len;
	struct iovec *iov;
};

/* Filled by each device model (a const table). */
struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	/* The guest made buffers available on q (active, walk token held). */
	void (*queue_notify)(struct virtio_mmio *d, struct virtq *q);
	/* A reset happened: drop device-side state (reactor; may be NULL). */
	void (*reset)(struct virtio_mmio *d);
	/* Free the device (called last by virtio_mmio_free). */
	void (*free)(struct virtio_mmio *d);
};

/*
 * Where a request's time goes (RINGVM_VIRTIO_STATS=1; virtio-stats.c),
 * printed as JSON lines when the device is freed. Each field says which
 * thread writes it; the totals are read after both threads stopped.
 * With several requests in flight the hops overlap: the figures are
 * exact at queue depth 1 and indicative above.
 */
#define VIRTIO_HOPS_BUCKETS 256
#define VIRTIO_INSN_BUCKETS 1024
struct virtio_hops {
	bool on;                        /* [init] */
	_Atomic uint64_t t_notify;      /* [vCPU] a QueueNotify posted */
	_Atomic uint64_t t_raise;       /* [reactor] an interrupt raised */
	uint64_t t_done;                /* [reactor] a request completed */
	uint64_t t_isr;                 /* [vCPU] the driver read InterruptStatus */
	uint64_t i_isr;                 /* [vCPU] guest instructions retired then */
	uint64_t sum[6], n[6];          /* per enum virtio_hop, ns */
	/* Log-linear histogram per hop (4 buckets per power of two of ns):
	 * the median, which an idle gap (one hop of seconds) cannot move. */
	uint32_t hist[6][VIRTIO_HOPS_BUCKETS];
	/* [vCPU] VIRTIO_HOP_GUEST counted in guest instructions instead of
	 * time (when the host gives guest_insns): what the guest's own work
	 * between two requests is, whatever the CPU engine's speed. */
	uint64_t insn_sum, insn_n;
	uint32_t insn_hist[VIRTIO_INSN_BUCKETS]; /* 16 per power of two */
};
enum virtio_hop {
	VIRTIO_HOP_REACTOR,  /* [reactor] notify -> the reactor drains the queue */
	VIRTIO_HOP_IO,       /* [reactor] submit -> completion (device model) */
	VIRTIO_HOP_IRQ,      /* [reactor] completion -> interrupt raised */
	VIRTIO_HOP_WAKE,     /* [vCPU] raised -> the driver reads InterruptStatus */
	VIRTIO_HOP_GUEST,    /* [vCPU] that read -> the next notify (guest CPU) */
	VIRTIO_HOP_NHOPS,
};

struct virtio_mmio {
	const struct virtio_dev_ops *ops;
	struct virtio_host host;
	uint64_t features;        /* offered; immutable */
	const uint8_t *config;    /* device config space; immutable */
	uint32_t config_len;
	unsigned nq;
	struct virtq q[VIRTIO_MAX_QUEUES];

	pthread_mutex_t lock;
	/* [lock] */
	uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel, isr;
	uint64_t drv_features;
	bool reset_pending;
	struct virtq_regs regs[VIRTIO_MAX_QUEUES];

	/* DRIVER_OK set and no reset pending: lets QueueNotify skip the lock
	 * (written under the lock, read by the vCPU without it). */
	atomic_bool notify_ok;
	atomic_uint epoch;
	atomic_int inflight;
	uint32_t r_epoch;         /* [reactor] the epoch its state belongs to */
	unsigned warned;          /* [reactor] guest errors logged so far */
	struct virtio_hops hops;
};

/* ---- transport (virtio-mmio.c) ------------------------------------------ */

/* Set up d (embedded in the device's struct). Loop/constructor thread. */
int virtio_dev_init(struct virtio_mmio *d, const struct virtio_dev_ops *ops,
		    const struct virtio_host *host, unsigned nq, unsigned qmax,
		    uint64_t features, const uint8_t *config, uint32_t config_len);

/* Reactor entry: catch up with resets the vCPU made (runs ops->reset). */
void virtio_sync_epoch(struct virtio_mmio *d);

/* Take / drop an in-flight token. virtio_hold fails (returns false) when
 * the epoch moved, so nothing new starts after a reset. */
bool virtio_hold(struct virtio_mmio *d);
void virtio_put(struct virtio_mmio *d);

/* Is work from epoch e still allowed to touch the guest's rings? */
static inline bool virtio_epoch_current(struct virtio_mmio *d, uint32_t e)
{
	return atomic_load(&d->epoch) == e;
}

/* Raise an ISR bit (if epoch e is still current). Reactor. */
void virtio_raise(struct virtio_mmio *d, uint32_t bit, uint32_t e);

/* The guest broke the rules: DEVICE_NEEDS_RESET + config interrupt. */
void virtio_needs_reset(struct virtio_mmio *d, const char *why);

/* Guest-physical -> host pointer for [gpa, gpa+len), or NULL if any byte
 * lies outside guest RAM. Overflow-safe. */
static inline void *virtio_gpa(const struct virtio_mmio *d, uint64_t gpa, uint64_t len)
{
	uint64_t off;

	if (gpa < d->host.ram_base)
		return NULL;
	off = gpa - d->host.ram_base;
	if (off > d->host.ram_size || len > d->host.ram_size - off)
		return NULL;
	return d->host.ram + off;
}

/* ---- hop statistics (virtio-stats.c) ------------------------------------ */

/* Monotonic ns, only read when d->hops.on. */
uint64_t virtio_hops_now(void);
/* Read RINGVM_VIRTIO_STATS at init. */
void virtio_hops_init(struct virtio_mmio *d);
/* Bucket of a duration: 4 per power of two (error <= 19%). */
static inline unsigned virtio_hops_bucket(uint64_t ns)
{
	unsigned lg;

	if (ns < 4)
		return (unsigned)ns;
	lg = 63u - (unsigned)__builtin_clzll(ns);
	return 4 * (lg - 1) + (unsigned)((ns >> (lg - 2)) & 3);
}
/* Add one sample of hop h from t0 (0 = no start seen: ignored). */
static inline void virtio_hops_add(struct virtio_mmio *d, enum virtio_hop h, uint64_t t0,
				   uint64_t now)
{
	if (t0 && now >= t0) {
		d->hops.sum[h] += now - t0;
		d->hops.n[h]++;
		d->hops.hist[h][virtio_hops_bucket(now - t0)]++;
	}
}
/* vCPU, at QueueNotify: one sample of the guest instructions retired since
 * the InterruptStatus read (none when no read was seen, or the host cannot
 * count them). */
void virtio_hops_add_insns(struct virtio_mmio *d);
/* Print median and mean per hop as JSON lines on stderr (at free; no-op when off). */
void virtio_hops_print(struct virtio_mmio *d);

/* ---- split virtqueue (virtqueue.c), reactor thread ---------------------- */

/* Make q usable if the driver set it up (snapshot under the lock, then
 * validate). Returns true when q is active and not broken. */
bool virtq_activate(struct virtq *q);

/* Pop the next chain. 1 = got one in *e, 0 = ring empty, -EIO = malformed
 * (the device is now NEEDS_RESET and q is broken). */
int virtq_pop(struct virtq *q, struct virtq_elem *e);

/* Return a chain to the driver with len bytes written. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);

/* Decide (EVENT_IDX / NO_INTERRUPT) whether to interrupt for pushes since
 * the last decision, now / at the end of this loop turn (coalesces). */
void virtq_signal(struct virtq *q);
void virtq_schedule_signal(struct virtq *q);

/* Around a drain: ask the driver not to notify, then to notify again.
 * virtq_enable_notify returns true if buffers arrived meanwhile. */
void virtq_disable_notify(struct virtq *q);
bool virtq_enable_notify(struct virtq *q);

/* ---- iovec helpers (virtqueue.c) ---------------------------------------- */

/* Copy between an iovec list (from byte off) and a flat buffer; returns
 * bytes copied (short if the list ends). */
size_t virtio_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf,
			 size_t len);
size_t virtio_iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
			   const void *buf, size_t len);
/* dst = the bytes [off, off+len) of src; returns the entry count (<= n). */
unsigned virtio_iov_slice(const struct iovec *src, unsigned n, size_t off, size_t len,
			  struct iovec *dst);

#endif
