#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "console.h"
#include "container.h"
#include "fatal.h"
#include "message.h"
#include "protocol.h"
#include "reply.h"
#include "uptime.h"
#include "util.h"
#include "vsock.h"

/* Replies are small; this holds dozens. A host that sends requests
 * without reading the replies finds the agent stops reading too. */
#define CONN_OUT_CAP (16u * 1024)
/* Replies that come later (start, wait) each keep room reserved on top, so
 * they always fit when they come, whatever the host reads meanwhile. */
#define CONN_DEFERRED_MAX 8
#define CONN_OUT_SIZE (CONN_OUT_CAP + CONN_DEFERRED_MAX * REPLY_FRAME_MAX)
#define READS_PER_EVENT 16
#define ACCEPTS_PER_EVENT 16
/* After the shutdown reply: how long the host gets to close its end,
 * so the reply is on its way out of the guest before the power goes. */
#define SHUTDOWN_GRACE_MS 200

struct control_server {
	struct watch listener;
	struct loop *loop;
	struct container *ct;
	unsigned n_conns;
};

/* A reply to come, or (event) the exit event of a process this
 * connection created. */
struct deferred {
	struct container_waiter w;
	struct control_conn *conn;
	bool event;
	uint32_t process;
	struct deferred *prev, *next;
};

struct control_conn {
	struct watch w;
	struct control_server *srv;
	struct frame_reader in;
	uint8_t *out;
	size_t out_len;
	uint32_t events;
	bool eof;		  /* the host closed its write side */
	bool backlog;		  /* frames wait for room in out */
	bool power_off;		  /* shutdown: power off once out is flushed */
	struct deferred deferred; /* sentinel of the replies to come */
	unsigned n_deferred;
};

static noreturn void conn_power_off(struct control_conn *c);
static int conn_queue(struct control_conn *c, enum agent_op op, const struct agent_reply *reply);
static void conn_queue_event(struct control_conn *c, const struct agent_event *ev);

static void deferred_free(struct deferred *d, bool cancel)
{
	if (cancel)
		container_waiter_cancel(&d->w);
	d->prev->next = d->next;
	d->next->prev = d->prev;
	d->conn->n_deferred--;
	free(d);
}

/* From another handler, maybe of this connection's batch: queue and ask
 * for a writable event, where the reply goes out and the connection may
 * end, in its own handler. */
static void on_deferred_done(struct container_waiter *w, const struct agent_reply *reply)
{
	struct deferred *d = (struct deferred *)w;
	struct control_conn *c = d->conn;
	struct error e = {0};

	if (!d->event)
		conn_queue(c, w->op, reply);
	else if (!reply->failed) /* a failed start was answered by the start reply */
		conn_queue_event(c, &(struct agent_event){.kind = AGENT_EVENT_EXIT,
							  .process = d->process,
							  .exit = reply->u.wait});
	deferred_free(d, false);
	if (!(c->events & EPOLLOUT)) {
		if (loop_modify(c->srv->loop, &c->w, c->events | EPOLLOUT, &e) < 0)
			console_log("control: %s", e.msg);
		else
			c->events |= EPOLLOUT;
	}
}

static struct deferred *deferred_new(struct control_conn *c, uint64_t id)
{
	struct deferred *d = xcalloc(1, sizeof(*d));

	d->w.id = id;
	d->w.done = on_deferred_done;
	d->conn = c;
	d->next = &c->deferred;
	d->prev = c->deferred.prev;
	d->prev->next = d;
	c->deferred.prev = d;
	c->n_deferred++;
	return d;
}

static void conn_free(struct control_conn *c)
{
	/* However a connection that asked for shutdown ends, the VM goes. */
	if (c->power_off)
		conn_power_off(c);
	console_debug("control: connection %d closed", c->w.fd);
	/* Nobody is left to answer: the processes go on. */
	while (c->deferred.next != &c->deferred)
		deferred_free(c->deferred.next, true);
	loop_remove(c->srv->loop, &c->w);
	close(c->w.fd);
	frame_reader_free(&c->in);
	free(c->out);
	c->srv->n_conns--;
	free(c);
}

static void conn_queue_event(struct control_conn *c, const struct agent_event *ev)
{
	int n = reply_encode_event(ev, c->out + c->out_len);

	if (n < 0) {
		console_log("control: cannot encode an event: %s", strerror(-n));
		return;
	}
	c->out_len += (size_t)n;
}

static int conn_queue(struct control_conn *c, enum agent_op op, const struct agent_reply *reply)
{
	int n = reply_encode(op, reply, c->out + c->out_len);

	if (n < 0) {
		console_log("control: cannot encode a %s reply: %s", agent_op_name(op),
			    strerror(-n));
		return n;
	}
	c->out_len += (size_t)n;
	return 0;
}

