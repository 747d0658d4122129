/* agent/exec-search: where the agent looks for a container's command (the
 * container's PATH, execvp's rules) and what a user is told when it is not
 * there. The attempts are recorded instead of executed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec-search.h"

#define TRIES_MAX 16

/* Each candidate path is looked up in `results` ("path=errno", errno 0 for
 * the one that works); unlisted paths do not exist. */
struct fake {
	const char *const *results;
	char tried[TRIES_MAX][256];
	int n;
};

static int fake_try(const char *path, void *userdata)
{
	struct fake *f = userdata;
	size_t n = strlen(path);

	assert_true(f->n < TRIES_MAX);
	snprintf(f->tried[f->n++], sizeof(f->tried[0]), "%s", path);
	for (const char *const *r = f->results; r && *r; r++)
		if (strncmp(*r, path, n) == 0 && (*r)[n] == '=')
			return atoi(*r + n + 1);
	return ENOENT;
}

static void test_slash_is_tried_as_is(void **state)
{
	static const char *const results[] = {"./run.sh=0", NULL};
	struct fake f = {.results = results};

	assert_int_equal(exec_search("./run.sh", "/bin", fake_try, &f), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.tried[0], "./run.sh");

	f = (struct fake){0};
	assert_int_equal(exec_search("/no/such", "/bin", fake_try, &f), ENOENT);
	assert_int_equal(f.n, 1);
}

static void test_path_order_and_first_hit(void **state)
{
	static const char *const results[] = {"/usr/bin/ls=0", "/bin/ls=0", NULL};
	struct fake f = {.results = results};

	assert_int_equal(exec_search("ls", "/usr/local/bin:/usr/bin:/bin", fake_try, &f), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.tried[0], "/usr/local/bin/ls");
	assert_string_equal(f.tried[1], "/usr/bin/ls");
}

static void test_default_path(void **state)
{
	struct fake f = {0};

	assert_int_equal(exec_search("nope", NULL, fake_try, &f), ENOENT);
	assert_int_equal(f.n, 6);
	assert_string_equal(f.tried[0], "/usr/local/sbin/nope");
	assert_string_equal(f.tried[5], "/bin/nope");
}

static void test_empty_entry_is_working_directory(void **state)
{
	struct fake f = {0};

	assert_int_equal(exec_search("x", ":/bin:", fake_try, &f), ENOENT);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.tried[0], "x");
	assert_string_equal(f.tried[1], "/bin/x");
	assert_string_equal(f.tried[2], "x");
}

static void test_denied_then_found_elsewhere(void **state)
{
	static const char *const results[] = {"/a/x=13", "/b/x=0", NULL};
	struct fake f = {.results = results};

	assert_int_equal(exec_search("x", "/a:/b", fake_try, &f), 0);
	assert_int_equal(f.n, 2);
}

static void test_denied_reported_when_nothing_better(void **state)
{
	static const char *const results[] = {"/a/x=13", NULL};
	struct fake f = {.results = results};

	assert_int_equal(exec_search("x", "/a:/b", fake_try, &f), EACCES);
	assert_int_equal(f.n, 2);
}

static void test_other_errors_stop_the_search(void **state)
{
	static const char *const results[] = {"/a/x=8", "/b/x=0", NULL}; /* ENOEXEC */
	struct fake f = {.results = results};

	assert_int_equal(exec_search("x", "/a:/b", fake_try, &f), ENOEXEC);
	assert_int_equal(f.n, 1);
}

static void test_not_a_directory_skipped(void **state)
{
	static const char *const results[] = {"/a/x=20", "/b/x=0", NULL}; /* ENOTDIR */
	struct fake f = {.results = results};

	assert_int_equal(exec_search("x", "/a:/b", fake_try, &f), 0);
}

static void test_empty_name(void **state)
{
	struct fake f = {0};

	assert_int_equal(exec_search("", "/bin", fake_try, &f), ENOENT);
	assert_int_equal(f.n, 0);
}

static void test_overlong_candidate_skipped(void **state)
{
	static char dir[5000];
	char path[5100];
	struct fake f = {0};

	memset(dir, 'd', sizeof(dir) - 1);
	dir[0] = '/';
	snprintf(path, sizeof(path), "%s:/bin", dir);
	assert_int_equal(exec_search("x", path, fake_try, &f), ENOENT);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.tried[0], "/bin/x");
}

static void test_env_get(void **state)
{
	char *env[] = {"PATHX=no", "PATH=/x:/y", "PATH=/second", "EMPTY=", NULL};

	assert_string_equal(exec_env_get(env, "PATH"), "/x:/y");
	assert_string_equal(exec_env_get(env, "EMPTY"), "");
	assert_null(exec_env_get(env, "PAT"));
	assert_null(exec_env_get(env, "HOME"));
	assert_null(exec_env_get(NULL, "PATH"));
}

static void test_messages(void **state)
{
	char buf[256];

	exec_error_message("foo", ENOENT, buf, sizeof(buf));
	assert_string_equal(buf, "exec: \"foo\": executable file not found in $PATH");
	exec_error_message("/bin/foo", ENOENT, buf, sizeof(buf));
	assert_string_equal(buf, "exec: \"/bin/foo\": No such file or directory");
	exec_error_message("foo", EACCES, buf, sizeof(buf));
	assert_string_equal(buf, "exec: \"foo\": Permission denied");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slash_is_tried_as_is),
	    cmocka_unit_test(test_path_order_and_first_hit),
	    cmocka_unit_test(test_default_path),
	    cmocka_unit_test(test_empty_entry_is_working_directory),
	    cmocka_unit_test(test_denied_then_found_elsewhere),
	    cmocka_unit_test(test_denied_reported_when_nothing_better),
	    cmocka_unit_test(test_other_errors_stop_the_search),
	    cmocka_unit_test(test_not_a_directory_skipped),
	    cmocka_unit_test(test_empty_name),
	    cmocka_unit_test(test_overlong_candidate_skipped),
	    cmocka_unit_test(test_env_get),
	    cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
