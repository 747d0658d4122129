/* Warm spares: a VM created ahead of time with its CPU stopped, held by a
 * monitor that waits for a `launcher run` to claim it.
 *
 * Most of what separates launcher from a bare QEMU boot is libvirt's own
 * start-up work (preparing the host, reading the guest CPU's ~400 properties
 * back from QEMU), which all happens before the guest's CPU runs. A spare
 * has done it already: claiming one costs a resume. After each run, its
 * monitor starts a spare for the same VM options (same size, accelerator,
 * root filesystem, guest kernel, launcher binary), at most one per set of
 * options; an unclaimed spare powers off after $LAUNCHER_WARM_SECONDS
 * (default 60; 0 turns spares off).
 *
 * A spare is a monitor like any other: it owns its domain (libvirt
 * autodestroy) and backend, so killing it leaves nothing behind. It listens
 * on RUN_ROOT/spare/KEY/sock (KEY: SHA-256 of the options), and the claim
 * hands it the client's stdio and the create request (monitor.h). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "boot.h"
#include "monitor.h"

#define SPARE_IDLE_DEFAULT_S 60

/* Seconds an unclaimed spare waits: $LAUNCHER_WARM_SECONDS or the default;
 * 0 when spares are off. */
unsigned spare_idle_seconds(void);

/* Claims the waiting spare made for mo->boot, if there is one: builds the
 * create request for its VM, hands it over with our stdin, stdout and
 * stderr, and returns the connection to that spare, now our monitor (pid in
 * *ret_pid). Returns -1 when no spare could be claimed: boot one yourself. */
int spare_claim(const struct monitor_opts *mo, pid_t *ret_pid);

struct spare_check_result {
	char vm_name[64];
	char agent_version[64];
	uint64_t claimed;	  /* monotonic ns: we had the spare */
	uint64_t agent_reachable; /* monotonic ns: the spare reached the agent */
	uint64_t gone;		  /* monotonic ns: the VM had powered off */
	uint64_t uptime_ms;	  /* the guest's, when it answered the ping */
};

/* `launcher check --warm`: claims the spare for opts (starting one and
 * waiting up to wait_ms for it when there is none), which resumes its VM,
 * pings the agent and powers the VM off. */
int spare_check(const struct boot_opts *opts, int wait_ms, struct spare_check_result *ret,
		struct error *e);

/* Starts a spare for opts in the background, detached from us; it exits at
 * once when another spare for the same options exists. */
void spare_spawn(const struct boot_opts *opts);

/* The hidden verb that spare_spawn runs: `launcher spare [--accel A]
 * [--vcpus N] [--memory MIB] [--share TAG:ro|rw:DIR]...`. */
int cmd_spare(int argc, char **argv);
