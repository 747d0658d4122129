#include "vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"
#include "vsock.h"

#define QEMU_SYSTEM_USER "libvirt-qemu"
#define BACKEND_READY_TIMEOUT_MS 5000
#define CONNECT_ATTEMPT_MS 2000
#define KERNEL_CMDLINE                                                                             \
	"console=ttyS0 quiet panic=-1 reboot=k tsc=reliable no_timer_check "                      \
	"rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 i8042.nopnp=1 i8042.noaux=1 "    \
	"noreplace-smp cryptomgr.notests pci=lastbus=0"
/* TCG has no TSC-deadline timer, so the guest would spend ~140 ms of its
 * boot calibrating the local APIC timer against the PIT; it ticks from the
 * HPET instead. KVM offers TSC deadline and needs no calibration. */
#define KERNEL_CMDLINE_TCG "noapictimer"

struct hv_vm {
	char name[64];
	char state_dir[PATH_MAX];
	char console_log[PATH_MAX];
	char backend_log[PATH_MAX];
	char vhost_socket[PATH_MAX];
	char uds[PATH_MAX];
	enum hv_vsock_kind vsock;
	unsigned cid;
	virConnectPtr conn;
	virDomainPtr dom;
	pid_t backend_pid;
	int backend_status; /* valid once backend_pid was reaped (then backend_pid is 0) */
	int backend_reaped;
	int keep_state;
	int lock_fd; /* flock held for the VM's life: marks the state dir as in use */
	struct hv_vm_times times;
};

static void quiet_libvirt(void *opaque, virErrorPtr err)
{
	/* libvirt prints every error to stderr by default; we report them ourselves. */
}

static void libvirt_init(void)
{
	static int done;

	if (!done) {
		virSetErrorFunc(NULL, quiet_libvirt);
		done = 1;
	}
}

static const char *libvirt_msg(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

const char *hv_default_uri(void)
{
	const char *env = getenv("LAUNCHER_LIBVIRT_URI");

	if (env && *env)
		return env;
	return geteuid() == 0 ? "qemu:///system" : "qemu:///session";
}

static virConnectPtr open_conn(const char *uri, struct error *e)
{
	virConnectPtr conn;

	libvirt_init();
	conn = virConnectOpen(uri);
	if (!conn)
		error_set(e, ECONNREFUSED,
			  "connecting to libvirt at %s: %s; is libvirtd running? "
			  "start it with 'libvirtd -d' and 'virtlogd -d' (or run scripts/setup)",
			  uri, libvirt_msg());
	return conn;
}

static void choose_vsock(struct hv_host *h)
{
	const char *force = getenv("LAUNCHER_VSOCK");

	if (force && strcmp(force, "vhost-user") == 0) {
		h->vsock = HV_VSOCK_VHOST_USER;
		snprintf(h->vsock_reason, sizeof(h->vsock_reason),
			 "vhost-user backend forced by $LAUNCHER_VSOCK");
	} else if (access("/dev/vhost-vsock", R_OK | W_OK) == 0) {
		h->vsock = HV_VSOCK_NATIVE;
		snprintf(h->vsock_reason, sizeof(h->vsock_reason),
			 "/dev/vhost-vsock is available: libvirt <vsock>, AF_VSOCK from the host");
	} else {
		h->vsock = HV_VSOCK_VHOST_USER;
		snprintf(h->vsock_reason, sizeof(h->vsock_reason),
			 "/dev/vhost-vsock %s: launcher-vsock vhost-user backend, hybrid Unix socket",
			 errno == ENOENT ? "does not exist" : "is not accessible");
	}
}

/* Without udev, /dev/kvm stays root-only. libvirt then probes QEMU's
 * capabilities as root (KVM seen) but checks them as the QEMU user (KVM not
 * seen), finds them stale on every lookup, and re-probes QEMU a dozen times
 * per domain start. */
static void check_kvm_node(struct hv_host *h)
{
	struct stat st;

	if (stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode) && (st.st_mode & 0060) != 0060 &&
	    strncmp(h->uri, "qemu:///system", 14) == 0)
		snprintf(h->warning, sizeof(h->warning),
			 "/dev/kvm has mode %04o: libvirt will re-probe QEMU on every VM start "
			 "(tens of seconds); give it Debian's default, root:kvm 0660 "
			 "(scripts/start-services does)",
			 (unsigned)(st.st_mode & 07777));
}

