#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exit-status.h"
#include "run-session.h"

/* The monitor shares the user's stdio with the client: once the container
 * is done, let go of it, or `$(launcher run ...)` would wait for the VM to
 * power off too. */
static void release_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return;
	for (int fd = 0; fd <= 2; fd++)
		dup2(null, fd);
	close(null);
}

static void report(int fd, int code, const char *text)
{
	struct monitor_msg m = {.type = MONITOR_RESULT, .value = code};

	snprintf(m.text, sizeof(m.text), "%s", text ? text : "");
	(void)!send(fd, &m, sizeof(m), MSG_NOSIGNAL);
}

_Noreturn void monitor_main(int client_fd, const struct monitor_opts *o)
{
	struct run_session_opts so = {.interactive = o->interactive, .tty = o->tty,
				      .client_fd = client_fd};
	struct agent_request create = {0};
	char hostname[MSG_HOSTNAME_MAX];
	struct booted b;
	struct error e = {0};
	int code = EXIT_LAUNCHER, r;

	/* Out of the terminal's process group: Ctrl-C and job control reach
	 * the client, which forwards what the container should get. */
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (boot_vm(&o->boot, &b, &e) < 0) {
		report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	snprintf(hostname, sizeof(hostname), "%s",
		 o->hostname ? o->hostname : hv_vm_name(b.vm) + strlen("launcher-"));
	if (o->build_create(o->ctx, hostname, &create, &e) < 0) {
		boot_destroy(&b);
		report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	r = run_session(&b, &create, &so, &code, &e);
	agent_request_free(&create);
	if (r == -ECANCELED) {
		/* The client is gone: nobody to report to, take everything down. */
		boot_destroy(&b);
		_exit(0);
	}
	if (r < 0) {
		boot_explain(&b, &e);
		boot_destroy(&b);
		report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	/* The exit status is known: tell the client now, power off after. */
	release_stdio();
	report(client_fd, code, r > 0 ? e.msg : NULL);
	close(client_fd);
	if (boot_shutdown(&b, 1u << 30, &e) < 0)
		boot_destroy(&b);
	_exit(0);
}
