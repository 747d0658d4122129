/* launcher rm and container prune: a container's record, log and socket
 * removed once its monitor (and so its VM) is gone. rm -f kills a running
 * one first; without -f a running one is refused, as Docker does. */
#include <ftw.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "container-ops.h"
#include "units.h"
#include "util.h"
#include "vm.h"

/* A monitor on its way out powers its VM off within this. */
#define MONITOR_GONE_MS 30000

static int remove_one(const char *run_root, const char *ref, bool force, struct error *e)
{
	struct container_record r;
	int rc = 0;

	if (container_lookup(run_root, ref, &r, e) < 0)
		return -e->code;
	if (r.state.status == CONTAINER_RUNNING) {
		if (!force) {
			rc = error_set(e, EBUSY,
				       "cannot remove container \"%s\": container is running: stop "
				       "the container before removing or force remove",
				       ref);
			goto out;
		}
		rc = container_kill(run_root, r.config.id, SIGKILL, e);
		if (rc == -ENOTCONN)
			rc = 0;
		if (rc < 0)
			goto out;
		(void)container_wait(run_root, r.config.id, MONITOR_GONE_MS, e);
	}
	/* Exited, but its monitor may still be powering the VM off. */
	if (container_wait_monitor_gone(run_root, r.config.id, MONITOR_GONE_MS) < 0) {
		rc = error_set(e, EBUSY, "container %s: its monitor is still shutting its VM down",
			       ref);
		goto out;
	}
	rc = container_remove(run_root, r.config.id, e);
out:
	container_record_free(&r);
	return rc;
}

int cmd_rm(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"volumes", no_argument, NULL, 'v'},
	    {0},
	};
	char run_root[4096];
	bool force = false;
	int c, code = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+fhv", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'v':
			break; /* no anonymous volumes yet: nothing more to remove */
		case 'h':
			printf("\nUsage:  launcher rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
			       "Remove one or more containers\n\n"
			       "Options:\n"
			       "  -f, --force     Force the removal of a running container (uses "
			       "SIGKILL)\n"
			       "  -h, --help      Print usage\n"
			       "  -v, --volumes   Remove anonymous volumes associated with the "
			       "container\n");
			return 0;
		default:
			return cli_usage("rm", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("rm", "\"launcher rm\" requires at least 1 argument.");
	cli_run_root(run_root, sizeof(run_root));
	for (int i = optind; i < argc; i++) {
		struct error e = {0};

		if (remove_one(run_root, argv[i], force, &e) < 0) {
			launcher_error("%s", e.msg);
			code = EXIT_NO_SUCH_CONTAINER;
		} else {
			printf("%s\n", argv[i]);
		}
	}
	hv_collect_stale(run_root);
	return code;
}

static uint64_t tree_bytes;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_F)
		tree_bytes += (uint64_t)st->st_blocks * 512;
	return 0;
}

/* What a container's directory takes on disk (its logs, mostly). */
static uint64_t dir_bytes(const char *run_root, const char *id)
{
	char path[4096];

	tree_bytes = 0;
	if (container_path(run_root, id, NULL, path, sizeof(path)) >= 0)
		nftw(path, add_size, 8, FTW_PHYS);
	return tree_bytes;
}

int cmd_container_prune(int argc, char **argv)
{
	char run_root[4096];
	struct container_record *all;
	struct error e = {0};
	bool force = false;
	size_t n;
	uint64_t reclaimed = 0;
	char size[32];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0) {
			force = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("\nUsage:  launcher container prune [OPTIONS]\n\n"
			       "Remove all stopped containers\n\n"
			       "Options:\n"
			       "  -f, --force   Do not prompt for confirmation\n");
			return 0;
		} else {
			return cli_usage("container prune", "unknown flag: %s", argv[i]);
		}
	}
	if (!force) {
		char answer[16] = "";
		fprintf(stderr, "WARNING! This will remove all stopped containers.\n"
				"Are you sure you want to continue? [y/N] ");
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	cli_run_root(run_root, sizeof(run_root));
	if (container_list(run_root, &all, &n, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	printf("Deleted Containers:\n");
	for (size_t i = 0; i < n; i++) {
		const char *id = all[i].config.id;
		uint64_t bytes = dir_bytes(run_root, id);
		/* An exited one whose monitor is still powering its VM off
		 * is waited for; a running one is left alone. */
		if (all[i].state.status != CONTAINER_RUNNING &&
		    container_wait_monitor_gone(run_root, id, MONITOR_GONE_MS) == 0 &&
		    container_remove(run_root, id, &e) == 0) {
			printf("%s\n", id);
			reclaimed += bytes;
		}
		container_record_free(&all[i]);
	}
	free(all);
	hv_collect_stale(run_root);
	human_size(reclaimed, 3, size, sizeof(size));
	printf("\nTotal reclaimed space: %s\n", size);
	return 0;
}
