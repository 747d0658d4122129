/* Starting a recorded container (container/state.h): its image found by ID
 * and held, its VM's options from the record, a monitor from a spare or
 * forked. `run`, `start` and `restart` all come here. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "image.h"
#include "state.h"

struct start_request {
	const char *run_root;
	const struct container_record *rec;
	bool foreground; /* the monitor shares our stdio and reports the exit */
	/* The image when the caller has it open and held (run), else NULL:
	 * found by the record's image ID. hold_fd is taken either way. */
	const struct image *img;
	int hold_fd;
	/* `oci create` (monitor.h, container_launch.oci): the pty slave for
	 * the container's terminal when has_console. */
	bool has_console;
	int console_fd;
};

/* Returns the connection to the container's monitor (its pid in *ret_pid):
 * foreground, wait on it with monitor_client_wait; else container_started
 * next. -errno with e filled when nothing was started. */
int container_start(const struct start_request *r, pid_t *ret_pid, struct error *e);

/* For a detached start: waits for the monitor's word that process 1 runs.
 * Returns 0, or the exit code (125, 126, 127) with the message in e. */
int container_started(int fd, struct error *e);

/* Opens a store-held image by reference or ID, builds its root filesystem
 * disk and holds it in use (*ret_hold). */
int container_open_image(const char *ref, struct store *st, struct image *img, int *ret_hold,
			 bool pull_if_missing, struct error *e);
