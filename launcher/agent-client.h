/* The host's side of the agent protocol: one request, one reply, checked. */
#pragma once

#include <stdint.h>

#include "error.h"
#include "message.h"

#define AGENT_CALL_TIMEOUT_MS 10000

/* Sends req on fd without waiting for the reply. */
int agent_send(int fd, const struct agent_request *req, struct error *e);

/* Sends req on fd and waits for its reply. A reply that does not parse, or
 * carries another id, is an error; so is an error reply from the agent,
 * whose message lands in e. */
int agent_call(int fd, const struct agent_request *req, struct agent_reply *ret, int timeout_ms,
	       struct error *e);

/* Reads one reply frame for `op` (used on stream connections, where the
 * reply follows the raw data). */
int agent_read_reply(int fd, uint64_t id, enum agent_op op, struct agent_reply *ret,
		     int timeout_ms, struct error *e);
