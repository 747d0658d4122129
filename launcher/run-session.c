#include "run-session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent-client.h"
#include "cleanup.h"
#include "exit-status.h"
#include "monitor.h"
#include "protocol.h"
#include "terminal.h"
#include "util.h"

#define PUMP_BUF (64u * 1024)
#define SINKS_MAX 8	 /* outputs of one stream: attached clients */
#define PENDING_MAX 16	 /* signals and resizes in flight on one connection */
#define CLIENTS_MAX 64	 /* connections to the monitor's socket */
#define PROCS_MAX 33	 /* process 1 and 32 exec'd ones */
/* After a process's exit status, its streams get this long to reach EOF
 * (they close when the container's PID namespace goes, so this is only a
 * backstop). */
#define DRAIN_TIMEOUT_MS 5000
/* A client has this long to send what its first message announces. */
#define CLIENT_PAYLOAD_TIMEOUT_MS 5000
#define WANTED_CHECK_MS 1000 /* how often still_wanted is asked */
/* After SIGKILL for process 1 the guest has this long to report its end;
 * an agent that does not (hostile, or hung) loses its VM: the container
 * is over, killed, whatever the guest says. */
#define KILL_GRACE_MS 10000

struct client;

/* Bytes from one fd to one or more others through a bounded buffer. The
 * buffer is refilled once every sink has taken it. A sink that fails is
 * marked (fd -1) and dropped when the sources are gathered next, so the
 * indexes a poll round holds stay valid. */
struct sink {
	int fd;		      /* -1: dropped */
	bool sock;	      /* written with send(MSG_DONTWAIT) */
	size_t off;
	struct client *owner; /* NULL: the session's own */
};

struct pump {
	int in;			  /* -1: no source (yet) */
	bool in_eof;
	bool to_guest;		  /* input: half-close the sink at EOF */
	enum log_stream stream;	  /* output of process 1: logged as this */
	bool logged;
	struct sink sinks[SINKS_MAX];
	int nsinks;
	size_t len;
	uint8_t buf[PUMP_BUF];
};

struct pending {
	uint64_t id;
	enum agent_op op;
};

struct proc {
	uint32_t number; /* the agent's: 1, or 2.. for exec'd ones */
	int control_fd;
	struct frame_reader ctl;
	struct pending pending[PENDING_MAX];
	struct pump *out[2]; /* stdout and stderr, or the pty (out[0]) */
	struct pump *in;     /* stdin, or the pty's input */
	struct client *client; /* exec: who gets the result */
	bool tty;
	bool exited;
	struct wait_result status;
	uint64_t drain_deadline;
};

enum client_kind {
	CLIENT_NEW,	   /* its first message not read yet */
	CLIENT_FOREGROUND, /* `launcher run`: stdio is ours */
	CLIENT_STARTER,	   /* `run -d`, `start`: told once running */
	CLIENT_ATTACH,
	CLIENT_EXEC,
	CLIENT_WAIT,
};

struct client {
	int fd;
	bool borrowed; /* fd is the caller's: not closed here */
	enum client_kind kind;
	int stdio[3]; /* passed by attach and exec, or ours; -1 */
	bool own_stdio;
	/* stdout and stderr as the session writes them: opened anew so that
	 * writes never block (client_open_outputs); always ours. */
	int out[2];
	bool out_sock[2];
	struct proc *proc; /* the process its signals and resizes go to */
	bool done;	   /* told its result: closes */
};

struct session {
	struct booted *b;
	const struct run_session_opts *o;
	struct proc *procs[PROCS_MAX]; /* [0]: process 1 */
	struct client *clients[CLIENTS_MAX];
	uint64_t next_id;
	uint32_t next_number; /* the last exec'd process's number */
	bool cancelled;
	bool broken;	   /* a request to the agent was cut short */
	bool main_reported; /* process 1's exit and output are all out */
	bool awaiting_start; /* hold_start: created, MONITOR_START not come yet */
	int sig_fd;	     /* own_stdio: signalfd of the signals passed on, or -1 */
	uint32_t *ret_pid;
	int exit_code;
	uint64_t next_wanted_check;
	uint64_t kill_deadline; /* 0, or when a SIGKILL of process 1 must have worked */
};

/* ---- pumps ---- */

static struct pump *pump_new(int in, bool to_guest)
{
	struct pump *p = xcalloc(1, sizeof(*p));

	p->in = in;
	p->to_guest = to_guest;
	return p;
}

/* Drops the sinks marked dropped; only between poll rounds. */
static void pump_compact(struct pump *p)
{
	int n = 0;

	for (int i = 0; i < p->nsinks; i++)
		if (p->sinks[i].fd >= 0)
			p->sinks[n++] = p->sinks[i];
	p->nsinks = n;
}

static void pump_add_sink(struct pump *p, int fd, bool sock, struct client *owner)
{
	if (!p || fd < 0)
		return;
	pump_compact(p);
	if (p->nsinks == SINKS_MAX)
		return;
	/* A sink that joins mid-buffer starts with what comes next. */
	p->sinks[p->nsinks++] =
	    (struct sink){.fd = fd, .sock = sock, .off = p->len, .owner = owner};
}

