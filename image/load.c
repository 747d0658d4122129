#include "load.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci-json.h"
#include "reference.h"
#include "util.h"

#define ENTRIES_MAX 100000
#define COPY_BUF (256u * 1024)
#define MANIFEST_JSON_MAX (4u << 20)

/* Opens path inside the directory dir_fd as if it were "/": neither
 * "..", absolute paths nor symlinks of the archive lead out of it. */
static int open_in(int dir_fd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};

	return (int)syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
}

static int read_small(int dir_fd, const char *path, size_t max, char **ret, size_t *ret_len,
		      struct error *e)
{
	_cleanup_close_ int fd = open_in(dir_fd, path, O_RDONLY);
	struct stat st;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return error_errno(e, errno, "%s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return error_set(e, EINVAL, "%s is not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return error_set(e, EFBIG, "%s is larger than %zu bytes", path, max);
	buf = xmalloc((size_t)st.st_size + 1);
	n = read_full(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		free(buf);
		return error_set(e, EIO, "reading %s", path);
	}
	buf[n] = '\0';
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

/* Copies a file of the archive into the store as a blob, checking the
 * digest and size when they are known. */
static int import_blob(struct store *s, int dir_fd, const char *path, const char *digest,
		       uint64_t size, char *ret_digest, struct error *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct store_blob_writer w;
	ssize_t n;

	if (digest && store_blob_exists(s, digest)) {
		if (ret_digest)
			snprintf(ret_digest, STORE_DIGEST_MAX, "%s", digest);
		return 0;
	}
	fd = open_in(dir_fd, path, O_RDONLY);
	if (fd < 0)
		return error_errno(e, errno, "%s (in the archive)", path);
	if (store_blob_begin(s, &w, e) < 0)
		return -e->code;
	buf = xmalloc(COPY_BUF);
	while ((n = read(fd, buf, COPY_BUF)) > 0)
		if (store_blob_write(&w, buf, (size_t)n, e) < 0) {
			store_blob_abort(&w);
			return -e->code;
		}
	if (n < 0) {
		store_blob_abort(&w);
		return error_errno(e, errno, "reading %s", path);
	}
	if (store_blob_commit(s, &w, digest, size, ret_digest, e) < 0)
		return error_prefix(e, "%s", path);
	return 0;
}

static int blob_path(const char *digest, char *buf, size_t size)
{
	return bprintf(buf, size, "blobs/sha256/%s", digest + strlen("sha256:"));
}

/* A name as the archive gives it, in full form; "" when it is no name. */
static void normalize_name(const char *given, char ret[STORE_NAME_MAX])
{
	struct image_ref r;
	struct error ignore = {0};

	ret[0] = '\0';
	if (given && given[0] && image_ref_parse(given, &r, &ignore) == 0)
		image_ref_format(&r, ret, STORE_NAME_MAX);
}

static int add_result(struct store *s, struct load_result *res, const char *name,
		      const char *manifest, struct error *e)
{
	if (res->n >= LOAD_IMAGES_MAX)
		return error_set(e, E2BIG, "the archive holds more than %d images",
				 LOAD_IMAGES_MAX);
	snprintf(res->images[res->n].name, STORE_NAME_MAX, "%s", name);
	snprintf(res->images[res->n].manifest, STORE_DIGEST_MAX, "%s", manifest);
	res->n++;
	/* Untagged images are kept under their digest. */
	return store_tag(s, name[0] ? name : manifest, manifest, e);
}

/* An OCI image manifest of the layout, and everything it refers to. */
static int import_manifest(struct store *s, int dir_fd, const struct oci_descriptor *d,
			   struct error *e)
{
	_cleanup_free_ char *json = NULL;
	struct oci_manifest m;
	char path[256];
	size_t len;
	int r = 0;

	blob_path(d->digest, path, sizeof(path));
	if (read_small(dir_fd, path, MANIFEST_JSON_MAX, &json, &len, e) < 0 ||
	    oci_manifest_parse(json, len, &m, e) < 0)
		return error_prefix(e, "manifest %s", d->digest);
	blob_path(m.config.digest, path, sizeof(path));
	r = import_blob(s, dir_fd, path, m.config.digest, m.config.size, NULL, e);
	for (size_t i = 0; r == 0 && i < m.nlayers; i++) {
		blob_path(m.layers[i].digest, path, sizeof(path));
		r = import_blob(s, dir_fd, path, m.layers[i].digest, m.layers[i].size, NULL, e);
	}
	oci_manifest_free(&m);
	if (r == 0) {
		blob_path(d->digest, path, sizeof(path));
		r = import_blob(s, dir_fd, path, d->digest, d->size, NULL, e);
	}
	return r;
}

static int load_oci_index(struct store *s, int dir_fd, const char *index_path, int depth,
			  struct load_result *res, struct error *e)
{
	_cleanup_free_ char *json = NULL;
	struct oci_index x;
	size_t len;
	int r = 0;

	if (read_small(dir_fd, index_path, MANIFEST_JSON_MAX, &json, &len, e) < 0 ||
	    oci_index_parse(json, len, &x, e) < 0)
		return error_prefix(e, "%s", index_path);
	for (size_t i = 0; r == 0 && i < x.nmanifests; i++) {
		const struct oci_descriptor *d = &x.manifests[i];
		_cleanup_free_ char *mjson = NULL;
		char path[256], name[STORE_NAME_MAX];
		enum oci_kind kind;
		size_t mlen;

		blob_path(d->digest, path, sizeof(path));
		r = read_small(dir_fd, path, MANIFEST_JSON_MAX, &mjson, &mlen, e);
		if (r == 0)
			r = oci_detect_kind(mjson, mlen, d->media_type, &kind, e);
		if (r < 0)
			break;
		if (kind == OCI_KIND_INDEX) {
			/* A multi-platform image: linux/amd64 of it, once. */
			if (depth > 0)
				return error_set(e, EINVAL, "%s: indexes nested too deep",
						 index_path);
			r = load_oci_index(s, dir_fd, path, depth + 1, res, e);
			continue;
		}
		if (depth > 0 && strcmp(d->os, "linux") != 0 && d->os[0])
			continue;
		if (depth > 0 && strcmp(d->architecture, "amd64") != 0 && d->architecture[0])
			continue;
		r = import_manifest(s, dir_fd, d, e);
		if (r < 0)
			break;
		normalize_name(d->image_name, name);
		if (!name[0] && (strchr(d->ref_name, ':') || strchr(d->ref_name, '/')))
			normalize_name(d->ref_name, name);
		r = add_result(s, res, name, d->digest, e);
	}
	oci_index_free(&x);
	return r;
}

/* Docker's legacy `docker save` layout: manifest.json names the config and
 * the uncompressed layer tars; the manifest is ours to write. */
static int load_docker_legacy(struct store *s, int dir_fd, struct load_result *res, struct error *e)
{
	_cleanup_free_ char *json = NULL;
	struct docker_save_entry *v = NULL;
	size_t len, n = 0;
	int r;

	if (read_small(dir_fd, "manifest.json", MANIFEST_JSON_MAX, &json, &len, e) < 0 ||
	    docker_save_manifest_parse(json, len, &v, &n, e) < 0)
		return error_prefix(e, "manifest.json");
	r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct oci_manifest m = {0};
		char digest[STORE_DIGEST_MAX], name[STORE_NAME_MAX];
		_cleanup_free_ char *mtext = NULL;
		size_t mlen;
		struct stat st;

		snprintf(m.media_type, sizeof(m.media_type),
			 "application/vnd.oci.image.manifest.v1+json");
		snprintf(m.config.media_type, sizeof(m.config.media_type),
			 "application/vnd.oci.image.config.v1+json");
		r = import_blob(s, dir_fd, v[i].config, NULL, UINT64_MAX, m.config.digest, e);
		if (r < 0)
			break;
		{
			char p[4096];
			store_blob_path(s, m.config.digest, p, sizeof(p));
			m.config.size = stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
		}
		m.layers = xcalloc(v[i].nlayers ? v[i].nlayers : 1, sizeof(*m.layers));
		for (size_t j = 0; r == 0 && j < v[i].nlayers; j++) {
			struct oci_descriptor *l = &m.layers[j];
			char p[4096];
			snprintf(l->media_type, sizeof(l->media_type),
				 "application/vnd.oci.image.layer.v1.tar");
			r = import_blob(s, dir_fd, v[i].layers[j], NULL, UINT64_MAX, l->digest, e);
			if (r == 0) {
				store_blob_path(s, l->digest, p, sizeof(p));
				l->size = stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
				m.nlayers++;
			}
		}
		if (r == 0) {
			mtext = oci_manifest_format(&m, &mlen);
			r = mtext ? store_blob_put(s, mtext, mlen, digest, e)
				  : error_set(e, ENOMEM, "formatting a manifest");
		}
		free(m.layers);
		if (r < 0)
			break;
		if (v[i].nrepo_tags == 0)
			r = add_result(s, res, "", digest, e);
		for (size_t j = 0; r == 0 && j < v[i].nrepo_tags; j++) {
			normalize_name(v[i].repo_tags[j], name);
			r = add_result(s, res, name, digest, e);
		}
	}
	docker_save_manifest_free(v, n);
	return r;
}

static int load_dir(struct store *s, int dir_fd, struct load_result *res, struct error *e)
{
	struct stat st;

	if (fstatat(dir_fd, "index.json", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return load_oci_index(s, dir_fd, "index.json", 0, res, e);
	if (fstatat(dir_fd, "manifest.json", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return load_docker_legacy(s, dir_fd, res, e);
	return error_set(e, EINVAL,
			 "neither an OCI image layout (index.json) nor a docker save archive "
			 "(manifest.json)");
}

/* ---- unpacking the archive ---- */

/* A relative path without "." or ".." components, or NULL. */
static const char *clean_path(const char *p, char *buf, size_t size)
{
	char *save, *tok;
	size_t len = 0;

	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	if (!*p || strlen(p) >= size)
		return NULL;
	buf[0] = '\0';
	_cleanup_free_ char *copy = xstrdup(p);
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0)
			return NULL;
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "/" : "", tok);
	}
	return buf[0] ? buf : NULL;
}

/* mkdir -p of the parents of rel inside dir_fd, never through a symlink. */
static int make_parents(int dir_fd, const char *rel)
{
	char buf[4096];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", rel);
	for (slash = strchr(buf, '/'); slash; slash = strchr(slash + 1, '/')) {
		struct stat st;
		*slash = '\0';
		if (mkdirat(dir_fd, buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		if (fstatat(dir_fd, buf, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		*slash = '/';
	}
	return 0;
}

static int extract_entry(struct archive *a, struct archive_entry *en, int dir_fd, const char *rel,
			 struct error *e)
{
	mode_t type = archive_entry_filetype(en);
	_cleanup_free_ char *buf = NULL;
	const char *target;
	int fd, r;

	r = make_parents(dir_fd, rel);
	if (r < 0)
		return error_errno(e, -r, "archive entry \"%s\"", rel);
	switch (type) {
	case AE_IFDIR:
		if (mkdirat(dir_fd, rel, 0700) < 0 && errno != EEXIST)
			return error_errno(e, errno, "archive entry \"%s\"", rel);
		return 0;
	case AE_IFLNK:
		/* Older docker save links identical layers; read through
		 * open_in, they cannot point out of the archive. */
		target = archive_entry_symlink(en);
		if (!target || symlinkat(target, dir_fd, rel) < 0)
			return error_errno(e, errno ? errno : EINVAL, "archive entry \"%s\"", rel);
		return 0;
	case AE_IFREG:
		break;
	default:
		return 0; /* devices and the like mean nothing in an image archive */
	}
	fd = openat(dir_fd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_errno(e, errno, "archive entry \"%s\"", rel);
	buf = xmalloc(COPY_BUF);
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, COPY_BUF);
		if (n == 0)
			break;
		if (n < 0) {
			close(fd);
			return error_set(e, EBADMSG, "archive entry \"%s\": %s", rel,
					 archive_error_string(a));
		}
		r = write_full(fd, buf, (size_t)n);
		if (r < 0) {
			close(fd);
			return error_errno(e, -r, "writing %s", rel);
		}
	}
	close(fd);
	return 0;
}

static int extract(int in_fd, const char *path, int dir_fd, struct error *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *en;
	unsigned long entries = 0;
	int r = 0, ar;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	ar = path ? archive_read_open_filename(a, path, 1 << 16)
		  : archive_read_open_fd(a, in_fd, 1 << 16);
	if (ar != ARCHIVE_OK) {
		r = error_set(e, EBADMSG, "%s: %s", path ? path : "stdin", archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &en)) == ARCHIVE_OK) {
		char rel[4096];
		const char *name = archive_entry_pathname(en);
		if (++entries > ENTRIES_MAX) {
			r = error_set(e, E2BIG, "more than %d entries in the archive", ENTRIES_MAX);
			goto out;
		}
		if (!name || (strcmp(name, "./") != 0 && strcmp(name, ".") != 0 &&
			      !clean_path(name, rel, sizeof(rel)))) {
			r = error_set(e, EINVAL, "archive entry \"%s\": not a plain relative path",
				      name ? name : "");
			goto out;
		}
		if (strcmp(name, "./") == 0 || strcmp(name, ".") == 0)
			continue;
		r = extract_entry(a, en, dir_fd, rel, e);
		if (r < 0)
			goto out;
	}
	if (ar != ARCHIVE_EOF)
		r = error_set(e, EBADMSG, "%s is not a valid tar archive: %s",
			      path ? path : "stdin", archive_error_string(a));
out:
	archive_read_free(a);
	return r;
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

int image_load(struct store *s, const char *path, int fd, struct load_result *ret, struct error *e)
{
	char tmp[PATH_MAX];
	struct stat st;
	int dir_fd, r;

	memset(ret, 0, sizeof(*ret));
	if (path && strcmp(path, "-") == 0)
		path = NULL;
	if (path && stat(path, &st) < 0)
		return error_errno(e, errno, "%s", path);
	if (path && S_ISDIR(st.st_mode)) {
		dir_fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (dir_fd < 0)
			return error_errno(e, errno, "%s", path);
		r = load_dir(s, dir_fd, ret, e);
		close(dir_fd);
		return r < 0 ? error_prefix(e, "loading %s", path) : 0;
	}
	if (store_tmpdir(s, "load", tmp, sizeof(tmp), e) < 0)
		return -e->code;
	dir_fd = open(tmp, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	r = dir_fd < 0 ? error_errno(e, errno, "%s", tmp) : extract(fd, path, dir_fd, e);
	if (r == 0)
		r = load_dir(s, dir_fd, ret, e);
	if (dir_fd >= 0)
		close(dir_fd);
	nftw(tmp, remove_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return r < 0 ? error_prefix(e, "loading %s", path ? path : "the archive on stdin") : 0;
}
