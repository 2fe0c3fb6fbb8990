/*
 * virtio-mmio.h - virtio 1.x devices behind the MMIO transport (version 2).
 *
 * The boundary to the machine, TinyEMU style:
 *   - the MACHINE fills struct virtio_host (guest RAM, the reactor loop, the
 *     interrupt callback) and passes it to a device constructor
 *     (virtio_blk_new, virtio_rng_new, virtio_console_new);
 *   - the machine routes guest accesses to the 0x1000-byte slot into
 *     virtio_mmio_read()/virtio_mmio_write() (offset relative to the slot);
 *   - the machine emits the device-tree node itself ("virtio,mmio", the
 *     slot's base/size and its PLIC line); the device needs none of that.
 *
 * Threading:
 *   - virtio_mmio_read/write: the vCPU thread(s). They never wait for I/O:
 *     registers sit under one per-device lock held for a few instructions,
 *     and QueueNotify only posts the queue's node to the reactor.
 *   - set_irq: called from either thread (the reactor on completions, the
 *     vCPU on InterruptACK/reset), always with the device lock held, so
 *     calls for one device are serialized; wake_irq follows a raise once
 *     that lock is released.
 *   - constructors and virtio_mmio_free: the loop's thread (or before the
 *     loop runs / after it stopped, from the thread that owns the loop).
 *
 * Errors are negative errno.
 */
#ifndef RINGVM_HW_VIRTIO_MMIO_H
#define RINGVM_HW_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct virtio_mmio;

#define VIRTIO_MMIO_SLOT_SIZE 0x1000u
#define VIRTIO_MMIO_COMPAT "virtio,mmio"

/* Filled by the machine; copied by the constructor. */
struct virtio_host {
	uint8_t *ram;        /* host pointer to guest RAM */
	uint64_t ram_base;   /* guest-physical address of ram[0] */
	uint64_t ram_size;   /* bytes */
	struct loop *loop;   /* the reactor that runs the device back halves */
	/* Drive the slot's interrupt line (PLIC source) to level 0/1. Called
	 * under the device lock: must not block or make system calls. */
	void (*set_irq)(void *opaque, int level);
	void *irq_opaque;
	/* After a raise, once the device lock is released: wake the hart
	 * (may make a system call). May be NULL. Same opaque as set_irq. */
	void (*wake_irq)(void *opaque);
	/* Instructions the guest's hart has retired so far (vCPU thread; read
	 * only for RINGVM_VIRTIO_STATS). May be NULL. */
	uint64_t (*guest_insns)(void *opaque);
	void *insns_opaque;
};

/* Guest register access for the slot; off < VIRTIO_MMIO_SLOT_SIZE. Registers
 * are 32-bit; config space (0x100+) takes 1/2/4/8-byte accesses. Returns 0
 * (unknown registers read 0 and ignore writes). vCPU thread. */
int virtio_mmio_read(struct virtio_mmio *d, uint64_t off, unsigned size, uint64_t *val);
int virtio_mmio_write(struct virtio_mmio *d, uint64_t off, unsigned size, uint64_t val);

/* Drain requests in flight (runs the loop), then free the device and what
 * it owns (not the blk of a virtio-blk: the caller opened it, it closes it
 * after this). Loop thread. NULL is fine. */
void virtio_mmio_free(struct virtio_mmio *d);

uint32_t virtio_mmio_device_id(const struct virtio_mmio *d); /* 2 blk, 3 console, 4 rng */
const char *virtio_mmio_name(const struct virtio_mmio *d);   /* "virtio-blk" ... */

/* Requests submitted to the host and not yet completed (for tests). */
unsigned virtio_mmio_inflight(const struct virtio_mmio *d);

/* ---- virtio-blk ---------------------------------------------------------- */

struct blk;

struct virtio_blk_conf {
	const char *serial;   /* GET_ID string, up to 20 bytes; NULL = "" */
	unsigned num_queues;  /* 0 or 1 = one queue; >1 offers VIRTIO_BLK_F_MQ */
	unsigned queue_size;  /* QueueNumMax; 0 = 1024; power of two <= 1024 */
	bool read_only;       /* offer VIRTIO_BLK_F_RO even if the blk is writable */
};

/* Create a virtio-blk on blk (opened on an aio engine of host->loop; the
 * caller keeps ownership of blk and closes it after virtio_mmio_free). */
int virtio_blk_new(struct virtio_mmio **out, const struct virtio_host *host,
		   struct blk *b, const struct virtio_blk_conf *conf);

/* ---- virtio-rng ---------------------------------------------------------- */

/* Entropy from getrandom(GRND_NONBLOCK) on the reactor. */
int virtio_rng_new(struct virtio_mmio **out, const struct virtio_host *host);

/* ---- virtio-console (one port, no multiport) ----------------------------- */

/* The host side of the port; filled by whoever wires it (the integrator's
 * chardev glue, or a test). Both callbacks run on the loop thread. */
struct virtio_console_backend {
	/* Guest -> host bytes: accept 0..len of them, return how many. When it
	 * accepted less, call virtio_console_write_ready() once it has room. */
	size_t (*write)(void *opaque, const uint8_t *buf, size_t len);
	/* The guest posted receive buffers: virtio_console_can_receive() grew.
	 * May be NULL. */
	void (*rx_ready)(void *opaque);
	void *opaque;
};

int virtio_console_new(struct virtio_mmio **out, const struct virtio_host *host,
		       const struct virtio_console_backend *be);

/* Host -> guest: bytes the guest's posted buffers can take now (0 before the
 * driver is ready), and delivery of len <= that many (returns bytes taken).
 * Loop thread. */
size_t virtio_console_can_receive(struct virtio_mmio *d);
size_t virtio_console_receive(struct virtio_mmio *d, const uint8_t *buf, size_t len);

/* The backend has room again after a short write. Loop thread. */
void virtio_console_write_ready(struct virtio_mmio *d);

/* A console whose backend is a chardev (src/char): attaches itself as the
 * chardev's frontend. The caller closes chr after virtio_mmio_free(). */
struct chr_dev;
int virtio_console_new_chr(struct virtio_mmio **out, const struct virtio_host *host,
			   struct chr_dev *chr);

#endif
