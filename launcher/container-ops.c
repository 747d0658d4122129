#include "container-ops.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "monitor.h"
#include "paths.h"
#include "util.h"

/* After SIGKILL a container is gone within this (the guest's PID 1 reaps
 * it at once; this is only a backstop). */
#define KILL_WAIT_MS 30000

void cli_run_root(char *buf, size_t size)
{
	launcher_run_root(buf, size);
}

int cli_usage(const char *verb, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	launcher_error("%s\nSee 'launcher %s --help'.", msg, verb);
	return EXIT_LAUNCHER;
}

static int request(const char *run_root, const char *id, int type, int value, int timeout_ms,
		   struct monitor_msg *ret, struct error *e)
{
	struct monitor_msg m = {.type = type, .value = value};
	int fd = monitor_connect(run_root, id);

	if (fd < 0)
		return error_set(e, ENOTCONN, "container %.12s is not running", id);
	if (monitor_send(fd, &m, NULL, 0, NULL, 0) < 0 ||
	    monitor_recv(fd, ret, NULL, 0, NULL, timeout_ms) < 0 || ret->type != MONITOR_RESULT) {
		close(fd);
		/* The monitor went away meanwhile: the container ended. One
		 * still there did not answer in time. */
		if (!container_monitor_alive(run_root, id))
			return error_set(e, ENOTCONN, "container %.12s is not running", id);
		if (type == MONITOR_WAIT && timeout_ms >= 0)
			return -ETIMEDOUT;
		return error_set(e, ETIMEDOUT, "container %.12s: its monitor did not answer", id);
	}
	close(fd);
	return 0;
}

int container_kill(const char *run_root, const char *id, int sig, struct error *e)
{
	struct monitor_msg m;

	if (request(run_root, id, MONITOR_KILL, sig, 10000, &m, e) < 0)
		return -e->code;
	if (m.value != 0)
		return error_set(e, ENOTCONN, "container %.12s: %s", id,
				 m.text[0] ? m.text : "cannot be signalled");
	return 0;
}

int container_wait(const char *run_root, const char *id, int timeout_ms, struct error *e)
{
	struct container_record r;
	struct monitor_msg m;
	int rr = request(run_root, id, MONITOR_WAIT, 0, timeout_ms, &m, e);

	if (rr == -ETIMEDOUT)
		return rr;
	if (rr == 0)
		return m.value;
	/* Not running (or it just ended): the record knows. */
	error_clear(e);
	if (container_load(run_root, id, &r, e) < 0)
		return -e->code;
	rr = r.state.exit_code;
	container_record_free(&r);
	return rr;
}

int container_wait_monitor_gone(const char *run_root, const char *id, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (container_monitor_alive(run_root, id)) {
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000}, NULL);
	}
	return 0;
}

int container_stop(const char *run_root, const struct container_record *r, int timeout_s,
		   struct error *e)
{
	const char *id = r->config.id;
	int rc;

	if (r->state.status != CONTAINER_RUNNING)
		return 0;
	rc = container_kill(run_root, id, r->config.stop_signal, e);
	if (rc == -ENOTCONN)
		return 0; /* it ended by itself meanwhile */
	if (rc < 0)
		return rc;
	rc = container_wait(run_root, id, timeout_s * 1000, e);
	if (rc == -ETIMEDOUT) {
		rc = container_kill(run_root, id, SIGKILL, e);
		if (rc < 0 && rc != -ENOTCONN)
			return rc;
		rc = container_wait(run_root, id, KILL_WAIT_MS, e);
		if (rc == -ETIMEDOUT)
			return error_set(e, ETIMEDOUT,
					 "container %.12s did not exit after SIGKILL", id);
	}
	if (rc < 0)
		return rc;
	/* Stopped means its VM is gone too, as `docker stop` returns once
	 * the container's resources are. */
	if (container_wait_monitor_gone(run_root, id, KILL_WAIT_MS) < 0)
		return error_set(e, ETIMEDOUT, "container %.12s: its VM did not power off", id);
	return 0;
}
