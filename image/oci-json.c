#include "oci-json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Input quoted in an error message: room for a digest and a little more. */
#define QUOTE_MAX 96

#define OCI_TAG_MAX 1024  /* a RepoTags entry */
#define OCI_SIGNAL_MAX 64 /* StopSignal */

#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_IMAGE_NAME "io.containerd.image.name"
#define DOCKER_SCHEMA1_PREFIX "application/vnd.docker.distribution.manifest.v1+"

enum {
	OPTIONAL = 0,
	REQUIRED = 1 << 0,
	NULLABLE = 1 << 1, /* JSON null counts as absent */
	TEXT = 1 << 2,	   /* reaches a terminal: no control characters */
};

/* --- checks on strings ------------------------------------------------- */

/* Whether a (valid UTF-8, as jansson guarantees) string is safe to show on
 * a terminal: no C0 or C1 controls, no DEL, no bidirectional overrides.
 * The same rule as common/message.c's for what the guest sends. */
static bool text_is_safe(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		/* U+0080..U+009F are C2 80..C2 9F. */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return false;
		/* U+202A..U+202E are E2 80 AA..AE; U+2066..U+2069 are E2 81 A6..A9. */
		if (p[i] == 0xe2 && i + 2 < len &&
		    ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
		     (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
			return false;
	}
	return true;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_lower_hex(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

/* RFC 6838's restricted-name: the type and subtype of a media type. */
static bool restricted_name(const char *s, size_t n)
{
	if (n == 0 || n > 127 || !is_alnum(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(s[i]) && !strchr("!#$&-^_.+", s[i]))
			return false;
	return true;
}

static bool valid_media_type(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash && strlen(s) < OCI_MEDIA_TYPE_MAX && restricted_name(s, (size_t)(slash - s)) &&
	       restricted_name(slash + 1, strlen(slash + 1));
}

/* os, architecture, variant: "linux", "amd64", "v8", "unknown". */
static bool valid_platform_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= OCI_PLATFORM_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* sha256:<64 lowercase hex>. The OCI grammar for other algorithms is
 * recognised only to say that they are not supported. */
static int check_digest(const char *s, const char *name, struct error *e)
{
	static const char prefix[] = "sha256:";
	const size_t plen = sizeof(prefix) - 1;
	const char *colon = strchr(s, ':');
	char q[QUOTE_MAX], alg[QUOTE_MAX];
	size_t i;

	if (strncmp(s, prefix, plen) == 0 && strlen(s) == plen + 64) {
		for (i = plen; is_lower_hex(s[i]); i++)
			;
		if (i == plen + 64)
			return 0;
	}
	if (colon && colon != s && colon[1] && strncmp(s, prefix, plen) != 0) {
		/* algorithm: [a-z0-9]+ ([+._-] [a-z0-9]+)* */
		for (i = 0; s + i < colon; i++) {
			bool sep = strchr("+._-", s[i]) != NULL;
			if (sep ? i == 0 || s + i + 1 == colon || !is_alnum(s[i + 1])
				: !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
				break;
		}
		if (s + i == colon) {
			snprintf(alg, sizeof(alg), "%.*s", (int)i, s);
			return error_set(e, EOPNOTSUPP, "%s: unsupported digest algorithm %s", name,
					 error_quote(q, sizeof(q), alg));
		}
	}
	return error_set(e, EBADMSG, "%s: invalid digest %s", name, error_quote(q, sizeof(q), s));
}

/* A file inside a tar: relative, no "..", nothing a terminal would act on. */
static int check_tar_path(const char *s, const char *name, struct error *e)
{
	char q[QUOTE_MAX];

	if (!*s)
		return error_set(e, EBADMSG, "%s: empty path", name);
	if (s[0] == '/')
		return error_set(e, EBADMSG, "%s: absolute path %s", name, error_quote(q, sizeof(q), s));
	if (!text_is_safe(s, strlen(s)))
		return error_set(e, EBADMSG, "%s: contains control characters", name);
	for (const char *p = s;; p++) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return error_set(e, EBADMSG, "%s: path %s has a \"..\" component", name,
					 error_quote(q, sizeof(q), s));
		p = strchr(p, '/');
		if (!p)
			return 0;
	}
}

static int check_env(const char *s, const char *name, struct error *e)
{
	char q[QUOTE_MAX];

	if (s[0] == '=' || !strchr(s, '='))
		return error_set(e, EBADMSG, "%s: %s is not NAME=VALUE", name, error_quote(q, sizeof(q), s));
	return 0;
}

static int check_text(const char *s, const char *name, struct error *e)
{
	if (!text_is_safe(s, strlen(s)))
		return error_set(e, EBADMSG, "%s: contains control characters", name);
	return 0;
}

/* --- getting fields ----------------------------------------------------- */

static const char *type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	default:
		return "a value of the expected type";
	}
}

/* The member `key` of obj if it has type t; *ret NULL and 0 when it is
 * absent (or null, with NULLABLE) and not REQUIRED. */
static int get_member(json_t *obj, const char *where, const char *key, json_type t, unsigned flags,
		      json_t **ret, struct error *e)
{
	json_t *v = json_object_get(obj, key);
	char name[ERROR_FIELD_MAX];

	*ret = NULL;
	if (!v || (json_is_null(v) && (flags & NULLABLE))) {
		if (flags & REQUIRED)
			return error_set(e, EBADMSG, "%s: missing", error_field(name, where, key));
		return 0;
	}
	if (json_typeof(v) != t)
		return error_set(e, EBADMSG, "%s: not %s", error_field(name, where, key), type_name(t));
	*ret = v;
	return 0;
}

/* A string of at most max bytes, without NUL; with TEXT, without control
 * characters. *ret points into v, or is NULL when absent. */
static int string_value(json_t *v, const char *name, unsigned flags, size_t max, const char **ret,
			struct error *e)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (len > max)
		return error_set(e, EBADMSG, "%s: longer than %zu bytes", name, max);
	/* jansson refuses \u0000 unless asked to allow it; be sure. */
	if (strlen(s) != len)
		return error_set(e, EBADMSG, "%s: contains a NUL byte", name);
	if ((flags & TEXT) && check_text(s, name, e) < 0)
		return -EBADMSG;
	*ret = s;
	return 0;
}

static int get_string(json_t *obj, const char *where, const char *key, unsigned flags, size_t max,
		      const char **ret, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	json_t *v;

	*ret = NULL;
	if (get_member(obj, where, key, JSON_STRING, flags, &v, e) < 0)
		return -EBADMSG;
	return v ? string_value(v, error_field(name, where, key), flags, max, ret, e) : 0;
}

/* Into a fixed buffer of `size` bytes; "" when absent. */
static int copy_string(json_t *obj, const char *where, const char *key, unsigned flags, char *buf,
		       size_t size, struct error *e)
{
	const char *s;

	if (get_string(obj, where, key, flags, size - 1, &s, e) < 0)
		return -EBADMSG;
	snprintf(buf, size, "%s", s ? s : "");
	return 0;
}

static int dup_string(json_t *obj, const char *where, const char *key, unsigned flags, size_t max,
		      char **ret, struct error *e)
{
	const char *s;

	if (get_string(obj, where, key, flags, max, &s, e) < 0)
		return -EBADMSG;
	*ret = s ? xstrdup(s) : NULL;
	return 0;
}

static int get_uint(json_t *obj, const char *where, const char *key, uint64_t max, uint64_t *ret,
		    struct error *e)
{
	char name[ERROR_FIELD_MAX];
	json_int_t i;
	json_t *v;

	if (get_member(obj, where, key, JSON_INTEGER, REQUIRED, &v, e) < 0)
		return -EBADMSG;
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return error_set(e, EBADMSG, "%s: %lld is out of range [0, %llu]",
				 error_field(name, where, key), (long long)i, (unsigned long long)max);
	*ret = (uint64_t)i;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* An array of at most max_items strings of at most max_len bytes, each
 * passing check (if any). Absent (or null, with NULLABLE): *ret NULL, *ret_n
 * 0 and *ret_present false. */
static int get_strv(json_t *obj, const char *where, const char *key, unsigned flags,
		    size_t max_items, size_t max_len,
		    int (*check)(const char *s, const char *name, struct error *e), char ***ret,
		    size_t *ret_n, bool *ret_present, struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX];
	char **out;
	size_t n, i;
	json_t *a;
	int r;

	if (get_member(obj, where, key, JSON_ARRAY, flags, &a, e) < 0)
		return -EBADMSG;
	if (ret_present)
		*ret_present = a != NULL;
	*ret = NULL;
	*ret_n = 0;
	if (!a)
		return 0;
	error_field(name, where, key);
	n = json_array_size(a);
	if (n > max_items)
		return error_set(e, EBADMSG, "%s: more than %zu entries", name, max_items);
	out = xcalloc(n + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		const char *s;

		error_element(item, name, i);
		if (!json_is_string(v)) {
			strv_free(out, i);
			return error_set(e, EBADMSG, "%s: not a string", item);
		}
		if ((r = string_value(v, item, flags & TEXT, max_len, &s, e)) < 0 ||
		    (check && (r = check(s, item, e)) < 0)) {
			strv_free(out, i);
			return r;
		}
		out[i] = xstrdup(s);
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

/* --- documents ----------------------------------------------------------- */

/* One JSON document of type t; jansson rejects invalid UTF-8, NUL escapes,
 * nesting deeper than 2048 and (with the flag) duplicate keys. */
static json_t *load(const char *json, size_t len, json_type t, struct error *e)
{
	json_error_t jerr;
	json_t *root;

	if (len > OCI_JSON_MAX) {
		error_set(e, EFBIG, "document of %zu bytes is larger than the limit of %u", len,
			  OCI_JSON_MAX);
		return NULL;
	}
	root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		error_make_printable(jerr.text);
		error_set(e, EBADMSG, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
		return NULL;
	}
	if (json_typeof(root) != t) {
		json_decref(root);
		error_set(e, EBADMSG, "not %s",
			  t == JSON_OBJECT ? "a JSON object" : "a JSON array");
		return NULL;
	}
	return root;
}

static bool is_schema1(const char *media_type)
{
	return strncmp(media_type, DOCKER_SCHEMA1_PREFIX, strlen(DOCKER_SCHEMA1_PREFIX)) == 0;
}

static enum oci_kind media_type_kind(const char *media_type)
{
	if (strcmp(media_type, OCI_MT_MANIFEST) == 0 ||
	    strcmp(media_type, OCI_MT_DOCKER_MANIFEST) == 0)
		return OCI_KIND_MANIFEST;
	if (strcmp(media_type, OCI_MT_INDEX) == 0 || strcmp(media_type, OCI_MT_DOCKER_LIST) == 0)
		return OCI_KIND_INDEX;
	return OCI_KIND_UNKNOWN;
}

static const char *kind_name(enum oci_kind k)
{
	if (k == OCI_KIND_MANIFEST)
		return "an image manifest";
	if (k == OCI_KIND_INDEX)
		return "an index";
	return "unknown";
}

static int check_schema_version(json_t *root, struct error *e)
{
	json_t *v;

	if (get_member(root, "", "schemaVersion", JSON_INTEGER, REQUIRED, &v, e) < 0)
		return -EBADMSG;
	if (json_integer_value(v) == 1)
		return error_set(e, EOPNOTSUPP, "schema 1 manifests are not supported");
	if (json_integer_value(v) != 2)
		return error_set(e, EOPNOTSUPP, "schemaVersion: unsupported version %lld",
				 (long long)json_integer_value(v));
	return 0;
}

/* The document's own mediaType must be of kind `want`, if it has one; *ret
 * gets it, or `fallback`. */
static int check_media_type(json_t *root, enum oci_kind want, const char *fallback,
			    char ret[static OCI_MEDIA_TYPE_MAX], struct error *e)
{
	char q[QUOTE_MAX];
	const char *mt;

	if (get_string(root, "", "mediaType", OPTIONAL, OCI_STRING_MAX, &mt, e) < 0)
		return -EBADMSG;
	if (!mt) {
		snprintf(ret, OCI_MEDIA_TYPE_MAX, "%s", fallback);
		return 0;
	}
	if (is_schema1(mt))
		return error_set(e, EOPNOTSUPP, "schema 1 manifests are not supported");
	if (media_type_kind(mt) != want)
		return error_set(e, EBADMSG, "mediaType: %s is not %s", error_quote(q, sizeof(q), mt),
				 kind_name(want));
	snprintf(ret, OCI_MEDIA_TYPE_MAX, "%s", mt);
	return 0;
}

static int parse_platform(json_t *obj, const char *where, struct oci_descriptor *d, struct error *e)
{
	char name[ERROR_FIELD_MAX], q[QUOTE_MAX];
	struct {
		const char *key;
		char *buf;
		unsigned flags;
	} fields[] = {
	    {"os", d->os, REQUIRED},
	    {"architecture", d->architecture, REQUIRED},
	    {"variant", d->variant, OPTIONAL},
	};
	json_t *p;

	if (get_member(obj, where, "platform", JSON_OBJECT, OPTIONAL, &p, e) < 0)
		return -EBADMSG;
	if (!p)
		return 0;
	error_field(name, where, "platform");
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		char sub[ERROR_FIELD_MAX];
		const char *s;

		if (get_string(p, name, fields[i].key, fields[i].flags, OCI_STRING_MAX, &s, e) < 0)
			return -EBADMSG;
		if (!s)
			continue;
		if (!valid_platform_name(s))
			return error_set(e, EBADMSG, "%s: invalid name %s",
					 error_field(sub, name, fields[i].key), error_quote(q, sizeof(q), s));
		snprintf(fields[i].buf, OCI_PLATFORM_MAX, "%s", s);
	}
	return 0;
}

static int parse_descriptor(json_t *obj, const char *where, bool with_platform,
			    struct oci_descriptor *d, struct error *e)
{
	char name[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *s;
	json_t *ann;
	int r;

	if (!json_is_object(obj))
		return error_set(e, EBADMSG, "%s: not an object", where);
	if (get_string(obj, where, "mediaType", REQUIRED, OCI_STRING_MAX, &s, e) < 0)
		return -EBADMSG;
	if (!valid_media_type(s))
		return error_set(e, EBADMSG, "%s: invalid media type %s",
				 error_field(name, where, "mediaType"), error_quote(q, sizeof(q), s));
	snprintf(d->media_type, sizeof(d->media_type), "%s", s);
	if ((r = get_string(obj, where, "digest", REQUIRED, OCI_STRING_MAX, &s, e)) < 0 ||
	    (r = check_digest(s, error_field(name, where, "digest"), e)) < 0)
		return r;
	snprintf(d->digest, sizeof(d->digest), "%s", s);
	if (get_uint(obj, where, "size", OCI_BLOB_SIZE_MAX, &d->size, e) < 0)
		return -EBADMSG;
	if (with_platform && parse_platform(obj, where, d, e) < 0)
		return -EBADMSG;
	if (get_member(obj, where, "annotations", JSON_OBJECT, OPTIONAL, &ann, e) < 0)
		return -EBADMSG;
	if (ann && copy_string(ann, error_field(name, where, "annotations"), ANNOTATION_REF_NAME, TEXT,
			       d->ref_name, sizeof(d->ref_name), e) < 0)
		return -EBADMSG;
	if (ann && copy_string(ann, error_field(name, where, "annotations"), ANNOTATION_IMAGE_NAME, TEXT,
			       d->image_name, sizeof(d->image_name), e) < 0)
		return -EBADMSG;
	return 0;
}

/* An array of descriptors, at most max of them. */
static int parse_descriptors(json_t *root, const char *key, size_t max, bool with_platform,
			     struct oci_descriptor **ret, size_t *ret_n, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	size_t n, i;
	json_t *a;
	int r;

	if (get_member(root, "", key, JSON_ARRAY, REQUIRED, &a, e) < 0)
		return -EBADMSG;
	n = json_array_size(a);
	if (n > max)
		return error_set(e, EBADMSG, "%s: more than %zu entries", key, max);
	*ret = xcalloc(n, sizeof(**ret));
	*ret_n = n;
	for (i = 0; i < n; i++) {
		r = parse_descriptor(json_array_get(a, i), error_element(name, key, i), with_platform,
				     &(*ret)[i], e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- kinds ----------------------------------------------------------------- */

/* A Content-Type header's media type, lowercase, without parameters. */
static void normalize_content_type(const char *s, char buf[static OCI_MEDIA_TYPE_MAX])
{
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s && *s != ';' && *s != ' ' && *s != '\t'; s++) {
		if (n == OCI_MEDIA_TYPE_MAX - 1) {
			n = 0; /* too long to be one we know */
			break;
		}
		buf[n++] = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
	}
	buf[n] = '\0';
}

/* What the fields say: "config"/"layers" for a manifest, "manifests" for an
 * index. An image config has a "config" too, but not a descriptor. */
static int shape_kind(json_t *root, enum oci_kind *ret, struct error *e)
{
	json_t *config = json_object_get(root, "config");
	bool image = json_object_get(root, "layers") || json_object_get(config, "digest");
	bool list = json_object_get(root, "manifests") != NULL;

	if (image && list)
		return error_set(e, EBADMSG,
				 "ambiguous document: has both \"manifests\" and \"config\" or "
				 "\"layers\"");
	*ret = image ? OCI_KIND_MANIFEST : list ? OCI_KIND_INDEX : OCI_KIND_UNKNOWN;
	return 0;
}

static int detect(json_t *root, const char *content_type, enum oci_kind *ret, struct error *e)
{
	enum oci_kind header = OCI_KIND_UNKNOWN, doc = OCI_KIND_UNKNOWN, shape = OCI_KIND_UNKNOWN;
	char ct[OCI_MEDIA_TYPE_MAX], q[QUOTE_MAX], q2[QUOTE_MAX];
	json_t *version = json_object_get(root, "schemaVersion");
	const char *mt;
	int r;

	ct[0] = '\0';
	if (content_type) {
		normalize_content_type(content_type, ct);
		if (is_schema1(ct))
			return error_set(e, EOPNOTSUPP, "schema 1 manifests are not supported");
		header = media_type_kind(ct);
	}
	if (json_is_integer(version) && json_integer_value(version) == 1)
		return error_set(e, EOPNOTSUPP, "schema 1 manifests are not supported");
	if ((r = get_string(root, "", "mediaType", OPTIONAL, OCI_STRING_MAX, &mt, e)) < 0 ||
	    (r = shape_kind(root, &shape, e)) < 0)
		return r;
	if (mt) {
		if (is_schema1(mt))
			return error_set(e, EOPNOTSUPP, "schema 1 manifests are not supported");
		doc = media_type_kind(mt);
		if (doc == OCI_KIND_UNKNOWN) {
			/* An artifact, or something newer: not ours to run. */
			*ret = OCI_KIND_UNKNOWN;
			return 0;
		}
		if (header != OCI_KIND_UNKNOWN && header != doc)
			return error_set(e, EBADMSG, "Content-Type %s does not match mediaType %s",
					 error_quote(q, sizeof(q), ct), error_quote(q2, sizeof(q2), mt));
	}
	if (doc == OCI_KIND_UNKNOWN)
		doc = header;
	if (doc == OCI_KIND_UNKNOWN)
		doc = shape;
	if (shape != OCI_KIND_UNKNOWN && shape != doc)
		return error_set(e, EBADMSG, "declared as %s, but has the fields of %s",
				 kind_name(doc), kind_name(shape));
	*ret = doc;
	return 0;
}

int oci_detect_kind(const char *json, size_t len, const char *content_type, enum oci_kind *ret,
		    struct error *e)
{
	json_auto_t *root = load(json, len, JSON_OBJECT, e);

	if (!root || detect(root, content_type, ret, e) < 0)
		return error_prefix(e, "manifest");
	return 0;
}

/* --- manifests ------------------------------------------------------------- */

void oci_manifest_free(struct oci_manifest *m)
{
	if (!m)
		return;
	free(m->layers);
	memset(m, 0, sizeof(*m));
}

static int parse_manifest(json_t *root, struct oci_manifest *m, struct error *e)
{
	json_t *config;
	int r;

	if ((r = check_schema_version(root, e)) < 0 ||
	    (r = check_media_type(root, OCI_KIND_MANIFEST, OCI_MT_MANIFEST, m->media_type, e)) < 0)
		return r;
	if (json_object_get(root, "manifests"))
		return error_set(e, EBADMSG, "has \"manifests\", as an index has");
	if ((r = get_member(root, "", "config", JSON_OBJECT, REQUIRED, &config, e)) < 0 ||
	    (r = parse_descriptor(config, "config", false, &m->config, e)) < 0)
		return r;
	return parse_descriptors(root, "layers", OCI_LAYERS_MAX, false, &m->layers, &m->nlayers, e);
}

int oci_manifest_parse(const char *json, size_t len, struct oci_manifest *ret, struct error *e)
{
	json_auto_t *root = load(json, len, JSON_OBJECT, e);
	struct oci_manifest m = {0};

	if (!root || parse_manifest(root, &m, e) < 0) {
		oci_manifest_free(&m);
		return error_prefix(e, "manifest");
	}
	*ret = m;
	return 0;
}

/* --- indexes --------------------------------------------------------------- */

void oci_index_free(struct oci_index *x)
{
	if (!x)
		return;
	free(x->manifests);
	memset(x, 0, sizeof(*x));
}

static int parse_index(json_t *root, struct oci_index *x, struct error *e)
{
	char media_type[OCI_MEDIA_TYPE_MAX];
	int r;

	if ((r = check_schema_version(root, e)) < 0 ||
	    (r = check_media_type(root, OCI_KIND_INDEX, OCI_MT_INDEX, media_type, e)) < 0)
		return r;
	if (json_object_get(root, "config") || json_object_get(root, "layers"))
		return error_set(e, EBADMSG, "has \"config\" or \"layers\", as a manifest has");
	return parse_descriptors(root, "manifests", OCI_MANIFESTS_MAX, true, &x->manifests,
				 &x->nmanifests, e);
}

int oci_index_parse(const char *json, size_t len, struct oci_index *ret, struct error *e)
{
	json_auto_t *root = load(json, len, JSON_OBJECT, e);
	struct oci_index x = {0};

	if (!root || parse_index(root, &x, e) < 0) {
		oci_index_free(&x);
		return error_prefix(e, "index");
	}
	*ret = x;
	return 0;
}

/* containerd's normalisation: arm64 means arm64/v8, arm means arm/v7. */
static const char *variant_or_default(const char *arch, const char *variant)
{
	if (*variant)
		return variant;
	if (strcmp(arch, "arm64") == 0)
		return "v8";
	if (strcmp(arch, "arm") == 0)
		return "v7";
	return "";
}

static bool platform_matches(const struct oci_descriptor *d, const char *os, const char *arch,
			     const char *variant)
{
	if (media_type_kind(d->media_type) != OCI_KIND_MANIFEST || strcmp(d->os, os) != 0 ||
	    strcmp(d->architecture, arch) != 0)
		return false;
	return !*variant || strcmp(variant_or_default(d->architecture, d->variant),
				   variant_or_default(arch, variant)) == 0;
}

/* "linux/amd64, linux/arm64/v8", without the attestations buildx adds as
 * unknown/unknown; cut short with ", ..." if it does not fit. */
static void list_platforms(const struct oci_index *x, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < x->nmanifests; i++) {
		const struct oci_descriptor *d = &x->manifests[i];
		char one[3 * OCI_PLATFORM_MAX];

		if (!d->os[0] ||
		    (strcmp(d->os, "unknown") == 0 && strcmp(d->architecture, "unknown") == 0))
			continue;
		snprintf(one, sizeof(one), "%s/%s%s%s", d->os, d->architecture,
			 d->variant[0] ? "/" : "", d->variant);
		if (len + strlen(one) + 2 + 6 >= size) {
			snprintf(buf + len, size - len, "%s...", len ? ", " : "");
			return;
		}
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", one);
	}
}

int oci_index_select(const struct oci_index *x, const char *os, const char *arch, struct error *e)
{
	char want_arch[OCI_PLATFORM_MAX], list[ERROR_MSG_MAX / 2];
	const char *slash = strchr(arch, '/'), *variant = slash ? slash + 1 : "";
	size_t alen = slash ? (size_t)(slash - arch) : strlen(arch);

	if (alen >= sizeof(want_arch))
		return error_set(e, EINVAL, "invalid architecture");
	memcpy(want_arch, arch, alen);
	want_arch[alen] = '\0';
	for (size_t i = 0; i < x->nmanifests && i <= INT32_MAX; i++)
		if (platform_matches(&x->manifests[i], os, want_arch, variant))
			return (int)i;
	list_platforms(x, list, sizeof(list));
	return error_set(e, ENOENT, "no image for %s/%s; the index has %s", os, arch,
			 list[0] ? list : "no platforms");
}

/* --- image configs ---------------------------------------------------------- */

void oci_config_free(struct oci_image_config *c)
{
	if (!c)
		return;
	free(c->user);
	free(c->working_dir);
	free(c->stop_signal);
	strv_free(c->env, c->nenv);
	strv_free(c->entrypoint, c->nentrypoint);
	strv_free(c->cmd, c->ncmd);
	strv_free(c->diff_ids, c->ndiff_ids);
	strv_free(c->exposed_ports, c->nexposed_ports);
	free(c->raw);
	memset(c, 0, sizeof(*c));
}

static int check_platform_field(const char *s, const char *name, struct error *e)
{
	char q[QUOTE_MAX];

	if (!valid_platform_name(s))
		return error_set(e, EBADMSG, "%s: invalid name %s", name, error_quote(q, sizeof(q), s));
	return 0;
}

/* RFC 3339 characters ("2024-01-26T23:44:56.892379787Z"); not parsed. */
static int check_created(const char *s, const char *name, struct error *e)
{
	char q[QUOTE_MAX];

	for (const char *p = s; *p; p++)
		if (!is_alnum(*p) && !strchr(":.+-", *p))
			return error_set(e, EBADMSG, "%s: invalid time %s", name, error_quote(q, sizeof(q), s));
	return 0;
}

/* "80/tcp", "53/udp" or "8080" (tcp) into "PORT/PROTO"; NULL for anything
 * else (sctp, which the NAT cannot carry, ranges, nonsense). */
static char *exposed_port(const char *key)
{
	char *end;
	unsigned long port = strtoul(key, &end, 10);

	if (key[0] < '0' || key[0] > '9' || port == 0 || port > 65535 || end - key > 5)
		return NULL;
	if (!*end || strcmp(end, "/tcp") == 0)
		return xasprintf("%lu/tcp", port);
	if (strcmp(end, "/udp") == 0)
		return xasprintf("%lu/udp", port);
	return NULL;
}

/* EXPOSE is advisory: keys -P cannot publish are left out, never a
 * reason to refuse the image. */
static int parse_exposed_ports(json_t *rc, struct oci_image_config *c, struct error *e)
{
	const char *key;
	json_t *ports, *v;

	if (get_member(rc, "config", "ExposedPorts", JSON_OBJECT, NULLABLE, &ports, e) < 0)
		return -EBADMSG;
	if (!ports)
		return 0;
	if (json_object_size(ports) > OCI_STRV_MAX)
		return error_set(e, EBADMSG, "config.ExposedPorts: more than %d entries",
				 OCI_STRV_MAX);
	c->exposed_ports = xcalloc(json_object_size(ports) + 1, sizeof(char *));
	json_object_foreach(ports, key, v) {
		char *p = exposed_port(key);
		if (p)
			c->exposed_ports[c->nexposed_ports++] = p;
	}
	return 0;
}

/* The "config" object: how to run the image. */
static int parse_run_config(json_t *root, struct oci_image_config *c, struct error *e)
{
	json_t *rc;

	if (get_member(root, "", "config", JSON_OBJECT, NULLABLE, &rc, e) < 0)
		return -EBADMSG;
	if (!rc)
		return 0;
	if (dup_string(rc, "config", "User", TEXT, OCI_PATH_MAX, &c->user, e) < 0 ||
	    dup_string(rc, "config", "WorkingDir", TEXT, OCI_PATH_MAX, &c->working_dir, e) < 0 ||
	    dup_string(rc, "config", "StopSignal", TEXT, OCI_SIGNAL_MAX, &c->stop_signal, e) < 0 ||
	    get_strv(rc, "config", "Env", NULLABLE, OCI_STRV_MAX, OCI_STRING_MAX, check_env,
		     &c->env, &c->nenv, NULL, e) < 0 ||
	    get_strv(rc, "config", "Entrypoint", NULLABLE, OCI_STRV_MAX, OCI_STRING_MAX, NULL,
		     &c->entrypoint, &c->nentrypoint, &c->has_entrypoint, e) < 0 ||
	    get_strv(rc, "config", "Cmd", NULLABLE, OCI_STRV_MAX, OCI_STRING_MAX, NULL, &c->cmd,
		     &c->ncmd, &c->has_cmd, e) < 0 ||
	    parse_exposed_ports(rc, c, e) < 0)
		return -EBADMSG;
	return 0;
}

static int parse_config(json_t *root, struct oci_image_config *c, struct error *e)
{
	char name[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *s;
	json_t *rootfs;

	if (copy_string(root, "", "architecture", REQUIRED, c->architecture,
			sizeof(c->architecture), e) < 0 ||
	    check_platform_field(c->architecture, "architecture", e) < 0 ||
	    copy_string(root, "", "os", REQUIRED, c->os, sizeof(c->os), e) < 0 ||
	    check_platform_field(c->os, "os", e) < 0 ||
	    copy_string(root, "", "created", NULLABLE, c->created, sizeof(c->created), e) < 0 ||
	    check_created(c->created, "created", e) < 0 || parse_run_config(root, c, e) < 0)
		return -EBADMSG;
	if (get_member(root, "", "rootfs", JSON_OBJECT, REQUIRED, &rootfs, e) < 0 ||
	    get_string(rootfs, "rootfs", "type", REQUIRED, OCI_STRING_MAX, &s, e) < 0)
		return -EBADMSG;
	if (strcmp(s, "layers") != 0)
		return error_set(e, EBADMSG, "%s: %s is not \"layers\"",
				 error_field(name, "rootfs", "type"), error_quote(q, sizeof(q), s));
	return get_strv(rootfs, "rootfs", "diff_ids", REQUIRED, OCI_LAYERS_MAX, OCI_STRING_MAX,
			check_digest, &c->diff_ids, &c->ndiff_ids, NULL, e);
}

int oci_config_parse(const char *json, size_t len, struct oci_image_config *ret, struct error *e)
{
	json_auto_t *root = load(json, len, JSON_OBJECT, e);
	struct oci_image_config c = {0};

	if (!root || parse_config(root, &c, e) < 0) {
		oci_config_free(&c);
		return error_prefix(e, "image config");
	}
	c.raw = xmalloc(len + 1);
	memcpy(c.raw, json, len);
	c.raw[len] = '\0';
	c.raw_len = len;
	*ret = c;
	return 0;
}

/* --- docker save ----------------------------------------------------------- */

void docker_save_manifest_free(struct docker_save_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].config);
		strv_free(v[i].repo_tags, v[i].nrepo_tags);
		strv_free(v[i].layers, v[i].nlayers);
	}
	free(v);
}

static int parse_save_entry(json_t *obj, const char *where, struct docker_save_entry *d,
			    struct error *e)
{
	char name[ERROR_FIELD_MAX];

	if (!json_is_object(obj))
		return error_set(e, EBADMSG, "%s: not an object", where);
	if (dup_string(obj, where, "Config", REQUIRED, OCI_PATH_MAX, &d->config, e) < 0 ||
	    check_tar_path(d->config, error_field(name, where, "Config"), e) < 0 ||
	    get_strv(obj, where, "RepoTags", NULLABLE | TEXT, OCI_MANIFESTS_MAX, OCI_TAG_MAX, NULL,
		     &d->repo_tags, &d->nrepo_tags, NULL, e) < 0 ||
	    get_strv(obj, where, "Layers", REQUIRED, OCI_LAYERS_MAX, OCI_PATH_MAX, check_tar_path,
		     &d->layers, &d->nlayers, NULL, e) < 0)
		return -EBADMSG;
	return 0;
}

static int parse_save_manifest(json_t *root, struct docker_save_entry **ret, size_t *ret_n,
			       struct error *e)
{
	size_t n = json_array_size(root), i;
	char name[ERROR_FIELD_MAX];

	if (n == 0)
		return error_set(e, EBADMSG, "no images");
	if (n > OCI_MANIFESTS_MAX)
		return error_set(e, EBADMSG, "more than %d images", OCI_MANIFESTS_MAX);
	*ret = xcalloc(n, sizeof(**ret));
	*ret_n = n;
	for (i = 0; i < n; i++)
		if (parse_save_entry(json_array_get(root, i), error_element(name, "", i), &(*ret)[i], e) <
		    0)
			return -EBADMSG;
	return 0;
}

int docker_save_manifest_parse(const char *json, size_t len, struct docker_save_entry **ret,
			       size_t *ret_n, struct error *e)
{
	json_auto_t *root = load(json, len, JSON_ARRAY, e);
	struct docker_save_entry *v = NULL;
	size_t n = 0;

	if (!root || parse_save_manifest(root, &v, &n, e) < 0) {
		docker_save_manifest_free(v, n);
		return error_prefix(e, "manifest.json");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* --- media types ------------------------------------------------------------ */

bool oci_layer_media_type_supported(const char *media_type)
{
	static const char *const ok[] = {
	    OCI_MT_LAYER_TAR,
	    OCI_MT_LAYER_GZIP,
	    OCI_MT_LAYER_ZSTD,
	    OCI_MT_DOCKER_LAYER_GZIP,
	};

	for (size_t i = 0; media_type && i < sizeof(ok) / sizeof(*ok); i++)
		if (strcmp(media_type, ok[i]) == 0)
			return true;
	return false;
}

bool oci_config_media_type_supported(const char *media_type)
{
	return media_type && (strcmp(media_type, OCI_MT_CONFIG) == 0 ||
			      strcmp(media_type, OCI_MT_DOCKER_CONFIG) == 0);
}

/* --- writing ------------------------------------------------------------------ */

/* Docker's names for the same bytes, as OCI calls them. */
static const char *oci_name(const char *media_type)
{
	static const char *const map[][2] = {
	    {OCI_MT_DOCKER_CONFIG, OCI_MT_CONFIG},
	    {OCI_MT_DOCKER_LAYER_GZIP, OCI_MT_LAYER_GZIP},
	    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	     "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (strcmp(media_type, map[i][0]) == 0)
			return map[i][1];
	return media_type;
}

static json_t *format_descriptor(const struct oci_descriptor *d, const char *media_type)
{
	json_t *o = json_pack("{sssssI}", "mediaType", media_type, "digest", d->digest, "size",
			      (json_int_t)d->size);

	if (o && (d->os[0] || d->architecture[0])) {
		json_t *p = json_pack("{ssss}", "architecture", d->architecture, "os", d->os);

		if (p && d->variant[0] &&
		    json_object_set_new(p, "variant", json_string(d->variant)) < 0) {
			json_decref(p);
			p = NULL;
		}
		if (json_object_set_new(o, "platform", p) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	if (o && (d->ref_name[0] || d->image_name[0])) {
		/* json_string refuses what is not UTF-8: then nothing is written. */
		json_t *ann = json_object();
		if (!ann ||
		    (d->ref_name[0] &&
		     json_object_set_new(ann, ANNOTATION_REF_NAME, json_string(d->ref_name)) < 0) ||
		    (d->image_name[0] &&
		     json_object_set_new(ann, ANNOTATION_IMAGE_NAME, json_string(d->image_name)) < 0)) {
			json_decref(ann);
			json_decref(o);
			return NULL;
		}
		if (json_object_set_new(o, "annotations", ann) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static char *dump(json_t *root, size_t *ret_len)
{
	char *s = json_dumps(root, JSON_COMPACT);

	if (s && ret_len)
		*ret_len = strlen(s);
	return s;
}

/* Docker's media types translated to OCI's with oci_names. */
static json_t *format_descriptors(const struct oci_descriptor *v, size_t n, bool oci_names)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		const char *mt = oci_names ? oci_name(v[i].media_type) : v[i].media_type;

		if (json_array_append_new(a, format_descriptor(&v[i], mt)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* json_object_set_new() takes NULL values (and fails): so a document is
 * built one member at a time, where json_pack() would leak on failure. */
char *oci_manifest_format(const struct oci_manifest *m, size_t *ret_len)
{
	json_auto_t *root = json_pack("{siss}", "schemaVersion", 2, "mediaType", OCI_MT_MANIFEST);

	if (!root ||
	    json_object_set_new(root, "config",
				format_descriptor(&m->config, oci_name(m->config.media_type))) <
		0 ||
	    json_object_set_new(root, "layers", format_descriptors(m->layers, m->nlayers, true)) <
		0)
		return NULL;
	return dump(root, ret_len);
}

char *oci_index_format(const struct oci_index *x, size_t *ret_len)
{
	json_auto_t *root = json_pack("{siss}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX);

	if (!root ||
	    json_object_set_new(root, "manifests",
				format_descriptors(x->manifests, x->nmanifests, false)) < 0)
		return NULL;
	return dump(root, ret_len);
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

char *docker_save_manifest_format(const struct docker_save_entry *v, size_t n, size_t *ret_len)
{
	json_auto_t *root = json_array();

	for (size_t i = 0; root && i < n; i++) {
		json_t *o = json_object();

		if (json_array_append_new(root, o) < 0 ||
		    json_object_set_new(o, "Config", json_string(v[i].config)) < 0 ||
		    json_object_set_new(o, "RepoTags",
					v[i].nrepo_tags ? strv_json(v[i].repo_tags, v[i].nrepo_tags)
							: json_null()) < 0 ||
		    json_object_set_new(o, "Layers", strv_json(v[i].layers, v[i].nlayers)) < 0)
			return NULL;
	}
	return root ? dump(root, ret_len) : NULL;
}
