/* The device side of a split virtqueue whose rings live in guest memory.
 *
 * The guest may rewrite any of that memory at any time, from another CPU.
 * So each index and descriptor is loaded once into a local and checked
 * there; a descriptor chain must stay inside guest memory, inside the
 * descriptor table, and be no longer than the queue; readable buffers must
 * come before writable ones. The first violation marks the queue broken:
 * it is logged once and the queue is not touched again until the front-end
 * sets it up anew. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest-memory.h"

#define VQ_MAX_SIZE 32768
/* Buffers of one chain we take; Linux's vsock driver uses one or two. */
#define VQ_MAX_IOV 64

struct virtqueue {
	unsigned index; /* for messages */
	unsigned num;	/* ring size, 0 until set */
	/* The front-end's addresses of the rings, kept to map them again when
	 * the memory table changes. */
	uint64_t desc_uva, avail_uva, used_uva;
	bool addr_set;
	uint8_t *desc, *avail, *used; /* our mapping, NULL until mapped */
	uint16_t last_avail_idx;
	uint16_t used_idx;
	unsigned unsignalled; /* used entries pushed since the last notify */
	bool started;	      /* a kick fd arrived and the ring is not stopped */
	bool enabled;
	bool broken;
	int kick_fd, call_fd;
};

/* A popped chain: iov[0, out_num) is device-readable, iov[out_num,
 * out_num + in_num) device-writable. */
struct vq_elem {
	uint16_t head;
	unsigned out_num, in_num;
	size_t out_len, in_len;
	struct iovec iov[VQ_MAX_IOV];
};

void vq_init(struct virtqueue *vq, unsigned index);

/* Closes the kick and call fds and forgets the whole setup. */
void vq_reset(struct virtqueue *vq);

/* num must be a power of two in [1, VQ_MAX_SIZE]. Returns 0 or -EINVAL. */
int vq_set_num(struct virtqueue *vq, unsigned num);

/* Takes the rings' addresses as the front-end's virtual addresses, checks
 * that each ring lies whole in guest memory and is aligned. The size must
 * be set first. Returns 0 or -EINVAL. */
int vq_set_addr(struct virtqueue *vq, const struct guest_memory *mem, uint64_t desc_uva,
		uint64_t avail_uva, uint64_t used_uva);

/* Maps the rings again after the memory table changed. Returns 0 or
 * -EINVAL (the queue is then broken). */
int vq_remap(struct virtqueue *vq, const struct guest_memory *mem);

void vq_set_base(struct virtqueue *vq, uint16_t last_avail_idx);

/* Stops the ring (GET_VRING_BASE): closes the kick fd; returns the index of
 * the next available entry to process. */
uint16_t vq_stop(struct virtqueue *vq);

/* True if the ring may be processed. */
bool vq_ready(const struct virtqueue *vq);

/* Takes the next available chain. Returns 1 and fills elem, 0 if there is
 * none (or the queue is not ready), or -EIO if the ring is broken. */
int vq_pop(struct virtqueue *vq, const struct guest_memory *mem, struct vq_elem *elem);

/* Gives back the last n popped chains, which were not pushed. */
void vq_unpop(struct virtqueue *vq, unsigned n);

/* Returns a chain to the guest, with len bytes written to it. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);

/* Signals the call eventfd if chains were pushed since the last call and
 * the guest did not ask to go without interrupts. */
void vq_notify(struct virtqueue *vq);
