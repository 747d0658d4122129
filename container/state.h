/* The host's record of each container, under ROOT/containers/ID/ (ROOT is
 * the runtime root, /run/launcher for root):
 *
 *   config.json   what the container is: fixed when it is created
 *   state.json    what it is doing: written by whoever changes it
 *   lock          flock: held exclusive for a change of state.json,
 *                 shared for a read of both files
 *   monitor.lock  flock: held exclusive by the container's monitor for its
 *                 whole life, so a dead monitor is seen as one (no pid
 *                 reuse, no stale pid files)
 *   sock          the monitor's Unix socket (monitor.h), mode 0600
 *   container.log the log (log.h), and its rotated predecessors
 *
 * Files are written atomically (a temporary file renamed over the old):
 * readers always find a whole one. The state is always true: a reader that
 * finds a container "running" whose monitor is gone (killed, OOM, host
 * reboot) records it as exited with the reason, under the lock, before
 * anyone sees it. ROOT/containers/.lock serialises creation, so that names
 * stay unique. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "log.h"

#define CONTAINER_ID_LEN 64
#define CONTAINER_SHORT_ID_LEN 12
#define CONTAINER_NAME_MAX 128
#define CONTAINER_MAX 4096 /* records read by one listing */

enum container_status {
	CONTAINER_CREATED,
	CONTAINER_RUNNING,
	CONTAINER_EXITED,
};

/* What the container is, as `run` or `create` resolved it. */
/* A volume, bind mount or tmpfs of the container. */
struct container_mount {
	char type[8];	 /* "bind", "volume", "tmpfs" */
	char *source;	 /* host directory (a volume's too), NULL for tmpfs */
	char *name;	 /* the volume's name, or NULL */
	char *target;	 /* in the container */
	bool readonly;
	char tag[32];	 /* the VM's 9p share, "" for tmpfs */
};

#define CONTAINER_MOUNTS_MAX 64

/* A port published on the host (-p, -P). */
struct container_port {
	bool udp;		 /* else TCP */
	char host_ip[16];	 /* IPv4, "0.0.0.0" for every address */
	unsigned host_port;	 /* 1..65535 */
	unsigned container_port; /* 1..65535 */
};

#define CONTAINER_PORTS_MAX 64

struct container_config {
	char id[CONTAINER_ID_LEN + 1];
	char name[CONTAINER_NAME_MAX];
	uint64_t created_ns; /* CLOCK_REALTIME */
	char *image;	     /* as the user named it, or the --rootfs directory */
	char *image_id;	     /* "sha256:..." (the config's digest); NULL with --rootfs */
	char *rootfs;	     /* --rootfs DIR instead of an image, or NULL */
	/* An OCI runtime's container (`launcher oci`): its bundle directory;
	 * rootfs is then the bundle's root, shared read-write. NULL else. */
	char *bundle;
	/* The agent's create request for process 1, as JSON, resolved once
	 * (user, command, environment): every start runs the same. */
	char *create_request;
	/* The VM: accelerator name, vCPUs, memory in MiB (0: defaults). */
	char accel[16];
	unsigned vcpus, memory_mib;
	/* Resolved, for inspect: Path and Args, Config.Cmd/Entrypoint/Env. */
	char **entrypoint, **cmd, **env, **args;
	size_t nentrypoint, ncmd, nenv, nargs;
	char *workdir, *user, *hostname;
	bool tty, interactive, auto_remove;
	uint64_t memory;    /* bytes, 0: no limit */
	uint64_t nano_cpus; /* 1e9 per CPU, 0: no limit */
	int stop_signal;    /* --stop-signal, the image's StopSignal, else SIGTERM */
	unsigned stop_timeout; /* seconds `stop` waits before SIGKILL */
	struct log_opts log;
	/* Isolation, for each start (the VM's shares) and for inspect. */
	struct container_mount *mounts;
	size_t nmounts;
	bool privileged, read_only;
	bool qemu_root; /* a read-write share: QEMU writes as the guest's users */
	uint64_t pids_limit, shm_size; /* 0: none, default */
	char **cap_add, **cap_drop, **security_opt, **group_add;
	size_t ncap_add, ncap_drop, nsecurity_opt, ngroup_add;
	/* Networking: user-mode NAT with its published ports, or none (a
	 * loopback alone); --dns*, --add-host ("NAME:IP") for /etc. */
	bool network_none;
	struct container_port *ports;
	size_t nports;
	char **dns, **dns_search, **dns_options, **extra_hosts;
	size_t ndns, ndns_search, ndns_options, nextra_hosts;
};

