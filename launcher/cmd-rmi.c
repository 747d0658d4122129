/* launcher rmi (launcher image rm): untag images, delete them, collect what
 * they alone used (image/remove.h).
 *
 * Exit codes: 1 when an image is not found (Docker's "No such image"),
 * 125 for conflicts and other failures; the other images given are still
 * removed, as Docker does. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "image.h"
#include "paths.h"
#include "remove.h"
#include "state.h"

static void rmi_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher rmi [OPTIONS] IMAGE [IMAGE...]\n\n"
		     "Remove one or more images\n\n"
		     "Aliases:\n"
		     "  launcher image rm, launcher image remove, launcher rmi\n\n"
		     "Options:\n"
		     "  -f, --force   Force removal of the image, even if a running container "
		     "uses it\n"
		     "  -h, --help    Print usage\n");
}

/* Docker keeps an image that a container (running or not) was made from:
 * removing its last name, or it by ID, needs -f. Returns -EBUSY with
 * Docker's words when ref would delete an image a container uses. */
static int check_containers(struct store *st, const char *ref, struct error *e)
{
	char name[STORE_NAME_MAX], manifest[STORE_DIGEST_MAX], id[STORE_DIGEST_MAX];
	char run_root[4096];
	struct store_image *all = NULL;
	struct container_record *recs = NULL;
	size_t n = 0, nrecs = 0, names = 0;
	struct error ignored = {0};
	int r = 0;

	if (image_lookup(st, ref, name, manifest, &ignored) < 0 ||
	    image_config_digest(st, manifest, id, &ignored) < 0 ||
	    store_list(st, &all, &n, &ignored) < 0)
		return 0; /* image_remove says what is wrong */
	for (size_t i = 0; i < n; i++)
		names += strcmp(all[i].manifest, manifest) == 0;
	free(all);
	/* Another name stays: only this one goes (by name, not by ID). */
	if (names > 1 && strncmp(ref, "sha256:", 7) != 0 &&
	    strspn(ref, "0123456789abcdef") != strlen(ref))
		return 0;
	launcher_run_root(run_root, sizeof(run_root));
	if (container_list(run_root, &recs, &nrecs, &ignored) < 0)
		return 0;
	for (size_t i = 0; i < nrecs; i++) {
		/* A running one holds the disk: image_remove says so itself. */
		if (!r && recs[i].state.status != CONTAINER_RUNNING && recs[i].config.image_id &&
		    strcmp(recs[i].config.image_id, id) == 0)
			r = error_set(e, EBUSY,
				      "conflict: unable to remove repository reference \"%s\" (must "
				      "force) - container %.12s is using its referenced image %.12s",
				      ref, recs[i].config.id, id + 7);
		container_record_free(&recs[i]);
	}
	free(recs);
	return r;
}

static void print_removal(const struct image_removal *r)
{
	for (size_t i = 0; i < r->nuntagged; i++) {
		char name[STORE_NAME_MAX];
		image_name_familiar(r->untagged[i], name, sizeof(name));
		printf("Untagged: %s\n", name);
	}
	for (size_t i = 0; i < r->ndeleted; i++)
		printf("Deleted: %s\n", r->deleted[i]);
}

int cmd_rmi(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	struct store st;
	struct error e = {0};
	int c, code = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			rmi_usage(stdout);
			return 0;
		default:
			launcher_error("unknown flag: %s\nSee 'launcher rmi --help'.",
				       argv[optind - 1]);
			return EXIT_LAUNCHER;
		}
	}
	if (optind == argc) {
		launcher_error("\"launcher rmi\" requires at least 1 argument.\n"
			       "See 'launcher rmi --help'.");
		return EXIT_LAUNCHER;
	}
	if (store_open(&st, NULL, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	for (int i = optind; i < argc; i++) {
		struct image_removal r = {0};
		int rr = force ? 0 : check_containers(&st, argv[i], &e);

		if (rr < 0) {
			launcher_error("%s", e.msg);
			code = EXIT_LAUNCHER;
			continue;
		}
		rr = image_remove(&st, argv[i], force, &r, &e);

		print_removal(&r);
		image_removal_free(&r);
		if (rr == -ENOENT) {
			launcher_error("Error: %s", e.msg);
			if (code == 0)
				code = EXIT_NO_SUCH_IMAGE;
		} else if (rr < 0) {
			launcher_error("%s", e.msg);
			code = EXIT_LAUNCHER;
		}
	}
	store_close(&st);
	return code;
}