int hv_host_probe(const char *uri, enum hv_accel requested, struct hv_host *ret, struct error *e)
{
	virConnectPtr conn;
	char *real_uri;

	memset(ret, 0, sizeof(*ret));
	conn = open_conn(uri, e);
	if (!conn)
		return -e->code;
	real_uri = virConnectGetURI(conn);
	snprintf(ret->uri, sizeof(ret->uri), "%s", real_uri ? real_uri : uri);
	free(real_uri);
	if (virConnectGetLibVersion(conn, &ret->libvirt_version) < 0 ||
	    virConnectGetVersion(conn, &ret->qemu_version) < 0) {
		error_set(e, EIO, "asking libvirt at %s for its version: %s", uri, libvirt_msg());
		virConnectClose(conn);
		return -EIO;
	}
	virConnectClose(conn);
	check_kvm_node(ret);
	if (hv_accel_choose(requested, "/sys", "/dev", &ret->accel, e) < 0)
		return -e->code;
	choose_vsock(ret);
	return guest_files_find(&ret->files, e);
}

const char *hv_vm_name(const struct hv_vm *vm)
{
	return vm->name;
}

const char *hv_vm_state_dir(const struct hv_vm *vm)
{
	return vm->state_dir;
}

const char *hv_vm_console_log(const struct hv_vm *vm)
{
	return vm->console_log;
}

const struct hv_vm_times *hv_vm_times(const struct hv_vm *vm)
{
	return &vm->times;
}

pid_t hv_vm_backend_pid(const struct hv_vm *vm)
{
	return vm->backend_pid;
}

static int mkdir_mode(const char *path, mode_t mode, struct error *e)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return error_errno(e, errno, "creating %s", path);
	if (chmod(path, mode) < 0)
		return error_errno(e, errno, "setting the mode of %s", path);
	return 0;
}

static void remove_state_dir(const char *dir);
static void collect_stale(const char *vmdir);

/* State dirs whose owner died without cleaning up (SIGKILL, OOM) are freed
 * here: their lock is no longer held. Their domain went with libvirt's
 * autodestroy and their backend with PR_SET_PDEATHSIG. */
void hv_collect_stale(const char *run_root)
{
	char vmdir[PATH_MAX];

	if (bprintf(vmdir, sizeof(vmdir), "%s/vm", run_root) >= 0)
		collect_stale(vmdir);
}

static void collect_stale(const char *vmdir)
{
	DIR *d = opendir(vmdir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX], lock[PATH_MAX];
		struct stat st;
		int fd;

		if (strncmp(de->d_name, "launcher-", 9) != 0 ||
		    bprintf(path, sizeof(path), "%s/%s", vmdir, de->d_name) < 0 ||
		    bprintf(lock, sizeof(lock), "%s/lock", path) < 0)
			continue;
		fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			/* No lock yet: being created right now, unless it is old. */
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
			    time(NULL) - st.st_mtime > 60)
				remove_state_dir(path);
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			remove_state_dir(path);
		close(fd);
	}
	closedir(d);
}

