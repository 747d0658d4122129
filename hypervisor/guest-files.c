#include "guest-files.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "util.h"

#define DEFAULT_FIRMWARE "/usr/share/qemu/qboot.rom"

struct candidate {
	const char *env;
	const char *build_rel; /* relative to the directory of the running binary */
	const char *installed;
	const char *what;
	const char *hint;
};

static int exe_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *d;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	d = dirname(buf);
	memmove(buf, d, strlen(d) + 1);
	return 0;
}

static int find_one(const struct candidate *c, char *ret, size_t size, uint64_t *ret_size,
		    struct error *e)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *env = c->env ? getenv(c->env) : NULL;
	struct stat st;

	if (env && *env) {
		if (stat(env, &st) < 0 || !S_ISREG(st.st_mode))
			return error_set(e, ENOENT, "%s %s (from $%s) is not a file", c->what, env,
					 c->env);
		snprintf(ret, size, "%s", env);
		goto found;
	}
	if (c->build_rel && exe_dir(dir, sizeof(dir)) == 0) {
		if (bprintf(path, sizeof(path), "%s/%s", dir, c->build_rel) == 0 &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && realpath(path, ret))
			goto found;
	}
	if (stat(c->installed, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(ret, size, "%s", c->installed);
		goto found;
	}
	return error_set(e, ENOENT, "%s not found (looked for %s); %s", c->what, c->installed,
			 c->hint);
found:
	if (ret_size)
		*ret_size = (uint64_t)st.st_size;
	return 0;
}

int guest_files_find(struct guest_files *ret, struct error *e)
{
	const struct candidate kernel = {
		"LAUNCHER_GUEST_KERNEL", "../guest-image/vmlinux", LAUNCHER_DATADIR "/vmlinux",
		"guest kernel", "build it with 'ninja -C build' and install with 'ninja -C build install'"};
	const struct candidate initrd = {"LAUNCHER_GUEST_INITRAMFS", "../guest-image/initramfs.cpio",
					 LAUNCHER_DATADIR "/initramfs.cpio", "guest initramfs",
					 kernel.hint};
	const struct candidate firmware = {"LAUNCHER_FIRMWARE", NULL, DEFAULT_FIRMWARE,
					   "qboot firmware",
					   "install it with 'apt-get install qemu-system-data'"};
	const struct candidate backend = {
		"LAUNCHER_VSOCK_BACKEND", "../hypervisor/vsock-backend/launcher-vsock",
		LAUNCHER_LIBEXECDIR "/launcher-vsock", "vsock backend launcher-vsock", kernel.hint};

	if (find_one(&kernel, ret->kernel, sizeof(ret->kernel), &ret->kernel_size, e) < 0 ||
	    find_one(&initrd, ret->initrd, sizeof(ret->initrd), &ret->initrd_size, e) < 0 ||
	    find_one(&firmware, ret->firmware, sizeof(ret->firmware), NULL, e) < 0 ||
	    find_one(&backend, ret->backend, sizeof(ret->backend), NULL, e) < 0)
		return -e->code;
	return 0;
}

static int may(const struct stat *st, uid_t uid, gid_t gid, mode_t u, mode_t g, mode_t o)
{
	if (uid == 0)
		return 1;
	if (st->st_uid == uid)
		return (st->st_mode & u) != 0;
	if (st->st_gid == gid)
		return (st->st_mode & g) != 0;
	return (st->st_mode & o) != 0;
}

int guest_files_reachable(const char *path, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX];
	struct stat st;

	if (stat(path, &st) < 0 || !may(&st, uid, gid, S_IRUSR, S_IRGRP, S_IROTH))
		return 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *slash = strrchr(buf, '/'); slash && slash != buf; slash = strrchr(buf, '/')) {
		*slash = '\0';
		if (stat(buf, &st) < 0 || !may(&st, uid, gid, S_IXUSR, S_IXGRP, S_IXOTH))
			return 0;
	}
	return 1;
}

static int copy_file(const char *from, const char *to, struct error *e)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char tmp[PATH_MAX];
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0)
		return error_errno(e, errno, "opening %s", from);
	if (bprintf(tmp, sizeof(tmp), "%s.tmp.%d", to, (int)getpid()) < 0)
		return error_set(e, ENAMETOOLONG, "path %s is too long", to);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return error_errno(e, errno, "creating %s", tmp);
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(out, in, &off, (size_t)(st.st_size - off));
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;
			unlink(tmp);
			return error_errno(e, err, "copying %s to %s", from, tmp);
		}
	}
	if (fchmod(out, 0644) < 0 || rename(tmp, to) < 0) {
		int err = errno;
		unlink(tmp);
		return error_errno(e, err, "installing %s", to);
	}
	return 0;
}

static int stage(char *path, size_t size, const char *stage_dir, struct error *e)
{
	char dest[PATH_MAX], name[PATH_MAX];
	struct stat st;

	if (stat(path, &st) < 0)
		return error_errno(e, errno, "%s", path);
	snprintf(name, sizeof(name), "%s", path);
	/* The name carries the file's identity, so a rebuilt file is copied anew. */
	snprintf(dest, sizeof(dest), "%s/%s-%llu-%lld.%09ld", stage_dir, basename(name),
		 (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
	if (access(dest, F_OK) < 0 && copy_file(path, dest, e) < 0)
		return -e->code;
	snprintf(path, size, "%s", dest);
	return 0;
}

int guest_files_make_reachable(struct guest_files *files, uid_t uid, gid_t gid,
			       const char *stage_dir, struct error *e)
{
	char *paths[] = {files->kernel, files->initrd};

	for (size_t i = 0; i < 2; i++) {
		if (guest_files_reachable(paths[i], uid, gid))
			continue;
		if (mkdir(stage_dir, 0755) < 0 && errno != EEXIST)
			return error_errno(e, errno, "creating %s", stage_dir);
		if (stage(paths[i], PATH_MAX, stage_dir, e) < 0)
			return error_prefix(e, "staging guest files for QEMU");
	}
	return 0;
}