static void pump_remove_sink(struct pump *p, int i)
{
	struct sink *k = &p->sinks[i];

	/* The session's own fds (the agent's stdin stream) close with it;
	 * a client's close with the client. */
	if (k->fd >= 0 && p->to_guest && !k->owner)
		close(k->fd);
	k->fd = -1;
}

static void pump_drop_owner(struct pump *p, const struct client *c)
{
	if (!p)
		return;
	for (int i = 0; i < p->nsinks; i++)
		if (p->sinks[i].fd >= 0 && p->sinks[i].owner == c)
			pump_remove_sink(p, i);
	if (p->to_guest && p->in >= 0 && c && !c->own_stdio && p->in == c->stdio[0])
		p->in = -1; /* the attached client's stdin went with it */
}

static bool pump_pending(const struct pump *p)
{
	for (int i = 0; i < p->nsinks; i++)
		if (p->sinks[i].fd >= 0 && p->sinks[i].off < p->len)
			return true;
	return false;
}

static bool pump_done(const struct pump *p)
{
	return !p || ((p->in_eof || p->in < 0) && !pump_pending(p));
}

static void pump_read(struct session *s, struct pump *p)
{
	ssize_t n = read(p->in, p->buf, sizeof(p->buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF, or a reset stream: nothing more will come either way. */
		p->in_eof = true;
		if (p->to_guest)
			for (int i = 0; i < p->nsinks; i++)
				if (p->sinks[i].fd >= 0)
					shutdown(p->sinks[i].fd, SHUT_WR);
		return;
	}
	p->len = (size_t)n;
	for (int i = 0; i < p->nsinks; i++)
		p->sinks[i].off = 0;
	if (p->logged && s->o->log) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		/* A full disk loses log output, never the container's. */
		(void)log_write(s->o->log, p->stream,
				(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, p->buf,
				p->len);
	}
}

static void pump_write(struct pump *p, int i)
{
	struct sink *k = &p->sinks[i];
	ssize_t n;

	if (k->fd < 0)
		return;
	n = k->sock ? send(k->fd, p->buf + k->off, p->len - k->off, MSG_DONTWAIT | MSG_NOSIGNAL)
		    : write(k->fd, p->buf + k->off, p->len - k->off);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* The reader went away (EPIPE): the others go on. */
		pump_remove_sink(p, i);
		return;
	}
	k->off += (size_t)n;
	if (!pump_pending(p)) {
		p->len = 0;
		for (int j = 0; j < p->nsinks; j++)
			p->sinks[j].off = 0;
		if (p->in_eof && p->to_guest)
			shutdown(k->fd, SHUT_WR);
	}
}

static void pump_free(struct pump *p, bool close_in)
{
	if (!p)
		return;
	if (p->to_guest) {
		for (int i = 0; i < p->nsinks; i++)
			if (!p->sinks[i].owner && p->sinks[i].fd >= 0)
				close(p->sinks[i].fd);
	} else if (close_in && p->in >= 0) {
		close(p->in);
	}
	free(p);
}

/* ---- the agent ---- */

static int attach_stream(struct session *s, uint32_t process, enum stream_kind kind,
			 struct error *e)
{
	struct agent_request req = {.id = s->next_id++, .op = AGENT_OP_ATTACH,
				    .u.attach = {.process = process, .stream = kind}};
	struct agent_reply reply;
	_cleanup_close_ int fd = hv_vm_connect(s->b->vm, AGENT_STREAM_PORT, e);

	if (fd < 0)
		return fd == -ECONNREFUSED
			       ? error_set(e, ECONNREFUSED, "the agent's stream port refused")
			       : -e->code;
	if (agent_call(fd, &req, &reply, AGENT_CALL_TIMEOUT_MS, e) < 0)
		return error_prefix(e, "attaching a stdio stream");
	if (fd_set_nonblock(fd, true) < 0)
		return error_errno(e, errno, "making a stream non-blocking");
	return TAKE_FD(fd);
}

/* The guest's ends of a process's stdio, as pumps: sinks and sources are
 * added by whoever attaches. */
static int attach_all(struct session *s, struct proc *p, bool interactive, struct error *e)
{
	int fd;

	if (p->tty) {
		fd = attach_stream(s, p->number, STREAM_PTY, e);
		if (fd < 0)
			return fd;
		p->out[0] = pump_new(fd, false);
		if (interactive) {
			p->in = pump_new(-1, true);
			pump_add_sink(p->in, fd, true, NULL);
		}
		return 0;
	}
	for (enum stream_kind k = STREAM_STDOUT; k <= STREAM_STDERR; k++) {
		fd = attach_stream(s, p->number, k, e);
		if (fd < 0)
			return fd;
		p->out[k - STREAM_STDOUT] = pump_new(fd, false);
		p->out[k - STREAM_STDOUT]->stream = k == STREAM_STDOUT ? LOG_STDOUT : LOG_STDERR;
	}
	if (interactive) {
		fd = attach_stream(s, p->number, STREAM_STDIN, e);
		if (fd < 0)
			return fd;
		p->in = pump_new(-1, true);
		pump_add_sink(p->in, fd, true, NULL);
	}
	return 0;
}

static int send_request(struct session *s, struct proc *p, struct agent_request *req,
			struct error *e)
{
	int slot = -1;

