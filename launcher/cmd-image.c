/* launcher image COMMAND: Docker's management command for images, each
 * subcommand the same code as its top-level verb (images, load, rmi, ...). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct image_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* NULL: an alias, not listed */
};

static const struct image_verb image_verbs[] = {
    {"inspect", cmd_image_inspect, "Display detailed information on one or more images"},
    {"load", cmd_load, "Load an image from a tar archive or STDIN"},
    {"ls", cmd_images, "List images"},
    {"prune", cmd_image_prune, "Remove unused images"},
    {"rm", cmd_rmi, "Remove one or more images"},
    {"save", cmd_save, "Save one or more images to a tar archive (streamed to STDOUT by default)"},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
    {"list", cmd_images, NULL},
    {"remove", cmd_rmi, NULL},
    {"rmi", cmd_rmi, NULL},
};

static void image_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher image COMMAND\n\n"
		     "Manage images\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(image_verbs) / sizeof(*image_verbs); i++)
		if (image_verbs[i].summary)
			fprintf(out, "  %-10s %s\n", image_verbs[i].name, image_verbs[i].summary);
	fprintf(out, "\nRun 'launcher image COMMAND --help' for more information on a command.\n");
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		image_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(image_verbs) / sizeof(*image_verbs); i++)
		if (strcmp(argv[1], image_verbs[i].name) == 0)
			return image_verbs[i].run(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		launcher_error("unknown flag: %s\nSee 'launcher image --help'.", argv[1]);
	else
		launcher_error("'%s' is not a launcher image command.\n"
			       "See 'launcher image --help'.",
			       argv[1]);
	return EXIT_LAUNCHER;
}
