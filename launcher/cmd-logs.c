/* launcher logs: what a container's process 1 wrote (container/log.h),
 * stdout to stdout and stderr to stderr, in the order it came; -f follows
 * it live until the container exits. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "container-ops.h"
#include "log.h"
#include "util.h"

struct follow {
	const char *run_root;
	const char *id;
};

static bool still_running(void *ctx)
{
	const struct follow *f = ctx;

	return container_monitor_alive(f->run_root, f->id);
}

int cmd_logs(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"tail", required_argument, NULL, 'n'},
	    {"timestamps", no_argument, NULL, 't'},
	    {0},
	};
	struct log_read_opts o = {.want_stdout = true, .want_stderr = true, .tail = -1};
	struct container_record r;
	struct follow f;
	struct error e = {0};
	char run_root[4096], dir[4096];
	uint64_t v;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+fhn:t", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.follow = true;
			break;
		case 'n':
			if (strcmp(optarg, "all") == 0)
				o.tail = -1;
			else if (parse_uint(optarg, 1u << 30, &v) == 0)
				o.tail = (long)v;
			else
				return cli_usage("logs", "invalid --tail \"%s\": a number or all",
						 optarg);
			break;
		case 't':
			o.timestamps = true;
			break;
		case 'h':
			printf("\nUsage:  launcher logs [OPTIONS] CONTAINER\n\n"
			       "Fetch the logs of a container\n\n"
			       "Options:\n"
			       "  -f, --follow         Follow log output\n"
			       "  -h, --help           Print usage\n"
			       "  -n, --tail string    Number of lines to show from the end of the "
			       "logs (default \"all\")\n"
			       "  -t, --timestamps     Show timestamps\n");
			return 0;
		default:
			return cli_usage("logs", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage("logs", "\"launcher logs\" requires exactly 1 argument.");
	cli_run_root(run_root, sizeof(run_root));
	if (container_lookup(run_root, argv[optind], &r, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_NO_SUCH_CONTAINER;
	}
	f = (struct follow){.run_root = run_root, .id = r.config.id};
	o.still_running = still_running;
	o.ctx = &f;
	container_path(run_root, r.config.id, NULL, dir, sizeof(dir));
	rc = log_read(dir, &o, STDOUT_FILENO, STDERR_FILENO, &e);
	container_record_free(&r);
	if (rc < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	return 0;
}
