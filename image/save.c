#include "save.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "image.h"
#include "oci-json.h"
#include "reference.h"
#include "util.h"

#define COPY_BUF (256u * 1024)

/* One image of the archive, with the names it is saved under. */
struct saved {
	struct image img;
	uint64_t manifest_size;
	char **names; /* full names */
	size_t nnames;
};

struct save {
	struct store *s;
	struct saved *v;
	size_t n;
	struct archive *a;
};

static void save_free(struct save *sv)
{
	for (size_t i = 0; i < sv->n; i++) {
		image_free(&sv->v[i].img);
		for (size_t j = 0; j < sv->v[i].nnames; j++)
			free(sv->v[i].names[j]);
		free(sv->v[i].names);
	}
	free(sv->v);
}

static int add_image(struct save *sv, const char *ref, struct error *e)
{
	char name[STORE_NAME_MAX], manifest[STORE_DIGEST_MAX], path[PATH_MAX];
	struct saved *it = NULL;
	struct stat st;
	int r = image_lookup(sv->s, ref, name, manifest, e);

	if (r == -ENOENT)
		return error_set(e, ENOENT, "No such image: %s", ref);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i].img.manifest_digest, manifest) == 0)
			it = &sv->v[i];
	if (!it) {
		if (sv->n >= SAVE_IMAGES_MAX)
			return error_set(e, E2BIG, "more than %d images", SAVE_IMAGES_MAX);
		it = &sv->v[sv->n];
		memset(it, 0, sizeof(*it));
		/* A blob missing is a damaged store, not a missing image. */
		if (image_open(sv->s, name, manifest, &it->img, e) < 0) {
			if (e->code == ENOENT)
				e->code = EIO;
			return -e->code;
		}
		sv->n++;
		if (store_blob_path(sv->s, manifest, path, sizeof(path)) < 0 || stat(path, &st) < 0)
			return error_errno(e, errno, "image %s: manifest %s", ref, manifest);
		it->manifest_size = (uint64_t)st.st_size;
	}
	if (store_name_is_digest(name) ||
	    image_lookup_by_id(ref, manifest, it->img.manifest.config.digest))
		return 0;
	for (size_t i = 0; i < it->nnames; i++)
		if (strcmp(it->names[i], name) == 0)
			return 0;
	it->names = realloc(it->names, (it->nnames + 1) * sizeof(*it->names));
	if (!it->names)
		abort();
	it->names[it->nnames++] = xstrdup(name);
	return 0;
}

/* ---- the documents ---- */

static char *blob_name(const char *digest)
{
	return xasprintf("blobs/sha256/%s", digest + 7);
}

static char *index_json(const struct save *sv, size_t *ret_len)
{
	struct oci_index x = {0};
	char *out;

	for (size_t i = 0; i < sv->n; i++)
		x.nmanifests += sv->v[i].nnames ? sv->v[i].nnames : 1;
	x.manifests = xcalloc(x.nmanifests, sizeof(*x.manifests));
	x.nmanifests = 0;
	for (size_t i = 0; i < sv->n; i++) {
		const struct saved *it = &sv->v[i];
		for (size_t j = 0; j == 0 || j < it->nnames; j++) {
			struct oci_descriptor *d = &x.manifests[x.nmanifests++];
			struct image_ref r;
			struct error ignore = {0};

			snprintf(d->media_type, sizeof(d->media_type), "%s",
				 it->img.manifest.media_type);
			snprintf(d->digest, sizeof(d->digest), "%s", it->img.manifest_digest);
			d->size = it->manifest_size;
			snprintf(d->os, sizeof(d->os), "%s", it->img.config.os);
			snprintf(d->architecture, sizeof(d->architecture), "%s",
				 it->img.config.architecture);
			if (j >= it->nnames)
				continue;
			snprintf(d->image_name, sizeof(d->image_name), "%s", it->names[j]);
			if (image_ref_parse(it->names[j], &r, &ignore) == 0)
				snprintf(d->ref_name, sizeof(d->ref_name), "%s", r.tag);
		}
	}
	out = oci_index_format(&x, ret_len);
	free(x.manifests);
	return out;
}

