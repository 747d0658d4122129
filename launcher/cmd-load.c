/* launcher load: images from a tar archive or an OCI layout directory. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "load.h"
#include "reference.h"

static void load_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher load [OPTIONS]\n\n"
		     "Load an image from a tar archive or STDIN\n\n"
		     "Archives: `docker save` (legacy and OCI layout), OCI image layout\n"
		     "directories and their tars (`skopeo copy ... oci-archive:FILE`).\n\n"
		     "Options:\n"
		     "  -h, --help           Print usage\n"
		     "  -i, --input string   Read from tar archive file or OCI layout directory,\n"
		     "                       instead of STDIN\n"
		     "  -q, --quiet          Suppress the load output\n");
}

/* "alpine:3.20" for docker.io/library/alpine:3.20, as docker load says it. */
static void familiar(const char *name, char *buf, size_t size)
{
	struct image_ref r;
	struct error ignore = {0};

	if (image_ref_parse(name, &r, &ignore) < 0 || image_ref_format_familiar(&r, buf, size) < 0)
		snprintf(buf, size, "%s", name);
}

int cmd_load(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *input = NULL;
	bool quiet = false;
	struct load_result *res;
	struct store st;
	struct error e = {0};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+i:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			load_usage(stdout);
			return 0;
		default:
			launcher_error("%s: %s\nSee 'launcher load --help'.",
				       c == ':' ? "flag needs an argument" : "unknown flag",
				       argv[optind - 1]);
			return EXIT_LAUNCHER;
		}
	}
	if (optind < argc) {
		launcher_error(
		    "\"launcher load\" accepts no arguments.\nSee 'launcher load --help'.");
		return EXIT_LAUNCHER;
	}
	if (!input && isatty(STDIN_FILENO)) {
		launcher_error("requested load from stdin, but stdin is empty\n"
			       "See 'launcher load --help'.");
		return EXIT_LAUNCHER;
	}
	res = calloc(1, sizeof(*res));
	if (!res || store_open(&st, NULL, &e) < 0 ||
	    image_load(&st, input, STDIN_FILENO, res, &e) < 0) {
		launcher_error("%s", res ? e.msg : "out of memory");
		free(res);
		return EXIT_LAUNCHER;
	}
	for (size_t i = 0; i < res->n && !quiet; i++) {
		char name[STORE_NAME_MAX];
		if (res->images[i].name[0]) {
			familiar(res->images[i].name, name, sizeof(name));
			printf("Loaded image: %s\n", name);
		} else {
			printf("Loaded image ID: %s\n", res->images[i].manifest);
		}
	}
	free(res);
	store_close(&st);
	return 0;
}
