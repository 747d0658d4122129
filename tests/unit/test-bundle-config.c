/* bundle/config: config.json as runc, podman and containerd write it, read
 * into typed fields; and every way a file can be refused, each with the
 * message a user would see. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bundle/config.h"
#include "caps.h"
#include "seccomp-profile.h"

#define BIT(c) (UINT64_C(1) << (c))
#define NS(n) (1u << BUNDLE_NS_##n)

/* --- helpers ------------------------------------------------------------- */

/* The samples are written with ' for " so that they read as JSON; none of
 * them holds an apostrophe. Returns a malloc'd copy with " restored. */
static char *json(const char *single_quoted)
{
	char *s = strdup(single_quoted);

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

/* A minimal config with members added at the end of its top level. */
static char *config_with(const char *members)
{
	const char *head = "{'ociVersion': '1.0.2', 'root': {'path': 'rootfs'}";
	size_t len = strlen(head) + strlen(members) + 8;
	char *s = malloc(len), *r;

	assert_non_null(s);
	snprintf(s, len, "%s%s%s}", head, *members ? ", " : "", members);
	r = json(s);
	free(s);
	return r;
}

static void printable(const char *s)
{
	for (; *s; s++)
		assert_true(*s >= 0x20 && *s < 0x7f);
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void parse_ok(const char *text, struct bundle_config *c)
{
	struct error e = {0};

	if (bundle_config_parse(text, strlen(text), c, &e) < 0)
		fail_msg("refused: %s", e.msg);
}

/* Refused with code, and the message want: exactly, or (for jansson's
 * words, which are not ours to fix) the start of its own and then part of
 * it. */
static void refused(const char *text, size_t len, int code, const char *want, const char *part)
{
	struct bundle_config c;
	struct error e = {0};
	int r = bundle_config_parse(text, len, &c, &e);

	if (r == 0)
		fail_msg("accepted: %.300s", text);
	assert_int_equal(r, -code);
	assert_int_equal(e.code, code);
	/* want NULL: the code alone is checked. */
	if (want && (part ? strncmp(e.msg, want, strlen(want)) != 0 || !strstr(e.msg, part)
			  : strcmp(e.msg, want) != 0))
		fail_msg("message\n  \"%s\"\nwanted\n  \"%s\"%s%s", e.msg, want,
			 part ? " ... " : "", part ? part : "");
	printable(e.msg);
	assert_true(all_zero(&c, sizeof(c)));
	bundle_config_free(&c);
}

static void bad_len(const char *text, size_t len, int code, const char *want)
{
	refused(text, len, code, want, NULL);
}

/* Not JSON, in jansson's words: part of them. */
static void bad_json(const char *text, size_t len, const char *part)
{
	refused(text, len, EBADMSG, "config.json: invalid JSON at line 1, column ", part);
}

static void bad(const char *text, int code, const char *want)
{
	bad_len(text, strlen(text), code, want);
}

/* config_with(members) is refused so. */
static void bad_with(const char *members, int code, const char *want)
{
	char *s = config_with(members);

	bad(s, code, want);
	free(s);
}

static void bad_json_with(const char *members, const char *part)
{
	char *s = config_with(members);

	bad_json(s, strlen(s), part);
	free(s);
}

/* --- samples --------------------------------------------------------------- */

/* `runc spec` (runc 1.1). */
static const char runc_spec[] =
    "{'ociVersion': '1.0.2-dev',"
    " 'process': {"
    "  'terminal': true, 'user': {'uid': 0, 'gid': 0}, 'args': ['sh'],"
    "  'env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
    "          'TERM=xterm'],"
    "  'cwd': '/',"
    "  'capabilities': {"
    "   'bounding': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],"
    "   'effective': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],"
    "   'permitted': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],"
    "   'ambient': ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']},"
    "  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 1024}],"
    "  'noNewPrivileges': true},"
    " 'root': {'path': 'rootfs', 'readonly': true},"
    " 'hostname': 'runc',"
    " 'mounts': ["
    "  {'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
    "  {'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs',"
    "   'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},"
    "  {'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts',"
    "   'options': ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']},"
    "  {'destination': '/dev/shm', 'type': 'tmpfs', 'source': 'shm',"
    "   'options': ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']},"
    "  {'destination': '/dev/mqueue', 'type': 'mqueue', 'source': 'mqueue',"
    "   'options': ['nosuid', 'noexec', 'nodev']},"
    "  {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs',"
    "   'options': ['nosuid', 'noexec', 'nodev', 'ro']},"
    "  {'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup',"
    "   'options': ['nosuid', 'noexec', 'nodev', 'relatime', 'ro']}],"
    " 'linux': {"
    "  'resources': {'devices': [{'allow': false, 'access': 'rwm'}]},"
    "  'namespaces': [{'type': 'pid'}, {'type': 'network'}, {'type': 'ipc'},"
    "                 {'type': 'uts'}, {'type': 'mount'}, {'type': 'cgroup'}],"
    "  'maskedPaths': ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys',"
    "                  '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',"
    "                  '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],"
    "  'readonlyPaths': ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys',"
    "                    '/proc/sysrq-trigger']}}";

/* What podman 4.3 hands crun for `podman run --pids-limit 2048 alpine sh
 * -c 'echo hello'`: bind mounts of its own files, device cgroup rules, a
 * (shortened) seccomp profile, SELinux. */
static const char podman_config[] =
    "{'ociVersion': '1.0.2-dev',"
    " 'process': {"
    "  'user': {'uid': 0, 'gid': 0, 'umask': 18,"
    "           'additionalGids': [0, 1, 2, 3, 4, 6, 10, 11, 20, 26, 27]},"
    "  'args': ['/bin/sh', '-c', 'echo hello'],"
    "  'env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
    "          'TERM=xterm', 'container=podman', 'HOSTNAME=3f2a9c1b7d4e', 'HOME=/root'],"
    "  'cwd': '/',"
    "  'capabilities': {"
    "   'bounding': ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',"
    "                'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP',"
    "                'CAP_SETUID', 'CAP_SYS_CHROOT'],"
    "   'effective': ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',"
    "                 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP',"
    "                 'CAP_SETUID', 'CAP_SYS_CHROOT'],"
    "   'permitted': ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',"
    "                 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP',"
    "                 'CAP_SETUID', 'CAP_SYS_CHROOT']},"
    "  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1048576, 'soft': 1048576},"
    "              {'type': 'RLIMIT_NPROC', 'hard': 4194304, 'soft': 4194304}],"
    "  'oomScoreAdj': 0,"
    "  'selinuxLabel': 'system_u:system_r:container_t:s0:c123,c456'},"
    " 'root': {'path': '/var/lib/containers/storage/overlay/5c1d2e/merged'},"
    " 'hostname': '3f2a9c1b7d4e',"
    " 'mounts': ["
    "  {'destination': '/proc', 'type': 'proc', 'source': 'proc',"
    "   'options': ['nosuid', 'noexec', 'nodev']},"
    "  {'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs',"
    "   'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},"
    "  {'destination': '/sys', 'type': 'sysfs', 'source': 'sysfs',"
    "   'options': ['nosuid', 'noexec', 'nodev', 'ro']},"
    "  {'destination': '/dev/pts', 'type': 'devpts', 'source': 'devpts',"
    "   'options': ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']},"
    "  {'destination': '/dev/mqueue', 'type': 'mqueue', 'source': 'mqueue',"
    "   'options': ['nosuid', 'noexec', 'nodev']},"
    "  {'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup',"
    "   'options': ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro']},"
    "  {'destination': '/dev/shm', 'type': 'bind',"
    "   'source': '/var/lib/containers/storage/overlay-containers/3f2a/userdata/shm',"
    "   'options': ['bind', 'rprivate', 'nosuid', 'noexec', 'nodev']},"
    "  {'destination': '/etc/resolv.conf', 'type': 'bind',"
    "   'source': '/run/containers/storage/overlay-containers/3f2a/userdata/resolv.conf',"
    "   'options': ['bind', 'rprivate']},"
    "  {'destination': '/etc/hosts', 'type': 'bind',"
    "   'source': '/run/containers/storage/overlay-containers/3f2a/userdata/hosts',"
    "   'options': ['bind', 'rprivate']},"
    "  {'destination': '/run/.containerenv', 'type': 'bind',"
    "   'source': '/run/containers/storage/overlay-containers/3f2a/userdata/.containerenv',"
    "   'options': ['bind', 'rprivate']},"
    "  {'destination': '/etc/hostname', 'type': 'bind',"
    "   'source': '/run/containers/storage/overlay-containers/3f2a/userdata/hostname',"
    "   'options': ['bind', 'rprivate']},"
    "  {'destination': '/run/secrets', 'type': 'bind',"
    "   'source': '/run/containers/storage/overlay-containers/3f2a/userdata/run/secrets',"
    "   'options': ['bind', 'rprivate']}],"
    " 'annotations': {'io.container.manager': 'libpod',"
    "                 'io.podman.annotations.autoremove': 'FALSE',"
    "                 'org.opencontainers.image.stopSignal': '15',"
    "                 'io.podman.annotations.init': 'FALSE'},"
    " 'linux': {"
    "  'sysctl': {'net.ipv4.ping_group_range': '0 0'},"
    "  'resources': {"
    "   'devices': [{'allow': false, 'access': 'rwm'},"
    "               {'allow': true, 'type': 'c', 'major': 1, 'minor': 3, 'access': 'rwm'},"
    "               {'allow': true, 'type': 'c', 'major': 136, 'access': 'rwm'}],"
    "   'pids': {'limit': 2048}},"
    "  'cgroupsPath': 'machine.slice:libpod:3f2a9c1b7d4e',"
    "  'namespaces': [{'type': 'pid'}, {'type': 'network'}, {'type': 'ipc'}, {'type': 'uts'},"
    "                 {'type': 'mount'}, {'type': 'cgroup'}],"
    "  'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 38,"
    "   'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],"
    "   'syscalls': [{'names': ['read', 'write', 'exit_group', 'openat', 'close'],"
    "                 'action': 'SCMP_ACT_ALLOW'},"
    "                {'names': ['bdflush', 'kexec_load'], 'action': 'SCMP_ACT_ERRNO',"
    "                 'errnoRet': 1}]},"
    "  'maskedPaths': ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',"
    "                  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug',"
    "                  '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block'],"
    "  'readonlyPaths': ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys',"
    "                    '/proc/sysrq-trigger'],"
    "  'mountLabel': 'system_u:object_r:container_file_t:s0:c123,c456'}}";

/* containerd (ctr, or CRI without a sandbox to join): resources, devices
 * it lists although the guest has them, a hook, a bind mount told by its
 * options alone, and Go's spelling of an unlimited rlimit. */
static const char containerd_config[] =
    "{'ociVersion': '1.1.0',"
    " 'process': {"
    "  'user': {'uid': 101, 'gid': 101, 'additionalGids': [101]},"
    "  'args': ['nginx', '-g', 'daemon off;'],"
    "  'env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
    "          'NGINX_VERSION=1.25.3', 'NJS_VERSION=0.8.2'],"
    "  'cwd': '/usr/share/nginx/html/',"
    "  'consoleSize': {'height': 40, 'width': 120},"
    "  'capabilities': {"
    "   'bounding': ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_BPF_FUTURE_THING'],"
    "   'effective': ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'],"
    "   'permitted': ['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'],"
    "   'inheritable': []},"
    "  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 65536, 'soft': 1024},"
    "              {'type': 'RLIMIT_MEMLOCK', 'hard': 18446744073709551615,"
    "               'soft': 18446744073709551615}],"
    "  'noNewPrivileges': true,"
    "  'apparmorProfile': 'cri-containerd.apparmor.d',"
    "  'oomScoreAdj': 1000},"
    " 'root': {'path': 'rootfs'},"
    " 'hostname': 'web-0',"
    " 'mounts': ["
    "  {'destination': '/proc', 'type': 'proc', 'source': 'proc',"
    "   'options': ['nosuid', 'noexec', 'nodev']},"
    "  {'destination': '/dev', 'type': 'tmpfs', 'source': 'tmpfs',"
    "   'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},"
    "  {'destination': '/run', 'type': 'tmpfs', 'source': 'tmpfs',"
    "   'options': ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},"
    "  {'destination': '/etc/hosts', 'type': 'bind',"
    "   'source': '/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/9e1f/hosts',"
    "   'options': ['rbind', 'rprivate', 'rw']},"
    "  {'destination': '/var/run/secrets/kubernetes.io//serviceaccount/', 'type': 'none',"
    "   'source': '/var/lib/kubelet/pods/51c2/volumes/kubernetes.io~projected/kube-api-access',"
    "   'options': ['rbind', 'rprivate', 'ro']}],"
    " 'hooks': {"
    "  'prestart': [{'path': '/usr/bin/nvidia-container-runtime-hook',"
    "                'args': ['nvidia-container-runtime-hook', 'prestart'],"
    "                'env': ['PATH=/usr/bin:/bin'], 'timeout': 10}],"
    "  'poststop': [{'path': '/usr/local/bin/cleanup'}]},"
    " 'annotations': {'io.kubernetes.cri.container-type': 'container',"
    "                 'io.kubernetes.cri.container-name': 'web',"
    "                 'io.kubernetes.cri.image-name': 'docker.io/library/nginx:1.25.3',"
    "                 'io.kubernetes.cri.sandbox-id': '9e1f'},"
    " 'linux': {"
    "  'uidMappings': [], 'gidMappings': null,"
    "  'devices': [{'path': '/dev/null', 'type': 'c', 'major': 1, 'minor': 3},"
    "              {'path': '/dev/urandom', 'type': 'c', 'major': 1, 'minor': 9}],"
    "  'resources': {"
    "   'devices': [{'allow': false, 'access': 'rwm'}],"
    "   'memory': {'limit': 268435456, 'swap': 268435456},"
    "   'cpu': {'shares': 512, 'quota': 50000, 'period': 100000, 'cpus': '0-1,3'},"
    "   'hugepageLimits': [], 'unified': {'memory.high': '200000000'}},"
    "  'cgroupsPath': '/kubepods/burstable/pod51c2/4b7a',"
    "  'namespaces': [{'type': 'pid'}, {'type': 'ipc'}, {'type': 'uts'}, {'type': 'mount'},"
    "                 {'type': 'network', 'path': ''}],"
    "  'sysctl': {'net.core.somaxconn': '1024', 'net/ipv4/conf/eth0.100/forwarding': '1'},"
    "  'maskedPaths': ['/proc/kcore', '/sys/firmware/'],"
    "  'readonlyPaths': ['//proc//sys'],"
    "  'rootfsPropagation': 'rslave', 'intelRdt': {'closID': 'guaranteed'}}}";

/* exec --process, as podman exec writes it. */
static const char podman_process[] =
    "{'user': {'uid': 1000, 'gid': 1000, 'additionalGids': [10]},"
    " 'terminal': true, 'consoleSize': {'height': 50, 'width': 200},"
    " 'args': ['/bin/bash'],"
    " 'env': ['PATH=/usr/bin:/bin', 'TERM=xterm-256color', 'HOME=/home/user'],"
    " 'cwd': '/home/user',"
    " 'capabilities': {'bounding': ['CAP_CHOWN'], 'effective': [], 'permitted': []},"
    " 'noNewPrivileges': false,"
    " 'selinuxLabel': 'system_u:system_r:container_t:s0:c1,c2'}";

/* --- accepted -------------------------------------------------------------- */

static void test_runc_spec(void **state)
{
	char *s = json(runc_spec);
	uint64_t caps = BIT(CAP_AUDIT_WRITE) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE);
	struct bundle_config c;
	const struct bundle_process *p = &c.process;

	(void)state;
	parse_ok(s, &c);
	assert_string_equal(c.oci_version, "1.0.2-dev");
	assert_true(c.has_process);
	assert_true(p->terminal);
	assert_int_equal(p->nargs, 1);
	assert_string_equal(p->args[0], "sh");
	assert_null(p->args[1]);
	assert_int_equal(p->nenv, 2);
	assert_string_equal(p->env[1], "TERM=xterm");
	assert_string_equal(p->cwd, "/");
	assert_int_equal(p->uid, 0);
	assert_int_equal(p->ngroups, 0);
	assert_false(p->has_umask);
	assert_true(p->has_caps);
	assert_int_equal(p->caps[CAPSET_BOUNDING], caps);
	assert_int_equal(p->caps[CAPSET_EFFECTIVE], caps);
	assert_int_equal(p->caps[CAPSET_PERMITTED], caps);
	assert_int_equal(p->caps[CAPSET_AMBIENT], caps);
	assert_int_equal(p->caps[CAPSET_INHERITABLE], 0);
	assert_int_equal(p->nrlimits, 1);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 1024);
	assert_true(p->no_new_privileges);
	assert_null(p->apparmor_profile);
	assert_string_equal(c.root_path, "rootfs");
	assert_true(c.root_readonly);
	assert_string_equal(c.hostname, "runc");
	assert_int_equal(c.nmounts, 7);
	assert_string_equal(c.mounts[0].destination, "/proc");
	assert_string_equal(c.mounts[0].type, "proc");
	assert_int_equal(c.mounts[0].noptions, 0);
	assert_false(c.mounts[0].bind);
	assert_string_equal(c.mounts[6].destination, "/sys/fs/cgroup");
	assert_true(bundle_mount_has_option(&c.mounts[6], "ro"));
	assert_false(bundle_mount_has_option(&c.mounts[6], "rw"));
	assert_int_equal(c.namespaces,
			 NS(PID) | NS(NETWORK) | NS(IPC) | NS(UTS) | NS(MOUNT) | NS(CGROUP));
	assert_false(c.has_memory_limit);
	assert_false(c.has_cpu_quota);
	assert_false(c.has_pids_limit);
	assert_null(c.seccomp);
	assert_int_equal(c.nmasked_paths, 10);
	assert_string_equal(c.masked_paths[9], "/proc/scsi");
	assert_int_equal(c.nreadonly_paths, 5);
	assert_int_equal(c.nannotations, 0);
	assert_null(bundle_annotation(&c, "anything"));
	for (int k = 0; k < BUNDLE_HOOK__MAX; k++)
		assert_int_equal(c.nhooks[k], 0);
	assert_null(c.cgroups_path);
	bundle_config_free(&c);
	bundle_config_free(&c); /* emptied: a second time is harmless */
	free(s);
}

