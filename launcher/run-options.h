/* `launcher run` options, parsed the way `docker run` reads them. Pure (no
 * VM, no I/O beyond --env-file), so the parsing is unit-tested. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "accel.h"
#include "error.h"
#include "log.h"
#include "message.h"
#include "network.h"

#define RUN_ENV_MAX 4096
#define RUN_LIST_MAX 64 /* --cap-add, --group-add, ... each */

/* -v, --mount and --tmpfs, as given (resolved by run-security.c). */
enum run_mount_kind {
	RUN_MOUNT_BIND,	  /* a host directory */
	RUN_MOUNT_VOLUME, /* a named volume in the store */
	RUN_MOUNT_TMPFS,
};

struct run_mount {
	enum run_mount_kind kind;
	char *source; /* bind: absolute host path; volume: its name; tmpfs: NULL */
	char *target; /* absolute, normalized */
	uint32_t flags; /* MOUNT_* of message.h */
	uint64_t size;	/* tmpfs */
	uint32_t mode;	/* tmpfs */
	bool create_missing; /* -v: a missing host directory is made */
};

/* Isolation options (docker run's): what confines the container. */
struct run_isolation {
	char *cap_add[RUN_LIST_MAX];
	unsigned ncap_add;
	char *cap_drop[RUN_LIST_MAX];
	unsigned ncap_drop;
	char *group_add[RUN_LIST_MAX];
	unsigned ngroup_add;
	bool privileged;
	const char *seccomp; /* --security-opt seccomp=: a file, "unconfined"; NULL: default */
	int no_new_privs;    /* --security-opt no-new-privileges: -1 not given (on) */
	bool read_only;
	struct run_mount mounts[MSG_MOUNTS_MAX];
	unsigned nmounts;
	uint64_t pids_limit; /* 0: none */
	struct rlimit_spec ulimits[MSG_RLIMITS_MAX];
	unsigned nulimits;
	uint64_t shm_size; /* 0: 64 MiB */
};

struct run_options {
	bool interactive;  /* -i */
	bool tty;	   /* -t */
	bool sig_proxy;	   /* --sig-proxy, default true */
	bool rm;	   /* --rm: the container is removed when it exits */
	bool detach;	   /* -d: print the ID once it runs, and return */
	const char *name;  /* --name, NULL: a random one */
	struct log_opts log; /* --log-opt max-size=..., max-file=... */
	int stop_signal;   /* --stop-signal, 0: the image's (else SIGTERM) */
	int stop_timeout;  /* --stop-timeout seconds, -1: 10 */
	const char *rootfs; /* --rootfs DIR */
	const char *image;  /* first positional when no --rootfs */
	const char *workdir;
	const char *hostname;
	const char *entrypoint; /* --entrypoint: replaces args[0]'s place before the command */
	const char *user; /* -u as given, NULL: the image's */
	bool has_user;	  /* -u was numeric: uid and gid hold it */
	uint32_t uid, gid;
	uint64_t memory;  /* bytes, 0: default */
	uint32_t cpus_milli; /* --cpus in thousandths, 0: default */
	enum hv_accel accel;
	char **env; /* "K=V", in order given; later ones win */
	unsigned nenv;
	char **command; /* argv after the image/rootfs; NULL-terminated */
	unsigned ncommand;
	struct run_isolation iso;
	struct run_network net;
};

/* Parses argv (argv[0] is "run"). Returns 0, 1 when --help was printed, or
 * -errno with e saying what is wrong (the caller adds "See 'launcher run
 * --help'."). "-e NAME" without a value takes the host's (getenv). */
int run_options_parse(int argc, char **argv, struct run_options *ret, struct error *e);
void run_options_free(struct run_options *o);
void run_usage(void);

/* Docker's --memory grammar: a number with an optional b, k, m or g unit;
 * at least 6 MiB. */
int parse_memory(const char *s, uint64_t *ret, struct error *e);
/* --cpus: a positive decimal with up to three fraction digits. */
int parse_cpus(const char *s, uint32_t *ret_milli, struct error *e);
/* -u UID[:GID], numeric (what --rootfs takes; images resolve names). */
int parse_user(const char *s, uint32_t *ret_uid, uint32_t *ret_gid, struct error *e);

/* Docker's -v SRC:DST[:OPTS], --mount KEY=VALUE,... and --tmpfs
 * DST[:OPTS] into *ret (the caller frees it with run_mount_free). */
int parse_volume(const char *s, struct run_mount *ret, struct error *e);
/* Docker's volume names, [a-zA-Z0-9][a-zA-Z0-9_.-]+: nothing that walks
 * out of the store's volumes directory. */
bool volume_name_valid(const char *name);
/* A file mode in octal, at most 07777 (tmpfs mode=); -EINVAL else. */
int parse_octal_mode(const char *v, uint32_t *ret);
int parse_mount(const char *s, struct run_mount *ret, struct error *e);
int parse_tmpfs(const char *s, struct run_mount *ret, struct error *e);
void run_mount_free(struct run_mount *m);
/* --ulimit NAME=SOFT[:HARD] ("unlimited" or -1 for no limit). */
int parse_ulimit(const char *s, struct rlimit_spec *ret, struct error *e);
