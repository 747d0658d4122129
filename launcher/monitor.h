/* The per-container monitor: a host process that owns the VM (libvirt
 * domain, vsock backend), the agent connection and the stdio relays, and
 * records the exit status. `launcher run` forks it and stays in the
 * foreground as its client; they talk over a socketpair with the small
 * fixed messages below (same binary on both ends).
 *
 * No VM outlives its monitor (libvirt autodestroy, PR_SET_PDEATHSIG), and a
 * foreground monitor whose client disappears (SIGKILL) tears everything
 * down itself. */
#pragma once

#include <stdbool.h>

#include "boot.h"
#include "message.h"

enum monitor_msg_type {
	MONITOR_SIGNAL = 1, /* client -> monitor: forward value (a signal number) */
	MONITOR_WINCH,	    /* client -> monitor: the terminal was resized */
	MONITOR_RESULT,	    /* monitor -> client: exit code in value, message in text */
};

struct monitor_msg {
	int type;
	int value;
	char text[1024]; /* a message for the client to print, "" for none */
};

struct monitor_opts {
	struct boot_opts boot;
	bool interactive, tty;
	const char *hostname; /* NULL: the VM's id */
	/* Builds the create request once the VM (and so the default host name)
	 * exists. */
	int (*build_create)(const void *ctx, const char *hostname, struct agent_request *ret,
			    struct error *e);
	const void *ctx;
};

/* Runs in the forked monitor: boots the VM, runs process 1, reports the
 * result on client_fd, tears the VM down. Never returns. */
_Noreturn void monitor_main(int client_fd, const struct monitor_opts *o);
