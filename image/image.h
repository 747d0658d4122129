/* An image in the store, ready to run: its manifest and config (parsed and
 * validated), and its root filesystem disk, built on first use by applying
 * the layers in order and packing the result as erofs. */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "oci-json.h"
#include "store.h"

struct image {
	char name[STORE_NAME_MAX]; /* as found in the index */
	char manifest_digest[STORE_DIGEST_MAX];
	struct oci_manifest manifest;
	struct oci_image_config config;
	char *config_json;    /* raw, for `image inspect` */
	char disk[PATH_MAX];  /* the erofs root filesystem (after image_prepare_rootfs) */
	char *passwd, *group; /* the image's /etc/passwd and /etc/group, NULL if none */
};

/* Finds what the user typed in the store: a full reference, a short name
 * (tried as localhost/NAME first, then docker.io's), or a manifest digest
 * or an unambiguous prefix of an image ID. -ENOENT with Docker's message
 * when it is not there. */
int image_lookup(struct store *s, const char *ref, char ret_name[STORE_NAME_MAX],
		 char ret_manifest[STORE_DIGEST_MAX], struct error *e);

/* Whether ref, which image_lookup resolved to manifest (with image ID id),
 * named it by ID or digest rather than by a name: Docker's rmi and save
 * treat the two differently. */
bool image_lookup_by_id(const char *ref, const char *manifest, const char *id);

/* `launcher tag SOURCE TARGET`: TARGET, normalised ("app" is
 * docker.io/library/app:latest), names the image SOURCE finds. -ENOENT
 * "No such image: SOURCE"; -EINVAL for a TARGET that is not a reference
 * or has a digest. ret_target (may be NULL) gets the full name. */
int image_tag(struct store *s, const char *source, const char *target,
	      char ret_target[STORE_NAME_MAX], struct error *e);

/* The config digest (the image ID) of a stored manifest. */
int image_config_digest(struct store *s, const char *manifest, char ret[STORE_DIGEST_MAX],
			struct error *e);

/* A full name as Docker prints it: "alpine:3.20" for
 * docker.io/library/alpine:3.20; names that do not parse are kept. */
void image_name_familiar(const char *name, char *buf, size_t size);

/* Reads and validates manifest and config. */
int image_open(struct store *s, const char *name, const char *manifest_digest, struct image *ret,
	       struct error *e);
void image_free(struct image *img);

/* Makes sure the root filesystem disk exists (building it the first time:
 * layers applied in a private temp dir, each diff_id checked against the
 * config, packed with mkfs.erofs, renamed into place) and loads passwd and
 * group. */
int image_prepare_rootfs(struct store *s, struct image *img, struct error *e);
