#include "spare.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "agent-client.h"
#include "commands.h"
#include "digest.h"
#include "gc.h"
#include "paths.h"
#include "protocol.h"
#include "util.h"

#define HELLO_TIMEOUT_MS 2000
#define CLAIM_TIMEOUT_MS 5000
#define ACCEPT_TIMEOUT_MS 10000
#define IDLE_CHECK_MS 2000 /* how often a waiting spare looks at its VM and socket */
#define MAX_IDLE_S 86400
#define SHARE_TAG_MAX 32

unsigned spare_idle_seconds(void)
{
	const char *s = getenv("LAUNCHER_WARM_SECONDS");
	uint64_t v;

	if (!s || !*s || parse_uint(s, MAX_IDLE_S, &v) < 0)
		return SPARE_IDLE_DEFAULT_S;
	return (unsigned)v;
}

/* What a file is, so that a rebuilt kernel or a replaced root filesystem
 * never meets a spare made from the old one. */
static void key_file(FILE *f, const char *what, const char *path)
{
	struct stat st = {0};

	(void)stat(path, &st);
	fprintf(f, "%s %s %ju %ju %jd %lld.%09ld\n", what, path, (uintmax_t)st.st_dev,
		(uintmax_t)st.st_ino, (intmax_t)st.st_size, (long long)st.st_mtim.tv_sec,
		st.st_mtim.tv_nsec);
}

/* RUN_ROOT/spare/KEY, KEY hashing everything the VM is made from. */
static int spare_dir(const struct boot_opts *o, char *ret, size_t size, struct error *e)
{
	char run_root[PATH_MAX], key[DIGEST_HEX_LEN + 1];
	struct guest_files files;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (guest_files_find(&files, e) < 0)
		return -e->code;
	f = open_memstream(&text, &len);
	if (!f)
		return error_errno(e, errno, "open_memstream");
	fprintf(f, "launcher spare 1\nuid %u\nuri %s\naccel %s\nvcpus %u\nmemory %u\n",
		(unsigned)geteuid(), hv_default_uri(), hv_accel_name(o->accel),
		o->vcpus ? o->vcpus : HV_DEFAULT_VCPUS,
		o->memory_mib ? o->memory_mib : HV_DEFAULT_MEMORY_MIB);
	key_file(f, "exe", "/proc/self/exe");
	key_file(f, "kernel", files.kernel);
	key_file(f, "initrd", files.initrd);
	key_file(f, "firmware", files.firmware);
	key_file(f, "backend", files.backend);
	fprintf(f, "qemu_root %d\nnic %d\n", o->qemu_root, o->nic);
	for (unsigned i = 0; i < o->nshares; i++) {
		fprintf(f, "share %s %d\n", o->shares[i].tag, o->shares[i].readonly);
		key_file(f, "source", o->shares[i].source);
	}
	for (unsigned i = 0; i < o->ndisks; i++) {
		fprintf(f, "disk %d\n", o->disks[i].readonly);
		key_file(f, "source", o->disks[i].source);
	}
	if (fclose(f) != 0)
		return error_errno(e, ENOMEM, "building the spare key");
	digest_sha256_hex(text, len, key);
	launcher_run_root(run_root, sizeof(run_root));
	if (bprintf(ret, size, "%s/spare/%s", run_root, key) < 0)
		return error_set(e, ENAMETOOLONG, "runtime root %s is too long", run_root);
	return 0;
}

static int sock_path(const char *dir, struct sockaddr_un *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sun_family = AF_UNIX;
	return bprintf(ret->sun_path, sizeof(ret->sun_path), "%s/sock", dir);
}

/* Waits up to timeout_ms for one record of the given type. */
static int recv_msg(int fd, int type, struct monitor_msg *m, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	if (recv(fd, m, sizeof(*m), MSG_DONTWAIT) != (ssize_t)sizeof(*m) || m->type != type)
		return -1;
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

static int peer_is_us(int fd, pid_t *ret_pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid())
		return 0;
	if (ret_pid)
		*ret_pid = cred.pid;
	return 1;
}

