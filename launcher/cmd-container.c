/* launcher container COMMAND: Docker's management command for containers, each
 * subcommand the same code as its top-level verb (ps, run, rm, ...). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct container_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* NULL: an alias, not listed */
};

static const struct container_verb container_verbs[] = {
    {"attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
    {"create", cmd_create, "Create a new container"},
    {"exec", cmd_exec, "Execute a command in a running container"},
    {"inspect", cmd_inspect, "Display detailed information on one or more containers"},
    {"kill", cmd_kill, "Kill one or more running containers"},
    {"logs", cmd_logs, "Fetch the logs of a container"},
    {"ls", cmd_ps, "List containers"},
    {"prune", cmd_container_prune, "Remove all stopped containers"},
    {"restart", cmd_restart, "Restart one or more containers"},
    {"rm", cmd_rm, "Remove one or more containers"},
    {"run", cmd_run, "Create and run a new container from an image"},
    {"start", cmd_start, "Start one or more stopped containers"},
    {"stop", cmd_stop, "Stop one or more running containers"},
    {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
    {"list", cmd_ps, NULL},
    {"ps", cmd_ps, NULL},
    {"remove", cmd_rm, NULL},
};

static void container_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher container COMMAND\n\n"
		     "Manage containers\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(container_verbs) / sizeof(*container_verbs); i++)
		if (container_verbs[i].summary)
			fprintf(out, "  %-10s %s\n", container_verbs[i].name, container_verbs[i].summary);
	fprintf(out, "\nRun 'launcher container COMMAND --help' for more information on a command.\n");
}

int cmd_container(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		container_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(container_verbs) / sizeof(*container_verbs); i++)
		if (strcmp(argv[1], container_verbs[i].name) == 0)
			return container_verbs[i].run(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		launcher_error("unknown flag: %s\nSee 'launcher container --help'.", argv[1]);
	else
		launcher_error("'%s' is not a launcher container command.\n"
			       "See 'launcher container --help'.",
			       argv[1]);
	return EXIT_LAUNCHER;
}
