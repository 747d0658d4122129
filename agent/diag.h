/* Stream diagnostics (message.h, enum diag_mode), run in a forked child
 * with plain blocking I/O on the stream connection. */
#pragma once

#include "error.h"
#include "message.h"

#define DIAG_CHUNK_DEFAULT (64u * 1024)

/* Reads fd until EOF; counts and checksums what came. */
int diag_sink(int fd, const struct diag_args *a, struct diag_result *ret, struct error *e);

/* Writes a->bytes of the pattern to fd, half-closes, and waits for the
 * host to close. Nothing else is sent. */
int diag_source(int fd, const struct diag_args *a, struct error *e);

/* Copies a->bytes of the pattern from a forked writer through a pipe to
 * this process; the result describes what arrived. */
int diag_pipe(const struct diag_args *a, struct diag_result *ret, struct error *e);
