#include "reaper.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

struct reaper {
	struct watch w;
	reaper_fn fn;
	void *userdata;
};

static void drain_signalfd(int fd)
{
	struct signalfd_siginfo si[8];

	/* Signals coalesce: the count read does not matter, waitpid does. */
	while (read(fd, si, sizeof(si)) > 0)
		;
}

static void on_sigchld(struct watch *w, uint32_t events)
{
	struct reaper *r = watch_owner(w, struct reaper, w);

	drain_signalfd(w->fd);
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if (r->fn)
			r->fn(pid, status, r->userdata);
	}
}

int reaper_start(struct loop *loop, reaper_fn fn, void *userdata, struct error *e)
{
	struct reaper *r;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return error_errno(e, errno, "blocking SIGCHLD");
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return error_errno(e, errno, "signalfd");
	/* Lives as long as the agent. */
	r = xcalloc(1, sizeof(*r));
	r->w.fd = fd;
	r->w.fn = on_sigchld;
	r->fn = fn;
	r->userdata = userdata;
	if (loop_add(loop, &r->w, EPOLLIN, e) < 0) {
		close(fd);
		free(r);
		return -e->code;
	}
	return 0;
}
