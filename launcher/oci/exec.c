/* oci exec: a further process in a running container, through its monitor
 * (MONITOR_EXEC, as `launcher exec`). With --detach the host process that
 * --pid-file names is a child of ours that stays the exec's client and
 * exits with the process's status, as the engines wait on it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "monitor.h"
#include "oci.h"
#include "util.h"

/* runc's exit code when exec itself fails (not the process). */
#define EXEC_FAILED 255

struct exec_opts {
	const char *process_file;
	const char *console_socket;
	const char *pid_file;
	const char *cwd;
	const char *user;
	char **env;
	size_t nenv;
	uint64_t caps_add;
	bool tty, detach, no_new_privs;
	const char *id;
	char **cmd;
	int ncmd;
};

static int parse_exec(int argc, char **argv, struct exec_opts *o, struct error *e)
{
	static const struct option longopts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"tty", no_argument, NULL, 't'},
	    {"detach", no_argument, NULL, 'd'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {"pid-file", required_argument, NULL, 'P'},
	    {"cwd", required_argument, NULL, 'w'},
	    {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},
	    {"cap", required_argument, NULL, 'C'},
	    {"no-new-privs", no_argument, NULL, 'n'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {"process-label", required_argument, NULL, 'l'},
	    {"apparmor", required_argument, NULL, 'a'},
	    {"ignore-paused", no_argument, NULL, 'i'},
	    {"cgroup", required_argument, NULL, 'g'},
	    {0},
	};
	int c, cap;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:tde:u:", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': o->process_file = optarg; break;
		case 't': o->tty = true; break;
		case 'd': o->detach = true; break;
		case 'c': o->console_socket = optarg; break;
		case 'P': o->pid_file = optarg; break;
		case 'w':
			if (optarg[0] != '/')
				return error_set(e, EINVAL, "--cwd %s: must be absolute", optarg);
			o->cwd = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return error_set(e, EINVAL, "--env %s: must be KEY=VALUE", optarg);
			o->env = xrealloc(o->env, (o->nenv + 1) * sizeof(*o->env));
			o->env[o->nenv++] = optarg;
			break;
		case 'u': o->user = optarg; break;
		case 'C':
			if (caps_parse(optarg, &cap, e) < 0)
				return error_prefix(e, "--cap");
			o->caps_add |= UINT64_C(1) << cap;
			break;
		case 'n': o->no_new_privs = true; break;
		case 'f':
			if (strcmp(optarg, "0") != 0)
				return error_set(e, EOPNOTSUPP,
						 "--preserve-fds %s: file descriptors cannot be "
						 "passed into a VM",
						 optarg);
			break;
		case 'l': case 'a': case 'i': case 'g':
			break; /* labels and host cgroups: nothing of the kind in the guest */
		default:
			return error_set(e, EINVAL, "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return error_set(e, EINVAL, "\"exec\" requires the container ID");
	o->id = argv[optind++];
	o->cmd = argv + optind;
	o->ncmd = argc - optind;
	if (!o->process_file && o->ncmd == 0)
		return error_set(e, EINVAL, "exec: give a command or --process");
	return 0;
}

/* "UID[:GID]", numbers only: the engines resolve names themselves. */
static int parse_ids(const char *s, uint32_t *uid, uint32_t *gid, struct error *e)
{
	uint64_t u, g;
	_cleanup_free_ char *copy = xstrdup(s);
	char *colon = strchr(copy, ':');

	if (colon)
		*colon++ = '\0';
	if (parse_uint(copy, UINT32_MAX - 1, &u) < 0 ||
	    (colon && parse_uint(colon, UINT32_MAX - 1, &g) < 0))
		return error_set(e, EINVAL, "--user %s: must be UID[:GID] in numbers", s);
	*uid = (uint32_t)u;
	if (colon)
		*gid = (uint32_t)g;
	return 0;
}

/* process.json replaces the process; its capabilities and no_new_privs,
 * when given, replace process 1's, whose seccomp filter stays. */
