/* launcher exec: a further process in a running container (the same
 * namespaces and root as its process 1; the agent joins them), with its own
 * stdio and exit code. The monitor does the work (run-session.c); this side
 * hands it our stdio and forwards signals and resizes, as run does. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "commands.h"
#include "container-ops.h"
#include "container-start.h"
#include "message.h"
#include "monitor.h"
#include "passwd.h"
#include "run-options.h"
#include "terminal.h"
#include "util.h"

struct exec_options {
	bool detach, interactive, tty;
	const char *workdir, *user;
	char **env;
	size_t nenv;
};

static void exec_usage(void)
{
	printf("\nUsage:  launcher exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
	       "Execute a command in a running container\n\n"
	       "Options:\n"
	       "  -d, --detach           Detached mode: run command in the background\n"
	       "  -e, --env list         Set environment variables\n"
	       "  -h, --help             Print usage\n"
	       "  -i, --interactive      Keep STDIN open even if not attached\n"
	       "  -t, --tty              Allocate a pseudo-TTY\n"
	       "  -u, --user string      Username or UID (format: \"<name|uid>[:<group|gid>]\")\n"
	       "  -w, --workdir string   Working directory inside the container\n");
}

/* -u USER: resolved in the image's /etc/passwd, as run does, with the
 * supplementary groups of that user (/etc/group) and the container's
 * --group-add, not those of the container's own process. */
static int resolve_user(const struct container_config *c, const char *spec, struct process_spec *p,
			struct error *e)
{
	struct store st;
	struct image img = {0};
	uint32_t groups[MSG_GROUPS_MAX];
	size_t ngroups = 0;
	bool numeric, have_image = false;
	int hold = -1, r = 0;

	numeric = parse_user(spec, &p->uid, &p->gid, e) == 0;
	if (!numeric) {
		error_clear(e);
		if (!c->image_id)
			return error_set(e, EINVAL,
					 "invalid user \"%s\": with --rootfs, use a numeric UID[:GID]",
					 spec);
	}
	if (c->image_id) {
		if (container_open_image(c->image_id, &st, &img, &hold, false, e) < 0)
			return -e->code;
		close(hold);
		have_image = true;
	}
	if (!numeric)
		r = passwd_resolve(img.passwd, img.group, spec, &p->uid, &p->gid, e);
	if (r == 0)
		r = passwd_groups(img.passwd, img.group, p->uid, (const char *const *)c->group_add,
				  c->ngroup_add, groups, &ngroups, MSG_GROUPS_MAX, e);
	if (have_image) {
		image_free(&img);
		store_close(&st);
	}
	if (r < 0)
		return r;
	free(p->groups);
	p->groups = ngroups ? xcalloc(ngroups, sizeof(*p->groups)) : NULL;
	for (size_t i = 0; i < ngroups; i++)
		p->groups[i] = groups[i];
	p->ngroups = ngroups;
	return 0;
}

/* The container's own process as the base: its user, environment and
 * working directory, then the options. */
static int build_request(const struct container_config *c, const struct exec_options *o,
			 char **cmd, int ncmd, struct agent_request *req, struct error *e)
{
	struct process_spec *p = &req->u.create.spec;

	if (!c->create_request ||
	    agent_request_parse(c->create_request, strlen(c->create_request), req, e) < 0)
		return error_set(e, EINVAL, "container %.12s: its recorded command is unreadable",
				 c->id);
	for (size_t i = 0; i < p->nargs; i++)
		free(p->args[i]);
	free(p->args);
	p->args = xcalloc((size_t)ncmd + 1, sizeof(*p->args));
	for (int i = 0; i < ncmd; i++)
		p->args[i] = xstrdup(cmd[i]);
	p->nargs = (size_t)ncmd;
	for (size_t i = 0; i < o->nenv; i++)
		process_spec_setenv(p, o->env[i]);
	if (o->tty)
		process_spec_setenv(p, "TERM=xterm");
	if (o->workdir) {
		free(p->cwd);
		p->cwd = xstrdup(o->workdir);
	}
	if (o->user && resolve_user(c, o->user, p, e) < 0)
		return -e->code;
	p->terminal = o->tty;
	p->stdin = o->interactive;
	p->rows = p->cols = 0;
	if (o->tty && !terminal_size_any(&p->rows, &p->cols)) {
		p->rows = 24;
		p->cols = 80;
	}
	req->u.create.process = 2; /* the monitor picks the number */
	req->u.create.join = 1;
	req->u.create.rootfs_tag[0] = req->u.create.rootfs_disk[0] = '\0';
	req->u.create.hostname[0] = '\0';
	return 0;
}

