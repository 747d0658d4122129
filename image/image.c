#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "layer-apply.h"
#include "reference.h"
#include "util.h"

#define PASSWD_MAX (1u << 20)
#define MKFS_EROFS "mkfs.erofs"

int image_config_digest(struct store *s, const char *manifest, char ret[STORE_DIGEST_MAX],
			struct error *e)
{
	_cleanup_free_ char *json = NULL;
	struct oci_manifest m;
	size_t len;

	if (store_blob_read(s, manifest, STORE_JSON_MAX, &json, &len, e) < 0 ||
	    oci_manifest_parse(json, len, &m, e) < 0)
		return -e->code;
	snprintf(ret, STORE_DIGEST_MAX, "%s", m.config.digest);
	oci_manifest_free(&m);
	return 0;
}

/* An image ID (config digest, "sha256:" optional) or a prefix of at least
 * 4 hex digits, as `docker run 3f2a` takes. */
static int lookup_id(struct store *s, const struct store_image *v, size_t n, const char *id,
		     char *ret_name, char *ret_manifest, struct error *e)
{
	const char *hex = strncmp(id, "sha256:", 7) == 0 ? id + 7 : id;
	size_t len = strlen(hex);
	int found = -1;

	if (len < 4 || len > DIGEST_HEX_LEN || strspn(hex, "0123456789abcdef") != len)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		char config[STORE_DIGEST_MAX];
		struct error ignore = {0};
		if (strncmp(v[i].manifest + 7, hex, len) != 0 &&
		    (image_config_digest(s, v[i].manifest, config, &ignore) < 0 ||
		     strncmp(config + 7, hex, len) != 0))
			continue;
		if (found >= 0 && strcmp(v[found].manifest, v[i].manifest) != 0)
			return error_set(e, EINVAL, "image ID prefix %s is ambiguous", id);
		found = (int)i;
	}
	if (found < 0)
		return -ENOENT;
	strcpy(ret_name, v[found].name);
	strcpy(ret_manifest, v[found].manifest);
	return 0;
}

bool image_lookup_by_id(const char *ref, const char *manifest, const char *id)
{
	const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	size_t len = strlen(hex);

	return len >= 4 && len <= DIGEST_HEX_LEN && strspn(hex, "0123456789abcdef") == len &&
	       (strncmp(manifest + 7, hex, len) == 0 || strncmp(id + 7, hex, len) == 0);
}

int image_lookup(struct store *s, const char *ref, char ret_name[STORE_NAME_MAX],
		 char ret_manifest[STORE_DIGEST_MAX], struct error *e)
{
	_cleanup_free_ struct store_image *v = NULL;
	struct image_ref r;
	struct error perr = {0};
	char full[STORE_NAME_MAX], local[STORE_NAME_MAX];
	size_t n;
	int rr;

	if (store_list(s, &v, &n, e) < 0)
		return -e->code;
	rr = lookup_id(s, v, n, ref, ret_name, ret_manifest, e);
	if (rr != -ENOENT)
		return rr;
	if (image_ref_parse(ref, &r, &perr) < 0)
		return error_set(e, EINVAL, "%s", perr.msg);
	if (image_ref_format(&r, full, sizeof(full)) < 0)
		return error_set(e, ENAMETOOLONG, "image reference %s is too long", ref);
	/* Short names: the local store's own images first (podman's
	 * localhost/ rule), so the built-in busybox answers to "busybox". */
	if (r.short_name && strncmp(r.path, "library/", 8) == 0) {
		struct image_ref l = r;
		snprintf(l.domain, sizeof(l.domain), "localhost");
		memmove(l.path, l.path + 8, strlen(l.path + 8) + 1);
		if (image_ref_format(&l, local, sizeof(local)) == 0)
			for (size_t i = 0; i < n; i++)
				if (strcmp(v[i].name, local) == 0) {
					strcpy(ret_name, v[i].name);
					strcpy(ret_manifest, v[i].manifest);
					return 0;
				}
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, full) == 0) {
			strcpy(ret_name, v[i].name);
			strcpy(ret_manifest, v[i].manifest);
			return 0;
		}
	return error_set(
	    e, ENOENT,
	    "image \"%s\" not found in the local store; pull it with 'launcher pull' or "
	    "load it with 'launcher load -i FILE'",
	    ref);
}

