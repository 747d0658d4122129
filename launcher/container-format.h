/* Containers as Docker prints them: ps's STATUS, CREATED and COMMAND
 * columns, ps --format json, and inspect's document (with the VM added).
 * Pure: the time is passed in, so the formats are unit-tested. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

/* "Created", "Up 3 seconds", "Exited (137) 2 minutes ago". */
void format_status(const struct container_record *r, uint64_t now_ns, char *buf, size_t size);

/* "3 minutes ago". */
void format_ago(uint64_t then_ns, uint64_t now_ns, char *buf, size_t size);

/* The COMMAND column: "\"sh -c 'echo hi'\"", cut to 20 characters and an
 * ellipsis ("…") unless no_trunc. */
void format_command(const struct container_config *c, bool no_trunc, char *buf, size_t size);

/* RFC 3339 with nanoseconds, UTC; 0 is Docker's zero time
 * "0001-01-01T00:00:00Z". */
void format_time(uint64_t ns, char *buf, size_t size);

/* One `ps --format json` line's object. */
json_t *format_ps_json(const struct container_record *r, uint64_t now_ns);

/* One container's `inspect` object. log_path: its log file. */
json_t *format_inspect(const struct container_record *r, const char *log_path);
