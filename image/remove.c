#include "remove.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "image.h"
#include "reference.h"

void image_removal_free(struct image_removal *r)
{
	free(r->untagged);
	free(r->deleted);
	r->untagged = NULL;
	r->deleted = NULL;
	r->nuntagged = r->ndeleted = 0;
}

static void add_untagged(struct image_removal *r, const char *name)
{
	if (store_name_is_digest(name))
		return;
	r->untagged = realloc(r->untagged, (r->nuntagged + 1) * sizeof(*r->untagged));
	if (!r->untagged)
		abort();
	snprintf(r->untagged[r->nuntagged++], STORE_NAME_MAX, "%s", name);
}

static void add_deleted(struct image_removal *r, const char *id)
{
	r->deleted = realloc(r->deleted, (r->ndeleted + 1) * sizeof(*r->deleted));
	if (!r->deleted)
		abort();
	snprintf(r->deleted[r->ndeleted++], STORE_DIGEST_MAX, "%s", id);
}

/* The image ID, or the manifest digest of an image whose config cannot be
 * read (a broken image is removed all the same). */
static void image_id(struct store *s, const char *manifest, char id[STORE_DIGEST_MAX])
{
	struct error ignore = {0};

	if (image_config_digest(s, manifest, id, &ignore) < 0)
		snprintf(id, STORE_DIGEST_MAX, "%s", manifest);
}

static bool in_use(struct store *s, const char *id)
{
	char disk[4200];

	return store_rootfs_path(s, id, disk, sizeof(disk)) == 0 && image_disk_busy(disk);
}

/* Docker's isSingleReference: all the names are of one repository. */
static bool one_repository(const struct store_image *v, size_t n, const char *manifest)
{
	char first[STORE_NAME_MAX] = "", repo[STORE_NAME_MAX];

	for (size_t i = 0; i < n; i++) {
		struct image_ref r;
		struct error ignore = {0};

		if (strcmp(v[i].manifest, manifest) != 0 || store_name_is_digest(v[i].name))
			continue;
		if (image_ref_parse(v[i].name, &r, &ignore) < 0 ||
		    image_ref_repository(&r, repo, sizeof(repo)) < 0)
			snprintf(repo, sizeof(repo), "%s", v[i].name);
		if (!first[0])
			snprintf(first, sizeof(first), "%s", repo);
		else if (strcmp(first, repo) != 0)
			return false;
	}
	return true;
}

static int remove_locked(struct store *s, const char *ref, bool force, struct image_removal *ret,
			 struct error *e)
{
	_cleanup_free_ struct store_image *v = NULL;
	char name[STORE_NAME_MAX], manifest[STORE_DIGEST_MAX], id[STORE_DIGEST_MAX];
	size_t n, names = 0;
	int r;

	r = image_lookup(s, ref, name, manifest, e);
	if (r == -ENOENT)
		return error_set(e, ENOENT, "No such image: %s", ref);
	if (r < 0 || store_list(s, &v, &n, e) < 0)
		return -e->code;
	image_id(s, manifest, id);
	for (size_t i = 0; i < n; i++)
		names += strcmp(v[i].manifest, manifest) == 0 && !store_name_is_digest(v[i].name);
	if (!image_lookup_by_id(ref, manifest, id)) {
		if (names > 1) {
			if (store_untag(s, name, e) < 0)
				return -e->code;
			add_untagged(ret, name);
			return 0;
		}
		if (!force && in_use(s, id))
			return error_set(e, EBUSY,
					 "conflict: unable to remove repository reference \"%s\" "
					 "(must force) - container is using its referenced image "
					 "%.12s",
					 ref, id + 7);
	} else {
		if (!force && !one_repository(v, n, manifest))
			return error_set(
			    e, EBUSY,
			    "conflict: unable to delete %.12s (must be forced) - image "
			    "is referenced in multiple repositories",
			    id + 7);
		if (!force && in_use(s, id))
			return error_set(
			    e, EBUSY,
			    "conflict: unable to delete %.12s (must be forced) - image "
			    "is being used by a running container",
			    id + 7);
	}
	if (store_untag_manifests(s, &manifest, 1, e) < 0)
		return -e->code;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].manifest, manifest) == 0)
			add_untagged(ret, v[i].name);
	add_deleted(ret, id);
	return 0;
}

int image_remove(struct store *s, const char *ref, bool force, struct image_removal *ret,
		 struct error *e)
{
	bool held = s->lock_fd >= 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!held && store_lock(s, e) < 0)
		return -e->code;
	r = remove_locked(s, ref, force, ret, e);
	if (r == 0 && ret->ndeleted)
		r = image_gc(s, &ret->gc, e);
	if (!held)
		store_unlock(s);
	return r;
}

static int prune_locked(struct store *s, bool all, struct image_removal *ret, struct error *e)
{
	_cleanup_free_ struct store_image *v = NULL;
	_cleanup_free_ char(*gone)[STORE_DIGEST_MAX] = NULL;
	size_t n, ngone = 0;

	if (store_list(s, &v, &n, e) < 0)
		return -e->code;
	gone = calloc(n + 1, sizeof(*gone));
	if (!gone)
		abort();
	for (size_t i = 0; i < n; i++) {
		bool seen = false, dangling = true;
		char id[STORE_DIGEST_MAX];

		for (size_t j = 0; j < n; j++) {
			if (strcmp(v[j].manifest, v[i].manifest) != 0)
				continue;
			seen |= j < i;
			dangling &= store_name_is_digest(v[j].name);
		}
		if (seen || (!all && !dangling))
			continue;
		image_id(s, v[i].manifest, id);
		if (in_use(s, id))
			continue;
		snprintf(gone[ngone++], STORE_DIGEST_MAX, "%s", v[i].manifest);
		for (size_t j = i; j < n; j++)
			if (strcmp(v[j].manifest, v[i].manifest) == 0)
				add_untagged(ret, v[j].name);
		add_deleted(ret, id);
	}
	if (ngone && store_untag_manifests(s, gone, ngone, e) < 0) {
		image_removal_free(ret);
		return -e->code;
	}
	return 0;
}

int image_prune(struct store *s, bool all, struct image_removal *ret, struct error *e)
{
	bool held = s->lock_fd >= 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!held && store_lock(s, e) < 0)
		return -e->code;
	r = prune_locked(s, all, ret, e);
	if (r == 0)
		r = image_gc(s, &ret->gc, e);
	if (!held)
		store_unlock(s);
	return r;
}
