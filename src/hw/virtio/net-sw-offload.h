/*
 * net-sw-offload.h - checksum completion, TCP segmentation and receive
 * checksum verification in native code, for virtio-net on links without a
 * vnet header (see net-sw-offload.c). Pure functions, any thread.
 */
#ifndef RINGVM_HW_VIRTIO_NET_SW_OFFLOAD_H
#define RINGVM_HW_VIRTIO_NET_SW_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Finish a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM): sum frame[start..len)
 * into the 16-bit field at start+offset. 0, or -EINVAL if out of bounds. */
int virtio_net_sw_csum(uint8_t *frame, size_t len, unsigned start, unsigned offset);

/* A TCP frame to cut into segments of mss payload bytes. */
struct virtio_net_gso {
	int ver;          /* IP version, 4 or 6 */
	unsigned l3, l4;  /* IP and TCP header offsets */
	size_t hlen;      /* all headers */
	size_t payload;   /* TCP payload bytes */
	unsigned mss;
	unsigned segs;    /* segments it makes (at least 1) */
};

/* Check a GSO TCPv4/TCPv6 frame (TCP header at csum_start) and describe its
 * segmentation. Number of segments, or -EINVAL if it is not plain TCP over
 * IPv4/IPv6 (no IP options mismatch, no fragments, no IPv6 ext headers). */
int virtio_net_sw_gso_parse(const uint8_t *frame, size_t len, unsigned csum_start,
			    unsigned mss, struct virtio_net_gso *g);

/* Build segment i (0 <= i < g->segs) of frame into out (room for
 * g->hlen + g->mss bytes): lengths, IPv4 id and header checksum, TCP
 * sequence number, flags (FIN/PSH last only, CWR first only) and the full
 * TCP checksum. Returns its length. */
size_t virtio_net_sw_gso_segment(const struct virtio_net_gso *g, const uint8_t *frame,
				 unsigned i, uint8_t *out);

/* True if frame is IPv4/IPv6 TCP or UDP (not a fragment) whose checksum
 * verifies: the guest may be told DATA_VALID. */
bool virtio_net_sw_rx_csum_ok(const uint8_t *frame, size_t len);

#endif
