/* security/caps: capability names as Docker reads them, and the set a
 * container gets from --privileged, --cap-add and --cap-drop, case by case
 * as moby computes it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <string.h>

#include "caps.h"

#define BIT(c) (UINT64_C(1) << (c))
#define N(a) (sizeof(a) / sizeof(*(a)))

static void test_parse(void **state)
{
	static const struct {
		const char *name;
		int cap;
	} good[] = {
	    {"NET_ADMIN", CAP_NET_ADMIN}, {"CAP_NET_ADMIN", CAP_NET_ADMIN},
	    {"net_admin", CAP_NET_ADMIN}, {"cap_Net_Admin", CAP_NET_ADMIN},
	    {"CHOWN", CAP_CHOWN},	  {"CAP_CHECKPOINT_RESTORE", CAP_CHECKPOINT_RESTORE},
	    {"sys_admin", CAP_SYS_ADMIN}, {"AUDIT_READ", CAP_AUDIT_READ},
	};
	static const char *const bad[] = {"FOO",	"CAP_",		 "",  "ALL", "CAP_ALL",
					  "NET_ADMIN ", "CAP_CAP_CHOWN", "41"};
	struct error e = {0};
	int cap;

	(void)state;
	for (size_t i = 0; i < N(good); i++) {
		cap = -1;
		assert_int_equal(caps_parse(good[i].name, &cap, &e), 0);
		assert_int_equal(cap, good[i].cap);
	}
	for (size_t i = 0; i < N(bad); i++) {
		assert_int_equal(caps_parse(bad[i], &cap, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "unknown capability"));
	}
	assert_int_equal(caps_parse("FOO", &cap, &e), -EINVAL);
	assert_string_equal(e.msg, "unknown capability \"FOO\"");
}

/* What reaches the terminal is short and printable, whatever was typed. */
static void test_parse_hostile_name(void **state)
{
	char name[300];
	struct error e = {0};
	int cap;

	(void)state;
	memset(name, 'A', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[3] = '\x1b';
	assert_int_equal(caps_parse(name, &cap, &e), -EINVAL);
	assert_true(strlen(e.msg) < 80);
	assert_non_null(strstr(e.msg, "AAA?AAA"));
	assert_non_null(strstr(e.msg, "...\""));
	for (const char *p = e.msg; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_names(void **state)
{
	struct error e = {0};
	int cap;

	(void)state;
	assert_string_equal(caps_name(CAP_CHOWN), "CAP_CHOWN");
	assert_string_equal(caps_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	assert_string_equal(caps_name(CAPS_LAST), "CAP_CHECKPOINT_RESTORE");
	assert_null(caps_name(CAPS_LAST + 1));
	assert_null(caps_name(-1));
	/* Every name reads back as its number. */
	for (int c = 0; c <= CAPS_LAST; c++) {
		assert_non_null(caps_name(c));
		assert_int_equal(caps_parse(caps_name(c), &cap, &e), 0);
		assert_int_equal(cap, c);
	}
}

static void test_sets(void **state)
{
	(void)state;
	assert_int_equal(caps_docker_default(), UINT64_C(0x00000000a80425fb));
	assert_int_equal(caps_all(), (UINT64_C(1) << 41) - 1);
	assert_int_equal(caps_all(), CAPS_ALL);
}

static uint64_t from(char *const *add, size_t nadd, char *const *drop, size_t ndrop,
		     bool privileged)
{
	struct error e = {0};
	uint64_t set = 0xdead;

	assert_int_equal(caps_from_options(add, nadd, drop, ndrop, privileged, &set, &e), 0);
	return set;
}

static void test_from_options(void **state)
{
	char *net_admin[] = {"NET_ADMIN"}, *chown_kill[] = {"cap_chown", "KILL"};
	char *all[] = {"all"}, *all_and_chown[] = {"CHOWN", "ALL"};
	char *add_sys[] = {"SYS_ADMIN", "CAP_SYS_TIME"};
	const uint64_t def = caps_docker_default();

	(void)state;
	/* Nothing asked: the default. */
	assert_int_equal(from(NULL, 0, NULL, 0, false), def);
	/* Default, minus the drops, plus the adds. */
	assert_int_equal(from(net_admin, 1, NULL, 0, false), def | BIT(CAP_NET_ADMIN));
	assert_int_equal(from(NULL, 0, chown_kill, 2, false),
			 def & ~BIT(CAP_CHOWN) & ~BIT(CAP_KILL));
	assert_int_equal(from(add_sys, 2, chown_kill, 2, false),
			 (def & ~BIT(CAP_CHOWN) & ~BIT(CAP_KILL)) | BIT(CAP_SYS_ADMIN) |
			     BIT(CAP_SYS_TIME));
	/* Both added and dropped: added wins. */
	assert_int_equal(from(chown_kill, 2, chown_kill, 2, false), def);
	/* ALL among the adds: everything but the drops. */
	assert_int_equal(from(all, 1, NULL, 0, false), caps_all());
	assert_int_equal(from(all_and_chown, 2, chown_kill, 2, false),
			 caps_all() & ~BIT(CAP_CHOWN) & ~BIT(CAP_KILL));
	/* ALL among the drops: only the adds. */
	assert_int_equal(from(NULL, 0, all, 1, false), 0);
	assert_int_equal(from(add_sys, 2, all_and_chown, 2, false),
			 BIT(CAP_SYS_ADMIN) | BIT(CAP_SYS_TIME));
	/* ALL in both: the adds' rule comes first. */
	assert_int_equal(from(all, 1, all, 1, false), caps_all());
	/* Privileged: everything, whatever else. */
	assert_int_equal(from(NULL, 0, all, 1, true), caps_all());
	assert_int_equal(from(net_admin, 1, chown_kill, 2, true), caps_all());
}

static void test_from_options_errors(void **state)
{
	char *good[] = {"CHOWN"}, *bad[] = {"CHOWN", "NET_ADMINN"}, *cap_all[] = {"CAP_ALL"};
	struct error e = {0};
	uint64_t set = 7;

	(void)state;
	assert_int_equal(caps_from_options(bad, 2, NULL, 0, false, &set, &e), -EINVAL);
	assert_string_equal(e.msg, "--cap-add: unknown capability \"NET_ADMINN\"");
	assert_int_equal(set, 7);
	assert_int_equal(caps_from_options(good, 1, bad, 2, false, &set, &e), -EINVAL);
	assert_string_equal(e.msg, "--cap-drop: unknown capability \"NET_ADMINN\"");
	/* Checked even when privileged makes them moot. */
	assert_int_equal(caps_from_options(bad, 2, NULL, 0, true, &set, &e), -EINVAL);
	/* ALL is a word of these options, not a capability: no prefix. */
	assert_int_equal(caps_from_options(cap_all, 1, NULL, 0, false, &set, &e), -EINVAL);
	assert_int_equal(set, 7);
}

static void test_format(void **state)
{
	char buf[CAPS_FORMAT_MAX], small[12];

	(void)state;
	assert_int_equal(caps_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(caps_format(BIT(CAP_KILL) | BIT(CAP_CHOWN), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "CAP_CHOWN,CAP_KILL");
	assert_int_equal(caps_format(caps_docker_default(), buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,"
			    "CAP_SETGID,CAP_SETUID,CAP_SETPCAP,CAP_NET_BIND_SERVICE,"
			    "CAP_NET_RAW,CAP_SYS_CHROOT,CAP_MKNOD,CAP_AUDIT_WRITE,CAP_SETFCAP");
	/* All of them fit the documented size; bits past the last are left out. */
	assert_int_equal(caps_format(UINT64_MAX, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, ",CAP_CHECKPOINT_RESTORE"));
	assert_null(strstr(buf, ",,"));
	assert_int_equal(caps_format(BIT(CAP_CHOWN) | BIT(CAP_KILL), small, sizeof(small)),
			 -ENAMETOOLONG);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),	 cmocka_unit_test(test_parse_hostile_name),
	    cmocka_unit_test(test_names),	 cmocka_unit_test(test_sets),
	    cmocka_unit_test(test_from_options), cmocka_unit_test(test_from_options_errors),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
