#include "stream.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "diag.h"
#include "message.h"
#include "protocol.h"
#include "reply.h"
#include "util.h"
#include "vsock.h"

#define ACCEPTS_PER_EVENT 16
/* How long a new stream connection may take to send its request. */
#define STREAM_REQUEST_TIMEOUT_MS 10000
/* Stream requests are small (attach, diag); anything bigger is refused. */
#define STREAM_REQUEST_MAX 4096u

struct stream_conn {
	struct watch w;
	struct stream_server *srv;
	struct stream_conn *prev, *next;
	uint64_t deadline_ns;
	uint8_t hdr[PROTO_HEADER_SIZE];
	size_t hdr_len;
	char *payload;
	uint32_t len, got;
};

struct stream_server {
	struct watch listener;
	struct watch timer; /* ticks while requests are pending, to drop the slow */
	struct loop *loop;
	struct container *ct;
	struct stream_conn pending; /* sentinel of the connections still reading */
	unsigned n_pending;
	pid_t children[STREAM_CHILD_MAX];
	unsigned n_children;
};

/* ---- the diag child ---- */

static int send_error(int fd, uint64_t id, int code, const char *msg)
{
	struct agent_reply reply;
	struct error e = {0};

	reply_set_error(&reply, id, code, msg);
	if (reply_send(fd, AGENT_OP_DIAG, &reply, &e) < 0) {
		console_debug("stream: %s", e.msg);
		return -e.code;
	}
	return 0;
}

static int serve_diag(int fd, const struct agent_request *req)
{
	struct agent_reply reply = {.id = req->id};
	struct error e = {0};
	int r;

	switch (req->u.diag.mode) {
	case DIAG_SINK:
		r = diag_sink(fd, &req->u.diag, &reply.u.diag, &e);
		break;
	case DIAG_PIPE:
		r = diag_pipe(&req->u.diag, &reply.u.diag, &e);
		break;
	case DIAG_SOURCE:
		/* Raw bytes only: an error can only show as a short stream. */
		r = diag_source(fd, &req->u.diag, &e);
		if (r < 0)
			console_debug("stream: %s", e.msg);
		return r;
	default:
		return send_error(fd, req->id, EINVAL, "unknown diag mode");
	}
	if (r < 0)
		return send_error(fd, req->id, e.code, e.msg);
	if (reply_send(fd, AGENT_OP_DIAG, &reply, &e) < 0) {
		console_debug("stream: %s", e.msg);
		return -e.code;
	}
	return 0;
}

