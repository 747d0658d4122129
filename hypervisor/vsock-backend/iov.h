/* Helpers for scatter-gather lists that point into guest memory. */
#pragma once

#include <stddef.h>
#include <sys/uio.h>

/* Copies up to len bytes starting at byte offset of the list into buf.
 * Returns the number of bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned niov, size_t offset, void *buf, size_t len);

/* Copies up to len bytes of buf into the list, starting at byte offset.
 * Returns the number of bytes copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned niov, size_t offset, const void *buf,
		    size_t len);

/* Fills dst with the part [offset, offset + len) of src (shorter if src
 * ends first). Returns the number of entries used; stops at dst_max. */
unsigned iov_slice(const struct iovec *src, unsigned nsrc, size_t offset, size_t len,
		   struct iovec *dst, unsigned dst_max);

size_t iov_length(const struct iovec *iov, unsigned niov);
