/* image/oci-json: manifests, indexes, configs and docker save's
 * manifest.json, as registries and tar files hand them to us. Real-world
 * shapes must parse; every malformed document must be an error whose
 * message says what is wrong and where. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci-json.h"

#define HEX_CONFIG "23f25f195315e1491be8cfbc1aabd13024ab94388f117e88805f5273bb50a42f"
#define HEX_LAYER1 "77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
#define HEX_LAYER2 "95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"
#define HEX_DCONFIG "75671a5d9b7973affa2f4b72457682940795daf7b761ca22364a7b05d364c036"
#define HEX_DLAYER "aa139f81b9c59e0184dc171cf57baa33ca7009fa2fdca994a7bc319f4562e18d"
#define HEX_AMD64 "5861314d7fccb39c2192173240eab44fa35ca66426201ca2acd0630a6258dd51"
#define HEX_ARM64 "f69162950f235e3cdbbad33f1f912d1a504be90d8a37d002c735d6f3e3882265"
#define HEX_ATT "f745a15153c4dacf0ea4bbf57265e73283941f8335939b33c693975315cf5916"
#define HEX_DIFF1 "0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665"
#define HEX_DIFF2 "a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9"

/* --- samples, shaped like what registries and docker serve ------------------ */

static const char oci_manifest[] =
    "{\n"
    "  \"schemaVersion\": 2,\n"
    "  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
    "  \"config\": {\n"
    "    \"mediaType\": \"application/vnd.oci.image.config.v1+json\",\n"
    "    \"digest\": \"sha256:" HEX_CONFIG "\",\n"
    "    \"size\": 1472\n"
    "  },\n"
    "  \"layers\": [\n"
    "    {\n"
    "      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n"
    "      \"digest\": \"sha256:" HEX_LAYER1 "\",\n"
    "      \"size\": 3408729\n"
    "    },\n"
    "    {\n"
    "      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n"
    "      \"digest\": \"sha256:" HEX_LAYER2 "\",\n"
    "      \"size\": 32\n"
    "    }\n"
    "  ],\n"
    "  \"annotations\": {\n"
    "    \"org.opencontainers.image.created\": \"2024-01-27T00:30:56Z\",\n"
    "    \"org.opencontainers.image.source\": \"https://example.org/alpine\"\n"
    "  }\n"
    "}\n";

static const char docker_manifest[] =
    "{\n"
    "   \"schemaVersion\": 2,\n"
    "   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
    "   \"config\": {\n"
    "      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n"
    "      \"size\": 1457,\n"
    "      \"digest\": \"sha256:" HEX_DCONFIG "\"\n"
    "   },\n"
    "   \"layers\": [\n"
    "      {\n"
    "         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
    "         \"size\": 2152262,\n"
    "         \"digest\": \"sha256:" HEX_DLAYER "\"\n"
    "      }\n"
    "   ]\n"
    "}";

static const char docker_list[] =
    "{\n"
    "   \"schemaVersion\": 2,\n"
    "   \"mediaType\": \"application/vnd.docker.distribution.manifest.list.v2+json\",\n"
    "   \"manifests\": [\n"
    "      {\n"
    "         \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
    "         \"size\": 528,\n"
    "         \"digest\": \"sha256:" HEX_AMD64 "\",\n"
    "         \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}\n"
    "      },\n"
    "      {\n"
    "         \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
    "         \"size\": 528,\n"
    "         \"digest\": \"sha256:" HEX_ARM64 "\",\n"
    "         \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": "
    "\"v8\"}\n"
    "      },\n"
    "      {\n"
    "         \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
    "         \"size\": 566,\n"
    "         \"digest\": \"sha256:" HEX_ATT "\",\n"
    "         \"platform\": {\"architecture\": \"unknown\", \"os\": \"unknown\"}\n"
    "      }\n"
    "   ]\n"
    "}\n";

static const char oci_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
    "\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"digest\":\"sha256:" HEX_AMD64 "\",\"size\":1022,"
    "\"annotations\":{\"org.opencontainers.image.ref.name\":\"3.19\"},"
    "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"digest\":\"sha256:" HEX_ARM64 "\",\"size\":1022,"
    "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"digest\":\"sha256:" HEX_ATT "\",\"size\":839,"
    "\"annotations\":{\"vnd.docker.reference.digest\":\"sha256:" HEX_AMD64 "\","
    "\"vnd.docker.reference.type\":\"attestation-manifest\"},"
    "\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}]}";

/* As docker's registry serves alpine's: Entrypoint null, User and
 * WorkingDir empty, and fields we have no use for. */
static const char alpine_config[] =
    "{\"architecture\":\"amd64\",\"config\":{\"Hostname\":\"\",\"Domainname\":\"\","
    "\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,"
    "\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,"
    "\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],"
    "\"Cmd\":[\"/bin/sh\"],\"Image\":\"sha256:" HEX_DIFF2 "\",\"Volumes\":null,"
    "\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":null},"
    "\"container\":\"3b6ad4b6e4a5bd8bd2d2e21dcb8a0e8b8ae22ad9e6e1f4b5c8f6a1f1bbd4b9a1\","
    "\"created\":\"2024-01-27T00:30:56.150425175Z\",\"docker_version\":\"20.10.23\","
    "\"history\":[{\"created\":\"2024-01-27T00:30:56.000000000Z\","
    "\"created_by\":\"/bin/sh -c #(nop) ADD file:37a76ec18f9887751cd8473744917d08b7431fc4085097b"
    "b6a09d81b41775473 in / \"},"
    "{\"created\":\"2024-01-27T00:30:56.150425175Z\","
    "\"created_by\":\"/bin/sh -c #(nop)  CMD [\\\"/bin/sh\\\"]\",\"empty_layer\":true}],"
    "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
    "\"diff_ids\":[\"sha256:" HEX_DIFF1 "\"]}}";

/* A config with everything we read. */
static const char full_config[] =
    "{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\","
    "\"config\":{\"User\":\"nginx:nginx\",\"Env\":[\"PATH=/usr/bin:/bin\",\"EMPTY=\","
    "\"NGINX_VERSION=1.25.3\"],\"Entrypoint\":[\"/docker-entrypoint.sh\"],"
    "\"Cmd\":[\"nginx\",\"-g\",\"daemon off;\"],\"WorkingDir\":\"/usr/share/nginx\","
    "\"StopSignal\":\"SIGQUIT\",\"ExposedPorts\":{\"80/tcp\":{}}},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" HEX_DIFF1 "\","
    "\"sha256:" HEX_DIFF2 "\"]}}";

/* docker save, as docker 25 writes it (OCI layout paths) and as older
 * versions did. */
static const char save_manifest[] =
    "[{\"Config\":\"blobs/sha256/" HEX_CONFIG "\",\"RepoTags\":[\"alpine:3.19\","
    "\"alpine:latest\"],\"Layers\":[\"blobs/sha256/" HEX_DIFF1 "\"],"
    "\"LayerSources\":{\"sha256:" HEX_DIFF1 "\":{\"mediaType\":"
    "\"application/vnd.oci.image.layer.v1.tar\",\"size\":7629824,\"digest\":\"sha256:" HEX_DIFF1
    "\"}}},"
    "{\"Config\":\"" HEX_DCONFIG ".json\",\"RepoTags\":null,"
    "\"Layers\":[\"" HEX_LAYER1 "/layer.tar\",\"" HEX_LAYER2 "/layer.tar\"]}]\n";

/* --- helpers ---------------------------------------------------------------- */

enum parser {
	MANIFEST,
	INDEX,
	CONFIG,
	SAVE,
	DETECT,
};

static const char *const parser_names[] = {"manifest", "index", "config", "save", "detect"};

/* Parses from an exact-size copy (reading past len is caught by the
 * sanitizers) and frees what was parsed. */
static int run(enum parser p, const char *json, size_t len, struct error *e)
{
	char *copy = malloc(len ? len : 1);
	struct oci_manifest m;
	struct oci_index x;
	struct oci_image_config c;
	struct docker_save_entry *v;
	enum oci_kind kind;
	size_t n;
	int r = -1;

	assert_non_null(copy);
	memcpy(copy, json, len);
	switch (p) {
	case MANIFEST:
		if ((r = oci_manifest_parse(copy, len, &m, e)) == 0)
			oci_manifest_free(&m);
		break;
	case INDEX:
		if ((r = oci_index_parse(copy, len, &x, e)) == 0)
			oci_index_free(&x);
		break;
	case CONFIG:
		if ((r = oci_config_parse(copy, len, &c, e)) == 0)
			oci_config_free(&c);
		break;
	case SAVE:
		if ((r = docker_save_manifest_parse(copy, len, &v, &n, e)) == 0)
			docker_save_manifest_free(v, n);
		break;
	case DETECT:
		r = oci_detect_kind(copy, len, NULL, &kind, e);
		break;
	}
	free(copy);
	return r;
}