static void test_podman_config(void **state)
{
	char *s = json(podman_config);
	struct bundle_config c;
	const struct bundle_process *p = &c.process;

	(void)state;
	parse_ok(s, &c);
	assert_int_equal(p->nargs, 3);
	assert_string_equal(p->args[2], "echo hello");
	assert_true(p->has_umask);
	assert_int_equal(p->umask, 022);
	assert_int_equal(p->ngroups, 11);
	assert_int_equal(p->groups[10], 27);
	assert_int_equal(p->caps[CAPSET_BOUNDING],
			 caps_docker_default() &
			     ~(BIT(CAP_MKNOD) | BIT(CAP_NET_RAW) | BIT(CAP_AUDIT_WRITE)));
	assert_int_equal(p->caps[CAPSET_AMBIENT], 0);
	assert_int_equal(p->nrlimits, 2);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_NPROC);
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0:c123,c456");
	assert_false(c.root_readonly);
	assert_int_equal(c.nmounts, 12);
	for (size_t i = 6; i < 12; i++) {
		assert_true(c.mounts[i].bind);
		assert_string_equal(c.mounts[i].type, "bind");
	}
	assert_string_equal(c.mounts[11].destination, "/run/secrets");
	assert_string_equal(c.mounts[11].source,
			    "/run/containers/storage/overlay-containers/3f2a/userdata/run/secrets");
	assert_int_equal(c.nannotations, 4);
	assert_string_equal(bundle_annotation(&c, "io.container.manager"), "libpod");
	assert_string_equal(c.annotation_keys[3], "io.podman.annotations.init");
	assert_int_equal(c.nsysctl, 1);
	assert_string_equal(c.sysctl_keys[0], "net.ipv4.ping_group_range");
	assert_string_equal(c.sysctl_values[0], "0 0");
	assert_true(c.has_pids_limit);
	assert_int_equal(c.pids_limit, 2048);
	assert_false(c.has_memory_limit);
	assert_string_equal(c.cgroups_path, "machine.slice:libpod:3f2a9c1b7d4e");
	assert_non_null(c.seccomp);
	assert_int_equal(c.seccomp->default_action, SECCOMP_PROFILE_ACT_ERRNO);
	assert_int_equal(c.seccomp->default_errno, 38);
	assert_int_equal(c.seccomp->nrules, 2);
	assert_int_equal(c.nmasked_paths, 11);
	assert_int_equal(c.nreadonly_paths, 6);
	bundle_config_free(&c);
	free(s);
}

