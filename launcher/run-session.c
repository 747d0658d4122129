#include "run-session.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-client.h"
#include "cleanup.h"
#include "exit-status.h"
#include "monitor.h"
#include "protocol.h"
#include "terminal.h"
#include "util.h"

#define PUMP_BUF (64u * 1024)
#define PUMPS_MAX 3
#define PENDING_MAX 16
/* After the exit status, streams get this long to reach EOF (they close
 * when the container's PID namespace goes, so this is only a backstop). */
#define DRAIN_TIMEOUT_MS 5000

/* Bytes from one fd to another through a bounded buffer. */
struct pump {
	int in, out;
	bool out_is_socket; /* half-close it when in reaches EOF */
	bool in_eof, out_dead;
	size_t len, off;
	uint8_t buf[PUMP_BUF];
};

struct pending {
	uint64_t id;
	enum agent_op op;
};

struct session {
	struct booted *b;
	const struct run_session_opts *o;
	struct pump pumps[PUMPS_MAX];
	int npumps;
	struct frame_reader ctl;
	struct pending pending[PENDING_MAX];
	uint64_t next_id;
	bool exited;
	struct wait_result status;
};

static int attach_stream(struct session *s, enum stream_kind kind, struct error *e)
{
	struct agent_request req = {.id = s->next_id++, .op = AGENT_OP_ATTACH,
				    .u.attach = {.process = 1, .stream = kind}};
	struct agent_reply reply;
	_cleanup_close_ int fd = hv_vm_connect(s->b->vm, AGENT_STREAM_PORT, e);

	if (fd < 0)
		return fd == -ECONNREFUSED
			       ? error_set(e, ECONNREFUSED, "the agent's stream port refused")
			       : -e->code;
	if (agent_call(fd, &req, &reply, AGENT_CALL_TIMEOUT_MS, e) < 0)
		return error_prefix(e, "attaching a stdio stream");
	return TAKE_FD(fd);
}

static void add_pump(struct session *s, int in, int out, bool out_is_socket)
{
	struct pump *p = &s->pumps[s->npumps++];

	p->in = in;
	p->out = out;
	p->out_is_socket = out_is_socket;
}

static int attach_all(struct session *s, struct error *e)
{
	int fd;

	if (s->o->tty) {
		fd = attach_stream(s, STREAM_PTY, e);
		if (fd < 0)
			return fd;
		fd_set_nonblock(fd, true);
		add_pump(s, fd, STDOUT_FILENO, false);
		if (s->o->interactive)
			add_pump(s, STDIN_FILENO, fd, true);
		return 0;
	}
	for (enum stream_kind k = STREAM_STDOUT; k <= STREAM_STDERR; k++) {
		fd = attach_stream(s, k, e);
		if (fd < 0)
			return fd;
		fd_set_nonblock(fd, true);
		add_pump(s, fd, k == STREAM_STDOUT ? STDOUT_FILENO : STDERR_FILENO, false);
	}
	if (s->o->interactive) {
		fd = attach_stream(s, STREAM_STDIN, e);
		if (fd < 0)
			return fd;
		fd_set_nonblock(fd, true);
		add_pump(s, STDIN_FILENO, fd, true);
	}
	return 0;
}

static int send_request(struct session *s, struct agent_request *req, struct error *e)
{
	int slot = -1;

	for (int i = 0; i < PENDING_MAX; i++)
		if (!s->pending[i].id) {
			slot = i;
			break;
		}
	if (slot < 0)
		return error_set(e, EBUSY, "too many requests to the agent in flight");
	req->id = s->next_id++;
	/* The control socket stays blocking for writes: requests are small. */
	if (agent_send(s->b->control_fd, req, e) < 0)
		return -e->code;
	s->pending[slot] = (struct pending){.id = req->id, .op = req->op};
	return 0;
}

