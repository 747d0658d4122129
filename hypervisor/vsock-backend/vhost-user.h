/* The back-end side of the vhost-user protocol for a vsock device with two
 * rings (0: rx, 1: tx; QEMU keeps the event queue), over one connected
 * front-end socket.
 *
 * Offers VIRTIO_F_VERSION_1 and VHOST_USER_F_PROTOCOL_FEATURES, protocol
 * features CONFIG (GET_CONFIG returns the guest CID) and REPLY_ACK. Every
 * message is checked (payload size per request, fd count, ring index,
 * ring size, region count) before it touches any state; fds that a message
 * carries but does not use are closed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "guest-memory.h"
#include "virtqueue.h"

#define VU_NUM_QUEUES 2

struct vu_ops {
	/* The guest (or the front-end, by enabling a ring) made buffers of
	 * ring `index` available. */
	void (*kick)(void *opaque, unsigned index);
	/* Ring `index` stopped: the driver is gone or resetting. */
	void (*ring_stopped)(void *opaque, unsigned index);
};

struct vu_dev;

/* sock: the connected front-end socket, which the device takes. mem and
 * vqs stay the caller's; the device configures them as the front-end asks.
 * Returns 0 or -errno. */
int vu_dev_new(int epfd, int sock, uint64_t guest_cid, struct guest_memory *mem,
	       struct virtqueue vqs[VU_NUM_QUEUES], const struct vu_ops *ops, void *opaque,
	       struct vu_dev **ret);

/* Closes the socket and the rings' fds, unmaps guest memory. Takes NULL. */
void vu_dev_free(struct vu_dev *dev);

/* Why the front-end connection failed, after its event returned < 0. */
const char *vu_dev_error(const struct vu_dev *dev);
