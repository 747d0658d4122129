/* `launcher save`: images as a tar that `docker load` and `launcher load`
 * both read, as Docker 25+ writes it: an OCI image layout (oci-layout,
 * index.json with one entry per name, blobs/sha256/...) plus Docker's
 * manifest.json. Blobs are copied as stored, so manifest digests survive
 * the round trip. Reproducible: sorted entries, owner 0, mtime 0. */
#pragma once

#include <stddef.h>

#include "store.h"

#define SAVE_IMAGES_MAX 256

/* refs as users type them (image_lookup); an image named by ID is saved
 * without a name. path: the tar to write (a temp file renamed into place
 * at the end), or NULL to write to fd. */
int image_save(struct store *s, char *const *refs, size_t n, const char *path, int fd,
	       struct error *e);
