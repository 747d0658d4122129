/* oci create, start and run: the container recorded from its bundle, its
 * VM booted by a monitor forked here (so that it is a descendant of the
 * engine's subreaper, conmon or the shim), process 1 made and held until
 * `start`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "boot.h"
#include "cleanup.h"
#include "container-ops.h"
#include "container-start.h"
#include "monitor.h"
#include "oci.h"
#include "util.h"

/* Boot, agent and create: as for `launcher run -d`, and then some. */

#define CREATED_TIMEOUT_MS (BOOT_AGENT_TIMEOUT_MS + 60000)

struct create_opts {
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
	bool detach; /* run -d */
	const char *id;
};

static int parse_create(int argc, char **argv, bool run, struct create_opts *o, struct error *e)
{
	static const struct option longopts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"pid-file", required_argument, NULL, 'p'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {"detach", no_argument, NULL, 'd'},
	    {"no-pivot", no_argument, NULL, 'n'},
	    {"no-new-keyring", no_argument, NULL, 'k'},
	    {"no-subreaper", no_argument, NULL, 's'},
	    {"keep", no_argument, NULL, 'K'},
	    {0},
	};
	uint64_t n;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+b:d", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'c':
			o->console_socket = optarg;
			break;
		case 'f':
			if (parse_uint(optarg, 1024, &n) < 0)
				return error_set(e, EINVAL, "invalid --preserve-fds \"%s\"", optarg);
			o->preserve_fds = (int)n;
			break;
		case 'd':
			if (!run)
				return error_set(e, EINVAL, "unknown flag: --detach");
			o->detach = true;
			break;
		case 'n': case 'k': case 's': case 'K':
			break; /* pivot_root, keyrings, reaping: the agent's business in the VM */
		default:
			return error_set(e, EINVAL, "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return error_set(e, EINVAL, "\"%s\" requires exactly 1 argument: the container ID",
				 run ? "run" : "create");
	o->id = argv[optind];
	if (o->preserve_fds > 0)
		return error_set(e, EOPNOTSUPP,
				 "--preserve-fds %d: file descriptors cannot be passed into a VM",
				 o->preserve_fds);
	return 0;
}

static bool under_mount(const struct bundle_config *c, const char *path)
{
	for (size_t i = 0; i < c->nmounts; i++) {
		size_t n = strlen(c->mounts[i].destination);
		if (strncmp(path, c->mounts[i].destination, n) == 0 && path[n] == '/')
			return true;
	}
	return false;
}

static bool in_root(int root_fd, const char *path, const struct bundle_config *c)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd;

	if (under_mount(c, path))
		return true; /* on a bind mount: seen only in the VM */
	fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* runc finds process 1's program at create, so that engines hear "not
 * found" from create (podman's 127); so here, in the bundle's root on the
 * host, by the process's PATH. Whether it may run is for start to say. */
static int check_program(const char *root, const struct bundle_config *c, struct error *e)
{
	const char *file = c->process.args[0], *path = CONTAINER_DEFAULT_PATH;
	char buf[PATH_MAX];
	_cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root_fd < 0)
		return 0; /* the rest of create says what is wrong */
	for (size_t i = 0; i < c->process.nenv; i++)
		if (strncmp(c->process.env[i], "PATH=", 5) == 0)
			path = c->process.env[i] + 5;
	if (strchr(file, '/')) {
		if (bprintf(buf, sizeof(buf), "%s/%s", file[0] == '/' ? "" : c->process.cwd,
			    file) == 0 && in_root(root_fd, buf, c))
			return 0;
		return error_set(e, ENOENT, "exec: \"%s\": no such file or directory", file);
	}
	for (const char *p = path;; ) {
		const char *colon = strchrnul(p, ':');
		int n = (int)(colon - p);
		if (n > 0 && bprintf(buf, sizeof(buf), "%.*s/%s", n, p, file) == 0 &&
		    in_root(root_fd, buf, c))
			return 0;
		if (!*colon)
			break;
		p = colon + 1;
	}
	return error_set(e, ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}

static int set_created(struct container_state *s, void *ctx, struct error *e)
{
	s->monitor_pid = *(int *)ctx;
	return 0;
}

/* Gets rid of a container that did not make it to "created". */
static void undo(const struct oci_globals *g, const char *id, pid_t monitor)
{
	struct error ignored = {0};

	if (monitor > 0) {
		kill(monitor, SIGKILL);
		waitpid(monitor, NULL, 0);
	}
	(void)oci_remove(g, id, &ignored);
}

