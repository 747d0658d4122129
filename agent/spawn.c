#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "confine.h"
#include "console.h"
#include "exec-search.h"
#include "pty.h"
#include "rootfs.h"
#include "util.h"

#define SPAWN_CLONE_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC)
/* With a cgroup: its own cgroup namespace too, rooted at its cgroup, made
 * by the child once it is in there (the clone puts it there). */
/* The child's report socket, once its stdio is in place. */
#define REPORT_FD 3

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3's argument (linux/sched.h, whose other definitions clash with
 * glibc's sched.h). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
	    set_tid, set_tid_size, cgroup;
};

/* The namespaces an exec'd process enters, besides the PID one (which the
 * agent enters for its children around the clone). */
static const struct {
	const char *name;
	int type;
} join_ns[] = {{"ipc", CLONE_NEWIPC},
	       {"uts", CLONE_NEWUTS},
	       {"net", CLONE_NEWNET},
	       {"cgroup", CLONE_NEWCGROUP},
	       {"mnt", CLONE_NEWNS}};
#define JOIN_NS_N (sizeof(join_ns) / sizeof(*join_ns))

struct report_msg {
	int32_t kind;
	int32_t code;
	char text[ERROR_MSG_MAX];
};

/* ---- the child ---- */

static void send_report(int kind, int code, const char *text, int fd)
{
	struct report_msg m = {.kind = kind, .code = code};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	snprintf(m.text, sizeof(m.text), "%s", text);
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), &fd, sizeof(int));
	}
	while (sendmsg(REPORT_FD, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static noreturn void fail(int code, const char *text)
{
	send_report(SPAWN_REPORT_FAILED, code, text, -1);
	_exit(127);
}

/* A failure to set up the container, as opposed to one of the command. */
static noreturn void fail_setup(const struct error *e)
{
	fail(EIO, e->msg);
}

static void reset_signals(void)
{
	sigset_t none;

	/* The agent blocks SIGCHLD for its signalfd and ignores SIGPIPE;
	 * both would pass through execve. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* fds 0-2 from the config (or /dev/null), the report socket on REPORT_FD,
 * nothing else: the agent's listeners, connections and epoll stay out. */
static void setup_fds(const struct spawn_config *c, int report)
{
	struct error e = {0};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0) {
		/* Before the report socket is in place: nobody to tell. */
		_exit(127);
	}
	for (int i = 0; i < 3; i++) {
		int src = !c->spec->terminal && c->stdio[i] >= 0 ? c->stdio[i] : null;
		if (dup2(src, i) < 0)
			_exit(127);
	}
	/* Sources are all above 2; one on REPORT_FD is in place already. */
	if (report != REPORT_FD && dup3(report, REPORT_FD, O_CLOEXEC) < 0)
		_exit(127);
	if (close_range(REPORT_FD + 1, ~0u, 0) < 0) {
		error_errno(&e, errno, "closing the agent's fds");
		fail_setup(&e);
	}
}

static void setup_terminal(const struct process_spec *spec)
{
	struct error e = {0};
	int master, slave;

	if (pty_open(spec->uid, spec->rows, spec->cols, &master, &slave, &e) < 0)
		fail_setup(&e);
	send_report(SPAWN_REPORT_PTY, 0, "", master);
	close(master);
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0) {
			error_errno(&e, errno, "putting the terminal on fd %d", i);
			fail_setup(&e);
		}
	close(slave);
	if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0) {
		error_errno(&e, errno, "making the terminal the controlling one");
		fail_setup(&e);
	}
}

static void setup_identity(const struct process_spec *spec)
{
	struct error e = {0};

	/* Working directory first, as root: Docker creates a missing one
	 * for the user. Supplementary groups come with the user's groups. */
	if (rootfs_mkdir_p(spec->cwd, spec->uid, spec->gid, &e) < 0) {
		error_prefix(&e, "working directory");
		fail_setup(&e);
	}
	if (chdir(spec->cwd) < 0) {
		error_errno(&e, errno, "chdir to %s", spec->cwd);
		fail_setup(&e);
	}
	if (confine_process(spec, &e) < 0)
		fail_setup(&e);
}

static int try_execve(const char *path, void *userdata)
{
	const struct process_spec *spec = userdata;

	execve(path, spec->args, spec->env);
	return errno;
}

/* The mount namespace last: entering it sets root and working directory
 * to the container's, where /proc no longer shows the agent's. */
static int enter_namespaces(const int *ns_fds, struct error *e)
{
	for (size_t i = 0; i < JOIN_NS_N; i++)
		if (setns(ns_fds[i], join_ns[i].type) < 0)
			return error_errno(e, errno, "entering the container's %s namespace",
					   join_ns[i].name);
	if (chdir("/") < 0)
		return error_errno(e, errno, "chdir /");
	return 0;
}

