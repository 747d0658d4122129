#include "reply.h"

#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "protocol.h"
#include "util.h"

void reply_set_error(struct agent_reply *reply, uint64_t id, int code, const char *msg)
{
	size_t i;

	memset(reply, 0, sizeof(*reply));
	reply->id = id;
	reply->failed = true;
	reply->error.code = code > 0 && code < 4096 ? code : EIO;
	for (i = 0; msg[i] && i < sizeof(reply->error.message) - 1; i++) {
		unsigned char c = (unsigned char)msg[i];
		reply->error.message[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	reply->error.message[i] = '\0';
}

/* Frames json (taking it) into buf of REPLY_FRAME_MAX bytes. */
static int frame(char *json, size_t len, uint8_t *buf)
{
	_cleanup_free_ char *owned = json;

	if (!owned)
		return -ENOMEM;
	if (len == 0 || len > REPLY_FRAME_MAX - PROTO_HEADER_SIZE)
		return -EMSGSIZE;
	proto_frame_header(buf, (uint32_t)len);
	memcpy(buf + PROTO_HEADER_SIZE, owned, len);
	return (int)(PROTO_HEADER_SIZE + len);
}

int reply_encode(enum agent_op op, const struct agent_reply *reply, uint8_t *buf)
{
	size_t len = 0;
	char *json = agent_reply_format(op, reply, &len);

	return frame(json, len, buf);
}

int reply_encode_event(const struct agent_event *ev, uint8_t *buf)
{
	size_t len = 0;
	char *json = agent_event_format(ev, &len);

	return frame(json, len, buf);
}

int reply_send(int fd, enum agent_op op, const struct agent_reply *reply, struct error *e)
{
	uint8_t buf[REPLY_FRAME_MAX];
	int n = reply_encode(op, reply, buf);

	if (n < 0)
		return error_errno(e, -n, "encoding a %s reply", agent_op_name(op));
	n = write_full(fd, buf, (size_t)n);
	if (n < 0)
		return error_errno(e, -n, "sending a %s reply", agent_op_name(op));
	return 0;
}
