#include "message.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"

#include "cleanup.h"
#include "message-internal.h"

/* jansson's json_auto_t drops the reference at the end of the scope. */

static const char *const op_names[AGENT_OP__MAX] = {
	[AGENT_OP_PING] = "ping",
	[AGENT_OP_SHUTDOWN] = "shutdown",
	[AGENT_OP_DIAG] = "diag",
	[AGENT_OP_CREATE] = "create",
	[AGENT_OP_ATTACH] = "attach",
	[AGENT_OP_START] = "start",
	[AGENT_OP_SIGNAL] = "signal",
	[AGENT_OP_RESIZE] = "resize",
	[AGENT_OP_WAIT] = "wait",
};

static const char *const diag_mode_names[] = {
	[DIAG_SINK] = "sink",
	[DIAG_SOURCE] = "source",
	[DIAG_PIPE] = "pipe",
};

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

void message_init(void)
{
	uint32_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_INSECURE | GRND_NONBLOCK) != sizeof(seed))
		seed = (uint32_t)(now_ns() ^ (now_ns() >> 32));
	json_object_seed(seed ? seed : 1);
}

const char *agent_op_name(enum agent_op op)
{
	return (unsigned)op < AGENT_OP__MAX ? op_names[op] : "unknown";
}

int msg_lookup_name(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* jansson's error text quotes the input ("near '...'"): in a message that
 * reaches a terminal, replace whatever is not printable ASCII. */
static void make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

/* Loads one JSON object; jansson rejects invalid UTF-8, NUL escapes and
 * (with the flag) duplicate keys. */
static json_t *load_object(const char *payload, size_t len, struct error *e)
{
	json_error_t jerr;
	json_t *root = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!root) {
		make_printable(jerr.text);
		error_set(e, EBADMSG, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		error_set(e, EBADMSG, "message is not a JSON object");
		return NULL;
	}
	return root;
}

int msg_get_uint(json_t *obj, const char *key, bool required, uint64_t max, uint64_t *ret,
		    struct error *e)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (!v) {
		if (required)
			return error_set(e, EBADMSG, "missing \"%s\"", key);
		return 0;
	}
	if (!json_is_integer(v))
		return error_set(e, EBADMSG, "\"%s\" is not an integer", key);
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return error_set(e, EBADMSG, "\"%s\" is out of range", key);
	*ret = (uint64_t)i;
	return 0;
}

/* Whether a (valid UTF-8, as jansson guarantees) string is safe to show on
 * a terminal: no C0 or C1 controls, no DEL, no bidirectional overrides. */
static bool text_is_safe(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		/* U+0080..U+009F are C2 80..C2 9F. */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return false;
		/* U+202A..U+202E are E2 80 AA..AE; U+2066..U+2069 are E2 81 A6..A9. */
		if (p[i] == 0xe2 && i + 2 < len &&
		    ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
		     (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
			return false;
	}
	return true;
}

/* Copies a string field that will reach a terminal or a log: bounded, and
 * free of control characters (no escape-sequence injection from a guest). */
static int get_text(json_t *obj, const char *key, char *buf, size_t size, struct error *e)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len;

	if (!v)
		return error_set(e, EBADMSG, "missing \"%s\"", key);
	if (!json_is_string(v))
		return error_set(e, EBADMSG, "\"%s\" is not a string", key);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= size)
		return error_set(e, EBADMSG, "\"%s\" is longer than %zu bytes", key, size - 1);
	if (!text_is_safe(s, len))
		return error_set(e, EBADMSG, "\"%s\" contains control characters", key);
	memcpy(buf, s, len + 1);
	return 0;
}

static char *dump(json_t *root, size_t *ret_len)
{
	char *s = json_dumps(root, JSON_COMPACT);

	if (s && ret_len)
		*ret_len = strlen(s);
	return s;
}