static int make_state_dir(struct hv_vm *vm, const char *run_root, int shared, struct error *e)
{
	/* QEMU runs as another user in system mode: it must traverse to its
	 * sockets and nothing more (search, no listing). */
	mode_t mode = shared ? 0711 : 0700;
	char vmdir[PATH_MAX], lock[PATH_MAX];

	/* Unix socket paths are short (108 bytes): keep the whole dir short. */
	if (bprintf(vmdir, sizeof(vmdir), "%s/vm", run_root) < 0 ||
	    bprintf(vm->state_dir, 80, "%s/%s", vmdir, vm->name) < 0)
		return error_set(e, ENAMETOOLONG, "runtime root %s is too long for socket paths",
				 run_root);
	if (mkdir_mode(run_root, mode, e) < 0 || mkdir_mode(vmdir, mode, e) < 0)
		return -e->code;
	collect_stale(vmdir);
	if (mkdir(vm->state_dir, mode) < 0)
		return error_errno(e, errno, "creating the VM state directory %s", vm->state_dir);
	bprintf(lock, sizeof(lock), "%s/lock", vm->state_dir);
	vm->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (vm->lock_fd < 0 || flock(vm->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return error_errno(e, errno, "locking %s", lock);
	bprintf(vm->console_log, sizeof(vm->console_log), "%s/console.log", vm->state_dir);
	bprintf(vm->backend_log, sizeof(vm->backend_log), "%s/vsock-backend.log", vm->state_dir);
	bprintf(vm->vhost_socket, sizeof(vm->vhost_socket), "%s/vhost-user.sock", vm->state_dir);
	bprintf(vm->uds, sizeof(vm->uds), "%s/vsock.sock", vm->state_dir);
	return 0;
}

static void random_name(char *buf, size_t size)
{
	uint8_t b[6];

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		uint64_t t = now_ns() ^ (uint64_t)getpid() << 32;
		memcpy(b, &t, sizeof(b));
	}
	snprintf(buf, size, "launcher-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
		 b[5]);
}

static void child_exec_backend(const struct hv_vm *vm, const char *backend, int ready_fd,
			       pid_t parent)
{
	char fdbuf[16], cidbuf[16];
	sigset_t all;
	int log, null;

	/* Die with the process that owns the VM, and keep out of its terminal's
	 * process group, where Ctrl-C would kill the backend mid-session. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	setsid();
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	log = open(vm->backend_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	if (fcntl(ready_fd, F_SETFD, 0) < 0)
		_exit(127);
	snprintf(fdbuf, sizeof(fdbuf), "%d", ready_fd);
	snprintf(cidbuf, sizeof(cidbuf), "%u", vm->cid);
	execl(backend, "launcher-vsock", "--vhost-socket", vm->vhost_socket, "--uds", vm->uds,
	      "--guest-cid", cidbuf, "--ready-fd", fdbuf, (char *)NULL);
	dprintf(2, "launcher: executing %s: %s\n", backend, strerror(errno));
	_exit(127);
}

/* The last line of a small log file, for error messages. */
static void log_tail(const char *path, char *buf, size_t size)
{
	char data[4096];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, data, sizeof(data) - 1, 0) : -1;
	char *last;

	buf[0] = '\0';
	if (n <= 0)
		return;
	data[n] = '\0';
	while (n > 0 && data[n - 1] == '\n')
		data[--n] = '\0';
	last = strrchr(data, '\n');
	bprintf(buf, size, "%s", last ? last + 1 : data); /* cut a long line */
}

static void describe_status(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

static int start_backend(struct hv_vm *vm, const char *backend, uid_t qemu_uid, gid_t qemu_gid,
			 struct error *e)
{
	int pipefd[2];
	pid_t parent = getpid(), pid;
	struct pollfd p;
	char byte, status[128], tail[512];
	int r, st;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return error_errno(e, errno, "creating a pipe");
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return error_errno(e, errno, "forking the vsock backend");
	}
	if (pid == 0)
		child_exec_backend(vm, backend, pipefd[1], parent);
	close(pipefd[1]);
	vm->backend_pid = pid;
	p = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
	do
		r = poll(&p, 1, BACKEND_READY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	r = r > 0 ? (int)read(pipefd[0], &byte, 1) : -1;
	close(pipefd[0]);
	if (r != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		vm->backend_pid = 0;
		describe_status(st, status, sizeof(status));
		log_tail(vm->backend_log, tail, sizeof(tail));
		return error_set(e, EIO, "the vsock backend %s did not start (%s)%s%s", backend,
				 status, *tail ? ": " : "", tail);
	}
	if (qemu_uid != (uid_t)-1 && (chown(vm->vhost_socket, qemu_uid, qemu_gid) < 0 ||
				      chmod(vm->vhost_socket, 0600) < 0))
		return error_errno(e, errno, "handing %s to the QEMU user", vm->vhost_socket);
	return 0;
}

/* Native vsock: read back the CID libvirt picked. */
static int read_cid(struct hv_vm *vm, struct error *e)
{
	_cleanup_free_ char *xml = virDomainGetXMLDesc(vm->dom, 0);
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	unsigned long cid = 0;

	if (!xml)
		return error_set(e, EIO, "reading the domain XML: %s", libvirt_msg());
	doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, XML_PARSE_NONET);
	if (!doc)
		return error_set(e, EIO, "parsing the domain XML from libvirt");
	ctx = xmlXPathNewContext(doc);
	obj = ctx ? xmlXPathEvalExpression(BAD_CAST "string(/domain/devices/vsock/cid/@address)", ctx)
		  : NULL;
	if (obj && obj->stringval)
		cid = strtoul((const char *)obj->stringval, NULL, 10);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	if (cid < 3 || cid > UINT32_MAX)
		return error_set(e, EIO, "libvirt assigned no usable vsock CID");
	vm->cid = (unsigned)cid;
	return 0;
}

static int qemu_user(const struct hv_host *host, uid_t *uid, gid_t *gid, struct error *e)
{
	struct passwd *pw;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (geteuid() != 0 || strncmp(host->uri, "qemu:///system", 14) != 0)
		return 0;
	pw = getpwnam(QEMU_SYSTEM_USER);
	if (!pw)
		return error_set(e, ENOENT, "user %s not found; is libvirt-daemon-system installed?",
				 QEMU_SYSTEM_USER);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static int define_domain(struct hv_vm *vm, const struct hv_host *host,
			 const struct hv_vm_opts *opts, const struct guest_files *files,
			 const char *dac_label, struct error *e)
{
	_cleanup_free_ char *cmdline =
		xasprintf("%s%s%s%s%s", KERNEL_CMDLINE,
			  host->accel.accel == HV_ACCEL_TCG ? " " : "",
			  host->accel.accel == HV_ACCEL_TCG ? KERNEL_CMDLINE_TCG : "",
			  opts->extra_cmdline ? " " : "", opts->extra_cmdline ? opts->extra_cmdline : "");
	_cleanup_free_ char *xml = NULL;
	struct domain_spec spec = {
		.name = vm->name,
		.accel = host->accel.accel,
		.vcpus = opts->vcpus ? opts->vcpus : HV_DEFAULT_VCPUS,
		.memory_mib = opts->memory_mib ? opts->memory_mib : HV_DEFAULT_MEMORY_MIB,
		.tb_cache_mib = HV_DEFAULT_TB_CACHE_MIB,
		.firmware = files->firmware,
		.kernel = files->kernel,
		.initrd = files->initrd,
		.cmdline = cmdline,
		.console_log = vm->console_log,
		.vsock = vm->vsock,
		.guest_cid = 0,
		.vhost_socket = vm->vhost_socket,
		.dac_label = dac_label,
		.shares = opts->shares,
		.nshares = opts->nshares,
		.disks = opts->disks,
		.ndisks = opts->ndisks,
		.nic = opts->nic,
		.ports = opts->ports,
		.nports = opts->nports,
	};

	if (domain_xml_build(&spec, &xml, e) < 0)
		return error_prefix(e, "building the domain XML");
	/* Autodestroy: libvirtd destroys the domain when our connection closes,
	 * so a killed launcher cannot leave its VM running. */
	vm->dom = virDomainCreateXML(vm->conn, xml,
				     VIR_DOMAIN_START_AUTODESTROY |
					     (opts->paused ? VIR_DOMAIN_START_PAUSED : 0));
	if (!vm->dom)
		return error_set(e, EIO, "starting domain %s: %s", vm->name, libvirt_msg());
	vm->times.defined = now_ns();
	if (vm->vsock == HV_VSOCK_NATIVE)
		return read_cid(vm, e);
	return 0;
}

int hv_vm_start(const struct hv_host *host, const struct hv_vm_opts *opts, struct hv_vm **ret,
		struct error *e)
{
	struct hv_vm *vm = xcalloc(1, sizeof(*vm));
	struct guest_files files = host->files;
	char dac_label[64], *label = NULL, stage_dir[PATH_MAX];
	uid_t quid;
	gid_t qgid;

	vm->lock_fd = -1;
	vm->times.begin = now_ns();
	vm->vsock = host->vsock;
	vm->cid = 3; /* each vhost-user backend is its own vsock world */
	vm->keep_state = opts->keep_state;
	if (opts->name)
		snprintf(vm->name, sizeof(vm->name), "%s", opts->name);
	else
		random_name(vm->name, sizeof(vm->name));
	if (opts->qemu_root) {
		quid = (uid_t)-1;
		qgid = (gid_t)-1;
	} else if (qemu_user(host, &quid, &qgid, e) < 0) {
		goto fail;
	}
	if (make_state_dir(vm, opts->run_root, quid != (uid_t)-1, e) < 0) {
		vm->state_dir[0] = '\0'; /* not ours to remove */
		goto fail;
	}
	if (opts->qemu_root && geteuid() == 0) {
		/* Explicitly: without a label libvirt would pick its user and
		 * chown our files to it. */
		snprintf(dac_label, sizeof(dac_label), "+0:+0");
		label = dac_label;
	}
	if (quid != (uid_t)-1) {
		snprintf(dac_label, sizeof(dac_label), "+%u:+%u", (unsigned)quid, (unsigned)qgid);
		label = dac_label;
		snprintf(stage_dir, sizeof(stage_dir), "%s/guest", opts->run_root);
		if (guest_files_make_reachable(&files, quid, qgid, stage_dir, e) < 0)
			goto fail;
		for (unsigned i = 0; i < opts->nshares; i++)
			if (!guest_files_reachable(opts->shares[i].source, quid, qgid)) {
				error_set(e, EACCES,
					  "%s is not readable by QEMU's user %s (uid %u): it and "
					  "every directory above it must be readable and searchable "
					  "by that user",
					  opts->shares[i].source, QEMU_SYSTEM_USER, (unsigned)quid);
				goto fail;
			}
		for (unsigned i = 0; i < opts->ndisks; i++)
			if (!guest_files_reachable(opts->disks[i].source, quid, qgid)) {
				error_set(e, EACCES,
					  "%s is not readable by QEMU's user %s (uid %u): it and "
					  "every directory above it must be readable and searchable "
					  "by that user",
					  opts->disks[i].source, QEMU_SYSTEM_USER, (unsigned)quid);
				goto fail;
			}
	}
	vm->conn = open_conn(host->uri, e);
	if (!vm->conn)
		goto fail;
	if (vm->vsock == HV_VSOCK_VHOST_USER &&
	    start_backend(vm, files.backend, quid, qgid, e) < 0)
		goto fail;
	if (define_domain(vm, host, opts, &files, label, e) < 0)
		goto fail;
	*ret = vm;
	return 0;
fail:
	error_prefix(e, "starting VM %s", vm->name);
	hv_vm_destroy(vm);
	return -e->code;
}

int hv_vm_resume(struct hv_vm *vm, struct error *e)
{
	if (virDomainResume(vm->dom) < 0)
		return error_set(e, EIO, "resuming VM %s: %s", vm->name, libvirt_msg());
	return 0;
}

int hv_vm_connect(struct hv_vm *vm, uint32_t port, struct error *e)
{
	if (vm->vsock == HV_VSOCK_NATIVE)
		return vsock_connect_native(vm->cid, port, CONNECT_ATTEMPT_MS, e);
	return vsock_connect_hybrid(vm->uds, port, CONNECT_ATTEMPT_MS, e);
}

static int reap_backend(struct hv_vm *vm, int flags)
{
	int st;

	if (vm->backend_pid <= 0)
		return vm->backend_reaped;
	if (waitpid(vm->backend_pid, &st, flags) == vm->backend_pid) {
		vm->backend_status = st;
		vm->backend_reaped = 1;
		vm->backend_pid = 0;
	}
	return vm->backend_reaped;
}

static int domain_running(struct hv_vm *vm)
{
	int state = 0, reason = 0;

	return vm->dom && virDomainGetState(vm->dom, &state, &reason, 0) == 0 &&
	       state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_CRASHED;
}

int hv_vm_check_alive(struct hv_vm *vm, struct error *e)
{
	char what[128], tail[512];
	int backend_gone = vm->vsock == HV_VSOCK_VHOST_USER && reap_backend(vm, WNOHANG);

	/* A backend that exited cleanly saw QEMU go: give libvirt a moment to
	 * notice too, so the report names the cause, not the consequence. */
	if (backend_gone && WIFEXITED(vm->backend_status) && WEXITSTATUS(vm->backend_status) == 0)
		for (int i = 0; i < 300 && domain_running(vm); i++)
			nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000}, NULL);
	if (!domain_running(vm)) {
		log_tail(vm->console_log, tail, sizeof(tail));
		return error_set(e, EPIPE,
				 "VM %s is gone: its QEMU process exited or was killed "
				 "(console log %s%s%s; QEMU log /var/log/libvirt/qemu/%s.log)",
				 vm->name, vm->console_log, *tail ? ", last line: " : "", tail,
				 vm->name);
	}
	if (backend_gone) {
		describe_status(vm->backend_status, what, sizeof(what));
		log_tail(vm->backend_log, tail, sizeof(tail));
		return error_set(e, EPIPE, "the vsock backend of VM %s %s%s%s", vm->name, what,
				 *tail ? "; its last message: " : "", tail);
	}
	return 0;
}