static int from_process_file(const char *path, struct process_spec *p, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	struct bundle_process bp = {0};
	struct process_security sec;
	size_t len;
	int r;

	r = read_file_bounded(path, BUNDLE_CONFIG_MAX, &text, &len);
	if (r < 0)
		return error_errno(e, -r, "reading %s", path);
	if (bundle_process_parse(text, len, &bp, e) < 0) {
		bundle_process_free(&bp);
		return -e->code;
	}
	sec = p->sec;
	memset(&p->sec, 0, sizeof(p->sec));
	process_spec_free(p);
	oci_process_fill(&bp, p);
	p->sec = sec;
	if (bp.has_caps)
		memcpy(p->sec.caps, bp.caps, sizeof(p->sec.caps));
	p->sec.no_new_privs = p->sec.no_new_privs || bp.no_new_privileges;
	if (bp.nrlimits) {
		memcpy(p->sec.rlimits, bp.rlimits, bp.nrlimits * sizeof(*bp.rlimits));
		p->sec.nrlimits = bp.nrlimits;
	}
	bundle_process_free(&bp);
	return 0;
}

static int build_request(const struct container_record *rec, const struct exec_opts *o,
			 bool interactive, struct agent_request *req, struct error *e)
{
	struct process_spec *p = &req->u.create.spec;

	if (!rec->config.create_request ||
	    agent_request_parse(rec->config.create_request, strlen(rec->config.create_request),
				req, e) < 0)
		return error_set(e, EINVAL, "container %s: its recorded process is unreadable",
				 o->id);
	if (o->process_file) {
		if (from_process_file(o->process_file, p, e) < 0)
			return -e->code;
	} else {
		for (size_t i = 0; i < p->nargs; i++)
			free(p->args[i]);
		free(p->args);
		p->args = xcalloc((size_t)o->ncmd + 1, sizeof(char *));
		for (int i = 0; i < o->ncmd; i++)
			p->args[i] = xstrdup(o->cmd[i]);
		p->nargs = (size_t)o->ncmd;
		p->terminal = o->tty;
	}
	for (size_t i = 0; i < o->nenv; i++)
		process_spec_setenv(p, o->env[i]);
	if (o->cwd) {
		free(p->cwd);
		p->cwd = xstrdup(o->cwd);
	}
	if (o->user && parse_ids(o->user, &p->uid, &p->gid, e) < 0)
		return -e->code;
	for (int s = 0; s < CAPSET__MAX; s++)
		if (s != CAPSET_AMBIENT)
			p->sec.caps[s] |= o->caps_add;
	p->sec.no_new_privs = p->sec.no_new_privs || o->no_new_privs;
	p->stdin = interactive || p->terminal;
	req->u.create.process = 2; /* the monitor picks the number */
	req->u.create.join = 1;
	req->u.create.rootfs_tag[0] = req->u.create.rootfs_disk[0] = '\0';
	req->u.create.hostname[0] = '\0';
	container_spec_free(&req->u.create.ct);
	return 0;
}

/* Waits for word that the process runs, or its result: writes to
 * started_fd a NUL byte, or why it did not start (then returns the code). */
static int wait_started(int fd, int started_fd)
{
	struct monitor_msg m;
	int code = EXEC_FAILED;

	for (;;) {
		ssize_t n = recv(fd, &m, sizeof(m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m)) {
			dprintf(started_fd, "exec failed: the container's monitor exited");
			break;
		}
		if (m.type == MONITOR_STARTED) {
			(void)!write(started_fd, "", 1);
			code = 0;
			break;
		}
		if (m.type == MONITOR_RESULT) {
			m.text[sizeof(m.text) - 1] = '\0';
			dprintf(started_fd, "exec failed: %s",
				m.text[0] ? m.text : "the process did not start");
			break;
		}
	}
	close(started_fd);
	return code;
}

/* The exec's client: sends the request with stdio, forwards signals and
 * resizes, and returns the process's exit code. started_fd (-1: none)
 * is told when the process runs: `exec -d` returns then, or with why it
 * did not start. */
