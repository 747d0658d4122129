/* The filesystems PID 1 mounts before anything else runs. */
#pragma once

#include "error.h"

/* Mounts /proc, /sys, /dev, /dev/pts, /dev/shm, /sys/fs/cgroup, /run and
 * /tmp, creating the mount points. */
int mounts_setup(struct error *e);

/* Prints the mount table on the console (debug aid). */
void mounts_log(void);
