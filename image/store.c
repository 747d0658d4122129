#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define INDEX_MAX_IMAGES 100000
#define INDEX_FILE "index.json"

void store_default_root(char *buf, size_t size)
{
	const char *env = getenv("LAUNCHER_STORE");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (env && *env)
		snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, size, "/var/lib/launcher");
	else if (xdg && *xdg)
		snprintf(buf, size, "%s/launcher", xdg);
	else
		snprintf(buf, size, "%s/.local/share/launcher", home ? home : "/tmp");
}

static bool digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + DIGEST_HEX_LEN)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* ROOT/DIR/NAME, or ROOT/NAME when dir is "". */
static int sub(const struct store *s, char *buf, size_t size, const char *dir, const char *name)
{
	return bprintf(buf, size, "%s%s%s%s%s", s->root, dir[0] || name[0] ? "/" : "", dir,
		       dir[0] && name[0] ? "/" : "", name) < 0
		   ? -ENAMETOOLONG
		   : 0;
}

static int make_dir(const char *path, mode_t mode, struct error *e)
{
	int r = mkdir_p(path, mode);

	return r < 0 ? error_errno(e, -r, "creating %s", path) : 0;
}

int store_open(struct store *s, const char *root, struct error *e)
{
	/* QEMU's user reads the root filesystem disks: the directories on the
	 * way are searchable (0711), not listable. */
	static const struct {
		const char *rel;
		mode_t mode;
	} dirs[] = {
	    {"", 0711}, {"blobs", 0700}, {"blobs/sha256", 0700}, {"rootfs", 0711}, {"tmp", 0700}};
	char path[4096];

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	s->ingest_fd = -1;
	if (root)
		snprintf(s->root, sizeof(s->root), "%s", root);
	else
		store_default_root(s->root, sizeof(s->root));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		if (sub(s, path, sizeof(path), "", dirs[i].rel) < 0)
			return error_set(e, ENAMETOOLONG, "store root %s is too long", s->root);
		if (make_dir(path, dirs[i].mode, e) < 0)
			return error_prefix(e, "image store %s", s->root);
	}
	return 0;
}

void store_close(struct store *s)
{
	store_unlock(s);
	if (s->ingest_fd >= 0)
		close(s->ingest_fd);
	s->ingest_fd = -1;
}

static int ingest_open(struct store *s)
{
	char path[4096];

	if (s->ingest_fd < 0 && sub(s, path, sizeof(path), "", "ingest.lock") == 0)
		s->ingest_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	return s->ingest_fd;
}

void store_ingest_hold(struct store *s)
{
	if (s->ingest_fd < 0 && ingest_open(s) >= 0)
		flock(s->ingest_fd, LOCK_SH);
}

bool store_ingest_exclusive(struct store *s)
{
	if (ingest_open(s) < 0)
		return false;
	if (flock(s->ingest_fd, LOCK_EX | LOCK_NB) == 0)
		return true;
	/* A failed conversion drops the shared lock we may have had. */
	flock(s->ingest_fd, LOCK_SH);
	return false;
}

void store_ingest_release(struct store *s)
{
	if (s->ingest_fd >= 0)
		flock(s->ingest_fd, LOCK_SH);
}

bool store_name_is_digest(const char *name)
{
	return digest_valid(name);
}

int store_lock(struct store *s, struct error *e)
{
	char path[4096];

	if (s->lock_fd >= 0)
		return 0;
	if (sub(s, path, sizeof(path), "", "lock") < 0)
		return error_set(e, ENAMETOOLONG, "store root %s is too long", s->root);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lock_fd < 0)
		return error_errno(e, errno, "opening the store lock %s", path);
	if (flock(s->lock_fd, LOCK_EX) < 0) {
		error_errno(e, errno, "locking %s", path);
		close(s->lock_fd);
		s->lock_fd = -1;
		return -e->code;
	}
	return 0;
}

