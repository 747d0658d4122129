/* What the OCI verbs share: finding a container by its ID, its status and
 * state JSON as runc words them, pid files, the bundle's config, signals,
 * the console socket and hooks. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci.h"
#include "signals.h"
#include "util.h"

#define HOOK_TIMEOUT_DEFAULT_S 60

int oci_load(const struct oci_globals *g, const char *id, struct container_record *ret,
	     struct error *e)
{
	char full[CONTAINER_ID_LEN + 1];
	int r;

	memset(ret, 0, sizeof(*ret));
	/* Exact: the name (the OCI ID), or the whole 64-digit record ID. */
	if (!id[0])
		return error_set(e, ENOENT, "container \"\" does not exist");
	r = container_find(g->root, id, full, e);
	/* Not found, or only a prefix of several: neither is an ID. The
	 * runtime root unreadable is said as it is. */
	if (r == -ENOENT || r == -EINVAL)
		return error_set(e, ENOENT, "container \"%s\" does not exist", id);
	if (r < 0)
		return r;
	if (container_load(g->root, full, ret, e) < 0) {
		container_record_free(ret);
		return error_prefix(e, "container \"%s\"", id);
	}
	if (strcmp(ret->config.name, id) != 0 && strcmp(ret->config.id, id) != 0) {
		container_record_free(ret);
		return error_set(e, ENOENT, "container \"%s\" does not exist", id);
	}
	if (!ret->config.bundle) {
		container_record_free(ret);
		return error_set(e, ENOENT,
				 "container \"%s\" does not exist (a `launcher run` container, not "
				 "an OCI one)",
				 id);
	}
	return 0;
}

const char *oci_status(const struct oci_globals *g, const struct container_record *r, int *ret_pid)
{
	bool alive = container_monitor_alive(g->root, r->config.id);

	*ret_pid = 0;
	switch (r->state.status) {
	case CONTAINER_CREATED:
		if (!alive)
			return "stopped";
		*ret_pid = r->state.monitor_pid;
		return "created";
	case CONTAINER_RUNNING:
		*ret_pid = r->state.monitor_pid;
		return "running";
	default:
		return "stopped";
	}
}

static void rfc3339(uint64_t ns, char *buf, size_t size)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned long long)(ns % 1000000000ull));
}

/* Annotations are in config.json as it was at create. */
static json_t *annotations_of(const struct oci_globals *g, const struct container_record *r)
{
	struct bundle_config c;
	struct error e = {0};
	json_t *o = json_object();

	if (oci_saved_config(g, r, &c, &e) == 0)
		for (size_t i = 0; i < c.nannotations; i++)
			json_object_set_new(o, c.annotation_keys[i],
					    json_string(c.annotation_values[i]));
	bundle_config_free(&c);
	return o;
}

char *oci_state_json(const struct oci_globals *g, const struct container_record *r)
{
	char created[64];
	int pid;
	const char *status = oci_status(g, r, &pid);
	json_t *o;
	char *text;

	rfc3339(r->config.created_ns, created, sizeof(created));
	o = json_pack("{ss ss ss si ss ss ss ss}", "ociVersion", OCI_VERSION, "id",
		      r->config.name, "status", status, "pid", pid, "bundle", r->config.bundle,
		      "rootfs", r->config.rootfs ? r->config.rootfs : "", "created", created,
		      "owner", "");
	if (!o)
		return NULL;
	json_object_set_new(o, "annotations", annotations_of(g, r));
	text = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	return text;
}

int oci_write_pid_file(const char *path, int pid, struct error *e)
{
	char text[32];
	int r;

	snprintf(text, sizeof(text), "%d", pid);
	r = write_file_atomic(path, text, strlen(text), 0644);
	return r < 0 ? error_errno(e, -r, "writing the pid file %s", path) : 0;
}

static int read_config_file(const char *path, struct bundle_config *ret, struct error *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = read_file_bounded(path, BUNDLE_CONFIG_MAX, &buf, &len);
	if (r == -EFBIG)
		return error_set(e, EFBIG, "%s is larger than %u bytes", path, BUNDLE_CONFIG_MAX);
	if (r < 0)
		return error_errno(e, -r, "reading %s", path);
	return bundle_config_parse(buf, len, ret, e);
}

int oci_read_config(const char *bundle, struct bundle_config *ret, struct error *e)
{
	char path[PATH_MAX];

	memset(ret, 0, sizeof(*ret));
	if (bprintf(path, sizeof(path), "%s/config.json", bundle) < 0)
		return error_set(e, ENAMETOOLONG, "bundle path too long");
	return read_config_file(path, ret, e);
}

int oci_save_config(const struct oci_globals *g, const char *id, const char *bundle,
		    struct error *e)
{
	char from[PATH_MAX], to[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (bprintf(from, sizeof(from), "%s/config.json", bundle) < 0 ||
	    container_path(g->root, id, OCI_SAVED_CONFIG, to, sizeof(to)) < 0)
		return error_set(e, ENAMETOOLONG, "bundle path too long");
	r = read_file_bounded(from, BUNDLE_CONFIG_MAX, &buf, &len);
	if (r < 0)
		return error_errno(e, -r, "reading %s", from);
	r = write_file_atomic(to, buf, len, 0600);
	if (r < 0)
		return error_errno(e, -r, "writing %s", to);
	return 0;
}

int oci_saved_config(const struct oci_globals *g, const struct container_record *r,
		     struct bundle_config *ret, struct error *e)
{
	char path[PATH_MAX];