/* Process 1's exit, pushed by the agent to the connection that created it. */
static int handle_event(struct session *s, const uint8_t *payload, uint32_t len, struct error *e)
{
	struct agent_event ev;
	struct error perr = {0};

	if (agent_event_parse((const char *)payload, len, &ev, &perr) < 0)
		return error_set(e, EPROTO, "agent sent a malformed event: %s", perr.msg);
	if (ev.kind == AGENT_EVENT_EXIT && ev.process == 1) {
		s->exited = true;
		s->status = ev.exit;
	}
	return 0;
}

static int handle_reply(struct session *s, const uint8_t *payload, uint32_t len, struct error *e)
{
	struct agent_reply reply;
	struct error perr = {0};
	uint64_t id;

	if (agent_frame_is_event((const char *)payload, len))
		return handle_event(s, payload, len, e);

	/* The op decides how the result parses: find the request by id first. */
	if (agent_reply_peek_id((const char *)payload, len, &id, &perr) < 0)
		return error_set(e, EPROTO, "agent sent a malformed reply: %s", perr.msg);
	for (int i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &s->pending[i];
		if (!p->id || p->id != id)
			continue;
		if (agent_reply_parse((const char *)payload, len, p->op, &reply, &perr) < 0)
			return error_set(e, EPROTO, "agent sent a malformed %s reply: %s",
					 agent_op_name(p->op), perr.msg);
		p->id = 0;
		/* A failed signal or resize (the process just exited) is harmless. */
		return 0;
	}
	return error_set(e, EPROTO, "agent answered a request it was not sent");
}

static int read_control(struct session *s, struct error *e)
{
	for (;;) {
		size_t room;
		uint8_t *dst = frame_reader_space(&s->ctl, &room);
		const uint8_t *payload;
		uint32_t len;
		ssize_t n = room ? read(s->b->control_fd, dst, room) : 0;
		int r;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0)
			return error_errno(e, errno, "reading from the agent");
		if (n == 0 && room)
			return error_set(e, ECONNRESET, "the agent closed the control connection");
		frame_reader_commit(&s->ctl, (size_t)n);
		while ((r = frame_reader_next(&s->ctl, &payload, &len)) > 0)
			if (handle_reply(s, payload, len, e) < 0)
				return -e->code;
		if (r < 0)
			return error_set(e, EPROTO, "agent sent a bad frame header");
	}
	return 0;
}

static void forward(struct session *s, const struct monitor_msg *m, struct error *e)
{
	struct agent_request req = {.op = AGENT_OP_SIGNAL,
				    .u.process = {.process = 1, .signal = m->value}};

	if (m->type == MONITOR_WINCH) {
		req.op = AGENT_OP_RESIZE;
		if (!terminal_size_any(&req.u.process.rows, &req.u.process.cols))
			return;
	} else if (m->type != MONITOR_SIGNAL || m->value <= 0 || m->value > 64) {
		return;
	}
	(void)send_request(s, &req, e);
}

