/* A client of the OCI distribution API (Docker Hub, GHCR, Quay,
 * registry:2), over libcurl: manifests into memory, blobs streamed to a
 * callback, with the token (or Basic) authentication the registry asks for.
 * A registry is hostile until proven otherwise: every body kept in memory
 * is bounded, redirects are followed by hand (at most REGISTRY_REDIRECTS_MAX,
 * http(s) only, never from https down to http) and the registry's
 * Authorization goes to the registry's own origin only, never to the CDN
 * a blob redirects to. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "registry-auth.h"

#define REGISTRY_REDIRECTS_MAX 5
#define REGISTRY_CONNECT_TIMEOUT 30 /* seconds */
/* A transfer slower than this many bytes/s for that many seconds fails. */
#define REGISTRY_LOW_SPEED_LIMIT 1024
#define REGISTRY_LOW_SPEED_TIME 30
#define REGISTRY_CONTENT_TYPE_MAX 128

struct registry_options {
	/* HOST[:PORT] names spoken to over plain HTTP (--insecure-registry),
	 * compared with a reference's domain as written. */
	const char *const *insecure;
	size_t ninsecure;
	/* Where credentials are; NULL: registry_auth_file_path(). */
	const char *auth_file;
};

struct registry;

/* A client for repository path ("library/alpine"; NULL for `login`) at
 * domain, a reference's domain ("docker.io" is reached at
 * registry-1.docker.io). Credentials for domain are read here. */
int registry_open(const char *domain, const char *path, const struct registry_options *o,
		  struct registry **ret, struct error *e);
void registry_free(struct registry *r);

struct registry_manifest {
	char *body; /* NUL-terminated; at most OCI_JSON_MAX bytes */
	size_t len;
	char content_type[REGISTRY_CONTENT_TYPE_MAX]; /* "" if absent or unusable */
	char digest[72]; /* Docker-Content-Digest if a valid sha256 digest, else "" */
};

/* GET /v2/PATH/manifests/REFERENCE (a tag or a digest), accepting OCI
 * manifests and indexes and Docker schema 2 manifests and lists. ENOENT:
 * the registry does not have it; EACCES: access denied. */
int registry_get_manifest(struct registry *r, const char *reference, struct registry_manifest *ret,
			  struct error *e);
void registry_manifest_free(struct registry_manifest *m);

/* Receives a blob's bytes as they arrive; a negative return (e filled)
 * aborts the transfer. */
typedef int (*registry_sink_fn)(void *userdata, const void *buf, size_t len, struct error *e);

/* GET /v2/PATH/blobs/DIGEST into sink. More than size bytes abort the
 * transfer (EBADMSG); checking the digest is the sink's business. */
int registry_get_blob(struct registry *r, const char *digest, uint64_t size, registry_sink_fn sink,
		      void *userdata, struct error *e);

/* `launcher login`: whether c gets through the registry's authentication
 * (GET /v2/, then a token without a scope, or Basic). EACCES when not. */
int registry_check_login(struct registry *r, const struct registry_credentials *c, struct error *e);

/* Whether domain is one of o's insecure registries. */
bool registry_is_insecure(const struct registry_options *o, const char *domain);
