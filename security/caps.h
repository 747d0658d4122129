/* Linux capabilities by name, and the set a container gets from Docker's
 * options (--privileged, --cap-add, --cap-drop).
 *
 * A set is a mask of CAP_* bits, numbered as in <linux/capability.h>, up to
 * CAPS_LAST (CAP_CHECKPOINT_RESTORE, Linux 5.9; the guest runs 6.1). Names
 * are read as Docker reads them: "NET_ADMIN", "CAP_NET_ADMIN" and
 * "cap_net_admin" are the same capability. Names come from users and bundle
 * files, so an error quotes them cut short and printable. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CAPS_LAST 40 /* CAP_CHECKPOINT_RESTORE */
#define CAPS_ALL ((UINT64_C(1) << (CAPS_LAST + 1)) - 1)
/* caps_format's buffer for any set: every name and a comma after each. */
#define CAPS_FORMAT_MAX 1024

/* The capability named name, into *ret_cap. EINVAL for an unknown name
 * ('unknown capability "FOO"'), which includes "ALL": only
 * caps_from_options gives that word a meaning. */
int caps_parse(const char *name, int *ret_cap, struct error *e);

/* "CAP_CHOWN" for CAP_CHOWN; NULL past CAPS_LAST or below 0. */
const char *caps_name(int cap);

/* Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD,
 * NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT,
 * KILL, AUDIT_WRITE. */
uint64_t caps_docker_default(void);

/* Every capability up to CAPS_LAST. */
uint64_t caps_all(void);

/* The set of a container, as Docker (moby) computes it:
 *   privileged               every capability;
 *   "ALL" among the adds     every capability but the drops;
 *   "ALL" among the drops    only the adds;
 *   otherwise                the default set, minus the drops, plus the adds
 *                            (a capability both added and dropped is kept).
 * "ALL" is case-insensitive. Every name is checked, even when privileged
 * makes it moot: EINVAL names the option and the name
 * ('--cap-add: unknown capability "FOO"'). */
int caps_from_options(char *const *add, size_t nadd, char *const *drop, size_t ndrop,
		      bool privileged, uint64_t *ret, struct error *e);

/* The set as "CAP_CHOWN,CAP_KILL" in ascending order ("" when empty), for
 * inspect. Bits past CAPS_LAST are left out. Returns 0, or -ENAMETOOLONG
 * when size is too small (CAPS_FORMAT_MAX always suffices). */
int caps_format(uint64_t set, char *buf, size_t size);
