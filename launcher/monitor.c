#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exit-status.h"
#include "state.h"
#include "run-session.h"
#include "spare.h"

/* How long a new monitor waits for the previous one to power its VM off. */
#define MONITOR_LOCK_WAIT_MS 60000

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

/* The container's record, kept true by the monitor (container/state.h). */
struct record {
	const struct container_launch *l;
	const struct booted *b;
	const struct boot_opts *boot;
	uint32_t pid;
	int exit_code;
	const char *error;
	bool exited; /* on_exited recorded the exit: it stands */
	bool oom_killed;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int set_running(struct container_state *s, void *ctx, struct error *e)
{
	struct record *r = ctx;
	struct container_vm *vm = &s->vm;

	if (s->started_ns)
		s->restart_count++;
	s->status = CONTAINER_RUNNING;
	s->monitor_pid = getpid();
	s->pid = r->pid;
	s->started_ns = realtime_ns();
	s->finished_ns = 0;
	s->exit_code = 0;
	s->oom_killed = false;
	s->error[0] = '\0';
	snprintf(vm->domain, sizeof(vm->domain), "%s", hv_vm_name(r->b->vm));
	snprintf(vm->accel, sizeof(vm->accel), "%s", hv_accel_name(r->b->host.accel.accel));
	vm->vcpus = r->boot->vcpus ? r->boot->vcpus : HV_DEFAULT_VCPUS;
	vm->memory_mib = r->boot->memory_mib ? r->boot->memory_mib : HV_DEFAULT_MEMORY_MIB;
	snprintf(vm->backend_socket, sizeof(vm->backend_socket), "%s/vsock.sock",
		 hv_vm_state_dir(r->b->vm));
	snprintf(vm->console_log, sizeof(vm->console_log), "%s", hv_vm_console_log(r->b->vm));
	return 0;
}

static int set_exited(struct container_state *s, void *ctx, struct error *e)
{
	struct record *r = ctx;

	s->status = CONTAINER_EXITED;
	s->monitor_pid = 0;
	s->finished_ns = realtime_ns();
	s->exit_code = r->exit_code;
	s->oom_killed = r->oom_killed;
	snprintf(s->error, sizeof(s->error), "%s", r->error ? r->error : "");
	return 0;
}

/* Did not start (command not found): Docker leaves it "created", with the
 * exit code and the error. */
static int set_failed(struct container_state *s, void *ctx, struct error *e)
{
	struct record *r = ctx;

	if (s->status == CONTAINER_RUNNING)
		s->status = s->started_ns ? CONTAINER_EXITED : CONTAINER_CREATED;
	s->monitor_pid = 0;
	s->exit_code = r->exit_code;
	s->finished_ns = realtime_ns();
	snprintf(s->error, sizeof(s->error), "%s", r->error ? r->error : "");
	return 0;
}

static void on_started(void *ctx, uint32_t pid)
{
	struct record *r = ctx;
	struct error e = {0};

	r->pid = pid;
	if (container_update(r->l->run_root, r->l->id, set_running, r, &e) < 0)
		fprintf(stderr, "launcher: monitor: %s\n", e.msg);
}

static void on_exited(void *ctx, int exit_code, bool oom_killed)
{
	struct record *r = ctx;
	struct error e = {0};

	r->exit_code = exit_code;
	r->oom_killed = oom_killed;
	r->error = NULL;
	r->exited = true;
	(void)container_update(r->l->run_root, r->l->id, set_exited, r, &e);
}

/* DIR/sock, 0600: exec, attach, kill and wait come this way. Its inode
 * is remembered in *ret_st: a socket gone or replaced means the record was
 * removed under us (the runtime root deleted), and the container goes. */
static int listen_socket(const struct container_launch *l, struct stat *ret_st)
{
	struct sockaddr_un sa;
	int fd, dfd = monitor_sock_addr(l->run_root, l->id, &sa);
	mode_t old;

	if (dfd < 0)
		return -1;
	unlinkat(dfd, "sock", 0);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		close(dfd);
		return -1;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    fstatat(dfd, "sock", ret_st, AT_SYMLINK_NOFOLLOW) < 0) {
		umask(old);
		close(fd);
		close(dfd);
		return -1;
	}
	umask(old);
	close(dfd);
	return fd;
}

