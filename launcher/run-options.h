/* `launcher run` options, parsed the way `docker run` reads them. Pure (no
 * VM, no I/O beyond --env-file), so the parsing is unit-tested. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "accel.h"
#include "error.h"
#include "log.h"

#define RUN_ENV_MAX 4096

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
