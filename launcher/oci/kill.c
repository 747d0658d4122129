/* oci kill and delete. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container-ops.h"
#include "oci.h"

/* How long delete --force waits for the monitor to take its VM down. */
#define DELETE_WAIT_MS 30000

int oci_kill(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct container_record rec;
	int first = 1, sig = SIGTERM, pid;
	const char *status;

	/* --all: every process of the container goes with process 1 anyway. */
	while (first < argc && (strcmp(argv[first], "-a") == 0 || strcmp(argv[first], "--all") == 0))
		first++;
	if (argc - first < 1 || argc - first > 2)
		return error_set(e, EINVAL, "usage: kill [--all] <container-id> [signal]"),
		       OCI_EXIT_FAILURE;
	if (argc - first == 2 && oci_parse_signal(argv[first + 1], &sig, e) < 0)
		return OCI_EXIT_FAILURE;
	if (oci_load(g, argv[first], &rec, e) < 0)
		return OCI_EXIT_FAILURE;
	status = oci_status(g, &rec, &pid);
	if (strcmp(status, "stopped") == 0) {
		container_record_free(&rec);
		return error_set(e, ESRCH, "container not running"), OCI_EXIT_FAILURE;
	}
	if (container_kill(g->root, rec.config.id, sig, e) < 0) {
		container_record_free(&rec);
		return OCI_EXIT_FAILURE;
	}
	container_record_free(&rec);
	return 0;
}

static int poststop(const struct container_record *rec, const struct oci_globals *g)
{
	struct bundle_config c;
	struct error e = {0};
	_cleanup_free_ char *state = oci_state_json(g, rec);

	if (oci_saved_config(g, rec, &c, &e) == 0 &&
	    oci_run_hooks(&c, BUNDLE_HOOK_POSTSTOP, state, &e) < 0)
		fprintf(stderr, "launcher-oci: warning: %s\n", e.msg);
	bundle_config_free(&c);
	return 0;
}

int oci_delete(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct container_record rec;
	bool force = false;
	int first = 1, pid;
	const char *status;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "-f") == 0 || strcmp(argv[first], "--force") == 0)
			force = true;
		else
			return error_set(e, EINVAL, "unknown flag: %s", argv[first]),
			       OCI_EXIT_FAILURE;
	}
	if (argc - first != 1)
		return error_set(e, EINVAL, "\"delete\" requires exactly 1 argument: the container ID"),
		       OCI_EXIT_FAILURE;
	if (oci_load(g, argv[first], &rec, e) < 0)
		return force ? (error_clear(e), 0) : OCI_EXIT_FAILURE;
	status = oci_status(g, &rec, &pid);
	if (strcmp(status, "running") == 0 && !force) {
		error_set(e, EBUSY, "cannot delete container %s that is not stopped: running",
			  argv[first]);
		container_record_free(&rec);
		return OCI_EXIT_FAILURE;
	}
	if (strcmp(status, "stopped") != 0) {
		/* A created one goes without --force, as under runc. */
		struct error ignored = {0};
		(void)container_kill(g->root, rec.config.id, SIGKILL, &ignored);
		if (container_wait_monitor_gone(g->root, rec.config.id, DELETE_WAIT_MS) < 0) {
			error_set(e, ETIMEDOUT, "container %s: its VM did not stop within %d s",
				  argv[first], DELETE_WAIT_MS / 1000);
			container_record_free(&rec);
			return OCI_EXIT_FAILURE;
		}
	}
	poststop(&rec, g);
	if (oci_remove(g, rec.config.id, e) < 0) {
		container_record_free(&rec);
		return OCI_EXIT_FAILURE;
	}
	container_record_free(&rec);
	return 0;
}