static void ok(enum parser p, const char *json)
{
	struct error e = {0};

	if (run(p, json, strlen(json), &e) != 0)
		fail_msg("%s %s: %s, expected success", parser_names[p], json, e.msg);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* Rejected with errno `code` and, if msg is not NULL, exactly that message. */
static void bad_n(enum parser p, const char *json, size_t len, int code, const char *msg)
{
	struct error e = {0};
	int r = run(p, json, len, &e);

	if (r != -code || e.code != code)
		fail_msg("%s %.200s: %d (%s), expected %d", parser_names[p], json, r, e.msg, -code);
	if (!e.msg[0] || !printable(e.msg))
		fail_msg("%s %.200s: bad message \"%s\"", parser_names[p], json, e.msg);
	if (msg && strcmp(e.msg, msg) != 0)
		fail_msg("%s %.200s:\n got  \"%s\"\n want \"%s\"", parser_names[p], json, e.msg,
			 msg);
}

static void bad(enum parser p, const char *json, int code, const char *msg)
{
	bad_n(p, json, strlen(json), code, msg);
}

/* printf into a buffer the test frees. */
__attribute__((format(printf, 1, 2))) static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, f);
	r = vasprintf(&s, f, ap);
	va_end(ap);
	assert_true(r >= 0);
	return s;
}

/* A manifest whose one layer descriptor is `layer`. */
static char *manifest_with_layer(const char *layer)
{
	return fmt("{\"schemaVersion\":2,\"config\":{\"mediaType\":"
		   "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" HEX_CONFIG
		   "\",\"size\":7},\"layers\":[%s]}",
		   layer);
}

static char *layer_with(const char *digest, const char *size)
{
	return fmt("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
		   "\"digest\":\"%s\",\"size\":%s}",
		   digest, size);
}

static void bad_layer(const char *digest, const char *size, int code, const char *msg)
{
	char *layer = layer_with(digest, size), *m = manifest_with_layer(layer);

	bad(MANIFEST, m, code, msg);
	free(m);
	free(layer);
}

static void ok_layer(const char *digest, const char *size)
{
	char *layer = layer_with(digest, size), *m = manifest_with_layer(layer);

	ok(MANIFEST, m);
	free(m);
	free(layer);
}

/* An index whose one entry has this platform object. */
static char *index_with_platform(const char *platform)
{
	return fmt("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
		   "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" HEX_AMD64
		   "\",\"size\":7,\"platform\":%s}]}",
		   platform);
}

/* A config whose "config" object is `run` and whose rootfs is `rootfs`. */
static char *config_with(const char *run_config, const char *rootfs)
{
	return fmt("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":%s,\"rootfs\":%s}",
		   run_config, rootfs);
}

#define ROOTFS_OK "{\"type\":\"layers\",\"diff_ids\":[\"sha256:" HEX_DIFF1 "\"]}"

static void bad_run_config(const char *run_config, int code, const char *msg)
{
	char *c = config_with(run_config, ROOTFS_OK);

	bad(CONFIG, c, code, msg);
	free(c);
}

static void ok_run_config(const char *run_config)
{
	char *c = config_with(run_config, ROOTFS_OK);

	ok(CONFIG, c);
	free(c);
}

static void bad_rootfs(const char *rootfs, const char *msg)
{
	char *c = config_with("{}", rootfs);

	bad(CONFIG, c, msg && strstr(msg, "unsupported") ? EOPNOTSUPP : EBADMSG, msg);
	free(c);
}

/* A `count`-entry JSON array of `item`, comma-separated. */
static char *repeat(const char *item, size_t count)
{
	size_t len = strlen(item);
	char *s = malloc(count * (len + 1) + 3), *p = s;

	assert_non_null(s);
	*p++ = '[';
	for (size_t i = 0; i < count; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, item, len);
		p += len;
	}
	*p++ = ']';
	*p = '\0';
	return s;
}

/* --- manifests -------------------------------------------------------------- */

static void test_manifest_oci(void **state)
{
	struct oci_manifest m;
	struct error e = {0};

	assert_int_equal(oci_manifest_parse(oci_manifest, sizeof(oci_manifest) - 1, &m, &e), 0);
	assert_string_equal(m.media_type, OCI_MT_MANIFEST);
	assert_string_equal(m.config.media_type, OCI_MT_CONFIG);
	assert_string_equal(m.config.digest, "sha256:" HEX_CONFIG);
	assert_int_equal(m.config.size, 1472);
	assert_int_equal(m.nlayers, 2);
	assert_string_equal(m.layers[0].media_type, OCI_MT_LAYER_GZIP);
	assert_string_equal(m.layers[0].digest, "sha256:" HEX_LAYER1);
	assert_int_equal(m.layers[0].size, 3408729);
	assert_string_equal(m.layers[1].digest, "sha256:" HEX_LAYER2);
	assert_int_equal(m.layers[1].size, 32);
	assert_string_equal(m.layers[1].os, "");
	assert_string_equal(m.layers[1].ref_name, "");
	assert_true(oci_config_media_type_supported(m.config.media_type));
	assert_true(oci_layer_media_type_supported(m.layers[0].media_type));
	oci_manifest_free(&m);
	assert_null(m.layers);
	assert_int_equal(m.nlayers, 0);
	oci_manifest_free(&m); /* twice is harmless */
}

static void test_manifest_docker(void **state)
{
	struct oci_manifest m;
	struct error e = {0};

	assert_int_equal(oci_manifest_parse(docker_manifest, strlen(docker_manifest), &m, &e), 0);
	assert_string_equal(m.media_type, OCI_MT_DOCKER_MANIFEST);
	assert_string_equal(m.config.media_type, OCI_MT_DOCKER_CONFIG);
	assert_string_equal(m.config.digest, "sha256:" HEX_DCONFIG);
	assert_int_equal(m.config.size, 1457);
	assert_int_equal(m.nlayers, 1);
	assert_string_equal(m.layers[0].media_type, OCI_MT_DOCKER_LAYER_GZIP);
	assert_int_equal(m.layers[0].size, 2152262);
	assert_true(oci_config_media_type_supported(m.config.media_type));
	assert_true(oci_layer_media_type_supported(m.layers[0].media_type));
	oci_manifest_free(&m);
}

/* OCI's mediaType is optional; zero layers is a config-only image. */
static void test_manifest_minimal(void **state)
{
	static const char json[] = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/"
				   "vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" HEX_CONFIG
				   "\",\"size\":0},\"layers\":[]}";
	struct oci_manifest m;
	struct error e = {0};

	assert_int_equal(oci_manifest_parse(json, strlen(json), &m, &e), 0);
	assert_string_equal(m.media_type, OCI_MT_MANIFEST);
	assert_int_equal(m.nlayers, 0);
	assert_int_equal(m.config.size, 0);
	oci_manifest_free(&m);
}

static void test_manifest_structure(void **state)
{
	static const char config[] =
	    "{\"mediaType\":\"application/"
	    "vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" HEX_CONFIG "\",\"size\":7}";
	char *s;

	bad(MANIFEST, "[]", EBADMSG, "manifest: not a JSON object");
	bad(MANIFEST, "", EBADMSG, NULL);
	bad(MANIFEST, "{\"schemaVersion\":2,\"layers\":[]}", EBADMSG, "manifest: config: missing");
	bad(MANIFEST, "{\"schemaVersion\":2,\"config\":[],\"layers\":[]}", EBADMSG,
	    "manifest: config: not an object");
	s = fmt("{\"schemaVersion\":2,\"config\":%s}", config);
	bad(MANIFEST, s, EBADMSG, "manifest: layers: missing");
	free(s);
	s = fmt("{\"schemaVersion\":2,\"config\":%s,\"layers\":{}}", config);
	bad(MANIFEST, s, EBADMSG, "manifest: layers: not an array");
	free(s);
	s = fmt("{\"schemaVersion\":2,\"config\":%s,\"layers\":[%s,\"x\"]}", config, config);
	bad(MANIFEST, s, EBADMSG, "manifest: layers[1]: not an object");
	free(s);
	s = fmt("{\"schemaVersion\":2,\"config\":%s,\"layers\":[{\"digest\":\"sha256:" HEX_LAYER1
		"\",\"size\":1}]}",
		config);
	bad(MANIFEST, s, EBADMSG, "manifest: layers[0].mediaType: missing");
	free(s);
	s = fmt("{\"schemaVersion\":2,\"config\":%s,\"layers\":[{\"mediaType\":\"a/b\","
		"\"size\":1}]}",
		config);
	bad(MANIFEST, s, EBADMSG, "manifest: layers[0].digest: missing");
	free(s);
	s = fmt("{\"schemaVersion\":2,\"config\":%s,\"layers\":[{\"mediaType\":\"a/b\","
		"\"digest\":\"sha256:" HEX_LAYER1 "\"}]}",
		config);
	bad(MANIFEST, s, EBADMSG, "manifest: layers[0].size: missing");
	free(s);
	/* An index's field makes the document ambiguous. */
	s = fmt("{\"schemaVersion\":2,\"config\":%s,\"layers\":[],\"manifests\":[]}", config);
	bad(MANIFEST, s, EBADMSG, "manifest: has \"manifests\", as an index has");
	free(s);
	/* Fields we do not use are ignored, whatever their type. */
	s = fmt("{\"schemaVersion\":2,\"config\":%s,\"layers\":[],\"subject\":7,"
		"\"annotations\":{\"a\":\"b\"},\"artifactType\":null}",
		config);
	ok(MANIFEST, s);
	free(s);
}