	memset(ret, 0, sizeof(*ret));
	if (container_path(g->root, r->config.id, OCI_SAVED_CONFIG, path, sizeof(path)) < 0)
		return error_set(e, ENAMETOOLONG, "runtime root too long");
	return read_config_file(path, ret, e);
}

bool oci_stdin_given(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) < 0)
		return false;
	return !(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
}

int oci_parse_signal(const char *s, int *ret, struct error *e)
{
	int sig = signal_parse(s);

	if (sig <= 0)
		return error_set(e, EINVAL, "unknown signal \"%s\"", s);
	*ret = sig;
	return 0;
}

static int send_console(const char *socket_path, int master, struct error *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[] = "/dev/ptmx";
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = {0};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	_cleanup_close_ int fd = -1;

	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return error_set(e, ENAMETOOLONG, "console socket %s: path too long", socket_path);
	strcpy(sa.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return error_errno(e, errno, "connecting to the console socket %s", socket_path);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		return error_errno(e, errno, "sending the terminal to %s", socket_path);
	return 0;
}

int oci_open_console(const char *socket_path, uint16_t rows, uint16_t cols, int *ret_slave,
		     struct error *e)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};
	struct termios t;
	int master, slave, r;

	if (openpty(&master, &slave, NULL, NULL, rows && cols ? &ws : NULL) < 0)
		return error_errno(e, errno, "opening a pty");
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(slave, F_SETFD, FD_CLOEXEC);
	r = send_console(socket_path, master, e);
	close(master);
	if (r < 0) {
		close(slave);
		return r;
	}
	/* Raw: the guest's pty has the line discipline. */
	if (tcgetattr(slave, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(slave, TCSANOW, &t);
	}
	*ret_slave = slave;
	return 0;
}

/* One hook: its own process with the state on stdin, killed after its
 * timeout. */
#define HOOK_OUTPUT_MAX 512 /* of a failing hook's output, in the error */

/* What a hook wrote so far: the first HOOK_OUTPUT_MAX bytes kept. */
static void keep_output(int fd, char *output, size_t *got)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t take = (size_t)n < HOOK_OUTPUT_MAX - *got ? (size_t)n : HOOK_OUTPUT_MAX - *got;
		memcpy(output + *got, buf, take);
		*got += take;
	}
}

/* A hook: the state on its stdin, its output (stdout and stderr) read
 * here, not left on our stdio for an engine to wait on; killed at its
 * timeout, whatever it does with its pipes. */
static int run_hook(const struct bundle_hook *h, const char *state, struct error *e)
{
	int in[2], out[2], status = 0;
	uint64_t deadline = now_ns() + (uint64_t)(h->timeout > 0 ? h->timeout
								  : HOOK_TIMEOUT_DEFAULT_S) *
					   1000000000ull;
	size_t len = strlen(state), off = 0, got = 0;
	char output[HOOK_OUTPUT_MAX + 1];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return error_errno(e, errno, "hook %s: pipe", h->path);
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return error_errno(e, errno, "hook %s: pipe", h->path);
	}
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return error_errno(e, errno, "hook %s: fork", h->path);
	}
	if (pid == 0) {
		char *const none[] = {NULL};
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		close_range(3, ~0u, 0);
		execve(h->path, h->nargs ? h->args : (char *const[]){(char *)h->path, NULL},
		       h->nenv ? h->env : none);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fd_set_nonblock(in[1], true);
	fd_set_nonblock(out[0], true);
	for (;;) {
		struct pollfd pfd[2] = {{.fd = out[0], .events = POLLIN},
					{.fd = in[1], .events = POLLOUT}};
		uint64_t now = now_ns();
		ssize_t n;

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (now >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(out[0]);
			if (in[1] >= 0)
				close(in[1]);
			return error_set(e, ETIMEDOUT, "hook %s: timed out after %d s", h->path,
					 h->timeout > 0 ? h->timeout : HOOK_TIMEOUT_DEFAULT_S);
		}
		/* Short rounds: the hook's exit is polled, not signalled. */
		(void)poll(pfd, in[1] >= 0 ? 2 : 1, 10);
		keep_output(out[0], output, &got);
		if (in[1] >= 0) {
			n = write(in[1], state + off, len - off);
			if (n > 0)
				off += (size_t)n;
			if (off == len || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	keep_output(out[0], output, &got);
	close(out[0]);
	while (got && (output[got - 1] == '\n' || output[got - 1] == '\r'))
		got--;
	output[got] = '\0';
	utf8_scrub(output);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_set(e, EIO, "hook %s failed (%s %d)%s%s", h->path,
				 WIFEXITED(status) ? "exit status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				 got ? ": " : "", output);
	return 0;
}

int oci_run_hooks(const struct bundle_config *c, enum bundle_hook_kind kind,
		  const char *state_json, struct error *e)
{
	for (size_t i = 0; i < c->nhooks[kind]; i++)
		if (run_hook(&c->hooks[kind][i], state_json ? state_json : "{}", e) < 0)
			return -e->code;
	return 0;
}
