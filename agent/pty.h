/* A container process's terminal. The pair is opened by the process itself
 * from the container's own devpts (as runc does), so `tty` names a device
 * that exists in the container; the master comes back to the agent, which
 * relays it to the host's "pty" stream connection from the loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "loop.h"

/* In the container, after /dev/pts is mounted: opens a pair, gives the
 * slave to uid and sets the size (when rows and cols are not 0). */
int pty_open(uid_t uid, uint16_t rows, uint16_t cols, int *ret_master, int *ret_slave,
	     struct error *e);

int pty_set_size(int master, uint16_t rows, uint16_t cols, struct error *e);

struct pty_relay;

/* Called once, from the loop, when everything the process wrote to the
 * terminal went to the host (or the host is gone) and the connection
 * was half-closed: the terminal's every slave is closed by then. */
typedef void (*pty_drained_fn)(struct pty_relay *r, void *userdata);

/* Relays between master and conn (-1: no connection; output is dropped)
 * until the terminal's last slave closes. Both fds are taken (closed on
 * failure too) and made non-blocking. The relay lives as long as the
 * agent: after draining it only waits for the host to close. */
struct pty_relay *pty_relay_start(struct loop *loop, int master, int conn, pty_drained_fn fn,
				  void *userdata, struct error *e);

/* Ends the relay wherever it is (no callback) and frees it: for a process
 * whose slot is taken by a new one, long after it drained. */
void pty_relay_free(struct pty_relay *r);

int pty_relay_resize(struct pty_relay *r, uint16_t rows, uint16_t cols, struct error *e);
