/* The container's processes and the ops on them (message.h): create,
 * attach, start, signal, resize, wait. One container per VM; processes are
 * numbered by the host, 1 being the container's main process.
 *
 * Non-terminal stdio is not relayed: the host's stream connection itself
 * becomes the process's fd 0, 1 or 2, so bytes are copied by nobody and
 * EOF is the connection's (the host half-closes stdin; the process's exit
 * closes stdout and stderr). A terminal is relayed by the agent (pty.h). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"
#include "message.h"

struct container;

/* A reply that comes later (start, wait): the caller owns it and keeps it
 * registered until done() is called, or takes it back with
 * container_waiter_cancel(). done() runs from whichever loop handler
 * settles the process (even inside a container_* call of another
 * connection), so it only queues the reply: freeing anything that has a
 * watch could pull it from under a later event of the same batch. */
struct container_waiter {
	enum agent_op op;
	uint64_t id;
	void (*done)(struct container_waiter *w, const struct agent_reply *reply);
	struct container_waiter *prev, *next; /* the process's list */
};

struct container *container_new(struct loop *loop);

/* Stores the process (taking a->spec); for process 1 it mounts the root
 * filesystem first. EEXIST when the number is taken. */
int container_create(struct container *ct, struct create_args *a, struct error *e);

/* Checks that the stream may be attached, before the reply is sent. */
int container_attach_check(struct container *ct, const struct attach_args *a, struct error *e);
/* Then binds it, taking fd (after a successful container_attach_check). */
void container_attach(struct container *ct, const struct attach_args *a, int fd);

/* Starts the process; the reply ({pid} or why it failed) comes through w
 * once the process exec'd. A failure to even begin returns it at once. */
int container_start(struct container *ct, uint32_t process, struct container_waiter *w,
		    struct error *e);

int container_signal(struct container *ct, uint32_t process, int sig, struct error *e);
int container_resize(struct container *ct, uint32_t process, uint16_t rows, uint16_t cols,
		     struct error *e);

/* Returns 1 with *ret filled when the process is done already, 0 when
 * the reply comes through w, or an error. */
int container_wait(struct container *ct, uint32_t process, struct container_waiter *w,
		   struct wait_result *ret, struct error *e);

void container_waiter_cancel(struct container_waiter *w);

/* The reaper reports every child here; returns whether it was one of the
 * container's processes. */
bool container_child_exited(struct container *ct, pid_t pid, int status);

/* How a wait(2) status is reported. */
void container_wait_result(int status, struct wait_result *ret);
