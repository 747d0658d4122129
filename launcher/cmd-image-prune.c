/* launcher image prune: delete dangling (or, with -a, all unused) images
 * and what only they used (image/remove.h). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "image.h"
#include "remove.h"
#include "units.h"

static void prune_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher image prune [OPTIONS]\n\n"
		     "Remove unused images\n\n"
		     "Options:\n"
		     "  -a, --all     Remove all unused images, not just dangling ones\n"
		     "  -f, --force   Do not prompt for confirmation\n"
		     "  -h, --help    Print usage\n");
}

/* Docker's prompt, answered on a terminal only. */
static bool confirmed(bool all)
{
	char line[64];

	printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
	       all ? "images without at least one container associated to them"
		   : "dangling images");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return strcmp(line, "y\n") == 0 || strcmp(line, "Y\n") == 0;
}

int cmd_image_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool all = false, force = false;
	struct image_removal r;
	struct store st;
	struct error e = {0};
	char size[32];
	int c, rr;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+afh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			prune_usage(stdout);
			return 0;
		default:
			launcher_error("unknown flag: %s\nSee 'launcher image prune --help'.",
				       argv[optind - 1]);
			return EXIT_LAUNCHER;
		}
	}
	if (optind < argc) {
		launcher_error("\"launcher image prune\" accepts no arguments.\n"
			       "See 'launcher image prune --help'.");
		return EXIT_LAUNCHER;
	}
	if (!force && !isatty(STDIN_FILENO)) {
		launcher_error("not pruning without confirmation: stdin is not a terminal; "
			       "use -f to prune anyway");
		return EXIT_LAUNCHER;
	}
	if (!force && !confirmed(all))
		return 0;
	if (store_open(&st, NULL, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	rr = image_prune(&st, all, &r, &e);
	store_close(&st);
	if (r.nuntagged || r.ndeleted)
		printf("Deleted Images:\n");
	for (size_t i = 0; i < r.nuntagged; i++) {
		char name[STORE_NAME_MAX];
		image_name_familiar(r.untagged[i], name, sizeof(name));
		printf("untagged: %s\n", name);
	}
	for (size_t i = 0; i < r.ndeleted; i++)
		printf("deleted: %s\n", r.deleted[i]);
	if (r.nuntagged || r.ndeleted)
		printf("\n");
	human_size(r.gc.reclaimed, 4, size, sizeof(size));
	printf("Total reclaimed space: %s\n", size);
	image_removal_free(&r);
	if (rr < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	return 0;
}