/* Waits for the monitor's word that process 1 exists. */
static int wait_created(int fd, struct error *e)
{
	struct monitor_msg m;

	if (monitor_recv(fd, &m, NULL, 0, NULL, CREATED_TIMEOUT_MS) < 0)
		return error_set(e, EPROTO, "the container's monitor exited before the container "
					    "was created");
	if (m.type == MONITOR_CREATED)
		return 0;
	return error_set(e, EIO, "%s", m.type == MONITOR_RESULT && m.text[0] ? m.text
						: "the container could not be created");
}

/* create, and run's first half: returns the monitor's pid, or -errno. */
static pid_t create_container(const struct oci_globals *g, const struct create_opts *o,
			      struct error *e)
{
	char bundle[PATH_MAX];
	struct bundle_config c = {0};
	struct container_record rec = {0};
	struct oci_files files = {0};
	struct start_request sr = {.run_root = g->root, .hold_fd = -1};
	_cleanup_free_ char *state = NULL;
	char id[CONTAINER_ID_LEN + 1] = "";
	pid_t pid = -1;
	int fd = -1, slave = -1, r;

	if (!realpath(o->bundle ? o->bundle : ".", bundle))
		return error_errno(e, errno, "bundle %s", o->bundle ? o->bundle : ".");
	r = oci_read_config(bundle, &c, e);
	if (r == 0 && mkdir_p(g->root, 0700) < 0)
		r = error_errno(e, errno, "creating the runtime root %s", g->root);
	if (r == 0) {
		if (oci_load(g, o->id, &rec, e) == 0) {
			container_record_free(&rec);
			r = error_set(e, EEXIST, "container with given ID already exists: %s", o->id);
		} else {
			error_clear(e);
		}
	}
	if (r == 0)
		r = oci_bundle_to_record(g->root, bundle, &c, o->id, oci_stdin_given(),
					 &rec.config, &files, e);
	if (r == 0)
		r = check_program(rec.config.rootfs, &c, e);
	if (r == 0 && c.process.terminal && !o->console_socket)
		r = error_set(e, EINVAL,
			      "cannot allocate tty if runc will detach without setting console "
			      "socket: process.terminal is true, give --console-socket");
	if (r == 0 && c.process.terminal)
		r = oci_open_console(o->console_socket, c.process.rows, c.process.cols, &slave, e);
	if (r == 0 && container_create(g->root, &rec.config, e) < 0)
		r = -e->code;
	if (r < 0)
		goto out;
	/* Loaded again as recorded (container_load clears rec first). */
	snprintf(id, sizeof(id), "%s", rec.config.id);
	container_record_free(&rec);
	if (oci_files_stage(g, id, &files, e) < 0 || oci_save_config(g, id, bundle, e) < 0 ||
	    container_load(g->root, id, &rec, e) < 0) {
		r = -e->code;
		undo(g, id, -1);
		goto out;
	}
	sr.rec = &rec;
	sr.has_console = slave >= 0;
	sr.console_fd = slave;
	fd = container_start(&sr, &pid, e);
	if (fd < 0) {
		r = fd;
		undo(g, id, -1);
		goto out;
	}
	r = wait_created(fd, e);
	if (r == 0)
		r = container_update(g->root, id, set_created, &pid, e);
	container_record_free(&rec);
	if (r == 0 && container_load(g->root, id, &rec, e) == 0) {
		state = oci_state_json(g, &rec);
		if (oci_run_hooks(&c, BUNDLE_HOOK_PRESTART, state, e) < 0 ||
		    oci_run_hooks(&c, BUNDLE_HOOK_CREATE_RUNTIME, state, e) < 0 ||
		    oci_run_hooks(&c, BUNDLE_HOOK_CREATE_CONTAINER, state, e) < 0)
			r = -e->code;
	}
	if (r == 0 && o->pid_file)
		r = oci_write_pid_file(o->pid_file, pid, e);
	if (r < 0)
		undo(g, id, pid);
out:
	if (fd >= 0)
		close(fd);
	if (slave >= 0)
		close(slave);
	container_record_free(&rec);
	bundle_config_free(&c);
	oci_files_free(&files);
	return r < 0 ? r : pid;
}

int oci_create(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct create_opts o;

	if (parse_create(argc, argv, false, &o, e) < 0)
		return OCI_EXIT_FAILURE;
	return create_container(g, &o, e) < 0 ? OCI_EXIT_FAILURE : 0;
}