char *agent_request_format(const struct agent_request *req, size_t *ret_len)
{
	json_auto_t *root = json_pack("{sIss}", "id", (json_int_t)req->id, "op",
						agent_op_name(req->op));

	json_t *args = NULL;

	if (!root)
		return NULL;
	if (req->op >= AGENT_OP_CREATE) {
		args = msg_format_process_request(req);
		if (!args || json_object_update(root, args) < 0) {
			json_decref(args);
			return NULL;
		}
		json_decref(args);
	} else if (req->op == AGENT_OP_DIAG) {
		const struct diag_args *d = &req->u.diag;
		args = json_pack("{sssIsIsIsI}", "mode", diag_mode_names[d->mode], "bytes",
					 (json_int_t)d->bytes, "chunk", (json_int_t)d->chunk,
					 "delay_us", (json_int_t)d->delay_us, "seed",
					 (json_int_t)(d->seed & INT64_MAX));
		if (!args || json_object_update(root, args) < 0) {
			json_decref(args);
			return NULL;
		}
		json_decref(args);
	}
	return dump(root, ret_len);
}

static int parse_diag_args(json_t *root, struct diag_args *d, struct error *e)
{
	json_t *mode = json_object_get(root, "mode");
	uint64_t v = 0;
	int m;

	if (!json_is_string(mode))
		return error_set(e, EBADMSG, "diag: \"mode\" must be a string");
	m = msg_lookup_name(diag_mode_names, sizeof(diag_mode_names) / sizeof(*diag_mode_names),
			json_string_value(mode));
	if (m < 0)
		return error_set(e, EINVAL, "diag: unknown mode");
	d->mode = (enum diag_mode)m;
	if (msg_get_uint(root, "bytes", true, DIAG_BYTES_MAX, &d->bytes, e) < 0)
		return -EBADMSG;
	if (msg_get_uint(root, "chunk", false, DIAG_CHUNK_MAX, &v, e) < 0)
		return -EBADMSG;
	d->chunk = (uint32_t)v;
	v = 0;
	if (msg_get_uint(root, "delay_us", false, DIAG_DELAY_MAX, &v, e) < 0)
		return -EBADMSG;
	d->delay_us = (uint32_t)v;
	return msg_get_uint(root, "seed", false, INT64_MAX, &d->seed, e);
}

int agent_request_parse(const char *payload, size_t len, struct agent_request *ret,
			struct error *e)
{
	json_auto_t *root = load_object(payload, len, e);
	json_t *op;
	int i;

	if (!root)
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	if (msg_get_uint(root, "id", true, MSG_ID_MAX, &ret->id, e) < 0)
		return -EBADMSG;
	ret->id_valid = true;
	op = json_object_get(root, "op");
	if (!json_is_string(op))
		return error_set(e, EBADMSG, "\"op\" must be a string");
	i = msg_lookup_name(op_names, AGENT_OP__MAX, json_string_value(op));
	if (i < 0)
		return error_set(e, EOPNOTSUPP, "unknown op");
	ret->op = (enum agent_op)i;
	if (ret->op == AGENT_OP_DIAG)
		return parse_diag_args(root, &ret->u.diag, e);
	if (ret->op >= AGENT_OP_CREATE && msg_parse_process_request(root, ret, e) < 0) {
		agent_request_free(ret);
		return -e->code;
	}
	return 0;
}

static json_t *format_result(enum agent_op op, const struct agent_reply *reply)
{
	switch (op) {
	case AGENT_OP_PING:
		return json_pack("{sssI}", "version", reply->u.ping.version, "uptime_ms",
				 (json_int_t)reply->u.ping.uptime_ms);
	case AGENT_OP_DIAG:
		return json_pack("{sIsIsI}", "bytes", (json_int_t)reply->u.diag.bytes, "crc32",
				 (json_int_t)reply->u.diag.crc32, "elapsed_ns",
				 (json_int_t)reply->u.diag.elapsed_ns);
	default:
		return msg_format_process_result(op, reply);
	}
}