static void test_containerd_config(void **state)
{
	char *s = json(containerd_config);
	struct bundle_config c;
	const struct bundle_process *p = &c.process;
	const struct bundle_hook *h;

	(void)state;
	parse_ok(s, &c);
	assert_int_equal(p->uid, 101);
	assert_string_equal(p->cwd, "/usr/share/nginx/html/");
	assert_int_equal(p->rows, 40);
	assert_int_equal(p->cols, 120);
	/* The capability this runtime does not know is skipped, as runc does. */
	assert_int_equal(p->caps[CAPSET_BOUNDING], BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE));
	assert_int_equal(p->caps[CAPSET_INHERITABLE], 0);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 65536);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_MEMLOCK);
	assert_true(p->rlimits[1].soft == UINT64_MAX && p->rlimits[1].hard == UINT64_MAX);
	assert_string_equal(p->apparmor_profile, "cri-containerd.apparmor.d");
	assert_string_equal(c.hostname, "web-0");
	assert_true(c.mounts[3].bind);
	/* Bind by its options: the type says so, the path is normalized. */
	assert_true(c.mounts[4].bind);
	assert_string_equal(c.mounts[4].type, "bind");
	assert_string_equal(c.mounts[4].destination,
			    "/var/run/secrets/kubernetes.io/serviceaccount");
	assert_true(bundle_mount_has_option(&c.mounts[4], "ro"));
	assert_int_equal(c.nhooks[BUNDLE_HOOK_PRESTART], 1);
	h = &c.hooks[BUNDLE_HOOK_PRESTART][0];
	assert_string_equal(h->path, "/usr/bin/nvidia-container-runtime-hook");
	assert_int_equal(h->nargs, 2);
	assert_string_equal(h->args[1], "prestart");
	assert_int_equal(h->nenv, 1);
	assert_int_equal(h->timeout, 10);
	h = &c.hooks[BUNDLE_HOOK_POSTSTOP][0];
	assert_int_equal(c.nhooks[BUNDLE_HOOK_POSTSTOP], 1);
	assert_string_equal(h->path, "/usr/local/bin/cleanup");
	assert_true(h->nargs == 0 && !h->args && h->timeout == 0);
	assert_int_equal(c.nhooks[BUNDLE_HOOK_CREATE_RUNTIME], 0);
	assert_string_equal(bundle_annotation(&c, "io.kubernetes.cri.sandbox-id"), "9e1f");
	assert_true(c.has_memory_limit);
	assert_int_equal(c.memory_limit, 256u << 20);
	assert_true(c.has_cpu_quota);
	assert_int_equal(c.cpu_quota, 50000);
	assert_int_equal(c.cpu_period, 100000);
	assert_string_equal(c.cpuset_cpus, "0-1,3");
	assert_false(c.has_pids_limit);
	assert_int_equal(c.namespaces, NS(PID) | NS(IPC) | NS(UTS) | NS(MOUNT) | NS(NETWORK));
	assert_int_equal(c.nsysctl, 2);
	assert_string_equal(c.sysctl_keys[1], "net/ipv4/conf/eth0.100/forwarding");
	assert_string_equal(c.masked_paths[1], "/sys/firmware");
	assert_string_equal(c.readonly_paths[0], "/proc/sys");
	assert_string_equal(c.cgroups_path, "/kubepods/burstable/pod51c2/4b7a");
	bundle_config_free(&c);
	free(s);
}

