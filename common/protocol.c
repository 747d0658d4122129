#include "protocol.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define READER_CAP (PROTO_HEADER_SIZE + PROTO_FRAME_MAX)

int proto_frame_parse(const uint8_t *buf, size_t len, const uint8_t **ret_payload,
		      uint32_t *ret_payload_len, size_t *ret_consumed)
{
	uint32_t n;

	if (len < PROTO_HEADER_SIZE)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n == 0)
		return -EBADMSG;
	if (n > PROTO_FRAME_MAX)
		return -EMSGSIZE;
	if (len - PROTO_HEADER_SIZE < n)
		return 0;
	*ret_payload = buf + PROTO_HEADER_SIZE;
	*ret_payload_len = n;
	*ret_consumed = PROTO_HEADER_SIZE + n;
	return 1;
}

void proto_frame_header(uint8_t hdr[PROTO_HEADER_SIZE], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

int proto_send(int fd, const char *payload, size_t len, struct error *e)
{
	uint8_t hdr[PROTO_HEADER_SIZE];
	int r;

	if (len == 0 || len > PROTO_FRAME_MAX)
		return error_set(e, EMSGSIZE, "message of %zu bytes is outside 1..%u", len,
				 PROTO_FRAME_MAX);
	proto_frame_header(hdr, (uint32_t)len);
	r = write_full(fd, hdr, sizeof(hdr));
	if (r == 0)
		r = write_full(fd, payload, len);
	if (r < 0)
		return error_errno(e, -r, "sending message");
	return 0;
}

/* Reads exactly len bytes before the deadline (0: none). Data already
 * waiting is read even when the deadline has passed. */
static int recv_exact(int fd, void *buf, size_t len, uint64_t deadline, struct error *e,
		      int mid_message)
{
	size_t done = 0;

	while (done < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int timeout = -1;
		ssize_t n;

		if (deadline) {
			uint64_t now = now_ns();
			timeout = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
		}
		n = poll(&p, 1, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_errno(e, errno, "poll");
		}
		if (n == 0) {
			if (deadline && now_ns() >= deadline)
				return error_set(e, ETIMEDOUT, "timed out waiting for the peer");
			continue;
		}
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return error_errno(e, errno, "receiving message");
		}
		if (n == 0)
			return error_set(e, ECONNRESET, "connection closed by the peer%s",
					 done || mid_message ? " in the middle of a message" : "");
		done += (size_t)n;
	}
	return 0;
}

int proto_recv(int fd, int timeout_ms, char **ret_payload, size_t *ret_len, struct error *e)
{
	uint64_t deadline = timeout_ms >= 0 ? now_ns() + (uint64_t)timeout_ms * 1000000u : 0;
	uint8_t hdr[PROTO_HEADER_SIZE];
	const uint8_t *unused;
	uint32_t n;
	size_t consumed;
	char *buf;
	int r;

	r = recv_exact(fd, hdr, sizeof(hdr), deadline, e, 0);
	if (r < 0)
		return r;
	/* Parse the header alone: 0 here means "complete header, payload to come". */
	r = proto_frame_parse(hdr, sizeof(hdr), &unused, &n, &consumed);
	if (r == -EMSGSIZE)
		return error_set(e, EMSGSIZE, "peer announced a message larger than %u bytes",
				 PROTO_FRAME_MAX);
	if (r == -EBADMSG)
		return error_set(e, EBADMSG, "peer sent an empty message");
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	buf = malloc((size_t)n + 1);
	if (!buf)
		return error_set(e, ENOMEM, "out of memory for a %u-byte message", n);
	r = recv_exact(fd, buf, n, deadline, e, 1);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*ret_payload = buf;
	*ret_len = n;
	return 0;
}

void frame_reader_init(struct frame_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void frame_reader_free(struct frame_reader *r)
{
	free(r->buf);
	frame_reader_init(r);
}

/* Drops the frame handed out by the previous frame_reader_next(). */
static void drop_consumed(struct frame_reader *r)
{
	if (r->consumed) {
		r->len -= r->consumed;
		memmove(r->buf, r->buf + r->consumed, r->len);
		r->consumed = 0;
	}
}

uint8_t *frame_reader_space(struct frame_reader *r, size_t *ret_room)
{
	drop_consumed(r);
	if (!r->buf) {
		/* Grow lazily: most frames are tiny. */
		r->cap = 4096;
		r->buf = xmalloc(r->cap);
	}
	if (r->len == r->cap && r->cap < READER_CAP) {
		size_t cap = r->cap * 2 > READER_CAP ? READER_CAP : r->cap * 2;
		uint8_t *p = realloc(r->buf, cap);
		if (!p)
			abort();
		r->buf = p;
		r->cap = cap;
	}
	*ret_room = r->cap - r->len;
	return r->buf + r->len;
}

void frame_reader_commit(struct frame_reader *r, size_t n)
{
	r->len += n;
}

int frame_reader_next(struct frame_reader *r, const uint8_t **ret_payload, uint32_t *ret_len)
{
	size_t consumed;
	int ret;

	drop_consumed(r);
	if (!r->buf)
		return 0;
	ret = proto_frame_parse(r->buf, r->len, ret_payload, ret_len, &consumed);
	if (ret > 0)
		r->consumed = consumed;
	return ret;
}
