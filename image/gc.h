/* What keeps store files alive: the index (every name's manifest, and the
 * config and layers it names) and running containers (a shared flock on
 * their image's root filesystem disk, for the container's whole life).
 * Garbage collection removes the rest.
 *
 * Order of removals, so that a crash at any point leaves a consistent
 * store: index entries first (callers), then blobs, then disks. An index
 * entry never points at a blob that is gone; at worst unreferenced files
 * stay until the next collection. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Opens the root filesystem disk of a container's image and takes a
 * shared flock on it: the returned fd (O_CLOEXEC; keep it open, in the
 * process that lives as long as the container) tells `rmi` and `image
 * prune` the image is in use, and keeps garbage collection off the disk.
 * -ENOENT when the disk is not there (or was removed meanwhile). */
int image_hold(const char *disk_path, struct error *e);

/* Whether a container holds the disk (image_hold). A missing disk is not
 * busy. */
bool image_disk_busy(const char *disk_path);

struct image_gc_result {
	uint64_t reclaimed; /* bytes of the files removed */
	size_t blobs, disks;
	size_t tmp; /* leftovers of interrupted writes (older than an hour) removed */
	bool blobs_skipped; /* a load was writing blobs: none were removed */
};

/* Removes blobs no manifest of the index reaches (manifest, config,
 * layers; the manifests of an index), and the root filesystem disks and
 * their side files whose config no image has, unless a container holds
 * them. Takes the store lock unless held. Blobs are not touched while
 * another process writes blobs (store_ingest_hold): its image is not in
 * the index yet. Fails, removing nothing, when a manifest of the index
 * cannot be read (it could name anything). */
int image_gc(struct store *s, struct image_gc_result *ret, struct error *e);
