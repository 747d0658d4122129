#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "util.h"

struct mount_entry {
	const char *source;
	const char *target;
	const char *fstype;
	unsigned long flags;
	const char *data;
	mode_t mode; /* of the mount point, when we create it */
};

/* In order: /dev before /dev/pts and /dev/shm, /sys before its cgroup. */
static const struct mount_entry mount_table[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", 0755},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
     0755},
    {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
    {"cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0755},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755},
    {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
};

/* The initramfs is the kernel's rootfs, which pivot_root cannot leave
 * (it has no parent mount), and containers need pivot_root to leave the
 * agent's mounts behind. So the agent moves onto a bind mount of it, as
 * switch_root would onto a real root: same files, but a mount with a
 * parent. */
static int root_to_bind_mount(struct error *e)
{
	if (mount("/", "/run", NULL, MS_BIND, NULL) < 0)
		return error_errno(e, errno, "bind-mounting the initramfs");
	if (chdir("/run") < 0)
		return error_errno(e, errno, "chdir /run");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return error_errno(e, errno, "moving the initramfs bind mount to /");
	if (chroot(".") < 0 || chdir("/") < 0)
		return error_errno(e, errno, "entering the initramfs bind mount");
	return 0;
}

int mounts_setup(struct error *e)
{
	if (root_to_bind_mount(e) < 0)
		return -e->code;
	for (size_t i = 0; i < sizeof(mount_table) / sizeof(*mount_table); i++) {
		const struct mount_entry *m = &mount_table[i];

		if (mkdir(m->target, m->mode) < 0 && errno != EEXIST)
			return error_errno(e, errno, "creating %s", m->target);
		if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0)
			return error_errno(e, errno, "mounting %s on %s", m->fstype, m->target);
	}
	return 0;
}

void mounts_log(void)
{
	char buf[4096];
	_cleanup_close_ int fd = open("/proc/self/mounts", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read_full(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		console_log("mount: %s", line);
}