char *agent_reply_format(enum agent_op op, const struct agent_reply *reply, size_t *ret_len)
{
	json_auto_t *root = json_pack("{sI}", "id", (json_int_t)reply->id);
	json_t *body;

	if (!root)
		return NULL;
	/* json_pack fails on strings that are not UTF-8: fail the whole reply
	 * rather than send one without its result or error. */
	if (reply->failed)
		body = json_pack("{siss}", "code", reply->error.code, "message",
				 reply->error.message);
	else
		body = format_result(op, reply);
	if (!body || json_object_set_new(root, reply->failed ? "error" : "result", body) < 0)
		return NULL;
	return dump(root, ret_len);
}

static int parse_result(enum agent_op op, json_t *result, struct agent_reply *ret,
			struct error *e)
{
	uint64_t v = 0;

	switch (op) {
	case AGENT_OP_PING:
		if (get_text(result, "version", ret->u.ping.version, sizeof(ret->u.ping.version),
			     e) < 0)
			return -EBADMSG;
		return msg_get_uint(result, "uptime_ms", true, INT64_MAX, &ret->u.ping.uptime_ms, e);
	case AGENT_OP_DIAG:
		if (msg_get_uint(result, "bytes", true, DIAG_BYTES_MAX, &ret->u.diag.bytes, e) < 0 ||
		    msg_get_uint(result, "crc32", true, UINT32_MAX, &v, e) < 0)
			return -EBADMSG;
		ret->u.diag.crc32 = (uint32_t)v;
		return msg_get_uint(result, "elapsed_ns", true, INT64_MAX, &ret->u.diag.elapsed_ns, e);
	default:
		return msg_parse_process_result(op, result, ret, e);
	}
}

int agent_reply_parse(const char *payload, size_t len, enum agent_op op, struct agent_reply *ret,
		      struct error *e)
{
	json_auto_t *root = load_object(payload, len, e);
	json_t *result, *err;
	uint64_t code = 0;

	if (!root)
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	if (msg_get_uint(root, "id", true, MSG_ID_MAX, &ret->id, e) < 0)
		return -EBADMSG;
	result = json_object_get(root, "result");
	err = json_object_get(root, "error");
	if (!!result == !!err)
		return error_set(e, EBADMSG, "reply must have exactly one of \"result\" and \"error\"");
	if (err) {
		if (!json_is_object(err))
			return error_set(e, EBADMSG, "\"error\" is not an object");
		if (msg_get_uint(err, "code", true, 4095, &code, e) < 0 ||
		    get_text(err, "message", ret->error.message, sizeof(ret->error.message), e) < 0)
			return error_prefix(e, "error reply");
		ret->failed = true;
		ret->error.code = (int)code;
		return 0;
	}
	if (!json_is_object(result))
		return error_set(e, EBADMSG, "\"result\" is not an object");
	if (parse_result(op, result, ret, e) < 0)
		return error_prefix(e, "%s reply", agent_op_name(op));
	return 0;
}

char *agent_event_format(const struct agent_event *ev, size_t *ret_len)
{
	json_auto_t *root = msg_format_event(ev);

	return root ? dump(root, ret_len) : NULL;
}

int agent_event_parse(const char *payload, size_t len, struct agent_event *ret, struct error *e)
{
	json_auto_t *root = load_object(payload, len, e);

	if (!root)
		return -EBADMSG;
	return msg_parse_event(root, ret, e);
}

bool agent_frame_is_event(const char *payload, size_t len)
{
	struct error e = {0};
	json_auto_t *root = load_object(payload, len, &e);

	return root && json_object_get(root, "event");
}

int agent_reply_peek_id(const char *payload, size_t len, uint64_t *ret_id, struct error *e)
{
	json_auto_t *root = load_object(payload, len, e);

	if (!root)
		return -EBADMSG;
	return msg_get_uint(root, "id", true, MSG_ID_MAX, ret_id, e);
}

/* splitmix64: a fast, well-mixed sequence; any byte of the stream can be
 * computed from its offset, so readers and writers need no shared state. */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void diag_pattern_fill(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t word = splitmix64(seed ^ ((offset + i) / 8 * 0x9e3779b97f4a7c15ull));
		unsigned start = (unsigned)((offset + i) % 8);
		for (unsigned b = start; b < 8 && i < len; b++, i++)
			buf[i] = (uint8_t)(word >> (8 * b));
	}
}
