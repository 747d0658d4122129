/* launcher stop, kill and wait: ending a running container, or waiting
 * for it to end, through its monitor (container-ops.h). Like Docker's, they
 * take several containers, print each one's name as given (wait: its exit
 * code) and exit 1 when any failed. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "container-ops.h"
#include "signals.h"
#include "util.h"

static void stop_usage(void)
{
	printf("\nUsage:  launcher stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	       "Stop one or more running containers\n\n"
	       "Options:\n"
	       "  -h, --help            Print usage\n"
	       "  -s, --signal string   Signal to send to the container\n"
	       "  -t, --time int        Seconds to wait before killing the container\n");
}

int cmd_stop(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"signal", required_argument, NULL, 's'},
	    {"time", required_argument, NULL, 't'},
	    {0},
	};
	char run_root[4096];
	int c, code = 0, timeout = -1, sig = 0;
	uint64_t v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hs:t:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			stop_usage();
			return 0;
		case 's':
			sig = signal_parse(optarg);
			if (sig < 0)
				return cli_usage("stop", "invalid signal: %s", optarg);
			break;
		case 't':
			if (parse_uint(optarg, 24 * 3600, &v) < 0)
				return cli_usage("stop", "invalid --time \"%s\": seconds", optarg);
			timeout = (int)v;
			break;
		default:
			return cli_usage("stop", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("stop", "\"launcher stop\" requires at least 1 argument.");
	cli_run_root(run_root, sizeof(run_root));
	for (int i = optind; i < argc; i++) {
		struct container_record r;
		struct error e = {0};

		if (container_lookup(run_root, argv[i], &r, &e) < 0) {
			launcher_error("%s", e.msg);
			code = EXIT_NO_SUCH_CONTAINER;
			continue;
		}
		if (sig)
			r.config.stop_signal = sig;
		if (container_stop(run_root, &r, timeout >= 0 ? timeout : (int)r.config.stop_timeout,
				   &e) < 0) {
			launcher_error("stopping %s: %s", argv[i], e.msg);
			code = EXIT_NO_SUCH_CONTAINER;
		} else {
			printf("%s\n", argv[i]);
		}
		container_record_free(&r);
	}
	return code;
}

static void kill_usage(void)
{
	printf("\nUsage:  launcher kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
	       "Kill one or more running containers\n\n"
	       "Options:\n"
	       "  -h, --help            Print usage\n"
	       "  -s, --signal string   Signal to send to the container (default \"KILL\")\n");
}

int cmd_kill(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"signal", required_argument, NULL, 's'},
	    {0},
	};
	char run_root[4096];
	int c, code = 0, sig = SIGKILL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hs:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			kill_usage();
			return 0;
		case 's':
			sig = signal_parse(optarg);
			if (sig < 0)
				return cli_usage("kill", "invalid signal: %s", optarg);
			break;
		default:
			return cli_usage("kill", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("kill", "\"launcher kill\" requires at least 1 argument.");
	cli_run_root(run_root, sizeof(run_root));
	for (int i = optind; i < argc; i++) {
		struct container_record r;
		struct error e = {0};

		if (container_lookup(run_root, argv[i], &r, &e) < 0 ||
		    (r.state.status != CONTAINER_RUNNING &&
		     error_set(&e, ENOTCONN, "container %s is not running", argv[i])) ||
		    container_kill(run_root, r.config.id, sig, &e) < 0) {
			launcher_error("%s", e.msg);
			code = EXIT_NO_SUCH_CONTAINER;
		} else {
			printf("%s\n", argv[i]);
		}
		container_record_free(&r);
	}
	return code;
}

int cmd_wait(int argc, char **argv)
{
	char run_root[4096];
	int code = 0;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("\nUsage:  launcher wait CONTAINER [CONTAINER...]\n\n"
		       "Block until one or more containers stop, then print their exit codes\n");
		return 0;
	}
	if (argc < 2)
		return cli_usage("wait", "\"launcher wait\" requires at least 1 argument.");
	cli_run_root(run_root, sizeof(run_root));
	for (int i = 1; i < argc; i++) {
		char id[CONTAINER_ID_LEN + 1];
		struct error e = {0};
		int rc;

		if (container_find(run_root, argv[i], id, &e) < 0 ||
		    (rc = container_wait(run_root, id, -1, &e)) < 0) {
			launcher_error("%s", e.msg);
			code = EXIT_NO_SUCH_CONTAINER;
			continue;
		}
		printf("%d\n", rc);
		fflush(stdout);
	}
	return code;
}
