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
	assert_int_equal(parse_cpus("0.01", &c, &e), 0);
	assert_int_equal(c, 10);
	assert_int_equal(parse_cpus("0.009", &c, &e), -EINVAL);
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

/* -v, --mount, --tmpfs as Docker reads them. */
static void test_mounts(void **state)
{
	struct run_mount m;
	struct error e = {0};

	(void)state;
	assert_int_equal(parse_volume("/srv/data:/data:ro", &m, &e), 0);
	assert_int_equal(m.kind, RUN_MOUNT_BIND);
	assert_string_equal(m.source, "/srv/data");
	assert_string_equal(m.target, "/data");
	assert_int_equal(m.flags, MOUNT_RDONLY);
	assert_true(m.create_missing);
	run_mount_free(&m);
	assert_int_equal(parse_volume("cache:/var/cache/:rw,z", &m, &e), 0);
	assert_int_equal(m.kind, RUN_MOUNT_VOLUME);
	assert_string_equal(m.target, "/var/cache");
	assert_int_equal(m.flags, 0);
	run_mount_free(&m);
	assert_int_equal(parse_mount("type=bind,src=/a,dst=/b,readonly", &m, &e), 0);
	assert_int_equal(m.kind, RUN_MOUNT_BIND);
	assert_int_equal(m.flags, MOUNT_RDONLY);
	assert_false(m.create_missing);
	run_mount_free(&m);
	assert_int_equal(parse_mount("type=volume,source=v1,target=/v,readonly=false", &m, &e), 0);
	assert_int_equal(m.kind, RUN_MOUNT_VOLUME);
	assert_int_equal(m.flags, 0);
	run_mount_free(&m);
	assert_int_equal(parse_mount("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=700", &m, &e), 0);
	assert_int_equal(m.kind, RUN_MOUNT_TMPFS);
	assert_int_equal(m.size, 1 << 20);
	assert_int_equal(m.mode, 0700);
	assert_int_equal(m.flags, MOUNT_NOSUID | MOUNT_NODEV | MOUNT_NOEXEC);
	run_mount_free(&m);
	assert_int_equal(parse_tmpfs("/run:exec,size=64k,mode=1777", &m, &e), 0);
	assert_int_equal(m.flags, MOUNT_NOSUID | MOUNT_NODEV);
	assert_int_equal(m.size, 64 << 10);
	assert_int_equal(m.mode, 01777);
	run_mount_free(&m);
	assert_int_equal(parse_tmpfs("/x", &m, &e), 0);
	assert_int_equal(m.flags, MOUNT_NOSUID | MOUNT_NODEV | MOUNT_NOEXEC);
	run_mount_free(&m);

	static const char *const bad_volumes[] = {
	    "/data", "rel/ative:/x", "./rel:/x", "/a:relative", "/a:/", "/a:/proc/x", "/a:/b/../c",
	    "/a:/b:rx", "/a:/b:ro:extra", "a:/b", "-x:/b", "", "/a::/b", ":/b", "/a:/b:",
	    "/a:/b::ro",
	};
	assert_true(volume_name_valid("vol1"));
	assert_true(volume_name_valid("my.cache-2_x"));
	static const char *const bad_names[] = {"../x", "a/b", "..", ".a", "x", "-a", "a b", ""};
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++)
		if (volume_name_valid(bad_names[i]))
			fail_msg("volume name \"%s\" accepted", bad_names[i]);
	for (size_t i = 0; i < sizeof(bad_volumes) / sizeof(*bad_volumes); i++)
		if (parse_volume(bad_volumes[i], &m, &e) == 0)
			fail_msg("-v %s accepted", bad_volumes[i]);
	static const char *const bad_mounts[] = {
	    "type=bind,source=/a",	"type=bind,source=rel,target=/b",
	    "type=volume,source=/abs,target=/b", "type=nfs,source=a,target=/b",
	    "type=tmpfs,source=x,target=/b", "type=bind,source=/a,target=/b,tmpfs-size=1m",
	    "type=bind,source=/a,target=/b,readonly=maybe", "target=/b,weird=1",
	    "type=volume,target=/b",
	};
	for (size_t i = 0; i < sizeof(bad_mounts) / sizeof(*bad_mounts); i++)
		if (parse_mount(bad_mounts[i], &m, &e) == 0)
			fail_msg("--mount %s accepted", bad_mounts[i]);
	static const char *const bad_tmpfs[] = {"relative", "/x:size=lots", "/x:mode=9",
						"/x:bogus", "/"};
	for (size_t i = 0; i < sizeof(bad_tmpfs) / sizeof(*bad_tmpfs); i++)
		if (parse_tmpfs(bad_tmpfs[i], &m, &e) == 0)
			fail_msg("--tmpfs %s accepted", bad_tmpfs[i]);
}

static void test_isolation_flags(void **state)
{
	struct run_options o;
	struct error e = {0};
	struct rlimit_spec r;

	(void)state;
	assert_int_equal(PARSE(&o, &e, "--cap-add", "SYS_ADMIN", "--cap-drop", "ALL", "--privileged",
			       "--read-only", "--security-opt", "seccomp=unconfined",
			       "--security-opt", "no-new-privileges=false", "--pids-limit", "64",
			       "--shm-size", "8m", "--ulimit", "nofile=10:20", "--ulimit",
			       "nofile=30", "--group-add", "audio", "-v", "/a:/b", "--tmpfs", "/t",
			       "img"),
			 0);
	assert_int_equal(o.iso.ncap_add, 1);
	assert_string_equal(o.iso.cap_drop[0], "ALL");
	assert_true(o.iso.privileged && o.iso.read_only);
	assert_string_equal(o.iso.seccomp, "unconfined");
	assert_int_equal(o.iso.no_new_privs, 0);
	assert_int_equal(o.iso.pids_limit, 64);
	assert_int_equal(o.iso.shm_size, 8 << 20);
	assert_int_equal(o.iso.nulimits, 1); /* the last nofile wins */
	assert_int_equal(o.iso.ulimits[0].soft, 30);
	assert_int_equal(o.iso.nmounts, 2);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "img"), 0);
	assert_int_equal(o.iso.no_new_privs, -1);
	assert_null(o.iso.seccomp);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "-v", "/a:/b", "--tmpfs", "/b", "img"), -EINVAL);
	assert_non_null(strstr(e.msg, "duplicate mount point"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--security-opt", "apparmor=x", "img"), -EINVAL);
	run_options_free(&o);
	/* turning off what the guest does not have: accepted */
	assert_int_equal(PARSE(&o, &e, "--security-opt", "apparmor=unconfined", "--security-opt",
			       "label=disable", "img"),
			 0);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--security-opt", "bogus", "img"), -EINVAL);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--pids-limit", "lots", "img"), -EINVAL);
	run_options_free(&o);

	assert_int_equal(parse_ulimit("nproc=unlimited", &r, &e), 0);
	assert_true(r.soft == UINT64_MAX && r.hard == UINT64_MAX);
	assert_int_equal(parse_ulimit("core=-1:-1", &r, &e), 0);
	assert_true(parse_ulimit("nofile=20:10", &r, &e) < 0);
	assert_true(parse_ulimit("nofiles=1", &r, &e) < 0);
	assert_true(parse_ulimit("nofile", &r, &e) < 0);
	assert_true(parse_ulimit("nofile=x", &r, &e) < 0);
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
		cmocka_unit_test(test_mounts),
		cmocka_unit_test(test_isolation_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