static void test_manifest_media_type(void **state)
{
	bad(MANIFEST,
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\"}",
	    EBADMSG,
	    "manifest: mediaType: \"application/vnd.oci.image.index.v1+json\" is not an image "
	    "manifest");
	bad(MANIFEST, "{\"schemaVersion\":2,\"mediaType\":7}", EBADMSG,
	    "manifest: mediaType: not a string");
	bad(MANIFEST,
	    "{\"schemaVersion\":2,\"mediaType\":"
	    "\"application/vnd.docker.distribution.manifest.v1+prettyjws\"}",
	    EOPNOTSUPP, "manifest: schema 1 manifests are not supported");
	bad(MANIFEST,
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\"}",
	    EBADMSG,
	    "manifest: mediaType: \"application/vnd.oci.artifact.manifest.v1+json\" is not an "
	    "image manifest");
}

static void test_schema_version(void **state)
{
	static const enum parser parsers[] = {MANIFEST, INDEX};

	for (size_t i = 0; i < 2; i++) {
		const char *what = parsers[i] == MANIFEST ? "manifest" : "index";
		char want[128];

		snprintf(want, sizeof(want), "%s: schemaVersion: missing", what);
		bad(parsers[i], "{}", EBADMSG, want);
		snprintf(want, sizeof(want), "%s: schemaVersion: not an integer", what);
		bad(parsers[i], "{\"schemaVersion\":\"2\"}", EBADMSG, want);
		bad(parsers[i], "{\"schemaVersion\":2.0}", EBADMSG, want);
		snprintf(want, sizeof(want), "%s: schema 1 manifests are not supported", what);
		bad(parsers[i], "{\"schemaVersion\":1,\"name\":\"library/alpine\",\"fsLayers\":[]}",
		    EOPNOTSUPP, want);
		snprintf(want, sizeof(want), "%s: schemaVersion: unsupported version 3", what);
		bad(parsers[i], "{\"schemaVersion\":3}", EOPNOTSUPP, want);
	}
}

static void test_digests(void **state)
{
	char *m = manifest_with_layer(
	    "{\"mediaType\":\"a/b\",\"digest\":\"sha256:" HEX_LAYER1 "\",\"size\":1},"
	    "{\"mediaType\":\"a/b\",\"digest\":\"sha256:" HEX_LAYER1 "\",\"size\":1},"
	    "{\"mediaType\":\"a/b\",\"digest\":\"sha256:" HEX_LAYER1 "\",\"size\":1},"
	    "{\"mediaType\":\"a/b\",\"digest\":\"sha256:zz\",\"size\":1}");

	/* The message names the document, the field and the value. */
	bad(MANIFEST, m, EBADMSG, "manifest: layers[3].digest: invalid digest \"sha256:zz\"");
	free(m);
	ok_layer("sha256:" HEX_LAYER1, "1");
	bad_layer("sha256:77EA7EEE3D80B1A38F83906DD3048E2689457EB90E18A7D12F839C5AE37106A2", "1",
		  EBADMSG,
		  "manifest: layers[0].digest: invalid digest "
		  "\"sha256:77EA7EEE3D80B1A38F83906DD3048E2689457EB90E18A7D12F839C5AE37106A2\"");
	bad_layer("sha256:" HEX_LAYER1 "0", "1", EBADMSG, NULL);
	bad_layer("sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a", "1",
		  EBADMSG, NULL);
	bad_layer("sha256:", "1", EBADMSG,
		  "manifest: layers[0].digest: invalid digest \"sha256:\"");
	bad_layer(HEX_LAYER1, "1", EBADMSG, NULL);
	bad_layer("", "1", EBADMSG, "manifest: layers[0].digest: invalid digest \"\"");
	bad_layer("sha256:" HEX_LAYER1 "\\n", "1", EBADMSG, NULL);
	bad_layer("SHA256:" HEX_LAYER1, "1", EBADMSG, NULL);
	bad_layer(":" HEX_LAYER1, "1", EBADMSG, NULL);
	/* Other algorithms are well-formed, just not supported. */
	bad_layer(
	    "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d"
	    "85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
	    "1", EOPNOTSUPP, "manifest: layers[0].digest: unsupported digest algorithm \"sha512\"");
	bad_layer("blake3:abcd", "1", EOPNOTSUPP,
		  "manifest: layers[0].digest: unsupported digest algorithm \"blake3\"");
	bad_layer("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", "1", EOPNOTSUPP, NULL);
	/* Control characters from the input never reach the message. */
	bad_layer("\\u001b[2J:x", "1", EBADMSG,
		  "manifest: layers[0].digest: invalid digest \"?[2J:x\"");
	bad_layer("7", "1", EBADMSG, NULL);
}

static void test_sizes(void **state)
{
	ok_layer("sha256:" HEX_LAYER1, "0");
	ok_layer("sha256:" HEX_LAYER1, "68719476736"); /* 64 GiB */
	bad_layer("sha256:" HEX_LAYER1, "68719476737", EBADMSG,
		  "manifest: layers[0].size: 68719476737 is out of range [0, 68719476736]");
	bad_layer("sha256:" HEX_LAYER1, "-1", EBADMSG,
		  "manifest: layers[0].size: -1 is out of range [0, 68719476736]");
	bad_layer("sha256:" HEX_LAYER1, "1.5", EBADMSG, "manifest: layers[0].size: not an integer");
	bad_layer("sha256:" HEX_LAYER1, "1e3", EBADMSG, NULL);
	bad_layer("sha256:" HEX_LAYER1, "\"12\"", EBADMSG, NULL);
	bad_layer("sha256:" HEX_LAYER1, "null", EBADMSG, NULL);
	bad_layer("sha256:" HEX_LAYER1, "99999999999999999999", EBADMSG, NULL);
}

static void test_media_type_syntax(void **state)
{
	char *long_type = fmt("application/%0124d", 0), *layer, *m;

	/* 127 bytes fit; 128 do not. */
	assert_int_equal(strlen(long_type), 136);
	long_type[127] = '\0';
	layer = fmt("{\"mediaType\":\"%s\",\"digest\":\"sha256:" HEX_LAYER1 "\",\"size\":1}",
		    long_type);
	m = manifest_with_layer(layer);
	ok(MANIFEST, m);
	free(m);
	free(layer);
	long_type[127] = '0';
	long_type[128] = '\0';
	layer = fmt("{\"mediaType\":\"%s\",\"digest\":\"sha256:" HEX_LAYER1 "\",\"size\":1}",
		    long_type);
	m = manifest_with_layer(layer);
	bad(MANIFEST, m, EBADMSG, NULL);
	free(m);
	free(layer);
	free(long_type);

	static const char *const invalid[] = {
	    "",
	    "application",
	    "application/",
	    "/json",
	    "text plain/x",
	    "application/vnd.oci.image.layer.v1.tar+gzip; charset=utf-8",
	    "a/b/c",
	    "application/\\u00e9",
	    "-a/b",
	};
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++) {
		layer =
		    fmt("{\"mediaType\":\"%s\",\"digest\":\"sha256:" HEX_LAYER1 "\",\"size\":1}",
			invalid[i]);
		m = manifest_with_layer(layer);
		bad(MANIFEST, m, EBADMSG, NULL);
		free(m);
		free(layer);
	}
	bad(MANIFEST,
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"text "
	    "plain\",\"digest\":\"sha256:" HEX_CONFIG "\",\"size\":7},\"layers\":[]}",
	    EBADMSG, "manifest: config.mediaType: invalid media type \"text plain\"");
}

static void test_layers_bound(void **state)
{
	static const char layer[] =
	    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
	    "\"digest\":\"sha256:" HEX_LAYER1 "\",\"size\":1}";
	char *layers = repeat(layer, OCI_LAYERS_MAX), *m;

	/* manifest_with_layer puts its argument inside [ ]: strip ours. */
	layers[strlen(layers) - 1] = '\0';
	m = manifest_with_layer(layers + 1);
	ok(MANIFEST, m);
	free(m);
	free(layers);
	layers = repeat(layer, OCI_LAYERS_MAX + 1);
	layers[strlen(layers) - 1] = '\0';
	m = manifest_with_layer(layers + 1);
	bad(MANIFEST, m, EBADMSG, "manifest: layers: more than 1000 entries");
	free(m);
	free(layers);
}

/* --- documents in general ----------------------------------------------------- */

static void test_document_size(void **state)
{
	static const enum parser parsers[] = {MANIFEST, INDEX, CONFIG, SAVE, DETECT};
	const size_t max = OCI_JSON_MAX;
	char *doc = malloc(max + 2);

	assert_non_null(doc);
	for (size_t i = 0; i < sizeof(parsers) / sizeof(*parsers); i++) {
		/* Exactly at the limit: parsed (and refused for other reasons). */
		memset(doc, ' ', max + 1);
		memcpy(doc, parsers[i] == SAVE ? "[" : "{", 1);
		doc[max - 1] = parsers[i] == SAVE ? ']' : '}';
		{
			struct error e = {0};
			int r = run(parsers[i], doc, max, &e);

			if (parsers[i] == DETECT)
				assert_int_equal(r, 0);
			else
				assert_int_equal(e.code, r == 0 ? 0 : EBADMSG);
		}
		/* One byte more: refused before parsing. */
		doc[max] = parsers[i] == SAVE ? ']' : '}';
		doc[max - 1] = ' ';
		bad_n(parsers[i], doc, max + 1, EFBIG, NULL);
	}
	bad_n(MANIFEST, doc, max + 1, EFBIG,
	      "manifest: document of 4194305 bytes is larger than the limit of 4194304");
	free(doc);
}

