/* oci state, list and ps: what runc prints, from the launcher's records. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci.h"
#include "util.h"

int oci_state(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct container_record rec;
	char *text;

	if (argc != 2)
		return error_set(e, EINVAL, "\"state\" requires exactly 1 argument: the container ID"),
		       OCI_EXIT_FAILURE;
	if (oci_load(g, argv[1], &rec, e) < 0)
		return OCI_EXIT_FAILURE;
	text = oci_state_json(g, &rec);
	container_record_free(&rec);
	if (!text)
		return error_set(e, ENOMEM, "formatting the state"), OCI_EXIT_FAILURE;
	printf("%s\n", text);
	free(text);
	return 0;
}

static bool format_json(const char *v, struct error *e, bool *ret)
{
	if (strcmp(v, "json") == 0)
		*ret = true;
	else if (strcmp(v, "table") == 0)
		*ret = false;
	else
		return error_set(e, EINVAL, "invalid format option \"%s\": table or json", v), false;
	return true;
}

/* Options of list and ps: -f/--format table|json, -q/--quiet (list). */
static int parse_format(int argc, char **argv, bool allow_quiet, bool *json, bool *quiet,
			int *ret_first, struct error *e)
{
	int i = 1;

	*json = *quiet = false;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) {
			if (++i == argc)
				return error_set(e, EINVAL, "%s needs a value", a);
			v = argv[i];
		} else if (strncmp(a, "--format=", 9) == 0) {
			v = a + 9;
		} else if (allow_quiet && (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)) {
			*quiet = true;
			continue;
		} else {
			return error_set(e, EINVAL, "unknown flag: %s", a);
		}
		if (!format_json(v, e, json))
			return -e->code;
	}
	*ret_first = i;
	return 0;
}

int oci_list(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct container_record *all = NULL;
	size_t n = 0;
	bool json, quiet;
	int first;
	json_t *a;

	if (parse_format(argc, argv, true, &json, &quiet, &first, e) < 0)
		return OCI_EXIT_FAILURE;
	if (first != argc)
		return error_set(e, EINVAL, "\"list\" takes no arguments"), OCI_EXIT_FAILURE;
	if (access(g->root, F_OK) == 0 && container_list(g->root, &all, &n, e) < 0)
		return OCI_EXIT_FAILURE;
	a = json_array();
	if (!json && !quiet)
		printf("%-20s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct container_record *r = &all[i];
		int pid;
		const char *status;
		if (!r->config.bundle) {
			container_record_free(r);
			continue;
		}
		status = oci_status(g, r, &pid);
		if (json) {
			char *text = oci_state_json(g, r);
			json_t *o = text ? json_loads(text, 0, NULL) : NULL;
			if (o)
				json_array_append_new(a, o);
			free(text);
		} else if (quiet) {
			printf("%s\n", r->config.name);
		} else {
			printf("%-20s %-10d %-10s %-40s %-30llu %s\n", r->config.name, pid, status,
			       r->config.bundle, (unsigned long long)(r->config.created_ns / 1000000000),
			       "root");
		}
		container_record_free(r);
	}
	free(all);
	if (json) {
		char *text = json_dumps(a, 0);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(a);
	return 0;
}

/* The container's host processes: its monitor, which stands for it (the
 * processes themselves live in the guest). */
int oci_ps(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct container_record rec;
	bool json, quiet;
	int first, pid;

	if (parse_format(argc, argv, false, &json, &quiet, &first, e) < 0)
		return OCI_EXIT_FAILURE;
	if (argc - first < 1)
		return error_set(e, EINVAL, "\"ps\" requires the container ID"), OCI_EXIT_FAILURE;
	if (oci_load(g, argv[first], &rec, e) < 0)
		return OCI_EXIT_FAILURE;
	(void)oci_status(g, &rec, &pid);
	container_record_free(&rec);
	if (json) {
		if (pid)
			printf("[%d]\n", pid);
		else
			printf("[]\n");
		return 0;
	}
	if (!pid)
		return error_set(e, ESRCH, "container %s is not running", argv[first]),
		       OCI_EXIT_FAILURE;
	fflush(stdout);
	{
		char p[16];
		snprintf(p, sizeof(p), "%d", pid);
		execlp("ps", "ps", "-f", "-p", p, (char *)NULL);
	}
	return error_errno(e, errno, "running ps"), OCI_EXIT_FAILURE;
}
