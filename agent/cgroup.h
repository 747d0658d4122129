/* The container's cgroup (v2, mounted by the agent on /sys/fs/cgroup): one
 * per container, under the root, holding process 1 and every process
 * exec'd into it, with the container's memory, pids and cpu limits. The
 * agent itself stays in the root cgroup, outside every limit.
 *
 * Processes are cloned straight into it (clone3 with CLONE_INTO_CGROUP),
 * so nothing of theirs ever runs outside the limits. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "message.h"

/* Creates /sys/fs/cgroup/NAME with c's limits and returns an O_PATH fd of
 * its directory (for clone3), or -errno with e filled. An existing one is
 * emptied of limits first (a restarted container). */
int cgroup_create(const char *name, const struct container_spec *c, struct error *e);

/* Whether the cgroup's memory limit has killed a process (memory.events
 * oom_kill). */
bool cgroup_oom_killed(int dir_fd);
