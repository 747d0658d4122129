/* The confinement parts of the create op: a process's security (caps,
 * no_new_privs, seccomp BPF, rlimits, groups) and the container-wide spec
 * (read-only root, cgroup limits, mounts). Formatted by the host, parsed
 * and bounded by the agent. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "message-internal.h"
#include "util.h"

#define SHM_SIZE_MAX (UINT64_C(1) << 40)
#define MEMORY_MAX (UINT64_C(1) << 50)
#define PIDS_MAX (UINT64_C(1) << 22) /* the kernel's PID_MAX_LIMIT */
#define CPU_PERIOD_MIN 1000u	     /* cpu.max's bounds, in microseconds */
#define CPU_PERIOD_MAX 1000000u
#define TMPFS_SIZE_MAX (UINT64_C(1) << 40)

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
    {"core", RLIMIT_CORE},	   {"cpu", RLIMIT_CPU},		  {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},	   {"locks", RLIMIT_LOCKS},	  {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},	  {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},	   {"rss", RLIMIT_RSS},		  {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},	   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
    {"as", RLIMIT_AS},
};
#define RLIMIT_NAMES_N (sizeof(rlimit_names) / sizeof(*rlimit_names))

static const char *const mount_kinds[] = {
	[MOUNT_9P] = "9p",
	[MOUNT_TMPFS] = "tmpfs",
};

const char *rlimit_name(int resource)
{
	for (size_t i = 0; i < RLIMIT_NAMES_N; i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return NULL;
}

int rlimit_lookup(const char *name)
{
	for (size_t i = 0; i < RLIMIT_NAMES_N; i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

void process_security_free(struct process_security *s)
{
	free(s->seccomp);
	memset(s, 0, sizeof(*s));
}

void process_security_copy(struct process_security *dst, const struct process_security *src)
{
	*dst = *src;
	if (src->seccomp) {
		dst->seccomp = xmalloc(src->seccomp_len);
		memcpy(dst->seccomp, src->seccomp, src->seccomp_len);
	}
}

void container_spec_free(struct container_spec *c)
{
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].target);
		free(c->mounts[i].subpath);
	}
	free(c->mounts);
	msg_free_strv(c->masked_paths);
	msg_free_strv(c->readonly_paths);
	msg_free_strv(c->sysctl);
	free(c->etc_hosts);
	free(c->etc_resolv_conf);
	free(c->etc_hostname);
	memset(c, 0, sizeof(*c));
}

/* ---- hex, for the BPF program ---- */

static char *hex_encode(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int hex_decode(const char *s, size_t len, uint8_t **ret)
{
	uint8_t *p;

	if (len % 2)
		return -EINVAL;
	p = xmalloc(len / 2 + 1);
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(p);
			return -EINVAL;
		}
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret = p;
	return 0;
}

/* ---- format ---- */

/* Unlimited is -1 on the wire (JSON integers are signed). */
static json_t *limit_json(uint64_t v)
{
	return json_integer(v == UINT64_MAX ? -1 : (json_int_t)v);
}

json_t *msg_format_security(const struct process_security *s)
{
	json_t *o = json_object(), *caps = json_array(), *rl = json_array();

	for (int i = 0; i < CAPSET__MAX; i++)
		json_array_append_new(caps, json_integer((json_int_t)s->caps[i]));
	for (size_t i = 0; i < s->nrlimits; i++) {
		const char *name = rlimit_name(s->rlimits[i].resource);
		if (!name)
			continue;
		json_array_append_new(rl, json_pack("{sssoso}", "type", name, "soft",
						     limit_json(s->rlimits[i].soft), "hard",
						     limit_json(s->rlimits[i].hard)));
	}
	json_object_set_new(o, "caps", caps);
	json_object_set_new(o, "no_new_privs", json_boolean(s->no_new_privs));
	json_object_set_new(o, "rlimits", rl);
	if (s->seccomp) {
		char *hex = hex_encode(s->seccomp, s->seccomp_len);
		json_object_set_new(o, "seccomp", json_string(hex));
		json_object_set_new(o, "seccomp_flags", json_integer(s->seccomp_flags));
		free(hex);
	}
	return o;
}

