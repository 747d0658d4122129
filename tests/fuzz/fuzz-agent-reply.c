/* The host's side of the agent protocol. The input is what a (hostile)
 * guest writes on a control connection: a byte stream cut into frames,
 * each frame a reply that the launcher parses with agent_reply_parse(), or
 * an event (agent_event_parse()).
 *
 * Checks, beyond not crashing: every error comes with a message; what is
 * accepted is within the documented ranges, free of control characters,
 * and formats back to the same reply; and the incremental frame_reader,
 * fed the stream in arbitrary pieces, yields exactly the frames (and the
 * error) that proto_frame_parse() finds walking it whole. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "message.h"
#include "protocol.h"

static int clean_text(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (len == size)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static void check_reply(enum agent_op op, const struct agent_reply *r)
{
	FUZZ_CHECK(r->id <= MSG_ID_MAX);
	if (r->failed) {
		FUZZ_CHECK(r->error.code >= 0 && r->error.code <= 4095);
		FUZZ_CHECK(clean_text(r->error.message, sizeof(r->error.message)));
		return;
	}
	switch (op) {
	case AGENT_OP_PING:
		FUZZ_CHECK(clean_text(r->u.ping.version, sizeof(r->u.ping.version)));
		FUZZ_CHECK(r->u.ping.uptime_ms <= INT64_MAX);
		break;
	case AGENT_OP_DIAG:
		FUZZ_CHECK(r->u.diag.bytes <= DIAG_BYTES_MAX);
		FUZZ_CHECK(r->u.diag.elapsed_ns <= INT64_MAX);
		break;
	default:
		break;
	}
}

/* An accepted reply, formatted again, parses to the same reply. */
static void check_roundtrip(enum agent_op op, const struct agent_reply *r)
{
	struct agent_reply again;
	struct error e = {0};
	size_t len = 0;
	char *json = agent_reply_format(op, r, &len);

	FUZZ_CHECK(json);
	FUZZ_CHECK(agent_reply_parse(json, len, op, &again, &e) == 0);
	FUZZ_CHECK(again.id == r->id);
	FUZZ_CHECK(again.failed == r->failed);
	if (r->failed) {
		FUZZ_CHECK(again.error.code == r->error.code);
		FUZZ_CHECK(strcmp(again.error.message, r->error.message) == 0);
	} else if (op == AGENT_OP_PING) {
		FUZZ_CHECK(strcmp(again.u.ping.version, r->u.ping.version) == 0);
		FUZZ_CHECK(again.u.ping.uptime_ms == r->u.ping.uptime_ms);
	} else if (op == AGENT_OP_DIAG) {
		FUZZ_CHECK(again.u.diag.bytes == r->u.diag.bytes);
		FUZZ_CHECK(again.u.diag.crc32 == r->u.diag.crc32);
		FUZZ_CHECK(again.u.diag.elapsed_ns == r->u.diag.elapsed_ns);
	}
	free(json);
}

/* An accepted event is in range and formats back to the same event. */
static void parse_event(const char *copy, uint32_t len)
{
	struct agent_event ev, again;
	struct error e = {0};
	size_t n = 0;
	char *json;
	int r = agent_event_parse(copy, len, &ev, &e);

	(void)agent_frame_is_event(copy, len);
	if (r < 0) {
		FUZZ_CHECK(e.code > 0 && r == -e.code);
		FUZZ_CHECK(e.msg[0] != '\0' && fuzz_text_printable(e.msg));
		return;
	}
	FUZZ_CHECK(agent_frame_is_event(copy, len));
	FUZZ_CHECK(ev.kind == AGENT_EVENT_EXIT);
	FUZZ_CHECK(ev.process >= 1 && ev.process <= MSG_PROCESS_MAX);
	FUZZ_CHECK(ev.exit.exit_code >= 0 && ev.exit.exit_code <= 255);
	FUZZ_CHECK(ev.exit.signal >= 0 && ev.exit.signal <= 64);
	FUZZ_CHECK(!(ev.exit.exit_code && ev.exit.signal));
	json = agent_event_format(&ev, &n);
	FUZZ_CHECK(json);
	FUZZ_CHECK(agent_event_parse(json, n, &again, &e) == 0);
	FUZZ_CHECK(memcmp(&again, &ev, sizeof(ev)) == 0);
	free(json);
}

