#include "run-options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "signals.h"
#include "state.h"
#include "util.h"

#define MEMORY_MIN (6ull << 20) /* Docker's minimum */
#define CPUS_MAX_MILLI (64u * 1000)
#define ENV_FILE_MAX (1u << 20)

void run_usage(void)
{
	printf("\nUsage:  launcher run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
	       "        launcher run [OPTIONS] --rootfs DIR COMMAND [ARG...]\n\n"
	       "Create and run a new container from an image, in its own microVM\n\n"
	       "Options:\n"
	       "      --accel string         Accelerator: auto, kvm or tcg (default \"auto\")\n"
	       "      --add-host list        Add a custom host-to-IP mapping (host:ip)\n"
	       "      --cap-add list         Add Linux capabilities\n"
	       "      --cap-drop list        Drop Linux capabilities\n"
	       "      --cpus decimal         Number of CPUs\n"
	       "  -d, --detach               Run container in background and print container ID\n"
	       "      --dns list             Set custom DNS servers\n"
	       "      --dns-option list      Set DNS options\n"
	       "      --dns-search list      Set custom DNS search domains\n"
	       "      --entrypoint string    Overwrite the default ENTRYPOINT of the image\n"
	       "  -e, --env list             Set environment variables\n"
	       "      --env-file list        Read in a file of environment variables\n"
	       "      --group-add list       Add additional groups to join\n"
	       "  -h, --help                 Print usage\n"
	       "      --hostname string      Container host name\n"
	       "  -i, --interactive          Keep STDIN open even if not attached\n"
	       "      --log-opt list         Log options: max-size=SIZE, max-file=N\n"
	       "  -m, --memory bytes         Memory limit\n"
	       "      --mount mount          Attach a filesystem mount to the container\n"
	       "      --name string          Assign a name to the container\n"
	       "      --network string       Connect a container to a network: bridge (user-mode NAT,\n"
	       "                             the default) or none\n"
	       "  -p, --publish list         Publish a container's port(s) to the host\n"
	       "                             ([HOST-IP:][HOST-PORT:]PORT[/udp]; HOST-IP 127.0.0.1\n"
	       "                             unless given)\n"
	       "  -P, --publish-all          Publish all exposed ports to random ports\n"
	       "      --pids-limit int       Tune container pids limit (set -1 for unlimited)\n"
	       "      --privileged           Give extended privileges to this container\n"
	       "      --read-only            Mount the container's root filesystem as read only\n"
	       "      --rm                   Automatically remove the container when it exits\n"
	       "      --rootfs string        Use this directory as the root filesystem\n"
	       "      --security-opt list    Security options: seccomp=PROFILE|unconfined,\n"
	       "                             no-new-privileges=false\n"
	       "      --shm-size bytes       Size of /dev/shm\n"
	       "      --sig-proxy            Proxy received signals to the process (default true)\n"
	       "      --stop-signal string   Signal to stop the container\n"
	       "      --stop-timeout int     Timeout (in seconds) to stop a container\n"
	       "      --tmpfs list           Mount a tmpfs directory\n"
	       "  -t, --tty                  Allocate a pseudo-TTY\n"
	       "      --ulimit ulimit        Ulimit options\n"
	       "  -u, --user string          Username or UID (format: <name|uid>[:<group|gid>])\n"
	       "  -v, --volume list          Bind mount a volume (HOST-DIR or NAME:CONTAINER-DIR[:ro])\n"
	       "  -w, --workdir string       Working directory inside the container\n");
}

int parse_memory(const char *s, uint64_t *ret, struct error *e)
{
	uint64_t v;

	if (parse_size(s, &v) < 0)
		return error_set(e, EINVAL, "invalid memory value \"%s\": use a number with b, k, m or g",
				 s);
	if (v < MEMORY_MIN)
		return error_set(e, EINVAL, "minimum memory limit allowed is 6MB");
	*ret = v;
	return 0;
}