json_t *msg_format_groups(const uint32_t *groups, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(groups[i]));
	return a;
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *msg_format_container(const struct container_spec *c)
{
	json_t *o = json_object(), *mounts = json_array();

	for (size_t i = 0; i < c->nmounts; i++) {
		const struct mount_spec *m = &c->mounts[i];
		json_t *j = json_pack("{sssssIsI}", "kind", mount_kinds[m->kind], "target",
				      m->target, "flags", (json_int_t)m->flags, "size",
				      (json_int_t)m->size);
		if (!j) {
			json_decref(mounts);
			json_decref(o);
			return NULL;
		}
		if (m->kind == MOUNT_9P) {
			json_object_set_new(j, "tag", json_string(m->tag));
			if (m->subpath)
				json_object_set_new(j, "subpath", json_string(m->subpath));
		} else
			json_object_set_new(j, "mode", json_integer(m->mode));
		json_array_append_new(mounts, j);
	}
	json_object_set_new(o, "readonly_root", json_boolean(c->readonly_root));
	json_object_set_new(o, "privileged", json_boolean(c->privileged));
	json_object_set_new(o, "memory", json_integer((json_int_t)c->memory));
	json_object_set_new(o, "pids", json_integer((json_int_t)c->pids));
	json_object_set_new(o, "cpu_quota_us", json_integer(c->cpu_quota_us));
	json_object_set_new(o, "cpu_period_us", json_integer(c->cpu_period_us));
	json_object_set_new(o, "shm_size", json_integer((json_int_t)c->shm_size));
	json_object_set_new(o, "mounts", mounts);
	if (c->rootfs_rw)
		json_object_set_new(o, "rootfs_rw", json_true());
	if (c->custom_paths) {
		json_object_set_new(o, "masked_paths", strv_json(c->masked_paths, c->nmasked_paths));
		json_object_set_new(o, "readonly_paths",
				    strv_json(c->readonly_paths, c->nreadonly_paths));
	}
	if (c->nsysctl)
		json_object_set_new(o, "sysctl", strv_json(c->sysctl, c->nsysctl));
	if (c->net.nic)
		json_object_set_new(o, "net",
				    json_pack("{sssiss}", "address", c->net.address, "prefix",
					      (int)c->net.prefix, "gateway", c->net.gateway));
	if (c->etc_hosts || c->etc_resolv_conf || c->etc_hostname) {
		json_t *etc = json_object();
		if (c->etc_hosts)
			json_object_set_new(etc, "hosts", json_string(c->etc_hosts));
		if (c->etc_resolv_conf)
			json_object_set_new(etc, "resolv.conf", json_string(c->etc_resolv_conf));
		if (c->etc_hostname)
			json_object_set_new(etc, "hostname", json_string(c->etc_hostname));
		json_object_set_new(o, "etc", etc);
	}
	return o;
}

/* ---- parse ---- */

static int get_bool(json_t *obj, const char *key, bool *ret, struct error *e)
{
	json_t *b = json_object_get(obj, key);

	if (!b) {
		*ret = false;
		return 0;
	}
	if (!json_is_boolean(b))
		return error_set(e, EBADMSG, "\"%s\" must be a boolean", key);
	*ret = json_is_true(b);
	return 0;
}

static int get_limit(json_t *obj, const char *key, uint64_t *ret, struct error *e)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v) && json_integer_value(v) == -1) {
		*ret = UINT64_MAX;
		return 0;
	}
	return msg_get_uint(obj, key, true, INT64_MAX, ret, e);
}

