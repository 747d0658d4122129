#include "gc.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci-json.h"
#include "util.h"

int image_hold(const char *disk_path, struct error *e)
{
	_cleanup_close_ int fd = open(disk_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat a, b;

	if (fd < 0)
		return error_errno(e, errno, "image disk %s", disk_path);
	if (flock(fd, LOCK_SH) < 0)
		return error_errno(e, errno, "locking the image disk %s", disk_path);
	/* Garbage collection may have removed it between open and flock. */
	if (fstat(fd, &a) < 0 || stat(disk_path, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)
		return error_set(e, ENOENT, "image disk %s was removed", disk_path);
	return TAKE_FD(fd);
}

bool image_disk_busy(const char *disk_path)
{
	_cleanup_close_ int fd = open(disk_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	return fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

/* ---- a sorted set of digests ---- */

struct digest_set {
	char (*v)[STORE_DIGEST_MAX];
	size_t n, cap;
};

static void set_add(struct digest_set *s, const char *d)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	snprintf(s->v[s->n++], STORE_DIGEST_MAX, "%s", d);
}

static int cmp_digest(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void set_sort(struct digest_set *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_digest);
}

static bool set_has(const struct digest_set *s, const char *d)
{
	return s->n && bsearch(d, s->v, s->n, sizeof(*s->v), cmp_digest);
}

/* ---- reachability ---- */

struct reach {
	struct digest_set blobs, configs;
};

static int walk_manifest(struct store *s, struct reach *r, const char *digest, int depth,
			 struct error *e)
{
	_cleanup_free_ char *json = NULL;
	enum oci_kind kind;
	size_t len;
	int rr;

	set_add(&r->blobs, digest);
	rr = store_blob_read(s, digest, STORE_JSON_MAX, &json, &len, e);
	if (rr == -ENOENT)
		return 0; /* a broken entry names nothing that exists */
	if (rr < 0 || oci_detect_kind(json, len, NULL, &kind, e) < 0)
		return error_prefix(e, "manifest %s", digest);
	if (kind == OCI_KIND_MANIFEST) {
		struct oci_manifest m;
		if (oci_manifest_parse(json, len, &m, e) < 0)
			return error_prefix(e, "manifest %s", digest);
		set_add(&r->blobs, m.config.digest);
		set_add(&r->configs, m.config.digest);
		for (size_t i = 0; i < m.nlayers; i++)
			set_add(&r->blobs, m.layers[i].digest);
		oci_manifest_free(&m);
	} else if (kind == OCI_KIND_INDEX && depth == 0) {
		struct oci_index x;
		if (oci_index_parse(json, len, &x, e) < 0)
			return error_prefix(e, "manifest %s", digest);
		for (size_t i = 0; rr == 0 && i < x.nmanifests; i++)
			rr = walk_manifest(s, r, x.manifests[i].digest, depth + 1, e);
		oci_index_free(&x);
	}
	return rr;
}

static int reachable(struct store *s, struct reach *r, struct error *e)
{
	_cleanup_free_ struct store_image *v = NULL;
	size_t n;

	if (store_list(s, &v, &n, e) < 0)
		return -e->code;
	for (size_t i = 0; i < n; i++)
		if (walk_manifest(s, r, v[i].manifest, 0, e) < 0)
			return -e->code;
	set_sort(&r->blobs);
	set_sort(&r->configs);
	return 0;
}

/* ---- sweeping ---- */

#define TMP_MAX_AGE_S 3600

static bool hex64(const char *s)
{
	return strspn(s, "0123456789abcdef") >= DIGEST_HEX_LEN;
}

static int open_dir(struct store *s, const char *rel, DIR **ret, struct error *e)
{
	char path[4200];

	if (bprintf(path, sizeof(path), "%s/%s", s->root, rel) < 0)
		return error_set(e, ENAMETOOLONG, "store root %s is too long", s->root);
	*ret = opendir(path);
	if (!*ret)
		return error_errno(e, errno, "opening %s", path);
	return 0;
}

static void remove_at(int dir_fd, const char *name, uint64_t *reclaimed)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && unlinkat(dir_fd, name, 0) == 0)
		*reclaimed += (uint64_t)st.st_size;
}

static int sweep_blobs(struct store *s, const struct reach *r, struct image_gc_result *res,
		       struct error *e)
{
	DIR *d;
	struct dirent *de;

	if (open_dir(s, "blobs/sha256", &d, e) < 0)
		return -e->code;
	while ((de = readdir(d))) {
		char digest[STORE_DIGEST_MAX];
		if (strlen(de->d_name) != DIGEST_HEX_LEN || !hex64(de->d_name))
			continue;
		snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
		if (set_has(&r->blobs, digest))
			continue;
		remove_at(dirfd(d), de->d_name, &res->reclaimed);
		res->blobs++;
	}
	closedir(d);
	return 0;
}

/* rootfs/HEX.erofs and its side files HEX.passwd, HEX.group (and their
 * temp files): removed when no image has config HEX and no container holds
 * the disk. Disks first, so a held disk keeps its side files. */
static int sweep_rootfs(struct store *s, const struct reach *r, struct image_gc_result *res,
			struct error *e)
{
	struct digest_set busy = {0};
	DIR *d;
	struct dirent *de;

	if (open_dir(s, "rootfs", &d, e) < 0)
		return -e->code;
	for (int pass = 0; pass < 2; pass++) {
		rewinddir(d);
		set_sort(&busy);
		while ((de = readdir(d))) {
			char config[STORE_DIGEST_MAX];
			const char *ext = de->d_name + DIGEST_HEX_LEN;
			bool disk;

			if (strlen(de->d_name) <= DIGEST_HEX_LEN || !hex64(de->d_name) ||
			    *ext != '.')
				continue;
			snprintf(config, sizeof(config), "sha256:%.*s", DIGEST_HEX_LEN, de->d_name);
			disk = strcmp(ext, ".erofs") == 0;
			if (disk != (pass == 0) || set_has(&r->configs, config))
				continue;
			if (disk) {
				_cleanup_close_ int fd =
				    openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
				/* Unlinked while we hold it exclusively: no container
				 * can have taken it in between. */
				if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
					set_add(&busy, config);
					continue;
				}
				remove_at(dirfd(d), de->d_name, &res->reclaimed);
				res->disks++;
			} else if (!set_has(&busy, config)) {
				remove_at(dirfd(d), de->d_name, &res->reclaimed);
			}
		}
	}
	closedir(d);
	free(busy.v);
	return 0;
}

