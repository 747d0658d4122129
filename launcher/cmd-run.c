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
#include "cleanup.h"
#include "commands.h"
#include "run-options.h"
#include "monitor.h"
#include "spare.h"
#include "terminal.h"
#include "util.h"

#define ROOTFS_TAG "rootfs"
/* Guest RAM is the container's limit plus what the guest kernel and agent
 * keep for themselves: measured ~22 MiB at boot plus the kernel's page
 * structures, ~1.6% of RAM (docs/PERFORMANCE.md). Small VMs get a floor. */
#define GUEST_OVERHEAD_MIB 24
#define GUEST_OVERHEAD_PER_MIB 50 /* one MiB more for every 50 of the limit */
#define GUEST_MIN_MIB 128
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool env_has(char **env, size_t n, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < n; i++)
		if (strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
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

/* Docker's environment: the user's variables, plus PATH, HOSTNAME, HOME
 * and (with -t) TERM where the user gave none. */
static void build_env(const struct run_options *o, const char *hostname, struct process_spec *p)
{
	for (unsigned i = 0; i < o->nenv; i++)
		env_add(p, xstrdup(o->env[i]));
	if (!env_has(p->env, p->nenv, "PATH"))
		env_add(p, xstrdup(DEFAULT_PATH));
	if (!env_has(p->env, p->nenv, "HOSTNAME"))
		env_add(p, xasprintf("HOSTNAME=%s", hostname));
	if (o->tty && !env_has(p->env, p->nenv, "TERM"))
		env_add(p, xstrdup("TERM=xterm"));
	if (!env_has(p->env, p->nenv, "HOME"))
		env_add(p, xstrdup(p->uid == 0 ? "HOME=/root" : "HOME=/"));
}

static void build_args(const struct run_options *o, struct process_spec *p)
{
	size_t n = 0;

	p->args = xcalloc(o->ncommand + 2, sizeof(*p->args));
	if (o->entrypoint && o->entrypoint[0])
		p->args[n++] = xstrdup(o->entrypoint);
	for (unsigned i = 0; i < o->ncommand; i++)
		p->args[n++] = xstrdup(o->command[i]);
	p->nargs = n;
}

static int build_create(const void *ctx, const char *hostname, struct agent_request *req,
			struct error *e)
{
	const struct run_options *o = ctx;
	struct create_args *c = &req->u.create;
	struct process_spec *p = &c->spec;

	memset(req, 0, sizeof(*req));
	req->op = AGENT_OP_CREATE;
	c->process = 1;
	snprintf(c->rootfs_tag, sizeof(c->rootfs_tag), "%s", ROOTFS_TAG);
	if (strlen(hostname) >= sizeof(c->hostname))
		return error_set(e, EINVAL, "host name \"%s\" is too long", hostname);
	strcpy(c->hostname, hostname);
	p->uid = o->has_user ? o->uid : 0;
	p->gid = o->has_user ? o->gid : 0;
	p->cwd = xstrdup(o->workdir ? o->workdir : "/");
	p->terminal = o->tty;
	p->stdin = o->interactive;
	if (o->tty && !terminal_size_any(&p->rows, &p->cols)) {
		p->rows = 24;
		p->cols = 80;
	}
	build_args(o, p);
	if (p->nargs == 0)
		return error_set(e, EINVAL, "no command given");
	build_env(o, hostname, p);
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

int cmd_run(int argc, char **argv)
{
	struct run_options o;
	struct domain_share share = {.tag = ROOTFS_TAG, .readonly = 1};
	struct monitor_opts mo = {0};
	struct error e = {0};
	char rootfs[PATH_MAX];
	int sv[2], sigfd, r, code = EXIT_LAUNCHER;
	pid_t pid;

	r = run_options_parse(argc, argv, &o, &e);
	if (r)
		return r > 0 ? 0 : usage_error(&e);
	if (o.image) {
		launcher_error(
		    "image \"%s\" not found in the local store; images are not supported "
		    "yet: use --rootfs DIR",
		    o.image);
		goto out;
	}
	if (o.tty && o.interactive && !isatty(STDIN_FILENO)) {
		launcher_error("the input device is not a TTY");
		goto out;
	}
	if (check_rootfs(o.rootfs, rootfs, &e) < 0) {
		code = usage_error(&e);
		goto out;
	}
	share.source = rootfs;
	mo = (struct monitor_opts){
	    .boot = {.accel = o.accel, .shares = &share, .nshares = 1},
	    .interactive = o.interactive,
	    .tty = o.tty,
	    .hostname = o.hostname,
	    .build_create = build_create,
	    .ctx = &o,
	};
	vm_size(&o, &mo.boot);
	sigfd = client_signalfd(&o);
	/* A VM made ahead for these options (spare.h), else our own. */
	sv[0] = spare_claim(&mo, &pid);
	if (sv[0] >= 0)
		goto wait;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		launcher_error("socketpair: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		launcher_error("starting the monitor: %s", strerror(errno));
		goto out;
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
	if (o.tty && o.interactive)
		terminal_make_raw(STDIN_FILENO);
	code = client_wait(sv[0], pid, sigfd);
	close(sv[0]);
out:
	run_options_free(&o);
	return code;
}