static int parse_rlimits(json_t *a, struct process_security *s, struct error *e)
{
	size_t i;
	json_t *v;

	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > MSG_RLIMITS_MAX)
		return error_set(e, EBADMSG, "\"rlimits\" must be an array of at most %d",
				 MSG_RLIMITS_MAX);
	json_array_foreach(a, i, v) {
		struct rlimit_spec *r = &s->rlimits[i];
		json_t *type = json_object_get(v, "type");
		if (!json_is_object(v) || !json_is_string(type) ||
		    (r->resource = rlimit_lookup(json_string_value(type))) < 0)
			return error_set(e, EBADMSG, "\"rlimits\" entry %zu: unknown type", i);
		if (get_limit(v, "soft", &r->soft, e) < 0 || get_limit(v, "hard", &r->hard, e) < 0)
			return error_prefix(e, "\"rlimits\" entry %zu", i);
		if (r->soft > r->hard)
			return error_set(e, EBADMSG, "\"rlimits\" entry %zu: soft above hard", i);
		for (size_t j = 0; j < i; j++)
			if (s->rlimits[j].resource == r->resource)
				return error_set(e, EBADMSG, "\"rlimits\": %s given twice",
						 json_string_value(type));
	}
	s->nrlimits = json_array_size(a);
	return 0;
}

static int parse_seccomp(json_t *obj, struct process_security *s, struct error *e)
{
	json_t *v = json_object_get(obj, "seccomp");
	uint64_t flags = 0;
	size_t len;

	if (!v)
		return 0;
	if (!json_is_string(v))
		return error_set(e, EBADMSG, "\"seccomp\" must be a hex string");
	len = json_string_length(v);
	/* 8 bytes (16 hex digits) an instruction. */
	if (len == 0 || len % 16 || len / 16 > MSG_SECCOMP_INSNS_MAX)
		return error_set(e, EBADMSG, "\"seccomp\" must hold 1 to %d BPF instructions",
				 MSG_SECCOMP_INSNS_MAX);
	if (hex_decode(json_string_value(v), len, &s->seccomp) < 0)
		return error_set(e, EBADMSG, "\"seccomp\" is not lowercase hex");
	s->seccomp_len = len / 2;
	/* TSYNC, LOG and SPEC_ALLOW (1, 2, 4): never NEW_LISTENER, which would
	 * hand the agent a listener it has no use for. */
	if (msg_get_uint(obj, "seccomp_flags", false, 7, &flags, e) < 0)
		return -EBADMSG;
	s->seccomp_flags = (uint32_t)flags;
	return 0;
}

int msg_parse_security(json_t *obj, struct process_security *s, struct error *e)
{
	json_t *caps = json_object_get(obj, "caps"), *v;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return error_set(e, EBADMSG, "\"security\" must be an object");
	if (!json_is_array(caps) || json_array_size(caps) != CAPSET__MAX)
		return error_set(e, EBADMSG, "\"caps\" must be an array of %d masks", CAPSET__MAX);
	json_array_foreach(caps, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    ((uint64_t)json_integer_value(v) & ~MSG_CAP_ALL))
			return error_set(e, EBADMSG, "\"caps\" entry %zu is not a capability mask",
					 i);
		s->caps[i] = (uint64_t)json_integer_value(v);
	}
	/* The kernel would refuse these anyway; say so up front. */
	if ((s->caps[CAPSET_EFFECTIVE] & ~s->caps[CAPSET_PERMITTED]) ||
	    (s->caps[CAPSET_AMBIENT] &
	     ~(s->caps[CAPSET_PERMITTED] & s->caps[CAPSET_INHERITABLE])))
		return error_set(e, EBADMSG,
				 "\"caps\": effective must be within permitted, ambient within "
				 "permitted and inheritable");
	if (get_bool(obj, "no_new_privs", &s->no_new_privs, e) < 0 ||
	    parse_rlimits(json_object_get(obj, "rlimits"), s, e) < 0 || parse_seccomp(obj, s, e) < 0) {
		process_security_free(s);
		return -EBADMSG;
	}
	s->set = true;
	return 0;
}