/* Connects to the spare for opts and reads its hello (the VM's name into
 * vm_name). Returns the connection or -1. */
static int claim_connect(const struct boot_opts *opts, pid_t *ret_pid, char *vm_name, size_t size)
{
	char dir[PATH_MAX];
	struct sockaddr_un sa;
	struct monitor_msg m;
	struct error e = {0};
	_cleanup_close_ int fd = -1;

	/* A VM publishing ports is made for its container alone. */
	if (spare_idle_seconds() == 0 || opts->nports || spare_dir(opts, dir, sizeof(dir), &e) < 0 ||
	    sock_path(dir, &sa) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    !peer_is_us(fd, ret_pid) || recv_msg(fd, MONITOR_SPARE_HELLO, &m, HELLO_TIMEOUT_MS) < 0)
		return -1;
	snprintf(vm_name, size, "%s", m.text);
	return TAKE_FD(fd);
}

int spare_claim(const struct monitor_opts *mo, pid_t *ret_pid)
{
	char vm_name[sizeof(((struct monitor_msg *)0)->text)], hostname[MSG_HOSTNAME_MAX];
	struct agent_request create = {0};
	struct monitor_msg m = {.type = MONITOR_SPARE_CLAIM};
	struct error e = {0};
	_cleanup_free_ char *payload = NULL;
	_cleanup_close_ int fd = claim_connect(&mo->boot, ret_pid, vm_name, sizeof(vm_name));
	const int stdio[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	size_t len;

	if (fd < 0)
		return -1;
	monitor_default_hostname(vm_name, hostname, sizeof(hostname));
	if (mo->build_create(mo->ctx, mo->hostname ? mo->hostname : hostname, &create, &e) < 0) {
		agent_request_free(&create);
		return -1; /* the cold path reports the same error */
	}
	payload = agent_request_format(&create, &len);
	agent_request_free(&create);
	if (!payload || len == 0 || len > PROTO_FRAME_MAX)
		return -1;
	m.value = (int)len;
	m.flags = (mo->interactive ? MONITOR_FLAG_INTERACTIVE : 0) |
		  (mo->tty ? MONITOR_FLAG_TTY : 0) |
		  (mo->launch.foreground ? 0 : MONITOR_FLAG_DETACHED);
	snprintf(m.text, sizeof(m.text), "%s", mo->launch.id);
	if (monitor_send(fd, &m, stdio, 3, payload, len) < 0 ||
	    recv_msg(fd, MONITOR_SPARE_ACCEPTED, &m, ACCEPT_TIMEOUT_MS) < 0)
		return -1;
	return TAKE_FD(fd);
}

int spare_check(const struct boot_opts *opts, int wait_ms, struct spare_check_result *ret,
		struct error *e)
{
	uint64_t deadline = now_ns() + (uint64_t)wait_ms * 1000000u;
	unsigned long long agent_ns, uptime;
	struct monitor_msg m;
	_cleanup_close_ int fd = -1;
	pid_t pid;

	memset(ret, 0, sizeof(*ret));
	if (spare_idle_seconds() == 0)
		return error_set(e, EINVAL, "spares are turned off (LAUNCHER_WARM_SECONDS=0)");
	for (bool spawned = false;; spawned = true) {
		fd = claim_connect(opts, &pid, ret->vm_name, sizeof(ret->vm_name));
		if (fd >= 0)
			break;
		if (now_ns() >= deadline)
			return error_set(e, ETIMEDOUT, "no spare VM was ready after %d ms",
					 wait_ms);
		if (!spawned)
			spare_spawn(opts);
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000}, NULL);
	}
	ret->claimed = now_ns();
	if (monitor_send(fd, &(struct monitor_msg){.type = MONITOR_SPARE_CLAIM,
						    .flags = MONITOR_FLAG_CHECK},
			 NULL, 0, NULL, 0) < 0 ||
	    recv_msg(fd, MONITOR_SPARE_ACCEPTED, &m, ACCEPT_TIMEOUT_MS) < 0)
		return error_set(e, EPROTO, "the spare VM %s refused the claim", ret->vm_name);
	if (recv_msg(fd, MONITOR_RESULT, &m, BOOT_AGENT_TIMEOUT_MS + 30000) < 0)
		return error_set(e, EPROTO, "the spare VM %s sent no result", ret->vm_name);
	ret->gone = now_ns();
	if (m.value != 0)
		return error_set(e, EIO, "%s", m.text);
	if (sscanf(m.text, "%llu %llu %63s", &agent_ns, &uptime, ret->agent_version) != 3)
		return error_set(e, EPROTO, "the spare VM %s sent a malformed result",
				 ret->vm_name);
	ret->agent_reachable = agent_ns;
	ret->uptime_ms = uptime;
	return 0;
}

