/* Where the files a VM needs are: the guest kernel and initramfs, the
 * firmware, and the vsock backend executable. Looked up in this order:
 * an environment variable, the build tree next to the running binary, the
 * installed location. */
#pragma once

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct guest_files {
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];
	char firmware[PATH_MAX];
	char backend[PATH_MAX];
	uint64_t kernel_size;
	uint64_t initrd_size;
};

int guest_files_find(struct guest_files *ret, struct error *e);

/* Whether uid:gid can reach path: every directory above it searchable and
 * the path itself readable (supplementary groups are not considered). */
int guest_files_reachable(const char *path, uid_t uid, gid_t gid);

/* QEMU may run as another user (uid, gid) that cannot reach files under,
 * say, /root. Where it cannot, copies the kernel and initramfs once into
 * stage_dir (world-readable) and points `files` at the copies. */
int guest_files_make_reachable(struct guest_files *files, uid_t uid, gid_t gid,
			       const char *stage_dir, struct error *e);