	for (int i = 0; i < PENDING_MAX; i++)
		if (!p->pending[i].id) {
			slot = i;
			break;
		}
	if (slot < 0)
		return error_set(e, EBUSY, "too many requests to the agent in flight");
	req->id = s->next_id++;
	/* The control socket stays blocking (reads use MSG_DONTWAIT), so a
	 * frame goes out whole; a guest that stops reading gets the send
	 * timeout, after which the connection's framing is lost. */
	if (agent_send(p->control_fd, req, e) < 0) {
		if (p == s->procs[0]) {
			s->broken = true;
		} else if (!p->exited) {
			p->exited = true;
			p->status = (struct wait_result){.exit_code = EXIT_LAUNCHER};
			p->drain_deadline = 0;
		}
		return -e->code;
	}
	p->pending[slot] = (struct pending){.id = req->id, .op = req->op};
	return 0;
}

static void client_result(struct client *c, int code, const char *text);
static void proc_exited(struct session *s, struct proc *p);

/* A process's exit, pushed by the agent to the connection that created it. */
static int handle_event(struct session *s, struct proc *p, const uint8_t *payload, uint32_t len,
			struct error *e)
{
	struct agent_event ev;
	struct error perr = {0};

	if (agent_event_parse((const char *)payload, len, &ev, &perr) < 0)
		return error_set(e, EPROTO, "agent sent a malformed event: %s", perr.msg);
	if (ev.kind == AGENT_EVENT_EXIT && ev.process == p->number && !p->exited) {
		p->exited = true;
		p->status = ev.exit;
		proc_exited(s, p);
	}
	return 0;
}

static int handle_reply(struct session *s, struct proc *p, const uint8_t *payload, uint32_t len,
			struct error *e)
{
	struct agent_reply reply;
	struct error perr = {0};
	uint64_t id;

	if (agent_frame_is_event((const char *)payload, len))
		return handle_event(s, p, payload, len, e);
	/* The op decides how the result parses: find the request by id first. */
	if (agent_reply_peek_id((const char *)payload, len, &id, &perr) < 0)
		return error_set(e, EPROTO, "agent sent a malformed reply: %s", perr.msg);
	for (int i = 0; i < PENDING_MAX; i++) {
		struct pending *q = &p->pending[i];
		if (!q->id || q->id != id)
			continue;
		if (agent_reply_parse((const char *)payload, len, q->op, &reply, &perr) < 0)
			return error_set(e, EPROTO, "agent sent a malformed %s reply: %s",
					 agent_op_name(q->op), perr.msg);
		q->id = 0;
		/* A failed signal or resize (the process just exited) is harmless. */
		return 0;
	}
	return error_set(e, EPROTO, "agent answered a request it was not sent");
}

static int read_control(struct session *s, struct proc *p, struct error *e)
{
	for (;;) {
		size_t room;
		uint8_t *dst = frame_reader_space(&p->ctl, &room);
		const uint8_t *payload;
		uint32_t len;
		ssize_t n = room ? recv(p->control_fd, dst, room, MSG_DONTWAIT) : 0;
		int r;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0)
			return error_errno(e, errno, "reading from the agent");
		if (n == 0 && room)
			return error_set(e, ECONNRESET, "the agent closed the control connection");
		frame_reader_commit(&p->ctl, (size_t)n);
		while ((r = frame_reader_next(&p->ctl, &payload, &len)) > 0)
			if (handle_reply(s, p, payload, len, e) < 0)
				return -e->code;
		if (r < 0)
			return error_set(e, EPROTO, "agent sent a bad frame header");
	}
	return 0;
}

/* Returns 0, or 1 with *ret_exit when the agent refused to start it. */
static int start_process(struct session *s, struct proc *p, int *ret_exit, uint32_t *ret_pid,
			 struct error *e)
{
	struct agent_request req = {.id = s->next_id++, .op = AGENT_OP_START,
				    .u.process = {.process = p->number}};
	struct agent_reply reply;

	if (agent_call(p->control_fd, &req, &reply, AGENT_CALL_TIMEOUT_MS, e) == 0) {
		*ret_pid = reply.u.start.pid;
		return 0;
	}
	if (reply.failed) {
		/* The agent's own words: `exec: "foo": executable file not found`. */
		*ret_exit = exit_code_for_start_error(reply.error.code);
		error_set(e, reply.error.code, "%s", reply.error.message);
		return 1;
	}
	return -e->code;
}

static void control_send_timeout(int fd);

/* Process 1 starts: 0 once it runs; 1 with *ret_exit when the agent
 * refused (not found, not executable); -errno on trouble. */
static int begin(struct session *s, int *ret_exit, struct error *e)
{
	struct proc *main = s->procs[0];
	uint32_t pid = 0;
	int r = start_process(s, main, ret_exit, &pid, e);

	if (r != 0)
		return r;
	if (s->o->on_started)
		s->o->on_started(s->o->ctx, pid);
	/* From here the agent's exit event ends the session (no wait needed). */
	control_send_timeout(s->b->control_fd);
	return 0;
}

static struct proc *proc_new(uint32_t number, int control_fd, bool tty)
{
	struct proc *p = xcalloc(1, sizeof(*p));

