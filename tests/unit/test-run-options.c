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

static void publish_ok(const char *arg, bool udp, const char *ip, unsigned host, unsigned ctr)
{
	struct container_port p;
	struct error e = {0};

	if (parse_publish(arg, &p, &e) != 0)
		fail_msg("-p %s refused: %s", arg, e.msg);
	assert_int_equal(p.udp, udp);
	assert_string_equal(p.host_ip, ip);
	assert_int_equal(p.host_port, host);
	assert_int_equal(p.container_port, ctr);
}

static void publish_bad(const char *arg, const char *part)
{
	struct container_port p;
	struct error e = {0};

	if (parse_publish(arg, &p, &e) == 0)
		fail_msg("-p %s accepted", arg);
	if (!strstr(e.msg, part))
		fail_msg("-p %s: \"%s\" does not say \"%s\"", arg, e.msg, part);
}

/* Docker's -p grammar; the host address is 127.0.0.1 unless given. */
static void test_publish(void **state)
{
	(void)state;
	publish_ok("8080:80", false, "127.0.0.1", 8080, 80);
	publish_ok("80", false, "127.0.0.1", 0, 80);
	publish_ok("0.0.0.0:8080:80/tcp", false, "0.0.0.0", 8080, 80);
	publish_ok("127.0.0.1::53/udp", true, "127.0.0.1", 0, 53);
	publish_ok("5353:53/udp", true, "127.0.0.1", 5353, 53);
	publish_bad("8080:80/sctp", "tcp or udp");
	publish_bad("[::1]:8080:80", "IPv4");
	publish_bad("8000-8001:80-81", "ranges");
	publish_bad("localhost:8080:80", "not an IPv4 address");
	publish_bad("1.2.3.4:1:2:3", "too many colons");
	publish_bad("8080:0", "container port");
	publish_bad("8080:65536", "container port");
	publish_bad("70000:80", "host port");
	publish_bad("x:80", "host port");
	publish_bad("", "container port");
	publish_bad("8080:", "container port");
}

static void test_network_flags(void **state)
{
	struct run_options o;
	struct error e = {0};

	(void)state;
	assert_int_equal(PARSE(&o, &e, "-p", "8080:80", "--publish=53/udp", "-P", "--dns", "1.1.1.1",
			       "--dns", "2001:db8::1", "--dns-search", "example.com", "--dns-option",
			       "ndots:2", "--add-host", "db:10.0.2.2", "--add-host",
			       "gw=host-gateway", "--net", "bridge", "img"),
			 0);
	assert_false(o.net.none);
	assert_true(o.net.publish_all);
	assert_int_equal(o.net.nports, 2);
	assert_int_equal(o.net.ports[1].container_port, 53);
	assert_true(o.net.ports[1].udp);
	assert_int_equal(o.net.ndns, 2);
	assert_string_equal(o.net.dns_search[0], "example.com");
	assert_string_equal(o.net.dns_options[0], "ndots:2");
	assert_string_equal(o.net.add_host[0], "db:10.0.2.2");
	assert_string_equal(o.net.add_host[1], "gw:10.0.2.2");
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--network", "none", "img"), 0);
	assert_true(o.net.none);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--network", "host", "img"), -EINVAL);
	assert_non_null(strstr(e.msg, "cannot share the host's network"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--network", "mynet", "img"), -ENOENT);
	assert_non_null(strstr(e.msg, "network mynet not found"));
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--dns", "dns.example", "img"), -EINVAL);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--add-host", "nocolon", "img"), -EINVAL);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--add-host", "x:notanip", "img"), -EINVAL);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--add-host", "bad name:1.2.3.4", "img"), -EINVAL);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--dns-option", "a b", "img"), -EINVAL);
	run_options_free(&o);
}

/* Recorded: free host ports chosen, -P's from EXPOSE, /etc as Docker's. */
static void test_network_record(void **state)
{
	struct run_options o;
	struct container_config c = {0};
	struct container_spec ct = {0};
	struct error e = {0};
	char *exposed[] = {"80/tcp", "53/udp", "9000/tcp"};

	(void)state;
	assert_int_equal(PARSE(&o, &e, "-p", "127.0.0.1:18080:80", "-p", "53/udp", "-P", "--dns",
			       "9.9.9.9", "--dns-search", "a.example", "--add-host", "db:10.1.2.3",
			       "img"),
			 0);
	assert_int_equal(network_record(&o.net, exposed, 3, &c, &e), 0);
	/* 80 and 53/udp were given with -p; 9000 comes from -P. */
	assert_int_equal(c.nports, 3);
	assert_int_equal(c.ports[0].host_port, 18080);
	assert_true(c.ports[1].udp);
	assert_true(c.ports[1].host_port > 0);
	assert_int_equal(c.ports[2].container_port, 9000);
	assert_true(c.ports[2].host_port > 0);
	network_etc_files(&c, "web1", &ct);
	assert_non_null(strstr(ct.etc_hosts, "127.0.0.1\tlocalhost\n"));
	assert_non_null(strstr(ct.etc_hosts, "10.1.2.3\tdb\n"));
	assert_non_null(strstr(ct.etc_hosts, "10.0.2.15\tweb1\n"));
	assert_string_equal(ct.etc_resolv_conf, "nameserver 9.9.9.9\nsearch a.example\n");
	assert_string_equal(ct.etc_hostname, "web1\n");
	char *text = network_ports_text(&c);
	assert_true(strncmp(text, "127.0.0.1:18080->80/tcp, 127.0.0.1:", 35) == 0);
	free(text);
	container_spec_free(&ct);
	container_config_free(&c);
	run_options_free(&o);

	/* The default resolver is the NAT's; none has none, and no ports. */
	assert_int_equal(PARSE(&o, &e, "img"), 0);
	assert_int_equal(network_record(&o.net, NULL, 0, &c, &e), 0);
	network_etc_files(&c, "h", &ct);
	assert_string_equal(ct.etc_resolv_conf, "nameserver 10.0.2.3\n");
	container_spec_free(&ct);
	container_config_free(&c);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "--network", "none", "-p", "80", "img"), 0);
	assert_int_equal(network_record(&o.net, NULL, 0, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "conflicting options"));
	container_config_free(&c);
	run_options_free(&o);
	assert_int_equal(PARSE(&o, &e, "-p", "8080:80", "-p", "8080:81", "img"), 0);
	assert_int_equal(network_record(&o.net, NULL, 0, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "published twice"));
	container_config_free(&c);
	run_options_free(&o);
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
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_network_flags),
		cmocka_unit_test(test_network_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
