/* `launcher oci VERB` (and `launcher-oci VERB`): a runc-compatible OCI
 * runtime, so that podman (through conmon), containerd (through its runc
 * shim) and CRI-O run each container in its own VM. The verbs and flags
 * are runc's; the container's host process, the one --pid-file names and
 * the engine waits on, is its monitor (monitor.h), which exits with the
 * container's status.
 *
 * Records are the launcher's own (container/state.h) under --root
 * (default /run/launcher-oci): the OCI ID is the record's name, and its
 * ID too when it is 64 hex digits, as podman's and CRI-O's are. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bundle/config.h"
#include "error.h"
#include "message.h"
#include "state.h"

#define OCI_ROOT_DEFAULT "/run/launcher-oci"
#define OCI_VERSION "1.0.2"

/* runc's exit code for any failure of the runtime itself. */
#define OCI_EXIT_FAILURE 1

struct oci_globals {
	char root[256];
	const char *log_path;  /* --log, or NULL */
	bool log_json;	       /* --log-format json */
	bool debug;
};

/* The verbs: each returns the process's exit code; on failure it fills e
 * (which the dispatcher prints, and logs as --log-format asks). */
int oci_create(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_start(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_run(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_state(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_list(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_ps(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_kill(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_delete(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_exec(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_spec(const struct oci_globals *g, int argc, char **argv, struct error *e);
int oci_features(const struct oci_globals *g, int argc, char **argv, struct error *e);

/* ---- shared by the verbs ---- */

/* The record of container id, found by its exact OCI ID (never a prefix).
 * ENOENT: `container "ID" does not exist`. */
int oci_load(const struct oci_globals *g, const char *id, struct container_record *ret,
	     struct error *e);

/* runc's status words: "created" (process 1 made, waiting for start),
 * "running", "stopped"; and the host pid of the container (its
 * monitor), 0 once stopped. */
const char *oci_status(const struct oci_globals *g, const struct container_record *r, int *ret_pid);

/* The runtime-spec state of the container, as JSON text (malloc'd). */
char *oci_state_json(const struct oci_globals *g, const struct container_record *r);

/* Writes pid to path atomically (a temporary file renamed), as conmon
 * and the containerd shim read it as soon as the verb returns. */
int oci_write_pid_file(const char *path, int pid, struct error *e);

/* Reads the bundle's config.json (bounded) and parses it. */
int oci_read_config(const char *bundle, struct bundle_config *ret, struct error *e);

/* Whether fd 0 is something to read (not /dev/null, not closed): the
 * container's process 1 or exec then gets a stdin. */
bool oci_stdin_given(void);

/* A signal by runc's rules: "KILL", "SIGKILL" or "9". */
int oci_parse_signal(const char *s, int *ret, struct error *e);

/* The container's (or an exec's) terminal: a pty whose master goes to the
 * engine's console socket as runc sends it (one sendmsg, "/dev/ptmx", the
 * fd by SCM_RIGHTS); the slave, raw, into *ret_slave. */
int oci_open_console(const char *socket_path, uint16_t rows, uint16_t cols, int *ret_slave,
		     struct error *e);

/* Runs the bundle's hooks of one kind on the host, each with the state
 * JSON on stdin, in order; the first failure stops them. */
int oci_run_hooks(const struct bundle_config *c, enum bundle_hook_kind kind,
		  const char *state_json, struct error *e);

/* ---- files.c: single-file bind mounts, and removing a container ---- */

/* The container directory's entry holding its single-file bind mounts,
 * one bind mount each, named 0, 1, ...: shared into the VM in place of
 * the files' own directories. */
#define OCI_FILES_DIR "files"
#define OCI_FILES_MAX 64

struct oci_files {
	char *sources[OCI_FILES_MAX]; /* real paths */
	bool readonly[OCI_FILES_MAX];
	size_t n;
};

void oci_files_free(struct oci_files *f);

/* Binds each file at DIR/files/N (0700, root's), read-only on the host
 * too where the mount asks for it. */
int oci_files_stage(const struct oci_globals *g, const char *id, const struct oci_files *f,
		    struct error *e);

/* Ends the container (SIGKILL, its monitor killed if it does not go),
 * runs the poststop hooks and removes it: delete, and run's end. */
int oci_destroy(const struct oci_globals *g, const struct container_record *rec,
		struct error *e);

/* Removes the container's record: its file bind mounts first. */
int oci_remove(const struct oci_globals *g, const char *id, struct error *e);

/* The bundle's config.json as it was at create, kept in the record: the
 * hooks run later are the engine's, whatever the guest did to the bundle
 * since (its root, or a rw bind mount, may hold config.json). */
#define OCI_SAVED_CONFIG "bundle-config.json"
int oci_save_config(const struct oci_globals *g, const char *id, const char *bundle,
		    struct error *e);
int oci_saved_config(const struct oci_globals *g, const struct container_record *r,
		     struct bundle_config *ret, struct error *e);

/* ---- bundle.c: config.json to the launcher's record and agent request ---- */

/* Fills cfg (name, rootfs, bundle, mounts, limits, the create request as
 * JSON) from the bundle's config, and files with its single-file bind
 * mounts (to stage once the record exists); interactive: process 1 reads
 * its stdin (the engine gave a real one). Refuses, naming the field, what
 * cannot hold in a VM. */
int oci_bundle_to_record(const char *run_root, const char *bundle_dir,
			 const struct bundle_config *c, const char *id, bool interactive,
			 struct container_config *cfg, struct oci_files *files, struct error *e);

/* A bundle process's confinement (caps, no_new_privs, rlimits, and the
 * seccomp profile compiled, when not NULL) for the agent. */
int oci_process_security(const struct bundle_process *p, const struct seccomp_profile *seccomp,
			 struct process_security *sec, struct error *e);

/* args, env, cwd, user, groups and terminal of a bundle process into p
 * (which holds nothing). */
void oci_process_fill(const struct bundle_process *bp, struct process_spec *p);