static int signal_fd(bool tty)
{
	static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(proxied) / sizeof(*proxied); i++)
		sigaddset(&set, proxied[i]);
	if (tty)
		sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

int cmd_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"detach", no_argument, NULL, 'd'},	      {"env", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},	      {"interactive", no_argument, NULL, 'i'},
	    {"tty", no_argument, NULL, 't'},	      {"user", required_argument, NULL, 'u'},
	    {"workdir", required_argument, NULL, 'w'}, {0},
	};
	struct exec_options o = {0};
	struct agent_request req = {0};
	struct container_record r = {0};
	struct monitor_msg m = {.type = MONITOR_EXEC};
	struct error e = {0};
	const int stdio[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	char run_root[4096], *payload = NULL;
	size_t len;
	int c, fd = -1, sigfd, code = EXIT_LAUNCHER;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+de:hitu:w:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.detach = true;
			break;
		case 'e':
			if (!strchr(optarg, '=')) {
				const char *v = getenv(optarg);
				if (!v)
					break; /* Docker drops an unset one */
				o.env = realloc(o.env, (o.nenv + 1) * sizeof(*o.env));
				o.env[o.nenv++] = xasprintf("%s=%s", optarg, v);
				break;
			}
			if (optarg[0] == '=')
				return cli_usage("exec", "invalid environment variable: %s", optarg);
			o.env = realloc(o.env, (o.nenv + 1) * sizeof(*o.env));
			o.env[o.nenv++] = xstrdup(optarg);
			break;
		case 'i':
			o.interactive = true;
			break;
		case 't':
			o.tty = true;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'w':
			if (optarg[0] != '/')
				return cli_usage("exec", "the working directory '%s' is invalid, it needs to be an absolute path", optarg);
			o.workdir = optarg;
			break;
		case 'h':
			exec_usage();
			return 0;
		default:
			return cli_usage("exec", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return cli_usage("exec", "\"launcher exec\" requires at least 2 arguments.");
	if (o.tty && o.interactive && !o.detach && !isatty(STDIN_FILENO)) {
		launcher_error("the input device is not a TTY");
		goto out;
	}
	cli_run_root(run_root, sizeof(run_root));
	if (container_lookup(run_root, argv[optind], &r, &e) < 0) {
		launcher_error("%s", e.msg);
		code = EXIT_NO_SUCH_CONTAINER;
		goto out;
	}
	if (r.state.status != CONTAINER_RUNNING) {
		launcher_error("container %s is not running", argv[optind]);
		goto out;
	}
	if (build_request(&r.config, &o, argv + optind + 1, argc - optind - 1, &req, &e) < 0) {
		launcher_error("%s", e.msg);
		goto out;
	}
	payload = agent_request_format(&req, &len);
	fd = monitor_connect(run_root, r.config.id);
	if (fd < 0) {
		launcher_error("container %s is not running", argv[optind]);
		goto out;
	}
	m.value = (int)len;
	m.flags = (o.interactive ? MONITOR_FLAG_INTERACTIVE : 0) | (o.tty ? MONITOR_FLAG_TTY : 0) |
		  (o.detach ? MONITOR_FLAG_DETACH : 0);
	sigfd = o.detach ? -1 : signal_fd(o.tty);
	if (!payload || monitor_send(fd, &m, stdio, 3, payload, len) < 0) {
		launcher_error("container %s: its monitor did not take the command", argv[optind]);
		goto out;
	}
	if (o.tty && o.interactive && !o.detach)
		terminal_make_raw(STDIN_FILENO);
	code = monitor_client_wait(fd, sigfd, "the container's monitor");
out:
	if (fd >= 0)
		close(fd);
	free(payload);
	agent_request_free(&req);
	container_record_free(&r);
	for (size_t i = 0; i < o.nenv; i++)
		free(o.env[i]);
	free(o.env);
	return code;
}
