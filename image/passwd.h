/* Docker's -u / image User: names resolved from the image's own /etc/passwd
 * and /etc/group (given as text, untrusted). Pure, unit-tested. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* spec: "user", "uid", "user:group", "uid:gid" and the mixes. A numeric uid
 * missing from passwd is fine (gid 0, as Docker does); a name that is not
 * there is an error. passwd/group may be NULL (the image has none). */
int passwd_resolve(const char *passwd, const char *group, const char *spec, uint32_t *ret_uid,
		   uint32_t *ret_gid, struct error *e);

/* The supplementary groups of uid: every group of the image's /etc/group
 * that lists its user (found by uid in passwd) as a member, then each of
 * add (--group-add: a gid, or a name in /etc/group), without duplicates.
 * At most max; *ret_n of them in ret. */
int passwd_groups(const char *passwd, const char *group, uint32_t uid, const char *const *add,
		  size_t nadd, uint32_t *ret, size_t *ret_n, size_t max, struct error *e);
