/* launcher run: a command in a new container, in its own microVM, with
 * stdio, exit codes and signals as `docker run` has them. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "network.h"
#include "cleanup.h"
#include "commands.h"
#include "container-start.h"
#include "image.h"
#include "monitor.h"
#include "passwd.h"
#include "paths.h"
#include "run-options.h"
#include "run-security.h"
#include "signals.h"
#include "state.h"
#include "terminal.h"
#include "util.h"

#define ROOTFS_DISK "vda" /* the image disk is the first and only one */

/* What build_create works from: the options and, for an image, the image. */
struct run_ctx {
	const struct run_options *o;
	const struct image *img; /* NULL with --rootfs */
};

static bool env_has(char **env, size_t n, const char *entry)
{
	size_t klen = strcspn(entry, "=");

	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], entry, klen) == 0 && env[i][klen] == '=')
			return true;
	return false;
}

static void env_add(struct process_spec *p, char *entry)
{
	p->env = realloc(p->env, (p->nenv + 2) * sizeof(*p->env));
	if (!p->env)
		abort();
	p->env[p->nenv++] = entry;
	p->env[p->nenv] = NULL;
}

/* Docker's environment: the image's variables, overridden by the user's,
 * plus PATH, HOSTNAME, HOME and (with -t) TERM where neither gave one. */
static void build_env(const struct run_ctx *c, const char *hostname, struct process_spec *p)
{
	const struct run_options *o = c->o;

	if (c->img)
		for (size_t i = 0; i < c->img->config.nenv; i++)
			if (!env_has(o->env, o->nenv, c->img->config.env[i]))
				env_add(p, xstrdup(c->img->config.env[i]));
	for (unsigned i = 0; i < o->nenv; i++)
		env_add(p, xstrdup(o->env[i]));
	if (!env_has(p->env, p->nenv, "PATH="))
		env_add(p, xstrdup("PATH=" CONTAINER_DEFAULT_PATH));
	if (!env_has(p->env, p->nenv, "HOSTNAME="))
		env_add(p, xasprintf("HOSTNAME=%s", hostname));
	if (o->tty && !env_has(p->env, p->nenv, "TERM="))
		env_add(p, xstrdup("TERM=xterm"));
	if (!env_has(p->env, p->nenv, "HOME="))
		env_add(p, xstrdup(p->uid == 0 ? "HOME=/root" : "HOME=/"));
}

static void add_args(struct process_spec *p, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p->args[p->nargs++] = xstrdup(v[i]);
}

/* Docker's rules: --entrypoint replaces the image's Entrypoint and drops
 * its Cmd ("" clears the entrypoint); arguments after the image replace
 * Cmd. */
static void build_args(const struct run_ctx *c, struct process_spec *p)
{
	const struct run_options *o = c->o;
	const struct oci_image_config *cfg = c->img ? &c->img->config : NULL;
	size_t max = o->ncommand + 1 + (cfg ? cfg->nentrypoint + cfg->ncmd : 0);

	p->args = xcalloc(max + 1, sizeof(*p->args));
	p->nargs = 0;
	if (o->entrypoint) {
		if (o->entrypoint[0])
			p->args[p->nargs++] = xstrdup(o->entrypoint);
	} else if (cfg) {
		add_args(p, cfg->entrypoint, cfg->nentrypoint);
	}
	if (o->ncommand || o->entrypoint || !cfg)
		add_args(p, o->command, o->ncommand);
	else
		add_args(p, cfg->cmd, cfg->ncmd);
}

/* -u, else the image's User, resolved in the image's /etc/passwd. */
static int build_user(const struct run_ctx *c, struct process_spec *p, struct error *e)
{
	const char *spec = c->o->user;

	if (!c->img) {
		p->uid = c->o->has_user ? c->o->uid : 0;
		p->gid = c->o->has_user ? c->o->gid : 0;
		return 0;
	}
	if (!spec && c->img->config.user && c->img->config.user[0])
		spec = c->img->config.user;
	if (!spec) {
		p->uid = p->gid = 0;
		return 0;
	}
	return passwd_resolve(c->img->passwd, c->img->group, spec, &p->uid, &p->gid, e);
}

static int build_create(const void *ctx, const char *hostname, struct agent_request *req,
			struct error *e)
{
	const struct run_ctx *rc = ctx;
	const struct run_options *o = rc->o;
	struct create_args *c = &req->u.create;
	struct process_spec *p = &c->spec;
	const char *workdir = o->workdir;

