/* The image JSON parsers (image/oci-json.c): the input is one document as
 * a registry or a tar file hands it over, and every parser reads it.
 *
 * Checks, beyond not crashing: every error comes with a printable message;
 * what is accepted is within the documented bounds (sha256 digests, sizes,
 * counts, no control characters where a user sees them, paths that stay
 * inside the tar); oci_detect_kind agrees with the parser that accepts the
 * document; and manifests and indexes format back to what was parsed. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "oci-json.h"

static void check_error(int r, const struct error *e)
{
	FUZZ_CHECK(r < 0);
	FUZZ_CHECK(e->code > 0 && r == -e->code);
	FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)));
	FUZZ_CHECK(e->msg[0] != '\0');
	FUZZ_CHECK(fuzz_text_printable(e->msg));
}

/* NUL-terminated within size, without C0 controls or DEL. */
static int clean_text(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (len == size)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int valid_digest(const char *s)
{
	if (strlen(s) != 71 || strncmp(s, "sha256:", 7) != 0)
		return 0;
	for (size_t i = 7; i < 71; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int valid_platform_name(const char *s, int may_be_empty)
{
	size_t len = strnlen(s, OCI_PLATFORM_MAX);

	if (len == OCI_PLATFORM_MAX || (len == 0 && !may_be_empty))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    s[i]))
			return 0;
	return 1;
}

/* Relative, no ".." component, at most OCI_PATH_MAX bytes. */
static int valid_tar_path(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > OCI_PATH_MAX || s[0] == '/' || !clean_text(s, len + 1))
		return 0;
	for (const char *p = s; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return 0;
	}
	return 1;
}

static void check_descriptor(const struct oci_descriptor *d, int in_index)
{
	size_t mt = strnlen(d->media_type, sizeof(d->media_type));

	FUZZ_CHECK(mt > 0 && mt < sizeof(d->media_type) && strchr(d->media_type, '/'));
	FUZZ_CHECK(clean_text(d->media_type, sizeof(d->media_type)));
	FUZZ_CHECK(valid_digest(d->digest));
	FUZZ_CHECK(d->size <= OCI_BLOB_SIZE_MAX);
	FUZZ_CHECK(valid_platform_name(d->os, 1));
	FUZZ_CHECK(valid_platform_name(d->architecture, 1));
	FUZZ_CHECK(valid_platform_name(d->variant, 1));
	FUZZ_CHECK(!d->os[0] == !d->architecture[0]);
	FUZZ_CHECK(in_index || (!d->os[0] && !d->variant[0]));
	FUZZ_CHECK(clean_text(d->ref_name, sizeof(d->ref_name)));
	(void)oci_layer_media_type_supported(d->media_type);
	(void)oci_config_media_type_supported(d->media_type);
}

static void check_kind(const char *copy, size_t size, enum oci_kind want)
{
	enum oci_kind kind = OCI_KIND_UNKNOWN;
	struct error e = {0};

	FUZZ_CHECK(oci_detect_kind(copy, size, NULL, &kind, &e) == 0);
	FUZZ_CHECK(kind == want);
}

/* Descriptors agree but for the media types the manifest writer renames. */
static int same_blob(const struct oci_descriptor *a, const struct oci_descriptor *b)
{
	return strcmp(a->digest, b->digest) == 0 && a->size == b->size &&
	       strcmp(a->ref_name, b->ref_name) == 0 &&
	       (strcmp(a->media_type, b->media_type) == 0 ||
		strncmp(a->media_type, "application/vnd.docker.", 23) == 0);
}