static char *manifest_json(const struct save *sv, size_t *ret_len)
{
	struct docker_save_entry *v = xcalloc(sv->n, sizeof(*v));
	char *out;

	for (size_t i = 0; i < sv->n; i++) {
		const struct saved *it = &sv->v[i];
		v[i].config = blob_name(it->img.manifest.config.digest);
		v[i].nrepo_tags = it->nnames;
		v[i].repo_tags = xcalloc(it->nnames + 1, sizeof(char *));
		for (size_t j = 0; j < it->nnames; j++) {
			char name[STORE_NAME_MAX];
			image_name_familiar(it->names[j], name, sizeof(name));
			v[i].repo_tags[j] = xstrdup(name);
		}
		v[i].nlayers = it->img.manifest.nlayers;
		v[i].layers = xcalloc(v[i].nlayers + 1, sizeof(char *));
		for (size_t j = 0; j < v[i].nlayers; j++)
			v[i].layers[j] = blob_name(it->img.manifest.layers[j].digest);
	}
	out = docker_save_manifest_format(v, sv->n, ret_len);
	docker_save_manifest_free(v, sv->n);
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every blob of the images, sorted, each once. */
static char **blob_list(const struct save *sv, size_t *ret_n)
{
	size_t n = 0, cap = 0, u = 0;
	char **v;

	for (size_t i = 0; i < sv->n; i++)
		cap += 2 + sv->v[i].img.manifest.nlayers;
	v = xcalloc(cap + 1, sizeof(*v));
	for (size_t i = 0; i < sv->n; i++) {
		const struct oci_manifest *m = &sv->v[i].img.manifest;
		v[n++] = sv->v[i].img.manifest_digest;
		v[n++] = (char *)m->config.digest;
		for (size_t j = 0; j < m->nlayers; j++)
			v[n++] = (char *)m->layers[j].digest;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
			v[u++] = v[i];
	*ret_n = u;
	return v;
}

/* ---- the tar ---- */

static int archive_err(struct save *sv, const char *what, struct error *e)
{
	return error_set(e, EIO, "writing %s: %s", what, archive_error_string(sv->a));
}

static int header(struct save *sv, const char *path, unsigned type, int64_t size, struct error *e)
{
	struct archive_entry *en = archive_entry_new();
	int r;

	archive_entry_set_pathname(en, path);
	archive_entry_set_filetype(en, type);
	archive_entry_set_perm(en, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(en, size);
	archive_entry_set_mtime(en, 0, 0);
	archive_entry_set_uid(en, 0);
	archive_entry_set_gid(en, 0);
	r = archive_write_header(sv->a, en);
	archive_entry_free(en);
	return r == ARCHIVE_OK ? 0 : archive_err(sv, path, e);
}

static int data(struct save *sv, const char *path, const void *buf, size_t len, struct error *e)
{
	while (len > 0) {
		la_ssize_t w = archive_write_data(sv->a, buf, len);
		if (w <= 0)
			return archive_err(sv, path, e);
		buf = (const char *)buf + w;
		len -= (size_t)w;
	}
	return 0;
}

static int write_text(struct save *sv, const char *path, const char *text, size_t len,
		      struct error *e)
{
	if (!text)
		return error_set(e, ENOMEM, "formatting %s", path);
	if (header(sv, path, AE_IFREG, (int64_t)len, e) < 0)
		return -e->code;
	return data(sv, path, text, len, e);
}

/* A blob as stored, checked against its digest on the way out. */
static int write_blob(struct save *sv, const char *digest, struct error *e)
{
	_cleanup_close_ int fd = store_blob_open(sv->s, digest, e);
	_cleanup_free_ char *path = blob_name(digest), *buf = NULL;
	char hex[DIGEST_HEX_LEN + 1];
	struct digest_ctx *md;
	uint64_t left;
	struct stat st;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return error_errno(e, errno, "blob %s", digest);
	if (header(sv, path, AE_IFREG, st.st_size, e) < 0)
		return -e->code;
	md = digest_sha256_new();
	if (!md)
		return error_set(e, ENOMEM, "out of memory for a digest");
	buf = xmalloc(COPY_BUF);
	for (left = (uint64_t)st.st_size; left > 0;) {
		ssize_t n = read(fd, buf, left < COPY_BUF ? left : COPY_BUF);
		if (n <= 0) {
			digest_free(md);
			return n < 0 ? error_errno(e, errno, "reading blob %s", digest)
				     : error_set(e, EIO, "blob %s shrank while saved", digest);
		}
		digest_update(md, buf, (size_t)n);
		if (data(sv, path, buf, (size_t)n, e) < 0) {
			digest_free(md);
			return -e->code;
		}
		left -= (uint64_t)n;
	}
	digest_final_hex(md, hex);
	if (strcmp(hex, digest + 7) != 0)
		return error_set(e, EBADMSG, "blob %s is corrupt in the store (digest %s)", digest,
				 hex);
	return 0;
}

static int write_archive(struct save *sv, int fd, struct error *e)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	_cleanup_free_ char **blobs = NULL, *index = NULL, *manifest = NULL;
	size_t nblobs, index_len = 0, manifest_len = 0;
	int r;

	blobs = blob_list(sv, &nblobs);
	index = index_json(sv, &index_len);
	manifest = manifest_json(sv, &manifest_len);
	sv->a = archive_write_new();
	if (!sv->a)
		return error_set(e, ENOMEM, "out of memory for the archive");
	/* No padding to a 10 KiB record: the same bytes to a file or a pipe. */
	if (archive_write_set_format_pax_restricted(sv->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(sv->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(sv->a, fd) != ARCHIVE_OK) {
		r = archive_err(sv, "the archive", e);
		goto out;
	}
	/* In byte order of the paths. */
	r = header(sv, "blobs/", AE_IFDIR, 0, e);
	if (r == 0)
		r = header(sv, "blobs/sha256/", AE_IFDIR, 0, e);
	for (size_t i = 0; r == 0 && i < nblobs; i++)
		r = write_blob(sv, blobs[i], e);
	if (r == 0)
		r = write_text(sv, "index.json", index, index_len, e);
	if (r == 0)
		r = write_text(sv, "manifest.json", manifest, manifest_len, e);
	if (r == 0)
		r = write_text(sv, "oci-layout", layout, strlen(layout), e);
	if (r == 0 && archive_write_close(sv->a) != ARCHIVE_OK)
		r = archive_err(sv, "the archive", e);
out:
	archive_write_free(sv->a);
	sv->a = NULL;
	return r;
}

/* Next to path, renamed over it when complete. */
static int save_to_file(struct save *sv, const char *path, struct error *e)
{
	char tmp[PATH_MAX];
	mode_t mask;
	int fd, r;

	if (bprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) < 0)
		return error_set(e, ENAMETOOLONG, "%s: name too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return error_errno(e, errno, "creating %s", path);
	mask = umask(0);
	umask(mask);
	r = write_archive(sv, fd, e);
	if (r == 0 && (fchmod(fd, 0666 & ~mask) < 0 || fsync(fd) < 0))
		r = error_errno(e, errno, "writing %s", tmp);
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = error_errno(e, errno, "renaming %s to %s", tmp, path);
	if (r < 0)
		unlink(tmp);
	return r;
}

int image_save(struct store *s, char *const *refs, size_t n, const char *path, int fd,
	       struct error *e)
{
	struct save sv = {.s = s};
	int r = 0;

	sv.v = xcalloc(n < SAVE_IMAGES_MAX ? n + 1 : SAVE_IMAGES_MAX, sizeof(*sv.v));
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_image(&sv, refs[i], e);
	if (r == 0)
		r = path ? save_to_file(&sv, path, e) : write_archive(&sv, fd, e);
	save_free(&sv);
	return r;
}
