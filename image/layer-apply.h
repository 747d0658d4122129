/* Applies one image layer, an untrusted tar stream, onto a directory, the
 * way an OCI runtime's layer unpacker does: regular files, directories,
 * symlinks, hardlinks and fifos with their mode, owner, mtime and xattrs;
 * OCI whiteouts (".wh.NAME") and opaque directories (".wh..wh..opq"); later
 * entries replace earlier ones. Nothing is ever written outside the
 * directory, whatever the tar says: every path is resolved as if the
 * directory were "/". Character and block devices are never created: the
 * directory is on the host, where a device node from an image would open
 * the host's hardware, and the guest gets its own /dev anyway. */
#pragma once

#include <stdint.h>

#include "error.h"

/* Bounds on what a layer may hold: a path is shorter than LAYER_PATH_MAX
 * bytes (PATH_MAX, its NUL included), a name at most NAME_MAX. */
#define LAYER_PATH_MAX 4096
#define LAYER_ENTRIES_MAX 1000000
/* Holes of sparse files one layer may declare: the disk build reads and
 * writes every byte of a file's apparent size. */
#define LAYER_HOLES_MAX (1ull << 30)

struct layer_apply_result {
	char diff_id[72];   /* "sha256:" + hex of the uncompressed tar stream (the OCI diff_id) */
	uint64_t tar_bytes; /* size of the uncompressed tar stream */
	uint64_t entries;   /* tar entries read, whiteouts included */
	uint64_t skipped_devices; /* character and block devices left out */
};

/* Reads one layer from fd (a tar stream: plain, gzip or zstd, told apart by
 * content) and applies it onto the directory root_fd. Absolute paths are
 * taken relative to root, ".." above root is an error, symlinks are stored
 * as they are and resolve inside root when an entry's path goes through
 * them. Ownership is restored where permitted: as non-root a chown EPERM is
 * ignored. A device entry (or a hardlink to one) replaces what lower layers
 * had at its path with nothing and is counted in skipped_devices; old
 * images ship /dev/console and the like, so it is not an error. Of the
 * xattrs, user.* and security.* (not security.selinux) are kept.
 * Returns 0 and fills ret, or -errno with e naming the entry that failed and
 * why; on failure, root may hold part of the layer. */
int layer_apply(int fd, int root_fd, struct layer_apply_result *ret, struct error *e);

/* layer_apply() on the file at layer_path and the directory at root_path. */
int layer_apply_path(const char *layer_path, const char *root_path, struct layer_apply_result *ret,
		     struct error *e);
