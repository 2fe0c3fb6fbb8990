/*
 * net.h - network ports and backends (tap, socket, hub) on the reactor.
 *
 * A *port* is one end of an Ethernet link. Ports are connected in pairs
 * (net_port_connect): a guest NIC (virtio-net) is one port, a backend
 * (tap, socket, hubport) is its peer. A frame sent on one port is handed to
 * its peer's receive callback.
 *
 * Who fills what (TinyEMU style):
 *   - The port's owner (the NIC model, or a backend in src/net) fills ops,
 *     opaque, name and hdr_capable before connecting.
 *   - net.c fills and maintains everything marked private (peer, state,
 *     counters); owners read them only through the accessors below.
 *
 * Flow control: a receive callback that cannot take a frame now (a NIC
 * with no rx buffers) returns -EAGAIN. The sender then keeps the frame and
 * stops sending; when the refusing port can take frames again its owner
 * calls net_port_resume(), which calls the sender's ops->resume. Backends
 * honour this by leaving frames in the kernel (tap: reads are not
 * re-posted, so the kernel's tap queue fills and the kernel drops, as a real
 * NIC's wire would; socket stream: recv is not re-posted, so TCP pushes back
 * on the remote; datagram sockets: no recv is posted, the socket buffer
 * fills). Where dropping is the only choice (a hub fanning out to one busy
 * member), the drop is counted in the port's stats.
 *
 * virtio-net header: when both ports of a link set hdr_capable, every frame
 * in both directions is preceded by a 12-byte struct net_vnet_hdr (the
 * virtio 1.x layout, num_buffers included). Otherwise frames are bare.
 * net_port_hdr_len() says which.
 *
 * Threading: everything here runs on the reactor thread (the loop the
 * backends were opened on). A NIC whose front half runs on a vCPU posts to
 * the loop (loop_post) before calling net_port_send or net_port_resume.
 *
 * Errors are negative errno.
 */
#ifndef RINGVM_NET_H
#define RINGVM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "aio/aio.h"

/* Largest frame a backend carries (without the vnet header): 64 KiB of
 * GSO payload plus headers. A stream peer announcing more is hostile. */
#define NET_MAX_FRAME (65536 + 4096)

/* virtio 1.x struct virtio_net_hdr (little-endian on the wire, as the
 * kernel's tap uses with TUNSETVNETHDRSZ 12 on a little-endian host). */
struct net_vnet_hdr {
	uint8_t flags;       /* NET_VNET_F_* */
	uint8_t gso_type;    /* NET_VNET_GSO_* */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers; /* undefined in frames from a backend (a tap
			       * skips these 2 bytes): the NIC fills it in */
};
#define NET_VNET_HDR_LEN 12
#define NET_VNET_F_NEEDS_CSUM 1
#define NET_VNET_F_DATA_VALID 2
#define NET_VNET_GSO_NONE 0
#define NET_VNET_GSO_TCPV4 1
#define NET_VNET_GSO_UDP 3
#define NET_VNET_GSO_TCPV6 4
#define NET_VNET_GSO_ECN 0x80

/* Offloads a NIC may ask its backend for (net_port_set_offload). */
enum {
	NET_OFFLOAD_CSUM = 1u << 0, /* frames may carry NEEDS_CSUM */
	NET_OFFLOAD_TSO4 = 1u << 1,
	NET_OFFLOAD_TSO6 = 1u << 2,
	NET_OFFLOAD_ECN = 1u << 3,
	NET_OFFLOAD_UFO = 1u << 4,
};

struct net_port;

struct net_port_ops {
	/*
	 * A frame from the peer: iov holds [vnet header if net_port_hdr_len()
	 * is 12] + the Ethernet frame. The iovec and the bytes are the
	 * sender's and are valid only during the call: copy what you keep.
	 * Returns 0 when taken, -EAGAIN when it cannot be taken now (the sender
	 * keeps it and waits for net_port_resume(this port)), or another
	 * -errno when it was dropped (counted as a drop by net.c). Required.
	 */
	int (*receive)(struct net_port *p, const struct iovec *iov, int iovcnt);
	/* The peer, which refused a frame from us with -EAGAIN, can take
	 * frames again: send what we kept. Also called when a peer is
	 * connected (net_port_connect). Optional. */
	void (*resume)(struct net_port *p);
	/* The peer's link went up or down (a socket peer disconnected). Optional. */
	void (*link_changed)(struct net_port *p, bool up);
	/* The peer asks for offloads (NET_OFFLOAD_*); only meaningful with a
	 * vnet header. Returns 0 or -errno (-ENOTSUP). Optional. */
	int (*set_offload)(struct net_port *p, unsigned offloads);
};

