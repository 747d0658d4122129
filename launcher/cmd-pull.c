/* launcher pull: an image from a registry into the local store. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "commands.h"
#include "pull-output.h"

static void pull_usage(FILE *out)
{
	fprintf(out,
		"\nUsage:  launcher pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
		"Download an image from a registry\n\n"
		"Options:\n"
		"  -h, --help                     Print usage\n"
		"      --insecure-registry host   Speak plain HTTP to this registry (HOST[:PORT],\n"
		"                                 repeatable; also LAUNCHER_INSECURE_REGISTRIES)\n"
		"  -q, --quiet                    Suppress verbose output\n");
}

int cmd_pull(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"insecure-registry", required_argument, NULL, 'I'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct pull_cli_options po = {0};
	struct registry_options ro;
	enum pull_output_mode mode = isatty(STDOUT_FILENO) ? PULL_OUTPUT_TTY : PULL_OUTPUT_PLAIN;
	struct store st;
	struct error e = {0};
	int c, code = EXIT_LAUNCHER;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'I':
			if (pull_options_add_insecure(&po, optarg, &e) < 0) {
				launcher_error("%s\nSee 'launcher pull --help'.", e.msg);
				goto out;
			}
			break;
		case 'q':
			mode = PULL_OUTPUT_QUIET;
			break;
		case 'h':
			pull_usage(stdout);
			code = 0;
			goto out;
		default:
			launcher_error("%s: %s\nSee 'launcher pull --help'.",
				       c == ':' ? "flag needs an argument" : "unknown flag",
				       argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 1) {
		launcher_error("\"launcher pull\" requires exactly 1 argument.\n"
			       "See 'launcher pull --help'.\n\n"
			       "Usage:  launcher pull [OPTIONS] NAME[:TAG|@DIGEST]");
		goto out;
	}
	if (pull_options_add_env(&po, &e) < 0) {
		launcher_error("%s", e.msg);
		goto out;
	}
	ro = pull_options_registry(&po);
	if (store_open(&st, NULL, &e) < 0) {
		launcher_error("%s", e.msg);
		goto out;
	}
	if (launcher_pull(&st, argv[optind], &ro, stdout, mode, true, &e) < 0)
		launcher_error("%s", e.msg);
	else
		code = 0;
	store_close(&st);
out:
	pull_options_free(&po);
	return code;
}
