/* common/message: the agent protocol's requests and replies. The host reads
 * replies from an untrusted guest and the agent reads requests from the
 * host; both must turn every malformed message into an error with a
 * message, and never let control characters through to a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "message.h"

/* --- helpers ------------------------------------------------------------ */

static int parse_request(const char *json, size_t len, struct agent_request *req, struct error *e)
{
	/* Parse from an exact-size copy so that reading past len is caught by
	 * the sanitizers. */
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, json, len);
	r = agent_request_parse(copy, len, req, e);
	free(copy);
	return r;
}

static int parse_reply(const char *json, size_t len, enum agent_op op, struct agent_reply *reply,
		       struct error *e)
{
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, json, len);
	r = agent_reply_parse(copy, len, op, reply, e);
	free(copy);
	return r;
}

static void request_ok(const char *json, struct agent_request *req)
{
	struct error e = {0};
	int r = parse_request(json, strlen(json), req, &e);

	if (r != 0)
		fail_msg("request %s: %d (%s), expected success", json, r, e.msg);
}

/* Every bad message is an error with errno `code` and a message. */
static void request_bad_n(const char *json, size_t len, int code)
{
	struct agent_request req;
	struct error e = {0};
	int r = parse_request(json, len, &req, &e);

	if (r != -code)
		fail_msg("request %.*s: %d (%s), expected %d", (int)len, json, r, e.msg, -code);
	if (e.code != code || e.msg[0] == '\0')
		fail_msg("request %.*s: error not filled in (code %d, \"%s\")", (int)len, json,
			 e.code, e.msg);
}

static void request_bad(const char *json, int code)
{
	request_bad_n(json, strlen(json), code);
}

static void reply_ok(const char *json, enum agent_op op, struct agent_reply *reply)
{
	struct error e = {0};
	int r = parse_reply(json, strlen(json), op, reply, &e);

	if (r != 0)
		fail_msg("%s reply %s: %d (%s), expected success", agent_op_name(op), json, r,
			 e.msg);
}

static void reply_bad_n(const char *json, size_t len, enum agent_op op)
{
	struct agent_reply reply;
	struct error e = {0};
	int r = parse_reply(json, len, op, &reply, &e);

	if (r >= 0)
		fail_msg("%s reply %.*s: accepted, expected an error", agent_op_name(op), (int)len,
			 json);
	if (e.code != -r || e.msg[0] == '\0')
		fail_msg("%s reply %.*s: error not filled in (%d, code %d, \"%s\")",
			 agent_op_name(op), (int)len, json, r, e.code, e.msg);
}

static void reply_bad(const char *json, enum agent_op op)
{
	reply_bad_n(json, strlen(json), op);
}

static void reply_bad_all_ops(const char *json)
{
	for (int op = 0; op < AGENT_OP__MAX; op++)
		reply_bad(json, (enum agent_op)op);
}

/* --- requests: round trips ---------------------------------------------- */

static void roundtrip_request(const struct agent_request *in, struct agent_request *out)
{
	struct error e = {0};
	size_t len = 0;
	char *json = agent_request_format(in, &len);

	assert_non_null(json);
	assert_int_equal(len, strlen(json));
	if (parse_request(json, len, out, &e) != 0)
		fail_msg("%s did not parse back: %s", json, e.msg);
	free(json);
}

static void test_request_roundtrip_ping_shutdown(void **state)
{
	static const enum agent_op ops[] = {AGENT_OP_PING, AGENT_OP_SHUTDOWN};
	static const uint64_t ids[] = {0, 1, 4242, MSG_ID_MAX};

	for (size_t i = 0; i < 2; i++) {
		for (size_t j = 0; j < 4; j++) {
			struct agent_request in = {.id = ids[j], .op = ops[i]}, out;

			roundtrip_request(&in, &out);
			assert_int_equal(out.id, ids[j]);
			assert_int_equal(out.op, ops[i]);
		}
	}
}

static void test_request_roundtrip_diag(void **state)
{
	static const struct diag_args args[] = {
	    {.mode = DIAG_SINK, .bytes = 0},
	    {.mode = DIAG_SOURCE, .bytes = 1 << 20, .chunk = 4096, .delay_us = 10, .seed = 7},
	    {.mode = DIAG_PIPE,
	     .bytes = DIAG_BYTES_MAX,
	     .chunk = DIAG_CHUNK_MAX,
	     .delay_us = DIAG_DELAY_MAX,
	     .seed = INT64_MAX},
	};

	for (size_t i = 0; i < sizeof(args) / sizeof(*args); i++) {
		struct agent_request in = {.id = 9, .op = AGENT_OP_DIAG, .u.diag = args[i]}, out;

		roundtrip_request(&in, &out);
		assert_int_equal(out.id, 9);
		assert_int_equal(out.op, AGENT_OP_DIAG);
		assert_int_equal(out.u.diag.mode, args[i].mode);
		assert_int_equal(out.u.diag.bytes, args[i].bytes);
		assert_int_equal(out.u.diag.chunk, args[i].chunk);
		assert_int_equal(out.u.diag.delay_us, args[i].delay_us);
		assert_int_equal(out.u.diag.seed, args[i].seed);
	}
}

static void test_request_accepts(void **state)
{
	struct agent_request req;

	request_ok("{\"id\":1,\"op\":\"ping\"}", &req);
	assert_int_equal(req.id, 1);
	assert_int_equal(req.op, AGENT_OP_PING);
	/* Key order, whitespace and unknown keys do not matter. */
	request_ok(" \n{ \"op\" : \"shutdown\" ,\t\"id\" : 0, \"extra\": [1, {\"x\": null}] }\n",
		   &req);
	assert_int_equal(req.id, 0);
	assert_int_equal(req.op, AGENT_OP_SHUTDOWN);
	request_ok("{\"id\":9007199254740992,\"op\":\"ping\"}", &req);
	assert_int_equal(req.id, MSG_ID_MAX);
	/* Optional diag arguments default to zero. */
	request_ok("{\"id\":3,\"op\":\"diag\",\"mode\":\"source\",\"bytes\":100}", &req);
	assert_int_equal(req.op, AGENT_OP_DIAG);
	assert_int_equal(req.u.diag.mode, DIAG_SOURCE);
	assert_int_equal(req.u.diag.bytes, 100);
	assert_int_equal(req.u.diag.chunk, 0);
	assert_int_equal(req.u.diag.delay_us, 0);
	assert_int_equal(req.u.diag.seed, 0);
}