int parse_cpus(const char *s, uint32_t *ret_milli, struct error *e)
{
	uint64_t whole = 0, frac = 0;
	unsigned digits = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p) && *p != '.')
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > CPUS_MAX_MILLI)
			goto bad;
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (uint64_t)(*p - '0');
	if (*p || (p == s))
		goto bad;
	while (digits < 3)
		frac *= 10, digits++;
	/* 0.01 as Docker: the guest kernel refuses a quota under 1 ms of
	 * its 100 ms period. */
	if (whole * 1000 + frac < 10 || whole * 1000 + frac > CPUS_MAX_MILLI)
		goto bad;
	*ret_milli = (uint32_t)(whole * 1000 + frac);
	return 0;
bad:
	return error_set(e, EINVAL, "invalid --cpus value \"%s\": use a number between 0.01 and %u",
			 s, CPUS_MAX_MILLI / 1000);
}

int parse_user(const char *s, uint32_t *ret_uid, uint32_t *ret_gid, struct error *e)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *colon = strchr(copy, ':');
	uint64_t uid, gid = 0;

	if (colon)
		*colon = '\0';
	if (parse_uint(copy, UINT32_MAX - 1, &uid) < 0 ||
	    (colon && parse_uint(colon + 1, UINT32_MAX - 1, &gid) < 0))
		return error_set(e, EINVAL,
				 "invalid user \"%s\": with --rootfs, use a numeric UID[:GID]", s);
	*ret_uid = (uint32_t)uid;
	/* Without a group, Docker runs an unknown user with group 0. */
	*ret_gid = colon ? (uint32_t)gid : 0;
	return 0;
}

static int add_env(struct run_options *o, const char *kv, struct error *e)
{
	const char *eq = strchr(kv, '=');
	char *entry;

	if (kv[0] == '\0' || eq == kv)
		return error_set(e, EINVAL, "invalid environment variable \"%s\"", kv);
	if (!eq) {
		/* "-e NAME" passes the host's value, and nothing when it is unset. */
		const char *v = getenv(kv);
		if (!v)
			return 0;
		entry = xasprintf("%s=%s", kv, v);
	} else {
		entry = xstrdup(kv);
	}
	if (o->nenv >= RUN_ENV_MAX) {
		free(entry);
		return error_set(e, E2BIG, "more than %d environment variables", RUN_ENV_MAX);
	}
	o->env = realloc(o->env, (o->nenv + 2) * sizeof(*o->env));
	if (!o->env)
		abort();
	o->env[o->nenv++] = entry;
	o->env[o->nenv] = NULL;
	return 0;
}

/* Docker's env-file: one VAR=VAL or VAR per line, '#' comments, blank lines. */
static int read_env_file(struct run_options *o, const char *path, struct error *e)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, total = 0;
	ssize_t n;
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f)
		return error_errno(e, errno, "open %s", path);
	while (r == 0 && (n = getline(&line, &cap, f)) >= 0) {
		char *s = line;
		lineno++;
		total += (size_t)n;
		if (total > ENV_FILE_MAX) {
			r = error_set(e, EFBIG, "env file %s is larger than 1 MiB", path);
			break;
		}
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		r = add_env(o, s, e);
		if (r < 0)
			error_prefix(e, "%s line %u", path, lineno);
	}
	fclose(f);
	return r;
}

static int parse_bool_arg(const char *name, const char *v, bool *ret, struct error *e)
{
	if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*ret = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*ret = false;
	else
		return error_set(e, EINVAL, "invalid value \"%s\" for %s: use true or false", v,
				 name);
	return 0;
}

enum {
	OPT_ACCEL = 256,
	OPT_CPUS,
	OPT_ENTRYPOINT,
	OPT_ENV_FILE,
	OPT_HOSTNAME,
	OPT_RM,
	OPT_ROOTFS,
	OPT_SIG_PROXY,
	OPT_NAME,
	OPT_LOG_OPT,
	OPT_STOP_SIGNAL,
	OPT_STOP_TIMEOUT,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_GROUP_ADD,
	OPT_MOUNT,
	OPT_PIDS_LIMIT,
	OPT_PRIVILEGED,
	OPT_READ_ONLY,
	OPT_SECURITY_OPT,
	OPT_SHM_SIZE,
	OPT_TMPFS,
	OPT_ULIMIT,
	OPT_NETWORK, /* --network and the rest of network.h's, by their names */
	OPT_PUBLISH_ALL,
};

