#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <unistd.h>

#include "util.h"

/* cache=loose: the share is read-only to the guest and, for the life of a
 * container, left alone by the host, so the guest may cache lookups and
 * attributes; under TCG every round trip to QEMU counts. msize: 256 KiB
 * per 9p message moves big files in few round trips. */
#define ROOTFS_9P_OPTIONS "trans=virtio,version=9p2000.L,cache=loose,msize=262144"

static int mkdir_mode(const char *path, mode_t mode, struct error *e)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return error_errno(e, errno, "creating %s", path);
	return 0;
}

static int mount_lower(const char *tag, const char *disk, unsigned long flags, struct error *e)
{
	char dev[32];

	if (!disk[0]) {
		if (mount(tag, ROOTFS_LOWER, "9p", flags, ROOTFS_9P_OPTIONS) < 0)
			return error_errno(e, errno, "mounting the root filesystem (9p tag %s)", tag);
		return 0;
	}
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	if (mount(dev, ROOTFS_LOWER, "erofs", flags, NULL) < 0)
		return error_errno(e, errno, "mounting the image's root filesystem (erofs on %s)",
				   dev);
	return 0;
}

#define VOLUME_9P_OPTIONS "trans=virtio,version=9p2000.L,msize=262144"

int rootfs_prepare(const char *tag, const char *disk, bool rw, struct error *e)
{
	static const char *const dirs[] = {"/run/c", ROOTFS_LOWER, ROOTFS_RW, ROOTFS_ROOT};
	/* nodev: device nodes come from the agent's own /dev. Not nosuid:
	 * setuid binaries of the image must work as they do under Docker. */
	const unsigned long lower_flags = MS_RDONLY | MS_NODEV;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++)
		if (mkdir_mode(dirs[i], 0700, e) < 0)
			return -e->code;
	if (rw) {
		/* No cache: the engine on the host reads what the container
		 * writes, and may write there itself. */
		if (disk[0] || !tag[0])
			return error_set(e, EINVAL, "a read-write root must be a 9p share");
		if (mount(tag, ROOTFS_ROOT, "9p", 0, VOLUME_9P_OPTIONS) < 0)
			return error_errno(e, errno, "mounting the root filesystem (9p tag %s)",
					   tag);
		return 0;
	}
	if (mount_lower(tag, disk, lower_flags, e) < 0)
		return -e->code;
	if (mount("tmpfs", ROOTFS_RW, "tmpfs", MS_NODEV, "mode=0755") < 0) {
		error_errno(e, errno, "mounting a tmpfs on %s", ROOTFS_RW);
		goto fail_lower;
	}
	if (mkdir_mode(ROOTFS_RW "/upper", 0755, e) < 0 ||
	    mkdir_mode(ROOTFS_RW "/work", 0700, e) < 0)
		goto fail_rw;
	if (mount("overlay", ROOTFS_ROOT, "overlay", 0,
		  "lowerdir=" ROOTFS_LOWER ",upperdir=" ROOTFS_RW "/upper,workdir=" ROOTFS_RW
		  "/work") < 0) {
		error_errno(e, errno, "mounting the overlay on %s", ROOTFS_ROOT);
		goto fail_rw;
	}
	return 0;

fail_rw:
	umount2(ROOTFS_RW, MNT_DETACH);
fail_lower:
	umount2(ROOTFS_LOWER, MNT_DETACH);
	return -e->code;
}

struct fs_mount {
	const char *source;
	const char *target;
	const char *fstype;
	unsigned long flags;
	const char *data;
};

/* What Docker gives a container, in order (/dev before what is inside).
 * /sys is read-only but for --privileged; /dev/shm's size is --shm-size.
 * /dev is nodev but for --privileged: the guest kernel has no device
 * cgroup (BPF), so device access is held by mount flags instead. */