int msg_parse_groups(json_t *a, uint32_t **ret, size_t *ret_n, struct error *e)
{
	size_t i;
	json_t *v;

	*ret = NULL;
	*ret_n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > MSG_GROUPS_MAX)
		return error_set(e, EBADMSG, "\"groups\" must be an array of at most %d",
				 MSG_GROUPS_MAX);
	if (json_array_size(a) == 0)
		return 0;
	*ret = xcalloc(json_array_size(a), sizeof(**ret));
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) >= UINT32_MAX) {
			free(*ret);
			*ret = NULL;
			return error_set(e, EBADMSG, "\"groups\" entry %zu is not a group ID", i);
		}
		(*ret)[i] = (uint32_t)json_integer_value(v);
	}
	*ret_n = json_array_size(a);
	return 0;
}

/* Absolute, normalized (no "." or ".." parts, no "//", no trailing "/"),
 * not "/" itself and nowhere under /proc, where the container's view of
 * itself lives. */
bool msg_valid_mount_target(const char *t)
{
	size_t n = strlen(t);

	if (n < 2 || n >= MSG_PATH_MAX || t[0] != '/' || t[n - 1] == '/')
		return false;
	if (strncmp(t, "/proc", 5) == 0 && (t[5] == '\0' || t[5] == '/'))
		return false;
	for (const char *p = t; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/')
			return false;
		if (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return false;
		if (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))
			return false;
	}
	return true;
}

/* A path inside a share: relative and normalized, so that "/" + subpath
 * is a valid mount target (no "..", no "//"). */
static int parse_subpath(json_t *v, struct mount_spec *m, struct error *e)
{
	json_t *sp = json_object_get(v, "subpath");
	char buf[MSG_PATH_MAX + 4];

	if (!sp)
		return 0;
	if (!json_is_string(sp) || json_string_length(sp) == 0 ||
	    json_string_length(sp) >= MSG_PATH_MAX - 1 || json_string_value(sp)[0] == '/')
		return error_set(e, EBADMSG, "\"subpath\" must be a relative path");
	snprintf(buf, sizeof(buf), "/x/%s", json_string_value(sp));
	if (!msg_valid_mount_target(buf))
		return error_set(e, EBADMSG, "\"subpath\" must be normalized, without \"..\"");
	m->subpath = xstrdup(json_string_value(sp));
	return 0;
}

/* Absolute and normalized; under /proc too (masks live there). */
static int check_abs_path(const char *s)
{
	char buf[MSG_PATH_MAX + 4];

	if (s[0] != '/' || strlen(s) >= MSG_PATH_MAX)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "/x%s", s);
	return msg_valid_mount_target(buf) ? 0 : -EINVAL;
}