	p->number = number;
	p->control_fd = control_fd;
	p->tty = tty;
	frame_reader_init(&p->ctl);
	return p;
}

static void proc_free(struct proc *p, bool close_control)
{
	if (!p)
		return;
	for (int i = 0; i < 2; i++)
		pump_free(p->out[i], true);
	pump_free(p->in, false);
	if (close_control && p->control_fd >= 0)
		close(p->control_fd);
	frame_reader_free(&p->ctl);
	free(p);
}

static bool proc_drained(const struct proc *p)
{
	return pump_done(p->out[0]) && pump_done(p->out[1]);
}

/* ---- clients ---- */

static void client_result(struct client *c, int code, const char *text)
{
	if (c->done)
		return;
	monitor_report(c->fd, code, text);
	c->done = true;
}

static void client_close_stdio(struct client *c)
{
	for (int i = 0; i < 2; i++)
		if (c->out[i] >= 0) {
			close(c->out[i]);
			c->out[i] = -1;
		}
	if (c->own_stdio)
		return;
	for (int i = 0; i < 3; i++)
		if (c->stdio[i] >= 0) {
			close(c->stdio[i]);
			c->stdio[i] = -1;
		}
}

/* An output fd the session can write without ever blocking: a user's
 * terminal or pipe is shared with their shell, whose file status flags
 * must not change, so pipes and terminals are opened anew (a file
 * description of our own, non-blocking); sockets are written with
 * MSG_DONTWAIT; files do not block. Else (not reopenable) the fd as is. */
static int open_output(int fd, bool *ret_sock)
{
	char path[64];
	struct stat st;
	int nfd;

	*ret_sock = false;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	if (S_ISSOCK(st.st_mode)) {
		*ret_sock = true;
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	}
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (nfd >= 0)
			return nfd;
	}
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void client_open_outputs(struct client *c)
{
	for (int i = 0; i < 2; i++)
		c->out[i] = open_output(c->stdio[i + 1], &c->out_sock[i]);
}

static void client_free(struct session *s, int i)
{
	struct client *c = s->clients[i];

	for (int j = 0; j < PROCS_MAX; j++) {
		struct proc *p = s->procs[j];
		if (!p)
			continue;
		pump_drop_owner(p->out[0], c);
		pump_drop_owner(p->out[1], c);
		pump_drop_owner(p->in, c);
		if (p->client == c)
			p->client = NULL;
	}
	client_close_stdio(c);
	if (!c->borrowed)
		close(c->fd);
	free(c);
	s->clients[i] = NULL;
}

static struct client *client_add(struct session *s, int fd, enum client_kind kind)
{
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (!s->clients[i]) {
			struct client *c = xcalloc(1, sizeof(*c));
			c->fd = fd;
			c->kind = kind;
			c->stdio[0] = c->stdio[1] = c->stdio[2] = -1;
			c->out[0] = c->out[1] = -1;
			s->clients[i] = c;
			return c;
		}
	return NULL;
}

/* The client's output fds become sinks of p's output; its stdin the
 * source of p's input (the one attached with stdin wins). */
static void client_plug(struct client *c, struct proc *p, bool with_stdin)
{
	c->proc = p;
	if (c->out[0] < 0 && c->out[1] < 0)
		client_open_outputs(c);
	pump_add_sink(p->out[0], c->out[0], c->out_sock[0], c);
	if (!p->tty)
		pump_add_sink(p->out[1], c->out[1], c->out_sock[1], c);
	/* Read only when poll says so: the fd stays blocking, as the user's
	 * shell shares it. */
	if (with_stdin && p->in && p->in->in < 0 && !p->in->in_eof && c->stdio[0] >= 0)
		p->in->in = c->stdio[0];
}

static void kill_sent(struct session *s, struct proc *p, int sig)
{
	if (sig == SIGKILL && p == s->procs[0] && !s->kill_deadline)
		s->kill_deadline = now_ns() + KILL_GRACE_MS * 1000000ull;
}

/* The guest did not end process 1 in time after SIGKILL: it is over. */
static void check_kill(struct session *s)
{
	struct proc *main = s->procs[0];

	if (!s->kill_deadline || main->exited || now_ns() < s->kill_deadline)
		return;
	main->status = (struct wait_result){.signal = SIGKILL};
	main->exited = true;
	proc_exited(s, main);
	main->drain_deadline = 0;
}

static void forward(struct session *s, struct client *c, const struct monitor_msg *m)
{
	struct proc *p = c->proc;
	struct agent_request req = {.op = AGENT_OP_SIGNAL};
	struct error e = {0};

	if (!p || p->exited)
		return;
	req.u.process.process = p->number;
	if (m->type == MONITOR_WINCH) {
		if (!p->tty)
			return;
		req.op = AGENT_OP_RESIZE;
		if (!terminal_size(c->stdio[0], &req.u.process.rows, &req.u.process.cols) &&
		    !terminal_size(c->stdio[1], &req.u.process.rows, &req.u.process.cols))
			return;
	} else if (m->type != MONITOR_SIGNAL || m->value <= 0 || m->value > 64) {
		return;
	} else {
		req.u.process.signal = m->value;
	}
	if (send_request(s, p, &req, &e) == 0 && req.op == AGENT_OP_SIGNAL)
		kill_sent(s, p, m->value);
}

