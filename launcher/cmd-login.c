/* launcher login and logout: registry credentials in Docker's config.json
 * ($LAUNCHER_AUTH_FILE, $DOCKER_CONFIG/config.json or
 * ~/.docker/config.json), where `launcher pull` and docker find them. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "pull-output.h"
#include "registry-auth.h"
#include "registry.h"

static void login_usage(FILE *out)
{
	fprintf(out,
		"\nUsage:  launcher login [OPTIONS] [SERVER]\n\n"
		"Log in to a registry.\n"
		"If no server is specified, the default is docker.io.\n\n"
		"Options:\n"
		"  -h, --help                     Print usage\n"
		"      --insecure-registry host   Speak plain HTTP to this registry (HOST[:PORT])\n"
		"  -p, --password string          Password\n"
		"      --password-stdin           Take the password from stdin\n"
		"  -u, --username string          Username\n");
}

static void logout_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher logout [SERVER]\n\n"
		     "Log out from a registry.\n"
		     "If no server is specified, the default is docker.io.\n");
}

/* A line from fd without its line end; echo off on a terminal. */
static int read_line(int fd, bool secret, char *buf, size_t size)
{
	struct termios old, raw;
	bool tty = secret && tcgetattr(fd, &old) == 0;
	size_t n = 0;
	char c;
	ssize_t r;

	if (tty) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &raw);
	}
	while ((r = read(fd, &c, 1)) == 1 && c != '\n') {
		if (n + 1 >= size) {
			r = -1;
			errno = E2BIG;
			break;
		}
		buf[n++] = c;
	}
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (r < 0)
		return -errno;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int server_host(const char *arg, char *buf, size_t size)
{
	if (registry_auth_normalize_host(arg ? arg : REGISTRY_DOCKER_HUB, buf, size) < 0) {
		launcher_error("invalid registry \"%s\"", arg);
		return -EINVAL;
	}
	return 0;
}

static int auth_file(char *buf, size_t size)
{
	if (registry_auth_file_path(buf, size) < 0) {
		launcher_error(
		    "no credentials file: set HOME, DOCKER_CONFIG or LAUNCHER_AUTH_FILE");
		return -ENOENT;
	}
	return 0;
}

static int get_credentials(const char *user, const char *password, bool password_stdin,
			   struct registry_credentials *c)
{
	if (user && strlen(user) >= sizeof(c->username)) {
		launcher_error("the user name is too long");
		return -EINVAL;
	}
	if (!user && (password_stdin || !isatty(STDIN_FILENO))) {
		launcher_error(password_stdin ? "Must provide --username with --password-stdin"
					      : "Cannot perform an interactive login from a non "
						"TTY device");
		return -EINVAL;
	}
	if (user) {
		snprintf(c->username, sizeof(c->username), "%s", user);
	} else {
		fputs("Username: ", stderr);
		if (read_line(STDIN_FILENO, false, c->username, sizeof(c->username)) < 0)
			return -EIO;
	}
	if (password) {
		fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use "
				"--password-stdin.\n");
		snprintf(c->password, sizeof(c->password), "%s", password);
	} else if (password_stdin) {
		if (read_line(STDIN_FILENO, false, c->password, sizeof(c->password)) < 0) {
			launcher_error("reading the password from stdin failed (or it is longer "
				       "than %d bytes)",
				       REGISTRY_PASSWORD_MAX - 1);
			return -EIO;
		}
	} else if (!isatty(STDIN_FILENO)) {
		launcher_error("Cannot perform an interactive login from a non TTY device");
		return -EINVAL;
	} else {
		fputs("Password: ", stderr);
		if (read_line(STDIN_FILENO, true, c->password, sizeof(c->password)) < 0)
			return -EIO;
	}
	if (!c->username[0] || !c->password[0]) {
		launcher_error("Error: Cannot perform login: %s is empty",
			       c->username[0] ? "the password" : "the user name");
		return -EINVAL;
	}
	return 0;
}

int cmd_login(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"username", required_argument, NULL, 'u'},
	    {"password", required_argument, NULL, 'p'},
	    {"password-stdin", no_argument, NULL, 'P'},
	    {"insecure-registry", required_argument, NULL, 'I'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *user = NULL, *password = NULL;
	bool password_stdin = false;
	struct registry_credentials creds = {0};
	struct pull_cli_options po = {0};
	struct registry_options ro;
	struct registry *reg = NULL;
	char host[REGISTRY_PARAM_MAX], path[PATH_MAX];
	struct error e = {0};
	int c, code = EXIT_LAUNCHER;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+u:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 'p':
			password = optarg;
			break;
		case 'P':
			password_stdin = true;
			break;
		case 'I':
			if (pull_options_add_insecure(&po, optarg, &e) < 0) {
				launcher_error("%s", e.msg);
				goto out;
			}
			break;
		case 'h':
			login_usage(stdout);
			code = 0;
			goto out;
		default:
			launcher_error("%s: %s\nSee 'launcher login --help'.",
				       c == ':' ? "flag needs an argument" : "unknown flag",
				       argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind > 1) {
		launcher_error("\"launcher login\" requires at most 1 argument.\n"
			       "See 'launcher login --help'.");
		goto out;
	}
	if (password && password_stdin) {
		launcher_error("--password and --password-stdin are mutually exclusive");
		goto out;
	}
	if (server_host(optind < argc ? argv[optind] : NULL, host, sizeof(host)) < 0 ||
	    auth_file(path, sizeof(path)) < 0 ||
	    get_credentials(user, password, password_stdin, &creds) < 0)
		goto out;
	if (pull_options_add_env(&po, &e) < 0) {
		launcher_error("%s", e.msg);
		goto out;
	}
	ro = pull_options_registry(&po);
	if (registry_open(host, NULL, &ro, &reg, &e) < 0 ||
	    registry_check_login(reg, &creds, &e) < 0 ||
	    registry_credentials_store(path, host, &creds, &e) < 0) {
		launcher_error("%s", e.msg);
		goto out;
	}
	printf("Login Succeeded\n");
	code = 0;
out:
	registry_free(reg);
	pull_options_free(&po);
	explicit_bzero(&creds, sizeof(creds));
	return code;
}

int cmd_logout(int argc, char **argv)
{
	char host[REGISTRY_PARAM_MAX], path[PATH_MAX];
	struct error e = {0};
	int r;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		logout_usage(stdout);
		return 0;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		launcher_error("\"launcher logout\" takes at most 1 argument, a registry.\n"
			       "See 'launcher logout --help'.");
		return EXIT_LAUNCHER;
	}
	if (server_host(argc == 2 ? argv[1] : NULL, host, sizeof(host)) < 0 ||
	    auth_file(path, sizeof(path)) < 0)
		return EXIT_LAUNCHER;
	r = registry_credentials_store(path, host, NULL, &e);
	if (r == -ENOENT) {
		printf("Not logged in to %s\n", host);
		return 0;
	}
	if (r < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	printf("Removing login credentials for %s\n", host);
	return 0;
}
