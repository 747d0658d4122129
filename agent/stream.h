/* The stream port: connections that start with one request frame and then
 * carry raw bytes. The agent reads that frame itself, from the loop and
 * exactly (not a byte of the raw data after it), then:
 *  - attach: replies and hands the connection to the container, where it
 *    becomes a process's stdio or its terminal's relay (container.h);
 *  - diag: forks a child that serves it with blocking code (diag.h). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "loop.h"

#define STREAM_CHILD_MAX 64
/* Connections still sending their request. */
#define STREAM_PENDING_MAX 64

struct stream_server;

/* Listens on AGENT_STREAM_PORT and serves from the loop. */
struct stream_server *stream_server_start(struct loop *loop, struct container *ct, struct error *e);

/* The reaper reports every child here; returns whether it was a stream
 * child (and frees its slot). */
bool stream_server_child_exited(struct stream_server *srv, pid_t pid, int status);
