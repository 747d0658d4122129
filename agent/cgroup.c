#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
/* Controllers the container's limits need, enabled for the root's
 * children. */
#define CONTROLLERS "+memory +pids +cpu"

static int write_at(int dfd, const char *file, const char *value, struct error *e)
{
	_cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return error_errno(e, errno, "opening cgroup file %s", file);
	if (write(fd, value, strlen(value)) < 0)
		return error_errno(e, errno, "writing \"%s\" to cgroup file %s", value, file);
	return 0;
}

static int write_limit(int dfd, const char *file, uint64_t v, struct error *e)
{
	char buf[32];

	if (v)
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	else
		snprintf(buf, sizeof(buf), "max");
	return write_at(dfd, file, buf, e);
}

int cgroup_create(const char *name, const struct container_spec *c, struct error *e)
{
	_cleanup_close_ int root = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int dfd = -1;
	char cpu[64];

	if (root < 0)
		return error_errno(e, errno, "opening %s", CGROUP_ROOT);
	if (write_at(root, "cgroup.subtree_control", CONTROLLERS, e) < 0)
		return error_prefix(e, "enabling the memory, pids and cpu controllers");
	if (mkdirat(root, name, 0755) < 0 && errno != EEXIST)
		return error_errno(e, errno, "creating cgroup %s", name);
	dfd = openat(root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_errno(e, errno, "opening cgroup %s", name);
	if (c->cpu_quota_us)
		snprintf(cpu, sizeof(cpu), "%u %u", c->cpu_quota_us, c->cpu_period_us);
	else
		snprintf(cpu, sizeof(cpu), "max 100000");
	/* The guest has no swap: memory.max is the whole of it. */
	if (write_limit(dfd, "memory.max", c->memory, e) < 0 ||
	    write_limit(dfd, "pids.max", c->pids, e) < 0 || write_at(dfd, "cpu.max", cpu, e) < 0)
		return error_prefix(e, "cgroup %s", name);
	return TAKE_FD(dfd);
}

bool cgroup_oom_killed(int dir_fd)
{
	_cleanup_close_ int fd = openat(dir_fd, "memory.events", O_RDONLY | O_CLOEXEC);
	char buf[512], *p;
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "oom_kill ");
	return p && strtoull(p + 9, NULL, 10) > 0;
}
