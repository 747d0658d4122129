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
#include "gc.h"
#include "image.h"
#include "passwd.h"
#include "pull-output.h"
#include "reference.h"
#include "cleanup.h"
#include "commands.h"
#include "run-options.h"
#include "monitor.h"
#include "spare.h"
#include "terminal.h"
#include "util.h"

#define ROOTFS_TAG "rootfs"
#define ROOTFS_DISK "vda" /* the image disk is the first and only one */
/* Guest RAM is the container's limit plus what the guest kernel and agent
 * keep for themselves: measured ~22 MiB at boot plus the kernel's page
 * structures, ~1.6% of RAM (docs/PERFORMANCE.md). Small VMs get a floor. */
#define GUEST_OVERHEAD_MIB 24
#define GUEST_OVERHEAD_PER_MIB 50 /* one MiB more for every 50 of the limit */
#define GUEST_MIN_MIB 128
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
		env_add(p, xstrdup(DEFAULT_PATH));
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
		snprintf(c->rootfs_tag, sizeof(c->rootfs_tag), "%s", ROOTFS_TAG);
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
	return 0;
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
	if (o->memory) {
		uint64_t mib = (o->memory + (1 << 20) - 1) >> 20;
		mib += GUEST_OVERHEAD_MIB +
		       (mib + GUEST_OVERHEAD_PER_MIB - 1) / GUEST_OVERHEAD_PER_MIB;
		b->memory_mib = mib < GUEST_MIN_MIB ? GUEST_MIN_MIB : (unsigned)mib;
	}
	if (o->cpus_milli)
		b->vcpus = (o->cpus_milli + 999) / 1000;
}

static int usage_error(const struct error *e)
{
	launcher_error("%s\nSee 'launcher run --help'.", e->msg);
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

/* The foreground side: forwards signals to the monitor and waits for the
 * exit status it reports. */
static int client_wait(int fd, pid_t monitor, int sigfd)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = sigfd, .events = POLLIN}};
		struct monitor_msg m;
		struct signalfd_siginfo si;
		ssize_t n;

		if (poll(p, sigfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN && read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			m = (struct monitor_msg){.value = (int)si.ssi_signo};
			m.type = si.ssi_signo == SIGWINCH ? MONITOR_WINCH : MONITOR_SIGNAL;
			(void)!send(fd, &m, sizeof(m), MSG_NOSIGNAL);
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, &m, sizeof(m), 0);
		if (n == (ssize_t)sizeof(m) && m.type == MONITOR_RESULT) {
			terminal_restore();
			m.text[sizeof(m.text) - 1] = '\0';
			if (m.text[0])
				launcher_error("%s", m.text);
			return m.value;
		}
		if (n <= 0)
			break;
	}
	terminal_restore();
	launcher_error("the container's monitor (pid %d) exited without an exit status",
		       (int)monitor);
	return EXIT_LAUNCHER;
}

/* An image ID or a prefix of one ("sha256:3f2a..."), or a whole 64-digit
 * ID: looked for locally only, never pulled, as Docker does. */
static bool looks_like_id(const char *ref)
{
	size_t len = strlen(ref);

	return strncmp(ref, "sha256:", 7) == 0 ||
	       (len == DIGEST_HEX_LEN && strspn(ref, "0123456789abcdef") == len);
}

/* Docker's way with a missing image: say so, pull it (progress on
 * stderr), look again. */
static int pull_missing(const char *ref, struct store *st, struct error *e)
{
	struct pull_cli_options po = {0};
	struct registry_options ro;
	struct image_ref r;
	struct error perr = {0};
	char familiar[STORE_NAME_MAX];
	int rc;

	if (image_ref_parse(ref, &r, &perr) < 0 ||
	    image_ref_format_familiar(&r, familiar, sizeof(familiar)) < 0)
		return -e->code; /* image_lookup's message says it */
	error_clear(e);
	fprintf(stderr, "Unable to find image '%s' locally\n", familiar);
	rc = pull_options_add_env(&po, e);
	ro = pull_options_registry(&po);
	if (rc == 0)
		rc = launcher_pull(st, ref, &ro, stderr,
				   isatty(STDERR_FILENO) ? PULL_OUTPUT_TTY : PULL_OUTPUT_PLAIN,
				   false, e);
	pull_options_free(&po);
	return rc < 0 ? error_prefix(e, "pulling %s", familiar) : 0;
}

/* The image's root filesystem disk, built on first use. */
static int open_image(const char *ref, struct store *st, struct image *img, int *ret_hold,
		      struct error *e)
{
	char name[STORE_NAME_MAX], manifest[STORE_DIGEST_MAX];
	int r;