static void test_json_errors(void **state)
{
	static const enum parser parsers[] = {MANIFEST, INDEX, CONFIG, DETECT};

	for (size_t i = 0; i < sizeof(parsers) / sizeof(*parsers); i++) {
		enum parser p = parsers[i];

		/* Duplicate keys could be read differently by different tools. */
		bad(p, "{\"schemaVersion\":2,\"schemaVersion\":2}", EBADMSG, NULL);
		bad(p, "{\"a\":{\"b\":1,\"b\":1}}", EBADMSG, NULL);
		/* NUL, escaped or raw; invalid UTF-8; lone surrogates. */
		bad(p, "{\"schemaVersion\":2,\"mediaType\":\"a\\u0000b\"}", EBADMSG, NULL);
		bad_n(p, "{\"schemaVersion\":2,\"x\":\"a\0b\"}", 29, EBADMSG, NULL);
		bad(p, "{\"schemaVersion\":2,\"x\":\"\xff\"}", EBADMSG, NULL);
		bad(p, "{\"schemaVersion\":2,\"x\":\"\xc0\xaf\"}", EBADMSG, NULL);
		bad(p, "{\"schemaVersion\":2,\"x\":\"\\ud800\"}", EBADMSG, NULL);
		bad(p, "{\"schemaVersion\":2", EBADMSG, NULL);
		bad(p, "{\"schemaVersion\":2} {}", EBADMSG, NULL);
		bad(p, "\"manifest\"", EBADMSG, NULL);
		bad(p, "null", EBADMSG, NULL);
	}
	bad(MANIFEST, "{\"schemaVersion\":2,\"schemaVersion\":2}", EBADMSG,
	    "manifest: invalid JSON at byte 34: duplicate object key near '\"schemaVersion\"'");
	/* jansson quotes the input: what is not printable is replaced. */
	bad(MANIFEST, "{\"schemaVersion\":2}\x1b[2J", EBADMSG,
	    "manifest: invalid JSON at byte 20: end of file expected near '?'");
	bad(MANIFEST, "{\"schemaVersion\":\x7f}", EBADMSG,
	    "manifest: invalid JSON at byte 18: invalid token near '?'");
}

/* The length is what counts, not a NUL. */
static void test_uses_len(void **state)
{
	struct oci_manifest m;
	struct error e = {0};
	char buf[sizeof(docker_manifest) + 16];

	memcpy(buf, docker_manifest, strlen(docker_manifest));
	memcpy(buf + strlen(docker_manifest), "garbage garbage", 16);
	assert_int_equal(oci_manifest_parse(buf, strlen(docker_manifest), &m, &e), 0);
	oci_manifest_free(&m);
	assert_int_equal(oci_manifest_parse(buf, strlen(docker_manifest) - 1, &m, &e), -EBADMSG);
}

/* Output parameters are left alone on failure. */
static void test_untouched_on_failure(void **state)
{
	struct oci_manifest m, m0;
	struct oci_index x, x0;
	struct oci_image_config c, c0;
	struct docker_save_entry *v = (void *)&v;
	size_t n = 42;
	enum oci_kind kind = (enum oci_kind)77;
	struct error e = {0};

	memset(&m, 0xaa, sizeof(m));
	memset(&x, 0xaa, sizeof(x));
	memset(&c, 0xaa, sizeof(c));
	m0 = m;
	x0 = x;
	c0 = c;
	/* Fails late, after allocating. */
	assert_true(oci_manifest_parse("{\"schemaVersion\":2,\"config\":{},\"layers\":[]}", 42, &m,
				       &e) < 0);
	assert_true(oci_index_parse(oci_manifest, strlen(oci_manifest), &x, &e) < 0);
	assert_true(oci_config_parse("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
				     "\"Env\":[\"A=1\",\"B\"]},\"rootfs\":{}}",
				     76, &c, &e) < 0);
	assert_true(docker_save_manifest_parse("[{\"Config\":\"a\",\"Layers\":[\"/b\"]}]", 32, &v,
					       &n, &e) < 0);
	assert_true(oci_detect_kind("{\"schemaVersion\":1}", 19, NULL, &kind, &e) < 0);
	assert_memory_equal(&m, &m0, sizeof(m));
	assert_memory_equal(&x, &x0, sizeof(x));
	assert_memory_equal(&c, &c0, sizeof(c));
	assert_ptr_equal(v, (void *)&v);
	assert_int_equal(n, 42);
	assert_int_equal(kind, 77);
}

static void test_free_null(void **state)
{
	struct oci_manifest m = {0};
	struct oci_index x = {0};
	struct oci_image_config c = {0};

	oci_manifest_free(NULL);
	oci_index_free(NULL);
	oci_config_free(NULL);
	docker_save_manifest_free(NULL, 0);
	oci_manifest_free(&m);
	oci_index_free(&x);
	oci_config_free(&c);
}

/* --- indexes ------------------------------------------------------------------ */

static void check_three_platforms(const struct oci_index *x, const char *media_type)
{
	assert_int_equal(x->nmanifests, 3);
	assert_string_equal(x->manifests[0].media_type, media_type);
	assert_string_equal(x->manifests[0].digest, "sha256:" HEX_AMD64);
	assert_string_equal(x->manifests[0].os, "linux");
	assert_string_equal(x->manifests[0].architecture, "amd64");
	assert_string_equal(x->manifests[0].variant, "");
	assert_string_equal(x->manifests[1].digest, "sha256:" HEX_ARM64);
	assert_string_equal(x->manifests[1].architecture, "arm64");
	assert_string_equal(x->manifests[1].variant, "v8");
	assert_string_equal(x->manifests[2].os, "unknown");
	assert_string_equal(x->manifests[2].architecture, "unknown");
	assert_string_equal(x->manifests[2].ref_name, "");
}

static void test_index_docker_list(void **state)
{
	struct oci_index x;
	struct error e = {0};

	assert_int_equal(oci_index_parse(docker_list, strlen(docker_list), &x, &e), 0);
	check_three_platforms(&x, OCI_MT_DOCKER_MANIFEST);
	assert_int_equal(x.manifests[0].size, 528);
	assert_int_equal(x.manifests[2].size, 566);
	oci_index_free(&x);
	assert_null(x.manifests);
}

static void test_index_oci(void **state)
{
	struct oci_index x;
	struct error e = {0};

	assert_int_equal(oci_index_parse(oci_index, strlen(oci_index), &x, &e), 0);
	check_three_platforms(&x, OCI_MT_MANIFEST);
	assert_string_equal(x.manifests[0].ref_name, "3.19");
	assert_int_equal(x.manifests[2].size, 839);
	oci_index_free(&x);
}

/* An image layout's index.json: no mediaType, no platform, a ref name. */
static void test_index_layout(void **state)
{
	static const char json[] =
	    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
	    "vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" HEX_AMD64
	    "\",\"size\":7143,\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/"
	    "alpine:3.19\",\"org.opencontainers.image.ref.name\":\"3.19\"}}]}";
	struct oci_index x;
	struct error e = {0};

	assert_int_equal(oci_index_parse(json, strlen(json), &x, &e), 0);
	assert_int_equal(x.nmanifests, 1);
	assert_string_equal(x.manifests[0].ref_name, "3.19");
	assert_string_equal(x.manifests[0].os, "");
	assert_int_equal(oci_index_select(&x, "linux", "amd64", &e), -ENOENT);
	assert_string_equal(e.msg, "no image for linux/amd64; the index has no platforms");
	oci_index_free(&x);
	/* Empty is allowed: the caller finds nothing in it. */
	ok(INDEX, "{\"schemaVersion\":2,\"manifests\":[]}");
}

static void test_index_bad(void **state)
{
	char *s;

	bad(INDEX, "{\"schemaVersion\":2}", EBADMSG, "index: manifests: missing");
	bad(INDEX, "{\"schemaVersion\":2,\"manifests\":null}", EBADMSG,
	    "index: manifests: not an array");
	bad(INDEX, docker_manifest, EBADMSG,
	    "index: mediaType: \"application/vnd.docker.distribution.manifest.v2+json\" is not an "
	    "index");
	bad(INDEX, "{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}", EBADMSG,
	    "index: has \"config\" or \"layers\", as a manifest has");
	s = index_with_platform("{\"architecture\":\"amd64\"}");
	bad(INDEX, s, EBADMSG, "index: manifests[0].platform.os: missing");
	free(s);
	s = index_with_platform("{\"architecture\":\"amd64\",\"os\":\"linux os\"}");
	bad(INDEX, s, EBADMSG, "index: manifests[0].platform.os: invalid name \"linux os\"");
	free(s);
	s = index_with_platform("{\"architecture\":\"amd64\",\"os\":\"\"}");
	bad(INDEX, s, EBADMSG, "index: manifests[0].platform.os: invalid name \"\"");
	free(s);
	s = index_with_platform("{\"architecture\":\"amd64\",\"os\":\"linux\",\"variant\":"
				"\"v1234567890123456789012345678901\"}");
	bad(INDEX, s, EBADMSG, NULL);
	free(s);
	s = index_with_platform("{\"architecture\":\"\\u001b]0;x\",\"os\":\"linux\"}");
	bad(INDEX, s, EBADMSG, "index: manifests[0].platform.architecture: invalid name \"?]0;x\"");
	free(s);
	s = index_with_platform("\"linux/amd64\"");
	bad(INDEX, s, EBADMSG, "index: manifests[0].platform: not an object");
	free(s);
	/* Windows entries carry more fields: ignored. */
	s = index_with_platform("{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":"
				"\"10.0.17763.5329\",\"os.features\":[\"win32k\"]}");
	ok(INDEX, s);
	free(s);
	s = fmt("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
		"vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" HEX_AMD64
		"\",\"size\":7,\"annotations\":{\"org.opencontainers.image.ref.name\":"
		"\"v1\\u001b[0m\"}}]}");
	bad(INDEX, s, EBADMSG,
	    "index: manifests[0].annotations.org.opencontainers.image.ref.name: contains control "
	    "characters");
	free(s);
	s = fmt("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
		"vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" HEX_AMD64
		"\",\"size\":7,\"annotations\":[]}]}");
	bad(INDEX, s, EBADMSG, "index: manifests[0].annotations: not an object");
	free(s);
}