static void exec_start(struct session *s, struct client *c, const struct monitor_msg *m);

/* `oci start`: process 1 was created and waits (hold_start). */
static void start_held(struct session *s, struct client *c)
{
	struct proc *main = s->procs[0];
	struct error e = {0};
	int code = EXIT_LAUNCHER, r;

	if (!s->awaiting_start) {
		client_result(c, EXIT_LAUNCHER,
			      main->exited ? "cannot start a container that has stopped"
					   : "cannot start an already running container");
		return;
	}
	s->awaiting_start = false;
	r = begin(s, &code, &e);
	if (r == 0) {
		client_result(c, 0, NULL);
		return;
	}
	/* It never ran: the session ends with the agent's verdict. */
	main->exited = true;
	main->status = (struct wait_result){.exit_code = r == 1 ? code : EXIT_LAUNCHER};
	main->drain_deadline = 0;
	s->exit_code = main->status.exit_code;
	client_result(c, r == 1 ? code : EXIT_LAUNCHER, e.msg);
}

/* A signal for a process that was created but never started: nothing runs
 * to get it, so the container is over, as if it had been killed. */
static void kill_held(struct session *s, int sig)
{
	struct proc *main = s->procs[0];

	s->awaiting_start = false;
	main->exited = true;
	main->status = (struct wait_result){.signal = sig};
	main->drain_deadline = 0;
	s->exit_code = exit_code_for_wait(&main->status);
}

/* The first message of a client on the monitor's socket. */
static void client_hello(struct session *s, struct client *c)
{
	struct monitor_msg m;
	int fds[3] = {-1, -1, -1}, nfds = 0;
	struct proc *main = s->procs[0];

	if (monitor_recv(c->fd, &m, fds, 3, &nfds, 0) < 0) {
		c->done = true;
		return;
	}
	if (nfds == 3)
		memcpy(c->stdio, fds, sizeof(fds));
	else
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
	switch (m.type) {
	case MONITOR_ATTACH:
		if (nfds != 3 || main->exited) {
			client_result(c, EXIT_LAUNCHER, "the container is not running");
			return;
		}
		c->kind = CLIENT_ATTACH;
		client_plug(c, main, m.flags & MONITOR_FLAG_INTERACTIVE);
		break;
	case MONITOR_EXEC:
		if (nfds != 3) {
			client_result(c, EXIT_LAUNCHER, "exec: no stdio passed");
			return;
		}
		c->kind = CLIENT_EXEC;
		exec_start(s, c, &m);
		break;
	case MONITOR_KILL: {
		struct agent_request req = {.op = AGENT_OP_SIGNAL,
					    .u.process = {.process = 1, .signal = m.value}};
		struct error e = {0};
		if (main->exited || m.value <= 0 || m.value > 64)
			client_result(c, EXIT_LAUNCHER,
				      main->exited ? "the container is not running"
						   : "invalid signal");
		else if (s->awaiting_start) {
			kill_held(s, m.value);
			client_result(c, 0, NULL);
		} else if (send_request(s, main, &req, &e) < 0) {
			client_result(c, EXIT_LAUNCHER, e.msg);
		} else {
			kill_sent(s, main, m.value);
			client_result(c, 0, NULL);
		}
		break;
	}
	case MONITOR_START:
		start_held(s, c);
		break;
	case MONITOR_WAIT:
		c->kind = CLIENT_WAIT;
		if (s->main_reported)
			client_result(c, s->exit_code, NULL);
		break;
	default:
		client_result(c, EXIT_LAUNCHER, "unknown request");
		break;
	}
}

static void client_event(struct session *s, struct client *c)
{
	struct monitor_msg m;
	ssize_t n;

	if (c->kind == CLIENT_NEW) {
		client_hello(s, c);
		return;
	}
	n = recv(c->fd, &m, sizeof(m), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->kind == CLIENT_FOREGROUND)
			s->cancelled = true;
		/* Not told: nobody to tell. Its exec'd process goes on. */
		c->done = true;
		return;
	}
	if (n == (ssize_t)sizeof(m))
		forward(s, c, &m);
}