int image_tag(struct store *s, const char *source, const char *target,
	      char ret_target[STORE_NAME_MAX], struct error *e)
{
	char name[STORE_NAME_MAX], manifest[STORE_DIGEST_MAX], full[STORE_NAME_MAX];
	struct image_ref r;
	int rr;

	if (image_ref_parse(target, &r, e) < 0)
		return -e->code;
	if (r.digest[0])
		return error_set(e, EINVAL, "refusing to create a tag with a digest reference");
	if (image_ref_format(&r, full, sizeof(full)) < 0)
		return error_set(e, ENAMETOOLONG, "image reference %s is too long", target);
	rr = image_lookup(s, source, name, manifest, e);
	if (rr == -ENOENT)
		return error_set(e, ENOENT, "No such image: %s", source);
	if (rr < 0 || store_tag(s, full, manifest, e) < 0)
		return -e->code;
	if (ret_target)
		snprintf(ret_target, STORE_NAME_MAX, "%s", full);
	return 0;
}

void image_name_familiar(const char *name, char *buf, size_t size)
{
	struct image_ref r;
	struct error ignore = {0};

	if (image_ref_parse(name, &r, &ignore) < 0 || image_ref_format_familiar(&r, buf, size) < 0)
		snprintf(buf, size, "%s", name);
}

int image_open(struct store *s, const char *name, const char *manifest_digest, struct image *ret,
	       struct error *e)
{
	_cleanup_free_ char *mjson = NULL;
	size_t len, clen;

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	snprintf(ret->manifest_digest, sizeof(ret->manifest_digest), "%s", manifest_digest);
	if (store_blob_read(s, manifest_digest, STORE_JSON_MAX, &mjson, &len, e) < 0 ||
	    oci_manifest_parse(mjson, len, &ret->manifest, e) < 0)
		return error_prefix(e, "image %s: manifest", name);
	if (store_blob_read(s, ret->manifest.config.digest, STORE_JSON_MAX, &ret->config_json,
			    &clen, e) < 0 ||
	    oci_config_parse(ret->config_json, clen, &ret->config, e) < 0) {
		error_prefix(e, "image %s: config", name);
		image_free(ret);
		return -e->code;
	}
	if (ret->config.ndiff_ids != ret->manifest.nlayers) {
		error_set(e, EBADMSG, "image %s: %zu layers but %zu diff_ids in its config", name,
			  ret->manifest.nlayers, ret->config.ndiff_ids);
		image_free(ret);
		return -e->code;
	}
	return 0;
}

void image_free(struct image *img)
{
	oci_manifest_free(&img->manifest);
	oci_config_free(&img->config);
	free(img->config_json);
	free(img->passwd);
	free(img->group);
	img->config_json = img->passwd = img->group = NULL;
}

