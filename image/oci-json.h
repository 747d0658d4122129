/* The JSON documents of an image as typed structs: OCI and Docker schema 2
 * manifests, OCI indexes and Docker manifest lists, image configs, and the
 * manifest.json of `docker save`. They come from registries and tar files,
 * so this module is the only code that touches their JSON (CONVENTIONS.md
 * #4): it checks every type, length and range, and turns whatever does not
 * fit into an error that names the field ("manifest: layers[3].digest:
 * invalid digest "sha256:zz""). Fields it does not use are ignored.
 *
 * The parse functions fill *ret only on success; the free functions take
 * NULL and zeroed structs. Errors are EBADMSG (malformed), EFBIG (document
 * too large) or EOPNOTSUPP (well-formed but unsupported: schema 1, digests
 * other than sha256). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define OCI_DIGEST_MAX 72 /* "sha256:" + 64 hex + NUL; only sha256 supported */
#define OCI_MEDIA_TYPE_MAX 128
#define OCI_LAYERS_MAX 1000
#define OCI_MANIFESTS_MAX 1000		/* entries of an index, images of a docker save */
#define OCI_JSON_MAX (4u << 20)		/* a manifest, index, config or manifest.json */
#define OCI_BLOB_SIZE_MAX (64ull << 30) /* a descriptor's size */
#define OCI_STRV_MAX 10000		/* entries of Env, Entrypoint, Cmd */
#define OCI_STRING_MAX (64u << 10)	/* each of those entries */
#define OCI_PATH_MAX 4096		/* paths inside a tar, WorkingDir, User */
#define OCI_PLATFORM_MAX 32		/* os, architecture, variant (with the NUL) */
#define OCI_REF_NAME_MAX 256		/* with the NUL */

#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define OCI_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct oci_descriptor {
	char media_type[OCI_MEDIA_TYPE_MAX];
	char digest[OCI_DIGEST_MAX];
	uint64_t size; /* <= OCI_BLOB_SIZE_MAX */
	/* platform, in index entries; "" if absent. [A-Za-z0-9._-] only. */
	char os[OCI_PLATFORM_MAX], architecture[OCI_PLATFORM_MAX], variant[OCI_PLATFORM_MAX];
	/* annotation org.opencontainers.image.ref.name, "" if absent */
	char ref_name[OCI_REF_NAME_MAX];
	/* annotation io.containerd.image.name (a full reference, as Docker 25+
	 * and containerd write it), "" if absent */
	char image_name[OCI_REF_NAME_MAX];
};

enum oci_kind {
	OCI_KIND_UNKNOWN,
	OCI_KIND_MANIFEST,
	OCI_KIND_INDEX,
};

/* What a document fetched from a registry (or read from a tar) is, from its
 * mediaType, else the HTTP Content-Type (may be NULL; parameters and case
 * are ignored), else its shape ("config"/"layers" or "manifests"):
 *   OCI image manifest, Docker schema 2 manifest -> OCI_KIND_MANIFEST;
 *   OCI index, Docker manifest list -> OCI_KIND_INDEX;
 *   any other mediaType (artifacts), or no clue at all -> OCI_KIND_UNKNOWN.
 * Docker schema 1 is an error ("schema 1 manifests are not supported"), and
 * so are a Content-Type that contradicts the mediaType and a document with
 * the fields of both kinds (an ambiguous document may be read differently
 * by different tools). */
int oci_detect_kind(const char *json, size_t len, const char *content_type, enum oci_kind *ret,
		    struct error *e);

struct oci_manifest {
	char media_type[OCI_MEDIA_TYPE_MAX]; /* OCI_MT_MANIFEST if absent */
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t nlayers; /* may be 0: config-only images exist */
};

/* An OCI image manifest or a Docker schema 2 manifest. The media types of
 * the config and the layers are checked for syntax only: the caller decides
 * what it can use (oci_config_media_type_supported(),
 * oci_layer_media_type_supported()). */
int oci_manifest_parse(const char *json, size_t len, struct oci_manifest *ret, struct error *e);
void oci_manifest_free(struct oci_manifest *m);

struct oci_index {
	struct oci_descriptor *manifests;
	size_t nmanifests;
};

/* An OCI index (also an image layout's index.json) or a Docker manifest list. */
int oci_index_parse(const char *json, size_t len, struct oci_index *ret, struct error *e);
void oci_index_free(struct oci_index *x);

/* The index of the image manifest for os/arch (e.g. "linux", "amd64").
 * Variants are ignored unless arch names one ("arm/v7", "arm64/v8"; arm64's
 * default variant is v8, arm's v7). Returns -ENOENT when there is none,
 * with e listing the platforms the index has. */
int oci_index_select(const struct oci_index *x, const char *os, const char *arch, struct error *e);

struct oci_image_config {
	char architecture[OCI_PLATFORM_MAX], os[OCI_PLATFORM_MAX];
	char *user; /* NULL if absent; free of control characters, as are the next ones */
	char *working_dir;
	char *stop_signal;
	char **env; /* "K=V" each */
	size_t nenv;
	/* JSON null or absent -> has_* false; [] -> has_* true, n 0 */
	char **entrypoint;
	size_t nentrypoint;
	bool has_entrypoint;
	char **cmd;
	size_t ncmd;
	bool has_cmd;
	/* config.ExposedPorts, each "PORT/tcp" or "PORT/udp" (PORT 1..65535;
	 * a key without a protocol is tcp), in the document's order. */
	char **exposed_ports;
	size_t nexposed_ports;
	char **diff_ids; /* rootfs.diff_ids, each a valid digest */
	size_t ndiff_ids;
	char created[64]; /* "" if absent */
	/* The document as it came, NUL-terminated: `launcher image inspect`
	 * prints it, and its sha256 is the image ID. */
	char *raw;
	size_t raw_len;
};

/* An OCI image config or a Docker image config (the same format). */
int oci_config_parse(const char *json, size_t len, struct oci_image_config *ret, struct error *e);
void oci_config_free(struct oci_image_config *c);

/* `docker save` legacy manifest.json: an array of {Config, RepoTags, Layers}
 * whose paths name files inside the tar: relative, without "..". */
struct docker_save_entry {
	char *config;
	char **repo_tags; /* free of control characters; NULL, 0 if null */
	size_t nrepo_tags;
	char **layers;
	size_t nlayers;
};

int docker_save_manifest_parse(const char *json, size_t len, struct docker_save_entry **ret,
			       size_t *ret_n, struct error *e);
void docker_save_manifest_free(struct docker_save_entry *v, size_t n);

/* Layers we can apply: OCI tar, tar+gzip, tar+zstd and Docker's tar.gzip.
 * Foreign and non-distributable layers (fetched from elsewhere) are not. */
bool oci_layer_media_type_supported(const char *media_type);
/* Configs we can run: OCI's and Docker's (not an artifact's). */
bool oci_config_media_type_supported(const char *media_type);

/* Compact JSON for `launcher save` and the built-in image, NUL-terminated,
 * or NULL if a string is not UTF-8 (or out of memory). The manifest gets OCI
 * media types: Docker's for the config and layers are translated (same
 * bytes, other names). Index entries keep theirs, which their manifests
 * state themselves. */
char *oci_manifest_format(const struct oci_manifest *m, size_t *ret_len);
char *oci_index_format(const struct oci_index *x, size_t *ret_len);
/* The manifest.json of `docker save` (RepoTags null when there are none). */
char *docker_save_manifest_format(const struct docker_save_entry *v, size_t n, size_t *ret_len);
