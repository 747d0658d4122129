/* `launcher run` option parsing, as docker run reads its options. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "run-options.h"

#define ARGV(...) ((char *[]){"run", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"run", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, e, ...) run_options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o), (e))

static void test_basic(void **state)
{
	struct run_options o;
	struct error e = {0};

	(void)state;
	assert_int_equal(PARSE(&o, &e, "-i", "--rootfs", "/r", "sh", "-c", "exit 3"), 0);
	assert_true(o.interactive);
	assert_false(o.tty);
	assert_true(o.sig_proxy);
	assert_string_equal(o.rootfs, "/r");
	assert_null(o.image);
	assert_int_equal(o.ncommand, 3);
	assert_string_equal(o.command[0], "sh");
	assert_string_equal(o.command[2], "exit 3");
	run_options_free(&o);
}

static void test_command_flags_stay_with_command(void **state)
{
	struct run_options o;
	struct error e = {0};

	(void)state;
	assert_int_equal(PARSE(&o, &e, "--rootfs", "/r", "ls", "-l", "-e", "x"), 0);
	assert_int_equal(o.ncommand, 4);
	assert_int_equal(o.nenv, 0);
	run_options_free(&o);
}

static void test_combined_short_flags(void **state)
{
	struct run_options o;
	struct error e = {0};

	(void)state;
	assert_int_equal(PARSE(&o, &e, "-it", "--rootfs=/r", "sh"), 0);
	assert_true(o.interactive);
	assert_true(o.tty);
	run_options_free(&o);
}

static void test_env(void **state)
{
	struct run_options o;
	struct error e = {0};
	char path[] = "/tmp/test-env-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	dprintf(fd, "# comment\n\nA=1\n  B=two words\nFROM_HOST\nNOT_SET_ANYWHERE_X\n");
	close(fd);
	setenv("FROM_HOST", "h", 1);
	unsetenv("NOT_SET_ANYWHERE_X");
	assert_int_equal(PARSE(&o, &e, "-e", "K=V", "--env-file", path, "--env=Z=", "--rootfs", "/r", "true"), 0);
	assert_int_equal(o.nenv, 5);
	assert_string_equal(o.env[0], "K=V");
	assert_string_equal(o.env[1], "A=1");
	assert_string_equal(o.env[2], "B=two words");
	assert_string_equal(o.env[3], "FROM_HOST=h");
	assert_string_equal(o.env[4], "Z=");
	run_options_free(&o);
	unlink(path);
}

static void test_bad_env(void **state)
{
	struct run_options o;
	struct error e = {0};

	(void)state;
	assert_int_equal(PARSE(&o, &e, "-e", "=x", "--rootfs", "/r", "true"), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid environment variable"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--env-file", "/nonexistent/env", "--rootfs", "/r", "true"),
			 -ENOENT);
	run_options_free(&o);
}

static void test_user(void **state)
{
	struct run_options o;
	struct error e = {0};
	uint32_t uid, gid;

	(void)state;
	assert_int_equal(parse_user("1000", &uid, &gid, &e), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(gid, 0);
	assert_int_equal(parse_user("1000:50", &uid, &gid, &e), 0);
	assert_int_equal(gid, 50);
	assert_int_equal(parse_user("nobody", &uid, &gid, &e), -EINVAL);
	assert_int_equal(parse_user("1:x", &uid, &gid, &e), -EINVAL);
	assert_int_equal(parse_user("4294967295", &uid, &gid, &e), -EINVAL);
	assert_int_equal(PARSE(&o, &e, "-u", "7:8", "--rootfs", "/r", "id"), 0);
	assert_true(o.has_user);
	assert_int_equal(o.uid, 7);
	assert_int_equal(o.gid, 8);
	run_options_free(&o);
}

static void test_memory_and_cpus(void **state)
{
	struct error e = {0};
	uint64_t m;
	uint32_t c;

	(void)state;
	assert_int_equal(parse_memory("512m", &m, &e), 0);
	assert_int_equal(m, 512ull << 20);
	assert_int_equal(parse_memory("1g", &m, &e), 0);
	assert_int_equal(m, 1ull << 30);
	assert_int_equal(parse_memory("1k", &m, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "minimum memory"));
	assert_int_equal(parse_memory("lots", &m, &e), -EINVAL);
	assert_int_equal(parse_memory("-5m", &m, &e), -EINVAL);
	assert_int_equal(parse_cpus("1.5", &c, &e), 0);
	assert_int_equal(c, 1500);
	assert_int_equal(parse_cpus("2", &c, &e), 0);
	assert_int_equal(c, 2000);
	assert_int_equal(parse_cpus(".25", &c, &e), 0);
	assert_int_equal(c, 250);
	assert_int_equal(parse_cpus("0", &c, &e), -EINVAL);
	assert_int_equal(parse_cpus("-1", &c, &e), -EINVAL);
	assert_int_equal(parse_cpus("1e3", &c, &e), -EINVAL);
	assert_int_equal(parse_cpus("1000", &c, &e), -EINVAL);
}

static void test_errors(void **state)
{
	struct run_options o;
	struct error e = {0};

	(void)state;
	assert_int_equal(PARSE(&o, &e, "--no-such-flag", "--rootfs", "/r", "true"), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown flag: --no-such-flag"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "-x", "--rootfs", "/r", "true"), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown flag"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--rootfs", "/r"), -EINVAL);
	assert_non_null(strstr(e.msg, "no command"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--memory"), -EINVAL);
	assert_non_null(strstr(e.msg, "needs an argument"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "-w", "relative", "--rootfs", "/r", "true"), -EINVAL);
	assert_non_null(strstr(e.msg, "absolute path"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--sig-proxy=maybe", "--rootfs", "/r", "true"), -EINVAL);
	run_options_free(&o);
}

static void test_image_positional(void **state)
{
	struct run_options o;
	struct error e = {0};

	(void)state;
	assert_int_equal(PARSE(&o, &e, "--sig-proxy=false", "busybox", "echo", "hi"), 0);
	assert_false(o.sig_proxy);
	assert_string_equal(o.image, "busybox");
	assert_int_equal(o.ncommand, 2);
	run_options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_command_flags_stay_with_command),
		cmocka_unit_test(test_combined_short_flags),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_bad_env),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_memory_and_cpus),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_image_positional),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
