/* launcher start, attach and restart. start boots a created or exited
 * container's VM again from its record (the same command, the image pinned
 * by ID); -a runs it attached, as `run` does in the foreground. attach
 * hands the container's monitor our stdio: its output comes to us (and
 * still to the log), our input goes to it when it was made with -i. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "container-ops.h"
#include "container-start.h"
#include "monitor.h"
#include "terminal.h"
#include "util.h"

static int client_signals(bool proxy, bool tty)
{
	static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; proxy && i < sizeof(proxied) / sizeof(*proxied); i++)
		sigaddset(&set, proxied[i]);
	if (tty)
		sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Starts r (not running); foreground: attached, returns its exit code. */
static int start_one(const char *run_root, struct container_record *r, bool attach,
		     struct error *e)
{
	struct start_request sr = {
	    .run_root = run_root, .rec = r, .foreground = attach, .hold_fd = -1};
	pid_t pid;
	int fd, code;

	if (attach && r->config.tty && r->config.interactive && !isatty(STDIN_FILENO)) {
		error_set(e, ENOTTY, "the input device is not a TTY");
		return EXIT_LAUNCHER;
	}
	fd = container_start(&sr, &pid, e);
	if (fd < 0)
		return EXIT_LAUNCHER;
	if (!attach) {
		code = container_started(fd, e);
		close(fd);
		return code;
	}
	{
		int sigfd = client_signals(true, r->config.tty);
		if (r->config.tty && r->config.interactive)
			terminal_make_raw(STDIN_FILENO);
		code = monitor_client_wait(fd, sigfd, "the container's monitor");
		error_clear(e);
	}
	close(fd);
	return code;
}

int cmd_start(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"attach", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {"interactive", no_argument, NULL, 'i'},
	    {0},
	};
	bool attach = false;
	char run_root[4096];
	int c, code = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+ahi", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			attach = true;
			break;
		case 'i':
			attach = true; /* its stdin comes with the attachment */
			break;
		case 'h':
			printf("\nUsage:  launcher start [OPTIONS] CONTAINER [CONTAINER...]\n\n"
			       "Start one or more stopped containers\n\n"
			       "Options:\n"
			       "  -a, --attach        Attach STDOUT/STDERR and forward signals\n"
			       "  -h, --help          Print usage\n"
			       "  -i, --interactive   Attach container's STDIN\n");
			return 0;
		default:
			return cli_usage("start", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("start", "\"launcher start\" requires at least 1 argument.");
	if (attach && argc - optind > 1)
		return cli_usage("start", "you cannot start and attach multiple containers at once");
	cli_run_root(run_root, sizeof(run_root));
	for (int i = optind; i < argc; i++) {
		struct container_record r;
		struct error e = {0};
		int rc = 0;

		if (container_lookup(run_root, argv[i], &r, &e) < 0) {
			launcher_error("%s", e.msg);
			code = EXIT_NO_SUCH_CONTAINER;
			continue;
		}
		/* Starting a running container does nothing, as in Docker;
		 * one whose monitor is still shutting its VM down is waited for. */
		if (r.state.status != CONTAINER_RUNNING) {
			(void)container_wait_monitor_gone(run_root, r.config.id, 30000);
			rc = start_one(run_root, &r, attach, &e);
		}
		if (attach) {
			if (e.msg[0])
				launcher_error("%s", e.msg);
			code = rc;
		} else if (rc != 0) {
			launcher_error("starting %s: %s", argv[i], e.msg);
			code = EXIT_NO_SUCH_CONTAINER;
		} else {
			printf("%s\n", argv[i]);
		}
		container_record_free(&r);
	}
	return code;
}