static void test_process_json(void **state)
{
	char *s = json(podman_process);
	struct bundle_process p;
	struct error e = {0};

	(void)state;
	assert_int_equal(bundle_process_parse(s, strlen(s), &p, &e), 0);
	assert_true(p.terminal);
	assert_int_equal(p.rows, 50);
	assert_int_equal(p.cols, 200);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.ngroups, 1);
	assert_string_equal(p.args[0], "/bin/bash");
	assert_string_equal(p.cwd, "/home/user");
	assert_true(p.has_caps);
	assert_int_equal(p.caps[CAPSET_BOUNDING], BIT(CAP_CHOWN));
	assert_int_equal(p.caps[CAPSET_EFFECTIVE], 0);
	assert_false(p.no_new_privileges);
	bundle_process_free(&p);
	free(s);

	/* Its own file name in messages, and fields named from its top. */
	s = json("{'args': ['sh'], 'cwd': 'home'}");
	assert_int_equal(bundle_process_parse(s, strlen(s), &p, &e), -EBADMSG);
	assert_string_equal(e.msg, "process.json: cwd: \"home\" is not an absolute path");
	assert_true(all_zero(&p, sizeof(p)));
	free(s);
	s = json("{'args': ['sh'], 'cwd': '/', 'user': {'uid': 0, 'gid': -1}}");
	assert_int_equal(bundle_process_parse(s, strlen(s), &p, &e), -EBADMSG);
	assert_string_equal(e.msg,
			    "process.json: user.gid: must be an integer from 0 to 4294967294");
	free(s);
	assert_int_equal(bundle_process_parse("[]", 2, &p, &e), -EBADMSG);
	assert_string_equal(e.msg, "process.json: not a JSON object");
}

