/* What the container verbs do to a running container, through its
 * monitor's socket (monitor.h): signal it, wait for its exit, stop it the
 * way `docker stop` does. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "state.h"

#define EXIT_NO_SUCH_CONTAINER 1 /* Docker's container verbs exit 1 */

/* Sends sig to process 1. ENOTCONN: the container is not running. */
int container_kill(const char *run_root, const char *id, int sig, struct error *e);

/* Waits up to timeout_ms (-1: for ever) for the container to exit and
 * returns its exit code; -ETIMEDOUT when it did not. A container that is
 * not running answers at once from its record. */
int container_wait(const char *run_root, const char *id, int timeout_ms, struct error *e);

/* The stop signal (the record's), then SIGKILL after timeout_s seconds. */
int container_stop(const char *run_root, const struct container_record *r, int timeout_s,
		   struct error *e);

/* Waits (up to timeout_ms) until no monitor holds the container: its VM is
 * gone. Returns 0 or -ETIMEDOUT. */
int container_wait_monitor_gone(const char *run_root, const char *id, int timeout_ms);

/* The CLI's common steps: the runtime root; a usage error (exit 125). */
void cli_run_root(char *buf, size_t size);
int cli_usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