static void test_index_select(void **state)
{
	struct oci_index x;
	struct error e = {0};

	assert_int_equal(oci_index_parse(docker_list, strlen(docker_list), &x, &e), 0);
	assert_int_equal(oci_index_select(&x, "linux", "amd64", &e), 0);
	assert_int_equal(oci_index_select(&x, "linux", "arm64", &e), 1);
	assert_int_equal(oci_index_select(&x, "linux", "arm64/v8", &e), 1);
	assert_int_equal(oci_index_select(&x, "linux", "amd64/v1", &e), -ENOENT);
	assert_int_equal(oci_index_select(&x, "linux", "riscv64", &e), -ENOENT);
	assert_int_equal(e.code, ENOENT);
	/* The attestation is not a platform a user could ask for. */
	assert_string_equal(
	    e.msg, "no image for linux/riscv64; the index has linux/amd64, linux/arm64/v8");
	assert_int_equal(oci_index_select(&x, "windows", "amd64", &e), -ENOENT);
	oci_index_free(&x);
}

/* arm64 without a variant is v8, arm is v7; only manifests are picked. */
static void test_index_select_variants(void **state)
{
	static const char json[] =
	    "{\"schemaVersion\":2,\"manifests\":["
	    "{\"mediaType\":\"application/"
	    "vnd.oci.image.index.v1+json\",\"digest\":\"sha256:" HEX_ATT
	    "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
	    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
	    "\"sha256:" HEX_ARM64 "\",\"size\":1,\"platform\":{\"os\":\"linux\","
	    "\"architecture\":\"arm\",\"variant\":\"v6\"}},"
	    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
	    "\"sha256:" HEX_ARM64 "\",\"size\":1,\"platform\":{\"os\":\"linux\","
	    "\"architecture\":\"arm\"}},"
	    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
	    "\"sha256:" HEX_ARM64 "\",\"size\":1,\"platform\":{\"os\":\"linux\","
	    "\"architecture\":\"arm64\"}}]}";
	struct oci_index x;
	struct error e = {0};

	assert_int_equal(oci_index_parse(json, strlen(json), &x, &e), 0);
	assert_int_equal(oci_index_select(&x, "linux", "arm64", &e), 3);
	assert_int_equal(oci_index_select(&x, "linux", "arm64/v8", &e), 3);
	assert_int_equal(oci_index_select(&x, "linux", "arm", &e), 1);
	assert_int_equal(oci_index_select(&x, "linux", "arm/v6", &e), 1);
	assert_int_equal(oci_index_select(&x, "linux", "arm/v7", &e), 2);
	assert_int_equal(oci_index_select(&x, "linux", "arm/v5", &e), -ENOENT);
	assert_string_equal(e.msg, "no image for linux/arm/v5; the index has linux/arm64, "
				   "linux/arm/v6, linux/arm, linux/arm64");
	oci_index_free(&x);
}

/* A long list of platforms is cut short, not the message. */
static void test_index_select_many(void **state)
{
	char *entries = repeat("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			       "\"digest\":\"sha256:" HEX_AMD64 "\",\"size\":1,\"platform\":"
			       "{\"os\":\"linux\",\"architecture\":\"s390x\"}}",
			       OCI_MANIFESTS_MAX),
	     *json = fmt("{\"schemaVersion\":2,\"manifests\":%s}", entries);
	struct oci_index x;
	struct error e = {0};
	size_t len;

	assert_int_equal(oci_index_parse(json, strlen(json), &x, &e), 0);
	assert_int_equal(x.nmanifests, OCI_MANIFESTS_MAX);
	assert_int_equal(oci_index_select(&x, "linux", "amd64", &e), -ENOENT);
	len = strlen(e.msg);
	assert_true(len < sizeof(e.msg) - 1);
	assert_memory_equal(e.msg,
			    "no image for linux/amd64; the index has linux/s390x, linux/s390x", 64);
	assert_string_equal(e.msg + len - 16, "linux/s390x, ...");
	oci_index_free(&x);
	free(json);
	free(entries);
	entries = repeat("{\"mediaType\":\"a/b\",\"digest\":\"sha256:" HEX_AMD64 "\",\"size\":1}",
			 OCI_MANIFESTS_MAX + 1);
	json = fmt("{\"schemaVersion\":2,\"manifests\":%s}", entries);
	bad(INDEX, json, EBADMSG, "index: manifests: more than 1000 entries");
	free(json);
	free(entries);
}

/* --- configs -------------------------------------------------------------------- */

