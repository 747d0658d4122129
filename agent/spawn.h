/* Running a container process: clone() into new mount, PID, UTS and IPC
 * namespaces (so it is PID 1 of its own), or into those of the container's
 * running process (exec), then in the child everything up
 * to execve: stdio, the root filesystem, the terminal, host name, working
 * directory, identity, and the command looked up in the container's PATH.
 *
 * The child reports to the agent on a close-on-exec SOCK_SEQPACKET socket:
 * the terminal's master (when it has one), or why it failed. EOF without a
 * failure means the execve happened. The agent reads it from the loop. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "message.h"

#define SPAWN_DEFAULT_HOSTNAME "launcher"

struct spawn_config {
	const struct process_spec *spec;
	const char *hostname; /* "": SPAWN_DEFAULT_HOSTNAME */
	/* Without a terminal: the host's stream connections that become
	 * fds 0, 1, 2, or -1 for /dev/null. The child's copies are its
	 * own: the caller closes these after spawn_process. */
	int stdio[3];
	/* Not 0: enter the namespaces of this process (in the agent's PID
	 * namespace), its root and host name, instead of making new ones:
	 * `launcher exec`. */
	pid_t join_pid;
	/* Process 1: what holds for the whole container (its mounts, a
	 * read-only root...). Unused when joining. */
	const struct container_spec *ct;
	/* The cgroup to clone the child into (an fd of its directory), or -1. */
	int cgroup_fd;
};

/* Returns 0 with the child's pid (in the agent's namespace) and the
 * agent's end of the report socket, non-blocking and close-on-exec. */
int spawn_process(const struct spawn_config *c, pid_t *ret_pid, int *ret_report, struct error *e);

enum spawn_report_kind {
	SPAWN_REPORT_PTY,    /* fd: the terminal's master */
	SPAWN_REPORT_FAILED, /* error: why the process did not start */
};

struct spawn_report {
	enum spawn_report_kind kind;
	int fd;
	/* The code says who is to blame: the execve's errno (ENOENT: no such
	 * command; EACCES, ENOEXEC...: not executable) or EIO when setting
	 * up the container failed (the message says how). */
	struct error error;
};

/* Reads one report. Returns 1 with *ret (the caller owns ret->fd), 0 at
 * EOF, -EAGAIN when none is there yet, or -errno. */
int spawn_read_report(int fd, struct spawn_report *ret);
