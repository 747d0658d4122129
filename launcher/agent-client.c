#include "agent-client.h"

#include <errno.h>

#include "cleanup.h"
#include "protocol.h"

int agent_read_reply(int fd, uint64_t id, enum agent_op op, struct agent_reply *ret,
		     int timeout_ms, struct error *e)
{
	_cleanup_free_ char *payload = NULL;
	size_t len;

	if (proto_recv(fd, timeout_ms, &payload, &len, e) < 0)
		return error_prefix(e, "agent %s", agent_op_name(op));
	if (agent_reply_parse(payload, len, op, ret, e) < 0)
		return error_prefix(e, "agent sent a malformed %s reply", agent_op_name(op));
	if (ret->id != id)
		return error_set(e, EPROTO, "agent answered request %llu with id %llu",
				 (unsigned long long)id, (unsigned long long)ret->id);
	if (ret->failed)
		return error_set(e, ret->error.code ? ret->error.code : EIO, "agent: %s: %s",
				 agent_op_name(op), ret->error.message);
	return 0;
}

int agent_send(int fd, const struct agent_request *req, struct error *e)
{
	_cleanup_free_ char *msg = NULL;
	size_t len;

	msg = agent_request_format(req, &len);
	if (!msg)
		return error_set(e, ENOMEM, "formatting the %s request", agent_op_name(req->op));
	if (proto_send(fd, msg, len, e) < 0)
		return error_prefix(e, "agent %s", agent_op_name(req->op));
	return 0;
}

int agent_call(int fd, const struct agent_request *req, struct agent_reply *ret, int timeout_ms,
	       struct error *e)
{
	if (agent_send(fd, req, e) < 0)
		return -e->code;
	return agent_read_reply(fd, req->id, req->op, ret, timeout_ms, e);
}
