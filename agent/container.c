#include "container.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "console.h"
#include "net.h"
#include "pty.h"
#include "reply.h"
#include "rootfs.h"
#include "spawn.h"
#include "util.h"

enum proc_state {
	PROC_CREATED,  /* streams may be attached */
	PROC_STARTING, /* cloned; its setup reports on the report socket */
	PROC_RUNNING,  /* exec'd (it may have exited, its terminal not drained yet) */
	PROC_FAILED,   /* did not start: start and wait answer with the failure */
	PROC_DONE,     /* exited, and its terminal output all went out */
};

static const char *const stream_names[] = {
    [STREAM_STDIN] = "stdin",
    [STREAM_STDOUT] = "stdout",
    [STREAM_STDERR] = "stderr",
    [STREAM_PTY] = "pty",
};

struct proc {
	struct container *ct;
	uint32_t id;
	uint32_t join; /* the process whose namespaces it enters, or 0 */
	struct process_spec spec;
	char hostname[MSG_HOSTNAME_MAX];
	enum proc_state state;
	int streams[4]; /* by enum stream_kind; -1 when not attached */
	pid_t pid;
	bool exited;
	int status;
	struct watch report; /* the child's setup reports, while starting */
	struct error failure;
	struct pty_relay *pty;
	bool pty_drained;
	struct container_waiter waiters; /* sentinel */
};

/* The cgroup every process of the container lives in. */
#define CONTAINER_CGROUP "container"

struct container {
	struct loop *loop;
	bool rootfs_ready;
	struct container_spec spec; /* process 1's: mounts, limits */
	int cgroup_fd;		    /* -1 until process 1 is created */
	struct proc *procs[MSG_PROCESS_MAX + 1];
};

struct container *container_new(struct loop *loop)
{
	/* Lives as long as the agent. */
	struct container *ct = xcalloc(1, sizeof(*ct));

	ct->loop = loop;
	ct->cgroup_fd = -1;
	return ct;
}

void container_wait_result(int status, struct wait_result *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (WIFSIGNALED(status))
		ret->signal = WTERMSIG(status);
	else
		ret->exit_code = WEXITSTATUS(status);
}

static struct proc *find(struct container *ct, uint32_t process, struct error *e)
{
	struct proc *p = process <= MSG_PROCESS_MAX ? ct->procs[process] : NULL;

	if (!p)
		error_set(e, ESRCH, "no process %u", process);
	return p;
}

/* ---- waiters: a circular list with the process's sentinel ---- */

