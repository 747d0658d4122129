/* The last steps of a container process before execve, in runc's order:
 * resource limits; the seccomp filter early when no_new_privs is off (it
 * then needs CAP_SYS_ADMIN, which is about to go); the capability bounding
 * set; the user, its groups and the kept capabilities; the ambient set;
 * no_new_privs; and the seccomp filter last when no_new_privs is on (so
 * that the setup's own syscalls are not filtered).
 *
 * Runs in the child, as root with every capability, after the root
 * filesystem and working directory are in place. Everything it applies was
 * decided by the host (message.h, struct process_security). */
#pragma once

#include "error.h"
#include "message.h"

/* Applies spec's rlimits, identity (uid, gid, groups) and security. On
 * failure e says which step. */
int confine_process(const struct process_spec *spec, struct error *e);

/* The seccomp filter last of all, when confine_process left it for last
 * (no_new_privs on): right before execve. */
int confine_seccomp_last(const struct process_spec *spec, struct error *e);