static int exec_client(const struct oci_globals *g, const struct container_record *rec,
		       const char *payload, size_t len, const int stdio[3], bool tty,
		       bool interactive, int started_fd)
{
	struct monitor_msg m = {.type = MONITOR_EXEC, .value = (int)len};
	sigset_t set;
	int fd, sigfd;

	m.flags = (interactive ? MONITOR_FLAG_INTERACTIVE : 0) | (tty ? MONITOR_FLAG_TTY : 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (tty)
		sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	fd = monitor_connect(g->root, rec->config.id);
	if (fd < 0 || monitor_send(fd, &m, stdio, 3, payload, len) < 0) {
		fprintf(stderr, "launcher-oci: exec failed: container %s is not running\n",
			rec->config.name);
		return EXEC_FAILED;
	}
	if (started_fd >= 0) {
		int code = wait_started(fd, started_fd);
		if (code)
			return code;
	}
	return monitor_client_wait(fd, sigfd, "the container's monitor");
}

int oci_exec(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct exec_opts o = {0};
	struct container_record rec = {0};
	struct agent_request req = {0};
	_cleanup_free_ char *payload = NULL;
	int stdio[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	int slave = -1, code = EXEC_FAILED, pid, started[2];
	char why[2048]; /* a monitor_msg text and our words */
	ssize_t n;
	bool interactive;
	size_t len = 0;
	pid_t child;

	if (parse_exec(argc, argv, &o, e) < 0)
		goto out;
	if (oci_load(g, o.id, &rec, e) < 0)
		goto out;
	if (strcmp(oci_status(g, &rec, &pid), "running") != 0) {
		error_set(e, ESRCH, "exec failed: cannot exec in a stopped container");
		goto out;
	}
	interactive = oci_stdin_given();
	if (build_request(&rec, &o, interactive, &req, e) < 0)
		goto out;
	payload = agent_request_format(&req, &len);
	if (!payload) {
		error_set(e, ENOMEM, "formatting the process");
		goto out;
	}
	if (req.u.create.spec.terminal) {
		/* The slave becomes the detached client's controlling
		 * terminal: the engine's resizes come to it as SIGWINCH. */
		if (!o.console_socket) {
			error_set(e, EINVAL, "exec --tty needs --console-socket");
			goto out;
		}
		if (oci_open_console(o.console_socket, 0, 0, &slave, e) < 0)
			goto out;
		stdio[0] = stdio[1] = stdio[2] = slave;
	}
	if (!o.detach) {
		code = exec_client(g, &rec, payload, len, stdio, slave >= 0, interactive, -1);
		goto out;
	}
	if (pipe2(started, O_CLOEXEC) < 0) {
		error_errno(e, errno, "pipe");
		goto out;
	}
	child = fork();
	if (child < 0) {
		error_errno(e, errno, "fork");
		close(started[0]);
		close(started[1]);
		goto out;
	}
	if (child == 0) {
		/* The client outlives this call: it keeps nothing of the
		 * caller's but what the process gets. With a terminal that is
		 * the pty alone, also as our stdio: a shim reading our stdout
		 * to its EOF would otherwise wait for the exec to end. */
		if (slave >= 0) {
			setsid();
			(void)ioctl(slave, TIOCSCTTY, 0);
			for (int i = 0; i <= 2; i++)
				dup2(slave, i);
			stdio[0] = stdio[1] = stdio[2] = STDIN_FILENO;
		}
		if (started[1] != 3)
			dup2(started[1], 3);
		close_range(4, ~0u, 0);
		_exit(exec_client(g, &rec, payload, len, stdio, slave >= 0, interactive, 3));
	}
	/* As runc's: returns once the process runs, or fails with why not. */
	close(started[1]);
	n = read_full(started[0], why, sizeof(why) - 1);
	close(started[0]);
	if (n != 1 || why[0] != '\0') {
		why[n > 0 ? n : 0] = '\0';
		error_set(e, EIO, "%s", n > 0 ? why : "exec failed: its client exited");
		waitpid(child, NULL, 0);
		goto out;
	}
	code = o.pid_file && oci_write_pid_file(o.pid_file, child, e) < 0 ? EXEC_FAILED : 0;
out:
	if (slave >= 0)
		close(slave);
	agent_request_free(&req);
	container_record_free(&rec);
	free(o.env);
	return code;
}