static void test_request_uses_len_not_nul(void **state)
{
	static const char buf[] = "{\"id\":5,\"op\":\"ping\"}garbage after the message";
	struct agent_request req;
	struct error e = {0};

	assert_int_equal(parse_request(buf, 20, &req, &e), 0);
	assert_int_equal(req.id, 5);
	/* The same bytes with the garbage counted in are an error. */
	request_bad_n(buf, sizeof(buf) - 1, EBADMSG);
	/* A cut-off message is an error too. */
	request_bad_n(buf, 19, EBADMSG);
}

/* --- requests: create --------------------------------------------------- */

#define SPEC_JSON "\"spec\":{\"args\":[\"sh\"],\"env\":[],\"cwd\":\"/\",\"uid\":0,\"gid\":0," \
		  "\"terminal\":false,\"stdin\":false}"

static void test_request_create(void **state)
{
	char *args[] = {"sh", "-c", "echo hi", NULL}, *env[] = {"A=1", NULL};
	struct agent_request in = {.id = 7, .op = AGENT_OP_CREATE}, out;
	struct create_args *c = &in.u.create;

	c->process = 1;
	strcpy(c->rootfs_disk, "vda");
	strcpy(c->hostname, "web-1");
	c->spec = (struct process_spec){.args = args, .nargs = 3, .env = env, .nenv = 1,
					.cwd = "/srv", .uid = 1000, .gid = 100};
	roundtrip_request(&in, &out);
	assert_int_equal(out.u.create.process, 1);
	assert_int_equal(out.u.create.join, 0);
	assert_string_equal(out.u.create.rootfs_disk, "vda");
	assert_string_equal(out.u.create.hostname, "web-1");
	assert_string_equal(out.u.create.spec.args[2], "echo hi");
	assert_string_equal(out.u.create.spec.cwd, "/srv");
	agent_request_free(&out);

	/* An exec'd process: joins process 1, no root filesystem of its own. */
	c->process = 5;
	c->join = 1;
	c->rootfs_disk[0] = c->hostname[0] = '\0';
	c->spec.terminal = c->spec.stdin = true;
	roundtrip_request(&in, &out);
	assert_int_equal(out.u.create.process, 5);
	assert_int_equal(out.u.create.join, 1);
	assert_string_equal(out.u.create.rootfs_disk, "");
	assert_true(out.u.create.spec.terminal);
	agent_request_free(&out);
}

static void test_request_create_bad(void **state)
{
	static const char *const bad[] = {
	    /* neither or both root filesystems */
	    "{\"id\":1,\"op\":\"create\",\"process\":1,\"rootfs_tag\":\"\",\"hostname\":\"\"," SPEC_JSON "}",
	    "{\"id\":1,\"op\":\"create\",\"process\":1,\"rootfs_tag\":\"r\",\"rootfs_disk\":\"vda\","
	    "\"hostname\":\"\"," SPEC_JSON "}",
	    /* a joining process with a root, a host name, or joining itself */
	    "{\"id\":1,\"op\":\"create\",\"process\":2,\"join\":1,\"rootfs_tag\":\"r\","
	    "\"hostname\":\"\"," SPEC_JSON "}",
	    "{\"id\":1,\"op\":\"create\",\"process\":2,\"join\":1,\"rootfs_tag\":\"\","
	    "\"hostname\":\"h\"," SPEC_JSON "}",
	    "{\"id\":1,\"op\":\"create\",\"process\":2,\"join\":2,\"rootfs_tag\":\"\","
	    "\"hostname\":\"\"," SPEC_JSON "}",
	    /* join out of range or of the wrong type */
	    "{\"id\":1,\"op\":\"create\",\"process\":2,\"join\":1025,\"rootfs_tag\":\"\","
	    "\"hostname\":\"\"," SPEC_JSON "}",
	    "{\"id\":1,\"op\":\"create\",\"process\":2,\"join\":\"1\",\"rootfs_tag\":\"\","
	    "\"hostname\":\"\"," SPEC_JSON "}",
	    "{\"id\":1,\"op\":\"create\",\"process\":2,\"join\":-1,\"rootfs_tag\":\"\","
	    "\"hostname\":\"\"," SPEC_JSON "}",
	};
	struct agent_request req;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		request_bad(bad[i], EBADMSG);
	request_ok("{\"id\":1,\"op\":\"create\",\"process\":2,\"join\":1,\"rootfs_tag\":\"\","
		   "\"hostname\":\"\"," SPEC_JSON "}",
		   &req);
	assert_int_equal(req.u.create.join, 1);
	agent_request_free(&req);
}

