/* A fixed-capacity FIFO of bytes, whose storage is allocated on first use:
 * most connections never need to hold data back. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct byte_ring {
	uint8_t *data;
	size_t cap;
	size_t head; /* offset of the oldest byte */
	size_t len;
};

void byte_ring_init(struct byte_ring *r, size_t cap);
void byte_ring_free(struct byte_ring *r);

static inline size_t byte_ring_space(const struct byte_ring *r)
{
	return r->cap - r->len;
}

/* Appends len bytes of iov starting at byte offset. Returns 0, -ENOBUFS
 * if len exceeds the free space, or -ENOMEM. */
int byte_ring_push(struct byte_ring *r, const struct iovec *iov, unsigned niov, size_t offset,
		   size_t len);

/* Describes the queued bytes, oldest first, in at most two iovecs.
 * Returns how many it filled. */
unsigned byte_ring_peek(const struct byte_ring *r, struct iovec iov[2]);

/* Drops the n oldest bytes. */
void byte_ring_consume(struct byte_ring *r, size_t n);