static int remove_tree_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* What an interrupted load, pull or build left in tmp/: entries nobody has
 * touched for an hour (a live writer touches its files all the time). */
static void sweep_tmp(struct store *s, struct image_gc_result *res)
{
	time_t cutoff = time(NULL) - TMP_MAX_AGE_S;
	struct error ignore = {0};
	struct dirent *de;
	DIR *d;

	if (open_dir(s, "tmp", &d, &ignore) < 0)
		return;
	while ((de = readdir(d))) {
		char path[8400];
		struct stat st;
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_mtime > cutoff ||
		    bprintf(path, sizeof(path), "%s/tmp/%s", s->root, de->d_name) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			nftw(path, remove_tree_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		else
			remove_at(dirfd(d), de->d_name, &res->reclaimed);
		res->tmp++;
	}
	closedir(d);
}

int image_gc(struct store *s, struct image_gc_result *ret, struct error *e)
{
	struct reach r = {0};
	bool held = s->lock_fd >= 0;
	int rr;

	memset(ret, 0, sizeof(*ret));
	if (!held && store_lock(s, e) < 0)
		return -e->code;
	rr = reachable(s, &r, e);
	if (rr == 0) {
		if (store_ingest_exclusive(s)) {
			rr = sweep_blobs(s, &r, ret, e);
			sweep_tmp(s, ret);
			store_ingest_release(s);
		} else {
			ret->blobs_skipped = true;
		}
	}
	if (rr == 0)
		rr = sweep_rootfs(s, &r, ret, e);
	if (!held)
		store_unlock(s);
	free(r.blobs.v);
	free(r.configs.v);
	return rr < 0 ? error_prefix(e, "garbage collection in %s", s->root) : 0;
}