/* Confinement: security, groups and the container spec go over whole. */
static void test_request_create_confined(void **state)
{
	char *args[] = {"sh", NULL};
	uint8_t bpf[16] = {0x06, 0, 0, 0, 0, 0, 0xff, 0x7f, 0x06, 0, 0, 0, 1, 0, 5, 0};
	uint32_t groups[] = {10, 4242};
	struct mount_spec mounts[] = {
	    {.kind = MOUNT_9P, .tag = "vol0", .target = "/data", .flags = MOUNT_RDONLY},
	    {.kind = MOUNT_TMPFS, .target = "/tmp", .flags = MOUNT_NOEXEC, .size = 1 << 20,
	     .mode = 0700},
	};
	struct agent_request in = {.id = 7, .op = AGENT_OP_CREATE}, out;
	struct create_args *c = &in.u.create;
	struct process_security *sec = &c->spec.sec, *o;

	c->process = 1;
	strcpy(c->rootfs_disk, "vda");
	c->spec = (struct process_spec){.args = args, .nargs = 1, .cwd = "/", .groups = groups,
					.ngroups = 2};
	sec->set = true;
	sec->caps[CAPSET_BOUNDING] = sec->caps[CAPSET_EFFECTIVE] =
	    sec->caps[CAPSET_PERMITTED] = 0xa80425fb;
	sec->no_new_privs = true;
	sec->seccomp = bpf;
	sec->seccomp_len = sizeof(bpf);
	sec->seccomp_flags = 2;
	sec->rlimits[0] = (struct rlimit_spec){.resource = RLIMIT_NOFILE, .soft = 100, .hard = 200};
	sec->rlimits[1] = (struct rlimit_spec){.resource = RLIMIT_CORE, .soft = UINT64_MAX,
					       .hard = UINT64_MAX};
	sec->nrlimits = 2;
	c->ct = (struct container_spec){.readonly_root = true, .memory = 64 << 20, .pids = 64,
					.cpu_quota_us = 150000, .cpu_period_us = 100000,
					.shm_size = 1 << 20, .mounts = mounts, .nmounts = 2};
	roundtrip_request(&in, &out);
	o = &out.u.create.spec.sec;
	assert_true(o->set);
	assert_int_equal(o->caps[CAPSET_EFFECTIVE], 0xa80425fb);
	assert_int_equal(o->caps[CAPSET_INHERITABLE], 0);
	assert_true(o->no_new_privs);
	assert_int_equal(o->seccomp_len, 16);
	assert_memory_equal(o->seccomp, bpf, 16);
	assert_int_equal(o->seccomp_flags, 2);
	assert_int_equal(o->nrlimits, 2);
	assert_int_equal(o->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(o->rlimits[0].hard, 200);
	assert_true(o->rlimits[1].soft == UINT64_MAX);
	assert_int_equal(out.u.create.spec.ngroups, 2);
	assert_int_equal(out.u.create.spec.groups[1], 4242);
	assert_true(out.u.create.ct.readonly_root);
	assert_int_equal(out.u.create.ct.memory, 64 << 20);
	assert_int_equal(out.u.create.ct.pids, 64);
	assert_int_equal(out.u.create.ct.cpu_quota_us, 150000);
	assert_int_equal(out.u.create.ct.nmounts, 2);
	assert_string_equal(out.u.create.ct.mounts[0].tag, "vol0");
	assert_int_equal(out.u.create.ct.mounts[0].flags, MOUNT_RDONLY);
	assert_int_equal(out.u.create.ct.mounts[1].kind, MOUNT_TMPFS);
	assert_int_equal(out.u.create.ct.mounts[1].mode, 0700);
	agent_request_free(&out);

	/* The network and Docker's /etc files. */
	c->ct.net = (struct net_spec){.nic = true, .address = "10.0.2.15", .prefix = 24,
				      .gateway = "10.0.2.2"};
	c->ct.etc_hosts = "127.0.0.1\tlocalhost\n";
	c->ct.etc_resolv_conf = "nameserver 10.0.2.3\n";
	roundtrip_request(&in, &out);
	assert_true(out.u.create.ct.net.nic);
	assert_string_equal(out.u.create.ct.net.address, "10.0.2.15");
	assert_int_equal(out.u.create.ct.net.prefix, 24);
	assert_string_equal(out.u.create.ct.net.gateway, "10.0.2.2");
	assert_string_equal(out.u.create.ct.etc_hosts, "127.0.0.1\tlocalhost\n");
	assert_string_equal(out.u.create.ct.etc_resolv_conf, "nameserver 10.0.2.3\n");
	assert_null(out.u.create.ct.etc_hostname);
	agent_request_free(&out);
}

#define CREATE_HEAD "{\"id\":1,\"op\":\"create\",\"process\":1,\"rootfs_disk\":\"vda\",\"rootfs_tag\":\"\",\"hostname\":\"\","
/* x: more members of the spec, each followed by a comma */
#define SPEC_WITH(x) "\"spec\":{" x "\"args\":[\"sh\"],\"env\":[],\"cwd\":\"/\",\"uid\":0," \
		     "\"gid\":0,\"terminal\":false,\"stdin\":false}}"
#define CAPS0 "\"caps\":[0,0,0,0,0]"

static void test_request_create_confined_bad(void **state)
{
	static const char *const bad[] = {
	    /* capabilities: count, range, type, effective outside permitted */
	    CREATE_HEAD SPEC_WITH("\"security\":{\"caps\":[0,0,0,0]}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{\"caps\":[0,0,0,0,4398046511104]}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{\"caps\":[0,-1,0,0,0]}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{\"caps\":[0,\"1\",0,0,0]}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{\"caps\":[1,1,0,0,0]}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{\"caps\":[1,0,1,0,1]}" ","),
	    /* seccomp: not hex, odd, not whole instructions, too long */
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"seccomp\":\"zz00000000000000\"}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"seccomp\":\"0600000000000000f\"}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"seccomp\":\"06000000\"}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"seccomp\":\"\"}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"seccomp\":\"0600000000000000\",\"seccomp_flags\":256}" ","),
	    /* rlimits: unknown, soft above hard, twice */
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"rlimits\":[{\"type\":\"x\",\"soft\":1,\"hard\":1}]}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"rlimits\":[{\"type\":\"nofile\",\"soft\":2,\"hard\":1}]}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"rlimits\":[{\"type\":\"nofile\",\"soft\":-2,\"hard\":1}]}" ","),
	    CREATE_HEAD SPEC_WITH("\"security\":{" CAPS0 ",\"rlimits\":[{\"type\":\"nofile\",\"soft\":1,\"hard\":1},"
				  "{\"type\":\"nofile\",\"soft\":1,\"hard\":1}]}" ","),
	    /* groups */
	    CREATE_HEAD SPEC_WITH("\"groups\":[-1]" ","),
	    CREATE_HEAD SPEC_WITH("\"groups\":[\"wheel\"]" ","),
	    CREATE_HEAD SPEC_WITH("\"groups\":7" ","),
	    /* the container: mounts to bad places, bad kinds and tags, limits */
	    CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"tmpfs\",\"target\":\"/\"}]}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"tmpfs\",\"target\":\"/a/../b\"}]}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"tmpfs\",\"target\":\"/proc/sys\"}]}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"tmpfs\",\"target\":\"relative\"}]}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"bind\",\"target\":\"/x\"}]}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"9p\",\"target\":\"/x\",\"tag\":\"a b\"}]}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"9p\",\"target\":\"/x\"}]}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"tmpfs\",\"target\":\"/x\",\"flags\":16}]}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"pids\":99999999}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"cpu_quota_us\":5000,\"cpu_period_us\":10}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"readonly_root\":1}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":[]," SPEC_WITH(""),
	    /* the network: not IPv4, a prefix out of range, a gateway elsewhere */
	    CREATE_HEAD "\"container\":{\"net\":{\"address\":\"10.0.2\",\"prefix\":24,\"gateway\":\"10.0.2.2\"}}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"net\":{\"address\":\"::1\",\"prefix\":24,\"gateway\":\"10.0.2.2\"}}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"net\":{\"address\":\"10.0.2.15\",\"prefix\":0,\"gateway\":\"10.0.2.2\"}}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"net\":{\"address\":\"10.0.2.15\",\"prefix\":33,\"gateway\":\"10.0.2.2\"}}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"net\":{\"address\":\"10.0.2.15\",\"prefix\":24,\"gateway\":\"10.9.2.2\"}}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"net\":{\"address\":\"10.0.2.15\",\"prefix\":24}}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"net\":true}," SPEC_WITH(""),
	    /* /etc files: not strings (a NUL the JSON layer refuses) */
	    CREATE_HEAD "\"container\":{\"etc\":{\"hosts\":1}}," SPEC_WITH(""),
	    CREATE_HEAD "\"container\":{\"etc\":[]}," SPEC_WITH(""),
	    /* a joining process takes its container's */
	    "{\"id\":1,\"op\":\"create\",\"process\":2,\"join\":1,\"rootfs_tag\":\"\",\"hostname\":\"\","
	    "\"container\":{}," SPEC_WITH(""),
	};
	struct agent_request req;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct error e = {0};
		if (parse_request(bad[i], strlen(bad[i]), &req, &e) == 0)
			fail_msg("accepted: %s", bad[i]);
		/* Refused for what is in it, not for broken JSON. */
		if (strstr(e.msg, "invalid JSON"))
			fail_msg("%s: %s", bad[i], e.msg);
	}
	request_ok(CREATE_HEAD "\"container\":{\"mounts\":[{\"kind\":\"tmpfs\",\"target\":\"/a/..b/.c\"}]}," SPEC_WITH(""),
		   &req);
	agent_request_free(&req);
}

