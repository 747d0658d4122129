/* launcher image inspect: what the store knows of images, as a JSON array
 * in the shape of `docker image inspect`, plus a "Launcher" object (the
 * manifest digest, every full name, the root filesystem disk).
 *
 * Exit code 1 when an image is not found, as Docker's (the others are
 * still printed); 125 when the store cannot be read. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "image.h"
#include "reference.h"

static void inspect_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher image inspect IMAGE [IMAGE...]\n\n"
		     "Display detailed information on one or more images\n\n"
		     "Options:\n"
		     "  -h, --help   Print usage\n");
}

static json_t *strv(char *const *v, size_t n, bool present)
{
	json_t *a;

	if (!present)
		return json_null();
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* RepoTags ("alpine:3.20") and RepoDigests ("alpine@sha256:<manifest>", one
 * per repository), from the index entries of the image. */
static void names(const struct store_image *v, size_t n, const char *manifest, json_t *tags,
		  json_t *digests, json_t *full)
{
	for (size_t i = 0; i < n; i++) {
		char buf[STORE_NAME_MAX], repo[STORE_NAME_MAX + STORE_DIGEST_MAX];
		struct image_ref r;
		struct error ignore = {0};
		size_t j;

		if (strcmp(v[i].manifest, manifest) != 0 || store_name_is_digest(v[i].name))
			continue;
		json_array_append_new(full, json_string(v[i].name));
		image_name_familiar(v[i].name, buf, sizeof(buf));
		json_array_append_new(tags, json_string(buf));
		if (image_ref_parse(v[i].name, &r, &ignore) < 0 ||
		    image_ref_repository_familiar(&r, buf, sizeof(buf)) < 0)
			continue;
		snprintf(repo, sizeof(repo), "%s@%s", buf, manifest);
		for (j = 0; j < json_array_size(digests); j++)
			if (strcmp(json_string_value(json_array_get(digests, j)), repo) == 0)
				break;
		if (j == json_array_size(digests))
			json_array_append_new(digests, json_string(repo));
	}
}

static json_t *run_config(const struct oci_image_config *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "User", json_string(c->user ? c->user : ""));
	json_object_set_new(o, "Env", strv(c->env, c->nenv, c->nenv > 0));
	json_object_set_new(o, "Entrypoint",
			    strv(c->entrypoint, c->nentrypoint, c->has_entrypoint));
	json_object_set_new(o, "Cmd", strv(c->cmd, c->ncmd, c->has_cmd));
	json_object_set_new(o, "WorkingDir", json_string(c->working_dir ? c->working_dir : ""));
	if (c->stop_signal)
		json_object_set_new(o, "StopSignal", json_string(c->stop_signal));
	return o;
}

static json_t *inspect_one(struct store *st, const struct store_image *v, size_t n, const char *ref,
			   struct error *e)
{
	char name[STORE_NAME_MAX], manifest[STORE_DIGEST_MAX], disk[PATH_MAX];
	json_t *o, *tags = json_array(), *digests = json_array(), *full = json_array();
	struct image img;
	uint64_t size = 0;
	int r;

	r = image_lookup(st, ref, name, manifest, e);
	if (r == -ENOENT)
		error_set(e, ENOENT, "No such image: %s", ref);
	else if (r == 0 && image_open(st, name, manifest, &img, e) < 0)
		r = error_set(e, e->code == ENOENT ? EIO : e->code, "image %s is damaged", ref);
	if (r < 0) {
		json_decref(tags);
		json_decref(digests);
		json_decref(full);
		return NULL;
	}
	names(v, n, manifest, tags, digests, full);
	for (size_t i = 0; i < img.manifest.nlayers; i++)
		size += img.manifest.layers[i].size;
	if (store_rootfs_path(st, img.manifest.config.digest, disk, sizeof(disk)) < 0 ||
	    access(disk, F_OK) < 0)
		disk[0] = '\0';
	o = json_object();
	json_object_set_new(o, "Id", json_string(img.manifest.config.digest));
	json_object_set_new(o, "RepoTags", tags);
	json_object_set_new(o, "RepoDigests", digests);
	json_object_set_new(o, "Created", json_string(img.config.created));
	json_object_set_new(o, "Config", run_config(&img.config));
	json_object_set_new(o, "Architecture", json_string(img.config.architecture));
	json_object_set_new(o, "Os", json_string(img.config.os));
	json_object_set_new(o, "Size", json_integer((json_int_t)size));
	json_object_set_new(o, "RootFS",
			    json_pack("{s:s, s:o}", "Type", "layers", "Layers",
				      strv(img.config.diff_ids, img.config.ndiff_ids, true)));
	json_object_set_new(o, "Launcher",
			    json_pack("{s:s, s:o, s:s?}", "Manifest", manifest, "Names", full,
				      "RootfsDisk", disk[0] ? disk : NULL));
	image_free(&img);
	return o;
}

int cmd_image_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	_cleanup_free_ struct store_image *v = NULL;
	json_auto_t *out = json_array();
	_cleanup_free_ char *text = NULL;
	struct store st;
	struct error e = {0};
	size_t n;
	int c, code = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h') {
			inspect_usage(stdout);
			return 0;
		}
		launcher_error("unknown flag: %s\nSee 'launcher image inspect --help'.",
			       argv[optind - 1]);
		return EXIT_LAUNCHER;
	}
	if (optind == argc) {
		launcher_error("\"launcher image inspect\" requires at least 1 argument.\n"
			       "See 'launcher image inspect --help'.");
		return EXIT_LAUNCHER;
	}
	if (store_open(&st, NULL, &e) < 0 || store_list(&st, &v, &n, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	for (int i = optind; i < argc; i++) {
		json_t *o = inspect_one(&st, v, n, argv[i], &e);

		if (o) {
			json_array_append_new(out, o);
			continue;
		}
		launcher_error("%s%s", e.code == ENOENT ? "Error: " : "", e.msg);
		if (e.code != ENOENT)
			code = EXIT_LAUNCHER;
		else if (code == 0)
			code = EXIT_NO_SUCH_IMAGE;
	}
	store_close(&st);
	text = json_dumps(out, JSON_INDENT(4));
	printf("%s\n", text ? text : "[]");
	return code;
}