	memset(req, 0, sizeof(*req));
	req->op = AGENT_OP_CREATE;
	c->process = 1;
	if (rc->img)
		snprintf(c->rootfs_disk, sizeof(c->rootfs_disk), "%s", ROOTFS_DISK);
	else
		snprintf(c->rootfs_tag, sizeof(c->rootfs_tag), "%s", ROOTFS_SHARE_TAG);
	if (strlen(hostname) >= sizeof(c->hostname))
		return error_set(e, EINVAL, "host name \"%s\" is too long", hostname);
	strcpy(c->hostname, hostname);
	if (build_user(rc, p, e) < 0)
		return -e->code;
	if (!workdir && rc->img && rc->img->config.working_dir && rc->img->config.working_dir[0])
		workdir = rc->img->config.working_dir;
	p->cwd = xstrdup(workdir ? workdir : "/");
	p->terminal = o->tty;
	p->stdin = o->interactive;
	if (o->tty && !terminal_size_any(&p->rows, &p->cols)) {
		p->rows = 24;
		p->cols = 80;
	}
	build_args(rc, p);
	if (p->nargs == 0)
		return error_set(e, EINVAL, "no command specified");
	build_env(rc, hostname, p);
	return run_security_build(o, rc->img, c, e);
}

static int check_rootfs(const char *dir, char *ret_abs, struct error *e)
{
	struct stat st;

	if (!realpath(dir, ret_abs) || stat(ret_abs, &st) < 0)
		return error_errno(e, errno, "root filesystem \"%s\"", dir);
	if (!S_ISDIR(st.st_mode))
		return error_set(e, ENOTDIR, "root filesystem \"%s\" is not a directory", dir);
	return 0;
}

static void vm_size(const struct run_options *o, struct boot_opts *b)
{
	if (o->memory)
		b->memory_mib = boot_memory_for_limit(o->memory);
	if (o->cpus_milli)
		b->vcpus = (o->cpus_milli + 999) / 1000;
}

static int usage_error(const char *verb, const struct error *e)
{
	launcher_error("%s\nSee 'launcher %s --help'.", e->msg, verb);
	return EXIT_LAUNCHER;
}