/* --- requests: malformed ------------------------------------------------ */

static void test_request_not_an_object(void **state)
{
	static const char *const bad[] = {
	    "",
	    " ",
	    "not json",
	    "{",
	    "}",
	    "{\"id\":1,",
	    "[]",
	    "[{\"id\":1,\"op\":\"ping\"}]",
	    "\"ping\"",
	    "42",
	    "-1",
	    "1.5",
	    "null",
	    "true",
	    "false",
	    "{}{}",
	    "{\"id\":1,\"op\":\"ping\"}{}",
	    "{'id':1,'op':'ping'}",
	    "{id:1,op:\"ping\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		request_bad(bad[i], EBADMSG);
	/* A raw NUL byte in the middle. */
	request_bad_n("{\"id\":1,\"op\":\"pi\0ng\"}", 21, EBADMSG);
	request_bad_n("\0", 1, EBADMSG);
}

static void test_request_bad_id(void **state)
{
	static const char *const bad[] = {
	    "{\"op\":\"ping\"}",
	    "{\"id\":-1,\"op\":\"ping\"}",
	    "{\"id\":-9223372036854775808,\"op\":\"ping\"}",
	    "{\"id\":1.0,\"op\":\"ping\"}",
	    "{\"id\":1.5,\"op\":\"ping\"}",
	    "{\"id\":1e3,\"op\":\"ping\"}",
	    "{\"id\":\"1\",\"op\":\"ping\"}",
	    "{\"id\":true,\"op\":\"ping\"}",
	    "{\"id\":null,\"op\":\"ping\"}",
	    "{\"id\":[1],\"op\":\"ping\"}",
	    "{\"id\":{},\"op\":\"ping\"}",
	    "{\"id\":9007199254740993,\"op\":\"ping\"}", /* 2^53 + 1 */
	    "{\"id\":9223372036854775807,\"op\":\"ping\"}",
	    "{\"id\":9223372036854775808,\"op\":\"ping\"}",
	    "{\"id\":18446744073709551616,\"op\":\"ping\"}",
	    "{\"id\":99999999999999999999999999,\"op\":\"ping\"}",
	    "{\"ID\":1,\"op\":\"ping\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		request_bad(bad[i], EBADMSG);
}

static void test_request_bad_op(void **state)
{
	static const char *const bad[] = {
	    "{\"id\":1}",
	    "{\"id\":1,\"op\":null}",
	    "{\"id\":1,\"op\":1}",
	    "{\"id\":1,\"op\":[\"ping\"]}",
	    "{\"id\":1,\"op\":{\"name\":\"ping\"}}",
	    "{\"id\":1,\"op\":true}",
	};
	static const char *const unknown[] = {
	    "{\"id\":1,\"op\":\"reboot\"}",
	    "{\"id\":1,\"op\":\"\"}",
	    "{\"id\":1,\"op\":\"PING\"}",
	    "{\"id\":1,\"op\":\"ping \"}",
	    "{\"id\":1,\"op\":\"unknown\"}",
	    "{\"id\":1,\"op\":\"\\u0070ing\"}" /* "ping" spelled with an escape is ping... */,
	};
	struct agent_request req;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		request_bad(bad[i], EBADMSG);
	for (size_t i = 0; i + 1 < sizeof(unknown) / sizeof(*unknown); i++)
		request_bad(unknown[i], EOPNOTSUPP);
	/* ...because escapes are decoded before the op is looked up. */
	request_ok(unknown[5], &req);
	assert_int_equal(req.op, AGENT_OP_PING);
}

/* The agent answers a request with a bad op or diag mode under its id
 * (agent/reply.c relies on this): the id is read first and kept. */
static void test_request_id_kept_when_op_is_bad(void **state)
{
	struct agent_request req;
	struct error e = {0};

	assert_int_equal(parse_request("{\"id\":17,\"op\":\"reboot\"}", 23, &req, &e), -EOPNOTSUPP);
	assert_int_equal(req.id, 17);
	assert_int_equal(
	    parse_request("{\"id\":18,\"op\":\"diag\",\"mode\":\"x\",\"bytes\":1}", 42, &req, &e),
	    -EINVAL);
	assert_int_equal(req.id, 18);
}

static void test_request_bad_diag(void **state)
{
	static const char *const bad_type[] = {
	    /* mode */
	    "{\"id\":1,\"op\":\"diag\",\"bytes\":1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":1,\"bytes\":1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":null,\"bytes\":1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":[\"sink\"],\"bytes\":1}",
	    /* bytes */
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\"}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":-1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1099511627777}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":\"1\"}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1.0}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":null}",
	    /* chunk */
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"chunk\":1048577}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"chunk\":-1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"chunk\":\"4k\"}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"chunk\":4294967296}",
	    /* delay_us */
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"delay_us\":1000001}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"delay_us\":-5}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"delay_us\":0.5}",
	    /* seed */
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"seed\":-1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"seed\":\"7\"}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"seed\":1e19}",
	};
	static const char *const bad_mode[] = {
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"fast\",\"bytes\":1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"Sink\",\"bytes\":1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"\",\"bytes\":1}",
	    "{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\\u001b\",\"bytes\":1}",
	};
	struct agent_request req;

	for (size_t i = 0; i < sizeof(bad_type) / sizeof(*bad_type); i++)
		request_bad(bad_type[i], EBADMSG);
	for (size_t i = 0; i < sizeof(bad_mode) / sizeof(*bad_mode); i++)
		request_bad(bad_mode[i], EINVAL);
	/* The bounds themselves are allowed. */
	request_ok("{\"id\":1,\"op\":\"diag\",\"mode\":\"pipe\",\"bytes\":1099511627776,"
		   "\"chunk\":1048576,\"delay_us\":1000000,\"seed\":9223372036854775807}",
		   &req);
	assert_int_equal(req.u.diag.bytes, DIAG_BYTES_MAX);
	assert_int_equal(req.u.diag.chunk, DIAG_CHUNK_MAX);
	assert_int_equal(req.u.diag.delay_us, DIAG_DELAY_MAX);
	assert_int_equal(req.u.diag.seed, INT64_MAX);
}

/* Strings that are not well-formed Unicode, in a key or a value. */
static const char *const bad_utf8[] = {
    "\xff",		/* never valid */
    "\xc0\xaf",		/* overlong '/' */
    "\xe0\x80\xaf",	/* overlong '/', 3 bytes */
    "\xf0\x80\x80\xaf", /* overlong '/', 4 bytes */
    "\xed\xa0\x80",	/* UTF-16 surrogate encoded in UTF-8 */
    "\xf4\x90\x80\x80", /* above U+10FFFF */
    "\xe2\x82",		/* truncated sequence */
    "\x80",		/* lone continuation byte */
    "\\ud800",		/* lone high surrogate escape */
    "\\udc00",		/* lone low surrogate escape */
    "\\ud800\\u0041",	/* high surrogate not followed by a low one */
    "\\u0000",		/* NUL */
    "ping\\u0000",
    "\\uZZZZ", /* not an escape */
    "\\x41",
};

static void test_request_bad_unicode(void **state)
{
	char json[128];

	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(*bad_utf8); i++) {
		snprintf(json, sizeof(json), "{\"id\":1,\"op\":\"%s\"}", bad_utf8[i]);
		request_bad(json, EBADMSG);
		snprintf(json, sizeof(json),
			 "{\"id\":1,\"op\":\"diag\",\"mode\":\"%s\",\"bytes\":1}", bad_utf8[i]);
		request_bad(json, EBADMSG);
		snprintf(json, sizeof(json), "{\"id\":1,\"op\":\"ping\",\"%s\":1}", bad_utf8[i]);
		request_bad(json, EBADMSG);
	}
}