struct net_port_stats {
	uint64_t tx_frames, tx_bytes;  /* handed to the peer and taken */
	uint64_t rx_frames, rx_bytes;  /* received from the peer and taken */
	uint64_t tx_drops;             /* frames from this port that were lost */
	uint64_t tx_refused;           /* times the peer said -EAGAIN */
};

struct net_port {
	/* filled by the owner */
	const struct net_port_ops *ops;
	void *opaque;
	const char *name;      /* for log sentences; owner's storage */
	bool hdr_capable;      /* can produce and consume struct net_vnet_hdr */

	/* private to net.c */
	struct net_port *peer;
	bool link_up;          /* this side's link (owner sets via net_port_set_link) */
	bool waiting;          /* peer refused us; ops->resume is owed */
	struct net_port_stats stats;
};

/* Initialise a port (zero it, fill ops/opaque/name). Link starts up. */
void net_port_init(struct net_port *p, const struct net_port_ops *ops, void *opaque,
		   const char *name, bool hdr_capable);

/*
 * Connect a and b as peers. Returns 0, or -EBUSY if either already has a
 * peer. After this, net_port_hdr_len() is 12 on both if both are
 * hdr_capable, else 0. Each side's ops->resume runs once (a backend may
 * hold frames from before). A NIC reads the initial link state with
 * net_port_peer_link_up (a socket connect= port starts down).
 */
int net_port_connect(struct net_port *a, struct net_port *b);

/* Detach p from its peer (harmless without one). */
void net_port_disconnect(struct net_port *p);

/* NET_VNET_HDR_LEN when the link carries vnet headers, else 0. */
size_t net_port_hdr_len(const struct net_port *p);

/*
 * Send one frame from p to its peer (iov as for ops->receive). Returns 0
 * when the peer took it; -EAGAIN when the peer refused it for now (p's
 * ops->resume will be called; the caller keeps the frame or drops it and
 * says so with net_port_count_drop); -ENOTCONN when there is no peer or
 * either link is down, and other -errno from the peer (both counted as
 * drops).
 */
int net_port_send(struct net_port *p, const struct iovec *iov, int iovcnt);

/* p (which refused frames with -EAGAIN) can take frames again: tell the
 * peer if it is waiting. Cheap when nobody waits. */
void net_port_resume(struct net_port *p);

/* Set p's own link state; the peer's ops->link_changed hears of changes. */
void net_port_set_link(struct net_port *p, bool up);
bool net_port_link_up(const struct net_port *p);
/* The peer's link state (false without a peer): a NIC's "link up" bit. */
bool net_port_peer_link_up(const struct net_port *p);

/* Ask p's peer for offloads (see NET_OFFLOAD_*). -ENOTCONN without a peer,
 * -ENOTSUP when the peer cannot. */
int net_port_set_offload(struct net_port *p, unsigned offloads);

/* Count one frame from p as dropped (after an -EAGAIN it chose not to keep). */
void net_port_count_drop(struct net_port *p);

const struct net_port_stats *net_port_stats(const struct net_port *p);

/* Total bytes in an iovec. */
size_t net_iov_size(const struct iovec *iov, int iovcnt);
/* Copy up to len bytes from iov (skipping skip bytes) into buf; returns count. */
size_t net_iov_copy(void *buf, size_t len, const struct iovec *iov, int iovcnt,
		    size_t skip);

/* ---- -netdev options ------------------------------------------------------ */

enum net_netdev_type {
	NET_NETDEV_TAP = 1,
	NET_NETDEV_SOCKET,
	NET_NETDEV_HUBPORT,
};

enum net_socket_mode {
	NET_SOCKET_LISTEN = 1, /* stream server, one peer at a time */
	NET_SOCKET_CONNECT,    /* stream client, reconnects after a loss */
	NET_SOCKET_MCAST,      /* UDP multicast group */
	NET_SOCKET_UDP,        /* point-to-point UDP */
};

/* A host:port as given ("" host = any address). */
struct net_hostport {
	char host[256];
	uint16_t port;
};

/* One parsed -netdev. Plain data: the caller owns it. */
struct net_netdev_opts {
	enum net_netdev_type type;
	char id[64];
	union {
		struct {
			char ifname[16]; /* IFNAMSIZ; "" = kernel picks tapN */
			bool vnet_hdr;
		} tap;
		struct {
			enum net_socket_mode mode;
			struct net_hostport addr;      /* listen/connect/mcast/udp */
			struct net_hostport localaddr; /* udp: HOST:PORT; mcast: host only */
			bool has_localaddr;
		} sock;
		struct {
			int hubid;
			char netdev[64]; /* optional: a netdev to plug into the hub */
		} hub;
	};
};

