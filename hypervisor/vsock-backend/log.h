/* Diagnostics of the backend: one line each on stderr, "launcher-vsock: ...".
 *
 * The guest is untrusted and may misbehave on purpose, so messages caused by
 * it go through log_guest(), which stops after a fixed number of lines: a
 * hostile guest cannot flood the host's logs. */
#pragma once

#include <stdbool.h>

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_guest(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_quiet(bool quiet);