static void test_request_duplicate_keys(void **state)
{
	request_bad("{\"id\":1,\"id\":2,\"op\":\"ping\"}", EBADMSG);
	request_bad("{\"id\":1,\"op\":\"ping\",\"op\":\"shutdown\"}", EBADMSG);
	request_bad("{\"id\":1,\"op\":\"ping\",\"op\":\"ping\"}", EBADMSG);
	request_bad("{\"id\":1,\"op\":\"diag\",\"mode\":\"sink\",\"bytes\":1,\"bytes\":2}",
		    EBADMSG);
	/* "\u0069d" is "id" once decoded. */
	request_bad("{\"id\":1,\"\\u0069d\":2,\"op\":\"ping\"}", EBADMSG);
	/* In a nested object that is otherwise ignored. */
	request_bad("{\"id\":1,\"op\":\"ping\",\"x\":{\"a\":1,\"a\":1}}", EBADMSG);
}

/* "[[[...1...]]]" nested `depth` deep, inside `prefix` ... `suffix`. */
static char *nested(const char *prefix, size_t depth, const char *open, const char *close,
		    const char *suffix)
{
	size_t lo = strlen(open), lc = strlen(close), lp = strlen(prefix), ls = strlen(suffix);
	char *s = malloc(lp + depth * (lo + lc) + ls + 2), *p = s;

	assert_non_null(s);
	memcpy(p, prefix, lp);
	p += lp;
	for (size_t i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	*p++ = '1';
	for (size_t i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	memcpy(p, suffix, ls);
	p[ls] = '\0';
	return s;
}

static void test_request_deep_nesting(void **state)
{
	static const size_t depths[] = {100000, 5000};
	struct agent_request req;
	char *s;

	for (size_t i = 0; i < 2; i++) {
		s = nested("", depths[i], "[", "]", "");
		request_bad(s, EBADMSG);
		free(s);
		s = nested("{\"id\":1,\"op\":\"ping\",\"x\":", depths[i], "{\"a\":", "}", "}");
		request_bad(s, EBADMSG);
		free(s);
		s = nested("{\"id\":1,\"op\":\"ping\",\"x\":", depths[i], "[", "]", "}");
		request_bad(s, EBADMSG);
		free(s);
	}
	/* Unbalanced: opened and never closed. */
	s = nested("", 100000, "[", "", "");
	request_bad(s, EBADMSG);
	free(s);
	/* Moderate nesting in an ignored key is fine. */
	s = nested("{\"id\":1,\"op\":\"ping\",\"x\":", 100, "[", "]", "}");
	request_ok(s, &req);
	free(s);
}

/* --- replies: round trips ----------------------------------------------- */

static void roundtrip_reply(enum agent_op op, const struct agent_reply *in, struct agent_reply *out)
{
	struct error e = {0};
	size_t len = 0;
	char *json = agent_reply_format(op, in, &len);

	assert_non_null(json);
	assert_int_equal(len, strlen(json));
	if (parse_reply(json, len, op, out, &e) != 0)
		fail_msg("%s did not parse back: %s", json, e.msg);
	free(json);
}

static void test_reply_roundtrip_ping(void **state)
{
	struct agent_reply in = {.id = MSG_ID_MAX}, out;

	strcpy(in.u.ping.version, "0.1.0-dirty \xc3\xa9"); /* UTF-8 "é" is not a control */
	in.u.ping.uptime_ms = INT64_MAX;
	roundtrip_reply(AGENT_OP_PING, &in, &out);
	assert_int_equal(out.id, MSG_ID_MAX);
	assert_false(out.failed);
	assert_string_equal(out.u.ping.version, in.u.ping.version);
	assert_int_equal(out.u.ping.uptime_ms, INT64_MAX);

	/* The longest version that fits. */
	memset(in.u.ping.version, 'v', MSG_VERSION_MAX - 1);
	in.u.ping.version[MSG_VERSION_MAX - 1] = '\0';
	roundtrip_reply(AGENT_OP_PING, &in, &out);
	assert_string_equal(out.u.ping.version, in.u.ping.version);
}

static void test_reply_roundtrip_shutdown(void **state)
{
	struct agent_reply in = {.id = 3}, out;

	roundtrip_reply(AGENT_OP_SHUTDOWN, &in, &out);
	assert_int_equal(out.id, 3);
	assert_false(out.failed);
}

static void test_reply_roundtrip_diag(void **state)
{
	struct agent_reply in = {.id = 4}, out;

	in.u.diag.bytes = DIAG_BYTES_MAX;
	in.u.diag.crc32 = UINT32_MAX;
	in.u.diag.elapsed_ns = INT64_MAX;
	roundtrip_reply(AGENT_OP_DIAG, &in, &out);
	assert_int_equal(out.id, 4);
	assert_false(out.failed);
	assert_int_equal(out.u.diag.bytes, DIAG_BYTES_MAX);
	assert_int_equal(out.u.diag.crc32, UINT32_MAX);
	assert_int_equal(out.u.diag.elapsed_ns, INT64_MAX);
}

static void test_reply_roundtrip_error(void **state)
{
	for (int op = 0; op < AGENT_OP__MAX; op++) {
		struct agent_reply in = {.id = 5, .failed = true}, out;

		in.error.code = op == AGENT_OP_DIAG ? 4095 : 22;
		snprintf(in.error.message, sizeof(in.error.message), "%s: \"quoted\" \\ \xc3\xbc",
			 agent_op_name((enum agent_op)op));
		roundtrip_reply((enum agent_op)op, &in, &out);
		assert_int_equal(out.id, 5);
		assert_true(out.failed);
		assert_int_equal(out.error.code, in.error.code);
		assert_string_equal(out.error.message, in.error.message);
	}
}

static void test_reply_accepts(void **state)
{
	struct agent_reply r;

	reply_ok("{\"id\":1,\"result\":{\"version\":\"1\",\"uptime_ms\":0,\"new\":true}}",
		 AGENT_OP_PING, &r);
	assert_string_equal(r.u.ping.version, "1");
	reply_ok("{\"result\":{},\"id\":2}", AGENT_OP_SHUTDOWN, &r);
	/* An error reply need not match the op's result shape. */
	reply_ok("{\"id\":3,\"error\":{\"code\":0,\"message\":\"\"}}", AGENT_OP_DIAG, &r);
	assert_true(r.failed);
	assert_int_equal(r.error.code, 0);
	assert_string_equal(r.error.message, "");
	/* Escapes decode to printable text. */
	reply_ok("{\"id\":3,\"error\":{\"code\":2,\"message\":\"\\u00e9\\/\\\"\"}}", AGENT_OP_PING,
		 &r);
	assert_string_equal(r.error.message, "\xc3\xa9/\"");
}

/* --- replies: malformed ------------------------------------------------- */

static void test_reply_not_an_object(void **state)
{
	static const char *const bad[] = {
	    "",	 "garbage", "[]", "[{\"id\":1,\"result\":{}}]", "\"ok\"",
	    "0", "null",    "{",  "{\"id\":1,\"result\":{}} x", "{\"id\":1,\"result\":{}}{}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		reply_bad_all_ops(bad[i]);
}

static void test_reply_bad_id(void **state)
{
	reply_bad_all_ops("{\"result\":{}}");
	reply_bad_all_ops("{\"id\":-1,\"result\":{}}");
	reply_bad_all_ops("{\"id\":9007199254740993,\"result\":{}}");
	reply_bad_all_ops("{\"id\":\"1\",\"result\":{}}");
	reply_bad_all_ops("{\"id\":2.5,\"result\":{}}");
	reply_bad_all_ops("{\"id\":1,\"id\":1,\"result\":{}}");
}

static void test_reply_result_xor_error(void **state)
{
	reply_bad_all_ops("{\"id\":1}");
	reply_bad_all_ops("{\"id\":1,\"result\":{},\"error\":{\"code\":1,\"message\":\"x\"}}");
	reply_bad_all_ops("{\"id\":1,\"error\":{\"code\":1,\"message\":\"x\"},\"result\":null}");
	reply_bad_all_ops("{\"id\":1,\"result\":[]}");
	reply_bad_all_ops("{\"id\":1,\"result\":\"ok\"}");
	reply_bad_all_ops("{\"id\":1,\"result\":null}");
	reply_bad_all_ops("{\"id\":1,\"result\":1}");
	reply_bad_all_ops("{\"id\":1,\"error\":\"failed\"}");
	reply_bad_all_ops("{\"id\":1,\"error\":null}");
	reply_bad_all_ops("{\"id\":1,\"error\":[1,\"x\"]}");
}

static void test_reply_bad_error_object(void **state)
{
	static const char *const bad[] = {
	    "{\"id\":1,\"error\":{}}",
	    "{\"id\":1,\"error\":{\"message\":\"x\"}}",
	    "{\"id\":1,\"error\":{\"code\":1}}",
	    "{\"id\":1,\"error\":{\"code\":-1,\"message\":\"x\"}}",
	    "{\"id\":1,\"error\":{\"code\":4096,\"message\":\"x\"}}",
	    "{\"id\":1,\"error\":{\"code\":2147483648,\"message\":\"x\"}}",
	    "{\"id\":1,\"error\":{\"code\":\"EIO\",\"message\":\"x\"}}",
	    "{\"id\":1,\"error\":{\"code\":1.0,\"message\":\"x\"}}",
	    "{\"id\":1,\"error\":{\"code\":1,\"message\":1}}",
	    "{\"id\":1,\"error\":{\"code\":1,\"message\":null}}",
	    "{\"id\":1,\"error\":{\"code\":1,\"message\":[\"x\"]}}",
	    "{\"id\":1,\"error\":{\"code\":1,\"code\":2,\"message\":\"x\"}}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		reply_bad_all_ops(bad[i]);
}

/* A guest must not be able to write terminal escapes into our output. */
static void test_reply_control_characters(void **state)
{
	static const char *const controls[] = {
	    "\\u001b[2J\\u001b[H",    /* clear screen */
	    "\\u001b]0;pwned\\u0007", /* set window title */
	    "red \\u001b[31m",
	    "line\\nbreak",
	    "carriage\\rreturn",
	    "tab\\there",
	    "bell\\u0007",
	    "backspace\\b",
	    "\\u007f",
	    "\\u0001",
	    "\\u001f",
	};
	char json[256];

	for (size_t i = 0; i < sizeof(controls) / sizeof(*controls); i++) {
		snprintf(json, sizeof(json), "{\"id\":1,\"error\":{\"code\":5,\"message\":\"%s\"}}",
			 controls[i]);
		reply_bad_all_ops(json);
		snprintf(json, sizeof(json),
			 "{\"id\":1,\"result\":{\"version\":\"%s\",\"uptime_ms\":1}}", controls[i]);
		reply_bad(json, AGENT_OP_PING);
	}
	/* Raw (unescaped) control bytes are not even JSON. */
	reply_bad_all_ops("{\"id\":1,\"error\":{\"code\":5,\"message\":\"\x1b[2J\"}}");
	reply_bad_all_ops("{\"id\":1,\"error\":{\"code\":5,\"message\":\"a\nb\"}}");
}

static void test_reply_text_lengths(void **state)
{
	char version[MSG_VERSION_MAX + 1], message[MSG_TEXT_MAX + 1];
	char json[MSG_TEXT_MAX + 128];
	struct agent_reply r;

	memset(version, 'v', MSG_VERSION_MAX);
	version[MSG_VERSION_MAX] = '\0';
	snprintf(json, sizeof(json), "{\"id\":1,\"result\":{\"version\":\"%s\",\"uptime_ms\":1}}",
		 version);
	reply_bad(json, AGENT_OP_PING);
	version[MSG_VERSION_MAX - 1] = '\0';
	snprintf(json, sizeof(json), "{\"id\":1,\"result\":{\"version\":\"%s\",\"uptime_ms\":1}}",
		 version);
	reply_ok(json, AGENT_OP_PING, &r);
	assert_string_equal(r.u.ping.version, version);

	memset(message, 'm', MSG_TEXT_MAX);
	message[MSG_TEXT_MAX] = '\0';
	snprintf(json, sizeof(json), "{\"id\":1,\"error\":{\"code\":1,\"message\":\"%s\"}}",
		 message);
	reply_bad_all_ops(json);
	message[MSG_TEXT_MAX - 1] = '\0';
	snprintf(json, sizeof(json), "{\"id\":1,\"error\":{\"code\":1,\"message\":\"%s\"}}",
		 message);
	reply_ok(json, AGENT_OP_SHUTDOWN, &r);
	assert_string_equal(r.error.message, message);

	/* The limit is on bytes, not characters: 32 two-byte "é" are 64 bytes. */
	strcpy(json, "{\"id\":1,\"result\":{\"uptime_ms\":1,\"version\":\"");
	for (int i = 0; i < MSG_VERSION_MAX / 2; i++)
		strcat(json, "\xc3\xa9");
	strcat(json, "\"}}");
	reply_bad(json, AGENT_OP_PING);
}

static void test_reply_bad_results(void **state)
{
	static const char *const ping[] = {
	    "{\"id\":1,\"result\":{}}",
	    "{\"id\":1,\"result\":{\"version\":\"1\"}}",
	    "{\"id\":1,\"result\":{\"uptime_ms\":1}}",
	    "{\"id\":1,\"result\":{\"version\":1,\"uptime_ms\":1}}",
	    "{\"id\":1,\"result\":{\"version\":null,\"uptime_ms\":1}}",
	    "{\"id\":1,\"result\":{\"version\":\"1\",\"uptime_ms\":-1}}",
	    "{\"id\":1,\"result\":{\"version\":\"1\",\"uptime_ms\":\"1\"}}",
	    "{\"id\":1,\"result\":{\"version\":\"1\",\"uptime_ms\":1,\"uptime_ms\":2}}",
	};
	static const char *const diag[] = {
	    "{\"id\":1,\"result\":{}}",
	    "{\"id\":1,\"result\":{\"bytes\":1,\"crc32\":1}}",
	    "{\"id\":1,\"result\":{\"bytes\":1,\"elapsed_ns\":1}}",
	    "{\"id\":1,\"result\":{\"crc32\":1,\"elapsed_ns\":1}}",
	    "{\"id\":1,\"result\":{\"bytes\":1099511627777,\"crc32\":1,\"elapsed_ns\":1}}",
	    "{\"id\":1,\"result\":{\"bytes\":1,\"crc32\":4294967296,\"elapsed_ns\":1}}",
	    "{\"id\":1,\"result\":{\"bytes\":1,\"crc32\":-1,\"elapsed_ns\":1}}",
	    "{\"id\":1,\"result\":{\"bytes\":1,\"crc32\":1,\"elapsed_ns\":-1}}",
	    "{\"id\":1,\"result\":{\"bytes\":1,\"crc32\":1.5,\"elapsed_ns\":1}}",
	};

	for (size_t i = 0; i < sizeof(ping) / sizeof(*ping); i++)
		reply_bad(ping[i], AGENT_OP_PING);
	for (size_t i = 0; i < sizeof(diag) / sizeof(*diag); i++)
		reply_bad(diag[i], AGENT_OP_DIAG);
}

static void test_reply_bad_unicode(void **state)
{
	char json[160];

	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(*bad_utf8); i++) {
		snprintf(json, sizeof(json),
			 "{\"id\":1,\"error\":{\"code\":1,\"message\":\"a%sb\"}}", bad_utf8[i]);
		reply_bad_all_ops(json);
		snprintf(json, sizeof(json),
			 "{\"id\":1,\"result\":{\"version\":\"%s\",\"uptime_ms\":1}}", bad_utf8[i]);
		reply_bad(json, AGENT_OP_PING);
		snprintf(json, sizeof(json), "{\"id\":1,\"result\":{\"%s\":1}}", bad_utf8[i]);
		reply_bad_all_ops(json);
	}
}

static void test_reply_duplicate_keys(void **state)
{
	reply_bad_all_ops("{\"id\":1,\"result\":{},\"result\":{}}");
	reply_bad_all_ops("{\"id\":1,\"error\":{\"code\":1,\"message\":\"a\",\"message\":\"b\"}}");
	reply_bad("{\"id\":1,\"result\":{\"version\":\"a\",\"version\":\"b\",\"uptime_ms\":1}}",
		  AGENT_OP_PING);
}

static void test_reply_deep_nesting(void **state)
{
	char *s = nested("{\"id\":1,\"result\":", 100000, "{\"r\":", "}", "}");

	reply_bad_all_ops(s);
	free(s);
	s = nested("{\"id\":1,\"result\":{\"version\":", 100000, "[", "]", ",\"uptime_ms\":1}}");
	reply_bad(s, AGENT_OP_PING);
	free(s);
	s = nested("", 100000, "[", "", "");
	reply_bad_all_ops(s);
	free(s);
}

/* --- misc ----------------------------------------------------------------- */

static void event_bad(const char *json)
{
	struct agent_event ev;
	struct error e = {0};

	assert_int_equal(agent_event_parse(json, strlen(json), &ev, &e), -EBADMSG);
	assert_true(e.msg[0] != '\0');
}

static void test_event_exit(void **state)
{
	struct agent_event in = {.kind = AGENT_EVENT_EXIT, .process = 7, .exit = {.signal = 9}};
	struct agent_event out;
	struct error e = {0};
	size_t len = 0;
	char *json = agent_event_format(&in, &len);

	assert_non_null(json);
	assert_true(agent_frame_is_event(json, len));
	assert_int_equal(agent_event_parse(json, len, &out, &e), 0);
	assert_int_equal(out.kind, AGENT_EVENT_EXIT);
	assert_int_equal(out.process, 7);
	assert_int_equal(out.exit.signal, 9);
	assert_int_equal(out.exit.exit_code, 0);
	free(json);
	/* A reply is not an event, nor is what is not an object. */
	assert_false(agent_frame_is_event("{\"id\":1,\"result\":{}}", 22));
	assert_false(agent_frame_is_event("[1]", 3));
	assert_false(agent_frame_is_event("{\"event\"", 8));
}

static void test_event_bad(void **state)
{
	event_bad("{\"event\":\"oom\",\"process\":1}");
	event_bad("{\"event\":1,\"process\":1,\"exit_code\":0,\"signal\":0}");
	event_bad("{\"process\":1,\"exit_code\":0,\"signal\":0}");
	event_bad("{\"event\":\"exit\",\"process\":0,\"exit_code\":0,\"signal\":0}");
	event_bad("{\"event\":\"exit\",\"process\":1025,\"exit_code\":0,\"signal\":0}");
	event_bad("{\"event\":\"exit\",\"process\":1,\"exit_code\":256,\"signal\":0}");
	event_bad("{\"event\":\"exit\",\"process\":1,\"exit_code\":1,\"signal\":9}");
	event_bad("{\"event\":\"exit\",\"process\":1,\"exit_code\":0,\"signal\":65}");
	event_bad("{\"event\":\"exit\",\"process\":1,\"exit_code\":-1,\"signal\":0}");
	event_bad("{\"event\":\"exit\",\"process\":1}");
	event_bad("not json");
}

static void test_op_names(void **state)
{
	assert_string_equal(agent_op_name(AGENT_OP_PING), "ping");
	assert_string_equal(agent_op_name(AGENT_OP_SHUTDOWN), "shutdown");
	assert_string_equal(agent_op_name(AGENT_OP_DIAG), "diag");
	assert_string_equal(agent_op_name(AGENT_OP__MAX), "unknown");
	assert_string_equal(agent_op_name((enum agent_op) - 1), "unknown");
}

/* Namespaced sysctls only: the guest kernel's own are not the container's. */
static void test_sysctl_allowed(void **state)
{
	static const char *const yes[] = {"kernel.shmmax", "kernel/sem", "net.ipv4.ip_forward",
					  "net/core/somaxconn", "fs.mqueue.msg_max",
					  "kernel.domainname"};
	static const char *const no[] = {"kernel.core_pattern", "kernel.modprobe", "vm.swappiness",
					 "fs.mqueue", "net", "net.", "kernel.shmmax2",
					 "fs.file-max", "kernel.sysrq", ""};

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		assert_true(msg_sysctl_allowed(yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (msg_sysctl_allowed(no[i], strlen(no[i])))
			fail_msg("allowed: %s", no[i]);
	/* Only the first n bytes are the key. */
	assert_true(msg_sysctl_allowed("kernel.semX", 10));
	assert_false(msg_sysctl_allowed("kernel.semX", 11));
}

static void test_diag_pattern(void **state)
{
	uint8_t whole[1000], part[1000], other[1000];

	diag_pattern_fill(42, 0, whole, sizeof(whole));
	/* Any slice can be computed on its own from its offset... */
	for (size_t off = 0; off < 40; off += 3) {
		diag_pattern_fill(42, off, part, sizeof(whole) - off);
		assert_memory_equal(part, whole + off, sizeof(whole) - off);
	}
	diag_pattern_fill(42, 997, part, 1);
	assert_int_equal(part[0], whole[997]);
	/* ...is deterministic, and depends on the seed. */
	diag_pattern_fill(42, 0, part, sizeof(part));
	assert_memory_equal(part, whole, sizeof(whole));
	diag_pattern_fill(43, 0, other, sizeof(other));
	assert_memory_not_equal(other, whole, sizeof(whole));
	diag_pattern_fill(42, 0, part, 0); /* nothing to do */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_roundtrip_ping_shutdown),
	    cmocka_unit_test(test_request_roundtrip_diag),
	    cmocka_unit_test(test_request_accepts),
	    cmocka_unit_test(test_request_uses_len_not_nul),
	    cmocka_unit_test(test_request_create),
	    cmocka_unit_test(test_request_create_bad),
	    cmocka_unit_test(test_request_create_confined),
	    cmocka_unit_test(test_request_create_confined_bad),
	    cmocka_unit_test(test_request_not_an_object),
	    cmocka_unit_test(test_request_bad_id),
	    cmocka_unit_test(test_request_bad_op),
	    cmocka_unit_test(test_request_id_kept_when_op_is_bad),
	    cmocka_unit_test(test_request_bad_diag),
	    cmocka_unit_test(test_request_bad_unicode),
	    cmocka_unit_test(test_request_duplicate_keys),
	    cmocka_unit_test(test_request_deep_nesting),
	    cmocka_unit_test(test_reply_roundtrip_ping),
	    cmocka_unit_test(test_reply_roundtrip_shutdown),
	    cmocka_unit_test(test_reply_roundtrip_diag),
	    cmocka_unit_test(test_reply_roundtrip_error),
	    cmocka_unit_test(test_reply_accepts),
	    cmocka_unit_test(test_reply_not_an_object),
	    cmocka_unit_test(test_reply_bad_id),
	    cmocka_unit_test(test_reply_result_xor_error),
	    cmocka_unit_test(test_reply_bad_error_object),
	    cmocka_unit_test(test_reply_control_characters),
	    cmocka_unit_test(test_event_exit),
	    cmocka_unit_test(test_event_bad),
	    cmocka_unit_test(test_reply_text_lengths),
	    cmocka_unit_test(test_reply_bad_results),
	    cmocka_unit_test(test_reply_bad_unicode),
	    cmocka_unit_test(test_reply_duplicate_keys),
	    cmocka_unit_test(test_reply_deep_nesting),
	    cmocka_unit_test(test_op_names),
	    cmocka_unit_test(test_diag_pattern),
	    cmocka_unit_test(test_sysctl_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