static int run_mkfs(const char *image_file, const char *dir, struct error *e)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return error_errno(e, errno, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		/* -T0: reproducible times; uids, gids and modes are the layers'. */
		execlp(MKFS_EROFS, MKFS_EROFS, "--quiet", "-T0", image_file, dir, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return error_errno(e, errno, "waiting for " MKFS_EROFS);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return error_set(
		    e, ENOENT, MKFS_EROFS " not found: install erofs-utils (scripts/install-deps)");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_set(e, EIO, MKFS_EROFS " failed on %s (status %d)", dir, status);
	return 0;
}

/* At most PASSWD_MAX bytes of fd (closed), NUL-terminated; NULL on failure. */
static char *read_bounded(int fd)
{
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = xmalloc(PASSWD_MAX + 1);
	n = read_full(fd, buf, PASSWD_MAX);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* A file of the unpacked tree, resolved as if the tree were "/" (the
 * image's own symlinks cannot lead out of it). NULL when missing. */
static char *read_in_root(int root_fd, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};

	return read_bounded((int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how)));
}

static int write_file(const char *path, const char *text, struct error *e)
{
	char tmp[PATH_MAX + 8];
	int fd, r;

	if (bprintf(tmp, sizeof(tmp), "%s.tmp", path) < 0)
		return error_set(e, ENAMETOOLONG, "path %s is too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_errno(e, errno, "writing %s", tmp);
	r = write_full(fd, text, strlen(text));
	close(fd);
	if (r < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return error_errno(e, r < 0 ? -r : errno, "writing %s", path);
	}
	return 0;
}

static int apply_layers(struct store *s, const struct image *img, int root_fd, struct error *e)
{
	for (size_t i = 0; i < img->manifest.nlayers; i++) {
		const struct oci_descriptor *l = &img->manifest.layers[i];
		struct layer_apply_result res;
		int fd;

		if (!oci_layer_media_type_supported(l->media_type))
			return error_set(e, ENOTSUP,
					 "layer %zu (%s): media type %s is not supported", i,
					 l->digest, l->media_type);
		fd = store_blob_open(s, l->digest, e);
		if (fd < 0)
			return fd;
		if (layer_apply(fd, root_fd, &res, e) < 0) {
			close(fd);
			return error_prefix(e, "layer %zu (%s)", i, l->digest);
		}
		close(fd);
		if (strcmp(res.diff_id, img->config.diff_ids[i]) != 0)
			return error_set(e, EBADMSG,
					 "layer %zu (%s) unpacks to %s, but the config says %s", i,
					 l->digest, res.diff_id, img->config.diff_ids[i]);
	}
	return 0;
}

/* The side files next to the disk: RUNTIME/rootfs/HEX.passwd, .group */
static void side_path(const char *disk, const char *ext, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s.%s", (int)(strlen(disk) - strlen(".erofs")), disk, ext);
}

static char *read_side(const char *path)
{
	return read_bounded(open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
}

static int build_rootfs(struct store *s, struct image *img, struct error *e)
{
	char dir[PATH_MAX], tree[PATH_MAX + 8], tmpdisk[PATH_MAX + 16], side[PATH_MAX + 16];
	_cleanup_free_ char *passwd = NULL, *group = NULL;
	_cleanup_close_ int root_fd = -1;
	int r = -1;

	if (store_tmpdir(s, "rootfs", dir, sizeof(dir), e) < 0)
		return -e->code;
	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(tmpdisk, sizeof(tmpdisk), "%s/disk.erofs", dir);
	if (mkdir(tree, 0755) < 0) {
		error_errno(e, errno, "creating %s", tree);
		goto out;
	}
	root_fd = open(tree, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (root_fd < 0) {
		error_errno(e, errno, "opening %s", tree);
		goto out;
	}
	if (apply_layers(s, img, root_fd, e) < 0 || run_mkfs(tmpdisk, tree, e) < 0)
		goto out;
	passwd = read_in_root(root_fd, "etc/passwd");
	group = read_in_root(root_fd, "etc/group");
	side_path(img->disk, "passwd", side, sizeof(side));
	if (passwd && write_file(side, passwd, e) < 0)
		goto out;
	side_path(img->disk, "group", side, sizeof(side));
	if (group && write_file(side, group, e) < 0)
		goto out;
	/* QEMU's user reads it; its contents are the image's, nothing more. */
	if (chmod(tmpdisk, 0644) < 0 || rename(tmpdisk, img->disk) < 0) {
		error_errno(e, errno, "storing %s", img->disk);
		goto out;
	}
	r = 0;
out:
	(void)remove_tree(dir);
	return r < 0 ? error_prefix(e, "building the root filesystem of %s", img->name) : 0;
}

int image_prepare_rootfs(struct store *s, struct image *img, struct error *e)
{
	char side[PATH_MAX + 16];

	if (store_rootfs_path(s, img->manifest.config.digest, img->disk, sizeof(img->disk)) < 0)
		return error_set(e, EINVAL, "image %s: bad config digest", img->name);
	if (access(img->disk, F_OK) < 0 && build_rootfs(s, img, e) < 0)
		return -e->code;
	side_path(img->disk, "passwd", side, sizeof(side));
	img->passwd = read_side(side);
	side_path(img->disk, "group", side, sizeof(side));
	img->group = read_side(side);
	return 0;
}