bool msg_sysctl_allowed(const char *key, size_t n)
{
	static const char *const exact[] = {
	    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",		"kernel.sem",
	    "kernel.shmall", "kernel.shmmax", "kernel.shmmni",		"kernel.shm_rmid_forced",
	    "kernel.hostname", "kernel.domainname",
	};
	static const char *const prefix[] = {"fs.mqueue.", "net."};
	char k[256];

	if (n >= sizeof(k))
		return false;
	for (size_t i = 0; i < n; i++)
		k[i] = key[i] == '/' ? '.' : key[i];
	k[n] = '\0';
	for (size_t i = 0; i < sizeof(exact) / sizeof(*exact); i++)
		if (strcmp(k, exact[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(*prefix); i++)
		if (strncmp(k, prefix[i], strlen(prefix[i])) == 0 && k[strlen(prefix[i])])
			return true;
	return false;
}

/* "key=value": a /proc/sys name (no "..", no leading "/") and one line. */
static int check_sysctl(const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s || eq - s > 255 || strchr(s, '\n') ||
	    !msg_sysctl_allowed(s, (size_t)(eq - s)))
		return -EINVAL;
	for (const char *p = s; p < eq; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", *p) &&
		    !(*p == '.' && p > s && p[-1] != '.' && p + 1 < eq) &&
		    !(*p == '/' && p > s && p[-1] != '/' && p + 1 < eq))
			return -EINVAL;
	return 0;
}

/* A dotted quad, as inet_pton reads it (no leading zeros, four parts). */
static bool valid_ipv4(const char *s)
{
	struct in_addr a;

	return strlen(s) < MSG_IPV4_MAX && inet_pton(AF_INET, s, &a) == 1;
}

static bool same_subnet(const char *a, const char *b, unsigned prefix)
{
	struct in_addr x, y;
	uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;

	inet_pton(AF_INET, a, &x);
	inet_pton(AF_INET, b, &y);
	return (x.s_addr & mask) == (y.s_addr & mask);
}

static int parse_net(json_t *obj, struct net_spec *n, struct error *e)
{
	json_t *net = json_object_get(obj, "net"), *addr, *gw;
	uint64_t prefix = 0;

	if (!net)
		return 0;
	addr = json_object_get(net, "address");
	gw = json_object_get(net, "gateway");
	if (!json_is_object(net) || !json_is_string(addr) || !json_is_string(gw) ||
	    !valid_ipv4(json_string_value(addr)) || !valid_ipv4(json_string_value(gw)) ||
	    msg_get_uint(net, "prefix", true, 32, &prefix, e) < 0 || prefix == 0 ||
	    !same_subnet(json_string_value(addr), json_string_value(gw), (unsigned)prefix))
		return error_set(e, EBADMSG,
				 "\"net\" must have an IPv4 \"address\", a \"prefix\" of 1 to 32 "
				 "and a \"gateway\" in that network");
	n->nic = true;
	snprintf(n->address, sizeof(n->address), "%s", json_string_value(addr));
	snprintf(n->gateway, sizeof(n->gateway), "%s", json_string_value(gw));
	n->prefix = (uint8_t)prefix;
	return 0;
}

static int get_etc_file(json_t *etc, const char *key, char **ret, struct error *e)
{
	json_t *v = json_object_get(etc, key);

	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) > MSG_ETC_FILE_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return error_set(e, EBADMSG, "\"etc\".\"%s\" must be a string of at most %d bytes",
				 key, MSG_ETC_FILE_MAX);
	*ret = xstrdup(json_string_value(v));
	return 0;
}

static int parse_etc(json_t *obj, struct container_spec *c, struct error *e)
{
	json_t *etc = json_object_get(obj, "etc");

	if (!etc)
		return 0;
	if (!json_is_object(etc))
		return error_set(e, EBADMSG, "\"etc\" must be an object");
	if (get_etc_file(etc, "hosts", &c->etc_hosts, e) < 0 ||
	    get_etc_file(etc, "resolv.conf", &c->etc_resolv_conf, e) < 0 ||
	    get_etc_file(etc, "hostname", &c->etc_hostname, e) < 0)
		return -EBADMSG;
	return 0;
}

static int parse_oci_parts(json_t *obj, struct container_spec *c, struct error *e)
{
	if (get_bool(obj, "rootfs_rw", &c->rootfs_rw, e) < 0)
		return -EBADMSG;
	if (json_object_get(obj, "masked_paths") || json_object_get(obj, "readonly_paths")) {
		c->custom_paths = true;
		if (msg_get_strv(obj, "masked_paths", MSG_PATHS_MAX, false, check_abs_path,
				 &c->masked_paths, &c->nmasked_paths, e) < 0 ||
		    msg_get_strv(obj, "readonly_paths", MSG_PATHS_MAX, false, check_abs_path,
				 &c->readonly_paths, &c->nreadonly_paths, e) < 0)
			return -EBADMSG;
	}
	if (json_object_get(obj, "sysctl") &&
	    msg_get_strv(obj, "sysctl", MSG_SYSCTL_MAX, false, check_sysctl, &c->sysctl,
			 &c->nsysctl, e) < 0)
		return -EBADMSG;
	return 0;
}