/*
 * Parse a -netdev argument ("tap,id=n0,ifname=tap0,script=no,...") into
 * *out. Returns 0, or -EINVAL with one sentence in err (NUL-terminated,
 * truncated to errlen) naming the option and what is wrong. Does not check
 * for duplicate ids (net_registry_add does).
 */
int net_parse_netdev(const char *spec, struct net_netdev_opts *out, char *err,
		     size_t errlen);

/* -nic: one netdev (id "nicN") and the NIC that uses it. */
struct net_nic_opts {
	bool none;                     /* "-nic none": no NIC at all */
	struct net_netdev_opts netdev; /* the backend; netdev.id = "nic<index>" */
	char model[32];                /* model=; default "virtio-net-device" */
	uint8_t mac[6];
	bool has_mac;                  /* mac= given (else the machine picks) */
};

/*
 * Parse a -nic argument ("tap,ifname=tap0,script=no,mac=52:54:00:12:34:56").
 * index numbers the -nic options (0, 1, ...) and names the netdev. model=
 * and mac= are taken out; the rest is parsed as a -netdev (errors say
 * "-nic"). 0 or -EINVAL with one sentence in err. The caller adds
 * out->netdev to the registry and makes a NIC of out->model on it.
 */
int net_parse_nic(const char *spec, unsigned index, struct net_nic_opts *out, char *err,
		  size_t errlen);

/* Parse "52:54:00:12:34:56" (for -device ...,mac=). 0 or -EINVAL with a
 * sentence in err. Rejects multicast addresses (low bit of first octet). */
int net_parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen);

/* ---- the netdev registry ------------------------------------------------- */

/*
 * The machine's set of netdevs: added from the command line (main thread,
 * before the loop runs), opened on the loop thread, looked up by id when a
 * NIC is created. Owned by the machine; net_registry_free closes all.
 */
struct net_registry;

int net_registry_new(struct net_registry **out);

/* Add a parsed netdev. -EEXIST with "netdev id 'x' is used twice." in err. */
int net_registry_add(struct net_registry *r, const struct net_netdev_opts *o,
		     char *err, size_t errlen);

/* Parse and add in one step (the -netdev option handler). */
int net_registry_add_spec(struct net_registry *r, const char *spec, char *err,
			  size_t errlen);

/*
 * Open every netdev added so far on engine e (tap devices, sockets, hubs).
 * On failure returns -errno with one sentence in err; what was opened
 * stays open (net_registry_free closes it). Loop thread.
 */
int net_registry_open(struct net_registry *r, struct aio_engine *e, char *err,
		      size_t errlen);

/*
 * The backend port of netdev id, for a NIC to net_port_connect() to; NULL if
 * there is none (or it was not opened). The registry owns the port.
 */
struct net_port *net_registry_find(struct net_registry *r, const char *id);

/*
 * Attach a NIC's port to netdev id (for -device ...,netdev=ID): finds it and
 * connects. 0, or -ENOENT / -EBUSY with one sentence in err ("netdev=x
 * names no netdev." / "netdev=x is already used by another device.").
 */
int net_registry_attach(struct net_registry *r, const char *id, struct net_port *nic,
			char *err, size_t errlen);

/* The backend type of netdev id ("tap", "socket", "hubport"), or NULL if
 * there is no such netdev. For the monitor's info network. */
const char *net_registry_type(struct net_registry *r, const char *id);

/* Close every backend (cancelling their I/O) and free. Loop thread; the
 * engine must still be open. */
void net_registry_free(struct net_registry *r);

/* ---- backends (used by the registry; also usable alone, e.g. by tests) --- */

struct net_backend;

/* Open a tap/socket backend from options. 0 and *out, or -errno with err. */
int net_tap_open(struct net_backend **out, struct aio_engine *e,
		 const struct net_netdev_opts *o, char *err, size_t errlen);
int net_socket_open(struct net_backend **out, struct aio_engine *e,
		    const struct net_netdev_opts *o, char *err, size_t errlen);

/* The port a NIC connects to. */
struct net_port *net_backend_port(struct net_backend *b);
/* The tap's interface name (as the kernel chose it); NULL for others. */
const char *net_backend_ifname(struct net_backend *b);
/* Cancel I/O, wait for it (runs the loop), close fds, free. */
void net_backend_close(struct net_backend *b);

/* Hubs: a hub is created on first use of its id within a registry. */
struct net_hub;
int net_hub_new(struct net_hub **out, int hubid);
/* A new port on hub h, owned by the hub. Returns NULL on ENOMEM. */
struct net_port *net_hub_add_port(struct net_hub *h, const char *name);
int net_hub_id(const struct net_hub *h);
void net_hub_free(struct net_hub *h);

#endif
