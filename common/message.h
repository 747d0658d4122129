/* The agent protocol's messages as typed structs. This module is the only
 * code that touches the JSON of the wire: it checks every type, range and
 * length, and rejects what does not fit (DESIGN.md, CONVENTIONS.md #4).
 *
 * Request:  {"id": N, "op": "ping"|"shutdown"|"diag", ...args}
 * Reply:    {"id": N, "result": {...}} or {"id": N, "error": {"code": N, "message": S}}
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define MSG_ID_MAX ((uint64_t)1 << 53) /* ids stay exact in any JSON reader */
#define MSG_VERSION_MAX 64
#define MSG_TEXT_MAX 512

enum agent_op {
	AGENT_OP_PING,
	AGENT_OP_SHUTDOWN,
	AGENT_OP_DIAG,
	AGENT_OP_CREATE, /* control: set up a container process, not yet running */
	AGENT_OP_ATTACH, /* stream port: bind this connection to a process's stdio */
	AGENT_OP_START,	 /* control: exec the created process */
	AGENT_OP_SIGNAL, /* control: send it a signal */
	AGENT_OP_RESIZE, /* control: set its terminal size */
	AGENT_OP_WAIT,	 /* control: answered when it has exited */
	AGENT_OP__MAX,
};

const char *agent_op_name(enum agent_op op);

/* Diagnostics over a stream connection, used by tests and benchmarks:
 *  sink:   the agent reads until EOF (pausing delay_us every chunk bytes)
 *          and answers with the byte count and CRC-32 of what it got;
 *  source: the agent writes `bytes` of the diag pattern for `seed`
 *          (pausing likewise), then half-closes;
 *  pipe:   the agent copies `bytes` through a pipe between two of its own
 *          processes (one buffer written over and over, CRC-32 on the
 *          reading side as in sink): the in-guest ceiling for a sink. */
enum diag_mode {
	DIAG_SINK,
	DIAG_SOURCE,
	DIAG_PIPE,
};

#define DIAG_BYTES_MAX ((uint64_t)1 << 40)
#define DIAG_CHUNK_MAX (1u << 20)
#define DIAG_DELAY_MAX 1000000u

struct diag_args {
	enum diag_mode mode;
	uint64_t bytes;
	uint32_t chunk;	   /* 0: agent's default */
	uint32_t delay_us; /* pause after each chunk, to make a slow reader/writer */
	uint64_t seed;
};

/* Bounds of a process description (the host builds it from the user's
 * command line and the image; the agent rejects anything past these). */
#define MSG_ARGS_MAX 4096
#define MSG_ENV_MAX 4096
#define MSG_STRING_MAX (128u * 1024)
#define MSG_PATH_MAX 4096
#define MSG_HOSTNAME_MAX 64
#define MSG_TAG_MAX 32
#define MSG_DISK_MAX 8 /* "vd" + one or two letters */
#define MSG_PROCESS_MAX 1024

#define MSG_GROUPS_MAX 64	    /* supplementary groups */
#define MSG_RLIMITS_MAX 16
#define MSG_SECCOMP_INSNS_MAX 4096 /* the kernel's BPF_MAXINSNS */
#define MSG_MOUNTS_MAX 64
#define MSG_CAP_LAST 40		    /* CAP_CHECKPOINT_RESTORE */
#define MSG_CAP_ALL ((UINT64_C(1) << (MSG_CAP_LAST + 1)) - 1)

enum capset {
	CAPSET_BOUNDING,
	CAPSET_EFFECTIVE,
	CAPSET_PERMITTED,
	CAPSET_INHERITABLE,
	CAPSET_AMBIENT,
	CAPSET__MAX,
};

/* A resource limit (setrlimit): resource is RLIMIT_*, named on the wire as
 * Docker's --ulimit does ("nofile", "nproc", ...). */
struct rlimit_spec {
	int resource;
	uint64_t soft, hard; /* UINT64_MAX: unlimited */
};

/* What confines a process: applied, in runc's order, as the last steps
 * before execve. The host decides it all (the seccomp profile is compiled
 * to BPF on the host); the agent only applies it. A process that joins a
 * container without one (set false) gets its container's. */
struct process_security {
	bool set;
	uint64_t caps[CAPSET__MAX]; /* masks of CAP_* bits */
	bool no_new_privs;
	uint8_t *seccomp;	    /* struct sock_filter[], or NULL: none */
	size_t seccomp_len;	    /* bytes, a multiple of 8 */
	uint32_t seccomp_flags;	    /* SECCOMP_FILTER_FLAG_* */
	struct rlimit_spec rlimits[MSG_RLIMITS_MAX];
	size_t nrlimits;
};

/* A process to run in the container: args[0] is looked up in PATH of env
 * when it has no slash. Strings are malloc'd; free with process_spec_free. */
