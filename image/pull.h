/* `launcher pull`: an image from a registry into the local store. The
 * manifest is checked against the pinned digest (REF@sha256:...) or, for a
 * tag, its digest computed (and compared with Docker-Content-Digest when
 * the registry sends one); an index or manifest list is resolved to
 * linux/amd64; the config and layers stream into the store, each checked
 * against its descriptor's digest and size; blobs already there are not
 * fetched again. Only when all of that is in does the name point at the
 * manifest, so a failed pull leaves no name behind. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "reference.h"
#include "registry.h"
#include "store.h"

#define PULL_OS "linux"
#define PULL_ARCH "amd64"

enum pull_layer_state {
	PULL_LAYER_WAITING,	/* to be fetched: "Pulling fs layer" */
	PULL_LAYER_EXISTS,	/* in the store already: "Already exists" */
	PULL_LAYER_DOWNLOADING, /* done of total bytes */
	PULL_LAYER_DONE,	/* fetched and checked: "Pull complete" */
};

/* How a pull reports progress; the caller decides how to show it. Any
 * callback may be NULL. */
struct pull_progress {
	void *userdata;
	/* The manifest is resolved; layers follow. */
	void (*start)(void *userdata, const struct image_ref *ref);
	void (*layer)(void *userdata, const char *digest, enum pull_layer_state state,
		      uint64_t done, uint64_t total);
};

struct pull_result {
	char name[STORE_NAME_MAX];	 /* the name stored: "docker.io/library/alpine:3.20" */
	char digest[STORE_DIGEST_MAX];	 /* of what the registry served: manifest or index */
	char manifest[STORE_DIGEST_MAX]; /* of the linux/amd64 image manifest stored */
	bool updated;			 /* the name points somewhere new */
};

int image_pull(struct store *s, const struct image_ref *ref, const struct registry_options *o,
	       const struct pull_progress *p, struct pull_result *ret, struct error *e);