/* Small things the samples do not show. */
static void test_details(void **state)
{
	struct bundle_config c;
	char *s;

	(void)state;
	/* No process: create needs one, the parser does not. Null is absent, ""
	 * is none. */
	s = config_with("'hostname': '', 'mounts': null, 'linux': {'cgroupsPath': '',"
			" 'resources': {'memory': {'limit': -1}, 'cpu': {'quota': -1, 'cpus': ''},"
			" 'pids': {'limit': 0}}}");
	parse_ok(s, &c);
	assert_false(c.has_process);
	assert_null(c.process.args);
	assert_null(c.hostname);
	assert_int_equal(c.nmounts, 0);
	assert_null(c.cgroups_path);
	assert_false(c.has_memory_limit);
	assert_true(c.has_cpu_quota);
	assert_int_equal(c.cpu_quota, -1);
	assert_null(c.cpuset_cpus);
	assert_true(c.has_pids_limit);
	assert_int_equal(c.pids_limit, 0);
	bundle_config_free(&c);
	free(s);

	/* A quota of 0 is unset; the 4 MiB floor itself is a limit. */
	s = config_with("'linux': {'resources': {'memory': {'limit': 4194304},"
			" 'cpu': {'quota': 0, 'period': 0}}}");
	parse_ok(s, &c);
	assert_true(c.has_memory_limit);
	assert_int_equal(c.memory_limit, 4u << 20);
	assert_false(c.has_cpu_quota);
	bundle_config_free(&c);
	free(s);

	/* Destinations: "/" stays, slashes squeeze; the mount's own "type"
	 * is kept when it is not a bind. */
	s = config_with("'mounts': [{'destination': '/'}, {'destination': '///a//b///'},"
			" {'destination': '/x', 'type': 'tmpfs', 'options': ['bindx']}]");
	parse_ok(s, &c);
	assert_string_equal(c.mounts[0].destination, "/");
	assert_null(c.mounts[0].type);
	assert_null(c.mounts[0].source);
	assert_string_equal(c.mounts[1].destination, "/a/b");
	assert_false(c.mounts[2].bind);
	assert_string_equal(c.mounts[2].type, "tmpfs");
	bundle_config_free(&c);
	free(s);

	/* Digits that look like Go's RLIM_INFINITY inside a string stay as
	 * written; lower-case and unprefixed capability names are caps.h's. */
	s = config_with("'process': {'args': ['echo', '18446744073709551615'], 'cwd': '/',"
			" 'capabilities': {'bounding': ['cap_kill', 'NET_RAW']},"
			" 'rlimits': [{'type': 'RLIMIT_CORE', 'soft': 0,"
			" 'hard': 18446744073709551615}]},"
			" 'annotations': {'18446744073709551615': '18446744073709551615'}");
	parse_ok(s, &c);
	assert_string_equal(c.process.args[1], "18446744073709551615");
	assert_int_equal(c.process.caps[CAPSET_BOUNDING], BIT(CAP_KILL) | BIT(CAP_NET_RAW));
	assert_int_equal(c.process.rlimits[0].soft, 0);
	assert_true(c.process.rlimits[0].hard == UINT64_MAX);
	assert_string_equal(bundle_annotation(&c, "18446744073709551615"), "18446744073709551615");
	bundle_config_free(&c);
	free(s);
}

/* --- refused ----------------------------------------------------------------- */

#define PROC(x) "'process': {'args': ['sh'], 'cwd': '/', " x "}"

static void test_malformed(void **state)
{
	(void)state;
	bad_json("", 0, "'[' or '{' expected near end of file");
	bad("[1]", EBADMSG, "config.json: not a JSON object");
	bad_json("{\"ociVersion\": \"1.0.2\", \"ociVersion\": \"1.0.2\"}", 46,
		 "duplicate object key");
	bad_json("{\"ociVersion\": \"1.0\\u00002\"}", 28, "\\u0000 is not allowed");
	/* A raw NUL byte, where a string would go on. */
	bad_json("{\"ociVersion\": \"1.0\0\"}", 22, "control character 0x0");
	/* The length counts, not a NUL. */
	bad_json("{\"ociVersion\": \"1.0.2\"}", 10, "premature end of input");

	bad("{}", EBADMSG, "config.json: ociVersion: missing");
	bad("{\"ociVersion\": 1}", EBADMSG, "config.json: ociVersion: must be a string");
	bad("{\"ociVersion\": \"2.0.0\"}", EOPNOTSUPP,
	    "config.json: ociVersion: unsupported version \"2.0.0\" (this runtime reads 1.x)");
	bad("{\"ociVersion\": \"1.0.2\"}", EBADMSG, "config.json: root: missing");
	bad("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"\"}}", EBADMSG,
	    "config.json: root.path: must be a non-empty string");
	bad("{\"ociVersion\": \"1.0.2\", \"root\": \"rootfs\"}", EBADMSG,
	    "config.json: root: must be an object");
	bad_json_with("'root': {}", "duplicate object key near '\"root\"'");
	bad_with("'hostname': 'web_0'", EBADMSG,
		 "config.json: hostname: \"web_0\" has characters other than letters, digits, "
		 "'.' and '-'");
	bad_with("'hostname': 7", EBADMSG, "config.json: hostname: must be a string");
	bad_with("'annotations': {'': 'x'}", EBADMSG, "config.json: annotations.\"\": empty key");
	bad_with("'annotations': {'a': 1}", EBADMSG,
		 "config.json: annotations.\"a\": must be a string");
	bad_with("'annotations': []", EBADMSG, "config.json: annotations: must be an object");
}