int cmd_restart(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"time", required_argument, NULL, 't'},
	    {0},
	};
	char run_root[4096];
	int c, code = 0, timeout = -1;
	uint64_t v;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+ht:", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_uint(optarg, 24 * 3600, &v) < 0)
				return cli_usage("restart", "invalid --time \"%s\": seconds", optarg);
			timeout = (int)v;
			break;
		case 'h':
			printf("\nUsage:  launcher restart [OPTIONS] CONTAINER [CONTAINER...]\n\n"
			       "Restart one or more containers\n\n"
			       "Options:\n"
			       "  -h, --help       Print usage\n"
			       "  -t, --time int   Seconds to wait before killing the container\n");
			return 0;
		default:
			return cli_usage("restart", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage("restart", "\"launcher restart\" requires at least 1 argument.");
	cli_run_root(run_root, sizeof(run_root));
	for (int i = optind; i < argc; i++) {
		struct container_record r;
		struct error e = {0};

		if (container_lookup(run_root, argv[i], &r, &e) < 0 ||
		    container_stop(run_root, &r, timeout >= 0 ? timeout : (int)r.config.stop_timeout,
				   &e) < 0 ||
		    container_wait_monitor_gone(run_root, r.config.id, 30000) < 0 ||
		    start_one(run_root, &r, false, &e) != 0) {
			launcher_error("restarting %s: %s", argv[i], e.msg[0] ? e.msg : "failed");
			code = EXIT_NO_SUCH_CONTAINER;
		} else {
			printf("%s\n", argv[i]);
		}
		container_record_free(&r);
	}
	return code;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"no-stdin", no_argument, NULL, 'n'},
	    {"sig-proxy", optional_argument, NULL, 's'},
	    {0},
	};
	const int stdio[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	struct monitor_msg m = {.type = MONITOR_ATTACH};
	struct container_record r;
	struct error e = {0};
	bool no_stdin = false, proxy = true;
	char run_root[4096];
	int c, fd, sigfd, code;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			no_stdin = true;
			break;
		case 's':
			proxy = !optarg || strcmp(optarg, "false") != 0;
			break;
		case 'h':
			printf("\nUsage:  launcher attach [OPTIONS] CONTAINER\n\n"
			       "Attach local standard input, output, and error streams to a running "
			       "container\n\n"
			       "Options:\n"
			       "  -h, --help        Print usage\n"
			       "      --no-stdin    Do not attach STDIN\n"
			       "      --sig-proxy   Proxy all received signals to the process "
			       "(default true)\n");
			return 0;
		default:
			return cli_usage("attach", "unknown flag: %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage("attach", "\"launcher attach\" requires exactly 1 argument.");
	cli_run_root(run_root, sizeof(run_root));
	if (container_lookup(run_root, argv[optind], &r, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_NO_SUCH_CONTAINER;
	}
	fd = r.state.status == CONTAINER_RUNNING ? monitor_connect(run_root, r.config.id) : -1;
	if (fd < 0) {
		launcher_error("you cannot attach to a stopped container, start it first");
		container_record_free(&r);
		return EXIT_NO_SUCH_CONTAINER;
	}
	bool with_stdin = r.config.interactive && !no_stdin;
	if (r.config.tty && with_stdin && !isatty(STDIN_FILENO)) {
		launcher_error("the input device is not a TTY");
		close(fd);
		container_record_free(&r);
		return EXIT_NO_SUCH_CONTAINER;
	}
	m.flags = with_stdin ? MONITOR_FLAG_INTERACTIVE : 0;
	sigfd = client_signals(proxy && !r.config.tty, r.config.tty);
	if (monitor_send(fd, &m, stdio, 3, NULL, 0) < 0) {
		launcher_error("container %s: its monitor did not take the attachment", argv[optind]);
		close(fd);
		container_record_free(&r);
		return EXIT_LAUNCHER;
	}
	if (r.config.tty) {
		/* The terminal takes our size now, as Docker's attach does. */
		struct monitor_msg w = {.type = MONITOR_WINCH};
		(void)!send(fd, &w, sizeof(w), MSG_NOSIGNAL);
		if (with_stdin)
			terminal_make_raw(STDIN_FILENO);
	}
	code = monitor_client_wait(fd, sigfd, "the container's monitor");
	close(fd);
	container_record_free(&r);
	return code;
}