static int parse_mount(json_t *v, size_t i, struct mount_spec *m, struct error *e)
{
	json_t *kind = json_object_get(v, "kind"), *target = json_object_get(v, "target");
	uint64_t flags = 0, size = 0, mode = 0;
	int k;

	if (!json_is_object(v) || !json_is_string(kind) ||
	    (k = msg_lookup_name(mount_kinds, sizeof(mount_kinds) / sizeof(*mount_kinds),
				 json_string_value(kind))) < 0)
		return error_set(e, EBADMSG, "\"mounts\" entry %zu: unknown kind", i);
	m->kind = (enum mount_kind)k;
	if (!json_is_string(target) || !msg_valid_mount_target(json_string_value(target)))
		return error_set(e, EBADMSG,
				 "\"mounts\" entry %zu: target must be an absolute, normalized "
				 "path, not / nor under /proc",
				 i);
	if (msg_get_uint(v, "flags", false, MOUNT_FLAGS_ALL, &flags, e) < 0 ||
	    msg_get_uint(v, "size", false, TMPFS_SIZE_MAX, &size, e) < 0 ||
	    msg_get_uint(v, "mode", false, 07777, &mode, e) < 0)
		return error_prefix(e, "\"mounts\" entry %zu", i);
	if (m->kind == MOUNT_9P) {
		json_t *tag = json_object_get(v, "tag");
		if (!json_is_string(tag) || !msg_valid_tag(json_string_value(tag)))
			return error_set(e, EBADMSG, "\"mounts\" entry %zu: not a valid 9p tag", i);
		strcpy(m->tag, json_string_value(tag));
		if (parse_subpath(v, m, e) < 0)
			return error_prefix(e, "\"mounts\" entry %zu", i);
	}
	m->target = xstrdup(json_string_value(target));
	m->flags = (uint32_t)flags;
	m->size = size;
	m->mode = (uint32_t)mode;
	return 0;
}

int msg_parse_container(json_t *obj, struct container_spec *c, struct error *e)
{
	json_t *mounts, *v;
	uint64_t n;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return error_set(e, EBADMSG, "\"container\" must be an object");
	if (get_bool(obj, "readonly_root", &c->readonly_root, e) < 0 ||
	    get_bool(obj, "privileged", &c->privileged, e) < 0 ||
	    msg_get_uint(obj, "memory", false, MEMORY_MAX, &c->memory, e) < 0 ||
	    msg_get_uint(obj, "pids", false, PIDS_MAX, &c->pids, e) < 0 ||
	    msg_get_uint(obj, "shm_size", false, SHM_SIZE_MAX, &c->shm_size, e) < 0)
		return -EBADMSG;
	n = 0;
	if (msg_get_uint(obj, "cpu_period_us", false, CPU_PERIOD_MAX, &n, e) < 0)
		return -EBADMSG;
	c->cpu_period_us = (uint32_t)n;
	n = 0;
	if (msg_get_uint(obj, "cpu_quota_us", false, UINT32_MAX, &n, e) < 0)
		return -EBADMSG;
	c->cpu_quota_us = (uint32_t)n;
	if (c->cpu_quota_us && (c->cpu_period_us < CPU_PERIOD_MIN || c->cpu_quota_us < 1000))
		return error_set(e, EBADMSG, "\"cpu_quota_us\" needs a period of %u to %u us and "
				 "a quota of at least 1000 us", CPU_PERIOD_MIN, CPU_PERIOD_MAX);
	if (parse_oci_parts(obj, c, e) < 0 || parse_net(obj, &c->net, e) < 0 ||
	    parse_etc(obj, c, e) < 0) {
		container_spec_free(c);
		return -EBADMSG;
	}
	mounts = json_object_get(obj, "mounts");
	if (!mounts)
		return 0;
	if (!json_is_array(mounts) || json_array_size(mounts) > MSG_MOUNTS_MAX)
		return error_set(e, EBADMSG, "\"mounts\" must be an array of at most %d",
				 MSG_MOUNTS_MAX);
	c->mounts = xcalloc(json_array_size(mounts) + 1, sizeof(*c->mounts));
	json_array_foreach(mounts, i, v) {
		if (parse_mount(v, i, &c->mounts[i], e) < 0) {
			container_spec_free(c);
			return -EBADMSG;
		}
		c->nmounts++;
	}
	return 0;
}