static void test_config_alpine(void **state)
{
	struct oci_image_config c;
	struct error e = {0};

	assert_int_equal(oci_config_parse(alpine_config, strlen(alpine_config), &c, &e), 0);
	assert_string_equal(c.architecture, "amd64");
	assert_string_equal(c.os, "linux");
	assert_string_equal(c.user, "");
	assert_string_equal(c.working_dir, "");
	assert_null(c.stop_signal);
	assert_int_equal(c.nenv, 1);
	assert_string_equal(c.env[0],
			    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_false(c.has_entrypoint);
	assert_null(c.entrypoint);
	assert_int_equal(c.nentrypoint, 0);
	assert_true(c.has_cmd);
	assert_int_equal(c.ncmd, 1);
	assert_string_equal(c.cmd[0], "/bin/sh");
	assert_int_equal(c.ndiff_ids, 1);
	assert_string_equal(c.diff_ids[0], "sha256:" HEX_DIFF1);
	assert_string_equal(c.created, "2024-01-27T00:30:56.150425175Z");
	assert_int_equal(c.raw_len, strlen(alpine_config));
	assert_string_equal(c.raw, alpine_config);
	oci_config_free(&c);
	assert_null(c.raw);
}

static void test_config_full(void **state)
{
	struct oci_image_config c;
	struct error e = {0};

	assert_int_equal(oci_config_parse(full_config, strlen(full_config), &c, &e), 0);
	assert_string_equal(c.architecture, "arm64");
	assert_string_equal(c.user, "nginx:nginx");
	assert_string_equal(c.working_dir, "/usr/share/nginx");
	assert_string_equal(c.stop_signal, "SIGQUIT");
	assert_int_equal(c.nenv, 3);
	assert_string_equal(c.env[1], "EMPTY=");
	assert_true(c.has_entrypoint);
	assert_int_equal(c.nentrypoint, 1);
	assert_string_equal(c.entrypoint[0], "/docker-entrypoint.sh");
	assert_int_equal(c.ncmd, 3);
	assert_string_equal(c.cmd[2], "daemon off;");
	assert_int_equal(c.ndiff_ids, 2);
	assert_string_equal(c.diff_ids[1], "sha256:" HEX_DIFF2);
	assert_string_equal(c.created, "");
	assert_int_equal(c.nexposed_ports, 1);
	assert_string_equal(c.exposed_ports[0], "80/tcp");
	oci_config_free(&c);
}

/* EXPOSE: "PORT/tcp", "PORT/udp", a bare PORT (tcp); what -P cannot
 * publish (sctp, ranges, nonsense) is left out, never refused: it is
 * advisory. */
static void test_config_exposed_ports(void **state)
{
	struct oci_image_config c;
	struct error e = {0};
	char *s = config_with("{\"ExposedPorts\":{\"53/udp\":{},\"8080\":{},\"9/sctp\":{},"
			      "\"443/tcp\":{}}}",
			      "{\"type\":\"layers\",\"diff_ids\":[]}");

	assert_int_equal(oci_config_parse(s, strlen(s), &c, &e), 0);
	assert_int_equal(c.nexposed_ports, 3);
	assert_string_equal(c.exposed_ports[0], "53/udp");
	assert_string_equal(c.exposed_ports[1], "8080/tcp");
	assert_string_equal(c.exposed_ports[2], "443/tcp");
	oci_config_free(&c);
	free(s);
	ok_run_config("{\"ExposedPorts\":null}");
	s = config_with("{\"ExposedPorts\":{\"http\":{},\"0/tcp\":{},\"65536/tcp\":{},"
			"\"80/tcpx\":{},\" 80\":{},\"8000-8010/tcp\":{},\"81/TCP\":{},\"82\":{}}}",
			"{\"type\":\"layers\",\"diff_ids\":[]}");
	assert_int_equal(oci_config_parse(s, strlen(s), &c, &e), 0);
	assert_int_equal(c.nexposed_ports, 1);
	assert_string_equal(c.exposed_ports[0], "82/tcp");
	oci_config_free(&c);
	free(s);
	bad_run_config("{\"ExposedPorts\":[\"80/tcp\"]}", EBADMSG, NULL);
}

/* A scratch image: no "config" at all, or null; no layers. Empty arrays are
 * not absent ones: Entrypoint [] clears the entrypoint. */
static void test_config_minimal(void **state)
{
	struct oci_image_config c;
	struct error e = {0};
	char *s = config_with("{\"Entrypoint\":[],\"Cmd\":null,\"Env\":null}",
			      "{\"type\":\"layers\",\"diff_ids\":[]}");

	assert_int_equal(oci_config_parse(s, strlen(s), &c, &e), 0);
	assert_true(c.has_entrypoint);
	assert_int_equal(c.nentrypoint, 0);
	assert_false(c.has_cmd);
	assert_int_equal(c.nenv, 0);
	assert_null(c.user);
	assert_int_equal(c.ndiff_ids, 0);
	oci_config_free(&c);
	free(s);
	ok(CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":null,\"rootfs\":"
		   "{\"type\":\"layers\",\"diff_ids\":[]}}");
	ok(CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":null,\"rootfs\":"
		   "{\"type\":\"layers\",\"diff_ids\":[]}}");
}

static void test_config_bad_top(void **state)
{
	bad(CONFIG, "{\"os\":\"linux\",\"rootfs\":" ROOTFS_OK "}", EBADMSG,
	    "image config: architecture: missing");
	bad(CONFIG, "{\"architecture\":\"amd64\",\"rootfs\":" ROOTFS_OK "}", EBADMSG,
	    "image config: os: missing");
	bad(CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\"}", EBADMSG,
	    "image config: rootfs: missing");
	bad(CONFIG, "{\"architecture\":\"am d64\",\"os\":\"linux\",\"rootfs\":" ROOTFS_OK "}",
	    EBADMSG, "image config: architecture: invalid name \"am d64\"");
	bad(CONFIG,
	    "{\"architecture\":\"amd64\",\"os\":\"linux456789012345678901234567890123\",\"rootfs\":"
	    "" ROOTFS_OK "}",
	    EBADMSG, "image config: os: longer than 31 bytes");
	bad(CONFIG,
	    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"yesterday, 5pm\","
	    "\"rootfs\":" ROOTFS_OK "}",
	    EBADMSG, "image config: created: invalid time \"yesterday, 5pm\"");
	bad(CONFIG,
	    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":[],\"rootfs\":" ROOTFS_OK "}",
	    EBADMSG, "image config: config: not an object");
	bad(CONFIG, "[]", EBADMSG, "image config: not a JSON object");
}

static void test_config_bad_rootfs(void **state)
{
	bad_rootfs("[]", "image config: rootfs: not an object");
	bad_rootfs("{\"diff_ids\":[]}", "image config: rootfs.type: missing");
	bad_rootfs("{\"type\":\"layered\",\"diff_ids\":[]}",
		   "image config: rootfs.type: \"layered\" is not \"layers\"");
	bad_rootfs("{\"type\":\"layers\"}", "image config: rootfs.diff_ids: missing");
	bad_rootfs("{\"type\":\"layers\",\"diff_ids\":null}",
		   "image config: rootfs.diff_ids: not an array");
	bad_rootfs("{\"type\":\"layers\",\"diff_ids\":[\"sha256:" HEX_DIFF1 "\",\"sha256:x\"]}",
		   "image config: rootfs.diff_ids[1]: invalid digest \"sha256:x\"");
	bad_rootfs("{\"type\":\"layers\",\"diff_ids\":[\"sha384:x\"]}",
		   "image config: rootfs.diff_ids[0]: unsupported digest algorithm \"sha384\"");
	bad_rootfs("{\"type\":\"layers\",\"diff_ids\":[7]}",
		   "image config: rootfs.diff_ids[0]: not a string");
}

static void test_config_bad_run(void **state)
{
	bad_run_config("{\"Env\":[\"PATH=/bin\",\"HOME\"]}", EBADMSG,
		       "image config: config.Env[1]: \"HOME\" is not NAME=VALUE");
	bad_run_config("{\"Env\":[\"=x\"]}", EBADMSG,
		       "image config: config.Env[0]: \"=x\" is not NAME=VALUE");
	bad_run_config("{\"Env\":\"A=1\"}", EBADMSG, "image config: config.Env: not an array");
	bad_run_config("{\"Entrypoint\":\"/bin/sh -c\"}", EBADMSG,
		       "image config: config.Entrypoint: not an array");
	bad_run_config("{\"Cmd\":[\"sh\",1]}", EBADMSG,
		       "image config: config.Cmd[1]: not a string");
	bad_run_config("{\"Cmd\":[\"sh\",null]}", EBADMSG,
		       "image config: config.Cmd[1]: not a string");
	bad_run_config("{\"User\":7}", EBADMSG, "image config: config.User: not a string");
	bad_run_config("{\"User\":null}", EBADMSG, "image config: config.User: not a string");
	/* What a user sees has no control characters: C0, DEL, C1, bidi. */
	bad_run_config("{\"User\":\"root\\u001b[8m\"}", EBADMSG,
		       "image config: config.User: contains control characters");
	bad_run_config("{\"WorkingDir\":\"/srv\\n\"}", EBADMSG,
		       "image config: config.WorkingDir: contains control characters");
	bad_run_config("{\"WorkingDir\":\"/srv\\u007f\"}", EBADMSG, NULL);
	bad_run_config("{\"WorkingDir\":\"/srv\\u0085\"}", EBADMSG, NULL);
	bad_run_config("{\"WorkingDir\":\"/srv\\u202e\"}", EBADMSG, NULL);
	bad_run_config("{\"StopSignal\":\"SIGTERM\\r\"}", EBADMSG,
		       "image config: config.StopSignal: contains control characters");
	{
		char *s = fmt("{\"StopSignal\":\"SIG%062d\"}", 0);

		bad_run_config(s, EBADMSG, "image config: config.StopSignal: longer than 64 bytes");
		s[strlen(s) - 3] = '\0';
		strcat(s, "\"}");
		ok_run_config(s);
		free(s);
	}
	/* Env values and arguments may hold anything but NUL. */
	ok_run_config("{\"Env\":[\"PS1=\\u001b[1m$ \"],\"Cmd\":[\"printf\",\"a\\nb\\u00e9\"],"
		      "\"WorkingDir\":\"/caf\\u00e9\"}");
}

static void check_config_array(const char *key, const char *items, int code, const char *msg)
{
	char *run_config = fmt("{\"%s\":%s}", key, items);

	if (code)
		bad_run_config(run_config, code, msg);
	else
		ok_run_config(run_config);
	free(run_config);
}

static void test_config_bounds(void **state)
{
	char *items, *big = malloc(OCI_STRING_MAX + 8);

	assert_non_null(big);
	/* Env, Entrypoint, Cmd: 10000 entries fit, 10001 do not. */
	items = repeat("\"A=1\"", OCI_STRV_MAX);
	check_config_array("Env", items, 0, NULL);
	check_config_array("Cmd", items, 0, NULL);
	free(items);
	items = repeat("\"A=1\"", OCI_STRV_MAX + 1);
	check_config_array("Env", items, EBADMSG,
			   "image config: config.Env: more than 10000 entries");
	check_config_array("Entrypoint", items, EBADMSG,
			   "image config: config.Entrypoint: more than 10000 entries");
	free(items);
	/* Each entry: 64 KiB fit, one byte more does not. */
	memset(big, 'x', OCI_STRING_MAX + 8);
	memcpy(big, "[\"A=", 4);
	memcpy(big + 2 + OCI_STRING_MAX, "\"]", 3);
	check_config_array("Env", big, 0, NULL);
	memcpy(big + 2 + OCI_STRING_MAX, "x\"]", 4);
	check_config_array("Env", big, EBADMSG,
			   "image config: config.Env[0]: longer than 65536 bytes");
	check_config_array("Cmd", big, EBADMSG,
			   "image config: config.Cmd[0]: longer than 65536 bytes");
	free(big);
	/* diff_ids: as many as a manifest may have layers. */
	items = repeat("\"sha256:" HEX_DIFF1 "\"", OCI_LAYERS_MAX + 1);
	big = fmt("{\"type\":\"layers\",\"diff_ids\":%s}", items);
	bad_rootfs(big, "image config: rootfs.diff_ids: more than 1000 entries");
	free(big);
	free(items);
}

/* --- docker save ------------------------------------------------------------------ */

static void test_save_manifest(void **state)
{
	struct docker_save_entry *v;
	struct error e = {0};
	size_t n;

	assert_int_equal(
	    docker_save_manifest_parse(save_manifest, strlen(save_manifest), &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].config, "blobs/sha256/" HEX_CONFIG);
	assert_int_equal(v[0].nrepo_tags, 2);
	assert_string_equal(v[0].repo_tags[0], "alpine:3.19");
	assert_string_equal(v[0].repo_tags[1], "alpine:latest");
	assert_int_equal(v[0].nlayers, 1);
	assert_string_equal(v[0].layers[0], "blobs/sha256/" HEX_DIFF1);
	assert_string_equal(v[1].config, HEX_DCONFIG ".json");
	assert_null(v[1].repo_tags);
	assert_int_equal(v[1].nrepo_tags, 0);
	assert_int_equal(v[1].nlayers, 2);
	assert_string_equal(v[1].layers[1], HEX_LAYER2 "/layer.tar");
	docker_save_manifest_free(v, n);
}

static void save_path(const char *path, const char *msg)
{
	char *s = fmt(
	    "[{\"Config\":\"c.json\",\"RepoTags\":[],\"Layers\":[\"a/layer.tar\",\"%s\"]}]", path);

	if (msg)
		bad(SAVE, s, EBADMSG, msg);
	else
		ok(SAVE, s);
	free(s);
}

static void test_save_manifest_bad(void **state)
{
	char *s, *long_path;

	bad(SAVE, "{}", EBADMSG, "manifest.json: not a JSON array");
	bad(SAVE, "[]", EBADMSG, "manifest.json: no images");
	bad(SAVE, "[7]", EBADMSG, "manifest.json: [0]: not an object");
	bad(SAVE, "[{\"Layers\":[]}]", EBADMSG, "manifest.json: [0].Config: missing");
	bad(SAVE, "[{\"Config\":\"c.json\"}]", EBADMSG, "manifest.json: [0].Layers: missing");
	bad(SAVE, "[{\"Config\":\"/etc/passwd\",\"Layers\":[]}]", EBADMSG,
	    "manifest.json: [0].Config: absolute path \"/etc/passwd\"");
	bad(SAVE, "[{\"Config\":\"c.json\",\"Layers\":[],\"RepoTags\":[\"x:1\\u001b[1A\"]}]",
	    EBADMSG, "manifest.json: [0].RepoTags[0]: contains control characters");
	bad(SAVE, "[{\"Config\":\"c.json\",\"Layers\":[],\"RepoTags\":\"x:1\"}]", EBADMSG,
	    "manifest.json: [0].RepoTags: not an array");
	bad(SAVE, "[{\"Config\":\"c.json\",\"Layers\":[]},{\"Config\":\"..\",\"Layers\":[]}]",
	    EBADMSG, "manifest.json: [1].Config: path \"..\" has a \"..\" component");
	save_path("../../etc/shadow",
		  "manifest.json: [0].Layers[1]: path \"../../etc/shadow\" has a \"..\" component");
	save_path("a/../../b",
		  "manifest.json: [0].Layers[1]: path \"a/../../b\" has a \"..\" component");
	save_path("a/..", "manifest.json: [0].Layers[1]: path \"a/..\" has a \"..\" component");
	save_path("", "manifest.json: [0].Layers[1]: empty path");
	save_path("/a/layer.tar", "manifest.json: [0].Layers[1]: absolute path \"/a/layer.tar\"");
	save_path("a\\nb", "manifest.json: [0].Layers[1]: contains control characters");
	/* Names that only look like "..". */
	save_path("..a/layer.tar", NULL);
	save_path("a/.../b", NULL);
	save_path("./a/layer.tar", NULL);
	/* 4096 bytes fit, 4097 do not. */
	long_path = malloc(OCI_PATH_MAX + 2);
	assert_non_null(long_path);
	memset(long_path, 'a', OCI_PATH_MAX + 1);
	long_path[OCI_PATH_MAX] = '\0';
	save_path(long_path, NULL);
	long_path[OCI_PATH_MAX] = 'a';
	long_path[OCI_PATH_MAX + 1] = '\0';
	save_path(long_path, "manifest.json: [0].Layers[1]: longer than 4096 bytes");
	free(long_path);
	/* Layers are bounded like a manifest's. */
	s = repeat("\"l.tar\"", OCI_LAYERS_MAX + 1);
	long_path = fmt("[{\"Config\":\"c.json\",\"Layers\":%s}]", s);
	bad(SAVE, long_path, EBADMSG, "manifest.json: [0].Layers: more than 1000 entries");
	free(long_path);
	free(s);
}

/* --- kinds ------------------------------------------------------------------------ */

static void kind_is(const char *json, const char *content_type, enum oci_kind want)
{
	enum oci_kind kind = (enum oci_kind)99;
	struct error e = {0};

	if (oci_detect_kind(json, strlen(json), content_type, &kind, &e) != 0)
		fail_msg("%s (%s): %s", json, content_type, e.msg);
	if (kind != want)
		fail_msg("%s (%s): kind %d, expected %d", json, content_type, kind, want);
}

static void kind_bad(const char *json, const char *content_type, int code, const char *msg)
{
	enum oci_kind kind;
	struct error e = {0};
	int r = oci_detect_kind(json, strlen(json), content_type, &kind, &e);

	if (r != -code || e.code != code || strcmp(e.msg, msg) != 0)
		fail_msg("%s (%s): %d \"%s\", expected %d \"%s\"", json, content_type, r, e.msg,
			 -code, msg);
}

static void test_detect_kind(void **state)
{
	/* By mediaType, whatever the header says if it says nothing we know. */
	kind_is(oci_manifest, NULL, OCI_KIND_MANIFEST);
	kind_is(docker_manifest, NULL, OCI_KIND_MANIFEST);
	kind_is(docker_list, NULL, OCI_KIND_INDEX);
	kind_is(oci_index, "application/json", OCI_KIND_INDEX);
	kind_is(oci_index, OCI_MT_INDEX, OCI_KIND_INDEX);
	kind_is(docker_manifest, OCI_MT_DOCKER_MANIFEST, OCI_KIND_MANIFEST);
	/* By the header, then by the fields. */
	kind_is("{\"schemaVersion\":2}", "application/vnd.oci.image.index.v1+json; charset=utf-8",
		OCI_KIND_INDEX);
	kind_is("{\"schemaVersion\":2}", " Application/VND.OCI.Image.Manifest.v1+JSON",
		OCI_KIND_MANIFEST);
	kind_is("{\"schemaVersion\":2,\"manifests\":[]}", NULL, OCI_KIND_INDEX);
	kind_is("{\"schemaVersion\":2,\"config\":{\"digest\":7}}", "text/plain", OCI_KIND_MANIFEST);
	kind_is("{\"schemaVersion\":2,\"layers\":7}", NULL, OCI_KIND_MANIFEST);
	/* An image config is none of these. */
	kind_is(alpine_config, NULL, OCI_KIND_UNKNOWN);
	kind_is("{\"schemaVersion\":2}", NULL, OCI_KIND_UNKNOWN);
	kind_is("{}", "application/octet-stream", OCI_KIND_UNKNOWN);
	/* Artifacts and the like are not images. */
	kind_is("{\"schemaVersion\":2,\"mediaType\":\"application/"
		"vnd.oci.artifact.manifest.v1+json\",\"blobs\":[]}",
		NULL, OCI_KIND_UNKNOWN);
}

static void test_detect_kind_bad(void **state)
{
	static const char schema1[] =
	    "{\"schemaVersion\":1,\"name\":\"library/busybox\",\"tag\":\"latest\","
	    "\"architecture\":\"amd64\",\"fsLayers\":[{\"blobSum\":\"sha256:" HEX_LAYER1 "\"}],"
	    "\"history\":[{\"v1Compatibility\":\"{}\"}],\"signatures\":[]}";

	kind_bad(schema1, NULL, EOPNOTSUPP, "manifest: schema 1 manifests are not supported");
	kind_bad("{}", "application/vnd.docker.distribution.manifest.v1+prettyjws", EOPNOTSUPP,
		 "manifest: schema 1 manifests are not supported");
	kind_bad("{}", "application/vnd.docker.distribution.manifest.v1+json", EOPNOTSUPP,
		 "manifest: schema 1 manifests are not supported");
	kind_bad("{\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+json\"}", NULL,
		 EOPNOTSUPP, "manifest: schema 1 manifests are not supported");
	kind_bad(docker_manifest, OCI_MT_INDEX, EBADMSG,
		 "manifest: Content-Type \"application/vnd.oci.image.index.v1+json\" does not "
		 "match mediaType \"application/vnd.docker.distribution.manifest.v2+json\"");
	kind_bad("{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}", NULL, EBADMSG,
		 "manifest: ambiguous document: has both \"manifests\" and \"config\" or "
		 "\"layers\"");
	kind_bad("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		 "\"layers\":[]}",
		 NULL, EBADMSG,
		 "manifest: declared as an index, but has the fields of an image manifest");
	kind_bad("{\"manifests\":[]}", OCI_MT_MANIFEST, EBADMSG,
		 "manifest: declared as an image manifest, but has the fields of an index");
	kind_bad("{\"mediaType\":[]}", NULL, EBADMSG, "manifest: mediaType: not a string");
	kind_bad("[]", NULL, EBADMSG, "manifest: not a JSON object");
}

/* --- media types and writing --------------------------------------------------------- */

static void test_media_types_supported(void **state)
{
	assert_true(oci_layer_media_type_supported(OCI_MT_LAYER_TAR));
	assert_true(oci_layer_media_type_supported(OCI_MT_LAYER_GZIP));
	assert_true(oci_layer_media_type_supported(OCI_MT_LAYER_ZSTD));
	assert_true(oci_layer_media_type_supported(OCI_MT_DOCKER_LAYER_GZIP));
	assert_false(oci_layer_media_type_supported(
	    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"));
	assert_false(oci_layer_media_type_supported(
	    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"));
	assert_false(
	    oci_layer_media_type_supported("application/vnd.oci.image.layer.v1.tar+bzip2"));
	assert_false(
	    oci_layer_media_type_supported("application/vnd.cncf.helm.chart.content.v1.tar+gzip"));
	assert_false(oci_layer_media_type_supported(""));
	assert_false(oci_layer_media_type_supported(NULL));
	assert_true(oci_config_media_type_supported(OCI_MT_CONFIG));
	assert_true(oci_config_media_type_supported(OCI_MT_DOCKER_CONFIG));
	assert_false(oci_config_media_type_supported("application/vnd.cncf.helm.config.v1+json"));
	assert_false(oci_config_media_type_supported(NULL));
}

static void test_manifest_format(void **state)
{
	struct oci_descriptor layer = {
	    .media_type = OCI_MT_LAYER_ZSTD,
	    .digest = "sha256:" HEX_LAYER1,
	    .size = 68719476736ull,
	};
	struct oci_manifest m = {
	    .config = {.media_type = OCI_MT_CONFIG, .digest = "sha256:" HEX_CONFIG, .size = 2},
	    .layers = &layer,
	    .nlayers = 1,
	};
	size_t len = 0;
	char *s = oci_manifest_format(&m, &len);

	assert_non_null(s);
	assert_string_equal(
	    s, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	       "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	       "\"digest\":\"sha256:" HEX_CONFIG "\",\"size\":2},"
	       "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
	       "\"digest\":\"sha256:" HEX_LAYER1 "\",\"size\":68719476736}]}");
	assert_int_equal(len, strlen(s));
	free(s);
	m.nlayers = 0;
	s = oci_manifest_format(&m, NULL);
	assert_non_null(strstr(s, "\"layers\":[]"));
	free(s);
	/* A string that is not UTF-8 cannot be written (and nothing leaks). */
	strcpy(m.config.ref_name, "\xff");
	assert_null(oci_manifest_format(&m, &len));
	m.config.ref_name[0] = '\0';
	m.nlayers = 1;
	strcpy(layer.media_type, "\xc3");
	assert_null(oci_manifest_format(&m, &len));
}

/* Docker's manifest written as OCI's: the same blobs under OCI's names. */
static void test_manifest_format_docker(void **state)
{
	struct oci_manifest m, again;
	struct error e = {0};
	size_t len;
	char *s;

	assert_int_equal(oci_manifest_parse(docker_manifest, strlen(docker_manifest), &m, &e), 0);
	s = oci_manifest_format(&m, &len);
	assert_non_null(s);
	assert_int_equal(oci_manifest_parse(s, len, &again, &e), 0);
	assert_string_equal(again.media_type, OCI_MT_MANIFEST);
	assert_string_equal(again.config.media_type, OCI_MT_CONFIG);
	assert_string_equal(again.config.digest, m.config.digest);
	assert_int_equal(again.config.size, m.config.size);
	assert_int_equal(again.nlayers, 1);
	assert_string_equal(again.layers[0].media_type, OCI_MT_LAYER_GZIP);
	assert_string_equal(again.layers[0].digest, m.layers[0].digest);
	assert_int_equal(again.layers[0].size, m.layers[0].size);
	oci_manifest_free(&again);
	oci_manifest_free(&m);
	free(s);
}

static void test_manifest_roundtrip(void **state)
{
	struct oci_manifest m, again;
	struct error e = {0};
	size_t len;
	char *s, *s2;

	assert_int_equal(oci_manifest_parse(oci_manifest, strlen(oci_manifest), &m, &e), 0);
	s = oci_manifest_format(&m, &len);
	assert_non_null(s);
	assert_int_equal(oci_manifest_parse(s, len, &again, &e), 0);
	assert_memory_equal(&again.config, &m.config, sizeof(m.config));
	assert_int_equal(again.nlayers, m.nlayers);
	assert_memory_equal(again.layers, m.layers, m.nlayers * sizeof(*m.layers));
	/* Written again: the same bytes, so the same digest. */
	s2 = oci_manifest_format(&again, NULL);
	assert_string_equal(s, s2);
	free(s2);
	free(s);
	oci_manifest_free(&again);
	oci_manifest_free(&m);
}

static void test_index_roundtrip(void **state)
{
	static const char *const docs[] = {oci_index, docker_list};

	for (size_t i = 0; i < 2; i++) {
		struct oci_index x, again;
		struct error e = {0};
		size_t len;
		char *s;

		assert_int_equal(oci_index_parse(docs[i], strlen(docs[i]), &x, &e), 0);
		s = oci_index_format(&x, &len);
		assert_non_null(s);
		assert_non_null(
		    strstr(s, "\"mediaType\":\"application/vnd.oci.image.index.v1+json\""));
		assert_int_equal(oci_index_parse(s, len, &again, &e), 0);
		assert_int_equal(again.nmanifests, x.nmanifests);
		assert_memory_equal(again.manifests, x.manifests,
				    x.nmanifests * sizeof(*x.manifests));
		free(s);
		oci_index_free(&again);
		oci_index_free(&x);
	}
}

/* Docker 25+ and containerd name the image in full in an annotation of
 * their own; it survives a parse and a format. */
static void test_index_image_name(void **state)
{
	const char *json = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST
			   "\",\"digest\":\"sha256:" HEX_AMD64 "\",\"size\":3,\"annotations\":{"
			   "\"io.containerd.image.name\":\"docker.io/library/alpine:3.20\","
			   "\"org.opencontainers.image.ref.name\":\"3.20\"}}]}";
	struct oci_index x, y;
	struct error e = {0};
	size_t len;
	char *out;

	assert_int_equal(oci_index_parse(json, strlen(json), &x, &e), 0);
	assert_string_equal(x.manifests[0].image_name, "docker.io/library/alpine:3.20");
	assert_string_equal(x.manifests[0].ref_name, "3.20");
	out = oci_index_format(&x, &len);
	assert_non_null(out);
	assert_int_equal(oci_index_parse(out, len, &y, &e), 0);
	assert_string_equal(y.manifests[0].image_name, "docker.io/library/alpine:3.20");
	free(out);
	oci_index_free(&x);
	oci_index_free(&y);
}

static void test_index_format(void **state)
{
	struct oci_descriptor d = {
	    .media_type = OCI_MT_MANIFEST,
	    .digest = "sha256:" HEX_ARM64,
	    .size = 9,
	    .os = "linux",
	    .architecture = "arm64",
	    .variant = "v8",
	    .ref_name = "latest",
	};
	struct oci_index x = {.manifests = &d, .nmanifests = 1};
	char *s = oci_index_format(&x, NULL);

	assert_string_equal(
	    s, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	       "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	       "\"digest\":\"sha256:" HEX_ARM64 "\",\"size\":9,\"platform\":{\"architecture\":"
	       "\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"},\"annotations\":{"
	       "\"org.opencontainers.image.ref.name\":\"latest\"}}]}");
	free(s);
	strcpy(d.variant, "\xfe");
	assert_null(oci_index_format(&x, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manifest_oci),
	    cmocka_unit_test(test_manifest_docker),
	    cmocka_unit_test(test_manifest_minimal),
	    cmocka_unit_test(test_manifest_structure),
	    cmocka_unit_test(test_manifest_media_type),
	    cmocka_unit_test(test_schema_version),
	    cmocka_unit_test(test_digests),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_media_type_syntax),
	    cmocka_unit_test(test_layers_bound),
	    cmocka_unit_test(test_document_size),
	    cmocka_unit_test(test_json_errors),
	    cmocka_unit_test(test_uses_len),
	    cmocka_unit_test(test_untouched_on_failure),
	    cmocka_unit_test(test_free_null),
	    cmocka_unit_test(test_index_docker_list),
	    cmocka_unit_test(test_index_oci),
	    cmocka_unit_test(test_index_layout),
	    cmocka_unit_test(test_index_bad),
	    cmocka_unit_test(test_index_select),
	    cmocka_unit_test(test_index_select_variants),
	    cmocka_unit_test(test_index_select_many),
	    cmocka_unit_test(test_config_alpine),
	    cmocka_unit_test(test_config_full),
	    cmocka_unit_test(test_config_exposed_ports),
	    cmocka_unit_test(test_config_minimal),
	    cmocka_unit_test(test_config_bad_top),
	    cmocka_unit_test(test_config_bad_rootfs),
	    cmocka_unit_test(test_config_bad_run),
	    cmocka_unit_test(test_config_bounds),
	    cmocka_unit_test(test_save_manifest),
	    cmocka_unit_test(test_save_manifest_bad),
	    cmocka_unit_test(test_detect_kind),
	    cmocka_unit_test(test_detect_kind_bad),
	    cmocka_unit_test(test_media_types_supported),
	    cmocka_unit_test(test_manifest_format),
	    cmocka_unit_test(test_manifest_format_docker),
	    cmocka_unit_test(test_manifest_roundtrip),
	    cmocka_unit_test(test_index_roundtrip),
	    cmocka_unit_test(test_index_format),
	    cmocka_unit_test(test_index_image_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
