/* oci spec (a default config.json, as `runc spec` writes) and features
 * (what this runtime supports, runtime-spec features.md). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "config.h"
#include "oci.h"
#include "util.h"

static const char default_spec[] =
    "{\n"
    "  \"ociVersion\": \"" OCI_VERSION "\",\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"user\": {\"uid\": 0, \"gid\": 0},\n"
    "    \"args\": [\"sh\"],\n"
    "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", "
    "\"TERM=xterm\"],\n"
    "    \"cwd\": \"/\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"ambient\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]\n"
    "    },\n"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
    "    \"noNewPrivileges\": true\n"
    "  },\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"launcher\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": "
    "[\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", "
    "\"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", "
    "\"gid=5\"]},\n"
    "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", \"options\": "
    "[\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\", "
    "\"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
    "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": "
    "[\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
    "    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\", "
    "\"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}\n"
    "  ],\n"
    "  \"linux\": {\n"
    "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, "
    "{\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],\n"
    "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", "
    "\"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", "
    "\"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],\n"
    "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
    "\"/proc/sysrq-trigger\"]\n"
    "  }\n"
    "}\n";

int oci_spec(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	const char *bundle = ".";
	char path[PATH_MAX];
	int fd;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-b") == 0 || strcmp(argv[i], "--bundle") == 0) && i + 1 < argc)
			bundle = argv[++i];
		else if (strncmp(argv[i], "--bundle=", 9) == 0)
			bundle = argv[i] + 9;
		else if (strcmp(argv[i], "--rootless") != 0)
			return error_set(e, EINVAL, "unknown flag: %s", argv[i]), OCI_EXIT_FAILURE;
	}
	if (bprintf(path, sizeof(path), "%s/config.json", bundle) < 0)
		return error_set(e, ENAMETOOLONG, "bundle path too long"), OCI_EXIT_FAILURE;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(e, errno, "File %s exists. Remove it first", path),
		       OCI_EXIT_FAILURE;
	if (write_full(fd, default_spec, sizeof(default_spec) - 1) < 0) {
		close(fd);
		return error_errno(e, errno, "writing %s", path), OCI_EXIT_FAILURE;
	}
	close(fd);
	return 0;
}

int oci_features(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	printf("{\n"
	       "  \"ociVersionMin\": \"1.0.0\",\n"
	       "  \"ociVersionMax\": \"%s\",\n"
	       "  \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", "
	       "\"poststart\", \"poststop\"],\n"
	       "  \"mountOptions\": [\"bind\", \"rbind\", \"ro\", \"rw\", \"nosuid\", \"nodev\", "
	       "\"noexec\", \"size\", \"mode\"],\n"
	       "  \"linux\": {\n"
	       "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"uts\"],\n"
	       "    \"capabilities\": [",
	       OCI_VERSION);
	for (int cap = 0; cap <= CAPS_LAST; cap++)
		printf("%s\"%s\"", cap ? ", " : "", caps_name(cap));
	printf("],\n"
	       "    \"cgroup\": {\"v1\": false, \"v2\": true, \"systemd\": false, "
	       "\"systemdUser\": false},\n"
	       "    \"seccomp\": {\"enabled\": true, \"actions\": [\"SCMP_ACT_ALLOW\", "
	       "\"SCMP_ACT_ERRNO\", \"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_PROCESS\", "
	       "\"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"], "
	       "\"operators\": [\"SCMP_CMP_EQ\", \"SCMP_CMP_GE\", \"SCMP_CMP_GT\", \"SCMP_CMP_LE\", "
	       "\"SCMP_CMP_LT\", \"SCMP_CMP_MASKED_EQ\", \"SCMP_CMP_NE\"], "
	       "\"archs\": [\"SCMP_ARCH_X86_64\"]},\n"
	       "    \"apparmor\": {\"enabled\": false},\n"
	       "    \"selinux\": {\"enabled\": false}\n"
	       "  },\n"
	       "  \"annotations\": {\"io.launcher.version\": \"%s\", \"io.launcher.vm\": \"true\"}\n"
	       "}\n",
	       LAUNCHER_VERSION);
	return 0;
}