void store_unlock(struct store *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

int store_tmpdir(struct store *s, const char *prefix, char *buf, size_t size, struct error *e)
{
	if (bprintf(buf, size, "%s/tmp/%s.XXXXXX", s->root, prefix) < 0)
		return error_set(e, ENAMETOOLONG, "store root %s is too long", s->root);
	if (!mkdtemp(buf))
		return error_errno(e, errno, "creating a directory in %s/tmp", s->root);
	return 0;
}

int store_blob_path(struct store *s, const char *digest, char *buf, size_t size)
{
	if (!digest_valid(digest))
		return -EINVAL;
	return sub(s, buf, size, "blobs/sha256", digest + 7);
}

int store_rootfs_path(struct store *s, const char *config_digest, char *buf, size_t size)
{
	char name[128];

	if (!digest_valid(config_digest))
		return -EINVAL;
	snprintf(name, sizeof(name), "%s.erofs", config_digest + 7);
	return sub(s, buf, size, "rootfs", name);
}

bool store_blob_exists(struct store *s, const char *digest)
{
	char path[4096];

	store_ingest_hold(s);
	return store_blob_path(s, digest, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

int store_blob_begin(struct store *s, struct store_blob_writer *w, struct error *e)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	store_ingest_hold(s);
	if (bprintf(w->tmp, sizeof(w->tmp), "%s/tmp/blob.XXXXXX", s->root) < 0)
		return error_set(e, ENAMETOOLONG, "store root %s is too long", s->root);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0)
		return error_errno(e, errno, "creating a blob in %s/tmp", s->root);
	w->md = digest_sha256_new();
	if (!w->md) {
		store_blob_abort(w);
		return error_set(e, ENOMEM, "out of memory for a digest");
	}
	return 0;
}

int store_blob_write(struct store_blob_writer *w, const void *buf, size_t len, struct error *e)
{
	int r = write_full(w->fd, buf, len);

	if (r < 0)
		return error_errno(e, -r, "writing %s", w->tmp);
	digest_update(w->md, buf, len);
	w->size += len;
	return 0;
}

void store_blob_abort(struct store_blob_writer *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->tmp);
	}
	w->fd = -1;
	digest_free(w->md);
	w->md = NULL;
}

int store_blob_commit(struct store *s, struct store_blob_writer *w, const char *expect_digest,
		      uint64_t expect_size, char *ret_digest, struct error *e)
{
	char hex[DIGEST_HEX_LEN + 1], digest[STORE_DIGEST_MAX], path[4096];

	digest_final_hex(w->md, hex);
	w->md = NULL;
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	if (expect_size != UINT64_MAX && w->size != expect_size) {
		error_set(e, EBADMSG, "blob %s: %llu bytes, expected %llu",
			  expect_digest ? expect_digest : digest, (unsigned long long)w->size,
			  (unsigned long long)expect_size);
		goto fail;
	}
	if (expect_digest && strcmp(expect_digest, digest) != 0) {
		error_set(e, EBADMSG, "blob digest mismatch: expected %s, got %s", expect_digest,
			  digest);
		goto fail;
	}
	if (fsync(w->fd) < 0 || fchmod(w->fd, 0600) < 0) {
		error_errno(e, errno, "writing %s", w->tmp);
		goto fail;
	}
	store_blob_path(s, digest, path, sizeof(path));
	if (rename(w->tmp, path) < 0) {
		error_errno(e, errno, "storing blob %s", digest);
		goto fail;
	}
	close(w->fd);
	w->fd = -1;
	if (ret_digest)
		strcpy(ret_digest, digest);
	return 0;
fail:
	store_blob_abort(w);
	return -e->code;
}

int store_blob_put(struct store *s, const void *data, size_t len, char *ret_digest, struct error *e)
{
	struct store_blob_writer w;

	if (store_blob_begin(s, &w, e) < 0)
		return -e->code;
	if (store_blob_write(&w, data, len, e) < 0) {
		store_blob_abort(&w);
		return -e->code;
	}
	return store_blob_commit(s, &w, NULL, UINT64_MAX, ret_digest, e);
}

int store_blob_open(struct store *s, const char *digest, struct error *e)
{
	char path[4096];
	int fd;

	if (store_blob_path(s, digest, path, sizeof(path)) < 0)
		return error_set(e, EINVAL, "invalid digest \"%s\"", digest);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return error_errno(e, errno, "blob %s", digest);
	return fd;
}

