/* Wire framing of the agent control protocol (DESIGN.md):
 * a 4-byte big-endian length, then that many bytes of one JSON object.
 * Shared by the host and the agent; both treat the peer as untrusted. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define AGENT_CONTROL_PORT 1024u /* control connections */
#define AGENT_STREAM_PORT 1025u  /* stream connections: first a request frame, then raw bytes */

#define PROTO_HEADER_SIZE 4u
#define PROTO_FRAME_MAX (1u << 20) /* largest payload either side accepts */

/* Looks for one complete frame at the start of buf.
 * Returns 1 and sets *ret_payload, *ret_payload_len and *ret_consumed when
 * one is there; 0 when more bytes are needed; -EMSGSIZE when the announced
 * length exceeds PROTO_FRAME_MAX; -EBADMSG for a zero length. */
int proto_frame_parse(const uint8_t *buf, size_t len, const uint8_t **ret_payload,
		      uint32_t *ret_payload_len, size_t *ret_consumed);

/* Writes the 4-byte header for a payload of len bytes. */
void proto_frame_header(uint8_t hdr[PROTO_HEADER_SIZE], uint32_t len);

/* Blocking send of one frame (header + payload). Returns 0 or -errno. */
int proto_send(int fd, const char *payload, size_t len, struct error *e);

/* Receives one frame from fd, reading exactly its bytes and no more (raw
 * stream data may follow on the same connection). Gives up after
 * timeout_ms (-1: never). On success *ret_payload is a malloc'd,
 * NUL-terminated copy. Returns 0 or -errno: -ETIMEDOUT, -ECONNRESET when
 * the peer closed, -EMSGSIZE / -EBADMSG for a bad header. */
int proto_recv(int fd, int timeout_ms, char **ret_payload, size_t *ret_len, struct error *e);

/* Incremental reader for non-blocking loops (the agent): bytes go in with
 * frame_reader_space()/frame_reader_commit(); whole frames come out with
 * frame_reader_next(). Holds at most one frame plus its header. */
struct frame_reader {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t consumed; /* bytes of the frame last returned, dropped on the next call */
};

void frame_reader_init(struct frame_reader *r);
void frame_reader_free(struct frame_reader *r);
/* Returns where up to *ret_room bytes may be read into; 0 only when the
 * buffer holds a largest frame not yet taken with frame_reader_next().
 * Like frame_reader_next(), it invalidates the payload handed out last. */
uint8_t *frame_reader_space(struct frame_reader *r, size_t *ret_room);
void frame_reader_commit(struct frame_reader *r, size_t n);
/* Like proto_frame_parse; the payload stays valid until the next call. */
int frame_reader_next(struct frame_reader *r, const uint8_t **ret_payload, uint32_t *ret_len);