static const struct option longopts[] = {
	{"accel", required_argument, NULL, OPT_ACCEL},
	{"cap-add", required_argument, NULL, OPT_CAP_ADD},
	{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"group-add", required_argument, NULL, OPT_GROUP_ADD},
	{"mount", required_argument, NULL, OPT_MOUNT},
	{"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
	{"privileged", no_argument, NULL, OPT_PRIVILEGED},
	{"read-only", no_argument, NULL, OPT_READ_ONLY},
	{"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
	{"shm-size", required_argument, NULL, OPT_SHM_SIZE},
	{"tmpfs", required_argument, NULL, OPT_TMPFS},
	{"ulimit", required_argument, NULL, OPT_ULIMIT},
	{"volume", required_argument, NULL, 'v'},
	{"add-host", required_argument, NULL, OPT_NETWORK},
	{"dns", required_argument, NULL, OPT_NETWORK},
	{"dns-option", required_argument, NULL, OPT_NETWORK},
	{"dns-search", required_argument, NULL, OPT_NETWORK},
	{"net", required_argument, NULL, OPT_NETWORK},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"publish", required_argument, NULL, 'p'},
	{"publish-all", no_argument, NULL, 'P'},
	{"detach", no_argument, NULL, 'd'},
	{"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
	{"env", required_argument, NULL, 'e'},
	{"env-file", required_argument, NULL, OPT_ENV_FILE},
	{"help", no_argument, NULL, 'h'},
	{"hostname", required_argument, NULL, OPT_HOSTNAME},
	{"interactive", no_argument, NULL, 'i'},
	{"log-opt", required_argument, NULL, OPT_LOG_OPT},
	{"memory", required_argument, NULL, 'm'},
	{"name", required_argument, NULL, OPT_NAME},
	{"rm", no_argument, NULL, OPT_RM},
	{"rootfs", required_argument, NULL, OPT_ROOTFS},
	{"sig-proxy", optional_argument, NULL, OPT_SIG_PROXY},
	{"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
	{"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
	{"tty", no_argument, NULL, 't'},
	{"user", required_argument, NULL, 'u'},
	{"workdir", required_argument, NULL, 'w'},
	{0},
};

static int add_to_list(char **list, unsigned *n, const char *flag, const char *arg,
		       struct error *e)
{
	if (*n >= RUN_LIST_MAX)
		return error_set(e, E2BIG, "more than %d %s", RUN_LIST_MAX, flag);
	list[(*n)++] = xstrdup(arg);
	return 0;
}

static int add_mount(struct run_isolation *iso,
		     int (*parse)(const char *, struct run_mount *, struct error *), const char *arg,
		     struct error *e)
{
	struct run_mount m;

	if (iso->nmounts >= MSG_MOUNTS_MAX)
		return error_set(e, E2BIG, "more than %d mounts", MSG_MOUNTS_MAX);
	if (parse(arg, &m, e) < 0)
		return -e->code;
	for (unsigned i = 0; i < iso->nmounts; i++)
		if (strcmp(iso->mounts[i].target, m.target) == 0) {
			error_set(e, EINVAL, "duplicate mount point: %s", m.target);
			run_mount_free(&m);
			return -EINVAL;
		}
	iso->mounts[iso->nmounts++] = m;
	return 0;
}

/* --security-opt seccomp=PROFILE|unconfined, no-new-privileges[=|:BOOL];
 * AppArmor and SELinux labels have nothing to label in the guest. */
static int security_opt(struct run_isolation *iso, const char *arg, struct error *e)
{
	const char *v;
	bool b;

	if (strncmp(arg, "seccomp=", 8) == 0 || strncmp(arg, "seccomp:", 8) == 0) {
		if (!arg[8])
			return error_set(e, EINVAL, "invalid --security-opt %s: name a profile", arg);
		iso->seccomp = arg + 8;
		return 0;
	}
	if (strncmp(arg, "no-new-privileges", 17) == 0) {
		v = arg[17] == '=' || arg[17] == ':' ? arg + 18 : arg[17] ? "?" : NULL;
		if (parse_bool_arg("no-new-privileges", v, &b, e) < 0)
			return -e->code;
		iso->no_new_privs = b;
		return 0;
	}
	/* Turning off what is not there is no error: scripts written for
	 * Docker pass these. */
	if (strcmp(arg, "apparmor=unconfined") == 0 || strcmp(arg, "apparmor:unconfined") == 0 ||
	    strcmp(arg, "label=disable") == 0 || strcmp(arg, "label:disable") == 0) {
		fprintf(stderr,
			"launcher: warning: --security-opt %s ignored: there is no AppArmor or "
			"SELinux in the guest\n",
			arg);
		return 0;
	}
	if (strncmp(arg, "apparmor", 8) == 0 || strncmp(arg, "label", 5) == 0)
		return error_set(e, EINVAL,
				 "--security-opt %s: AppArmor and SELinux labels do not apply; "
				 "the container's kernel is its VM's",
				 arg);
	return error_set(e, EINVAL, "invalid --security-opt \"%s\"", arg);
}

static int apply(struct run_options *o, int c, const char *arg, struct error *e)
{
	struct run_isolation *iso = &o->iso;

	switch (c) {
	case OPT_CAP_ADD:
		return add_to_list(iso->cap_add, &iso->ncap_add, "--cap-add", arg, e);
	case OPT_CAP_DROP:
		return add_to_list(iso->cap_drop, &iso->ncap_drop, "--cap-drop", arg, e);
	case OPT_GROUP_ADD:
		return add_to_list(iso->group_add, &iso->ngroup_add, "--group-add", arg, e);
	case OPT_PRIVILEGED:
		iso->privileged = true;
		return 0;
	case OPT_READ_ONLY:
		iso->read_only = true;
		return 0;
	case OPT_SECURITY_OPT:
		return security_opt(iso, arg, e);
	case 'v':
		return add_mount(iso, parse_volume, arg, e);
	case OPT_MOUNT:
		return add_mount(iso, parse_mount, arg, e);
	case OPT_TMPFS:
		return add_mount(iso, parse_tmpfs, arg, e);
	case OPT_PIDS_LIMIT: {
		uint64_t v;
		if (strcmp(arg, "-1") == 0) {
			iso->pids_limit = 0;
			return 0;
		}
		if (parse_uint(arg, 1u << 22, &v) < 0)
			return error_set(e, EINVAL, "invalid --pids-limit \"%s\"", arg);
		iso->pids_limit = v;
		return 0;
	}
	case OPT_SHM_SIZE:
		if (parse_size(arg, &iso->shm_size) < 0 || iso->shm_size == 0)
			return error_set(e, EINVAL, "invalid --shm-size \"%s\"", arg);
		return 0;
	case OPT_ULIMIT: {
		struct rlimit_spec r;
		if (parse_ulimit(arg, &r, e) < 0)
			return -e->code;
		for (unsigned i = 0; i < iso->nulimits; i++)
			if (iso->ulimits[i].resource == r.resource) {
				iso->ulimits[i] = r; /* the last one given wins */
				return 0;
			}
		if (iso->nulimits >= MSG_RLIMITS_MAX)
			return error_set(e, E2BIG, "too many --ulimit");
		iso->ulimits[iso->nulimits++] = r;
		return 0;
	}
	case 'i':
		o->interactive = true;
		return 0;
	case 't':
		o->tty = true;
		return 0;
	case 'd':
		o->detach = true;
		return 0;
	case OPT_NAME:
		if (!container_name_valid(arg))
			return error_set(e, EINVAL,
					 "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] "
					 "are allowed",
					 arg);
		o->name = arg;
		return 0;
	case OPT_LOG_OPT:
		return log_opts_parse(&o->log, arg, e);
	case OPT_STOP_SIGNAL:
		o->stop_signal = signal_parse(arg);
		if (o->stop_signal < 0)
			return error_set(e, EINVAL, "invalid signal: %s", arg);
		return 0;
	case OPT_STOP_TIMEOUT: {
		uint64_t v;
		if (parse_uint(arg, 3600 * 24, &v) < 0)
			return error_set(e, EINVAL, "invalid --stop-timeout \"%s\": seconds", arg);
		o->stop_timeout = (int)v;
		return 0;
	}
	case 'e':
		return add_env(o, arg, e);
	case OPT_ENV_FILE:
		return read_env_file(o, arg, e);
	case 'w':
		if (arg[0] != '/')
			return error_set(e, EINVAL, "the working directory '%s' is invalid, it needs to be an absolute path", arg);
		o->workdir = arg;
		return 0;
	case 'u': {
		struct error ignore = {0};
		if (!arg[0])
			return error_set(e, EINVAL, "invalid user \"\": use USER[:GROUP] or UID[:GID]");
		o->user = arg;
		o->has_user = parse_user(arg, &o->uid, &o->gid, &ignore) == 0;
		return 0;
	}
	case 'm':
		return parse_memory(arg, &o->memory, e);
	case OPT_CPUS:
		return parse_cpus(arg, &o->cpus_milli, e);
	case OPT_HOSTNAME:
		o->hostname = arg;
		return 0;
	case 'p':
		return network_option(&o->net, "publish", arg, e);
	case 'P':
		o->net.publish_all = true;
		return 0;
	case OPT_ENTRYPOINT:
		o->entrypoint = arg;
		return 0;
	case OPT_RM:
		o->rm = true;
		return 0;
	case OPT_ROOTFS:
		o->rootfs = arg;
		return 0;
	case OPT_SIG_PROXY:
		return parse_bool_arg("--sig-proxy", arg, &o->sig_proxy, e);
	case OPT_ACCEL:
		if (hv_accel_parse(arg, &o->accel) < 0)
			return error_set(e, EINVAL, "invalid --accel \"%s\": use auto, kvm or tcg", arg);
		return 0;
	default:
		return error_set(e, EINVAL, "unknown flag");
	}
}

int run_options_parse(int argc, char **argv, struct run_options *o, struct error *e)
{
	int c, idx;

	memset(o, 0, sizeof(*o));
	o->sig_proxy = true;
	o->accel = HV_ACCEL_AUTO;
	o->stop_timeout = -1;
	o->iso.no_new_privs = -1;
	log_opts_default(&o->log);
	opterr = 0;
	optind = 1;
	/* '+': options end at the first non-option, the command's own flags
	 * belong to the command. */
	while ((c = getopt_long(argc, argv, "+:dite:hm:p:Pu:v:w:", longopts, &idx)) != -1) {
		if (c == 'h') {
			run_usage();
			return 1;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (optopt && c == ':')
				return error_set(e, EINVAL, "flag needs an argument: %s", bad);
			return error_set(e, EINVAL, "unknown flag: %s", bad);
		}
		if (c == OPT_NETWORK) {
			const char *flag = longopts[idx].name;
			if (network_option(&o->net, strcmp(flag, "net") == 0 ? "network" : flag, optarg,
					   e) < 0)
				return -e->code;
			continue;
		}
		if (apply(o, c, optarg, e) < 0)
			return -e->code;
	}
	if (!o->rootfs) {
		if (optind >= argc)
			return error_set(e, EINVAL, "\"launcher run\" requires at least 1 argument");
		o->image = argv[optind++];
	}
	o->command = argv + optind;
	o->ncommand = (unsigned)(argc - optind);
	if (o->rootfs && o->ncommand == 0 && !o->entrypoint)
		return error_set(e, EINVAL, "no command given: with --rootfs, say what to run");
	return 0;
}

void run_options_free(struct run_options *o)
{
	for (unsigned i = 0; i < o->nenv; i++)
		free(o->env[i]);
	free(o->env);
	for (unsigned i = 0; i < o->iso.ncap_add; i++)
		free(o->iso.cap_add[i]);
	for (unsigned i = 0; i < o->iso.ncap_drop; i++)
		free(o->iso.cap_drop[i]);
	for (unsigned i = 0; i < o->iso.ngroup_add; i++)
		free(o->iso.group_add[i]);
	for (unsigned i = 0; i < o->iso.nmounts; i++)
		run_mount_free(&o->iso.mounts[i]);
	run_network_free(&o->net);
	memset(o, 0, sizeof(*o));
}