/* The spare's side of a claim: the client's stdio and create request. */
struct claim {
	int fds[3];
	struct container_launch launch;
	bool check; /* `launcher check --warm`: no container, ping and power off */
	struct agent_request create;
};

static void claim_close_fds(struct claim *c)
{
	for (int i = 0; i < 3; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
}

static int recv_claim_header(int conn, struct claim *c, size_t *ret_len)
{
	struct monitor_msg m;
	int nfds = 0;

	if (monitor_recv(conn, &m, c->fds, 3, &nfds, CLAIM_TIMEOUT_MS) < 0)
		return -1;
	c->check = m.flags & MONITOR_FLAG_CHECK;
	if (m.type != MONITOR_SPARE_CLAIM || m.value < 0 || (size_t)m.value > PROTO_FRAME_MAX ||
	    (m.value == 0) != c->check || (!c->check && nfds != 3))
		return -1;
	c->launch.interactive = m.flags & MONITOR_FLAG_INTERACTIVE;
	c->launch.tty = m.flags & MONITOR_FLAG_TTY;
	c->launch.foreground = !(m.flags & MONITOR_FLAG_DETACHED);
	if (!c->check && bprintf(c->launch.id, sizeof(c->launch.id), "%s", m.text) < 0)
		return -1;
	launcher_run_root(c->launch.run_root, sizeof(c->launch.run_root));
	*ret_len = (size_t)m.value;
	return 0;
}

/* Returns 0 with *c filled, or -1 (the connection was not a valid claim). */
static int recv_claim(int conn, const char *vm_name, struct claim *c)
{
	struct monitor_msg hello = {.type = MONITOR_SPARE_HELLO};
	_cleanup_free_ char *payload = NULL;
	struct error e = {0};
	size_t len;

	memset(c, 0, sizeof(*c));
	c->fds[0] = c->fds[1] = c->fds[2] = -1;
	snprintf(hello.text, sizeof(hello.text), "%s", vm_name);
	if (!peer_is_us(conn, NULL) || send(conn, &hello, sizeof(hello), MSG_NOSIGNAL) < 0 ||
	    recv_claim_header(conn, c, &len) < 0)
		goto fail;
	if (c->check)
		return 0;
	if (monitor_recv_payload(conn, len, CLAIM_TIMEOUT_MS, &payload) < 0)
		goto fail;
	if (agent_request_parse(payload, len, &c->create, &e) < 0)
		goto fail;
	if (c->create.op != AGENT_OP_CREATE) {
		agent_request_free(&c->create);
		goto fail;
	}
	return 0;
fail:
	claim_close_fds(c);
	return -1;
}

/* The one spare per key holds RUN_ROOT/spare/KEY/lock. A lock file whose
 * name was unlinked meanwhile is not the lock: try again. */
static int take_lock(const char *dir)
{
	char path[PATH_MAX];

	if (bprintf(path, sizeof(path), "%s/lock", dir) < 0)
		return -1;
	for (int attempt = 0; attempt < 5; attempt++) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			if (errno == ENOENT && mkdir(dir, 0700) == 0)
				continue;
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			return -1; /* another spare has it */
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	return -1;
}

static void drop_lock(const char *dir, int lock_fd)
{
	char path[PATH_MAX];

	if (bprintf(path, sizeof(path), "%s/lock", dir) == 0)
		unlink(path);
	close(lock_fd);
}

static int make_dirs(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	if (bprintf(parent, sizeof(parent), "%s", dir) < 0 || !(slash = strrchr(parent, '/')))
		return -1;
	*slash = '\0';
	if (mkdir(parent, 0700) < 0 && errno != EEXIST)
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Listens on sa; *ret_st identifies the socket file, to remove only ours. */
static int listen_at(const struct sockaddr_un *sa, struct stat *ret_st)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	unlink(sa->sun_path);
	if (fd < 0 || bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    chmod(sa->sun_path, 0600) < 0 || stat(sa->sun_path, ret_st) < 0 || listen(fd, 1) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int same_file(const char *path, const struct stat *want)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_ino == want->st_ino && st.st_dev == want->st_dev;
}

/* Waits for a valid claim. Returns 0 with *c filled, or -1 when the spare
 * should go: idle too long, signalled, its VM died, or its socket was
 * removed (the runtime root went away). */
static int wait_for_claim(int listener, int sigfd, const struct sockaddr_un *sa,
			  const struct stat *sock_st, struct booted *b, unsigned idle_s,
			  struct claim *c)
{
	uint64_t deadline = now_ns() + (uint64_t)idle_s * 1000000000u;
	struct error e = {0};

	for (;;) {
		struct pollfd p[2] = {{.fd = listener, .events = POLLIN},
				      {.fd = sigfd, .events = POLLIN}};
		uint64_t now = now_ns();
		int timeout, conn;

		if (now >= deadline)
			return -1;
		timeout = (int)((deadline - now) / 1000000u) + 1;
		if (timeout > IDLE_CHECK_MS)
			timeout = IDLE_CHECK_MS;
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			return -1;
		if (p[1].revents)
			return -1;
		if (!(p[0].revents & POLLIN)) {
			if (hv_vm_check_alive(b->vm, &e) < 0 || !same_file(sa->sun_path, sock_st))
				return -1;
			continue;
		}
		conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		if (recv_claim(conn, hv_vm_name(b->vm), c) == 0)
			return conn;
		close(conn);
	}
}

/* TAG:ro|rw:DIR; the tag is copied into tag (size bytes), DIR stays in arg. */
static int parse_share(char *arg, struct domain_share *ret, char *tag, size_t size)
{
	const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	if (!c1 || !c2 || c2[1] != '/' || (size_t)(c1 - arg) >= size)
		return -1;
	memcpy(tag, arg, (size_t)(c1 - arg));
	tag[c1 - arg] = '\0';
	ret->tag = tag;
	ret->readonly = strncmp(c1 + 1, "ro:", 3) == 0;
	ret->source = c2 + 1;
	return 0;
}

static int parse_spare_args(int argc, char **argv, struct boot_opts *o, struct domain_share *shares,
			    char (*tags)[SHARE_TAG_MAX], struct domain_disk *disks)
{
	static const struct option longopts[] = {
	    {"accel", required_argument, NULL, 'a'},
	    {"vcpus", required_argument, NULL, 'c'},
	    {"memory", required_argument, NULL, 'm'},
	    {"share", required_argument, NULL, 's'},
	    {"disk", required_argument, NULL, 'd'},
	    {"nic", no_argument, NULL, 'n'},
	    {0},
	};
	uint64_t v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (hv_accel_parse(optarg, &o->accel) < 0)
				return -1;
			break;
		case 'c':
		case 'm':
			if (parse_uint(optarg, 1u << 20, &v) < 0)
				return -1;
			*(c == 'c' ? &o->vcpus : &o->memory_mib) = (unsigned)v;
			break;
		case 'n':
			o->nic = true;
			break;
		case 'd':
			if (o->ndisks >= DOMAIN_DISKS_MAX ||
			    (strncmp(optarg, "ro:/", 4) != 0 && strncmp(optarg, "rw:/", 4) != 0))
				return -1;
			disks[o->ndisks].readonly = optarg[1] == 'o';
			disks[o->ndisks++].source = optarg + 3;
			break;
		case 's':
			if (o->nshares >= DOMAIN_SHARES_MAX ||
			    parse_share(optarg, &shares[o->nshares], tags[o->nshares],
					SHARE_TAG_MAX) < 0)
				return -1;
			o->nshares++;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static void unblock_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* For `launcher check --warm`: reach the agent, ping it, power off, and
 * report "AGENT_REACHABLE_NS UPTIME_MS VERSION". */
static _Noreturn void serve_check(int conn, struct booted *b, const struct boot_opts *opts)
{
	struct agent_request ping = {.id = 1, .op = AGENT_OP_PING};
	struct agent_reply reply;
	struct error e = {0};
	char text[256];

	monitor_release_stdio();
	if (boot_wait_agent(b, &e) < 0) {
		monitor_report(conn, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	if (agent_call(b->control_fd, &ping, &reply, AGENT_CALL_TIMEOUT_MS, &e) < 0) {
		boot_explain(b, &e);
		boot_destroy(b);
		error_prefix(&e, "pinging the agent");
		monitor_report(conn, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	snprintf(text, sizeof(text), "%llu %llu %s", (unsigned long long)b->agent_reachable,
		 (unsigned long long)reply.u.ping.uptime_ms, reply.u.ping.version);
	if (boot_shutdown(b, 2, &e) < 0) {
		error_prefix(&e, "shutting the VM down");
		monitor_report(conn, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	monitor_report(conn, 0, text);
	close(conn);
	spare_spawn(opts);
	_exit(0);
}

/* The claimed spare becomes the client's monitor. */
static _Noreturn void serve_claim(int conn, struct claim *c, struct booted *b, int hold_fd,
				  const struct boot_opts *opts)
{
	struct monitor_msg m = {.type = MONITOR_SPARE_ACCEPTED};
	struct error e = {0};

	for (int fd = 0; fd < 3; fd++) {
		dup2(c->fds[fd], fd);
		close(c->fds[fd]);
	}
	if (boot_resume(b, &e) < 0) {
		m.type = MONITOR_SPARE_REFUSED;
		snprintf(m.text, sizeof(m.text), "%s", e.msg);
		(void)!send(conn, &m, sizeof(m), MSG_NOSIGNAL);
		_exit(0);
	}
	(void)!send(conn, &m, sizeof(m), MSG_NOSIGNAL);
	if (c->check)
		serve_check(conn, b, opts);
	if (boot_wait_agent(b, &e) < 0) {
		agent_request_free(&c->create);
		monitor_report(conn, EXIT_LAUNCHER, e.msg);
		_exit(0);
	}
	monitor_serve(conn, b, &c->create, &c->launch, hold_fd, opts, true);
}

int cmd_spare(int argc, char **argv)
{
	struct domain_share shares[DOMAIN_SHARES_MAX] = {0};
	char tags[DOMAIN_SHARES_MAX][SHARE_TAG_MAX];
	struct domain_disk disks[DOMAIN_DISKS_MAX] = {0};
	struct boot_opts opts = {
	    .accel = HV_ACCEL_AUTO, .shares = shares, .disks = disks, .paused = true};
	unsigned idle_s = spare_idle_seconds();
	char dir[PATH_MAX];
	struct sockaddr_un sa;
	struct stat sock_st;
	struct booted b;
	struct claim c;
	struct error e = {0};
	int lock_fd, listener, sigfd, conn = -1, hold_fd = -1;

	if (parse_spare_args(argc, argv, &opts, shares, tags, disks) < 0) {
		launcher_error("spare: invalid arguments");
		return EXIT_LAUNCHER;
	}
	if (idle_s == 0 || spare_dir(&opts, dir, sizeof(dir), &e) < 0 || sock_path(dir, &sa) < 0 ||
	    make_dirs(dir) < 0)
		return 0;
	lock_fd = take_lock(dir);
	if (lock_fd < 0)
		return 0; /* one spare per key */
	/* Its VM uses the image disk: rmi and prune must see it in use. */
	if (opts.ndisks && (hold_fd = image_hold(opts.disks[0].source, &e)) < 0) {
		drop_lock(dir, lock_fd);
		return 0;
	}
	if (boot_vm(&opts, &b, &e) < 0) {
		drop_lock(dir, lock_fd);
		rmdir(dir);
		launcher_error("spare: %s", e.msg);
		return EXIT_LAUNCHER;
	}

	sigfd = block_signals();
	listener = listen_at(&sa, &sock_st);
	if (listener >= 0 && sigfd >= 0)
		conn = wait_for_claim(listener, sigfd, &sa, &sock_st, &b, idle_s, &c);
	if (listener >= 0) {
		close(listener);
		if (same_file(sa.sun_path, &sock_st))
			unlink(sa.sun_path);
	}
	drop_lock(dir, lock_fd); /* a new spare may start while we serve */
	if (conn < 0) {
		boot_destroy(&b);
		rmdir(dir);
		return 0;
	}
	close(sigfd);
	unblock_signals();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	serve_claim(conn, &c, &b, hold_fd, &opts);
}

void spare_spawn(const struct boot_opts *o)
{
	char *argv[9 + 2 * (DOMAIN_SHARES_MAX + DOMAIN_DISKS_MAX) + 1], vcpus[16], memory[16];
	char *share_args[DOMAIN_SHARES_MAX] = {0}, *disk_args[DOMAIN_DISKS_MAX] = {0};
	int n = 0;
	pid_t pid;

	/* Published ports are the container's: a spare must not hold them. */
	if (spare_idle_seconds() == 0 || o->nports)
		return;
	snprintf(vcpus, sizeof(vcpus), "%u", o->vcpus);
	snprintf(memory, sizeof(memory), "%u", o->memory_mib);
	argv[n++] = "launcher";
	argv[n++] = "spare";
	argv[n++] = "--accel";
	argv[n++] = (char *)hv_accel_name(o->accel);
	argv[n++] = "--vcpus";
	argv[n++] = vcpus;
	argv[n++] = "--memory";
	argv[n++] = memory;
	if (o->nic)
		argv[n++] = "--nic";
	for (unsigned i = 0; i < o->nshares && i < DOMAIN_SHARES_MAX; i++) {
		share_args[i] = xasprintf("%s:%s:%s", o->shares[i].tag,
					  o->shares[i].readonly ? "ro" : "rw", o->shares[i].source);
		argv[n++] = "--share";
		argv[n++] = share_args[i];
	}
	for (unsigned i = 0; i < o->ndisks && i < DOMAIN_DISKS_MAX; i++) {
		disk_args[i] =
		    xasprintf("%s:%s", o->disks[i].readonly ? "ro" : "rw", o->disks[i].source);
		argv[n++] = "--disk";
		argv[n++] = disk_args[i];
	}
	argv[n] = NULL;
	/* Twice forked: the spare belongs to no monitor and outlives this one. */
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		setsid();
		if (fork() != 0)
			_exit(0);
		prctl(PR_SET_PDEATHSIG, 0);
		for (int fd = 0; fd < 3 && null >= 0; fd++)
			dup2(null, fd);
		close_range(3, ~0u, 0);
		unblock_signals();
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	for (unsigned i = 0; i < DOMAIN_SHARES_MAX; i++)
		free(share_args[i]);
	for (unsigned i = 0; i < DOMAIN_DISKS_MAX; i++)
		free(disk_args[i]);
}
