/* run and create's isolation options (run-options.h, struct run_isolation)
 * resolved into what confines the container:
 *  - the agent's side: process 1's security (capabilities, no_new_privs,
 *    the seccomp profile compiled to BPF, rlimits), its supplementary
 *    groups, and the container spec (read-only root, cgroup limits, the
 *    mounts: tmpfs, and volumes as 9p shares of the VM);
 *  - the host's side: the shares themselves (host directories, named
 *    volumes in the store), recorded in the container's config so every
 *    start of it gets the same, and whether QEMU must run as root for them.
 *
 * Docker's defaults: its capability set, its seccomp profile (our own
 * equivalent), its masked and read-only paths; plus no_new_privs, on
 * unless --privileged or --security-opt no-new-privileges=false. */
#pragma once

#include "image.h"
#include "message.h"
#include "run-options.h"
#include "state.h"

/* The agent's part, for process 1 with uid (and the image, for group
 * names; NULL with --rootfs). Fills c->ct and c->spec's sec and groups. */
int run_security_build(const struct run_options *o, const struct image *img,
		       struct create_args *c, struct error *e);

/* The host's part: resolves -v/--mount sources (making named volumes and
 * missing -v host directories), names a 9p share for each, and records
 * them and the options inspect shows in cfg. Then run_security_build's
 * mounts name the same shares. */
int run_security_record(const struct run_options *o, struct container_config *cfg,
			struct error *e);

/* Where named volumes live: STORE/volumes/NAME/_data. */
int volume_path(const char *name, char *buf, size_t size, struct error *e);