int store_blob_read(struct store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
		    struct error *e)
{
	_cleanup_close_ int fd = store_blob_open(s, digest, e);
	char hex[DIGEST_HEX_LEN + 1];
	struct stat st;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return error_errno(e, errno, "blob %s", digest);
	if ((uint64_t)st.st_size > max)
		return error_set(e, EFBIG, "blob %s is %lld bytes, more than the %zu allowed",
				 digest, (long long)st.st_size, max);
	buf = xmalloc((size_t)st.st_size + 1);
	n = read_full(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		free(buf);
		return error_set(e, EIO, "reading blob %s", digest);
	}
	buf[n] = '\0';
	digest_sha256_hex(buf, (size_t)n, hex);
	if (strcmp(hex, digest + 7) != 0) {
		free(buf);
		return error_set(e, EBADMSG, "blob %s is corrupt in the store (digest %s)", digest,
				 hex);
	}
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

/* ---- the index ---- */

static int index_path(struct store *s, char *buf, size_t size)
{
	return sub(s, buf, size, "", INDEX_FILE);
}

static int parse_index(const char *path, struct store_image **ret, size_t *ret_n, struct error *e)
{
	json_error_t jerr;
	json_auto_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	json_t *images, *v;
	struct store_image *out;
	size_t i;

	*ret = NULL;
	*ret_n = 0;
	if (!root) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return 0;
		return error_set(e, EBADMSG, "image store index %s is corrupt: %s", path,
				 jerr.text);
	}
	images = json_object_get(root, "images");
	if (!json_is_array(images) || json_array_size(images) > INDEX_MAX_IMAGES)
		return error_set(e, EBADMSG, "image store index %s is corrupt: no image list",
				 path);
	out = xcalloc(json_array_size(images) + 1, sizeof(*out));
	json_array_foreach(images, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *manifest = json_string_value(json_object_get(v, "manifest"));
		json_t *added = json_object_get(v, "added");

		if (!name || !manifest || strlen(name) >= STORE_NAME_MAX || !name[0] ||
		    !digest_valid(manifest) || !json_is_integer(added)) {
			free(out);
			return error_set(e, EBADMSG, "image store index %s is corrupt: entry %zu",
					 path, i);
		}
		strcpy(out[i].name, name);
		strcpy(out[i].manifest, manifest);
		out[i].added = (time_t)json_integer_value(added);
	}
	*ret = out;
	*ret_n = json_array_size(images);
	return 0;
}

static int write_index(struct store *s, const struct store_image *v, size_t n, struct error *e)
{
	json_auto_t *root = json_object();
	json_t *images = json_array();
	char path[4096], tmp[4200];
	_cleanup_free_ char *text = NULL;
	int fd, r;

	json_object_set_new(root, "images", images);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(images,
				      json_pack("{sssssI}", "name", v[i].name, "manifest",
						v[i].manifest, "added", (json_int_t)v[i].added));
	text = json_dumps(root, JSON_INDENT(1));
	if (!text)
		return error_set(e, ENOMEM, "formatting the image index");
	index_path(s, path, sizeof(path));
	bprintf(tmp, sizeof(tmp), "%s/tmp/index.XXXXXX", s->root);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return error_errno(e, errno, "writing the image index");
	r = write_full(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && fchmod(fd, 0600) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return error_errno(e, -r, "writing the image index %s", path);
	}
	return 0;
}

int store_list(struct store *s, struct store_image **ret, size_t *ret_n, struct error *e)
{
	char path[4096];

	index_path(s, path, sizeof(path));
	return parse_index(path, ret, ret_n, e);
}

static bool index_has(const struct store_image *v, size_t n, const char *manifest)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].manifest, manifest) == 0)
			return true;
	return false;
}

static void index_add(struct store_image **v, size_t *n, const char *name, const char *manifest)
{
	struct store_image *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		abort();
	*v = nv;
	memset(&nv[*n], 0, sizeof(*nv));
	snprintf(nv[*n].name, sizeof(nv[*n].name), "%s", name);
	snprintf(nv[*n].manifest, sizeof(nv[*n].manifest), "%s", manifest);
	nv[*n].added = time(NULL);
	(*n)++;
}

