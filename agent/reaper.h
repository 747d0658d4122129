/* Reaps every child of PID 1 (its own and re-parented orphans) from the
 * loop: SIGCHLD through a signalfd, then waitpid(-1, WNOHANG) until none is
 * left, reporting each to one callback. */
#pragma once

#include <sys/types.h>

#include "error.h"
#include "loop.h"

typedef void (*reaper_fn)(pid_t pid, int status, void *userdata);

/* Blocks SIGCHLD (callers fork only after this) and watches it. */
int reaper_start(struct loop *loop, reaper_fn fn, void *userdata, struct error *e);
