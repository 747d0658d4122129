/* The local image store: blobs by SHA-256 (deduplicated across images),
 * an index of names to manifests, and one read-only root filesystem disk
 * (erofs) per image. Root: /var/lib/launcher as root,
 * $XDG_DATA_HOME/launcher (~/.local/share/launcher) otherwise;
 * $LAUNCHER_STORE overrides.
 *
 * Layout under the root:
 *   blobs/sha256/HEX   manifests, configs and layers as distributed
 *   index.json         {"images": [{"name", "manifest", "added"}]}
 *   rootfs/HEX.erofs   an image's applied layers (HEX: its config digest)
 *   tmp/               partial writes; lock: the store's lock file
 *   ingest.lock        held shared by writers of blobs (store_blob_exists,
 *                      store_blob_begin) until store_close, so garbage
 *                      collection leaves alone blobs not yet in the index
 * Every write is a temp file renamed into place, so a crash leaves either
 * the old or the new state; index changes happen under the lock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "digest.h"
#include "error.h"

#define STORE_DIGEST_MAX 72 /* "sha256:" + 64 hex + NUL */
#define STORE_NAME_MAX 512
#define STORE_JSON_MAX (4u << 20) /* manifests, configs, index entries */

struct store {
	char root[4096];
	int lock_fd;   /* held between store_lock and store_unlock */
	int ingest_fd; /* ingest.lock, shared, from the first blob written to store_close */
};

/* The store's root directory for this user. */
void store_default_root(char *buf, size_t size);

/* Creates the layout when missing. root NULL: store_default_root. */
int store_open(struct store *s, const char *root, struct error *e);
void store_close(struct store *s);

/* The store-wide lock (flock), for changes to the index and for garbage
 * collection; blobs are written without it (renames are atomic and a blob
 * is the same whoever writes it). */
int store_lock(struct store *s, struct error *e);
void store_unlock(struct store *s);

/* Writing a blob: stream it in, then commit checks it against the
 * expected digest and size (when given) and renames it into place. */
struct store_blob_writer {
	int fd;
	char tmp[4200];
	struct digest_ctx *md;
	uint64_t size;
};
int store_blob_begin(struct store *s, struct store_blob_writer *w, struct error *e);
int store_blob_write(struct store_blob_writer *w, const void *buf, size_t len, struct error *e);
/* expect_digest NULL: any; expect_size UINT64_MAX: any. The digest is
 * returned in ret_digest (may be NULL). On failure the blob is dropped. */
int store_blob_commit(struct store *s, struct store_blob_writer *w, const char *expect_digest,
		      uint64_t expect_size, char *ret_digest, struct error *e);
void store_blob_abort(struct store_blob_writer *w);

/* A whole blob from memory. */
int store_blob_put(struct store *s, const void *data, size_t len, char *ret_digest,
		   struct error *e);

bool store_blob_exists(struct store *s, const char *digest);
int store_blob_path(struct store *s, const char *digest, char *buf, size_t size);
/* Opens a blob for reading (O_CLOEXEC); -errno with e filled. */
int store_blob_open(struct store *s, const char *digest, struct error *e);
/* Reads a blob of at most max bytes into a NUL-terminated buffer, checking
 * its digest again (a store file changed on disk is an error). */
int store_blob_read(struct store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
		    struct error *e);

struct store_image {
	char name[STORE_NAME_MAX];	 /* full reference, "docker.io/library/alpine:3.20" */
	char manifest[STORE_DIGEST_MAX]; /* digest of its manifest blob */
	time_t added;
};

/* The index, read (and validated) whole. */
int store_list(struct store *s, struct store_image **ret, size_t *ret_n, struct error *e);
/* Points name at a manifest (replacing what it pointed at). Takes the lock.
 * As Docker does: an image that loses its last name this way stays in the
 * index, dangling, under its manifest digest; a name given to a dangling
 * image replaces its digest entry; a digest name is not added for an image
 * that has a name. */
int store_tag(struct store *s, const char *name, const char *manifest, struct error *e);
/* Removes name; -ENOENT when it is not there. Takes the lock. */
int store_untag(struct store *s, const char *name, struct error *e);
/* Removes every name of the given manifests, in one write of the index.
 * Takes the lock (unless held). */
int store_untag_manifests(struct store *s, char (*manifests)[STORE_DIGEST_MAX], size_t n,
			  struct error *e);
/* The manifest name points at; -ENOENT when it is not in the index. */
int store_resolve(struct store *s, const char *name, char ret_manifest[STORE_DIGEST_MAX],
		  struct error *e);

/* Paths of the root filesystem disk of an image (by config digest). */
int store_rootfs_path(struct store *s, const char *config_digest, char *buf, size_t size);
/* Whether name is an index entry of an image without a name (its own
 * manifest digest, "sha256:..."). */
bool store_name_is_digest(const char *name);

/* Takes the shared ingest lock (see the layout above) if not held yet:
 * blob writers call it before they look for or write blobs. Best effort. */
void store_ingest_hold(struct store *s);
/* Garbage collection's side of it: converts or takes the ingest lock
 * exclusively without waiting; false when another writer holds it. Undone
 * by store_ingest_release. */
bool store_ingest_exclusive(struct store *s);
void store_ingest_release(struct store *s);

/* A fresh private directory under tmp/ (mkdtemp). */
int store_tmpdir(struct store *s, const char *prefix, char *buf, size_t size, struct error *e);
