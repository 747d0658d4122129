/* launcher volume create|ls|inspect|rm|prune: the named volumes of -v
 * NAME:/path, directories in the store (STORE/volumes/NAME/_data) that
 * outlive containers and are shared into their VMs. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "container-ops.h"
#include "run-options.h"
#include "run-security.h"
#include "state.h"
#include "store.h"
#include "util.h"

static int volume_usage(void)
{
	printf("\nUsage:  launcher volume COMMAND\n\n"
	       "Manage volumes\n\n"
	       "Commands:\n"
	       "  create      Create a volume\n"
	       "  inspect     Display detailed information on one or more volumes\n"
	       "  ls          List volumes\n"
	       "  prune       Remove unused volumes\n"
	       "  rm          Remove one or more volumes\n");
	return 0;
}

static void volumes_dir(char *buf, size_t size)
{
	char root[4096];

	store_default_root(root, sizeof(root));
	if (bprintf(buf, size, "%s/volumes", root) < 0)
		buf[0] = '\0';
}

static bool exists(const char *name)
{
	char path[4096];
	struct error e = {0};
	struct stat st;

	return volume_path(name, path, sizeof(path), &e) == 0 && stat(path, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* The containers (stopped ones too) that name the volume; -1 when they
 * cannot be read, which callers take as "in use". */
static int users_of(const char *name, char *ret_id, size_t size)
{
	char run_root[4096];
	struct container_record *all;
	size_t n;
	struct error e = {0};
	int count = 0;

	cli_run_root(run_root, sizeof(run_root));
	if (container_list(run_root, &all, &n, &e) < 0) {
		launcher_error("volume %s: cannot tell which containers use it: %s", name, e.msg);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < all[i].config.nmounts; j++) {
			const char *v = all[i].config.mounts[j].name;
			if (v && strcmp(v, name) == 0) {
				if (!count++)
					snprintf(ret_id, size, "%s", all[i].config.id);
				break;
			}
		}
		container_record_free(&all[i]);
	}
	free(all);
	return count;
}

static int remove_volume(const char *name, bool force, bool quiet)
{
	char path[4096], dir[4096 + 16], id[CONTAINER_ID_LEN + 1];
	struct error e = {0};
	int r, users;

	if (volume_path(name, path, sizeof(path), &e) < 0) {
		launcher_error("%s", e.msg);
		return 1;
	}
	if (!exists(name)) {
		if (force)
			return 0;
		launcher_error("no such volume: %s", name);
		return 1;
	}
	users = users_of(name, id, sizeof(id));
	if (users < 0)
		return 1;
	if (users > 0) {
		launcher_error("remove %s: volume is in use - [%s]", name, id);
		return 1;
	}
	/* STORE/volumes/NAME, with _data under it. */
	snprintf(dir, sizeof(dir), "%.*s", (int)(strlen(path) - strlen("/_data")), path);
	r = remove_tree(dir);
	if (r < 0) {
		launcher_error("removing volume %s: %s", name, strerror(-r));
		return 1;
	}
	if (!quiet)
		printf("%s\n", name);
	return 0;
}