struct wanted {
	const struct container_launch *l;
	struct stat sock;
};

static bool still_wanted(void *ctx)
{
	const struct wanted *w = ctx;
	char path[PATH_MAX];
	struct stat st;

	if (container_path(w->l->run_root, w->l->id, "sock", path, sizeof(path)) < 0)
		return true;
	return lstat(path, &st) == 0 && st.st_dev == w->sock.st_dev && st.st_ino == w->sock.st_ino;
}

_Noreturn void monitor_serve(int client_fd, struct booted *b, struct agent_request *create,
			     const struct container_launch *l, int hold_fd,
			     const struct boot_opts *boot, bool spare)
{
	struct record rec = {.l = l, .b = b, .boot = boot};
	struct wanted wanted = {.l = l};
	struct container_record cr = {0};
	struct run_session_opts so = {
	    .interactive = l->interactive,
	    .tty = l->tty,
	    .client_fd = client_fd,
	    .foreground = l->foreground,
	    .listener = -1,
	    .own_stdio = l->oci,
	    .hold_start = l->oci,
	    .on_started = on_started,
	    .on_exited = on_exited,
	    .ctx = &rec,
	};
	struct error e = {0};
	char dir[PATH_MAX];
	int code = EXIT_LAUNCHER, lock, r;

	if (!l->foreground && !l->oci)
		monitor_release_stdio();
	lock = container_monitor_lock(l->run_root, l->id, MONITOR_LOCK_WAIT_MS, &e);
	if (lock == -EWOULDBLOCK) {
		/* Another start got there first: it is running, once. */
		struct monitor_msg m = {.type = MONITOR_STARTED};
		agent_request_free(create);
		boot_destroy(b);
		if (l->foreground)
			monitor_report(client_fd, EXIT_LAUNCHER, "the container is already running");
		else
			(void)!send(client_fd, &m, sizeof(m), MSG_NOSIGNAL);
		_exit(0);
	}
	if (lock < 0 || container_load(l->run_root, l->id, &cr, &e) < 0) {
		agent_request_free(create);
		boot_destroy(b);
		monitor_report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	container_path(l->run_root, l->id, NULL, dir, sizeof(dir));
	/* An OCI container's output is the engine's to keep (conmon, the
	 * shim): it comes out on our stdio. */
	so.log = l->oci ? NULL : log_writer_open(dir, &cr.config.log, &e);
	so.listener = listen_socket(l, &wanted.sock);
	if (so.listener >= 0) {
		so.still_wanted = still_wanted;
		so.wanted_ctx = &wanted;
	}
	r = run_session(b, create, &so, &code, &e);
	agent_request_free(create);
	if (so.listener >= 0) {
		char sock[PATH_MAX];
		close(so.listener);
		if (still_wanted(&wanted) &&
		    container_path(l->run_root, l->id, "sock", sock, sizeof(sock)) >= 0)
			unlink(sock);
	}
	if (so.log)
		log_writer_close(so.log);
	/* --rm: gone before anyone is told, as Docker's run returns once it
	 * is removed; the VM powers off after. */
	if (cr.config.auto_remove) {
		struct error ignored = {0};
		(void)container_remove(l->run_root, l->id, &ignored);
		cr.config.auto_remove = false;
	}
	if (r < 0) {
		if (r != -ECANCELED)
			boot_explain(b, &e);
		struct error ignored = {0};
		if (!rec.exited) {
			rec.exit_code = EXIT_LAUNCHER;
			rec.error = e.msg;
			(void)container_update(l->run_root, l->id, set_failed, &rec, &ignored);
		}
		boot_destroy(b);
		if (l->foreground && r != -ECANCELED)
			monitor_report(client_fd, EXIT_LAUNCHER, e.msg);
		goto out;
	}
	if (r > 0) {
		struct error ignored = {0};
		rec.exit_code = code;
		rec.error = e.msg;
		(void)container_update(l->run_root, l->id, set_failed, &rec, &ignored);
	}
	/* The exit status is known: tell the client now, power off after. The
	 * image is no longer in use (an exited container's VM reads nothing). */
	if (hold_fd >= 0)
		close(hold_fd);
	hold_fd = -1;
	monitor_release_stdio();
	if (l->foreground)
		monitor_report(client_fd, code, r > 0 ? e.msg : NULL);
	close(client_fd);
	if (l->oci) {
		/* The engine waits on us for the container's status: now, not
		 * after a power-off (autodestroy takes the VM with us). */
		boot_destroy(b);
		container_record_free(&cr);
		_exit(code & 0xff);
	}
	/* The next run with these options finds a VM waiting (spare.h); made
	 * now, after the result, so it does not slow this container down. */
	if (spare)
		spare_spawn(boot);
	if (boot_shutdown(b, 1u << 30, &e) < 0)
		boot_destroy(b);
out:
	if (hold_fd >= 0)
		close(hold_fd);
	if (cr.config.auto_remove) {
		struct error ignored = {0};
		(void)container_remove(l->run_root, l->id, &ignored);
	}
	container_record_free(&cr);
	/* An engine reads our status as the container's: the session broke
	 * (the guest died, its agent went silent) is a failure, as recorded. */
	_exit(l->oci ? (rec.exited ? rec.exit_code : EXIT_LAUNCHER) & 0xff : 0);
}

/* The engine's pty (its master went to the console socket) becomes our
 * controlling terminal and stdio: raw, since the guest's pty has the line
 * discipline; resizes arrive as SIGWINCH. */
static void take_console(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	(void)ioctl(fd, TIOCSCTTY, 0);
	for (int i = 0; i <= 2; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* An engine's runtime call may carry its own fds (conmon's sync pipes, a
 * shim's): held by us for the container's life they would keep the engine
 * waiting for an EOF. Only stdio and ours stay. */
static void close_inherited(int a, int b)
{
	int keep[2] = {a < b ? a : b, a < b ? b : a};
	unsigned from = 3;

	for (int i = 0; i < 2; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0u, 0);
}

/* The engine knows us as the container's process: its hooks enter our
 * namespaces (/proc/PID/ns/net for a network hook). They must not be the
 * host's, which the hooks would then set up or tear down: the monitor
 * gets network, mount (slave: the host's unmounts still reach it), IPC
 * and UTS namespaces of its own. It needs none of the host's: libvirt and
 * the guest's sockets are paths. */
static int own_namespaces(struct error *e)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return error_errno(e, errno, "giving the container's monitor its own namespaces");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return error_errno(e, errno, "making the monitor's mounts slaves of the host's");
	return 0;
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
	if (o->launch.has_console)
		take_console(o->launch.console_fd);
	if (o->launch.oci) {
		close_inherited(client_fd, o->hold_fd);
		if (own_namespaces(&e) < 0) {
			monitor_report(client_fd, EXIT_LAUNCHER, e.msg);
			_exit(EXIT_LAUNCHER);
		}
	}
	if (!o->launch.foreground && !o->launch.oci)
		monitor_release_stdio();
	if (boot_vm(&o->boot, &b, &e) < 0) {
		struct record rec = {.exit_code = EXIT_LAUNCHER, .error = e.msg};
		struct error ignored = {0};
		(void)container_update(o->launch.run_root, o->launch.id, set_failed, &rec, &ignored);
		monitor_report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	monitor_default_hostname(hv_vm_name(b.vm), hostname, sizeof(hostname));
	if (o->build_create(o->ctx, o->hostname ? o->hostname : hostname, &create, &e) < 0) {
		boot_destroy(&b);
		monitor_report(client_fd, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	monitor_serve(client_fd, &b, &create, &o->launch, o->hold_fd, &o->boot,
		      spare_idle_seconds() > 0);
}

void monitor_default_hostname(const char *vm_name, char *buf, size_t size)
{
	const char *id = strncmp(vm_name, "launcher-", 9) == 0 ? vm_name + 9 : vm_name;

	snprintf(buf, size, "%s", id);
}
