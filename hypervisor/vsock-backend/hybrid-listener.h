/* The hybrid-vsock Unix socket (the Firecracker convention): a host client
 * connects, writes "CONNECT <port>\n", and once the guest accepted reads
 * "OK <local port>\n" followed by the guest's bytes.
 *
 * This module accepts clients and reads their handshake line; a client
 * that sends anything else, or nothing within HYBRID_HANDSHAKE_TIMEOUT_MS,
 * is closed. A valid one is handed to the vsock device. */
#pragma once

#include "vsock-device.h"

#define HYBRID_MAX_PENDING 64
#define HYBRID_HANDSHAKE_TIMEOUT_MS 5000

struct hybrid_listener;

/* listen_fd: a listening, non-blocking Unix stream socket, which the
 * listener takes. Returns 0 or -errno. */
int hybrid_listener_new(int epfd, int listen_fd, struct vsock_device *dev,
			struct hybrid_listener **ret);

/* Closes the listening socket and the clients still in their handshake.
 * Takes NULL. */
void hybrid_listener_free(struct hybrid_listener *l);

/* Frees the handshakes ended since the last call (see
 * vsock_device_collect()). */
void hybrid_listener_collect(struct hybrid_listener *l);