int hv_vm_explain_failure(struct hv_vm *vm, int timeout_ms, struct error *e)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;

	do {
		if (hv_vm_check_alive(vm, e) < 0)
			return -e->code;
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000}, NULL);
	} while (now_ns() < deadline);
	return 0;
}

int hv_vm_connect_wait(struct hv_vm *vm, uint32_t port, int timeout_ms, struct error *e)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	uint64_t next_check = 0;

	for (;;) {
		int fd = hv_vm_connect(vm, port, e);
		uint64_t now = now_ns();

		if (fd >= 0)
			return fd;
		if (fd != -ECONNREFUSED && fd != -ETIMEDOUT) {
			if (hv_vm_check_alive(vm, e) < 0)
				return -e->code;
			return fd;
		}
		if (now >= next_check) {
			if (hv_vm_check_alive(vm, e) < 0)
				return -e->code;
			next_check = now + 100 * 1000000ull;
		}
		if (now >= deadline)
			return error_set(e, ETIMEDOUT,
					 "nothing answered on guest port %u of VM %s within %d ms "
					 "(console log: %s)",
					 port, vm->name, timeout_ms, vm->console_log);
		nanosleep(&(struct timespec){.tv_nsec = 5 * 1000000}, NULL);
	}
}

int hv_vm_wait_gone(struct hv_vm *vm, int timeout_ms, struct error *e)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (vm->dom) {
		int state = 0, reason = 0;

		/* A transient domain disappears once QEMU has exited. */
		if (virDomainGetState(vm->dom, &state, &reason, 0) < 0 ||
		    state == VIR_DOMAIN_SHUTOFF) {
			virDomainFree(vm->dom);
			vm->dom = NULL;
			break;
		}
		if (now_ns() >= deadline)
			return error_set(e, ETIMEDOUT, "VM %s did not power off within %d ms",
					 vm->name, timeout_ms);
		nanosleep(&(struct timespec){.tv_nsec = 2 * 1000000}, NULL);
	}
	return 0;
}

static void stop_backend(struct hv_vm *vm)
{
	if (vm->backend_pid <= 0)
		return;
	/* After QEMU has gone the backend exits by itself; give it a moment. */
	for (int i = 0; i < 100 && !reap_backend(vm, WNOHANG); i++) {
		if (i == 20)
			kill(vm->backend_pid, SIGTERM);
		nanosleep(&(struct timespec){.tv_nsec = 5 * 1000000}, NULL);
	}
	if (!reap_backend(vm, WNOHANG)) {
		kill(vm->backend_pid, SIGKILL);
		reap_backend(vm, 0);
	}
}

static void remove_state_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

void hv_vm_destroy(struct hv_vm *vm)
{
	if (!vm)
		return;
	if (vm->dom) {
		virDomainDestroy(vm->dom);
		virDomainFree(vm->dom);
	}
	if (vm->conn)
		virConnectClose(vm->conn);
	stop_backend(vm);
	if (vm->state_dir[0] && !vm->keep_state)
		remove_state_dir(vm->state_dir);
	if (vm->lock_fd >= 0)
		close(vm->lock_fd);
	free(vm);
}