/* The connection that created a process hears of its exit. */
static void subscribe_exit(struct control_conn *c, uint32_t process)
{
	struct deferred *d = deferred_new(c, 0);
	struct wait_result unused;
	struct error e = {0};

	d->event = true;
	d->process = process;
	if (container_wait(c->srv->ct, process, &d->w, &unused, &e) != 0)
		deferred_free(d, false);
}

/* Fills reply and returns 1, or returns 0 when the reply comes later. */
static int handle_process_op(struct control_conn *c, struct agent_request *req,
			     struct agent_reply *reply)
{
	struct container *ct = c->srv->ct;
	const struct process_args *a = &req->u.process;
	struct deferred *d = NULL;
	struct error e = {0};
	int r;

	if (req->op != AGENT_OP_SIGNAL && req->op != AGENT_OP_RESIZE &&
	    c->n_deferred >= CONN_DEFERRED_MAX) {
		reply_set_error(reply, req->id, EBUSY,
				"too many creates, starts and waits pending on this connection");
		return 1;
	}
	switch (req->op) {
	case AGENT_OP_CREATE:
		r = container_create(ct, &req->u.create, &e);
		if (r == 0)
			subscribe_exit(c, req->u.create.process);
		break;
	case AGENT_OP_START:
		d = deferred_new(c, req->id);
		r = container_start(ct, a->process, &d->w, &e);
		break;
	case AGENT_OP_SIGNAL:
		r = container_signal(ct, a->process, a->signal, &e);
		break;
	case AGENT_OP_RESIZE:
		r = container_resize(ct, a->process, a->rows, a->cols, &e);
		break;
	case AGENT_OP_WAIT:
		d = deferred_new(c, req->id);
		r = container_wait(ct, a->process, &d->w, &reply->u.wait, &e);
		break;
	default:
		r = error_set(&e, EOPNOTSUPP, "op not supported on the control port");
		break;
	}
	if (d && r == 0)
		return 0;
	if (d)
		deferred_free(d, false);
	if (r < 0) {
		console_debug("control: %s %llu: %s", agent_op_name(req->op),
			      (unsigned long long)req->id, e.msg);
		reply_set_error(reply, req->id, e.code, e.msg);
	}
	return 1;
}

static int handle_request(struct control_conn *c, const uint8_t *payload, uint32_t len)
{
	struct agent_request req = {0};
	struct agent_reply reply = {0};
	struct error e = {0};

	if (agent_request_parse((const char *)payload, len, &req, &e) < 0) {
		console_debug("control: bad request: %s", e.msg);
		if (!req.id_valid)
			return -EBADMSG;
		reply_set_error(&reply, req.id, e.code, e.msg);
		return conn_queue(c, AGENT_OP_PING, &reply);
	}
	console_debug("control: %s request %llu", agent_op_name(req.op),
		      (unsigned long long)req.id);
	reply.id = req.id;
	switch (req.op) {
	case AGENT_OP_PING:
		snprintf(reply.u.ping.version, sizeof(reply.u.ping.version), "%s",
			 LAUNCHER_VERSION);
		reply.u.ping.uptime_ms = uptime_ms();
		break;
	case AGENT_OP_SHUTDOWN:
		console_debug("control: shutdown requested");
		c->power_off = true;
		break;
	case AGENT_OP_DIAG:
	case AGENT_OP_ATTACH:
		reply_set_error(&reply, req.id, EOPNOTSUPP,
				"diag and attach run on a stream connection (vsock port 1025)");
		break;
	default:
		if (handle_process_op(c, &req, &reply) == 0) {
			agent_request_free(&req);
			return 0;
		}
		break;
	}
	agent_request_free(&req);
	return conn_queue(c, req.op, &reply);
}

/* Handles the complete frames buffered. Returns 1 when all are handled,
 * 0 when handling must wait (no room for a reply, or powering off), or
 * -errno when the connection must close. */
static int conn_process(struct control_conn *c)
{
	while (!c->power_off) {
		const uint8_t *payload;
		uint32_t len;
		int r;

		if (c->out_len + (c->n_deferred + 1) * REPLY_FRAME_MAX > CONN_OUT_SIZE) {
			c->backlog = true;
			return 0;
		}
		r = frame_reader_next(&c->in, &payload, &len);
		if (r == 0) {
			c->backlog = false;
			return 1;
		}
		if (r < 0) {
			console_debug("control: bad frame: %s", strerror(-r));
			return r;
		}
		r = handle_request(c, payload, len);
		if (r < 0)
			return r;
	}
	return 0;
}

