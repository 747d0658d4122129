/* A container's life inside its monitor, over the agent protocol: create
 * process 1, attach its stdio streams, start it, then relay bytes and
 * serve the monitor's clients until it has exited and every output stream
 * is drained (output written just before exit is never lost).
 *
 * Process 1's output goes to the container's log and to every attached
 * client's stdout and stderr; its input comes from the client attached
 * with stdin. Clients (monitor.h) reach the session through the monitor's
 * socket: attach, exec (a further process in the container, on its own
 * control connection so its exit event comes to it), kill, wait, resize.
 * When process 1 exits, the agent's PID namespace takes every exec'd
 * process with it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "boot.h"
#include "error.h"
#include "log.h"
#include "message.h"

struct run_session_opts {
	bool interactive; /* process 1 has stdin */
	bool tty;	  /* one pty stream */
	/* The client that started the session. Foreground (`launcher run`):
	 * its stdio is ours (fds 0-2), it gets the exit status, and if it
	 * goes away the session is cancelled. Otherwise (`run -d`, `start`):
	 * it is told MONITOR_STARTED and may go. */
	int client_fd;
	bool foreground;
	struct log_writer *log; /* process 1's output, or NULL */
	int listener;		/* the monitor's socket, or -1 */
	/* An OCI runtime's container (`launcher oci create`): the monitor's
	 * own fds 0-2 are process 1's stdio, with no client owning them (the
	 * engine's pipes, or the pty whose master went to its console
	 * socket); SIGWINCH on that pty resizes the container's. */
	bool own_stdio;
	/* Process 1 is created, then waits for a MONITOR_START on the
	 * listener; the first client is told MONITOR_CREATED and goes. A
	 * MONITOR_KILL before then ends the session with 128+signal. */
	bool hold_start;
	/* Called once process 1 runs (its guest pid), and once it exited,
	 * before anyone is told. */
	void (*on_started)(void *ctx, uint32_t pid);
	void (*on_exited)(void *ctx, int exit_code, bool oom_killed);
	void *ctx;
	/* Asked about once a second, when not NULL: false cancels the session
	 * (the container's record was removed under it). */
	bool (*still_wanted)(void *ctx);
	void *wanted_ctx;
};

/* Runs the process described by create (process 1). Returns 0 and the
 * Docker-style exit code in *ret_exit; 1 when the agent refused to start
 * it (command not found, not executable), with the agent's message in e
 * and 127, 126 or 125 in *ret_exit; -ECANCELED when the foreground client
 * went away; or -errno with e filled. Foreground: the caller reports the
 * result to the client; others were told by the session. */
int run_session(struct booted *b, struct agent_request *create, const struct run_session_opts *o,
		int *ret_exit, struct error *e);
