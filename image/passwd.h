/* Docker's -u / image User: names resolved from the image's own /etc/passwd
 * and /etc/group (given as text, untrusted). Pure, unit-tested. */
#pragma once

#include <stdint.h>

#include "error.h"

/* spec: "user", "uid", "user:group", "uid:gid" and the mixes. A numeric uid
 * missing from passwd is fine (gid 0, as Docker does); a name that is not
 * there is an error. passwd/group may be NULL (the image has none). */
int passwd_resolve(const char *passwd, const char *group, const char *spec, uint32_t *ret_uid,
		   uint32_t *ret_gid, struct error *e);
