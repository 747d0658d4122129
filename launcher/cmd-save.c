/* launcher save: images as a tar archive that docker load and launcher load
 * read (image/save.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "save.h"

static void save_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher save [OPTIONS] IMAGE [IMAGE...]\n\n"
		     "Save one or more images to a tar archive (streamed to STDOUT by default)\n\n"
		     "Aliases:\n"
		     "  launcher image save, launcher save\n\n"
		     "Options:\n"
		     "  -h, --help            Print usage\n"
		     "  -o, --output string   Write to a file, instead of STDOUT\n");
}

int cmd_save(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *output = NULL;
	struct store st;
	struct error e = {0};
	int c, code = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			save_usage(stdout);
			return 0;
		default:
			launcher_error("%s: %s\nSee 'launcher save --help'.",
				       c == ':' ? "flag needs an argument" : "unknown flag",
				       argv[optind - 1]);
			return EXIT_LAUNCHER;
		}
	}
	if (optind == argc) {
		launcher_error("\"launcher save\" requires at least 1 argument.\n"
			       "See 'launcher save --help'.");
		return EXIT_LAUNCHER;
	}
	if (output && strcmp(output, "-") == 0)
		output = NULL;
	if (!output && isatty(STDOUT_FILENO)) {
		launcher_error(
		    "cowardly refusing to save to a terminal. Use the -o flag or redirect");
		return EXIT_LAUNCHER;
	}
	if (store_open(&st, NULL, &e) < 0 || image_save(&st, argv + optind, (size_t)(argc - optind),
							output, STDOUT_FILENO, &e) < 0) {
		code = e.code == ENOENT ? EXIT_NO_SUCH_IMAGE : EXIT_LAUNCHER;
		launcher_error("%s%s", code == EXIT_NO_SUCH_IMAGE ? "Error: " : "", e.msg);
	}
	store_close(&st);
	return code;
}
