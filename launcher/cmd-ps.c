/* launcher ps (launcher container ls): containers as `docker ps` lists
 * them. Reading a record never waits on a monitor (only flocks and two small
 * files), so ps does not hang on a dead or busy container; a dead monitor
 * is recorded as such on the way (container/state.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "network.h"
#include "container-format.h"
#include "container-ops.h"
#include "util.h"
#include "vm.h"

#define FILTERS_MAX 32
#define COLUMNS 7
#define COLUMN_GAP 3

struct filter {
	const char *key, *value;
};

static void ps_usage(void)
{
	printf("\nUsage:  launcher ps [OPTIONS]\n\n"
	       "List containers\n\n"
	       "Aliases:\n"
	       "  launcher container ls, launcher container list, launcher container ps, "
	       "launcher ps\n\n"
	       "Options:\n"
	       "  -a, --all             Show all containers (default shows just running)\n"
	       "  -f, --filter filter   Filter output based on conditions provided "
	       "(status=, name=, id=)\n"
	       "      --format string   Format output: \"table\" (default) or \"json\"\n"
	       "  -h, --help            Print usage\n"
	       "      --no-trunc        Don't truncate output\n"
	       "  -q, --quiet           Only display container IDs\n");
}

/* Keys alike are alternatives, different keys all must hold (Docker's). */
static bool matches(const struct container_record *r, const struct filter *f, int n)
{
	static const char *const keys[] = {"status", "name", "id"};

	for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
		bool any = false, ok = false;
		for (int i = 0; i < n; i++) {
			if (strcmp(f[i].key, keys[k]) != 0)
				continue;
			any = true;
			if (k == 0)
				ok |= strcmp(container_status_name(r->state.status), f[i].value) == 0;
			else if (k == 1)
				ok |= strstr(r->config.name, f[i].value) != NULL;
			else
				ok |= strncmp(r->config.id, f[i].value, strlen(f[i].value)) == 0;
		}
		if (any && !ok)
			return false;
	}
	return true;
}

static int parse_filter(char *arg, struct filter *f, int *n)
{
	char *eq = strchr(arg, '=');

	if (!eq || *n == FILTERS_MAX)
		return cli_usage("ps", "bad format of filter \"%s\" (expected name=value)", arg);
	*eq = '\0';
	if (strcmp(arg, "status") != 0 && strcmp(arg, "name") != 0 && strcmp(arg, "id") != 0)
		return cli_usage("ps", "invalid filter '%s' (supported: status, name, id)", arg);
	if (strcmp(arg, "status") == 0 && strcmp(eq + 1, "created") != 0 &&
	    strcmp(eq + 1, "running") != 0 && strcmp(eq + 1, "exited") != 0)
		return cli_usage("ps", "invalid filter 'status=%s' (created, running or exited)",
				 eq + 1);
	f[*n].key = arg;
	f[(*n)++].value = eq + 1;
	return 0;
}

/* Width in characters: the ellipsis of a cut COMMAND is three bytes. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += (*s & 0xc0) != 0x80;
	return w;
}

int cmd_ps(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'},	 {"filter", required_argument, NULL, 'f'},
	    {"format", required_argument, NULL, 'F'}, {"help", no_argument, NULL, 'h'},
	    {"no-trunc", no_argument, NULL, 'T'}, {"quiet", no_argument, NULL, 'q'},
	    {0},
	};
	static const char *const headers[COLUMNS] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
						     "STATUS",	     "PORTS", "NAMES"};
	struct filter filters[FILTERS_MAX];
	int nfilters = 0, c;
	bool all = false, quiet = false, no_trunc = false, json = false;
	char run_root[4096];
	struct container_record *recs;
	struct error e = {0};
	struct timespec ts;
	uint64_t now;
	size_t n, widths[COLUMNS];
	char *(*cells)[COLUMNS];
	size_t rows = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+af:hq", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'f':
			if (parse_filter(optarg, filters, &nfilters) < 0)
				return EXIT_LAUNCHER;
			break;
		case 'F':
			if (strcmp(optarg, "json") == 0 || strcmp(optarg, "{{json .}}") == 0)
				json = true;
			else if (strcmp(optarg, "table") != 0)
				return cli_usage("ps", "unsupported --format \"%s\": use table or json",
						 optarg);
			break;
		case 'h':
			ps_usage();
			return 0;
		case 'T':
			no_trunc = true;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return cli_usage("ps", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage("ps", "\"launcher ps\" accepts no arguments.");
	/* A status filter asks for the containers it names, running or not. */
	for (int i = 0; i < nfilters; i++)
		all |= strcmp(filters[i].key, "status") == 0;
	cli_run_root(run_root, sizeof(run_root));
	if (container_list(run_root, &recs, &n, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	/* A monitor found dead on the way left its VM's state behind. */
	hv_collect_stale(run_root);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	cells = xcalloc(n + 1, sizeof(*cells));
	for (int k = 0; k < COLUMNS; k++) {
		cells[0][k] = xstrdup(headers[k]);
		widths[k] = width(headers[k]);
	}
	rows = 1;
	for (size_t i = 0; i < n; i++) {
		const struct container_record *r = &recs[i];
		char buf[4096];

		if ((!all && r->state.status != CONTAINER_RUNNING) ||
		    !matches(r, filters, nfilters))
			continue;
		if (quiet) {
			printf("%.*s\n", no_trunc ? CONTAINER_ID_LEN : CONTAINER_SHORT_ID_LEN,
			       r->config.id);
			continue;
		}
		if (json) {
			json_t *o = format_ps_json(r, now);
			char *text = json_dumps(o, JSON_COMPACT);
			if (text)
				printf("%s\n", text);
			free(text);
			json_decref(o);
			continue;
		}
		cells[rows][0] = xasprintf("%.*s", no_trunc ? CONTAINER_ID_LEN : CONTAINER_SHORT_ID_LEN,
					   r->config.id);
		cells[rows][1] = xstrdup(r->config.image ? r->config.image : "");
		format_command(&r->config, no_trunc, buf, sizeof(buf));
		cells[rows][2] = xstrdup(buf);
		format_ago(r->config.created_ns, now, buf, sizeof(buf));
		cells[rows][3] = xstrdup(buf);
		format_status(r, now, buf, sizeof(buf));
		cells[rows][4] = xstrdup(buf);
		cells[rows][5] = r->state.status == CONTAINER_RUNNING ? network_ports_text(&r->config)
								      : xstrdup("");
		cells[rows][6] = xstrdup(r->config.name);
		for (int k = 0; k < COLUMNS; k++)
			if (width(cells[rows][k]) > widths[k])
				widths[k] = width(cells[rows][k]);
		rows++;
	}
	if (!quiet && !json)
		for (size_t i = 0; i < rows; i++) {
			for (int k = 0; k < COLUMNS; k++) {
				if (k == COLUMNS - 1)
					printf("%s\n", cells[i][k]);
				else
					printf("%s%*s", cells[i][k],
					       (int)(widths[k] - width(cells[i][k]) + COLUMN_GAP), "");
			}
		}
	for (size_t i = 0; i < rows; i++)
		for (int k = 0; k < COLUMNS; k++)
			free(cells[i][k]);
	free(cells);
	for (size_t i = 0; i < n; i++)
		container_record_free(&recs[i]);
	free(recs);
	return 0;
}