static const int proxied_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static int client_signalfd(const struct run_options *o)
{
	sigset_t set;

	sigemptyset(&set);
	if (o->sig_proxy)
		for (size_t i = 0; i < sizeof(proxied_signals) / sizeof(*proxied_signals); i++)
			sigaddset(&set, proxied_signals[i]);
	if (o->tty)
		sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* What inspect shows as Config: the image's, with the user's overrides. */
static void fill_config(const struct run_ctx *c, const struct process_spec *p,
			struct container_config *cfg)
{
	const struct run_options *o = c->o;
	const struct oci_image_config *ic = c->img ? &c->img->config : NULL;

	if (o->entrypoint) {
		cfg->nentrypoint = o->entrypoint[0] ? 1 : 0;
		cfg->entrypoint = xstrv_dup((char **)&o->entrypoint, cfg->nentrypoint);
	} else if (ic) {
		cfg->entrypoint = xstrv_dup(ic->entrypoint, ic->nentrypoint);
		cfg->nentrypoint = ic->nentrypoint;
	} else {
		cfg->entrypoint = xstrv_dup(NULL, 0);
	}
	if (o->ncommand || o->entrypoint || !ic) {
		cfg->cmd = xstrv_dup(o->command, o->ncommand);
		cfg->ncmd = o->ncommand;
	} else {
		cfg->cmd = xstrv_dup(ic->cmd, ic->ncmd);
		cfg->ncmd = ic->ncmd;
	}
	cfg->args = xstrv_dup(p->args, p->nargs);
	cfg->nargs = p->nargs;
	cfg->env = xstrv_dup(p->env, p->nenv);
	cfg->nenv = p->nenv;
	cfg->workdir = xstrdup(p->cwd);
	cfg->user = o->user ? xstrdup(o->user)
		    : ic && ic->user ? xstrdup(ic->user) : NULL;
	cfg->tty = o->tty;
	cfg->interactive = o->interactive;
	cfg->auto_remove = o->rm;
	cfg->memory = o->memory;
	cfg->nano_cpus = (uint64_t)o->cpus_milli * 1000000u;
	cfg->stop_signal = o->stop_signal;
	if (!cfg->stop_signal && ic && ic->stop_signal)
		cfg->stop_signal = signal_parse(ic->stop_signal);
	if (cfg->stop_signal <= 0)
		cfg->stop_signal = SIGTERM;
	cfg->stop_timeout = o->stop_timeout >= 0 ? (unsigned)o->stop_timeout : 10;
	cfg->log = o->log;
}

/* run and create: the options resolved into a recorded container. */
static int record_container(const char *run_root, const struct run_ctx *ctx, struct store *st,
			    const char *rootfs, struct container_config *cfg, struct error *e)
{
	const struct run_options *o = ctx->o;
	struct agent_request req;
	struct boot_opts b = {0};
	char hostname[MSG_HOSTNAME_MAX];
	size_t len;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	container_new_id(cfg->id);
	if (o->name)
		snprintf(cfg->name, sizeof(cfg->name), "%s", o->name);
	/* A stand-in until the VM exists, unless given. */
	snprintf(hostname, sizeof(hostname), "%.*s", CONTAINER_SHORT_ID_LEN, cfg->id);
	r = build_create(ctx, o->hostname ? o->hostname : hostname, &req, e);
	if (r == 0) {
		cfg->create_request = agent_request_format(&req, &len);
		if (!cfg->create_request)
			r = error_set(e, ENOMEM, "formatting the container's command");
	}
	if (r == 0)
		fill_config(ctx, &req.u.create.spec, cfg);
	if (r == 0)
		r = run_security_record(o, cfg, e);
	if (r == 0)
		r = network_record(&o->net, ctx->img ? ctx->img->config.exposed_ports : NULL,
				   ctx->img ? ctx->img->config.nexposed_ports : 0, cfg, e);
	/* Ports QEMU cannot bind, or taken: said now, before any record. */
	if (r == 0 && (network_check_unprivileged(cfg, e) < 0 || network_check_ports(cfg, e) < 0))
		r = -e->code;
	agent_request_free(&req);
	if (r < 0) {
		container_config_free(cfg);
		return r;
	}
	if (ctx->img) {
		char id[STORE_DIGEST_MAX];
		cfg->image = xstrdup(o->image);
		if (image_config_digest(st, ctx->img->manifest_digest, id, e) < 0) {
			container_config_free(cfg);
			return -e->code;
		}
		cfg->image_id = xstrdup(id);
	} else {
		cfg->image = xstrdup(rootfs);
		cfg->rootfs = xstrdup(rootfs);
	}
	/* NULL: the VM's id, filled in at each start (container-start.c). */
	cfg->hostname = o->hostname ? xstrdup(o->hostname) : NULL;
	vm_size(o, &b);
	snprintf(cfg->accel, sizeof(cfg->accel), "%s", hv_accel_name(o->accel));
	cfg->vcpus = b.vcpus;
	cfg->memory_mib = b.memory_mib;
	if (container_create(run_root, cfg, e) < 0) {
		container_config_free(cfg);
		return -e->code;
	}
	return 0;
}

static int run_or_create(int argc, char **argv, bool create_only)
{
	struct run_options o;
	struct run_ctx ctx = {.o = &o};
	struct container_record rec = {0};
	struct start_request sr = {.hold_fd = -1};
	struct image img;
	struct store st = {0};
	struct error e = {0};
	char rootfs[PATH_MAX], run_root[PATH_MAX];
	int fd, sigfd, r, code = EXIT_LAUNCHER;
	pid_t pid;

	r = run_options_parse(argc, argv, &o, &e);
	if (r)
		return r > 0 ? 0 : usage_error(create_only ? "create" : "run", &e);
	if (create_only && o.detach) {
		error_set(&e, EINVAL, "unknown shorthand flag: 'd' in -d");
		code = usage_error("create", &e);
		goto out;
	}
	if (!create_only && !o.detach && o.tty && o.interactive && !isatty(STDIN_FILENO)) {
		launcher_error("the input device is not a TTY");
		goto out;
	}
	launcher_run_root(run_root, sizeof(run_root));
	if (o.image) {
		if (container_open_image(o.image, &st, &img, &sr.hold_fd, true, &e) < 0) {
			launcher_error("%s", e.msg);
			goto out;
		}
		ctx.img = &img;
	} else {
		if (o.user && !o.has_user) {
			error_set(&e, EINVAL,
				  "invalid user \"%s\": with --rootfs, use a numeric UID[:GID]",
				  o.user);
			code = usage_error(create_only ? "create" : "run", &e);
			goto out;
		}
		if (check_rootfs(o.rootfs, rootfs, &e) < 0) {
			code = usage_error(create_only ? "create" : "run", &e);
			goto out;
		}
	}
	/* Mistakes in what to run (an unknown user, no command) are found
	 * here, before a VM is booted for nothing. */
	if (record_container(run_root, &ctx, &st, rootfs, &rec.config, &e) < 0) {
		launcher_error("%s", e.msg);
		goto out_image;
	}
	if (create_only) {
		printf("%s\n", rec.config.id);
		code = 0;
		goto out_image;
	}
	sr.run_root = run_root;
	sr.rec = &rec;
	sr.foreground = !o.detach;
	sr.img = ctx.img;
	fd = container_start(&sr, &pid, &e);
	sr.hold_fd = -1; /* taken */
	if (fd < 0) {
		launcher_error("%s", e.msg);
		goto out_image;
	}
	if (o.detach) {
		code = container_started(fd, &e);
		close(fd);
		if (code == 0)
			printf("%s\n", rec.config.id);
		else
			launcher_error("%s", e.msg);
		goto out_image;
	}
	sigfd = client_signalfd(&o);
	if (o.tty && o.interactive)
		terminal_make_raw(STDIN_FILENO);
	code = monitor_client_wait(fd, sigfd, "the container's monitor");
	close(fd);
out_image:
	if (sr.hold_fd >= 0)
		close(sr.hold_fd);
	if (ctx.img)
		image_free(&img);
	container_record_free(&rec);
out:
	run_options_free(&o);
	return code;
}

int cmd_run(int argc, char **argv)
{
	return run_or_create(argc, argv, false);
}

int cmd_create(int argc, char **argv)
{
	return run_or_create(argc, argv, true);
}