struct process_spec {
	char **args; /* nargs entries, NULL-terminated */
	size_t nargs;
	char **env; /* "KEY=VALUE", nenv entries, NULL-terminated */
	size_t nenv;
	char *cwd; /* absolute */
	uint32_t uid;
	uint32_t gid;
	bool terminal; /* a pty for stdin/stdout/stderr, one "pty" stream */
	bool stdin;    /* a stdin stream will be attached; else stdin is /dev/null */
	uint16_t rows, cols;
	uint32_t *groups; /* supplementary groups, ngroups of them */
	size_t ngroups;
	struct process_security sec;
};

void process_spec_free(struct process_spec *p);
/* Sets "KEY=VALUE" in p's env: replaces KEY's entry or appends one. */
void process_spec_setenv(struct process_spec *p, const char *entry);

/* The PATH a container's process gets when its image and user give
 * none (Docker's and runc's). */
#define CONTAINER_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The 9p share of a container's root directory (an OCI bundle's), when
 * it is not an image disk. */
#define ROOTFS_SHARE_TAG "rootfs"
void process_security_free(struct process_security *s);
/* A deep copy of src into *dst (which holds nothing). */
void process_security_copy(struct process_security *dst, const struct process_security *src);

/* A file system mounted into the container, after its root: a 9p share of
 * the VM (a volume) or a tmpfs. */
enum mount_kind {
	MOUNT_9P,
	MOUNT_TMPFS,
};

#define MOUNT_RDONLY (1u << 0)
#define MOUNT_NOSUID (1u << 1)
#define MOUNT_NODEV (1u << 2)
#define MOUNT_NOEXEC (1u << 3)
#define MOUNT_FLAGS_ALL 0xfu

struct mount_spec {
	enum mount_kind kind;
	char tag[MSG_TAG_MAX]; /* 9p: the share's mount tag */
	char *target;	       /* absolute, no "..", not "/" */
	uint32_t flags;	       /* MOUNT_* */
	uint64_t size;	       /* tmpfs: bytes, 0: the kernel's default */
	uint32_t mode;	       /* tmpfs: of its root, 0: 1777 */
	/* 9p: a file or directory inside the share to bind at target
	 * (relative, normalized: an OCI bundle's file bind mount shares its
	 * directory), NULL: the share itself. */
	char *subpath;
};

#define MSG_PATHS_MAX 256  /* masked and read-only paths */
#define MSG_SYSCTL_MAX 256
#define MSG_IPV4_MAX 16		   /* "255.255.255.255" and its NUL */
#define MSG_ETC_FILE_MAX (64 * 1024) /* /etc/hosts, resolv.conf, hostname */

/* The container's network namespace: with nic, the VM's network card is
 * moved into it and configured so (an IPv4 address, a default route);
 * without, it has a loopback only. lo is up in both. */
struct net_spec {
	bool nic;
	char address[MSG_IPV4_MAX]; /* "10.0.2.15" */
	uint8_t prefix;		    /* 1..32 */
	char gateway[MSG_IPV4_MAX]; /* "10.0.2.2", in address/prefix */
};

/* What holds for the whole container (process 1's create only). */
struct container_spec {
	bool readonly_root; /* --read-only */
	bool privileged;    /* no masked or read-only paths, /sys writable */
	uint64_t memory;    /* cgroup memory.max in bytes, 0: none */
	uint64_t pids;	    /* pids.max, 0: none */
	uint32_t cpu_quota_us, cpu_period_us; /* cpu.max, 0: none */
	uint64_t shm_size;  /* /dev/shm, bytes, 0: 64 MiB */
	struct mount_spec *mounts;
	size_t nmounts;
	/* The 9p root (rootfs_tag) is the container's root as it is, read-write
	 * (an OCI bundle's rootfs, whose writes the engine must see), not
	 * the lower layer of an overlay. */
	bool rootfs_rw;
	/* Masked and read-only paths instead of Docker's (an OCI bundle's
	 * maskedPaths and readonlyPaths), when custom_paths. */
	bool custom_paths;
	char **masked_paths, **readonly_paths;
	size_t nmasked_paths, nreadonly_paths;
	/* "key=value" written to /proc/sys/KEY (dots as slashes) in the
	 * container's namespaces before /proc/sys turns read-only. */
	char **sysctl;
	size_t nsysctl;
	struct net_spec net;
	/* Written by the agent and bound over /etc/hosts, /etc/resolv.conf
	 * and /etc/hostname in the container, as Docker does; NULL: the
	 * root's own are left (an OCI engine binds its own). */
	char *etc_hosts, *etc_resolv_conf, *etc_hostname;
};

void container_spec_free(struct container_spec *c);

/* Docker's --ulimit names ("nofile") and RLIMIT_* numbers; NULL and -1
 * for unknown ones. */
const char *rlimit_name(int resource);
int rlimit_lookup(const char *name);