static void test_bad_process(void **state)
{
	(void)state;
	bad_with("'process': {}", EBADMSG,
		 "config.json: process.args: must be a non-empty array of strings");
	bad_with("'process': {'args': []}", EBADMSG,
		 "config.json: process.args: must be a non-empty array of strings");
	bad_with("'process': {'args': 'sh'}", EBADMSG,
		 "config.json: process.args: must be a non-empty array of strings");
	bad_with("'process': {'args': ['sh', 1]}", EBADMSG,
		 "config.json: process.args[1]: must be a string");
	bad_with("'process': {'args': ['sh']}", EBADMSG, "config.json: process.cwd: missing");
	bad_with("'process': {'args': ['sh'], 'cwd': 'tmp'}", EBADMSG,
		 "config.json: process.cwd: \"tmp\" is not an absolute path");
	bad_with(PROC("'env': ['PATH=/bin', 'NOVALUE']"), EBADMSG,
		 "config.json: process.env[1]: \"NOVALUE\" is not KEY=VALUE");
	bad_with(PROC("'env': ['=x']"), EBADMSG,
		 "config.json: process.env[0]: \"=x\" is not KEY=VALUE");
	bad_with(PROC("'terminal': 'yes'"), EBADMSG,
		 "config.json: process.terminal: must be true or false");
	bad_with(PROC("'consoleSize': {'height': 70000, 'width': 80}"), EBADMSG,
		 "config.json: process.consoleSize.height: must be an integer from 0 to 65535");
	bad_with(PROC("'user': {'gid': 0}"), EBADMSG, "config.json: process.user.uid: missing");
	bad_with(PROC("'user': {'uid': -1, 'gid': 0}"), EBADMSG,
		 "config.json: process.user.uid: must be an integer from 0 to 4294967294");
	bad_with(PROC("'user': {'uid': 4294967295, 'gid': 0}"), EBADMSG,
		 "config.json: process.user.uid: must be an integer from 0 to 4294967294");
	bad_with(PROC("'user': {'uid': 1.5, 'gid': 0}"), EBADMSG,
		 "config.json: process.user.uid: must be an integer from 0 to 4294967294");
	bad_with(PROC("'user': {'uid': 0, 'gid': 0, 'umask': 512}"), EBADMSG,
		 "config.json: process.user.umask: must be an integer from 0 to 511");
	bad_with(PROC("'user': {'uid': 0, 'gid': 0, 'additionalGids': [1, '2']}"), EBADMSG,
		 "config.json: process.user.additionalGids[1]: must be an integer from 0 to "
		 "4294967294");
	bad_with(PROC("'capabilities': {'bounding': ['CAP_CHOWN', 'ALL']}"), EBADMSG,
		 "config.json: process.capabilities.bounding[1]: unknown capability \"ALL\"");
	bad_with(PROC("'capabilities': {'effective': ['CAP_chown_x']}"), EBADMSG,
		 "config.json: process.capabilities.effective[0]: unknown capability "
		 "\"CAP_chown_x\"");
	bad_with(PROC("'capabilities': ['CAP_CHOWN']"), EBADMSG,
		 "config.json: process.capabilities: must be an object");
	bad_with(PROC("'rlimits': [{'type': 'RLIMIT_FOO', 'hard': 1, 'soft': 1}]"), EBADMSG,
		 "config.json: process.rlimits[0].type: unknown resource limit \"RLIMIT_FOO\"");
	bad_with(PROC("'rlimits': [{'type': 'nofile', 'hard': 1, 'soft': 1}]"), EBADMSG,
		 "config.json: process.rlimits[0].type: unknown resource limit \"nofile\"");
	bad_with(PROC("'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1, 'soft': 2}]"), EBADMSG,
		 "config.json: process.rlimits[0]: soft limit 2 is above the hard limit 1");
	bad_with(PROC("'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1, 'soft': 1},"
		      " {'type': 'RLIMIT_NOFILE', 'hard': 2, 'soft': 2}]"),
		 EBADMSG, "config.json: process.rlimits[1]: a second \"RLIMIT_NOFILE\"");
	bad_with(PROC("'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': -1, 'soft': 1}]"), EBADMSG,
		 "config.json: process.rlimits[0].hard: must be an integer from 0 to "
		 "18446744073709551615 (unlimited)");
	bad_with(PROC("'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1.5, 'soft': 1}]"), EBADMSG,
		 "config.json: process.rlimits[0].hard: must be an integer from 0 to "
		 "18446744073709551615 (unlimited)");
	/* Only UINT64_MAX itself is taken past INT64_MAX. */
	bad_json_with(PROC("'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 18446744073709551614,"
			   " 'soft': 1}]"),
		      "too big integer near '18446744073709551614'");
	bad_json_with(PROC("'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': -18446744073709551615,"
			   " 'soft': 1}]"),
		      "too big negative integer");
	bad_with(PROC("'noNewPrivileges': 1"), EBADMSG,
		 "config.json: process.noNewPrivileges: must be true or false");
	bad_with(PROC("'apparmorProfile': ['x']"), EBADMSG,
		 "config.json: process.apparmorProfile: must be a string");
}

static void test_bad_mounts_hooks(void **state)
{
	(void)state;
	bad_with("'mounts': [{'destination': 'data', 'type': 'bind'}]", EBADMSG,
		 "config.json: mounts[0].destination: \"data\" is not an absolute path");
	bad_with("'mounts': [{'type': 'tmpfs'}]", EBADMSG,
		 "config.json: mounts[0].destination: missing");
	bad_with("'mounts': [{'destination': '/a'}, {'destination': '/data/../etc'}]", EBADMSG,
		 "config.json: mounts[1].destination: \"/data/../etc\" has a \"..\" component");
	bad_with("'mounts': [{'destination': '/data/.'}]", EBADMSG,
		 "config.json: mounts[0].destination: \"/data/.\" has a \".\" component");
	bad_with("'mounts': [{'destination': '/a', 'options': 'ro'}]", EBADMSG,
		 "config.json: mounts[0].options: must be an array");
	bad_with("'mounts': {}", EBADMSG, "config.json: mounts: must be an array");
	bad_with("'mounts': ['/a']", EBADMSG, "config.json: mounts[0]: must be an object");
	bad_with("'linux': {'maskedPaths': ['/proc/kcore', 'proc/keys']}", EBADMSG,
		 "config.json: linux.maskedPaths[1]: \"proc/keys\" is not an absolute path");
	bad_with("'linux': {'readonlyPaths': ['/proc/../sys']}", EBADMSG,
		 "config.json: linux.readonlyPaths[0]: \"/proc/../sys\" has a \"..\" component");
	bad_with("'hooks': {'prestart': [{'path': 'hook'}]}", EBADMSG,
		 "config.json: hooks.prestart[0].path: \"hook\" is not an absolute path");
	bad_with("'hooks': {'poststop': [{'args': ['x']}]}", EBADMSG,
		 "config.json: hooks.poststop[0].path: missing");
	bad_with("'hooks': {'createRuntime': [{'path': '/x', 'timeout': 0}]}", EBADMSG,
		 "config.json: hooks.createRuntime[0].timeout: must be an integer from 1 to "
		 "2147483647");
	bad_with("'hooks': {'startContainer': {'path': '/x'}}", EBADMSG,
		 "config.json: hooks.startContainer: must be an array");
}