static void parse_payload(const uint8_t *payload, uint32_t len)
{
	/* An exact-size copy, so that reading past the frame is caught. */
	char *copy = malloc(len);

	FUZZ_CHECK(copy);
	memcpy(copy, payload, len);
	parse_event(copy, len);
	for (int op = 0; op < AGENT_OP__MAX; op++) {
		struct agent_reply reply;
		struct error e = {0};
		int r = agent_reply_parse(copy, len, (enum agent_op)op, &reply, &e);

		if (r < 0) {
			FUZZ_CHECK(e.code > 0 && r == -e.code);
			FUZZ_CHECK(e.msg[0] != '\0');
			FUZZ_CHECK(fuzz_text_printable(e.msg));
			FUZZ_CHECK(memchr(e.msg, '\0', sizeof(e.msg)));
			continue;
		}
		FUZZ_CHECK(r == 0);
		check_reply((enum agent_op)op, &reply);
		check_roundtrip((enum agent_op)op, &reply);
	}
	free(copy);
}

/* Walks the stream as a whole; returns how it ends (0: needs more bytes). */
static int walk_frames(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (;;) {
		const uint8_t *payload;
		uint32_t len;
		size_t consumed;
		int r = proto_frame_parse(data + off, size - off, &payload, &len, &consumed);

		if (r <= 0) {
			FUZZ_CHECK(r == 0 || r == -EMSGSIZE || r == -EBADMSG);
			return r;
		}
		FUZZ_CHECK(r == 1);
		FUZZ_CHECK(len > 0 && len <= PROTO_FRAME_MAX);
		FUZZ_CHECK(payload == data + off + PROTO_HEADER_SIZE);
		FUZZ_CHECK(consumed == PROTO_HEADER_SIZE + len && consumed <= size - off);
		parse_payload(payload, len);
		off += consumed;
	}
}

/* Piece sizes for the frame reader, from a xorshift generator seeded with
 * a hash of the input: arbitrary, yet the same for the same input. */
static uint64_t split_seed(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return h | 1;
}

static size_t next_split(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	switch (*s % 4) {
	case 0:
		return 1;
	case 1:
		return 1 + (*s >> 8) % 8;
	case 2:
		return 1 + (*s >> 8) % 512;
	default:
		return SIZE_MAX; /* as much as there is room for */
	}
}

static void feed_reader(const uint8_t *data, size_t size, int walk_end)
{
	uint64_t seed = split_seed(data, size);
	struct frame_reader fr;
	size_t fed = 0, walk_off = 0;
	int r = 0;

	frame_reader_init(&fr);
	while (fed < size && r >= 0) {
		size_t room = 0, n = next_split(&seed);
		uint8_t *p = frame_reader_space(&fr, &room);
		const uint8_t *payload;
		uint32_t len;

		/* Every complete frame was taken: there must be room for more. */
		FUZZ_CHECK(room > 0);
		if (n > room)
			n = room;
		if (n > size - fed)
			n = size - fed;
		memcpy(p, data + fed, n);
		frame_reader_commit(&fr, n);
		fed += n;
		while ((r = frame_reader_next(&fr, &payload, &len)) == 1) {
			const uint8_t *want;
			uint32_t want_len;
			size_t consumed;

			FUZZ_CHECK(proto_frame_parse(data + walk_off, size - walk_off, &want,
						     &want_len, &consumed) == 1);
			FUZZ_CHECK(len == want_len && memcmp(payload, want, len) == 0);
			walk_off += consumed;
		}
	}
	/* The reader stops where, and as, the whole-stream walk stopped. */
	FUZZ_CHECK(r == walk_end);
	frame_reader_free(&fr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int end = walk_frames(data, size);

	feed_reader(data, size, end);
	return 0;
}
