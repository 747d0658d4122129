/* The agent's side of the agent protocol: the input is one frame's payload
 * as agent_request_parse() gets it. Checks, beyond not crashing: every
 * error comes with a message; what is accepted is within the documented
 * ranges and formats back to the same request. */
#include <string.h>

#include "fuzz.h"
#include "message.h"

static void check_request(const struct agent_request *req)
{
	FUZZ_CHECK(req->id <= MSG_ID_MAX);
	FUZZ_CHECK((unsigned)req->op < AGENT_OP__MAX);
	if (req->op == AGENT_OP_DIAG) {
		const struct diag_args *d = &req->u.diag;

		FUZZ_CHECK(d->mode == DIAG_SINK || d->mode == DIAG_SOURCE || d->mode == DIAG_PIPE);
		FUZZ_CHECK(d->bytes <= DIAG_BYTES_MAX);
		FUZZ_CHECK(d->chunk <= DIAG_CHUNK_MAX);
		FUZZ_CHECK(d->delay_us <= DIAG_DELAY_MAX);
		FUZZ_CHECK(d->seed <= INT64_MAX);
	}
}

static void check_roundtrip(const struct agent_request *req)
{
	struct agent_request again;
	struct error e = {0};
	size_t len = 0;
	char *json = agent_request_format(req, &len);

	FUZZ_CHECK(json);
	FUZZ_CHECK(agent_request_parse(json, len, &again, &e) == 0);
	FUZZ_CHECK(again.id == req->id && again.op == req->op);
	if (req->op == AGENT_OP_DIAG) {
		FUZZ_CHECK(again.u.diag.mode == req->u.diag.mode);
		FUZZ_CHECK(again.u.diag.bytes == req->u.diag.bytes);
		FUZZ_CHECK(again.u.diag.chunk == req->u.diag.chunk);
		FUZZ_CHECK(again.u.diag.delay_us == req->u.diag.delay_us);
		FUZZ_CHECK(again.u.diag.seed == req->u.diag.seed);
	}
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy exactly the payload's size: no NUL after it, as on the wire. */
	char *copy = malloc(size ? size : 1);
	struct agent_request req;
	struct error e = {0};
	int r;

	FUZZ_CHECK(copy);
	memcpy(copy, data, size);
	r = agent_request_parse(copy, size, &req, &e);
	if (r < 0) {
		FUZZ_CHECK(e.code > 0 && r == -e.code);
		FUZZ_CHECK(e.msg[0] != '\0');
		FUZZ_CHECK(fuzz_text_printable(e.msg));
		FUZZ_CHECK(memchr(e.msg, '\0', sizeof(e.msg)));
	} else {
		FUZZ_CHECK(r == 0);
		check_request(&req);
		check_roundtrip(&req);
	}
	free(copy);
	return 0;
}