/* Whether t is a path a mount may go to: absolute, normalized, not "/",
 * not under /proc. */
bool msg_valid_mount_target(const char *t);

/* Whether the sysctl key (its first n bytes; dots or slashes) is one a
 * container may set: those of its own IPC, UTS and network namespaces
 * (runc's list). Others (kernel.core_pattern, vm.*) are the guest
 * kernel's, outside the container's reach. */
bool msg_sysctl_allowed(const char *key, size_t n);

struct create_args {
	uint32_t process;		/* the host's number for it, 1..MSG_PROCESS_MAX */
	/* 0: a new container (process 1), with a root filesystem. N: a further
	 * process (`launcher exec`) in the namespaces of running process N;
	 * then rootfs_tag, rootfs_disk and hostname are "". */
	uint32_t join;
	char rootfs_tag[MSG_TAG_MAX];	/* 9p mount tag of the root filesystem, or "" */
	char rootfs_disk[MSG_DISK_MAX]; /* or its read-only erofs disk ("vda"), or "" */
	char hostname[MSG_HOSTNAME_MAX]; /* "" : the agent's default */
	struct container_spec ct;	  /* empty for a joining process */
	struct process_spec spec;
};

enum stream_kind {
	STREAM_STDIN,
	STREAM_STDOUT,
	STREAM_STDERR,
	STREAM_PTY,
};

struct attach_args {
	uint32_t process;
	enum stream_kind stream;
};

struct process_args {
	uint32_t process;
	int signal;	       /* signal */
	uint16_t rows, cols; /* resize */
};

struct agent_request {
	bool id_valid; /* set by agent_request_parse as soon as "id" parsed, even on failure */
	uint64_t id;
	enum agent_op op;
	union {
		struct diag_args diag;
		struct create_args create;
		struct attach_args attach;
		struct process_args process; /* start, signal, resize, wait */
	} u;
};

/* Frees what a parsed or filled request owns (create's strings). */
void agent_request_free(struct agent_request *req);

struct ping_result {
	char version[MSG_VERSION_MAX];
	uint64_t uptime_ms;
};

struct diag_result {
	uint64_t bytes;
	uint32_t crc32;
	uint64_t elapsed_ns;
};

struct start_result {
	uint32_t pid; /* in the agent's PID namespace */
};

/* How the process ended: exactly one of the two is meaningful. */
struct wait_result {
	int exit_code; /* 0..255 when it exited */
	int signal;    /* 1..64 when a signal killed it, else 0 */
	bool oom_killed; /* the container's memory limit killed a process */
};

struct agent_reply {
	uint64_t id;
	bool failed;
	struct {
		int code;
		char message[MSG_TEXT_MAX];
	} error;
	union {
		struct ping_result ping;
		struct diag_result diag;
		struct start_result start;
		struct wait_result wait;
	} u;
};

/* Pushed by the agent, unasked, on the control connection that created the
 * process: {"event": "exit", "process": N, "exit_code": C, "signal": S}
 * once the process has exited and its output has gone out (the wait
 * result, without an id). */
enum agent_event_kind {
	AGENT_EVENT_EXIT = 1,
};

struct agent_event {
	enum agent_event_kind kind;
	uint32_t process;
	struct wait_result exit;
};

/* Encode to a malloc'd JSON text (not NUL-counted in *ret_len). */
char *agent_request_format(const struct agent_request *req, size_t *ret_len);
char *agent_reply_format(enum agent_op op, const struct agent_reply *reply, size_t *ret_len);

/* Seeds jansson's hash function from getrandom(GRND_INSECURE). Call once at
 * start: otherwise jansson reads /dev/urandom on first use, which blocks
 * for about a second in a guest whose entropy pool is not ready yet. */
void message_init(void);

/* Decode and validate. On failure e says why; of *ret, only id_valid and
 * (when id_valid) id may be used, to address an error reply. */
int agent_request_parse(const char *payload, size_t len, struct agent_request *ret,
			struct error *e);
int agent_reply_parse(const char *payload, size_t len, enum agent_op op, struct agent_reply *ret,
		      struct error *e);

char *agent_event_format(const struct agent_event *ev, size_t *ret_len);
int agent_event_parse(const char *payload, size_t len, struct agent_event *ret, struct error *e);

/* Whether a frame from the agent is an event (an object with "event")
 * rather than a reply; false for anything that is not a JSON object. */
bool agent_frame_is_event(const char *payload, size_t len);

/* Only the id of a reply, to find out which request (and so which op) it
 * answers before parsing it whole. */
int agent_reply_peek_id(const char *payload, size_t len, uint64_t *ret_id, struct error *e);

/* The diag pattern: a deterministic byte stream from a seed, so either side
 * can check what the other produced. */
void diag_pattern_fill(uint64_t seed, uint64_t offset, uint8_t *buf, size_t len);
