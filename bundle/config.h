/* An OCI bundle's config.json (runtime-spec 1.x), as `launcher oci create`
 * reads it: parsed into typed fields, checked, and refused with a message
 * that names the field when it asks for something that cannot hold inside
 * a VM. The file is untrusted input (CONVENTIONS.md #4): every type, range,
 * length and count is checked here and nowhere else; unknown fields are
 * ignored (the spec allows extensions), known ones of the wrong type are
 * errors.
 *
 * Errors: EBADMSG (malformed: not JSON, a wrong type, a relative path
 * where an absolute one is required, a missing required field, a value out
 * of range), EFBIG (a count or a length past a bound below, or the file
 * past BUNDLE_CONFIG_MAX), EOPNOTSUPP (well-formed, but not possible in a
 * VM: a namespace path of the host, host devices, user namespace mappings,
 * an ociVersion other than 1.x). Messages name the field: `config.json:
 * process.args: must be a non-empty array of strings`; text from the file
 * is quoted, cut short and printable.
 *
 * JSON null counts as absent, and "" as none for optional strings.
 * rlimits' 18446744073709551615 (Go's RLIM_INFINITY) is read as UINT64_MAX,
 * unlimited; other integers past INT64_MAX are refused.
 *
 * Include it as "bundle/config.h": a plain "config.h" is the build's
 * generated one (LAUNCHER_VERSION, ...). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "message.h"

struct seccomp_profile;

#define BUNDLE_CONFIG_MAX (4u << 20) /* bytes of config.json */
#define BUNDLE_MOUNTS_MAX MSG_MOUNTS_MAX
#define BUNDLE_OPTIONS_MAX 64	      /* options[] of one mount */
#define BUNDLE_HOOKS_MAX 32	      /* hooks of each kind */
#define BUNDLE_ANNOTATIONS_MAX 1024
#define BUNDLE_SYSCTL_MAX 256
#define BUNDLE_PATHS_MAX 256 /* maskedPaths, readonlyPaths */
/* A name (mount type, option, capability, ...). args[] and env[] items
 * may be up to MSG_STRING_MAX bytes, paths up to MSG_PATH_MAX - 1. */
#define BUNDLE_STRING_MAX 4096

struct bundle_mount {
	char *destination; /* absolute, normalized */
	char *type;	   /* "bind", "proc", "tmpfs", ... ("bind" when options say bind),
			      NULL: none given */
	char *source;	   /* may be NULL (proc, tmpfs) */
	char **options;	   /* noptions entries, NULL-terminated */
	size_t noptions;
	bool bind;	   /* type "bind" or option bind/rbind */
};

enum bundle_hook_kind {
	BUNDLE_HOOK_PRESTART,
	BUNDLE_HOOK_CREATE_RUNTIME,
	BUNDLE_HOOK_CREATE_CONTAINER,
	BUNDLE_HOOK_START_CONTAINER,
	BUNDLE_HOOK_POSTSTART,
	BUNDLE_HOOK_POSTSTOP,
	BUNDLE_HOOK__MAX,
};

struct bundle_hook {
	char *path; /* absolute */
	char **args, **env; /* NULL-terminated, nargs/nenv entries */
	size_t nargs, nenv;
	int timeout; /* seconds, 0: none */
};

/* Namespaces as bits: 1u << BUNDLE_NS_*. */
enum bundle_ns {
	BUNDLE_NS_PID,
	BUNDLE_NS_NETWORK,
	BUNDLE_NS_MOUNT,
	BUNDLE_NS_IPC,
	BUNDLE_NS_UTS,
	BUNDLE_NS_USER,
	BUNDLE_NS_CGROUP,
	BUNDLE_NS_TIME,
	BUNDLE_NS__MAX,
};

struct bundle_process {
	bool terminal;
	uint16_t rows, cols;	/* consoleSize, 0: none */
	char **args, **env;	/* NULL-terminated; env entries KEY=VALUE */
	size_t nargs, nenv;
	char *cwd;		/* absolute */
	uint32_t uid, gid;
	uint32_t *groups;	/* user.additionalGids */
	size_t ngroups;
	bool has_umask;
	uint32_t umask;
	bool has_caps;		/* capabilities given (else: none at all) */
	uint64_t caps[CAPSET__MAX];
	struct rlimit_spec rlimits[MSG_RLIMITS_MAX];
	size_t nrlimits;
	bool no_new_privileges;
	char *apparmor_profile, *selinux_label; /* NULL: none */
};

struct bundle_config {
	char *oci_version; /* "1.0.2", ...: major version 1 */
	bool has_process;  /* create needs one; exec's process.json is only this part */
	struct bundle_process process;
	char *root_path;   /* as written: relative to the bundle, or absolute */
	bool root_readonly;
	char *hostname;	   /* NULL: none; at most MSG_HOSTNAME_MAX - 1 bytes */
	struct bundle_mount *mounts;
	size_t nmounts;
	struct bundle_hook *hooks[BUNDLE_HOOK__MAX];
	size_t nhooks[BUNDLE_HOOK__MAX];
	char **annotation_keys, **annotation_values;
	size_t nannotations;
	/* linux */
	uint32_t namespaces;	 /* bits of the namespaces asked for (none with a path) */
	bool has_memory_limit;
	uint64_t memory_limit;	 /* resources.memory.limit, bytes (> 0) */
	bool has_cpu_quota;
	int64_t cpu_quota;	 /* resources.cpu.quota, microseconds (-1 or >= 1000; 0 is unset) */
	uint64_t cpu_period;	 /* resources.cpu.period, microseconds, 0: unset */
	char *cpuset_cpus;	 /* resources.cpu.cpus, NULL: unset */
	bool has_pids_limit;
	int64_t pids_limit;	 /* resources.pids.limit (<= 0: none) */
	struct seccomp_profile *seccomp; /* linux.seccomp, NULL: none */
	char **masked_paths, **readonly_paths; /* absolute */
	size_t nmasked_paths, nreadonly_paths;
	char **sysctl_keys, **sysctl_values;
	size_t nsysctl;
	char *cgroups_path; /* NULL: none; kept for state, not applied on the host */
};

/* Parses config.json text (len bytes, at most BUNDLE_CONFIG_MAX; no NUL
 * needed) into *ret, which the caller frees with bundle_config_free. After
 * an error *ret is left empty (freeing it is harmless). Returns 0 or -errno
 * (see above). */
int bundle_config_parse(const char *json, size_t len, struct bundle_config *ret, struct error *e);

/* Parses the process object alone: `exec --process process.json`. The
 * same rules as config.json's "process", messages starting
 * "process.json: "; *ret as with bundle_config_parse. */
int bundle_process_parse(const char *json, size_t len, struct bundle_process *ret,
			 struct error *e);

void bundle_process_free(struct bundle_process *p);
void bundle_config_free(struct bundle_config *c);

/* The annotation named key, or NULL. */
const char *bundle_annotation(const struct bundle_config *c, const char *key);

/* A mount's option by name ("ro", "nosuid", ...): whether it is present. */
bool bundle_mount_has_option(const struct bundle_mount *m, const char *option);
