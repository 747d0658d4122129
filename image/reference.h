/* Image references as users type them ("alpine", "ghcr.io/org/img:1.2",
 * "localhost:5000/x@sha256:..."), parsed and normalised by the rules of
 * Docker's distribution/reference, so a name means here what it means to
 * docker pull. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The whole repository name (domain "/" path) is at most 255 characters,
 * so each part fits with its NUL. */
#define IMAGE_REF_NAME_MAX 255
#define IMAGE_REF_DOMAIN_MAX 256
#define IMAGE_REF_PATH_MAX 256
#define IMAGE_REF_TAG_MAX 129
#define IMAGE_REF_DIGEST_MAX 72 /* "sha256:" + 64 hex + NUL */

#define IMAGE_REF_DEFAULT_DOMAIN "docker.io"
#define IMAGE_REF_DEFAULT_TAG "latest"

struct image_ref {
	char domain[IMAGE_REF_DOMAIN_MAX]; /* "docker.io", "localhost:5000", "[::1]:5000" */
	char path[IMAGE_REF_PATH_MAX];	   /* "library/alpine" */
	char tag[IMAGE_REF_TAG_MAX];	   /* "latest" when neither tag nor digest was given;
					      "" when only a digest was */
	char digest[IMAGE_REF_DIGEST_MAX]; /* "sha256:<64 lowercase hex>" or "" */
	bool short_name;		   /* no domain was given (docker.io was assumed) */
};

/* Parses what a user types, by Docker's rules: "alpine" is
 * docker.io/library/alpine:latest; the first component is a registry when it
 * has a '.' or ':', is "localhost", or has an uppercase letter;
 * "index.docker.io" is docker.io. Only sha256 digests are accepted. On
 * failure returns -EINVAL, fills e with a message starting "invalid reference
 * format: " and leaves ret untouched. */
int image_ref_parse(const char *s, struct image_ref *ret, struct error *e);

/* The full form: "docker.io/library/alpine:3.20",
 * "docker.io/library/alpine@sha256:...", "x/y:t@sha256:...".
 * The functions that write into buf return 0 or -ENAMETOOLONG. */
int image_ref_format(const struct image_ref *r, char *buf, size_t size);

/* The full form in Docker's familiar spelling, as docker pull prints it:
 * "alpine:3.20", "x/y@sha256:...", "ghcr.io/org/img:1". */
int image_ref_format_familiar(const struct image_ref *r, char *buf, size_t size);

/* The repository as the REPOSITORY column of docker images shows it, without
 * tag or digest: docker.io/library/alpine is "alpine", docker.io/x/y is
 * "x/y", other domains are kept ("ghcr.io/org/img"). */
int image_ref_repository_familiar(const struct image_ref *r, char *buf, size_t size);

/* The repository with its domain, without tag or digest:
 * "docker.io/library/alpine". */
int image_ref_repository(const struct image_ref *r, char *buf, size_t size);

/* Whether s is "sha256:" and 64 lowercase hex digits, the only digest form
 * supported. */
bool image_digest_valid(const char *s);
