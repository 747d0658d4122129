/* launcher: Docker-style CLI whose containers run in their own microVMs. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "message.h"
#include "spare.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* NULL: not listed in --help */
};

static const struct verb verbs[] = {
	{"attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
	{"check", cmd_check, "Check the host and boot a test VM end to end"},
	{"container", cmd_container, "Manage containers"},
	{"create", cmd_create, "Create a new container"},
	{"exec", cmd_exec, "Execute a command in a running container"},
	{"image", cmd_image, "Manage images"},
	{"images", cmd_images, "List images"},
	{"inspect", cmd_inspect, "Return low-level information on containers and images"},
	{"kill", cmd_kill, "Kill one or more running containers"},
	{"load", cmd_load, "Load an image from a tar archive or STDIN"},
	{"login", cmd_login, "Log in to a registry"},
	{"logout", cmd_logout, "Log out from a registry"},
	{"logs", cmd_logs, "Fetch the logs of a container"},
	{"oci", cmd_oci, "The runc-compatible OCI runtime (also as launcher-oci)"},
	{"port", cmd_port, "List port mappings or a specific mapping for the container"},
	{"ps", cmd_ps, "List containers"},
	{"pull", cmd_pull, "Download an image from a registry"},
	{"restart", cmd_restart, "Restart one or more containers"},
	{"rm", cmd_rm, "Remove one or more containers"},
	{"rmi", cmd_rmi, "Remove one or more images"},
	{"run", cmd_run, "Create and run a new container, in its own microVM"},
	{"save", cmd_save, "Save one or more images to a tar archive (streamed to STDOUT by default)"},
	{"start", cmd_start, "Start one or more stopped containers"},
	{"stop", cmd_stop, "Stop one or more running containers"},
	{"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
	{"version", cmd_version, "Show the launcher version information"},
	{"volume", cmd_volume, "Manage volumes"},
	{"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
	{"diag", cmd_diag, NULL},
	{"spare", cmd_spare, NULL},
};

void launcher_error(const char *fmt, ...)
{
	va_list ap;

	fputs("launcher: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher [OPTIONS] COMMAND\n\n"
		     "Run containers, each in its own microVM\n\n"
		     "Options:\n"
		     "  -h, --help       Print usage\n"
		     "  -v, --version    Print version information and quit\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (verbs[i].summary)
			fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out, "\nRun 'launcher COMMAND --help' for more information on a command.\n");
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int cmd_version(int argc, char **argv)
{
	printf("launcher version %s\n", LAUNCHER_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	/* A peer that goes away must show up as EPIPE where we write, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	message_init();
	/* The same binary as runc's stand-in, for podman and containerd. */
	if (strcmp(basename_of(argv[0]), "launcher-oci") == 0)
		return cmd_oci(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return EXIT_LAUNCHER;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		launcher_error("unknown flag: %s\nSee 'launcher --help'.", argv[1]);
		return EXIT_LAUNCHER;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	launcher_error("'%s' is not a launcher command.\nSee 'launcher --help'.", argv[1]);
	return EXIT_LAUNCHER;
}
