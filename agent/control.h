/* The control port: the host's request/reply connections (DESIGN.md,
 * "The agent protocol"). Several at once, each non-blocking in the loop
 * with its own frame reader and a bounded output buffer. */
#pragma once

#include "container.h"
#include "error.h"
#include "loop.h"

#define CONTROL_CONN_MAX 64

/* Listens on AGENT_CONTROL_PORT and serves from the loop; the process
 * ops go to ct. */
int control_server_start(struct loop *loop, struct container *ct, struct error *e);
