/*
 * virtio-stats.c - per-hop latency of the request path, for perf/disk
 * (RINGVM_VIRTIO_STATS=1): QueueNotify -> reactor, the device's I/O,
 * completion -> interrupt, interrupt -> the driver's InterruptStatus read
 * (the hart's wake-up), and that read -> the next QueueNotify (guest CPU),
 * the last also in guest instructions retired (what the guest kernel and
 * program do per request, independent of how fast they are run).
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

/* Instruction counts: 16 buckets per power of two (error <= 6%). */
static unsigned insn_bucket(uint64_t v)
{
	unsigned lg;

	if (v < 16)
		return (unsigned)v;
	lg = 63u - (unsigned)__builtin_clzll(v);
	return 16 * (lg - 3) + (unsigned)((v >> (lg - 4)) & 15);
}

static double insn_bucket_low(unsigned b)
{
	if (b < 16)
		return b;
	return (double)((16ull + (b & 15)) << (b / 16 - 1));
}

/* Median of n samples in hist (nb buckets, lower bounds by low): the
 * middle of the bucket holding the middle sample. */
static double median(const uint32_t *hist, unsigned nb, double (*low)(unsigned), uint64_t n)
{
	uint64_t half = (n + 1) / 2, seen = 0;

	for (unsigned b = 0; b < nb; b++) {
		seen += hist[b];
		if (seen >= half)
			return (low(b) + low(b + 1)) / 2;
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
				d->ops->name, name[h], median(d->hops.hist[h], VIRTIO_HOPS_BUCKETS, bucket_low, d->hops.n[h]) / 1e3,
				(double)d->hops.sum[h] / 1e3 / (double)d->hops.n[h],
				(unsigned long long)d->hops.n[h]);
	if (d->hops.insn_n)
		fprintf(stderr, "{\"suite\":\"virtio-hops\",\"metric\":\"%s_driver_to_next_notify_insns\","
			"\"value\":%.0f,\"unit\":\"insns\",\"anchor\":null,\"anchor_value\":null,"
			"\"mean\":%.0f,\"samples\":%llu}\n",
			d->ops->name, median(d->hops.insn_hist, VIRTIO_INSN_BUCKETS, insn_bucket_low, d->hops.insn_n),
			(double)d->hops.insn_sum / (double)d->hops.insn_n,
			(unsigned long long)d->hops.insn_n);
}

void virtio_hops_add_insns(struct virtio_mmio *d)
{
	uint64_t now;

	if (!d->host.guest_insns || !d->hops.i_isr)
		return;
	now = d->host.guest_insns(d->host.insns_opaque);
	if (now >= d->hops.i_isr) {
		d->hops.insn_sum += now - d->hops.i_isr;
		d->hops.insn_n++;
		d->hops.insn_hist[insn_bucket(now - d->hops.i_isr)]++;
	}
	d->hops.i_isr = 0;
}
