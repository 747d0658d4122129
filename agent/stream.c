#include "stream.h"

#include <errno.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
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

struct stream_server {
	struct watch listener;
	pid_t children[STREAM_CHILD_MAX];
	unsigned n_children;
};

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

/* Reads exactly the request frame (raw bytes may follow it) and serves it. */
static int serve(int fd)
{
	_cleanup_free_ char *payload = NULL;
	struct agent_request req = {0};
	struct error e = {0};
	size_t len;

	if (proto_recv(fd, STREAM_REQUEST_TIMEOUT_MS, &payload, &len, &e) < 0) {
		console_debug("stream: request: %s", e.msg);
		return -e.code;
	}
	if (agent_request_parse(payload, len, &req, &e) < 0) {
		console_debug("stream: bad request: %s", e.msg);
		if (!req.id_valid)
			return -EBADMSG;
		return send_error(fd, req.id, e.code, e.msg);
	}
	if (req.op != AGENT_OP_DIAG)
		return send_error(fd, req.id, EOPNOTSUPP,
				  "op not supported on a stream connection");
	console_debug("stream: diag %s of %llu bytes",
		      req.u.diag.mode == DIAG_SINK     ? "sink"
		      : req.u.diag.mode == DIAG_SOURCE ? "source"
						       : "pipe",
		      (unsigned long long)req.u.diag.bytes);
	return serve_diag(fd, &req);
}

static noreturn void child_main(int fd)
{
	sigset_t none;

	/* Nothing of the loop belongs to the child: listeners, epoll,
	 * signalfd and the other connections go. stdio stays. */
	if (fd > STDERR_FILENO + 1)
		close_range(STDERR_FILENO + 1, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0u, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	_exit(serve(fd) < 0 ? 1 : 0);
}

static void start_child(struct stream_server *srv, int fd)
{
	pid_t pid = fork();

	if (pid < 0) {
		console_log("stream: fork: %m");
		return;
	}
	if (pid == 0)
		child_main(fd);
	srv->children[srv->n_children++] = pid;
	console_debug("stream: child %d serves a connection (%u in all)", (int)pid,
		      srv->n_children);
}

static void on_accept(struct watch *w, uint32_t events)
{
	struct stream_server *srv = watch_owner(w, struct stream_server, listener);

	for (unsigned i = 0; i < ACCEPTS_PER_EVENT; i++) {
		/* Blocking: the child serves it with plain reads and writes. */
		_cleanup_close_ int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				console_log("stream: accept: %m");
			return;
		}
		if (srv->n_children >= STREAM_CHILD_MAX) {
			console_log("stream: %u streams busy already; refusing one",
				    srv->n_children);
			continue;
		}
		start_child(srv, fd);
	}
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

struct stream_server *stream_server_start(struct loop *loop, struct error *e)
{
	struct stream_server *srv;
	int fd = vsock_listen(AGENT_STREAM_PORT, e);

	if (fd < 0)
		return NULL;
	/* Lives as long as the agent. */
	srv = xcalloc(1, sizeof(*srv));
	srv->listener.fd = fd;
	srv->listener.fn = on_accept;
	if (loop_add(loop, &srv->listener, EPOLLIN, e) < 0) {
		close(fd);
		free(srv);
		return NULL;
	}
	return srv;
}
