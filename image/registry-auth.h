/* What a registry says about access, and what we say back: the
 * WWW-Authenticate challenge of a 401, the token server's answer, the error
 * body of a failed request, and the credentials of `launcher login` in
 * Docker's config.json. Everything here comes from the network or from a
 * file a user may have edited, so this is the one module that reads those
 * texts (CONVENTIONS.md #4): bounded, checked, and turned into errors that
 * say what was wrong. No network I/O: image/registry.c does that. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define REGISTRY_HEADER_MAX (8u << 10) /* one WWW-Authenticate value */
#define REGISTRY_REALM_MAX 1024	       /* with the NUL */
#define REGISTRY_PARAM_MAX 1024	       /* service, scope (with the NUL) */
#define REGISTRY_TOKEN_RESPONSE_MAX (64u << 10)
#define REGISTRY_TOKEN_MAX (16u << 10) /* the token itself */
#define REGISTRY_ERROR_BODY_MAX (64u << 10)
#define REGISTRY_ERROR_MSG_MAX 256	  /* what we quote of a registry's error */
#define REGISTRY_USER_MAX 256		  /* with the NUL */
#define REGISTRY_PASSWORD_MAX 4096	  /* with the NUL */
#define REGISTRY_AUTH_FILE_MAX (1u << 20) /* config.json */

/* Docker Hub: what `docker.io` means on the wire and in config.json. */
#define REGISTRY_DOCKER_HUB "docker.io"
#define REGISTRY_DOCKER_HUB_API "registry-1.docker.io"
#define REGISTRY_DOCKER_HUB_AUTH_KEY "https://index.docker.io/v1/"

enum registry_auth_scheme {
	REGISTRY_AUTH_NONE,
	REGISTRY_AUTH_BASIC,
	REGISTRY_AUTH_BEARER,
};

struct registry_challenge {
	enum registry_auth_scheme scheme;
	char realm[REGISTRY_REALM_MAX]; /* Bearer: an http(s) URL; Basic: may be "" */
	char service[REGISTRY_PARAM_MAX];
	char scope[REGISTRY_PARAM_MAX];
};

/* One WWW-Authenticate value (RFC 7235: challenges separated by commas,
 * each a scheme and auth-params with token or quoted-string values). Picks
 * the Bearer challenge if there is one, else Basic; other schemes are
 * skipped. Parameter values are printable ASCII (no controls, even
 * escaped); a Bearer realm is an http:// or https:// URL without spaces.
 * EBADMSG: malformed; EOPNOTSUPP: neither Bearer nor Basic offered. */
int registry_challenge_parse(const char *value, size_t len, struct registry_challenge *ret,
			     struct error *e);

/* The token server's JSON: "token" or else "access_token", a string of
 * visible ASCII (it goes into a header) of at most REGISTRY_TOKEN_MAX - 1
 * bytes. *ret is malloc'd. */
int registry_token_parse(const char *json, size_t len, char **ret, struct error *e);

/* The distribution API's error body {"errors":[{"code","message"}]}:
 * "CODE: message" of the first error, printable ASCII only, cut at
 * REGISTRY_ERROR_MSG_MAX; "" when the body says nothing usable. Never
 * fails: a garbled body is no worse than none. */
void registry_error_summary(const char *body, size_t len, char ret[REGISTRY_ERROR_MSG_MAX]);

/* ---- credentials: Docker's config.json ---- */

struct registry_credentials {
	char username[REGISTRY_USER_MAX];
	char password[REGISTRY_PASSWORD_MAX];
};

/* $LAUNCHER_AUTH_FILE, else $DOCKER_CONFIG/config.json, else
 * $HOME/.docker/config.json. -ENOENT when there is no HOME either. */
int registry_auth_file_path(char *buf, size_t size);

/* The host part of a config.json key or a `launcher login` argument, as
 * Docker compares them: scheme and path dropped, and Docker Hub's names
 * ("index.docker.io", "registry-1.docker.io",
 * "https://index.docker.io/v1/") all "docker.io". -EINVAL when nothing is
 * left. */
int registry_auth_normalize_host(const char *key, char *buf, size_t size);

/* Credentials for host (a reference's domain, "docker.io",
 * "127.0.0.1:5000") from the file at path: "auth" (base64 "user:pass") or
 * "username" and "password" of the matching "auths" entry. -ENOENT when the
 * file or the entry does not exist (e left empty); other errors say what is
 * wrong with the file. */
int registry_credentials_lookup(const char *path, const char *host,
				struct registry_credentials *ret, struct error *e);

/* Stores (c non-NULL) or removes (c NULL; -ENOENT when there was nothing)
 * host's entry, keeping the rest of the file; written to a temp file with
 * mode 0600 and renamed into place, its directory made (0700) if missing.
 * Docker Hub's entry is keyed REGISTRY_DOCKER_HUB_AUTH_KEY, as Docker
 * writes it. */
int registry_credentials_store(const char *path, const char *host,
			       const struct registry_credentials *c, struct error *e);

/* "Basic base64(user:pass)" for an Authorization header; malloc'd. */
char *registry_basic_auth(const struct registry_credentials *c);
