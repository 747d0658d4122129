/* An error: errno-style code plus a message that callers extend with
 * context on the way up ("starting VM: libvirt: ..."). Library code fills
 * it; only main prints it. */
#pragma once

#include <stddef.h>

#define ERROR_MSG_MAX 1024

struct error {
	int code; /* positive errno value, 0 when unset */
	char msg[ERROR_MSG_MAX];
};

/* Sets the error and returns -code, so callers can `return error_set(...)`. */
int error_set(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like error_set, with ": strerror(code)" appended. */
int error_errno(struct error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "context: " to the message; returns -code. */
int error_prefix(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void error_clear(struct error *e);

/* What an error message quotes of untrusted input (it reaches a terminal):
 * in double quotes, cut short with "..." to fit size bytes (at least 8),
 * printable ASCII only. Returns buf. */
const char *error_quote(char *buf, size_t size, const char *s);

/* Replaces control characters and non-ASCII bytes with '?', in place. */
void error_make_printable(char *s);

/* Names a field of an untrusted document in an error: "where.key" (or
 * "key" at the top) and "where[i]", cut short if need be. */
#define ERROR_FIELD_MAX 160
const char *error_field(char buf[static ERROR_FIELD_MAX], const char *where, const char *key);
const char *error_element(char buf[static ERROR_FIELD_MAX], const char *where, size_t i);
