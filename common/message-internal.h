/* Shared by the parts of the message module (message.c, message-process.c);
 * nothing outside common/ includes this. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "message.h"

/* An integer field in [0, max]; a missing optional field leaves *ret. */
int msg_get_uint(json_t *obj, const char *key, bool required, uint64_t max, uint64_t *ret,
		 struct error *e);

/* Index of s in names[0..n), or -1. */
int msg_lookup_name(const char *const *names, size_t n, const char *s);

/* Request arguments and results of the process ops (message-process.c). */
json_t *msg_format_process_request(const struct agent_request *req);
int msg_parse_process_request(json_t *root, struct agent_request *req, struct error *e);
json_t *msg_format_process_result(enum agent_op op, const struct agent_reply *reply);
int msg_parse_process_result(enum agent_op op, json_t *result, struct agent_reply *ret,
			     struct error *e);

/* Events the agent pushes (message-process.c). */
json_t *msg_format_event(const struct agent_event *ev);
int msg_parse_event(json_t *root, struct agent_event *ret, struct error *e);