static int volume_create(int argc, char **argv)
{
	struct run_mount m;
	struct error e = {0};
	char spec[600], path[4096];
	int r;

	if (argc != 2)
		return cli_usage("volume create", "\"volume create\" requires exactly 1 argument.");
	/* The same name rules as -v NAME:/path. */
	snprintf(spec, sizeof(spec), "%s:/v", argv[1]);
	if (parse_volume(spec, &m, &e) < 0 || m.kind != RUN_MOUNT_VOLUME) {
		if (e.code == 0)
			error_set(&e, EINVAL, "invalid volume name \"%s\"", argv[1]);
		launcher_error("%s", e.msg);
		run_mount_free(&m);
		return EXIT_LAUNCHER;
	}
	run_mount_free(&m);
	if (volume_path(argv[1], path, sizeof(path), &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	if ((r = mkdir_p(path, 0755)) < 0) {
		launcher_error("creating volume %s: %s", argv[1], strerror(-r));
		return EXIT_LAUNCHER;
	}
	printf("%s\n", argv[1]);
	return 0;
}

/* Calls fn for each volume's name. */
static void each_volume(void (*fn)(const char *name, void *ctx), void *ctx)
{
	char dir[4096 + 16];
	struct dirent *de;
	DIR *d;

	volumes_dir(dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && exists(de->d_name))
			fn(de->d_name, ctx);
	closedir(d);
}

static void print_name(const char *name, void *ctx)
{
	bool quiet = *(bool *)ctx;

	printf(quiet ? "%s\n" : "local     %s\n", name);
}

static int volume_ls(int argc, char **argv)
{
	bool quiet = argc > 1 && (strcmp(argv[1], "-q") == 0 || strcmp(argv[1], "--quiet") == 0);

	if (argc > 2 || (argc == 2 && !quiet))
		return cli_usage("volume ls", "unknown flag: %s", argv[1]);
	if (!quiet)
		printf("DRIVER    VOLUME NAME\n");
	each_volume(print_name, &quiet);
	return 0;
}

static int volume_inspect(int argc, char **argv)
{
	json_t *a = json_array();
	int code = 0;
	char *text;

	for (int i = 1; i < argc; i++) {
		char path[4096];
		struct error e = {0};
		if (volume_path(argv[i], path, sizeof(path), &e) < 0) {
			launcher_error("%s", e.msg);
			code = 1;
			continue;
		}
		if (!exists(argv[i])) {
			launcher_error("no such volume: %s", argv[i]);
			code = 1;
			continue;
		}
		json_array_append_new(a, json_pack("{ss ss ss ss}", "Name", argv[i], "Driver",
						   "local", "Mountpoint", path, "Scope", "local"));
	}
	text = json_dumps(a, JSON_INDENT(4));
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(a);
	return code;
}

struct prune {
	unsigned removed;
};

static void prune_one(const char *name, void *ctx)
{
	struct prune *p = ctx;
	char id[CONTAINER_ID_LEN + 1];

	if (users_of(name, id, sizeof(id)) != 0)
		return;
	if (remove_volume(name, false, false) == 0)
		p->removed++;
}

/* As Docker 23 and later: without --all only anonymous volumes go, and
 * launcher makes none, so named ones need --all; without --force, ask. */
static int volume_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'a'}, {"force", no_argument, NULL, 'f'}, {0}};
	struct prune p = {0};
	bool all = false, force = false;
	char answer[16];
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+af", longopts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'f')
			force = true;
		else
			return cli_usage("volume prune", "unknown flag: %s", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage("volume prune", "\"volume prune\" accepts no arguments.");
	if (!force) {
		printf("WARNING! This will remove %s volumes not used by at least one container.\n"
		       "Are you sure you want to continue? [y/N] ",
		       all ? "all local" : "anonymous local");
		fflush(stdout);
		if (!fgets(answer, sizeof(answer), stdin) ||
		    (strcmp(answer, "y\n") != 0 && strcmp(answer, "Y\n") != 0 &&
		     strcmp(answer, "yes\n") != 0))
			return 0;
	}
	if (all)
		each_volume(prune_one, &p);
	printf("Total reclaimed: %u volume(s)\n", p.removed);
	return 0;
}

int cmd_volume(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return volume_usage();
	if (strcmp(argv[1], "create") == 0)
		return volume_create(argc - 1, argv + 1);
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return volume_ls(argc - 1, argv + 1);
	if (strcmp(argv[1], "inspect") == 0)
		return argc < 3 ? cli_usage("volume inspect", "\"volume inspect\" requires at least 1 argument.")
				: volume_inspect(argc - 1, argv + 1);
	if (strcmp(argv[1], "rm") == 0 || strcmp(argv[1], "remove") == 0) {
		bool force = false;
		int code = 0, first = 2;
		if (argc > 2 && (strcmp(argv[2], "-f") == 0 || strcmp(argv[2], "--force") == 0)) {
			force = true;
			first = 3;
		}
		if (argc <= first)
			return cli_usage("volume rm", "\"volume rm\" requires at least 1 argument.");
		for (int i = first; i < argc; i++)
			if (remove_volume(argv[i], force, false) != 0)
				code = 1;
		return code;
	}
	if (strcmp(argv[1], "prune") == 0)
		return volume_prune(argc - 1, argv + 1);
	return cli_usage("volume", "unknown command: launcher volume %s", argv[1]);
}
