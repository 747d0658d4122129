/* The virtio-vsock device: connections between host clients (Unix
 * sockets that passed the hybrid-vsock handshake) and guest sockets.
 *
 * Only the host opens connections; a REQUEST from the guest is refused with
 * RST. Each connection carries a byte stream both ways under virtio-vsock
 * credit flow control:
 *  - host to guest: we read from the host socket only as much as the
 *    guest's credit allows, straight into the guest's RX buffers, and stop
 *    reading (backpressure on the host socket) when credit or RX buffers
 *    run out;
 *  - guest to host: we advertise VSOCK_BUF_ALLOC bytes of buffer per
 *    connection, hold what the host socket does not take at once in that
 *    buffer, and reset a connection whose guest sends beyond it.
 *
 * Control packets wait for RX buffers in bounded queues: per connection as
 * a set of pending operations, and for packets without a connection (RST
 * replies) in a fixed ring.
 *
 * Events are processed in batches: handlers only change state; the caller
 * runs vsock_device_flush() after each batch of events, which does the
 * queue work and signals the guest once. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest-memory.h"
#include "virtqueue.h"

#define VSOCK_MAX_CONNS 1024
/* Buffer space we advertise to the guest per connection. */
#define VSOCK_BUF_ALLOC (256 * 1024)
/* A host client waits at most this long for the guest's RESPONSE (or for
 * the guest driver to come up and take the REQUEST). */
#define VSOCK_CONNECT_TIMEOUT_MS 5000

struct vsock_device;

/* rxq, txq and mem stay the caller's and must outlive the device; the
 * queues may be unconfigured at first. Host sockets are added to epfd.
 * Returns 0 or -errno. */
int vsock_device_new(int epfd, uint64_t guest_cid, struct virtqueue *rxq, struct virtqueue *txq,
		     const struct guest_memory *mem, struct vsock_device **ret);

/* Closes every host socket. Takes NULL. */
void vsock_device_free(struct vsock_device *dev);

/* Connects a host client that asked for guest port `port`; takes fd. The
 * REQUEST waits for the guest's RX queue if it is not up yet. The client is
 * closed at once if the device cannot take it (connection limit, broken
 * queue). */
void vsock_device_connect(struct vsock_device *dev, int fd, uint32_t port);

/* The guest kicked the TX queue. */
void vsock_device_kick_tx(struct vsock_device *dev);

/* Handles one packet from the guest: iov holds the device-readable part of
 * a TX chain, len bytes. */
void vsock_device_recv(struct vsock_device *dev, const struct iovec *iov, unsigned niov,
		       size_t len);

/* Does the queue work after a batch of events: processes kicked TX chains,
 * fills RX buffers with pending control packets and host data, signals the
 * guest. Returns true if a budget ran out and it should run again soon. */
bool vsock_device_flush(struct vsock_device *dev);

/* The guest driver is gone (a ring stopped): drops every connection,
 * closing its host socket, and every queued packet. */
void vsock_device_reset(struct vsock_device *dev);

/* Frees the connections closed since the last call. Call it after each
 * batch of events: a closed connection may still have an event pending in
 * that batch. */
void vsock_device_collect(struct vsock_device *dev);

unsigned vsock_device_conn_count(const struct vsock_device *dev);
