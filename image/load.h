/* `launcher load`: images from a `docker save` archive (the legacy layout
 * with manifest.json, and the OCI layout Docker 25+ writes), an OCI image
 * layout directory, or a tar of one (skopeo's oci-archive:). Every blob is
 * checked against its digest (and size) as it enters the store. */
#pragma once

#include "store.h"

#define LOAD_IMAGES_MAX 64

struct load_result {
	size_t n;
	struct {
		char name[STORE_NAME_MAX]; /* "" when the archive named none */
		char manifest[STORE_DIGEST_MAX];
	} images[LOAD_IMAGES_MAX];
};

/* path: a directory or a tar file; NULL or "-": a tar on fd. */
int image_load(struct store *s, const char *path, int fd, struct load_result *ret, struct error *e);