static void test_bad_linux(void **state)
{
	(void)state;
	bad_with("'linux': {'namespaces': [{'type': 'pid'}, {'type': 'network',"
		 " 'path': '/proc/42/ns/net'}]}",
		 EOPNOTSUPP,
		 "config.json: linux.namespaces[1]: joining an existing namespace (path "
		 "\"/proc/42/ns/net\") is not possible inside the container's VM");
	bad_with("'linux': {'namespaces': [{'type': 'pid'}, {'type': 'pid'}]}", EBADMSG,
		 "config.json: linux.namespaces[1]: a second pid namespace");
	bad_with("'linux': {'namespaces': [{'type': 'net'}]}", EBADMSG,
		 "config.json: linux.namespaces[0].type: unknown namespace type \"net\"");
	bad_with("'linux': {'namespaces': [{'path': '/x'}]}", EBADMSG,
		 "config.json: linux.namespaces[0].type: missing");
	bad_with("'linux': {'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}]}",
		 EOPNOTSUPP,
		 "config.json: linux.uidMappings: user namespace ID mappings are not supported");
	bad_with("'linux': {'gidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}]}",
		 EOPNOTSUPP,
		 "config.json: linux.gidMappings: user namespace ID mappings are not supported");
	bad_with("'linux': {'devices': [{'path': '/dev/null'}, {'path': '/dev/fuse', 'type': 'c',"
		 " 'major': 10, 'minor': 229}]}",
		 EOPNOTSUPP,
		 "config.json: linux.devices[1]: \"/dev/fuse\": host devices cannot be passed into "
		 "a VM");
	bad_with("'linux': {'resources': {'memory': {'limit': 1}}}", EBADMSG,
		 "config.json: linux.resources.memory.limit: 1 bytes is too small: the least is "
		 "4194304 (4 MiB)");
	bad_with("'linux': {'resources': {'memory': {'limit': -2}}}", EBADMSG,
		 "config.json: linux.resources.memory.limit: must be -1 (no limit) or a number of "
		 "bytes");
	bad_with("'linux': {'resources': {'memory': {'limit': '1g'}}}", EBADMSG,
		 "config.json: linux.resources.memory.limit: must be an integer from "
		 "-9223372036854775808 to 9223372036854775807");
	bad_with("'linux': {'resources': {'cpu': {'quota': 999}}}", EBADMSG,
		 "config.json: linux.resources.cpu.quota: must be -1 (no limit) or at least 1000 "
		 "microseconds");
	bad_with("'linux': {'resources': {'cpu': {'quota': -5}}}", EBADMSG,
		 "config.json: linux.resources.cpu.quota: must be -1 (no limit) or at least 1000 "
		 "microseconds");
	bad_with("'linux': {'resources': {'cpu': {'period': 2000000}}}", EBADMSG,
		 "config.json: linux.resources.cpu.period: must be 0 or an integer from 1000 to "
		 "1000000 (microseconds)");
	bad_with("'linux': {'resources': {'cpu': {'cpus': '0-3;rm'}}}", EBADMSG,
		 "config.json: linux.resources.cpu.cpus: \"0-3;rm\" is not a list of CPUs "
		 "(\"0-3,6\")");
	bad_with("'linux': {'resources': {'pids': {'limit': 'max'}}}", EBADMSG,
		 "config.json: linux.resources.pids.limit: must be an integer from "
		 "-9223372036854775808 to 9223372036854775807");
	bad_with("'linux': {'seccomp': {'defaultAction': 'SCMP_ACT_NOTIFY'}}", EOPNOTSUPP,
		 "config.json: linux.seccomp: seccomp profile: defaultAction: SCMP_ACT_NOTIFY is "
		 "not supported: this runtime has no seccomp notification listener");
	bad_with("'linux': {'seccomp': {}}", EBADMSG,
		 "config.json: linux.seccomp: seccomp profile: defaultAction: missing");
	bad_with("'linux': {'sysctl': {'net.ipv4.ip_forward': 1}}", EBADMSG,
		 "config.json: linux.sysctl.\"net.ipv4.ip_forward\": must be a string");
	bad_with("'linux': {'sysctl': {'kernel..shmmax': '1'}}", EBADMSG,
		 "config.json: linux.sysctl.\"kernel..shmmax\": not a sysctl name "
		 "(\"net.ipv4.ip_forward\")");
	bad_with("'linux': {'sysctl': {'../../etc/passwd': '1'}}", EBADMSG,
		 "config.json: linux.sysctl.\"../../etc/passwd\": not a sysctl name "
		 "(\"net.ipv4.ip_forward\")");
	/* Set in a VM's guest kernel, not the container's namespaces. */
	bad_with("'linux': {'sysctl': {'kernel.core_pattern': '|/tmp/x'}}", EPERM,
		 "config.json: linux.sysctl.\"kernel.core_pattern\": not a namespaced sysctl: "
		 "it would set the guest kernel's, not the container's (allowed: kernel.msg*, "
		 "kernel.sem, kernel.shm*, kernel.hostname, kernel.domainname, fs.mqueue.*, "
		 "net.*)");
	bad_with("'linux': {'sysctl': {'vm/overcommit_memory': '1'}}", EPERM, NULL);
	bad_with("'linux': {'sysctl': {'fs.mqueue': '1'}}", EPERM, NULL);
	bad_with("'linux': {'sysctl': {'kernel.shmmax': '1', 'kernel.modprobe': '/x'}}", EPERM,
		 NULL);
	bad_with("'linux': {'sysctl': {'Kernel.shmmax': '1'}}", EBADMSG,
		 "config.json: linux.sysctl.\"Kernel.shmmax\": not a sysctl name "
		 "(\"net.ipv4.ip_forward\")");
	bad_with("'linux': {'sysctl': {'kernel.domainname': 'a\\nb'}}", EBADMSG,
		 "config.json: linux.sysctl.\"kernel.domainname\": the value has a newline");
	bad_with("'linux': []", EBADMSG, "config.json: linux: must be an object");
}

/* An array of n copies of item, as JSON text (single-quoted). */
static char *repeat(const char *before, const char *item, size_t n, const char *after)
{
	size_t len = strlen(before) + n * (strlen(item) + 1) + strlen(after) + 1;
	char *s = malloc(len), *p = s;

	assert_non_null(s);
	p += sprintf(p, "%s", before);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", item);
	sprintf(p, "%s", after);
	return s;
}