static void index_del(struct store_image *v, size_t *n, size_t i)
{
	memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(*v));
	(*n)--;
}

/* The index after name -> manifest, by the rules of store_tag. */
static void retag(struct store_image **v, size_t *n, const char *name, const char *manifest)
{
	char old[STORE_DIGEST_MAX] = "";
	size_t i;

	if (digest_valid(name)) {
		if (!index_has(*v, *n, manifest))
			index_add(v, n, name, manifest);
		return;
	}
	/* A dangling image that gets a name is no longer dangling. */
	for (i = 0; i < *n;)
		if (strcmp((*v)[i].name, manifest) == 0)
			index_del(*v, n, i);
		else
			i++;
	for (i = 0; i < *n && strcmp((*v)[i].name, name) != 0; i++)
		;
	if (i == *n) {
		index_add(v, n, name, manifest);
		return;
	}
	if (strcmp((*v)[i].manifest, manifest) == 0)
		return;
	snprintf(old, sizeof(old), "%s", (*v)[i].manifest);
	snprintf((*v)[i].manifest, sizeof((*v)[i].manifest), "%s", manifest);
	(*v)[i].added = time(NULL);
	if (!index_has(*v, *n, old))
		index_add(v, n, old, old);
}

int store_tag(struct store *s, const char *name, const char *manifest, struct error *e)
{
	_cleanup_free_ struct store_image *v = NULL;
	bool held = s->lock_fd >= 0;
	size_t n;
	int r;

	if (strlen(name) >= STORE_NAME_MAX || !name[0] || !digest_valid(manifest) ||
	    (digest_valid(name) && strcmp(name, manifest) != 0))
		return error_set(e, EINVAL, "cannot tag \"%s\" as %s", name, manifest);
	if (!held && store_lock(s, e) < 0)
		return -e->code;
	r = store_list(s, &v, &n, e);
	if (r == 0) {
		retag(&v, &n, name, manifest);
		r = write_index(s, v, n, e);
	}
	if (!held)
		store_unlock(s);
	return r;
}

int store_untag(struct store *s, const char *name, struct error *e)
{
	_cleanup_free_ struct store_image *v = NULL;
	bool held = s->lock_fd >= 0;
	size_t n, i;
	int r;

	if (!held && store_lock(s, e) < 0)
		return -e->code;
	r = store_list(s, &v, &n, e);
	if (r == 0) {
		for (i = 0; i < n && strcmp(v[i].name, name) != 0; i++)
			;
		if (i == n) {
			r = error_set(e, ENOENT, "no such image: %s", name);
		} else {
			memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof(*v));
			r = write_index(s, v, n - 1, e);
		}
	}
	if (!held)
		store_unlock(s);
	return r;
}

int store_untag_manifests(struct store *s, char (*manifests)[STORE_DIGEST_MAX], size_t n,
			  struct error *e)
{
	_cleanup_free_ struct store_image *v = NULL;
	bool held = s->lock_fd >= 0;
	size_t nv;
	int r;

	if (!held && store_lock(s, e) < 0)
		return -e->code;
	r = store_list(s, &v, &nv, e);
	if (r == 0) {
		for (size_t i = 0; i < nv;) {
			size_t j;
			for (j = 0; j < n && strcmp(v[i].manifest, manifests[j]) != 0; j++)
				;
			if (j < n)
				index_del(v, &nv, i);
			else
				i++;
		}
		r = write_index(s, v, nv, e);
	}
	if (!held)
		store_unlock(s);
	return r;
}

int store_resolve(struct store *s, const char *name, char ret_manifest[STORE_DIGEST_MAX],
		  struct error *e)
{
	_cleanup_free_ struct store_image *v = NULL;
	size_t n;

	if (store_list(s, &v, &n, e) < 0)
		return -e->code;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0) {
			strcpy(ret_manifest, v[i].manifest);
			return 0;
		}
	return error_set(e, ENOENT, "image \"%s\" not found in the local store", name);
}
