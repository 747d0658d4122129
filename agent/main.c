/* launcher-agent: PID 1 of the guest. Mounts the basic filesystems, takes
 * the serial console, then serves the host over vsock from one epoll loop
 * and reaps every child. It never exits: a fatal error powers the VM off.
 *
 * Run as an ordinary process (not PID 1) it skips the mounts and the
 * console and exits instead of powering off, which helps debugging. */
#include <signal.h>
#include <unistd.h>

#include "config.h"
#include "console.h"
#include "container.h"
#include "control.h"
#include "fatal.h"
#include "loop.h"
#include "message.h"
#include "mounts.h"
#include "reaper.h"
#include "stream.h"
#include "uptime.h"
#include "vsock.h"

struct agent {
	struct container *ct;
	struct stream_server *streams;
};

static void on_child_exit(pid_t pid, int status, void *userdata)
{
	struct agent *a = userdata;

	if (container_child_exited(a->ct, pid, status))
		return;
	if (!stream_server_child_exited(a->streams, pid, status))
		console_debug("reaped %d (status 0x%x)", (int)pid, status);
}

static void setup_system(void)
{
	struct error e = {0};
	unsigned cid;

	/* The kernel's built-in initramfs gives us /dev/console on fds 0-2
	 * until our own /dev is there. */
	if (mounts_setup(&e) < 0)
		agent_fatal("%s", e.msg);
	if (console_open(&e) < 0)
		agent_fatal("%s", e.msg);
	console_read_cmdline();
	console_debug("started at %llu ms", (unsigned long long)uptime_ms());
	if (console_debug_enabled())
		mounts_log();
	if (vsock_local_cid(&cid, &e) < 0)
		agent_fatal("%s", e.msg);
	console_debug("vsock CID %u", cid);
}

int main(void)
{
	struct agent agent;
	struct loop loop;
	struct error e = {0};

	if (getpid() == 1)
		setup_system();
	/* Writes to a closed connection fail with EPIPE instead. PID 1 would
	 * ignore SIGPIPE anyway, its forked children would not. */
	signal(SIGPIPE, SIG_IGN);
	message_init();

	if (loop_init(&loop, &e) < 0)
		agent_fatal("%s", e.msg);
	agent.ct = container_new(&loop);
	agent.streams = stream_server_start(&loop, agent.ct, &e);
	if (!agent.streams)
		agent_fatal("stream port: %s", e.msg);
	if (reaper_start(&loop, on_child_exit, &agent, &e) < 0)
		agent_fatal("reaper: %s", e.msg);
	if (control_server_start(&loop, agent.ct, &e) < 0)
		agent_fatal("control port: %s", e.msg);

	console_print("launcher-agent %s ready (%llu ms)", LAUNCHER_VERSION,
		      (unsigned long long)uptime_ms());
	loop_run(&loop, &e);
	agent_fatal("event loop: %s", e.msg);
}
