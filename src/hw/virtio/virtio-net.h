/*
 * virtio-net.h - the virtio network device (virtio 1.2, 5.1) on a net port.
 *
 * The device owns one struct net_port (src/net) and is a NIC: the caller
 * connects that port to a backend (net_registry_attach or net_port_connect)
 * BEFORE the guest starts, because the offered offload features follow the
 * link (checksum/segmentation offloads only when the link carries a vnet
 * header, net_port_hdr_len() == 12).
 *
 * Threads: constructor, connect and virtio_mmio_free on the loop thread (or
 * before the loop runs); registers on the vCPU (virtio_mmio_read/write, as
 * every virtio-mmio device); everything else on the reactor.
 */
#ifndef RINGVM_HW_VIRTIO_NET_H
#define RINGVM_HW_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/virtio/virtio-mmio.h"

struct net_port;

struct virtio_net_conf {
	uint8_t mac[6];       /* the guest's MAC (VIRTIO_NET_F_MAC) */
	unsigned queue_size;  /* QueueNumMax; 0 = 256; power of two <= 1024 */
	const char *name;     /* port name for log sentences; NULL = "virtio-net" */
};

/* Create the device; its port is not connected yet. 0 or -errno. */
int virtio_net_new(struct virtio_mmio **out, const struct virtio_host *host,
		   const struct virtio_net_conf *conf);

/* The NIC's port (owned by the device; disconnected by virtio_mmio_free). */
struct net_port *virtio_net_port(struct virtio_mmio *d);

/*
 * The administrative link state (the monitor's set_link): while down the
 * guest sees no carrier (status bit clear, config interrupt on change) and
 * frames both ways are dropped and counted (net_port_send refuses them on
 * a port whose link is down). Reactor thread.
 */
void virtio_net_set_link(struct virtio_mmio *d, bool up);
/* The link bit the guest sees (admin state and the backend's link). */
bool virtio_net_link_up(struct virtio_mmio *d);

/* Guest-visible counters (reactor thread, or after it stopped). */
struct virtio_net_stats {
	uint64_t rx_frames, tx_frames;
	uint64_t rx_dropped;   /* frames from the backend the guest never saw */
	uint64_t tx_errors;    /* malformed tx chains / headers, dropped */
	uint64_t rx_refused;   /* times rx said -EAGAIN (no guest buffers) */
};
void virtio_net_get_stats(struct virtio_mmio *d, struct virtio_net_stats *s);

/* A MAC for NIC number index when none was given: 52:54:00:12:34:56+index. */
void virtio_net_default_mac(unsigned index, uint8_t mac[6]);

#endif