static void accept_clients(struct session *s)
{
	for (int i = 0; i < 8; i++) {
		int fd = accept4(s->o->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		if (!monitor_peer_allowed(fd) || !client_add(s, fd, CLIENT_NEW))
			close(fd);
	}
}

/* ---- exec ---- */

/* Numbers go round, so one the agent may still hold (an exec that
 * failed half way) is the last to come back. */
static uint32_t free_number(struct session *s)
{
	for (uint32_t k = 0; k < MSG_PROCESS_MAX - 1; k++) {
		uint32_t n = 2 + (s->next_number - 1 + k) % (MSG_PROCESS_MAX - 1);
		bool used = false;
		for (int i = 0; i < PROCS_MAX && !used; i++)
			used = s->procs[i] && s->procs[i]->number == n;
		if (!used) {
			s->next_number = n;
			return n;
		}
	}
	return 0;
}

/* Control connections block for writes, boundedly (send_request). */
static void control_send_timeout(int fd)
{
	struct timeval tv = {.tv_sec = AGENT_CALL_TIMEOUT_MS / 1000};

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int exec_slot(struct session *s)
{
	for (int i = 1; i < PROCS_MAX; i++)
		if (!s->procs[i])
			return i;
	return -1;
}

/* Creates, attaches and starts a process in the container for c, on a
 * control connection of its own. */
static void exec_start(struct session *s, struct client *c, const struct monitor_msg *m)
{
	struct agent_request req = {0};
	struct agent_reply reply;
	struct error e = {0};
	_cleanup_free_ char *payload = NULL;
	int slot = exec_slot(s), code = EXIT_LAUNCHER, r;
	uint32_t number = free_number(s), pid;
	bool detach = m->flags & MONITOR_FLAG_DETACH;
	struct proc *p;
	int fd;

	if (s->procs[0]->exited) {
		client_result(c, EXIT_LAUNCHER, "the container is not running");
		return;
	}
	if (slot < 0 || !number) {
		client_result(c, EXIT_LAUNCHER, "too many processes exec'd in the container");
		return;
	}
	if (m->value <= 0 || (size_t)m->value > PROTO_FRAME_MAX ||
	    monitor_recv_payload(c->fd, (size_t)m->value, CLIENT_PAYLOAD_TIMEOUT_MS, &payload) < 0 ||
	    agent_request_parse(payload, (size_t)m->value, &req, &e) < 0 ||
	    req.op != AGENT_OP_CREATE) {
		agent_request_free(&req);
		client_result(c, EXIT_LAUNCHER, "exec: a malformed request");
		return;
	}
	req.u.create.process = number;
	req.u.create.join = 1;
	/* `exec -d`: nobody is there to type. */
	if (detach)
		req.u.create.spec.stdin = false;
	req.u.create.rootfs_tag[0] = req.u.create.rootfs_disk[0] = req.u.create.hostname[0] = '\0';
	req.id = s->next_id++;
	fd = hv_vm_connect(s->b->vm, AGENT_CONTROL_PORT, &e);
	if (fd < 0) {
		agent_request_free(&req);
		client_result(c, EXIT_LAUNCHER, e.msg);
		return;
	}
	p = proc_new(number, fd, req.u.create.spec.terminal);
	r = agent_call(fd, &req, &reply, AGENT_CALL_TIMEOUT_MS, &e);
	if (r < 0) {
		/* ESRCH: process 1 has just exited. */
		error_prefix(&e, "exec");
		goto fail;
	}
	r = attach_all(s, p, req.u.create.spec.stdin, &e);
	if (r < 0)
		goto fail;
	r = start_process(s, p, &code, &pid, &e);
	if (r != 0)
		goto fail;
	agent_request_free(&req);
	control_send_timeout(fd);
	s->procs[slot] = p;
	if (detach) {
		/* `exec -d`: its output is read and dropped (a closed stream
		 * would give it EPIPE). */
		client_result(c, 0, NULL);
		return;
	}
	p->client = c;
	client_plug(c, p, true);
	/* Told it runs: a detached OCI exec returns only now. */
	(void)!send(c->fd, &(struct monitor_msg){.type = MONITOR_STARTED}, sizeof(struct monitor_msg),
		    MSG_NOSIGNAL);
	return;
fail:
	agent_request_free(&req);
	proc_free(p, true);
	client_result(c, code, e.msg);
}

/* ---- the loop ---- */

static void proc_exited(struct session *s, struct proc *p)
{
	p->drain_deadline = now_ns() + DRAIN_TIMEOUT_MS * 1000000ull;
	if (p == s->procs[0])
		s->exit_code = exit_code_for_wait(&p->status);
}

/* Process 1's exit, told once its output is all in the log and out to
 * the clients: `launcher wait C; launcher logs C` sees every line. */
static void report_main(struct session *s, bool force)
{
	struct proc *main = s->procs[0];

	if (s->main_reported || !main->exited ||
	    (!force && !proc_drained(main) && now_ns() < main->drain_deadline))
		return;
	s->main_reported = true;
	if (s->o->on_exited)
		s->o->on_exited(s->o->ctx, s->exit_code, main->status.oom_killed);
	for (int i = 0; i < CLIENTS_MAX; i++)
		if (s->clients[i] && s->clients[i]->kind == CLIENT_WAIT)
			client_result(s->clients[i], s->exit_code, NULL);
}

/* Results of drained processes go out once their output has. */
static void finish_procs(struct session *s)
{
	uint64_t now = now_ns();

	report_main(s, false);
	for (int i = 1; i < PROCS_MAX; i++) {
		struct proc *p = s->procs[i];
		if (!p || !p->exited || (!proc_drained(p) && now < p->drain_deadline))
			continue;
		if (p->client)
			client_result(p->client, exit_code_for_wait(&p->status), NULL);
		proc_free(p, true);
		s->procs[i] = NULL;
	}
}

static bool session_over(struct session *s)
{
	struct proc *main = s->procs[0];

	if (s->cancelled || s->broken)
		return true;
	if (!main->exited)
		return false;
	if (now_ns() >= main->drain_deadline) {
		report_main(s, true);
		return true;
	}
	if (!proc_drained(main))
		return false;
	/* Exec'd processes die with process 1: their exits are on the way. */
	for (int i = 1; i < PROCS_MAX; i++)
		if (s->procs[i])
			return false;
	return true;
}

static void own_signals(struct session *s);

enum {
	SRC_CONTROL,
	SRC_CLIENT,
	SRC_LISTENER,
	SRC_PUMP_IN,
	SRC_PUMP_OUT,
	SRC_WINCH,
};

struct source {
	int kind;
	void *ptr;
	int sink;
};

#define POLL_MAX (2 + CLIENTS_MAX + PROCS_MAX * (1 + 3 * (1 + SINKS_MAX)))

static void add_pump_fds(struct pump *p, struct pollfd *pfd, struct source *src, int *n)
{
	if (!p)
		return;
	pump_compact(p);
	if (pump_pending(p)) {
		for (int i = 0; i < p->nsinks; i++)
			if (p->sinks[i].off < p->len) {
				pfd[*n] = (struct pollfd){.fd = p->sinks[i].fd, .events = POLLOUT};
				src[(*n)++] = (struct source){SRC_PUMP_OUT, p, i};
			}
	} else if (!p->in_eof && p->in >= 0) {
		pfd[*n] = (struct pollfd){.fd = p->in, .events = POLLIN};
		src[(*n)++] = (struct source){SRC_PUMP_IN, p, 0};
	}
}

static int next_timeout(struct session *s)
{
	uint64_t now = now_ns(), soonest = 0;

	if (s->o->still_wanted)
		soonest = s->next_wanted_check;
	if (s->kill_deadline && !s->procs[0]->exited &&
	    (!soonest || s->kill_deadline < soonest))
		soonest = s->kill_deadline;
	for (int i = 0; i < PROCS_MAX; i++) {
		struct proc *p = s->procs[i];
		if (p && p->exited && (!soonest || p->drain_deadline < soonest))
			soonest = p->drain_deadline;
	}
	if (!soonest)
		return -1;
	return soonest <= now ? 0 : (int)((soonest - now) / 1000000) + 1;
}

static void check_wanted(struct session *s)
{
	uint64_t now = now_ns();

	if (!s->o->still_wanted || now < s->next_wanted_check)
		return;
	s->next_wanted_check = now + WANTED_CHECK_MS * 1000000ull;
	if (!s->o->still_wanted(s->o->wanted_ctx))
		s->cancelled = true;
}

static int relay(struct session *s, struct error *e)
{
	static struct pollfd pfd[POLL_MAX];
	static struct source src[POLL_MAX];

	while (!session_over(s)) {
		int n = 0, r;

		if (s->o->listener >= 0) {
			pfd[n] = (struct pollfd){.fd = s->o->listener, .events = POLLIN};
			src[n++] = (struct source){SRC_LISTENER, NULL, 0};
		}
		if (s->sig_fd >= 0) {
			pfd[n] = (struct pollfd){.fd = s->sig_fd, .events = POLLIN};
			src[n++] = (struct source){SRC_WINCH, NULL, 0};
		}
		for (int i = 0; i < CLIENTS_MAX; i++)
			if (s->clients[i]) {
				pfd[n] = (struct pollfd){.fd = s->clients[i]->fd, .events = POLLIN};
				src[n++] = (struct source){SRC_CLIENT, s->clients[i], 0};
			}
		for (int i = 0; i < PROCS_MAX; i++) {
			struct proc *p = s->procs[i];
			if (!p)
				continue;
			pfd[n] = (struct pollfd){.fd = p->control_fd, .events = POLLIN};
			src[n++] = (struct source){SRC_CONTROL, p, 0};
			add_pump_fds(p->out[0], pfd, src, &n);
			add_pump_fds(p->out[1], pfd, src, &n);
			add_pump_fds(p->in, pfd, src, &n);
		}
		r = poll(pfd, (nfds_t)n, next_timeout(s));
		if (r < 0 && errno != EINTR)
			return error_errno(e, errno, "poll");
		for (int i = 0; r > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			switch (src[i].kind) {
			case SRC_LISTENER:
				accept_clients(s);
				break;
			case SRC_WINCH:
				own_signals(s);
				break;
			case SRC_CLIENT:
				client_event(s, src[i].ptr);
				break;
			case SRC_CONTROL: {
				struct proc *p = src[i].ptr;
				if (read_control(s, p, e) < 0) {
					if (p == s->procs[0])
						return -e->code;
					/* An exec'd process's connection broke: it is over. */
					if (!p->exited)
						p->status = (struct wait_result){
						    .exit_code = EXIT_LAUNCHER};
					p->exited = true;
					p->drain_deadline = 0;
				}
				break;
			}
			case SRC_PUMP_IN:
				pump_read(s, src[i].ptr);
				break;
			case SRC_PUMP_OUT:
				pump_write(src[i].ptr, src[i].sink);
				break;
			}
			/* Pumps changed under the sources gathered: gather again. */
			if (src[i].kind == SRC_CLIENT || src[i].kind == SRC_LISTENER ||
			    src[i].kind == SRC_CONTROL)
				break;
		}
		check_kill(s);
		finish_procs(s);
		check_wanted(s);
		for (int i = 0; i < CLIENTS_MAX; i++)
			if (s->clients[i] && s->clients[i]->done &&
			    s->clients[i]->kind != CLIENT_FOREGROUND)
				client_free(s, i);
	}
	return 0;
}

static const int passed_on[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* own_stdio: fds 0-2 are process 1's (an OCI runtime's container). */
static void plug_own_stdio(struct session *s, struct proc *main, bool interactive)
{
	bool sock = false;
	sigset_t set;
	int fd;

	fd = open_output(STDOUT_FILENO, &sock);
	pump_add_sink(main->out[0], fd, sock, NULL);
	if (!main->tty) {
		fd = open_output(STDERR_FILENO, &sock);
		pump_add_sink(main->out[1], fd, sock, NULL);
	}
	if (interactive && main->in && main->in->in < 0)
		main->in->in = STDIN_FILENO;
	/* We are the process an engine knows as the container's: what it
	 * (or anyone) signals us goes to process 1, as under runc. */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(passed_on) / sizeof(*passed_on); i++)
		sigaddset(&set, passed_on[i]);
	if (main->tty)
		sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* A signal for process 1, or the pty that is our stdio resized (by the
 * engine, on its master). */
static void own_signals(struct session *s)
{
	struct signalfd_siginfo si;
	struct client self = {.proc = s->procs[0], .stdio = {STDIN_FILENO, STDOUT_FILENO, -1}};

	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		struct monitor_msg m = {.type = MONITOR_SIGNAL, .value = (int)si.ssi_signo};
		if (si.ssi_signo == SIGWINCH)
			m.type = MONITOR_WINCH;
		else if (s->awaiting_start) {
			kill_held(s, m.value);
			continue;
		}
		forward(s, &self, &m);
	}
}

static void session_free(struct session *s, int result_code, const char *text)
{
	for (int i = 0; i < CLIENTS_MAX; i++) {
		struct client *c = s->clients[i];
		if (!c)
			continue;
		if (c->kind == CLIENT_FOREGROUND) {
			/* The caller reports to it; its fd is the caller's. */
			client_close_stdio(c);
			free(c);
			s->clients[i] = NULL;
			continue;
		}
		client_result(c, c->kind == CLIENT_EXEC ? EXIT_LAUNCHER : result_code, text);
		client_free(s, i);
	}
	for (int i = 0; i < PROCS_MAX; i++) {
		proc_free(s->procs[i], i > 0);
		s->procs[i] = NULL;
	}
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	free(s);
}

int run_session(struct booted *b, struct agent_request *create, const struct run_session_opts *o,
		int *ret_exit, struct error *e)
{
	struct session *s = xcalloc(1, sizeof(*s));
	struct agent_reply reply;
	struct proc *main;
	struct client *first = NULL;
	int r;

	s->b = b;
	s->sig_fd = -1;
	s->o = o;
	s->next_id = 100;
	s->next_wanted_check = now_ns() + WANTED_CHECK_MS * 1000000ull;
	main = s->procs[0] = proc_new(1, b->control_fd, o->tty);
	if (o->client_fd >= 0) {
		first = client_add(s, o->client_fd, o->foreground ? CLIENT_FOREGROUND : CLIENT_STARTER);
		first->borrowed = true; /* the caller's, closed by the caller */
		if (o->foreground) {
			first->own_stdio = true;
			for (int i = 0; i < 3; i++)
				first->stdio[i] = i;
		}
	}
	create->id = s->next_id++;
	r = agent_call(b->control_fd, create, &reply, AGENT_CALL_TIMEOUT_MS, e);
	if (r < 0) {
		error_prefix(e, "creating the container");
		goto out;
	}
	r = attach_all(s, main, o->interactive, e);
	if (r < 0)
		goto out;
	for (int i = 0; i < 2; i++)
		if (main->out[i])
			main->out[i]->logged = true;
	if (first && o->foreground)
		client_plug(first, main, o->interactive);
	if (o->own_stdio)
		plug_own_stdio(s, main, o->interactive);
	if (o->hold_start) {
		struct monitor_msg m = {.type = MONITOR_CREATED};
		s->awaiting_start = true;
		if (first) {
			(void)!send(first->fd, &m, sizeof(m), MSG_NOSIGNAL);
			first->done = true;
		}
	} else {
		r = begin(s, ret_exit, e);
		if (r != 0)
			goto out;
		if (first && !o->foreground) {
			struct monitor_msg m = {.type = MONITOR_STARTED};
			(void)!send(first->fd, &m, sizeof(m), MSG_NOSIGNAL);
			first->done = true;
		}
	}
	r = relay(s, e);
	if (r < 0 && main->exited && !s->cancelled) {
		/* The exit status came before the trouble: it stands. */
		error_clear(e);
		r = 0;
	}
	if (r == 0 && s->cancelled)
		r = error_set(e, ECANCELED, "the client of the monitor went away");
	else if (r == 0 && s->broken && !main->exited)
		r = error_set(e, EIO, "the agent stopped taking requests");
	if (r == 0) {
		report_main(s, true);
		*ret_exit = s->exit_code;
	}
out:
	session_free(s, r == 0 ? s->exit_code : r == 1 ? *ret_exit : EXIT_LAUNCHER,
		     r == 0 ? NULL : e->msg);
	return r;
}