/* Over each bound by one: EFBIG naming the field; at the bound: fine. */
static void test_limits(void **state)
{
	static const struct {
		const char *before, *item, *after;
		size_t max;
		const char *msg;
	} lists[] = {
	    {"'process': {'cwd': '/', 'args': [", "'a'", "]}", MSG_ARGS_MAX,
	     "config.json: process.args: more than 4096 entries"},
	    {"'process': {'cwd': '/', 'args': ['a'], 'env': [", "'A=1'", "]}", MSG_ENV_MAX,
	     "config.json: process.env: more than 4096 entries"},
	    {"'process': {'cwd': '/', 'args': ['a'], 'user': {'uid': 0, 'gid': 0,"
	     " 'additionalGids': [",
	     "1", "]}}", MSG_GROUPS_MAX,
	     "config.json: process.user.additionalGids: more than 64 entries"},
	    {"'process': {'cwd': '/', 'args': ['a'], 'rlimits': [",
	     "{'type': 'RLIMIT_NOFILE', 'hard': 1, 'soft': 1}", "]}", MSG_RLIMITS_MAX,
	     "config.json: process.rlimits: more than 16 entries"},
	    {"'mounts': [", "{'destination': '/a'}", "]", BUNDLE_MOUNTS_MAX,
	     "config.json: mounts: more than 64 entries"},
	    {"'mounts': [{'destination': '/a', 'options': [", "'ro'", "]}]", BUNDLE_OPTIONS_MAX,
	     "config.json: mounts[0].options: more than 64 entries"},
	    {"'hooks': {'poststart': [", "{'path': '/x'}", "]}", BUNDLE_HOOKS_MAX,
	     "config.json: hooks.poststart: more than 32 entries"},
	    {"'linux': {'maskedPaths': [", "'/proc/kcore'", "]}", BUNDLE_PATHS_MAX,
	     "config.json: linux.maskedPaths: more than 256 entries"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
		struct bundle_config c;
		char *members, *s;

		/* Duplicate rlimits are refused before their count would be. */
		if (lists[i].max != MSG_RLIMITS_MAX) {
			members =
			    repeat(lists[i].before, lists[i].item, lists[i].max, lists[i].after);
			s = config_with(members);
			parse_ok(s, &c);
			bundle_config_free(&c);
			free(s);
			free(members);
		}
		members = repeat(lists[i].before, lists[i].item, lists[i].max + 1, lists[i].after);
		bad_with(members, EFBIG, lists[i].msg);
		free(members);
	}
}

static char *keyed(const char *before, size_t n, const char *after)
{
	size_t len = strlen(before) + n * 32 + strlen(after) + 1;
	char *s = malloc(len), *p = s;

	assert_non_null(s);
	p += sprintf(p, "%s", before);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s'k%zu': 'v'", i ? "," : "", i);
	sprintf(p, "%s", after);
	return s;
}

static void test_sizes(void **state)
{
	char *members, *s, *big;
	size_t len;

	(void)state;
	members = keyed("'annotations': {", BUNDLE_ANNOTATIONS_MAX + 1, "}");
	bad_with(members, EFBIG, "config.json: annotations: more than 1024 entries");
	free(members);
	members = keyed("'linux': {'sysctl': {", BUNDLE_SYSCTL_MAX + 1, "}}");
	bad_with(members, EFBIG, "config.json: linux.sysctl: more than 256 entries");
	free(members);
	/* Counted before anything is read of them. */
	members =
	    repeat("'process': {'args': ['sh'], 'cwd': '/', 'rlimits': [", "{}", 100000, "]}");
	bad_with(members, EFBIG, "config.json: process.rlimits: more than 16 entries");
	free(members);

	/* Strings: a hostname past the kernel's, a path past PATH_MAX, an
	 * argument past MSG_STRING_MAX. */
	bad_with("'hostname': 'a123456789b123456789c123456789d123456789e123456789f123456789abcd'",
		 EFBIG, "config.json: hostname: longer than 63 bytes");
	big = malloc(MSG_STRING_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', MSG_STRING_MAX + 1);
	big[0] = '/';
	big[MSG_PATH_MAX] = '\0';
	len = MSG_PATH_MAX + 64;
	s = malloc(len);
	assert_non_null(s);
	snprintf(s, len, "'process': {'args': ['sh'], 'cwd': '%s'}", big);
	bad_with(s, EFBIG, "config.json: process.cwd: longer than 4095 bytes");
	free(s);
	memset(big, 'a', MSG_STRING_MAX + 1);
	big[MSG_STRING_MAX + 1] = '\0';
	len = MSG_STRING_MAX + 64;
	s = malloc(len);
	assert_non_null(s);
	snprintf(s, len, "'process': {'args': ['%s'], 'cwd': '/'}", big);
	bad_with(s, EFBIG, "config.json: process.args[0]: longer than 131072 bytes");
	free(s);
	free(big);

	/* A 5 MiB file, whatever it holds. */
	len = 5u << 20;
	s = malloc(len);
	assert_non_null(s);
	memset(s, ' ', len);
	bad_len(s, len, EFBIG, "config.json: 5242880 bytes is larger than the limit of 4194304");
	free(s);
}

/* What the file says is quoted cut short, in printable ASCII. */
static void test_quoting(void **state)
{
	char *members = malloc(600);

	(void)state;
	assert_non_null(members);
	snprintf(members, 600, "'process': {'args': ['sh'], 'cwd': '\\u001b[31m%0400d'}", 0);
	bad_with(members, EBADMSG,
		 "config.json: process.cwd: \"?[31m0000000000000000000000000000000000000000"
		 "000000000000000000000000000000000000000000000...\" is not an absolute path");
	free(members);
	bad_with("'hostname': 'h\\u00e9llo'", EBADMSG,
		 "config.json: hostname: \"h??llo\" has characters other than letters, digits, "
		 "'.' and '-'");
	bad_with("'annotations': {'\\u001b]0;x\\u0007': 1}", EBADMSG,
		 "config.json: annotations.\"?]0;x?\": must be a string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runc_spec),
	    cmocka_unit_test(test_podman_config),
	    cmocka_unit_test(test_containerd_config),
	    cmocka_unit_test(test_process_json),
	    cmocka_unit_test(test_details),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_bad_process),
	    cmocka_unit_test(test_bad_mounts_hooks),
	    cmocka_unit_test(test_bad_linux),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_quoting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
