/* The container's root filesystem. The agent prepares it once: the image's
 * read-only erofs disk (virtio-blk), or a host directory shared read-only
 * over virtio-9p (`run --rootfs`), under an overlay whose upper
 * layer is a tmpfs in guest memory, so the container writes without ever
 * touching the host. The container's first process then enters it: its own
 * mount namespace, pivot_root, and the usual /proc, /sys and /dev. */
#pragma once

#include "error.h"
#include "message.h"

#define ROOTFS_LOWER "/run/c/lower" /* the disk or 9p share, read-only */
#define ROOTFS_RW "/run/c/rw"	    /* tmpfs holding the overlay's upper and work dirs */
#define ROOTFS_ROOT "/run/c/root"   /* the merged root */

/* Mounts the erofs disk /dev/DISK when disk is not empty, else the 9p share
 * with mount tag `tag`, and the overlay on ROOTFS_ROOT; with rw (an OCI
 * bundle's rootfs) the 9p share itself, read-write, on ROOTFS_ROOT. On
 * failure nothing stays mounted and it may be tried again. */
int rootfs_prepare(const char *tag, const char *disk, bool rw, struct error *e);

/* In the container's first process, in its new mount and PID namespaces:
 * makes ROOTFS_ROOT its root (the agent's mounts become unreachable),
 * mounts /proc, /sys and /dev there, then ct's volumes and tmpfs mounts,
 * hides Docker's masked paths and makes its read-only ones so (but for a
 * privileged container), and with readonly_root makes / read-only. */
int rootfs_enter(const struct container_spec *ct, struct error *e);

/* mkdir -p of an absolute path in the current root; directories it creates
 * belong to uid:gid (Docker creates a missing working directory). */
int rootfs_mkdir_p(const char *path, unsigned uid, unsigned gid, struct error *e);
