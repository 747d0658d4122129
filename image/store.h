/* The local image store: blobs by SHA-256 (deduplicated across images),
 * an index of names to manifests, and one read-only root filesystem disk
 * (erofs) per image. Root: /var/lib/launcher as root,
 * $XDG_DATA_HOME/launcher (~/.local/share/launcher) otherwise;
 * $LAUNCHER_STORE overrides. Every write is atomic (temp + rename) and
 * made under the store's lock. */
#pragma once

#include <stddef.h>

#include "error.h"

/* The store's root directory for this user. */
void store_default_root(char *buf, size_t size);