/* The VM of the container's latest start. */
struct container_vm {
	char domain[64];
	char accel[16];
	unsigned vcpus, memory_mib;
	char backend_socket[256]; /* the vhost-user-vsock socket */
	char console_log[256];
};

struct container_state {
	enum container_status status;
	int monitor_pid;     /* while running */
	uint32_t pid;	     /* process 1's pid in the guest */
	uint64_t started_ns; /* CLOCK_REALTIME; 0: never */
	uint64_t finished_ns;
	int exit_code;
	bool oom_killed;
	unsigned restart_count;
	char error[512]; /* why it exited other than by itself, or "" */
	struct container_vm vm;
};

struct container_record {
	struct container_config config;
	struct container_state state;
};

/* ROOT/containers, created (0700) when missing. */
int container_root(const char *run_root, char *buf, size_t size, struct error *e);

/* ROOT/containers/ID (or a file in it when file is not NULL). */
int container_path(const char *run_root, const char *id, const char *file, char *buf,
		   size_t size);

/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
bool container_name_valid(const char *name);

/* A random ID (64 hex digits) and, for a container without --name, a
 * random "adjective_scientist" name as Docker gives. */
/* Whether id is a container ID: 64 lowercase hex digits. */
bool container_id_valid(const char *id);
void container_new_id(char id[CONTAINER_ID_LEN + 1]);
void container_random_name(char *buf, size_t size);

/* Records a new container: fills cfg->id unless it holds a valid one
 * already (and cfg->name when ""), checks
 * the name is free (EEXIST with Docker's message otherwise), writes
 * config.json and a "created" state.json. */
int container_create(const char *run_root, struct container_config *cfg, struct error *e);

/* Finds a container by full ID, name, or unique ID prefix; fills id.
 * ENOENT: `no such container: REF`; EINVAL: an ambiguous prefix. */
int container_find(const char *run_root, const char *ref, char id[CONTAINER_ID_LEN + 1],
		   struct error *e);

/* container_find, then container_load. */
int container_lookup(const char *run_root, const char *ref, struct container_record *ret,
		     struct error *e);

/* Reads both files (reconciling a dead monitor first, see above). */
int container_load(const char *run_root, const char *id, struct container_record *ret,
		   struct error *e);

/* Every container, newest first (*ret: an array of *ret_n; free each with
 * container_record_free and the array with free). Unreadable ones are
 * skipped. */
int container_list(const char *run_root, struct container_record **ret, size_t *ret_n,
		   struct error *e);

/* Changes state.json under the lock: update gets the current state and
 * changes it, returning 0 to write it or -errno to leave it (its error
 * in e). */
int container_update(const char *run_root, const char *id,
		     int (*update)(struct container_state *s, void *ctx, struct error *e),
		     void *ctx, struct error *e);

/* Removes the container's directory and everything in it. */
int container_remove(const char *run_root, const char *id, struct error *e);

/* For the monitor: takes monitor.lock and returns the fd, held until exit.
 * A previous monitor still on its way out (powering its VM off) is waited
 * for, up to timeout_ms; -EWOULDBLOCK when another monitor holds it and
 * the container is running (two starts at once: one wins). */
int container_monitor_lock(const char *run_root, const char *id, int timeout_ms,
			   struct error *e);

/* Whether a monitor holds monitor.lock now. */
bool container_monitor_alive(const char *run_root, const char *id);

const char *container_status_name(enum container_status s);

/* JSON of the config and state, as stored; and back (validated: the files
 * are trusted no more than anything else on disk). */
char *container_config_format(const struct container_config *c);
int container_config_parse(const char *json, size_t len, struct container_config *ret,
			   struct error *e);
char *container_state_format(const struct container_state *s);
int container_state_parse(const char *json, size_t len, struct container_state *ret,
			  struct error *e);

void container_config_free(struct container_config *c);
void container_record_free(struct container_record *r);
