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
#include "log.h"
#include "message.h"

enum monitor_msg_type {
	MONITOR_SIGNAL = 1, /* client -> monitor: forward value (a signal number) */
	MONITOR_WINCH,	    /* client -> monitor: the terminal was resized */
	MONITOR_RESULT,	    /* monitor -> client: exit code in value, message in text */
	/* Claiming a spare (spare.h), in this order: */
	MONITOR_SPARE_HELLO,	/* spare -> client: its VM's name in text */
	MONITOR_SPARE_CLAIM,	/* client -> spare: flags, the length of the create
				 * request in value, stdin/out/err attached, the
				 * container's ID in text; then the request in
				 * chunks */
	MONITOR_SPARE_ACCEPTED, /* spare -> client: the VM runs; a RESULT follows */
	MONITOR_SPARE_REFUSED,	/* spare -> client: boot it yourself (why in text) */
	/* On a container monitor's socket (DIR/sock), the first message: */
	MONITOR_ATTACH, /* stdio attached; RESULT when the container exits */
	MONITOR_EXEC,	/* stdio attached, the create request's length in value
			 * and the request in chunks; STARTED once it runs,
			 * RESULT: its exit code (or why it did not start) */
	MONITOR_KILL,	/* value: the signal; RESULT at once */
	MONITOR_WAIT,	/* RESULT when the container exits */
	MONITOR_STARTED, /* monitor -> `run -d`/`start`: process 1 runs; -> exec:
			  * the process runs */
	/* An OCI container (run_session_opts.hold_start): */
	MONITOR_CREATED, /* monitor -> `oci create`: process 1 made, not started */
	MONITOR_START,	 /* `oci start` -> monitor: start it; RESULT: 0 or why not */
};

#define MONITOR_FLAG_INTERACTIVE 1
#define MONITOR_FLAG_TTY 2
#define MONITOR_FLAG_CHECK 4	  /* `launcher check --warm`: ping, no container */
#define MONITOR_FLAG_DETACHED 8	  /* claim: a container without a client (run -d) */
#define MONITOR_FLAG_DETACH 16	  /* exec -d: no output, RESULT once started */

struct monitor_msg {
	int type;
	int value;
	int flags;
	char text[1024]; /* a message for the client to print, "" for none */
};

/* Sends m, with fds (0 to 3 of them) attached, then len bytes of payload
 * in chunks. Returns 0 or -1. */
int monitor_send(int fd, const struct monitor_msg *m, const int *fds, int nfds,
		 const void *payload, size_t len);

/* Receives one message, waiting up to timeout_ms (-1: for ever), with up
 * to 3 fds (close-on-exec) into fds and their number in *ret_nfds (either
 * may be NULL when none are expected: passed ones are closed). Returns 0
 * or -1. */
int monitor_recv(int fd, struct monitor_msg *m, int *fds, int max_fds, int *ret_nfds,
		 int timeout_ms);

/* Receives len bytes of payload (*ret: malloc'd) within timeout_ms. */
int monitor_recv_payload(int fd, size_t len, int timeout_ms, char **ret);

/* Whether the peer of a Unix socket runs as our user (or root). */
bool monitor_peer_allowed(int fd);

/* The address of container ID's socket, short whatever the runtime root
 * (sun_path holds 108 bytes): "/proc/self/fd/N/sock", N being the returned
 * fd of its directory, to close after bind or connect; -1 with errno. */
struct sockaddr_un;
int monitor_sock_addr(const char *run_root, const char *id, struct sockaddr_un *sa);

/* Connects to the monitor of container ID: -1 with errno when there is
 * none (ENOENT, ECONNREFUSED: it is not running). */
int monitor_connect(const char *run_root, const char *id);

/* The client's side of a session with a monitor: forwards our signals
 * (sigfd, or -1) and resizes, and returns the exit code the monitor
 * reports (printing its message), or 125 when it goes away without one
 * (what_gone names it in the message). */
int monitor_client_wait(int fd, int sigfd, const char *what_gone);

/* What the monitor of a container is for. */
struct container_launch {
	char run_root[256];
	char id[65];
	bool foreground; /* `launcher run`: the client waits, its stdio is ours */
	bool interactive, tty;
	bool auto_remove;
	struct log_opts log;
	/* `launcher oci create`: the monitor is the container's host process
	 * (the engine waits on it): fds 0-2 are process 1's stdio, no log;
	 * process 1 waits for `oci start`; the monitor exits with the
	 * container's exit code as soon as it is known. console_fd (has_console):
	 * the pty slave whose master went to the engine's console socket,
	 * made the monitor's controlling terminal and stdio. */
	bool oci;
	bool has_console;
	int console_fd;
};

struct monitor_opts {
	struct boot_opts boot;
	bool interactive, tty;
	const char *hostname; /* NULL: the VM's id */
	int hold_fd;	      /* the image held in use (image_hold), or -1 */
	struct container_launch launch;
	/* Builds the create request once the VM (and so the default host name)
	 * exists. */
	int (*build_create)(const void *ctx, const char *hostname, struct agent_request *ret,
			    struct error *e);
	const void *ctx;
};

/* Runs in the forked monitor: boots the VM, then monitor_serve. */
_Noreturn void monitor_main(int client_fd, const struct monitor_opts *o);

/* With the VM booted and its agent reached: runs process 1 as create
 * describes it (taking the request) for the container l names, keeping
 * its state (container/state.h) and log, serving its socket, reports the
 * result on client_fd, starts a spare for boot (NULL: none) and tears the
 * VM down. hold_fd (or -1) keeps the image in use (image_hold) and is
 * closed as soon as the container has exited. Never returns. */
_Noreturn void monitor_serve(int client_fd, struct booted *b, struct agent_request *create,
			     const struct container_launch *l, int hold_fd,
			     const struct boot_opts *boot, bool spare);

/* Points stdin, stdout and stderr at /dev/null: once the container is done
 * the monitor lets go of the user's stdio. */
void monitor_release_stdio(void);

/* Sends a RESULT: exit code and a message ("" or NULL for none). */
void monitor_report(int fd, int code, const char *text);

/* A container's host name when the user gave none: the VM's id. */
void monitor_default_hostname(const char *vm_name, char *buf, size_t size);