static int conn_read(struct control_conn *c)
{
	for (unsigned i = 0; i < READS_PER_EVENT; i++) {
		size_t room;
		uint8_t *p;
		ssize_t n;
		int r = conn_process(c);

		if (r <= 0 || c->eof)
			return r;
		p = frame_reader_space(&c->in, &room);
		n = read(c->w.fd, p, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			console_debug("control: read: %m");
			return -errno;
		}
		if (n == 0) {
			/* A partial frame left in the reader is dropped. */
			c->eof = true;
			return 0;
		}
		frame_reader_commit(&c->in, (size_t)n);
	}
	/* More may be waiting: the level-triggered loop comes back. */
	return conn_process(c) < 0 ? -EBADMSG : 0;
}

static int conn_flush(struct control_conn *c)
{
	size_t done = 0;

	while (done < c->out_len) {
		ssize_t n = send(c->w.fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			console_debug("control: write: %m");
			return -errno;
		}
		done += (size_t)n;
	}
	memmove(c->out, c->out + done, c->out_len - done);
	c->out_len -= done;
	return 0;
}

/* The reply is in the socket; give the guest's vsock transport (and the
 * host) a moment to carry it out before the VM goes away. */
static noreturn void conn_power_off(struct control_conn *c)
{
	struct pollfd p = {.fd = c->w.fd, .events = POLLIN};
	uint64_t deadline = now_ns() + SHUTDOWN_GRACE_MS * 1000000ull;
	char buf[256];

	shutdown(c->w.fd, SHUT_WR);
	for (;;) {
		uint64_t now = now_ns();
		if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000000u) + 1) <= 0)
			break;
		ssize_t n = read(c->w.fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
	console_debug("control: powering off");
	agent_power_off();
}

static void conn_update(struct control_conn *c)
{
	uint32_t want = 0;
	struct error e = {0};

	if (c->out_len == 0 && c->power_off)
		conn_power_off(c);
	if (c->out_len == 0 && c->eof && !c->backlog && !c->n_deferred) {
		conn_free(c);
		return;
	}
	if (!c->eof && !c->backlog && !c->power_off)
		want |= EPOLLIN;
	/* A backlog with an empty buffer resumes on the next writable event. */
	if (c->out_len || c->backlog)
		want |= EPOLLOUT;
	if (want != c->events) {
		if (loop_modify(c->srv->loop, &c->w, want, &e) < 0) {
			console_log("control: %s", e.msg);
			conn_free(c);
			return;
		}
		c->events = want;
	}
}

static void on_conn_event(struct watch *w, uint32_t events)
{
	struct control_conn *c = watch_owner(w, struct control_conn, w);

	if (conn_read(c) < 0 || conn_flush(c) < 0) {
		conn_free(c);
		return;
	}
	if ((events & EPOLLERR) || ((events & EPOLLHUP) && (c->out_len || c->n_deferred))) {
		/* Nobody left to read the replies. */
		conn_free(c);
		return;
	}
	conn_update(c);
}

static void conn_new(struct control_server *srv, int fd)
{
	struct control_conn *c = xcalloc(1, sizeof(*c));
	struct error e = {0};

	c->w.fd = fd;
	c->w.fn = on_conn_event;
	c->srv = srv;
	c->out = xmalloc(CONN_OUT_SIZE);
	c->deferred.prev = c->deferred.next = &c->deferred;
	c->events = EPOLLIN;
	frame_reader_init(&c->in);
	srv->n_conns++;
	if (loop_add(srv->loop, &c->w, c->events, &e) < 0) {
		console_log("control: %s", e.msg);
		/* conn_free removes from the loop, harmless when not added. */
		conn_free(c);
		return;
	}
	console_debug("control: connection %d open (%u in all)", fd, srv->n_conns);
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct control_server *srv = watch_owner(w, struct control_server, listener);

	for (unsigned i = 0; i < ACCEPTS_PER_EVENT; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				console_log("control: accept: %m");
			return;
		}
		if (srv->n_conns >= CONTROL_CONN_MAX) {
			console_log("control: %u connections open already; refusing one",
				    srv->n_conns);
			close(fd);
			continue;
		}
		conn_new(srv, fd);
	}
}

int control_server_start(struct loop *loop, struct container *ct, struct error *e)
{
	struct control_server *srv;
	int fd = vsock_listen(AGENT_CONTROL_PORT, e);

	if (fd < 0)
		return fd;
	/* Lives as long as the agent. */
	srv = xcalloc(1, sizeof(*srv));
	srv->listener.fd = fd;
	srv->listener.fn = on_accept;
	srv->loop = loop;
	srv->ct = ct;
	if (loop_add(loop, &srv->listener, EPOLLIN, e) < 0) {
		close(fd);
		free(srv);
		return -e->code;
	}
	return 0;
}
