/*
 * virtio-stats.c - per-hop latency of the request path, for perf/disk
 * (RINGVM_VIRTIO_STATS=1): QueueNotify -> reactor, the device's I/O,
 * completion -> interrupt, interrupt -> the driver's InterruptStatus read
 * (the hart's wake-up), and that read -> the next QueueNotify (guest CPU).
 *
 * "value" is the median (from a log-linear histogram, within ~10%): a
 * mean is moved by one idle gap of seconds (the guest doing something
 * else between two requests); "mean_us" is printed as well.
 *
 * Threads: the samples are taken where each hop ends, by the thread that
 * owns that end (see struct virtio_hops); virtio_hops_print runs on the
 * reactor at free, after the vCPU stopped. Off, each hook is one branch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hw/virtio/virtio-int.h"

uint64_t virtio_hops_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void virtio_hops_init(struct virtio_mmio *d)
{
	const char *e = getenv("RINGVM_VIRTIO_STATS");

	d->hops.on = e && *e && *e != '0';
}

/* The lower bound of bucket b, in ns (inverse of virtio_hops_bucket). */
static double bucket_low(unsigned b)
{
	unsigned lg = b / 4 + 1;

	if (b < 4)
		return b;
	return (double)((4ull + (b & 3)) << (lg - 2));
}

/* Median of hop h: the middle of the bucket holding the middle sample. */
static double median_ns(const struct virtio_hops *s, unsigned h)
{
	uint64_t half = (s->n[h] + 1) / 2, seen = 0;

	for (unsigned b = 0; b < VIRTIO_HOPS_BUCKETS; b++) {
		seen += s->hist[h][b];
		if (seen >= half)
			return (bucket_low(b) + bucket_low(b + 1)) / 2;
	}
	return 0;
}

void virtio_hops_print(struct virtio_mmio *d)
{
	static const char *const name[VIRTIO_HOP_NHOPS] = {
		"notify_to_reactor", "device_io", "done_to_irq", "irq_to_driver",
		"driver_to_next_notify",
	};

	if (!d->hops.on)
		return;
	for (unsigned h = 0; h < VIRTIO_HOP_NHOPS; h++)
		if (d->hops.n[h])
			fprintf(stderr, "{\"suite\":\"virtio-hops\",\"metric\":\"%s_%s_us\","
				"\"value\":%.2f,\"unit\":\"us\",\"anchor\":null,"
				"\"anchor_value\":null,\"mean_us\":%.2f,\"samples\":%llu}\n",
				d->ops->name, name[h], median_ns(&d->hops, h) / 1e3,
				(double)d->hops.sum[h] / 1e3 / (double)d->hops.n[h],
				(unsigned long long)d->hops.n[h]);
}
