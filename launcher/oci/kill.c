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

static void poststop(const struct container_record *rec, const struct oci_globals *g)
{
	struct bundle_config c;
	struct error e = {0};
	_cleanup_free_ char *state = oci_state_json(g, rec);

	if (oci_saved_config(g, rec, &c, &e) == 0 &&
	    oci_run_hooks(&c, BUNDLE_HOOK_POSTSTOP, state, &e) < 0)
		fprintf(stderr, "launcher-oci: warning: %s\n", e.msg);
	bundle_config_free(&c);
}

int oci_destroy(const struct oci_globals *g, const struct container_record *rec, struct error *e)
{
	const char *id = rec->config.id;
	int pid;

	if (strcmp(oci_status(g, rec, &pid), "stopped") != 0) {
		struct error ignored = {0};
		(void)container_kill(g->root, id, SIGKILL, &ignored);
	}
	/* Stopped, its monitor may still be taking the VM down. One that
	 * does not go in time (its guest ignoring the kill) is killed: the
	 * VM goes with its libvirt connection (autodestroy). */
	if (container_wait_monitor_gone(g->root, id, DELETE_WAIT_MS) < 0) {
		if (rec->state.monitor_pid > 0 && container_monitor_alive(g->root, id))
			kill(rec->state.monitor_pid, SIGKILL);
		if (container_wait_monitor_gone(g->root, id, DELETE_WAIT_MS) < 0)
			return error_set(e, ETIMEDOUT,
					 "container %s: its VM did not stop within %d s",
					 rec->config.name, 2 * DELETE_WAIT_MS / 1000);
	}
	poststop(rec, g);
	return oci_remove(g, id, e);
}

int oci_delete(const struct oci_globals *g, int argc, char **argv, struct error *e)
{
	struct container_record rec;
	bool force = false;
	int first = 1, pid, r;

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
	/* A created one goes without --force, as under runc. */
	if (strcmp(oci_status(g, &rec, &pid), "running") == 0 && !force) {
		error_set(e, EBUSY, "cannot delete container %s that is not stopped: running",
			  argv[first]);
		container_record_free(&rec);
		return OCI_EXIT_FAILURE;
	}
	r = oci_destroy(g, &rec, e);
	container_record_free(&rec);
	return r < 0 ? OCI_EXIT_FAILURE : 0;
}