#define SYSFS_INDEX 1
#define SHM_INDEX 4
static const struct fs_mount system_mounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
     "newinstance,ptmxmode=0666,mode=0620,gid=5"},
    {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"},
    {"mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
};

/* Docker's masked paths (hidden: /dev/null over files, an empty read-only
 * tmpfs over directories) and read-only ones, but for --privileged. */
static const char *const masked_paths[] = {
    "/proc/asound",	  "/proc/acpi",	       "/proc/kcore",
    "/proc/keys",	  "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug",   "/proc/scsi",
    "/sys/firmware",	  "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static const struct {
	const char *path;
	unsigned major, minor;
} device_nodes[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
	const char *target;
	const char *path;
} dev_links[] = {
    {"/proc/self/fd", "/dev/fd"},	{"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},
};

static int plain_directory(const char *path, struct error *e)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return error_errno(e, errno, "%s", path);
	if (!S_ISDIR(st.st_mode))
		return error_set(e, ENOTDIR,
				 "the image's %s is not a directory (a symlink?): refusing to mount "
				 "there",
				 path);
	return 0;
}

/* The few devices a container may open. /dev turns nodev, so each node
 * is made on a mount of its own that allows devices: a bind of the node
 * onto itself, made before /dev turns nodev and not affected by it.
 * What the container makes with mknod (CAP_MKNOD is in Docker's set)
 * lands on a nodev mount and cannot be opened: EACCES. */
static int make_device_nodes(bool privileged, struct error *e)
{
	for (size_t j = 0; j < sizeof(device_nodes) / sizeof(*device_nodes); j++) {
		const char *p = device_nodes[j].path;

		if (mknod(p, S_IFCHR | 0666, makedev(device_nodes[j].major, device_nodes[j].minor)) <
		    0)
			return error_errno(e, errno, "creating %s", p);
		if (!privileged && mount(p, p, NULL, MS_BIND, NULL) < 0)
			return error_errno(e, errno, "binding %s", p);
	}
	if (!privileged &&
	    mount(NULL, "/dev", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_STRICTATIME,
		  NULL) < 0)
		return error_errno(e, errno, "making /dev nodev");
	return 0;
}

static int mount_system(const struct container_spec *ct, struct error *e)
{
	char shm[64];

	if (ct->shm_size)
		snprintf(shm, sizeof(shm), "mode=1777,size=%llu", (unsigned long long)ct->shm_size);
	for (size_t i = 0; i < sizeof(system_mounts) / sizeof(*system_mounts); i++) {
		struct fs_mount mm = system_mounts[i];
		const struct fs_mount *m = &mm;

		if (i == SYSFS_INDEX && ct->privileged)
			mm.flags &= ~(unsigned long)MS_RDONLY;
		if (i == SHM_INDEX && ct->shm_size)
			mm.data = shm;

		/* The image may lack the mount point; the overlay is writable.
		 * A symlink there (/proc -> somewhere) would move the mount
		 * away from where the masks below expect it: refused, as
		 * runc does. */
		if (mkdir_mode(m->target, 0755, e) < 0 || plain_directory(m->target, e) < 0)
			return -e->code;
		if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0)
			return error_errno(e, errno, "mounting %s on %s", m->fstype, m->target);
		if (i == SYSFS_INDEX) {
			/* Its own cgroup (a namespace rooted there), read-only
			 * as Docker mounts it, to read its limits from. */
			if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2",
				  MS_NOSUID | MS_NODEV | MS_NOEXEC | (ct->privileged ? 0 : MS_RDONLY),
				  NULL) < 0)
				return error_errno(e, errno, "mounting cgroup2 on /sys/fs/cgroup");
			continue;
		}
		if (strcmp(m->target, "/dev") != 0)
			continue;
		if (make_device_nodes(ct->privileged, e) < 0)
			return -e->code;
		for (size_t j = 0; j < sizeof(dev_links) / sizeof(*dev_links); j++)
			if (symlink(dev_links[j].target, dev_links[j].path) < 0)
				return error_errno(e, errno, "creating %s", dev_links[j].path);
	}
	return 0;
}

/* A mount point for a file: an empty file, its directories made. */
static int make_file_target(const char *target, struct error *e)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	if (bprintf(dir, sizeof(dir), "%s", target) < 0)
		return error_set(e, ENAMETOOLONG, "%s: path too long", target);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (rootfs_mkdir_p(dir, 0, 0, e) < 0)
			return -e->code;
	}
	fd = open(target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno != EISDIR)
		return error_errno(e, errno, "creating the mount point %s", target);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Shares used by more than one mount, or in part (an OCI bundle's bind of
 * one file shares its directory): a 9p tag can be mounted only once at a
 * time, so each such share is mounted once on a staging directory in the
 * container's own /dev, the parts bound from there, and the staging
 * mounts detached at the end; the binds keep the shares alive. */