/* Tells the monitor of a created container to start process 1, then runs
 * the poststart hooks. */
static int start_container(const struct oci_globals *g, const char *id, struct error *e)
{
	struct container_record rec;
	struct bundle_config c;
	struct monitor_msg m = {.type = MONITOR_START};
	_cleanup_free_ char *state = NULL;
	const char *status;
	int pid, fd, r;

	if (oci_load(g, id, &rec, e) < 0)
		return -e->code;
	status = oci_status(g, &rec, &pid);
	if (strcmp(status, "created") != 0) {
		r = error_set(e, EINVAL, "cannot start %s",
			      strcmp(status, "running") == 0 ? "an already running container"
							     : "a container that has stopped");
		goto out;
	}
	fd = monitor_connect(g->root, rec.config.id);
	if (fd < 0) {
		r = error_errno(e, errno, "container %s: its monitor is gone", id);
		goto out;
	}
	if (monitor_send(fd, &m, NULL, 0, NULL, 0) < 0 ||
	    monitor_recv(fd, &m, NULL, 0, NULL, CREATED_TIMEOUT_MS) < 0 ||
	    m.type != MONITOR_RESULT) {
		r = error_set(e, EPROTO, "container %s: its monitor did not answer", id);
	} else if (m.value != 0) {
		r = error_set(e, EIO, "%s", m.text[0] ? m.text : "the container did not start");
	} else {
		r = 0;
	}
	close(fd);
	if (r == 0 && oci_saved_config(g, &rec, &c, e) == 0) {
		container_record_free(&rec);
		if (oci_load(g, id, &rec, e) == 0) {
			state = oci_state_json(g, &rec);
			/* runc: a failing poststart hook is a warning. */
			if (oci_run_hooks(&c, BUNDLE_HOOK_POSTSTART, state, e) < 0)
				fprintf(stderr, "launcher-oci: warning: %s\n", e->msg);
		}
		bundle_config_free(&c);
		error_clear(e);
	}
out:
	container_record_free(&rec);
	return r;
}

int oci_start(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	if (argc != 2)
		return error_set(e, EINVAL, "\"start\" requires exactly 1 argument: the container ID"),
		       OCI_EXIT_FAILURE;
	return start_container(g, argv[1], e) < 0 ? OCI_EXIT_FAILURE : 0;
}

/* run's end, as runc's: the container destroyed (poststop hooks, its
 * record removed), its monitor killed first if it still waits. */
static void destroy(const struct oci_globals *g, const char *id)
{
	struct container_record rec;
	struct error e = {0};

	if (oci_load(g, id, &rec, &e) < 0)
		return;
	if (oci_destroy(g, &rec, &e) < 0)
		fprintf(stderr, "launcher-oci: %s\n", e.msg);
	container_record_free(&rec);
}

/* Waits for the monitor (the container's status is its), passing on the
 * signals we get to process 1, as runc's foreground run does. */
static int wait_forwarding(const struct oci_globals *g, const char *id, pid_t pid)
{
	static const int passed_on[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	struct container_record rec;
	struct error e = {0};
	sigset_t set;
	int status, sfd;

	if (oci_load(g, id, &rec, &e) < 0) {
		waitpid(pid, &status, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(passed_on) / sizeof(*passed_on); i++)
		sigaddset(&set, passed_on[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	for (;;) {
		struct pollfd pfd = {.fd = sfd, .events = POLLIN};
		struct signalfd_siginfo si;
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		/* The monitor's exit is polled: a SIGCHLD handler is not ours. */
		(void)poll(&pfd, sfd >= 0 ? 1 : 0, 100);
		while (sfd >= 0 && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			struct error ignored = {0};
			(void)container_kill(g->root, rec.config.id, (int)si.ssi_signo, &ignored);
		}
	}
	if (sfd >= 0)
		close(sfd);
	container_record_free(&rec);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int oci_run(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct create_opts o;
	int code;
	pid_t pid;

	if (parse_create(argc, argv, true, &o, e) < 0)
		return OCI_EXIT_FAILURE;
	pid = create_container(g, &o, e);
	if (pid < 0)
		return OCI_EXIT_FAILURE;
	if (start_container(g, o.id, e) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		destroy(g, o.id);
		return OCI_EXIT_FAILURE;
	}
	if (o.detach)
		return 0;
	/* In the foreground: the container's status is ours, as runc's. */
	code = wait_forwarding(g, o.id, pid);
	destroy(g, o.id);
	return code;
}
