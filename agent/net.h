/* The container's network namespace. The agent makes it and steps into it
 * just before process 1 is cloned (which inherits it), then steps back:
 * with a network card (the VM's virtio-net, moved in from the agent's own
 * namespace), an address and a default route, or with a loopback alone.
 * Exec'd processes join it from process 1's /proc/PID/ns/net. */
#pragma once

#include "error.h"
#include "message.h"

/* Enters a new network namespace set up as n says; *ret_own is the
 * agent's own, for net_leave. On failure the agent is back in its own. */
int net_enter(const struct net_spec *n, int *ret_own, struct error *e);

/* Returns the agent to its own network namespace (own: from net_enter, or
 * -1: nothing to do) and closes own. */
void net_leave(int own);
