/* The agent protocol's messages as typed structs. This module is the only
 * code that touches the JSON of the wire: it checks every type, range and
 * length, and rejects what does not fit (DESIGN.md, CONVENTIONS.md #4).
 *
 * Request:  {"id": N, "op": "ping"|"shutdown"|"diag", ...args}
 * Reply:    {"id": N, "result": {...}} or {"id": N, "error": {"code": N, "message": S}}
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define MSG_ID_MAX ((uint64_t)1 << 53) /* ids stay exact in any JSON reader */
#define MSG_VERSION_MAX 64
#define MSG_TEXT_MAX 512

enum agent_op {
	AGENT_OP_PING,
	AGENT_OP_SHUTDOWN,
	AGENT_OP_DIAG,
	AGENT_OP__MAX,
};

const char *agent_op_name(enum agent_op op);

/* Diagnostics over a stream connection, used by tests and benchmarks:
 *  sink:   the agent reads until EOF (pausing delay_us every chunk bytes)
 *          and answers with the byte count and CRC-32 of what it got;
 *  source: the agent writes `bytes` of the diag pattern for `seed`
 *          (pausing likewise), then half-closes;
 *  pipe:   the agent copies `bytes` through a pipe between two of its own
 *          processes (one buffer written over and over, CRC-32 on the
 *          reading side as in sink): the in-guest ceiling for a sink. */
enum diag_mode {
	DIAG_SINK,
	DIAG_SOURCE,
	DIAG_PIPE,
};

#define DIAG_BYTES_MAX ((uint64_t)1 << 40)
#define DIAG_CHUNK_MAX (1u << 20)
#define DIAG_DELAY_MAX 1000000u

struct diag_args {
	enum diag_mode mode;
	uint64_t bytes;
	uint32_t chunk;	   /* 0: agent's default */
	uint32_t delay_us; /* pause after each chunk, to make a slow reader/writer */
	uint64_t seed;
};

struct agent_request {
	bool id_valid; /* set by agent_request_parse as soon as "id" parsed, even on failure */
	uint64_t id;
	enum agent_op op;
	union {
		struct diag_args diag;
	} u;
};

struct ping_result {
	char version[MSG_VERSION_MAX];
	uint64_t uptime_ms;
};

struct diag_result {
	uint64_t bytes;
	uint32_t crc32;
	uint64_t elapsed_ns;
};

struct agent_reply {
	uint64_t id;
	bool failed;
	struct {
		int code;
		char message[MSG_TEXT_MAX];
	} error;
	union {
		struct ping_result ping;
		struct diag_result diag;
	} u;
};

/* Encode to a malloc'd JSON text (not NUL-counted in *ret_len). */
char *agent_request_format(const struct agent_request *req, size_t *ret_len);
char *agent_reply_format(enum agent_op op, const struct agent_reply *reply, size_t *ret_len);

/* Seeds jansson's hash function from getrandom(GRND_INSECURE). Call once at
 * start: otherwise jansson reads /dev/urandom on first use, which blocks
 * for about a second in a guest whose entropy pool is not ready yet. */
void message_init(void);

/* Decode and validate. On failure e says why; of *ret, only id_valid and
 * (when id_valid) id may be used, to address an error reply. */
int agent_request_parse(const char *payload, size_t len, struct agent_request *ret,
			struct error *e);
int agent_reply_parse(const char *payload, size_t len, enum agent_op op, struct agent_reply *ret,
		      struct error *e);

/* The diag pattern: a deterministic byte stream from a seed, so either side
 * can check what the other produced. */
void diag_pattern_fill(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len);