/* Returns -ECANCELED when the client has gone. */
static int read_client(struct session *s, struct error *e)
{
	struct monitor_msg m;
	ssize_t n = recv(s->o->client_fd, &m, sizeof(m), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return error_set(e, ECANCELED, "the client of the monitor went away");
	if (n == (ssize_t)sizeof(m))
		forward(s, &m, e);
	return 0;
}

static bool pump_done(const struct pump *p)
{
	return (p->in_eof || p->out_dead) && p->len == p->off;
}

static void pump_read(struct pump *p)
{
	ssize_t n = read(p->in, p->buf, sizeof(p->buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF, or a reset stream: nothing more will come either way. */
		p->in_eof = true;
		if (p->out_is_socket && !p->out_dead)
			shutdown(p->out, SHUT_WR);
		return;
	}
	p->len = (size_t)n;
	p->off = 0;
}

static void pump_write(struct pump *p)
{
	ssize_t n = write(p->out, p->buf + p->off, p->len - p->off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* The reader went away (EPIPE): keep draining our input. */
		p->out_dead = true;
		p->len = p->off = 0;
		return;
	}
	p->off += (size_t)n;
	if (p->off == p->len) {
		p->len = p->off = 0;
		if (p->in_eof && p->out_is_socket)
			shutdown(p->out, SHUT_WR);
	}
}

/* Output pumps are those whose input is a guest stream. */
static bool outputs_done(const struct session *s)
{
	for (int i = 0; i < s->npumps; i++)
		if (s->pumps[i].in != STDIN_FILENO && !pump_done(&s->pumps[i]))
			return false;
	return true;
}

static int relay(struct session *s, struct error *e)
{
	uint64_t drain_deadline = 0;

	while (!(s->exited && outputs_done(s))) {
		struct pollfd pfd[2 + PUMPS_MAX];
		int pump_of[2 + PUMPS_MAX], n = 0, timeout = -1, r;

		pfd[n] = (struct pollfd){.fd = s->b->control_fd, .events = POLLIN};
		pump_of[n++] = -1;
		pfd[n] = (struct pollfd){.fd = s->o->client_fd, .events = POLLIN};
		pump_of[n++] = -2;
		for (int i = 0; i < s->npumps; i++) {
			struct pump *p = &s->pumps[i];
			if (p->len > p->off && !p->out_dead)
				pfd[n] = (struct pollfd){.fd = p->out, .events = POLLOUT};
			else if (!p->in_eof)
				pfd[n] = (struct pollfd){.fd = p->in, .events = POLLIN};
			else
				continue;
			pump_of[n++] = i;
		}
		if (s->exited) {
			uint64_t now = now_ns();
			if (!drain_deadline)
				drain_deadline = now + DRAIN_TIMEOUT_MS * 1000000ull;
			if (now >= drain_deadline)
				break;
			timeout = (int)((drain_deadline - now) / 1000000) + 1;
		}
		r = poll(pfd, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR)
			return error_errno(e, errno, "poll");
		for (int i = 0; r > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (pump_of[i] == -1) {
				if (read_control(s, e) < 0)
					return -e->code;
			} else if (pump_of[i] == -2) {
				if (read_client(s, e) < 0)
					return -e->code;
			} else if (pfd[i].events & POLLOUT) {
				pump_write(&s->pumps[pump_of[i]]);
			} else {
				pump_read(&s->pumps[pump_of[i]]);
			}
		}
	}
	return 0;
}

static int start_process(struct session *s, int *ret_exit, struct error *e)
{
	struct agent_request req = {.id = s->next_id++, .op = AGENT_OP_START,
				    .u.process = {.process = 1}};
	struct agent_reply reply;

	if (agent_call(s->b->control_fd, &req, &reply, AGENT_CALL_TIMEOUT_MS, e) == 0)
		return 0;
	if (reply.failed) {
		/* The agent's own words: `exec: "foo": executable file not found`. */
		*ret_exit = exit_code_for_start_error(reply.error.code);
		error_set(e, reply.error.code, "%s", reply.error.message);
		return 1;
	}
	return -e->code;
}

int run_session(struct booted *b, struct agent_request *create, const struct run_session_opts *o,
		int *ret_exit, struct error *e)
{
	struct agent_reply reply;
	struct session *s = xcalloc(1, sizeof(*s));
	int r;

	s->b = b;
	s->o = o;
	s->next_id = 100;
	frame_reader_init(&s->ctl);
	create->id = s->next_id++;
	r = agent_call(b->control_fd, create, &reply, AGENT_CALL_TIMEOUT_MS, e);
	if (r < 0) {
		error_prefix(e, "creating the container");
		goto out;
	}
	r = attach_all(s, e);
	if (r < 0)
		goto out;
	r = start_process(s, ret_exit, e);
	if (r != 0)
		goto out;
	/* From here the agent's exit event ends the session (no wait needed). */
	fd_set_nonblock(b->control_fd, true);
	r = relay(s, e);
	if (r == 0)
		*ret_exit = exit_code_for_wait(&s->status);
out:
	fd_set_nonblock(b->control_fd, false);
	for (int i = 0; i < s->npumps; i++) {
		struct pump *p = &s->pumps[i];
		if (p->in != STDIN_FILENO)
			close(p->in);
		else if (p->out_is_socket)
			close(p->out);
	}
	frame_reader_free(&s->ctl);
	free(s);
	return r;
}