#define STAGE_DIR "/dev/.launcher-shares"

struct stages {
	char tags[MSG_MOUNTS_MAX][MSG_TAG_MAX];
	size_t n;
};

static bool tag_shared(const struct container_spec *ct, size_t i)
{
	for (size_t j = 0; j < ct->nmounts; j++)
		if (j != i && ct->mounts[j].kind == MOUNT_9P &&
		    strcmp(ct->mounts[j].tag, ct->mounts[i].tag) == 0)
			return true;
	return ct->mounts[i].subpath != NULL;
}

static int stage(struct stages *st, const char *tag, char *path, size_t size, struct error *e)
{
	snprintf(path, size, STAGE_DIR "/%s", tag);
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->tags[i], tag) == 0)
			return 0;
	if ((st->n == 0 && mkdir_mode(STAGE_DIR, 0700, e) < 0) || mkdir_mode(path, 0700, e) < 0)
		return -e->code;
	if (mount(tag, path, "9p", 0, VOLUME_9P_OPTIONS) < 0)
		return error_errno(e, errno, "mounting share %s", tag);
	snprintf(st->tags[st->n++], MSG_TAG_MAX, "%s", tag);
	return 0;
}

static void unstage(struct stages *st)
{
	char path[64];

	for (size_t i = 0; i < st->n; i++) {
		snprintf(path, sizeof(path), STAGE_DIR "/%s", st->tags[i]);
		umount2(path, MNT_DETACH);
		rmdir(path);
	}
	if (st->n)
		rmdir(STAGE_DIR);
	st->n = 0;
}

static int mount_staged(struct stages *st, const struct mount_spec *m, unsigned long flags,
			struct error *e)
{
	char root[64], src[PATH_MAX];
	struct stat sb;

