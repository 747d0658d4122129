/* Single-file bind mounts, and removing a container's record.
 *
 * A VM gets host directories as 9p shares; a file cannot be shared alone.
 * Sharing the file's own directory would show the guest its neighbours
 * (-v /etc/passwd:... would bring /etc/shadow, the kubelet's etc-hosts its
 * pod's volumes, a file under / all of /), so each file is bind-mounted on
 * the host into the container's private directory DIR/files (0700, root's)
 * as DIR/files/N, and that directory is what the VM shares. The mounts are
 * the runtime's: made at create, in the caller's mount namespace (the
 * host's, where libvirt's QEMU sees them), undone at delete. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci.h"
#include "util.h"

void oci_files_free(struct oci_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->sources[i]);
	memset(f, 0, sizeof(*f));
}

int oci_files_stage(const struct oci_globals *g, const char *id, const struct oci_files *f,
		    struct error *e)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if (!f->n)
		return 0;
	if (container_path(g->root, id, OCI_FILES_DIR, dir, sizeof(dir)) < 0)
		return error_set(e, ENAMETOOLONG, "runtime root %s: too long", g->root);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_errno(e, errno, "creating %s", dir);
	for (size_t i = 0; i < f->n; i++) {
		int fd;

		if (bprintf(path, sizeof(path), "%s/%zu", dir, i) < 0)
			return error_set(e, ENAMETOOLONG, "runtime root %s: too long", g->root);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return error_errno(e, errno, "creating %s", path);
		close(fd);
		if (mount(f->sources[i], path, NULL, MS_BIND, NULL) < 0)
			return error_errno(e, errno, "bind-mounting %s", f->sources[i]);
		if (f->readonly[i] &&
		    mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
			return error_errno(e, errno, "making the bind mount of %s read-only",
					   f->sources[i]);
	}
	return 0;
}

/* Detaches whatever is mounted on DIR/files/N. */
static void files_release(const struct oci_globals *g, const char *id)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (container_path(g->root, id, OCI_FILES_DIR, dir, sizeof(dir)) < 0)
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    bprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < 0)
			continue;
		/* Mounted once; more if someone bound over it. */
		for (int i = 0; i < 16 && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0; i++)
			;
	}
	closedir(d);
}

int oci_remove(const struct oci_globals *g, const char *id, struct error *e)
{
	files_release(g, id);
	return container_remove(g->root, id, e);
}
