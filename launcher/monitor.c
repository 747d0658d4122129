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
#include "spare.h"

/* The monitor shares the user's stdio with the client: once the container
 * is done, let go of it, or `$(launcher run ...)` would wait for the VM to
 * power off too. */
void monitor_release_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return;
	for (int fd = 0; fd <= 2; fd++)
		dup2(null, fd);
	close(null);
}

void monitor_report(int fd, int code, const char *text)
{
	struct monitor_msg m = {.type = MONITOR_RESULT, .value = code};

	snprintf(m.text, sizeof(m.text), "%s", text ? text : "");
	(void)!send(fd, &m, sizeof(m), MSG_NOSIGNAL);
}

_Noreturn void monitor_serve(int client_fd, struct booted *b, struct agent_request *create,
			     bool interactive, bool tty, int hold_fd,
			     const struct boot_opts *spare_opts)
{
	struct run_session_opts so = {
	    .interactive = interactive, .tty = tty, .client_fd = client_fd};
	struct error e = {0};
	int code = EXIT_LAUNCHER;
	int r = run_session(b, create, &so, &code, &e);

	agent_request_free(create);
	if (r == -ECANCELED) {
		/* The client is gone: nobody to report to, take everything down. */
		boot_destroy(b);
		_exit(0);
	}
	if (r < 0) {
		boot_explain(b, &e);
		boot_destroy(b);
		monitor_report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	/* The exit status is known: tell the client now, power off after. The
	 * image is no longer in use (an exited container's VM reads nothing). */
	if (hold_fd >= 0)
		close(hold_fd);
	monitor_release_stdio();
	monitor_report(client_fd, code, r > 0 ? e.msg : NULL);
	close(client_fd);
	/* The next run with these options finds a VM waiting (spare.h); made
	 * now, after the result, so it does not slow this container down. */
	if (spare_opts)
		spare_spawn(spare_opts);
	if (boot_shutdown(b, 1u << 30, &e) < 0)
		boot_destroy(b);
	_exit(0);
}

_Noreturn void monitor_main(int client_fd, const struct monitor_opts *o)
{
	struct agent_request create = {0};
	char hostname[MSG_HOSTNAME_MAX];
	struct booted b;
	struct error e = {0};

	/* Out of the terminal's process group: Ctrl-C and job control reach
	 * the client, which forwards what the container should get. */
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (boot_vm(&o->boot, &b, &e) < 0) {
		monitor_report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	monitor_default_hostname(hv_vm_name(b.vm), hostname, sizeof(hostname));
	if (o->build_create(o->ctx, o->hostname ? o->hostname : hostname, &create, &e) < 0) {
		boot_destroy(&b);
		monitor_report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	monitor_serve(client_fd, &b, &create, o->interactive, o->tty, o->hold_fd, &o->boot);
}

void monitor_default_hostname(const char *vm_name, char *buf, size_t size)
{
	const char *id = strncmp(vm_name, "launcher-", 9) == 0 ? vm_name + 9 : vm_name;

	snprintf(buf, size, "%s", id);
}
