/* Replies the agent sends, on either port. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "message.h"

/* Upper bound of one framed reply (header included): the longest is an
 * error reply, whose message is capped at MSG_TEXT_MAX bytes. */
#define REPLY_FRAME_MAX 4096u

/* Fills an error reply. The message is cut to fit and anything but
 * printable ASCII becomes '?': the host rejects control characters, and
 * JSON parser messages can quote arbitrary input bytes. */
void reply_set_error(struct agent_reply *reply, uint64_t id, int code, const char *msg);

/* Encodes a framed reply (4-byte header + JSON) into buf of REPLY_FRAME_MAX
 * bytes. Returns its length or -errno. */
int reply_encode(enum agent_op op, const struct agent_reply *reply, uint8_t *buf);

/* The same for an event (it fits the same bound). */
int reply_encode_event(const struct agent_event *ev, uint8_t *buf);

/* Blocking send of one reply frame. */
int reply_send(int fd, enum agent_op op, const struct agent_reply *reply, struct error *e);
