/* User names resolved from an image's /etc/passwd and /etc/group. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "passwd.h"

static const char *passwd = "root:x:0:0:root:/root:/bin/sh\n"
			    "# a comment\n"
			    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			    "app:x:1000:1001:App:/home/app:/bin/sh\n"
			    "broken line without colons\n"
			    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin";
static const char *group = "root:x:0:\nstaff:x:50:\napp:x:1001:\n";

static void ok(const char *spec, uint32_t uid, uint32_t gid)
{
	struct error e = {0};
	uint32_t u = 99, g = 99;

	if (passwd_resolve(passwd, group, spec, &u, &g, &e) != 0)
		fail_msg("%s: %s", spec, e.msg);
	assert_int_equal(u, uid);
	assert_int_equal(g, gid);
}

static void bad(const char *pw, const char *spec, const char *msg)
{
	struct error e = {0};
	uint32_t u, g;

	assert_true(passwd_resolve(pw, group, spec, &u, &g, &e) < 0);
	assert_non_null(strstr(e.msg, msg));
}

static void test_resolve(void **state)
{
	ok("root", 0, 0);
	ok("app", 1000, 1001);
	ok("nobody", 65534, 65534);
	ok("1000", 1000, 1001);
	ok("4242", 4242, 0);
	ok("app:staff", 1000, 50);
	ok("app:7", 1000, 7);
	ok("1000:staff", 1000, 50);
	ok("0:0", 0, 0);
}

static void test_errors(void **state)
{
	bad(passwd, "nosuch", "unable to find user nosuch");
	bad(passwd, "app:nosuch", "unable to find group nosuch");
	bad(NULL, "app", "unable to find user app");
	bad(passwd, "", "invalid user");
	bad(passwd, ":0", "invalid user");
	bad(passwd, "app:", "invalid user");
	bad(passwd, "broken line without colons", "unable to find user");
}

/* Supplementary groups: memberships in /etc/group, then --group-add. */
static void test_groups(void **state)
{
	static const char *members = "root:x:0:\naudio:x:29:app,other\nvideo:x:44:other\n"
				     "staff:x:50:app\n# app in a comment:x:9:app\nodd:x:x:app\n";
	const char *add[] = {"video", "4242", "29"};
	const char *missing[] = {"nosuch"};
	uint32_t g[8];
	size_t n;
	struct error e = {0};

	assert_int_equal(passwd_groups(passwd, members, 1000, NULL, 0, g, &n, 8, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(g[0], 29);
	assert_int_equal(g[1], 50);
	assert_int_equal(passwd_groups(passwd, members, 1000, add, 3, g, &n, 8, &e), 0);
	assert_int_equal(n, 4); /* 29 not twice */
	assert_int_equal(g[2], 44);
	assert_int_equal(g[3], 4242);
	/* A uid not in passwd: only what is added. */
	assert_int_equal(passwd_groups(passwd, members, 777, add + 1, 1, g, &n, 8, &e), 0);
	assert_int_equal(n, 1);
	assert_true(passwd_groups(passwd, members, 0, missing, 1, g, &n, 8, &e) < 0);
	assert_non_null(strstr(e.msg, "unable to find group nosuch"));
	assert_true(passwd_groups(passwd, members, 1000, add, 3, g, &n, 3, &e) < 0);
	assert_int_equal(passwd_groups(NULL, NULL, 0, NULL, 0, g, &n, 8, &e), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
