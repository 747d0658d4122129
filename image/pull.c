#include "pull.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "oci-json.h"

struct puller {
	struct store *s;
	struct registry *reg;
	const struct pull_progress *p;
};

static void report(const struct puller *pl, const char *digest, enum pull_layer_state state,
		   uint64_t done, uint64_t total)
{
	if (pl->p && pl->p->layer)
		pl->p->layer(pl->p->userdata, digest, state, done, total);
}

/* A manifest or index whose bytes must hash to want (NULL: any; the
 * digest is returned in ret_digest). */
static int fetch_manifest(struct puller *pl, const char *reference, const char *want,
			  struct registry_manifest *ret, char ret_digest[STORE_DIGEST_MAX],
			  struct error *e)
{
	char hex[DIGEST_HEX_LEN + 1];

	if (registry_get_manifest(pl->reg, reference, ret, e) < 0)
		return -e->code;
	digest_sha256_hex(ret->body, ret->len, hex);
	snprintf(ret_digest, STORE_DIGEST_MAX, "sha256:%s", hex);
	if (want && strcmp(want, ret_digest) != 0) {
		error_set(e, EBADMSG, "manifest digest mismatch: expected %s, the registry sent %s",
			  want, ret_digest);
		registry_manifest_free(ret);
		return -e->code;
	}
	if (!want && ret->digest[0] && strcmp(ret->digest, ret_digest) != 0) {
		error_set(e, EBADMSG,
			  "manifest digest mismatch: the registry says %s, its bytes are %s",
			  ret->digest, ret_digest);
		registry_manifest_free(ret);
		return -e->code;
	}
	return 0;
}

/* From what the registry served for the reference to the linux/amd64
 * image manifest: itself, or the index entry for it. */
static int resolve(struct puller *pl, const struct image_ref *ref, struct registry_manifest *ret,
		   char top_digest[STORE_DIGEST_MAX], char ret_digest[STORE_DIGEST_MAX],
		   struct error *e)
{
	struct registry_manifest m;
	struct oci_index x;
	enum oci_kind kind;
	int i;

	if (fetch_manifest(pl, ref->digest[0] ? ref->digest : ref->tag,
			   ref->digest[0] ? ref->digest : NULL, &m, top_digest, e) < 0)
		return -e->code;
	if (oci_detect_kind(m.body, m.len, m.content_type[0] ? m.content_type : NULL, &kind, e) < 0)
		goto fail;
	if (kind == OCI_KIND_MANIFEST) {
		*ret = m;
		strcpy(ret_digest, top_digest);
		return 0;
	}
	if (kind != OCI_KIND_INDEX) {
		error_set(e, EOPNOTSUPP, "%s is not an image (media type %s)", top_digest,
			  m.content_type[0] ? m.content_type : "unknown");
		goto fail;
	}
	if (oci_index_parse(m.body, m.len, &x, e) < 0)
		goto fail;
	registry_manifest_free(&m);
	i = oci_index_select(&x, PULL_OS, PULL_ARCH, e);
	if (i < 0) {
		oci_index_free(&x);
		return error_prefix(e, "no " PULL_OS "/" PULL_ARCH " image in the index");
	}
	snprintf(ret_digest, STORE_DIGEST_MAX, "%s", x.manifests[i].digest);
	if (x.manifests[i].size > OCI_JSON_MAX) {
		oci_index_free(&x);
		return error_set(e, EFBIG, "manifest %s is larger than %u bytes", ret_digest,
				 OCI_JSON_MAX);
	}
	oci_index_free(&x);
	if (fetch_manifest(pl, ret_digest, ret_digest, &m, ret_digest, e) < 0)
		return -e->code;
	if (oci_detect_kind(m.body, m.len, m.content_type[0] ? m.content_type : NULL, &kind, e) < 0)
		goto fail;
	if (kind != OCI_KIND_MANIFEST) {
		error_set(e, EOPNOTSUPP, "index entry %s is not an image manifest", ret_digest);
		goto fail;
	}
	*ret = m;
	return 0;
fail:
	registry_manifest_free(&m);
	return -e->code;
}

struct blob_sink {
	struct puller *pl;
	struct store_blob_writer w;
	const char *digest;
	uint64_t done, total;
	bool show;
};

static int blob_write(void *userdata, const void *buf, size_t len, struct error *e)
{
	struct blob_sink *b = userdata;

	if (store_blob_write(&b->w, buf, len, e) < 0)
		return -e->code;
	b->done += len;
	if (b->show)
		report(b->pl, b->digest, PULL_LAYER_DOWNLOADING, b->done, b->total);
	return 0;
}

