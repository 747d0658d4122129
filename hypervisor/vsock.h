/* Host-side vsock connects, for both paths: native AF_VSOCK to a guest CID,
 * and the hybrid Unix socket of the vhost-user backend ("CONNECT <port>\n"
 * answered by "OK ...\n"). vm.c picks the path; nothing else calls these. */
#pragma once

#include <stdint.h>

#include "error.h"

/* Both return a connected, blocking fd, or -ECONNREFUSED when nothing listens
 * on the guest port, -ENOTCONN when the vsock device itself is unreachable,
 * -ETIMEDOUT, or another -errno; e is filled for all but -ECONNREFUSED. */
int vsock_connect_native(uint32_t cid, uint32_t port, int timeout_ms, struct error *e);
int vsock_connect_hybrid(const char *uds_path, uint32_t port, int timeout_ms, struct error *e);
