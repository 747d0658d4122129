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

/* An array of at most max_items strings (each at most MSG_STRING_MAX
 * bytes, passing check when not NULL) into a NULL-terminated *ret. */
int msg_get_strv(json_t *obj, const char *key, size_t max_items, bool nonempty,
		 int (*check)(const char *), char ***ret, size_t *ret_n, struct error *e);
/* Frees a NULL-terminated array of strings; NULL is fine. */
void msg_free_strv(char **v);

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

/* message-container.c: the confinement parts of create. */
json_t *msg_format_security(const struct process_security *s);
int msg_parse_security(json_t *obj, struct process_security *s, struct error *e);
json_t *msg_format_groups(const uint32_t *groups, size_t n);
int msg_parse_groups(json_t *a, uint32_t **ret, size_t *ret_n, struct error *e);
json_t *msg_format_container(const struct container_spec *c);
int msg_parse_container(json_t *obj, struct container_spec *c, struct error *e);
bool msg_valid_tag(const char *s);
