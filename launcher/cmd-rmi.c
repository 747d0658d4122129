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
#include <string.h>

#include "commands.h"
#include "image.h"
#include "remove.h"

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
		struct image_removal r;
		int rr = image_remove(&st, argv[i], force, &r, &e);

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
