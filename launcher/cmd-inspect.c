/* launcher inspect (launcher container inspect): containers as a JSON
 * array, with the fields scripts read from `docker inspect` and the VM
 * (container-format.h). A name that is no container is looked up as an
 * image, as Docker does. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "container-format.h"
#include "container-ops.h"
#include "log.h"

int cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"type", required_argument, NULL, 'T'},
	    {0},
	};
	const char *type = NULL;
	char run_root[4096];
	json_t *out;
	char *text;
	int c, code = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (strcmp(optarg, "container") != 0 && strcmp(optarg, "image") != 0)
				return cli_usage("inspect", "\"%s\" is not a valid value for --type",
						 optarg);
			type = optarg;
			break;
		case 'h':
			printf("\nUsage:  launcher inspect [OPTIONS] NAME|ID [NAME|ID...]\n\n"
			       "Return low-level information on containers and images\n\n"
			       "Options:\n"
			       "  -h, --help          Print usage\n"
			       "      --type string   Only inspect objects of the given type "
			       "(container or image)\n");
			return 0;
		default:
			return cli_usage("inspect", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("inspect", "\"launcher inspect\" requires at least 1 argument.");
	cli_run_root(run_root, sizeof(run_root));
	if (type && strcmp(type, "image") == 0)
		return cmd_image_inspect(argc - optind + 1, argv + optind - 1);
	out = json_array();
	for (int i = optind; i < argc; i++) {
		struct container_record r;
		struct error e = {0};
		char log_path[4096];

		if (container_lookup(run_root, argv[i], &r, &e) < 0) {
			if (!type && e.code == ENOENT && argc - optind == 1) {
				json_decref(out);
				return cmd_image_inspect(2, (char *[]){"inspect", argv[i], NULL});
			}
			launcher_error("Error: %s", e.msg);
			code = EXIT_NO_SUCH_CONTAINER;
			continue;
		}
		container_path(run_root, r.config.id, LOG_FILE_NAME, log_path, sizeof(log_path));
		json_array_append_new(out, format_inspect(&r, log_path));
		container_record_free(&r);
	}
	text = json_dumps(out, JSON_INDENT(4));
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(out);
	return code;
}
