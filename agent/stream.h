/* The stream port: connections that start with one request frame and
 * then carry raw bytes. Each is served by a forked child with blocking
 * code, so the control loop never waits on a stream. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"

#define STREAM_CHILD_MAX 64

struct stream_server;

/* Listens on AGENT_STREAM_PORT and serves from the loop. */
struct stream_server *stream_server_start(struct loop *loop, struct error *e);

/* The reaper reports every child here; returns whether it was a stream
 * child (and frees its slot). */
bool stream_server_child_exited(struct stream_server *srv, pid_t pid, int status);
