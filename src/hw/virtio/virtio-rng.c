/*
 * virtio-rng.c - the entropy device (virtio 1.2, 5.4): one request queue,
 * each writable buffer filled from getrandom() on the reactor.
 *
 * Reactor thread only. GRND_NONBLOCK: after boot the kernel pool never
 * blocks; if it would (very early boot), the buffer goes back with what we
 * got (possibly 0 bytes) and the driver asks again.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "hw/virtio/virtio-int.h"

#define VRNG_MAX_PER_REQ 65536u /* bytes per chain, keeps one turn short */

struct vrng {
	struct virtio_mmio dev;
};

static uint32_t fill(const struct virtq_elem *e)
{
	uint32_t total = 0;

	for (unsigned i = e->out_num; i < e->out_num + e->in_num; i++) {
		uint8_t *p = e->iov[i].iov_base;
		size_t want = e->iov[i].iov_len;

		if (want > VRNG_MAX_PER_REQ - total)
			want = VRNG_MAX_PER_REQ - total;
		while (want) {
			ssize_t n = getrandom(p, want, GRND_NONBLOCK);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return total;
			p += n;
			want -= (size_t)n;
			total += (uint32_t)n;
		}
		if (total >= VRNG_MAX_PER_REQ)
			break;
	}
	return total;
}

static void vrng_notify(struct virtio_mmio *d, struct virtq *q)
{
	struct virtq_elem e;
	int rc = 0;

	do {
		virtq_disable_notify(q);
		while ((rc = virtq_pop(q, &e)) > 0)
			virtq_push(q, e.head, fill(&e));
		if (rc < 0)
			return;
	} while (virtq_enable_notify(q));
	virtq_signal(q);
}

static void vrng_free(struct virtio_mmio *d)
{
	free(d);
}

static const struct virtio_dev_ops vrng_ops = {
	.name = "virtio-rng",
	.device_id = 4,
	.queue_notify = vrng_notify,
	.free = vrng_free,
};

int virtio_rng_new(struct virtio_mmio **out, const struct virtio_host *host)
{
	struct vrng *r = calloc(1, sizeof(*r));
	int rc;

	if (!r)
		return -ENOMEM;
	rc = virtio_dev_init(&r->dev, &vrng_ops, host, 1, 64,
			     VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
			     NULL, 0);
	if (rc < 0) {
		free(r);
		return rc;
	}
	*out = &r->dev;
	return 0;
}
