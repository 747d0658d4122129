/* One container process from create to exit, over the agent protocol:
 * create, attach its stdio streams, start, then relay bytes and forward
 * signals until the process has exited and every output stream is drained
 * (output written just before exit is never lost). It runs inside the
 * process that owns the VM: today `launcher run` itself. */
#pragma once

#include <stdbool.h>

#include "boot.h"
#include "error.h"
#include "message.h"

struct run_session_opts {
	bool interactive; /* relay our stdin */
	bool tty;	  /* one pty stream */
	int client_fd;	  /* the monitor's client: signals and resizes come from it */
};

/* Runs the process described by create (process 1). Returns 0 and the
 * Docker-style exit code in *ret_exit; 1 when the agent refused to start
 * it (command not found, not executable), with the agent's message in e
 * and 127, 126 or 125 in *ret_exit; -ECANCELED when the client went away;
 * or -errno with e filled. */
int run_session(struct booted *b, struct agent_request *create, const struct run_session_opts *o,
		int *ret_exit, struct error *e);