static void waiter_unlink(struct container_waiter *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void waiter_add(struct proc *p, struct container_waiter *w)
{
	w->prev = p->waiters.prev;
	w->next = &p->waiters;
	w->prev->next = w;
	p->waiters.prev = w;
}

void container_waiter_cancel(struct container_waiter *w)
{
	if (w->next)
		waiter_unlink(w);
}

/* Answers every waiter of op with reply (its id filled in per waiter). */
static void complete(struct proc *p, enum agent_op op, struct agent_reply *reply)
{
	struct container_waiter *w, *next;

	for (w = p->waiters.next; w != &p->waiters; w = next) {
		next = w->next;
		if (w->op != op)
			continue;
		waiter_unlink(w);
		reply->id = w->id;
		w->done(w, reply);
	}
}

static void fail_reply(const struct proc *p, struct agent_reply *reply)
{
	reply_set_error(reply, 0, p->failure.code, p->failure.msg);
}

/* How it ended, and whether the container's memory limit killed anything. */
static void proc_result(const struct proc *p, struct wait_result *ret)
{
	container_wait_result(p->status, ret);
	if (p->ct->cgroup_fd >= 0)
		ret->oom_killed = cgroup_oom_killed(p->ct->cgroup_fd);
}

/* Done: it exited, and what it wrote to its terminal went out. */
static void check_done(struct proc *p)
{
	struct agent_reply reply = {0};

	if (p->state != PROC_RUNNING || !p->exited || (p->spec.terminal && !p->pty_drained))
		return;
	p->state = PROC_DONE;
	proc_result(p, &reply.u.wait);
	console_debug("container: process %u done (status 0x%x)", p->id, p->status);
	complete(p, AGENT_OP_WAIT, &reply);
}

static void on_pty_drained(struct pty_relay *r, void *userdata)
{
	struct proc *p = userdata;

	p->pty_drained = true;
	check_done(p);
}

static void close_streams(struct proc *p)
{
	for (size_t i = 0; i < sizeof(p->streams) / sizeof(*p->streams); i++)
		if (p->streams[i] >= 0) {
			close(p->streams[i]);
			p->streams[i] = -1;
		}
}

static void take_pty(struct proc *p, int master)
{
	struct error e = {0};
	int conn = p->streams[STREAM_PTY];

	if (p->pty) {
		close(master);
		return;
	}
	p->streams[STREAM_PTY] = -1;
	/* A resize may have come while the process was setting up. */
	if (p->spec.rows && p->spec.cols)
		pty_set_size(master, p->spec.rows, p->spec.cols, &e);
	p->pty = pty_relay_start(p->ct->loop, master, conn, on_pty_drained, p, &e);
	if (!p->pty) {
		console_log("container: process %u: %s", p->id, e.msg);
		/* Without a relay nobody waits for the output. */
		p->pty_drained = true;
	}
}

/* The report socket closed: the process exec'd, unless it said otherwise. */
static void start_finished(struct proc *p)
{
	struct agent_reply reply = {0};

	loop_remove(p->ct->loop, &p->report);
	close(p->report.fd);
	p->report.fd = -1;
	close_streams(p);
	if (p->failure.code) {
		p->state = PROC_FAILED;
		console_debug("container: process %u failed to start: %s", p->id, p->failure.msg);
		fail_reply(p, &reply);
		complete(p, AGENT_OP_START, &reply);
		complete(p, AGENT_OP_WAIT, &reply);
		return;
	}
	p->state = PROC_RUNNING;
	if (!p->pty)
		p->pty_drained = true;
	console_debug("container: process %u running as pid %d", p->id, (int)p->pid);
	reply.u.start.pid = (uint32_t)p->pid;
	complete(p, AGENT_OP_START, &reply);
	check_done(p);
}

static void on_report(struct watch *w, uint32_t events)
{
	struct proc *p = watch_owner(w, struct proc, report);
	struct spawn_report r;
	int n;

	for (;;) {
		n = spawn_read_report(w->fd, &r);
		if (n == -EAGAIN)
			return;
		if (n <= 0)
			break;
		if (r.kind == SPAWN_REPORT_PTY)
			take_pty(p, r.fd);
		else if (!p->failure.code)
			p->failure = r.error;
	}
	if (n < 0 && !p->failure.code)
		error_errno(&p->failure, -n, "reading the process's setup report");
	start_finished(p);
}

/* A further process's slot may hold one that finished, or one created and
 * never started (the host gave up on it half way): the host reuses a
 * number only once it is done with it. */
static int free_slot(struct container *ct, uint32_t process, struct error *e)
{
	struct proc *p = ct->procs[process];

	if (!p)
		return 0;
	if (process == 1 ||
	    (p->state != PROC_DONE && p->state != PROC_FAILED && p->state != PROC_CREATED) ||
	    p->waiters.next != &p->waiters)
		return error_set(e, EEXIST, "process %u exists already", process);
	pty_relay_free(p->pty);
	close_streams(p);
	process_spec_free(&p->spec);
	free(p);
	ct->procs[process] = NULL;
	return 0;
}

/* What an exec'd process does not say, it takes from its container's
 * process 1: its confinement (caps, seccomp, rlimits), and its groups
 * when it runs as the same user. */
static void inherit(struct process_spec *s, const struct process_spec *leader)
{
	if (!s->sec.set)
		process_security_copy(&s->sec, &leader->sec);
	if (!s->ngroups && leader->ngroups && s->uid == leader->uid && s->gid == leader->gid) {
		s->groups = xcalloc(leader->ngroups, sizeof(*s->groups));
		memcpy(s->groups, leader->groups, leader->ngroups * sizeof(*s->groups));
		s->ngroups = leader->ngroups;
	}
}

int container_create(struct container *ct, struct create_args *a, struct error *e)
{
	struct proc *p, *leader = NULL;

	if (a->process == 1 && a->join)
		return error_set(e, EINVAL, "process 1 is the container's own: it joins nothing");
	/* Never a process without its confinement: a host that says
	 * nothing (an older record, a bug) gets an error, not root with
	 * every capability. Joining processes take their leader's. */
	if (a->process == 1 && !a->spec.sec.set)
		return error_set(e, EPERM,
				 "process 1 comes without its security settings (capabilities, "
				 "seccomp): refusing to run it unconfined; re-create the container");
	if (a->process != 1 && !a->join)
		return error_set(e, EINVAL,
				 "process %u: only process 1 makes a container; others join one",
				 a->process);
	if (a->join) {
		leader = a->join <= MSG_PROCESS_MAX ? ct->procs[a->join] : NULL;
		if (!leader || leader->state != PROC_RUNNING || leader->exited)
			return error_set(e, ESRCH, "process %u is not running: nothing to join",
					 a->join);
	}
	if (free_slot(ct, a->process, e) < 0)
		return -e->code;
	if (!leader && !ct->rootfs_ready) {
		if (rootfs_prepare(a->rootfs_tag, a->rootfs_disk, a->ct.rootfs_rw, e) < 0)
			return -e->code;
		ct->rootfs_ready = true;
	}
	if (!leader) {
		int fd = cgroup_create(CONTAINER_CGROUP, &a->ct, e);
		if (fd < 0)
			return -e->code;
		if (ct->cgroup_fd >= 0)
			close(ct->cgroup_fd);
		ct->cgroup_fd = fd;
		container_spec_free(&ct->spec);
		ct->spec = a->ct;
		memset(&a->ct, 0, sizeof(a->ct));
	} else {
		inherit(&a->spec, &leader->spec);
	}
	p = xcalloc(1, sizeof(*p));
	p->ct = ct;
	p->id = a->process;
	p->join = a->join;
	p->spec = a->spec;
	memset(&a->spec, 0, sizeof(a->spec));
	memcpy(p->hostname, a->hostname, sizeof(p->hostname));
	for (size_t i = 0; i < sizeof(p->streams) / sizeof(*p->streams); i++)
		p->streams[i] = -1;
	p->report.fd = -1;
	p->report.fn = on_report;
	p->waiters.prev = p->waiters.next = &p->waiters;
	ct->procs[a->process] = p;
	console_debug("container: process %u created (%s)%s", p->id, p->spec.args[0],
		      leader ? " to join" : "");
	return 0;
}

int container_attach_check(struct container *ct, const struct attach_args *a, struct error *e)
{
	struct proc *p = find(ct, a->process, e);
	const char *name = stream_names[a->stream];

	if (!p)
		return -e->code;
	if (p->state != PROC_CREATED)
		return error_set(e, EALREADY, "process %u was started already", a->process);
	if (a->stream == STREAM_PTY && !p->spec.terminal)
		return error_set(e, EINVAL,
				 "process %u has no terminal: attach stdin, stdout, stderr",
				 a->process);
	if (a->stream != STREAM_PTY && p->spec.terminal)
		return error_set(e, EINVAL, "process %u has a terminal: attach its pty",
				 a->process);
	if (a->stream == STREAM_STDIN && !p->spec.stdin)
		return error_set(e, EINVAL, "process %u was created without stdin", a->process);
	if (p->streams[a->stream] >= 0)
		return error_set(e, EBUSY, "%s of process %u is attached already", name,
				 a->process);
	return 0;
}

void container_attach(struct container *ct, const struct attach_args *a, int fd)
{
	struct proc *p = ct->procs[a->process];

	/* stdio connections become the process's own fds, which programs
	 * expect to block; the agent never reads or writes them. */
	if (a->stream != STREAM_PTY && fd_set_nonblock(fd, false) < 0)
		console_log("container: stream fd: %m");
	p->streams[a->stream] = fd;
	console_debug("container: %s of process %u attached", stream_names[a->stream], p->id);
}

int container_start(struct container *ct, uint32_t process, struct container_waiter *w,
		    struct error *e)
{
	struct proc *p = find(ct, process, e);
	struct spawn_config c = {0};
	int report, own_net = -1, r;

	if (!p)
		return -e->code;
	if (p->state != PROC_CREATED)
		return error_set(e, EALREADY, "process %u was started already", process);
	c.spec = &p->spec;
	c.hostname = p->hostname;
	c.ct = &ct->spec;
	c.cgroup_fd = ct->cgroup_fd;
	if (p->join) {
		struct proc *leader = ct->procs[p->join];
		if (!leader || leader->state != PROC_RUNNING || leader->exited)
			return error_set(e, ESRCH, "process %u is not running: nothing to join",
					 p->join);
		c.join_pid = leader->pid;
	}
	for (int i = 0; i < 3; i++)
		c.stdio[i] = p->streams[i];
	/* Process 1 is cloned inside its network namespace (net.h). */
	if (!p->join && net_enter(&ct->spec.net, &own_net, e) < 0)
		return error_prefix(e, "starting process %u", process);
	r = spawn_process(&c, &p->pid, &report, e);
	net_leave(own_net);
	if (r < 0)
		return error_prefix(e, "starting process %u", process);
	/* The child has its copies; ours would keep the host from seeing EOF. */
	for (int i = 0; i < 3; i++)
		if (p->streams[i] >= 0) {
			close(p->streams[i]);
			p->streams[i] = -1;
		}
	p->state = PROC_STARTING;
	p->report.fd = report;
	if (loop_add(ct->loop, &p->report, EPOLLIN, e) < 0) {
		/* The child goes on; nobody hears about its setup. */
		error_set(&p->failure, e->code, "%s", e->msg);
		kill(p->pid, SIGKILL);
		start_finished(p);
		return error_prefix(e, "starting process %u", process);
	}
	w->op = AGENT_OP_START;
	waiter_add(p, w);
	return 0;
}

int container_signal(struct container *ct, uint32_t process, int sig, struct error *e)
{
	struct proc *p = find(ct, process, e);

	if (!p)
		return -e->code;
	if (p->state != PROC_RUNNING || p->exited)
		return error_set(e, ESRCH, "process %u is not running", process);
	if (kill(p->pid, sig) < 0)
		return error_errno(e, errno, "process %u: kill", process);
	return 0;
}

int container_resize(struct container *ct, uint32_t process, uint16_t rows, uint16_t cols,
		     struct error *e)
{
	struct proc *p = find(ct, process, e);

	if (!p)
		return -e->code;
	if (!p->spec.terminal)
		return error_set(e, ENOTTY, "process %u has no terminal", process);
	if (p->state == PROC_FAILED || p->state == PROC_DONE)
		return error_set(e, ESRCH, "process %u is not running", process);
	/* Before the terminal exists: it starts with this size. */
	p->spec.rows = rows;
	p->spec.cols = cols;
	if (!p->pty)
		return 0;
	if (pty_relay_resize(p->pty, rows, cols, e) < 0)
		return error_prefix(e, "process %u", process);
	return 0;
}

int container_wait(struct container *ct, uint32_t process, struct container_waiter *w,
		   struct wait_result *ret, struct error *e)
{
	struct proc *p = find(ct, process, e);

	if (!p)
		return -e->code;
	if (p->state == PROC_FAILED)
		return error_set(e, p->failure.code, "%s", p->failure.msg);
	if (p->state == PROC_DONE) {
		proc_result(p, ret);
		return 1;
	}
	w->op = AGENT_OP_WAIT;
	waiter_add(p, w);
	return 0;
}

bool container_child_exited(struct container *ct, pid_t pid, int status)
{
	for (uint32_t i = 1; i <= MSG_PROCESS_MAX; i++) {
		struct proc *p = ct->procs[i];

		if (!p || p->pid != pid || p->exited)
			continue;
		p->exited = true;
		p->status = status;
		console_debug("container: process %u (pid %d) exited, status 0x%x", p->id, (int)pid,
			      status);
		/* Starting: the report socket's EOF comes and finishes it. */
		check_done(p);
		return true;
	}
	return false;
}