	if (store_open(st, NULL, e) < 0)
		return -e->code;
	r = image_lookup(st, ref, name, manifest, e);
	if (r == -ENOENT && !looks_like_id(ref)) {
		if (pull_missing(ref, st, e) < 0)
			return -e->code;
		r = image_lookup(st, ref, name, manifest, e);
	}
	if (r < 0 || image_open(st, name, manifest, img, e) < 0)
		return -e->code;
	/* Held for the container's life (the monitor inherits it), so that
	 * rmi and prune leave the disk alone; built again if a prune removed
	 * it between the two steps. */
	for (int attempt = 0;; attempt++) {
		int fd;
		if (image_prepare_rootfs(st, img, e) < 0)
			break;
		fd = image_hold(img->disk, e);
		if (fd >= 0) {
			*ret_hold = fd;
			return 0;
		}
		if (fd != -ENOENT || attempt > 0)
			break;
	}
	image_free(img);
	return -e->code;
}

int cmd_run(int argc, char **argv)
{
	struct run_options o;
	struct domain_share share = {.tag = ROOTFS_TAG, .readonly = 1};
	struct domain_disk disk = {.readonly = 1};
	struct monitor_opts mo = {.hold_fd = -1};
	struct run_ctx ctx = {.o = &o};
	struct image img;
	struct store st;
	struct error e = {0};
	char rootfs[PATH_MAX];
	int sv[2], sigfd, r, code = EXIT_LAUNCHER;
	pid_t pid;

	r = run_options_parse(argc, argv, &o, &e);
	if (r)
		return r > 0 ? 0 : usage_error(&e);
	if (o.tty && o.interactive && !isatty(STDIN_FILENO)) {
		launcher_error("the input device is not a TTY");
		goto out;
	}
	mo = (struct monitor_opts){
	    .boot = {.accel = o.accel},
	    .interactive = o.interactive,
	    .tty = o.tty,
	    .hostname = o.hostname,
	    .hold_fd = -1,
	    .build_create = build_create,
	    .ctx = &ctx,
	};
	if (o.image) {
		if (open_image(o.image, &st, &img, &mo.hold_fd, &e) < 0) {
			launcher_error("%s", e.msg);
			goto out;
		}
		ctx.img = &img;
		disk.source = img.disk;
		mo.boot.disks = &disk;
		mo.boot.ndisks = 1;
	} else {
		if (o.user && !o.has_user) {
			error_set(&e, EINVAL,
				  "invalid user \"%s\": with --rootfs, use a numeric UID[:GID]",
				  o.user);
			code = usage_error(&e);
			goto out;
		}
		if (check_rootfs(o.rootfs, rootfs, &e) < 0) {
			code = usage_error(&e);
			goto out;
		}
		share.source = rootfs;
		mo.boot.shares = &share;
		mo.boot.nshares = 1;
	}
	vm_size(&o, &mo.boot);
	{
		/* Mistakes in what to run (an unknown user, no command) are
		 * found here, before a VM is booted for nothing. */
		struct agent_request probe;
		r = build_create(&ctx, "probe", &probe, &e);
		agent_request_free(&probe);
		if (r < 0) {
			launcher_error("%s", e.msg);
			goto out_image;
		}
	}
	sigfd = client_signalfd(&o);
	/* A VM made ahead for these options (spare.h), else our own. */
	sv[0] = spare_claim(&mo, &pid);
	if (sv[0] >= 0)
		goto wait; /* the spare holds the image itself */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		launcher_error("socketpair: %s", strerror(errno));
		goto out_image;
	}
	pid = fork();
	if (pid < 0) {
		launcher_error("starting the monitor: %s", strerror(errno));
		goto out_image;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(sv[0]);
		if (sigfd >= 0)
			close(sigfd);
		monitor_main(sv[1], &mo);
	}
	close(sv[1]);
wait:
	/* The monitor (or the spare) holds the image now; the same lock held
	 * here too would outlive the container's exit. */
	if (mo.hold_fd >= 0)
		close(mo.hold_fd);
	mo.hold_fd = -1;
	if (o.tty && o.interactive)
		terminal_make_raw(STDIN_FILENO);
	code = client_wait(sv[0], pid, sigfd);
	close(sv[0]);
out_image:
	if (mo.hold_fd >= 0)
		close(mo.hold_fd);
	if (ctx.img)
		image_free(&img);
out:
	run_options_free(&o);
	return code;
}