/* One blob into the store, unless it is there already. */
static int fetch_blob(struct puller *pl, const struct oci_descriptor *d, bool show, struct error *e)
{
	struct blob_sink b = {.pl = pl, .digest = d->digest, .total = d->size, .show = show};

	if (store_blob_exists(pl->s, d->digest))
		return 0;
	if (store_blob_begin(pl->s, &b.w, e) < 0)
		return -e->code;
	if (registry_get_blob(pl->reg, d->digest, d->size, blob_write, &b, e) < 0) {
		store_blob_abort(&b.w);
		return -e->code;
	}
	return store_blob_commit(pl->s, &b.w, d->digest, d->size, NULL, e);
}

static int check_config(struct puller *pl, const struct oci_manifest *m, struct error *e)
{
	_cleanup_free_ char *json = NULL;
	struct oci_image_config c;
	size_t len;
	int r = 0;

	if (store_blob_read(pl->s, m->config.digest, STORE_JSON_MAX, &json, &len, e) < 0 ||
	    oci_config_parse(json, len, &c, e) < 0)
		return error_prefix(e, "config %s", m->config.digest);
	if (strcmp(c.os, PULL_OS) != 0 || strcmp(c.architecture, PULL_ARCH) != 0)
		r = error_set(e, EOPNOTSUPP, "the image is for %s/%s, not " PULL_OS "/" PULL_ARCH,
			      c.os, c.architecture);
	else if (c.ndiff_ids != m->nlayers)
		r = error_set(e, EBADMSG, "config %s: %zu diff_ids for %zu layers",
			      m->config.digest, c.ndiff_ids, m->nlayers);
	oci_config_free(&c);
	return r;
}

static int fetch_image(struct puller *pl, const struct oci_manifest *m, struct error *e)
{
	if (!oci_config_media_type_supported(m->config.media_type))
		return error_set(e, EOPNOTSUPP, "config media type %s is not an image's",
				 m->config.media_type);
	if (m->config.size > STORE_JSON_MAX)
		return error_set(e, EFBIG, "config %s is larger than %u bytes", m->config.digest,
				 STORE_JSON_MAX);
	for (size_t i = 0; i < m->nlayers; i++)
		if (!oci_layer_media_type_supported(m->layers[i].media_type))
			return error_set(e, EOPNOTSUPP, "layer %s: media type %s is not supported",
					 m->layers[i].digest, m->layers[i].media_type);
	if (fetch_blob(pl, &m->config, false, e) < 0)
		return error_prefix(e, "config");
	if (check_config(pl, m, e) < 0)
		return -e->code;
	for (size_t i = 0; i < m->nlayers; i++)
		report(pl, m->layers[i].digest,
		       store_blob_exists(pl->s, m->layers[i].digest) ? PULL_LAYER_EXISTS
								     : PULL_LAYER_WAITING,
		       0, m->layers[i].size);
	for (size_t i = 0; i < m->nlayers; i++) {
		const struct oci_descriptor *l = &m->layers[i];
		if (store_blob_exists(pl->s, l->digest))
			continue;
		if (fetch_blob(pl, l, true, e) < 0)
			return error_prefix(e, "layer %.19s", l->digest);
		report(pl, l->digest, PULL_LAYER_DONE, l->size, l->size);
	}
	return 0;
}

int image_pull(struct store *s, const struct image_ref *ref, const struct registry_options *o,
	       const struct pull_progress *p, struct pull_result *ret, struct error *e)
{
	struct puller pl = {.s = s, .p = p};
	struct registry_manifest m = {0};
	struct oci_manifest man = {0};
	struct pull_result res = {0};
	char before[STORE_DIGEST_MAX] = "", stored[STORE_DIGEST_MAX];
	struct error ignore = {0};
	int r;

	if (image_ref_format(ref, res.name, sizeof(res.name)) < 0)
		return error_set(e, ENAMETOOLONG, "image reference too long");
	if (registry_open(ref->domain, ref->path, o, &pl.reg, e) < 0)
		return -e->code;
	r = resolve(&pl, ref, &m, res.digest, res.manifest, e);
	if (r == 0)
		r = oci_manifest_parse(m.body, m.len, &man, e) < 0
			? error_prefix(e, "manifest %s", res.manifest)
			: 0;
	if (r == 0 && p && p->start)
		p->start(p->userdata, ref);
	if (r == 0)
		r = fetch_image(&pl, &man, e);
	/* The manifest last: a store holds no manifest without its blobs. */
	if (r == 0 && store_blob_put(s, m.body, m.len, stored, e) < 0)
		r = -e->code;
	if (r == 0 && strcmp(stored, res.manifest) != 0)
		r = error_set(e, EIO, "stored manifest %s, expected %s", stored, res.manifest);
	if (r == 0) {
		store_resolve(s, res.name, before, &ignore);
		res.updated = strcmp(before, res.manifest) != 0;
		if (res.updated)
			r = store_tag(s, res.name, res.manifest, e);
	}
	oci_manifest_free(&man);
	registry_manifest_free(&m);
	registry_free(pl.reg);
	if (r < 0)
		return r;
	*ret = res;
	return 0;
}
