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
#include <stddef.h>

#include "boot.h"
#include "message.h"

enum monitor_msg_type {
	MONITOR_SIGNAL = 1, /* client -> monitor: forward value (a signal number) */
	MONITOR_WINCH,	    /* client -> monitor: the terminal was resized */
	MONITOR_RESULT,	    /* monitor -> client: exit code in value, message in text */
	/* Claiming a spare (spare.h), in this order: */
	MONITOR_SPARE_HELLO,	/* spare -> client: its VM's name in text */
	MONITOR_SPARE_CLAIM,	/* client -> spare: flags, the length of the create
				 * request in value, stdin/out/err attached;
				 * then the request in chunks */
	MONITOR_SPARE_ACCEPTED, /* spare -> client: the VM runs; a RESULT follows */
	MONITOR_SPARE_REFUSED,	/* spare -> client: boot it yourself (why in text) */
};

#define MONITOR_FLAG_INTERACTIVE 1
#define MONITOR_FLAG_TTY 2
#define MONITOR_FLAG_CHECK 4 /* `launcher check --warm`: ping, no container */

struct monitor_msg {
	int type;
	int value;
	int flags;
	char text[1024]; /* a message for the client to print, "" for none */
};

struct monitor_opts {
	struct boot_opts boot;
	bool interactive, tty;
	const char *hostname; /* NULL: the VM's id */
	int hold_fd;	      /* the image held in use (image_hold), or -1 */
	/* Builds the create request once the VM (and so the default host name)
	 * exists. */
	int (*build_create)(const void *ctx, const char *hostname, struct agent_request *ret,
			    struct error *e);
	const void *ctx;
};

/* Runs in the forked monitor: boots the VM, then monitor_serve. */
_Noreturn void monitor_main(int client_fd, const struct monitor_opts *o);

/* With the VM booted and its agent reached: runs process 1 as create
 * describes it (taking the request), relaying our stdio, reports the
 * result on client_fd, starts a spare for spare_opts (NULL: none) and
 * tears the VM down. hold_fd (or -1) keeps the image in use (image_hold)
 * and is closed as soon as the container has exited. Never returns. */
_Noreturn void monitor_serve(int client_fd, struct booted *b, struct agent_request *create,
			     bool interactive, bool tty, int hold_fd,
			     const struct boot_opts *spare_opts);

/* Points stdin, stdout and stderr at /dev/null: once the container is done
 * the monitor lets go of the user's stdio. */
void monitor_release_stdio(void);

/* Sends a RESULT: exit code and a message ("" or NULL for none). */
void monitor_report(int fd, int code, const char *text);

/* A container's host name when the user gave none: the VM's id. */
void monitor_default_hostname(const char *vm_name, char *buf, size_t size);
