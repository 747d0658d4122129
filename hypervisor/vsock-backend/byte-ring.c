#include "byte-ring.h"

#include <errno.h>
#include <stdlib.h>

#include "iov.h"

void byte_ring_init(struct byte_ring *r, size_t cap)
{
	*r = (struct byte_ring){.cap = cap};
}

void byte_ring_free(struct byte_ring *r)
{
	free(r->data);
	byte_ring_init(r, r->cap);
}

int byte_ring_push(struct byte_ring *r, const struct iovec *iov, unsigned niov, size_t offset,
		   size_t len)
{
	if (len > byte_ring_space(r))
		return -ENOBUFS;
	if (len == 0)
		return 0;
	if (!r->data) {
		r->data = malloc(r->cap);
		if (!r->data)
			return -ENOMEM;
	}
	size_t tail = (r->head + r->len) % r->cap;
	size_t first = r->cap - tail < len ? r->cap - tail : len;

	iov_to_buf(iov, niov, offset, r->data + tail, first);
	iov_to_buf(iov, niov, offset + first, r->data, len - first);
	r->len += len;
	return 0;
}

unsigned byte_ring_peek(const struct byte_ring *r, struct iovec iov[2])
{
	if (r->len == 0)
		return 0;
	size_t first = r->cap - r->head < r->len ? r->cap - r->head : r->len;

	iov[0] = (struct iovec){.iov_base = r->data + r->head, .iov_len = first};
	if (first == r->len)
		return 1;
	iov[1] = (struct iovec){.iov_base = r->data, .iov_len = r->len - first};
	return 2;
}

void byte_ring_consume(struct byte_ring *r, size_t n)
{
	if (n > r->len)
		n = r->len;
	r->len -= n;
	/* Start over at the beginning when empty, so that data stays in one
	 * piece as often as possible. */
	r->head = r->len == 0 ? 0 : (r->head + n) % r->cap;
}
