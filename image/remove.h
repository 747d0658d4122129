/* Removing images, as `docker rmi` and `docker image prune` do: untag a
 * name, delete an image with all its names, or every dangling (or unused)
 * image; then collect the files nothing needs any more (gc.h). */
#pragma once

#include <stdbool.h>

#include "gc.h"
#include "store.h"

struct image_removal {
	char (*untagged)[STORE_NAME_MAX]; /* full names removed from the index */
	size_t nuntagged;
	char (*deleted)[STORE_DIGEST_MAX]; /* IDs (config digests) of images gone */
	size_t ndeleted;
	struct image_gc_result gc;
};

void image_removal_free(struct image_removal *r);

/* What `launcher rmi REF` does. By name: untags it; the last name of an
 * image deletes the image. By ID or digest (prefix): deletes the image with
 * all its names. Errors:
 *   -ENOENT "No such image: REF";
 *   -EBUSY  "conflict: ..." (Docker's words) without force, when the image
 *           is in use by a running container (image_hold) and would be
 *           deleted, or when deleting by ID an image named in more than one
 *           repository.
 * With force, an image in use loses its names and its blobs, and its disk
 * stays until the container lets go of it. ret lists what was done, also
 * when garbage collection fails afterwards. */
int image_remove(struct store *s, const char *ref, bool force, struct image_removal *ret,
		 struct error *e);

/* What `launcher image prune` does: deletes the dangling images (those with
 * no name, only their digest in the index), or with all every image no
 * running container uses; then collects garbage. */
int image_prune(struct store *s, bool all, struct image_removal *ret, struct error *e);