static noreturn void child_main(const struct spawn_config *c, int report, const int *ns_fds)
{
	const struct process_spec *spec = c->spec;
	const char *hostname = c->hostname[0] ? c->hostname : SPAWN_DEFAULT_HOSTNAME;
	char msg[ERROR_MSG_MAX];
	struct error e = {0}, join_err = {0};
	int err;

	reset_signals();
	/* Before setup_fds closes the namespaces' fds; a failure is reported
	 * once the report socket is in place. */
	if (c->join_pid)
		enter_namespaces(ns_fds, &join_err);
	setup_fds(c, report);
	if (join_err.code)
		fail_setup(&join_err);
	/* Device nodes and directories get exactly the modes asked for. */
	umask(0);
	if (setsid() < 0) {
		error_errno(&e, errno, "setsid");
		fail_setup(&e);
	}
	if (!c->join_pid && c->cgroup_fd >= 0 && unshare(CLONE_NEWCGROUP) < 0) {
		error_errno(&e, errno, "making the cgroup namespace");
		fail_setup(&e);
	}
	if (!c->join_pid && rootfs_enter(c->ct, &e) < 0)
		fail_setup(&e);
	if (spec->terminal)
		setup_terminal(spec);
	if (!c->join_pid && sethostname(hostname, strlen(hostname)) < 0) {
		error_errno(&e, errno, "setting the host name");
		fail_setup(&e);
	}
	setup_identity(spec);
	umask(022);
	if (confine_seccomp_last(spec, &e) < 0)
		fail_setup(&e);
	err = exec_search(spec->args[0], exec_env_get(spec->env, "PATH"), try_execve, (void *)spec);
	exec_error_message(spec->args[0], err, msg, sizeof(msg));
	fail(err, msg);
}

/* ---- the agent ---- */

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* Opens the namespaces of pid that the child enters itself, and moves the
 * agent's children into pid's PID namespace (*ret_own: the agent's own, to
 * come back to once the child is cloned). */
static int join_prepare(pid_t pid, int *ns_fds, int *ret_own, struct error *e)
{
	char path[64];
	int pidns;

	for (size_t i = 0; i < JOIN_NS_N; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, join_ns[i].name);
		ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (ns_fds[i] < 0)
			return error_errno(e, errno, "opening %s", path);
	}
	*ret_own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (*ret_own < 0)
		return error_errno(e, errno, "opening /proc/self/ns/pid");
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	pidns = open(path, O_RDONLY | O_CLOEXEC);
	if (pidns < 0)
		return error_errno(e, errno, "opening %s", path);
	if (setns(pidns, CLONE_NEWPID) < 0) {
		error_errno(e, errno, "entering the container's PID namespace");
		close(pidns);
		return -e->code;
	}
	close(pidns);
	return 0;
}

int spawn_process(const struct spawn_config *c, pid_t *ret_pid, int *ret_report, struct error *e)
{
	_cleanup_close_ int ours = -1, theirs = -1, own_pidns = -1;
	int fds[2], ns_fds[JOIN_NS_N] = {-1, -1, -1, -1, -1};
	unsigned long flags = c->join_pid ? 0 : SPAWN_CLONE_FLAGS;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
		return error_errno(e, errno, "socketpair");
	ours = fds[0];
	theirs = fds[1];
	if (c->join_pid && join_prepare(c->join_pid, ns_fds, &own_pidns, e) < 0) {
		close_all(ns_fds, JOIN_NS_N);
		return -e->code;
	}
	/* Like fork: the child runs on a copy of this stack, from the start
	 * in the container's cgroup. */
	if (c->cgroup_fd >= 0) {
		struct clone3_args a = {.flags = flags | CLONE_INTO_CGROUP,
					.exit_signal = SIGCHLD,
					.cgroup = (uint64_t)c->cgroup_fd};
		pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	} else {
		pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
	}
	if (pid == 0)
		child_main(c, theirs, ns_fds);
	if (pid < 0)
		error_errno(e, errno, "clone");
	/* The agent's next children are its own again; failing that, they
	 * would all land in this container. */
	if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
		console_log("spawn: returning to the agent's PID namespace: %m");
	close_all(ns_fds, JOIN_NS_N);
	if (pid < 0)
		return -e->code;
	if (fd_set_nonblock(ours, true) < 0)
		return error_errno(e, errno, "making the report socket non-blocking");
	*ret_pid = pid;
	*ret_report = TAKE_FD(ours);
	return 0;
}

int spawn_read_report(int fd, struct spawn_report *ret)
{
	struct report_msg m;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
	struct msghdr msg = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = ctl.buf,
	    .msg_controllen = sizeof(ctl.buf),
	};
	int passed = -1;
	ssize_t n;

	do
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
		    h->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&passed, CMSG_DATA(h), sizeof(int));
	memset(ret, 0, sizeof(*ret));
	ret->fd = -1;
	if ((size_t)n != sizeof(m) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		goto bad;
	m.text[sizeof(m.text) - 1] = '\0';
	if (m.kind == SPAWN_REPORT_PTY && passed >= 0) {
		ret->kind = SPAWN_REPORT_PTY;
		ret->fd = passed;
		return 1;
	}
	if (m.kind == SPAWN_REPORT_FAILED) {
		if (passed >= 0)
			close(passed);
		ret->kind = SPAWN_REPORT_FAILED;
		error_set(&ret->error, m.code > 0 && m.code < 4096 ? m.code : EIO, "%s", m.text);
		return 1;
	}
bad:
	if (passed >= 0)
		close(passed);
	ret->kind = SPAWN_REPORT_FAILED;
	error_set(&ret->error, EIO, "the process sent a malformed report");
	return 1;
}
