#include "iov.h"

#include <string.h>

size_t iov_to_buf(const struct iovec *iov, unsigned niov, size_t offset, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < niov && done < len; i++) {
		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		size_t n = iov[i].iov_len - offset;
		if (n > len - done)
			n = len - done;
		memcpy((char *)buf + done, (const char *)iov[i].iov_base + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned niov, size_t offset, const void *buf,
		    size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < niov && done < len; i++) {
		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		size_t n = iov[i].iov_len - offset;
		if (n > len - done)
			n = len - done;
		memcpy((char *)iov[i].iov_base + offset, (const char *)buf + done, n);
		done += n;
		offset = 0;
	}
	return done;
}

unsigned iov_slice(const struct iovec *src, unsigned nsrc, size_t offset, size_t len,
		   struct iovec *dst, unsigned dst_max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nsrc && len > 0 && n < dst_max; i++) {
		if (offset >= src[i].iov_len) {
			offset -= src[i].iov_len;
			continue;
		}
		size_t part = src[i].iov_len - offset;
		if (part > len)
			part = len;
		dst[n].iov_base = (char *)src[i].iov_base + offset;
		dst[n].iov_len = part;
		n++;
		len -= part;
		offset = 0;
	}
	return n;
}

size_t iov_length(const struct iovec *iov, unsigned niov)
{
	size_t len = 0;

	for (unsigned i = 0; i < niov; i++)
		len += iov[i].iov_len;
	return len;
}
