/* launcher tag: another name for an image, as `docker tag`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "image.h"

static void tag_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
		     "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n\n"
		     "Aliases:\n"
		     "  launcher image tag, launcher tag\n\n"
		     "Options:\n"
		     "  -h, --help   Print usage\n");
}

int cmd_tag(int argc, char **argv)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct store st;
	struct error e = {0};
	int c, code = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'h') {
			tag_usage(stdout);
			return 0;
		}
		launcher_error("unknown flag: %s\nSee 'launcher tag --help'.", argv[optind - 1]);
		return EXIT_LAUNCHER;
	}
	if (argc - optind != 2) {
		launcher_error("\"launcher tag\" requires exactly 2 arguments.\n"
			       "See 'launcher tag --help'.");
		return EXIT_LAUNCHER;
	}
	if (store_open(&st, NULL, &e) < 0 ||
	    image_tag(&st, argv[optind], argv[optind + 1], NULL, &e) < 0) {
		code = e.code == ENOENT ? EXIT_NO_SUCH_IMAGE : EXIT_LAUNCHER;
		launcher_error("%s%s", code == EXIT_NO_SUCH_IMAGE ? "Error: " : "", e.msg);
	}
	store_close(&st);
	return code;
}