static void run_manifest(const char *copy, size_t size)
{
	struct oci_manifest m, again;
	struct error e = {0};
	size_t len = 0;
	char *json, *json2;
	int r = oci_manifest_parse(copy, size, &m, &e);

	if (r < 0) {
		check_error(r, &e);
		return;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(clean_text(m.media_type, sizeof(m.media_type)));
	check_descriptor(&m.config, 0);
	FUZZ_CHECK(m.nlayers <= OCI_LAYERS_MAX && (m.layers || m.nlayers == 0));
	for (size_t i = 0; i < m.nlayers; i++)
		check_descriptor(&m.layers[i], 0);
	check_kind(copy, size, OCI_KIND_MANIFEST);

	json = oci_manifest_format(&m, &len);
	FUZZ_CHECK(json && len == strlen(json));
	FUZZ_CHECK(oci_manifest_parse(json, len, &again, &e) == 0);
	FUZZ_CHECK(strcmp(again.media_type, OCI_MT_MANIFEST) == 0);
	FUZZ_CHECK(same_blob(&m.config, &again.config));
	FUZZ_CHECK(again.nlayers == m.nlayers);
	for (size_t i = 0; i < m.nlayers; i++)
		FUZZ_CHECK(same_blob(&m.layers[i], &again.layers[i]));
	/* Written twice, the same bytes: a saved image keeps its digest. */
	json2 = oci_manifest_format(&again, NULL);
	FUZZ_CHECK(json2 && strcmp(json, json2) == 0);
	free(json2);
	free(json);
	oci_manifest_free(&again);
	oci_manifest_free(&m);
}

static void select_platform(const struct oci_index *x, const char *os, const char *arch)
{
	struct error e = {0};
	int r = oci_index_select(x, os, arch, &e);

	if (r < 0) {
		check_error(r, &e);
		FUZZ_CHECK(r == -ENOENT);
		return;
	}
	FUZZ_CHECK((size_t)r < x->nmanifests);
	FUZZ_CHECK(strcmp(x->manifests[r].os, os) == 0);
	FUZZ_CHECK(strlen(x->manifests[r].architecture) == strcspn(arch, "/"));
	FUZZ_CHECK(strncmp(x->manifests[r].architecture, arch, strcspn(arch, "/")) == 0);
}

static void run_index(const char *copy, size_t size)
{
	struct oci_index x, again;
	struct error e = {0};
	size_t len = 0;
	char *json;
	int r = oci_index_parse(copy, size, &x, &e);

	if (r < 0) {
		check_error(r, &e);
		return;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(x.nmanifests <= OCI_MANIFESTS_MAX && (x.manifests || x.nmanifests == 0));
	for (size_t i = 0; i < x.nmanifests; i++)
		check_descriptor(&x.manifests[i], 1);
	check_kind(copy, size, OCI_KIND_INDEX);
	select_platform(&x, "linux", "amd64");
	select_platform(&x, "linux", "arm64");
	select_platform(&x, "linux", "arm/v7");

	json = oci_index_format(&x, &len);
	FUZZ_CHECK(json && len == strlen(json));
	FUZZ_CHECK(oci_index_parse(json, len, &again, &e) == 0);
	FUZZ_CHECK(again.nmanifests == x.nmanifests);
	FUZZ_CHECK(x.nmanifests == 0 ||
		   memcmp(again.manifests, x.manifests, x.nmanifests * sizeof(*x.manifests)) == 0);
	free(json);
	oci_index_free(&again);
	oci_index_free(&x);
}

static void check_strv(char **v, size_t n, size_t max_items, int text)
{
	FUZZ_CHECK(n <= max_items && (v || n == 0));
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(v[i] && strlen(v[i]) <= OCI_STRING_MAX);
		FUZZ_CHECK(!text || clean_text(v[i], strlen(v[i]) + 1));
	}
}

static void run_config(const char *copy, size_t size)
{
	struct oci_image_config c;
	struct error e = {0};
	int r = oci_config_parse(copy, size, &c, &e);

	if (r < 0) {
		check_error(r, &e);
		return;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(valid_platform_name(c.architecture, 0) && valid_platform_name(c.os, 0));
	FUZZ_CHECK(!c.user || clean_text(c.user, OCI_PATH_MAX + 1));
	FUZZ_CHECK(!c.working_dir || clean_text(c.working_dir, OCI_PATH_MAX + 1));
	FUZZ_CHECK(!c.stop_signal || clean_text(c.stop_signal, OCI_PATH_MAX + 1));
	FUZZ_CHECK(clean_text(c.created, sizeof(c.created)));
	check_strv(c.env, c.nenv, OCI_STRV_MAX, 0);
	for (size_t i = 0; i < c.nenv; i++)
		FUZZ_CHECK(c.env[i][0] != '=' && strchr(c.env[i], '='));
	check_strv(c.entrypoint, c.nentrypoint, OCI_STRV_MAX, 0);
	FUZZ_CHECK(c.has_entrypoint || c.nentrypoint == 0);
	check_strv(c.cmd, c.ncmd, OCI_STRV_MAX, 0);
	FUZZ_CHECK(c.has_cmd || c.ncmd == 0);
	check_strv(c.diff_ids, c.ndiff_ids, OCI_LAYERS_MAX, 1);
	for (size_t i = 0; i < c.ndiff_ids; i++)
		FUZZ_CHECK(valid_digest(c.diff_ids[i]));
	FUZZ_CHECK(c.raw && c.raw_len == size && memcmp(c.raw, copy, size) == 0);
	FUZZ_CHECK(c.raw[size] == '\0');
	oci_config_free(&c);
}

static void run_save_manifest(const char *copy, size_t size)
{
	struct docker_save_entry *v;
	struct error e = {0};
	size_t n;
	int r = docker_save_manifest_parse(copy, size, &v, &n, &e);

	if (r < 0) {
		check_error(r, &e);
		return;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(n >= 1 && n <= OCI_MANIFESTS_MAX && v);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(v[i].config && valid_tar_path(v[i].config));
		check_strv(v[i].repo_tags, v[i].nrepo_tags, OCI_MANIFESTS_MAX, 1);
		check_strv(v[i].layers, v[i].nlayers, OCI_LAYERS_MAX, 1);
		for (size_t j = 0; j < v[i].nlayers; j++)
			FUZZ_CHECK(valid_tar_path(v[i].layers[j]));
	}
	docker_save_manifest_free(v, n);
}

static void run_detect(const char *copy, size_t size)
{
	static const char *const content_types[] = {
	    NULL,
	    "application/json",
	    OCI_MT_MANIFEST,
	    OCI_MT_INDEX,
	    "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8",
	    "application/vnd.docker.distribution.manifest.v1+prettyjws",
	};

	for (size_t i = 0; i < sizeof(content_types) / sizeof(*content_types); i++) {
		enum oci_kind kind = (enum oci_kind) - 1;
		struct error e = {0};
		int r = oci_detect_kind(copy, size, content_types[i], &kind, &e);

		if (r < 0) {
			check_error(r, &e);
			continue;
		}
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(kind == OCI_KIND_UNKNOWN || kind == OCI_KIND_MANIFEST ||
			   kind == OCI_KIND_INDEX);
		/* Schema 1 is refused whatever the document says. */
		FUZZ_CHECK(i != 5);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy exactly the input's size: no NUL after it. */
	char *copy = malloc(size ? size : 1);

	FUZZ_CHECK(copy);
	memcpy(copy, data, size);
	run_detect(copy, size);
	run_manifest(copy, size);
	run_index(copy, size);
	run_config(copy, size);
	run_save_manifest(copy, size);
	free(copy);
	return 0;
}