	if (stage(st, m->tag, root, sizeof(root), e) < 0)
		return -e->code;
	snprintf(src, sizeof(src), "%s%s%s", root, m->subpath ? "/" : "", m->subpath ? m->subpath : "");
	if (lstat(src, &sb) < 0)
		return error_errno(e, errno, "share %s: %s", m->tag, m->subpath ? m->subpath : "/");
	if (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))
		return error_set(e, EINVAL, "share %s: %s is neither a file nor a directory", m->tag,
				 m->subpath);
	if ((S_ISDIR(sb.st_mode) ? rootfs_mkdir_p(m->target, 0, 0, e)
				 : make_file_target(m->target, e)) < 0)
		return error_prefix(e, "mount point");
	if (mount(src, m->target, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, m->target, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
		return error_errno(e, errno, "binding share %s on %s", m->tag, m->target);
	return 0;
}

static size_t depth(const char *path)
{
	size_t n = 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

/* Parents before what goes inside them, as Docker and runc sort mounts
 * (-v a:/x/y -v b:/x would otherwise hide /x/y); stable otherwise. */
static void mount_order(const struct container_spec *ct, size_t *order)
{
	for (size_t i = 0; i < ct->nmounts; i++) {
		size_t j = i, d = depth(ct->mounts[i].target);
		for (; j > 0 && depth(ct->mounts[order[j - 1]].target) > d; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
}

/* The user's mounts: volumes (9p shares of the VM) and tmpfs. */
static int mount_each(const struct container_spec *ct, struct stages *st, struct error *e)
{
	size_t order[MSG_MOUNTS_MAX];

	mount_order(ct, order);
	for (size_t k = 0; k < ct->nmounts; k++) {
		size_t i = order[k];
		const struct mount_spec *m = &ct->mounts[i];
		/* nodev whatever was asked (Docker's device cgroup would
		 * refuse the opens), but for --privileged. */
		unsigned long flags = (m->flags & MOUNT_RDONLY ? MS_RDONLY : 0) |
				      (m->flags & MOUNT_NOSUID ? MS_NOSUID : 0) |
				      ((m->flags & MOUNT_NODEV) || !ct->privileged ? MS_NODEV : 0) |
				      (m->flags & MOUNT_NOEXEC ? MS_NOEXEC : 0);
		char data[128];

		if (m->kind == MOUNT_9P && tag_shared(ct, i)) {
			if (mount_staged(st, m, flags, e) < 0)
				return -e->code;
			continue;
		}
		if (rootfs_mkdir_p(m->target, 0, 0, e) < 0)
			return error_prefix(e, "mount point");
		if (m->kind == MOUNT_9P) {
			/* No cache: what the host writes is seen at once. */
			if (mount(m->tag, m->target, "9p", flags, VOLUME_9P_OPTIONS) < 0)
				return error_errno(e, errno, "mounting volume %s on %s", m->tag,
						   m->target);
			continue;
		}
		snprintf(data, sizeof(data), "mode=%o", m->mode ? m->mode : 01777);
		if (m->size)
			snprintf(data + strlen(data), sizeof(data) - strlen(data), ",size=%llu",
				 (unsigned long long)m->size);
		if (mount("tmpfs", m->target, "tmpfs", flags, data) < 0)
			return error_errno(e, errno, "mounting a tmpfs on %s", m->target);
	}
	return 0;
}

static int mount_user(const struct container_spec *ct, struct error *e)
{
	struct stages st = {.n = 0};
	int r = mount_each(ct, &st, e);

	unstage(&st);
	return r;
}

static int mask_paths(const struct container_spec *ct, struct error *e)
{
	const char *const *masked = ct->custom_paths ? (const char *const *)ct->masked_paths
						     : masked_paths;
	const char *const *readonly = ct->custom_paths ? (const char *const *)ct->readonly_paths
						       : readonly_paths;
	size_t nmasked = ct->custom_paths ? ct->nmasked_paths
					  : sizeof(masked_paths) / sizeof(*masked_paths);
	size_t nreadonly = ct->custom_paths ? ct->nreadonly_paths
					    : sizeof(readonly_paths) / sizeof(*readonly_paths);
	struct stat st;

	for (size_t i = 0; i < nmasked; i++) {
		const char *p = masked[i];
		int r;

		if (lstat(p, &st) < 0)
			continue; /* not in this kernel */
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  "size=0");
		else
			r = mount("/dev/null", p, NULL, MS_BIND, NULL);
		if (r < 0)
			return error_errno(e, errno, "masking %s", p);
	}
	for (size_t i = 0; i < nreadonly; i++) {
		const char *p = readonly[i];

		if (lstat(p, &st) < 0)
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, p, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			return error_errno(e, errno, "making %s read-only", p);
	}
	return 0;
}

/* An OCI bundle's linux.sysctl, before /proc/sys turns read-only: what the
 * container's namespaces own (net.*, kernel.shm*, ...), in the VM's kernel
 * for the rest; the VM is the container's alone. */
static int set_sysctls(const struct container_spec *ct, struct error *e)
{
	for (size_t i = 0; i < ct->nsysctl; i++) {
		const char *kv = ct->sysctl[i], *eq = strchr(kv, '=');
		char path[PATH_MAX];
		size_t n;
		int fd;

		if (!eq)
			continue;
		n = (size_t)(eq - kv);
		if (bprintf(path, sizeof(path), "/proc/sys/%.*s", (int)n, kv) < 0)
			return error_set(e, ENAMETOOLONG, "sysctl %.*s: name too long", (int)n, kv);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return error_errno(e, errno, "sysctl %.*s", (int)n, kv);
		if (write(fd, eq + 1, strlen(eq + 1)) < 0) {
			error_errno(e, errno, "sysctl %.*s=%s", (int)n, kv, eq + 1);
			close(fd);
			return -e->code;
		}
		close(fd);
	}
	return 0;
}

/* The masks are only worth something on the procfs at /proc. */
/* /etc/hosts, /etc/resolv.conf and /etc/hostname as the host wrote them
 * (Docker's): each written to a tmpfs staged in the container's /dev and
 * bound over the root's own; the tmpfs is detached after (the binds keep
 * the files). The container may edit them, as under Docker. */
#define ETC_STAGE_DIR "/dev/.launcher-etc"

static int write_etc_file(const char *name, const char *text, struct error *e)
{
	char staged[64], target[64];
	struct stat st;
	int fd;

	if (!text)
		return 0;
	snprintf(staged, sizeof(staged), ETC_STAGE_DIR "/%s", name);
	snprintf(target, sizeof(target), "/etc/%s", name);
	fd = open(staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_errno(e, errno, "creating %s", staged);
	if (write_full(fd, text, strlen(text)) < 0) {
		close(fd);
		return error_errno(e, errno, "writing %s", staged);
	}
	close(fd);
	/* The image's own may be a symlink (resolv.conf -> /run/...): the
	 * generated file replaces it, in the overlay's upper layer. Anything
	 * else but a file is the image's mistake. */
	if (lstat(target, &st) == 0) {
		if (S_ISLNK(st.st_mode) && unlink(target) < 0)
			return error_errno(e, errno, "replacing the symlink %s", target);
		if (!S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode))
			return error_set(e, EINVAL, "the image's %s is not a file", target);
	}
	if (make_file_target(target, e) < 0)
		return error_prefix(e, "%s", target);
	if (mount(staged, target, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return error_errno(e, errno, "binding %s", target);
	return 0;
}

static int etc_files(const struct container_spec *ct, struct error *e)
{
	int r;

	if (!ct->etc_hosts && !ct->etc_resolv_conf && !ct->etc_hostname)
		return 0;
	if (mkdir_mode(ETC_STAGE_DIR, 0700, e) < 0)
		return -e->code;
	if (mount("tmpfs", ETC_STAGE_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700,size=1m") < 0)
		return error_errno(e, errno, "mounting a tmpfs on %s", ETC_STAGE_DIR);
	r = write_etc_file("hosts", ct->etc_hosts, e);
	if (r == 0)
		r = write_etc_file("resolv.conf", ct->etc_resolv_conf, e);
	if (r == 0)
		r = write_etc_file("hostname", ct->etc_hostname, e);
	umount2(ETC_STAGE_DIR, MNT_DETACH);
	rmdir(ETC_STAGE_DIR);
	return r;
}

static int proc_in_place(struct error *e)
{
	struct statfs sf;

	if (statfs("/proc", &sf) < 0)
		return error_errno(e, errno, "/proc");
	if (sf.f_type != PROC_SUPER_MAGIC)
		return error_set(e, EINVAL, "/proc is not the container's procfs: refusing to start");
	return 0;
}

int rootfs_enter(const struct container_spec *ct, struct error *e)
{
	unsigned long root_flags;

	/* Nothing the container mounts may reach the agent's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return error_errno(e, errno, "making the mounts private");
	if (chdir(ROOTFS_ROOT) < 0)
		return error_errno(e, errno, "entering %s", ROOTFS_ROOT);
	/* runc's way: the old root ends up stacked on the new one at ".",
	 * from where it is detached, with every agent mount under it. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return error_errno(e, errno, "pivot_root to %s", ROOTFS_ROOT);
	if (umount2(".", MNT_DETACH) < 0)
		return error_errno(e, errno, "detaching the agent's root");
	if (chdir("/") < 0)
		return error_errno(e, errno, "chdir /");
	/* After pivot_root, so that the image's symlinks resolve inside it. */
	/* The user's mounts after the generated files: theirs win. */
	if (mount_system(ct, e) < 0 || etc_files(ct, e) < 0 || mount_user(ct, e) < 0)
		return -e->code;
	if (proc_in_place(e) < 0 || set_sysctls(ct, e) < 0)
		return -e->code;
	if (!ct->privileged && mask_paths(ct, e) < 0)
		return -e->code;
	/* The root's own flags: nodev (the device nodes a container makes
	 * are not opened), read-only for --read-only. */
	root_flags = (ct->privileged ? 0 : MS_NODEV) | (ct->readonly_root ? MS_RDONLY : 0);
	if (root_flags && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | root_flags, NULL) < 0)
		return error_errno(e, errno, "remounting the root file system%s",
				   ct->readonly_root ? " read-only" : " nodev");
	return 0;
}

int rootfs_mkdir_p(const char *path, unsigned uid, unsigned gid, struct error *e)
{
	char buf[PATH_MAX];
	struct stat st;

	if (bprintf(buf, sizeof(buf), "%s", path) < 0)
		return error_set(e, ENAMETOOLONG, "%s: path too long", path);
	if (stat(buf, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0
					   : error_set(e, ENOTDIR, "%s is not a directory", path);
	for (char *p = buf + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == 0) {
			/* lchown: what is there now may not be what mkdir
			 * made; a symlink is not followed out of it. */
			if (lchown(buf, uid, gid) < 0)
				return error_errno(e, errno, "chown %s", buf);
		} else if (errno != EEXIST) {
			return error_errno(e, errno, "creating %s", buf);
		}
		if (last)
			break;
		*p = '/';
	}
	return 0;
}