static noreturn void diag_child(int fd, const struct agent_request *req)
{
	sigset_t none;

	/* Nothing of the loop belongs to the child: listeners, epoll,
	 * signalfd and the other connections go. stdio stays. */
	if (fd > STDERR_FILENO + 1)
		close_range(STDERR_FILENO + 1, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0u, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Blocking code from here; the agent's copy is closed. */
	fd_set_nonblock(fd, false);
	_exit(serve_diag(fd, req) < 0 ? 1 : 0);
}

static void start_diag(struct stream_server *srv, int fd, const struct agent_request *req)
{
	pid_t pid;

	if (srv->n_children >= STREAM_CHILD_MAX) {
		console_log("stream: %u diag streams busy already; refusing one", srv->n_children);
		return;
	}
	console_debug("stream: diag %s of %llu bytes",
		      req->u.diag.mode == DIAG_SINK	? "sink"
		      : req->u.diag.mode == DIAG_SOURCE ? "source"
							: "pipe",
		      (unsigned long long)req->u.diag.bytes);
	pid = fork();
	if (pid < 0) {
		console_log("stream: fork: %m");
		return;
	}
	if (pid == 0)
		diag_child(fd, req);
	srv->children[srv->n_children++] = pid;
}

bool stream_server_child_exited(struct stream_server *srv, pid_t pid, int status)
{
	for (unsigned i = 0; i < srv->n_children; i++) {
		if (srv->children[i] != pid)
			continue;
		srv->children[i] = srv->children[--srv->n_children];
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			console_debug("stream: child %d ended with status 0x%x", (int)pid, status);
		return true;
	}
	return false;
}

/* ---- the request, read in the agent ---- */

/* One send without waiting: a reply is small and a new connection's
 * socket buffer empty, so a host that cannot take it at once is broken
 * and loses the connection. */
static int send_now(int fd, const struct agent_reply *reply)
{
	uint8_t buf[REPLY_FRAME_MAX];
	int n = reply_encode(AGENT_OP_ATTACH, reply, buf);
	ssize_t sent;

	if (n < 0)
		return n;
	do
		sent = send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (sent < 0 && errno == EINTR);
	if (sent < 0)
		return -errno;
	return sent == n ? 0 : -EAGAIN;
}

static void send_error_now(int fd, uint64_t id, int code, const char *msg)
{
	struct agent_reply reply;
	int r;

	reply_set_error(&reply, id, code, msg);
	r = send_now(fd, &reply);
	if (r < 0)
		console_debug("stream: sending an error reply: %s", strerror(-r));
}

/* Attaches; returns whether the connection was handed over. */
static bool serve_attach(struct stream_server *srv, int fd, const struct agent_request *req)
{
	struct agent_reply reply = {.id = req->id};
	struct error e = {0};
	int r;

	if (container_attach_check(srv->ct, &req->u.attach, &e) < 0) {
		console_debug("stream: attach: %s", e.msg);
		send_error_now(fd, req->id, e.code, e.msg);
		return false;
	}
	r = send_now(fd, &reply);
	if (r < 0) {
		console_log("stream: sending the attach reply: %s", strerror(-r));
		return false;
	}
	container_attach(srv->ct, &req->u.attach, fd);
	return true;
}

/* Serves the request read; returns whether the connection was handed over. */
static bool serve(struct stream_conn *c)
{
	struct agent_request req = {0};
	struct error e = {0};
	bool taken = false;

	if (agent_request_parse(c->payload, c->len, &req, &e) < 0) {
		console_debug("stream: bad request: %s", e.msg);
		if (req.id_valid)
			send_error_now(c->w.fd, req.id, e.code, e.msg);
		return false;
	}
	switch (req.op) {
	case AGENT_OP_DIAG:
		start_diag(c->srv, c->w.fd, &req);
		break;
	case AGENT_OP_ATTACH:
		taken = serve_attach(c->srv, c->w.fd, &req);
		break;
	default:
		send_error_now(c->w.fd, req.id, EOPNOTSUPP,
			       "op not supported on a stream connection");
		break;
	}
	agent_request_free(&req);
	return taken;
}

static void conn_free(struct stream_conn *c, bool close_fd)
{
	struct stream_server *srv = c->srv;

	loop_remove(srv->loop, &c->w);
	if (close_fd)
		close(c->w.fd);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	srv->n_pending--;
	free(c->payload);
	free(c);
}

/* Reads exactly the 4-byte header, then exactly its payload. Returns 1
 * when the frame is complete, 0 when more must come, or -errno. */
static int conn_read(struct stream_conn *c)
{
	for (;;) {
		bool in_header = c->hdr_len < sizeof(c->hdr);
		uint8_t *p = in_header ? c->hdr + c->hdr_len : (uint8_t *)c->payload + c->got;
		size_t want = in_header ? sizeof(c->hdr) - c->hdr_len : c->len - c->got;
		ssize_t n;

		if (!in_header && want == 0)
			return 1;
		n = read(c->w.fd, p, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (n == 0)
			return -ECONNRESET;
		if (!in_header) {
			c->got += (uint32_t)n;
			continue;
		}
		c->hdr_len += (size_t)n;
		if (c->hdr_len < sizeof(c->hdr))
			continue;
		c->len = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
			 (uint32_t)c->hdr[2] << 8 | c->hdr[3];
		if (c->len == 0)
			return -EBADMSG;
		if (c->len > STREAM_REQUEST_MAX)
			return -EMSGSIZE;
		c->payload = xmalloc(c->len + 1);
		c->payload[c->len] = '\0';
	}
}

static void on_conn_event(struct watch *w, uint32_t events)
{
	struct stream_conn *c = watch_owner(w, struct stream_conn, w);
	int r = conn_read(c);

	if (r == 0)
		return;
	if (r < 0) {
		console_debug("stream: connection %d: request: %s", w->fd, strerror(-r));
		conn_free(c, true);
		return;
	}
	conn_free(c, !serve(c));
}

static void on_timer(struct watch *w, uint32_t events)
{
	struct stream_server *srv = watch_owner(w, struct stream_server, timer);
	uint64_t now = now_ns(), ticks;
	struct itimerspec off = {0};

	(void)!read(w->fd, &ticks, sizeof(ticks));
	/* Shut down, not freed: the connection's own handler frees it, as
	 * its event may be later in this very batch. */
	for (struct stream_conn *c = srv->pending.next; c != &srv->pending; c = c->next)
		if (now >= c->deadline_ns) {
			console_debug("stream: connection %d sent no request in time", c->w.fd);
			shutdown(c->w.fd, SHUT_RDWR);
		}
	if (srv->n_pending == 0)
		timerfd_settime(w->fd, 0, &off, NULL);
}

static void conn_new(struct stream_server *srv, int fd)
{
	struct stream_conn *c = xcalloc(1, sizeof(*c));
	struct itimerspec tick = {.it_interval = {1, 0}, .it_value = {1, 0}};
	struct error e = {0};

	c->w.fd = fd;
	c->w.fn = on_conn_event;
	c->srv = srv;
	c->deadline_ns = now_ns() + STREAM_REQUEST_TIMEOUT_MS * 1000000ull;
	c->next = &srv->pending;
	c->prev = srv->pending.prev;
	c->prev->next = c;
	srv->pending.prev = c;
	if (srv->n_pending++ == 0)
		timerfd_settime(srv->timer.fd, 0, &tick, NULL);
	if (loop_add(srv->loop, &c->w, EPOLLIN, &e) < 0) {
		console_log("stream: %s", e.msg);
		conn_free(c, true);
	}
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct stream_server *srv = watch_owner(w, struct stream_server, listener);

	for (unsigned i = 0; i < ACCEPTS_PER_EVENT; i++) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				console_log("stream: accept: %m");
			return;
		}
		if (srv->n_pending >= STREAM_PENDING_MAX) {
			console_log("stream: %u requests pending already; refusing a connection",
				    srv->n_pending);
			close(fd);
			continue;
		}
		conn_new(srv, fd);
	}
}

struct stream_server *stream_server_start(struct loop *loop, struct container *ct, struct error *e)
{
	_cleanup_close_ int fd = -1, timer = -1;
	struct stream_server *srv;

	timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (timer < 0) {
		error_errno(e, errno, "timerfd_create");
		return NULL;
	}
	fd = vsock_listen(AGENT_STREAM_PORT, e);
	if (fd < 0)
		return NULL;
	/* Lives as long as the agent. */
	srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->ct = ct;
	srv->pending.prev = srv->pending.next = &srv->pending;
	srv->listener.fd = fd;
	srv->listener.fn = on_accept;
	srv->timer.fd = timer;
	srv->timer.fn = on_timer;
	if (loop_add(loop, &srv->timer, EPOLLIN, e) < 0 ||
	    loop_add(loop, &srv->listener, EPOLLIN, e) < 0) {
		free(srv);
		return NULL;
	}
	TAKE_FD(fd);
	TAKE_FD(timer);
	return srv;
}
