/* The OCI runtime's command line: runc's global flags, then a verb. Errors
 * go to stderr and, with --log, to that file as text or as the JSON lines
 * podman and containerd read ({"level":"error","msg":...,"time":...}). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "oci.h"
#include "util.h"

struct oci_verb {
	const char *name;
	int (*run)(const struct oci_globals *g, int argc, char **argv, struct error *e);
};

static const struct oci_verb verbs[] = {
    {"create", oci_create}, {"start", oci_start},   {"run", oci_run},
    {"state", oci_state},   {"kill", oci_kill},     {"delete", oci_delete},
    {"exec", oci_exec},	    {"ps", oci_ps},	    {"list", oci_list},
    {"spec", oci_spec},	    {"features", oci_features},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: launcher-oci [global options] COMMAND [options] ID\n\n"
		"A runc-compatible OCI runtime: each container runs in its own microVM.\n\n"
		"Commands:\n"
		"  create, start, run, state, kill, delete, exec, ps, list, spec, features\n\n"
		"Global options:\n"
		"  --root DIR            state directory (default %s)\n"
		"  --log FILE            write errors to FILE too\n"
		"  --log-format FORMAT   text or json\n"
		"  --debug               debug output\n"
		"  --systemd-cgroup, --cgroup-manager M, --rootless B   accepted, ignored\n"
		"  -v, --version\n",
		OCI_ROOT_DEFAULT);
}

static void log_error(const struct oci_globals *g, const char *msg)
{
	char when[64];
	time_t t = time(NULL);
	struct tm tm;
	FILE *f;

	fprintf(stderr, "launcher-oci: %s\n", msg);
	if (!g->log_path)
		return;
	/* One line, the file truncated: podman reads it whole as one JSON
	 * object; containerd takes the last line. */
	f = fopen(g->log_path, "we");
	if (!f)
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (g->log_json) {
		json_t *o = json_pack("{ss ss ss}", "level", "error", "msg", msg, "time", when);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (text)
			fprintf(f, "%s\n", text);
		free(text);
		json_decref(o);
	} else {
		fprintf(f, "time=\"%s\" level=error msg=\"%s\"\n", when, msg);
	}
	fclose(f);
}

/* The value of a global flag: "--flag value" or "--flag=value". */
static const char *flag_value(char **argv, int argc, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int cmd_oci(int argc, char **argv)
{
	struct oci_globals g = {.root = OCI_ROOT_DEFAULT};
	struct error e = {0};
	int i = 1, code;
	const char *v;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("launcher-oci version %s\nspec: %s\n", LAUNCHER_VERSION, OCI_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if ((v = flag_value(argv, argc, &i, "--root"))) {
			if (v[0] != '/' || strlen(v) >= sizeof(g.root)) {
				log_error(&g, "--root must be an absolute path of at most 255 bytes");
				return OCI_EXIT_FAILURE;
			}
			snprintf(g.root, sizeof(g.root), "%s", v);
		} else if ((v = flag_value(argv, argc, &i, "--log-format"))) {
			g.log_json = strcmp(v, "json") == 0;
		} else if ((v = flag_value(argv, argc, &i, "--log"))) {
			g.log_path = v;
		} else if ((v = flag_value(argv, argc, &i, "--cgroup-manager")) ||
			   (v = flag_value(argv, argc, &i, "--rootless")) ||
			   (v = flag_value(argv, argc, &i, "--criu"))) {
			/* host cgroups and rootless modes: the container's are in its VM */
		} else if (strcmp(argv[i], "--debug") == 0) {
			g.debug = true;
		} else if (strcmp(argv[i], "--systemd-cgroup") == 0) {
		} else {
			snprintf(e.msg, sizeof(e.msg), "unknown global flag: %s", argv[i]);
			log_error(&g, e.msg);
			return OCI_EXIT_FAILURE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return OCI_EXIT_FAILURE;
	}
	/* containerd reads the log after any failure, so it must exist. */
	if (g.log_path) {
		int fd = open(g.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	for (size_t j = 0; j < sizeof(verbs) / sizeof(*verbs); j++) {
		if (strcmp(argv[i], verbs[j].name) != 0)
			continue;
		code = verbs[j].run(&g, argc - i, argv + i, &e);
		if (code != 0 && e.msg[0])
			log_error(&g, e.msg);
		return code;
	}
	snprintf(e.msg, sizeof(e.msg), "unknown command \"%s\"", argv[i]);
	log_error(&g, e.msg);
	return OCI_EXIT_FAILURE;
}
