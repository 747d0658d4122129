#include "state.h"

#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define CONFIG_FILE "config.json"
#define STATE_FILE "state.json"
#define LOCK_FILE "lock"
#define MONITOR_LOCK_FILE "monitor.lock"
#define CREATE_LOCK_FILE ".lock"
#define RECORD_FILE_MAX (1u << 20)
#define STRV_MAX 4096

static const char *const status_names[] = {
    [CONTAINER_CREATED] = "created",
    [CONTAINER_RUNNING] = "running",
    [CONTAINER_EXITED] = "exited",
};

const char *container_status_name(enum container_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(*status_names) ? status_names[s] : "?";
}

int container_root(const char *run_root, char *buf, size_t size, struct error *e)
{
	if (bprintf(buf, size, "%s/containers", run_root) < 0)
		return error_set(e, ENAMETOOLONG, "runtime root %s: path too long", run_root);
	if (mkdir(run_root, 0700) < 0 && errno != EEXIST)
		return error_errno(e, errno, "creating %s", run_root);
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return error_errno(e, errno, "creating %s", buf);
	return 0;
}

int container_path(const char *run_root, const char *id, const char *file, char *buf,
		   size_t size)
{
	if (file)
		return bprintf(buf, size, "%s/containers/%s/%s", run_root, id, file);
	return bprintf(buf, size, "%s/containers/%s", run_root, id);
}

bool container_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 2 || n >= CONTAINER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

bool container_id_valid(const char *id)
{
	return strlen(id) == CONTAINER_ID_LEN &&
	       strspn(id, "0123456789abcdef") == CONTAINER_ID_LEN;
}

static void random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort(); /* no entropy source at all: nothing sane to do */
		p += n;
		len -= (size_t)n;
	}
}

void container_new_id(char id[CONTAINER_ID_LEN + 1])
{
	uint8_t b[CONTAINER_ID_LEN / 2];

	random_bytes(b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		sprintf(id + 2 * i, "%02x", b[i]);
}

/* A sample of Docker's namesgenerator lists. */
static const char *const adjectives[] = {
    "admiring", "agitated",  "amazing",	  "angry",     "awesome",   "blissful",	 "bold",
    "brave",	"charming",  "clever",	  "compassionate", "competent", "condescending",
    "confident", "cool",     "dazzling",  "determined", "eager",    "ecstatic",	 "elegant",
    "epic",	"exciting",  "festive",	  "focused",   "friendly",  "gallant",	 "gifted",
    "goofy",	"gracious",  "happy",	  "hopeful",   "hungry",    "inspiring", "jolly",
    "keen",	"kind",	     "laughing",  "loving",    "lucid",	    "magical",	 "modest",
    "musing",	"nice",	     "nifty",	  "nostalgic", "objective", "optimistic", "peaceful",
    "pensive",	"practical", "priceless", "quirky",    "relaxed",   "reverent",	 "romantic",
    "serene",	"sharp",     "silly",	  "sleepy",    "stoic",	    "sweet",	 "tender",
    "trusting", "upbeat",    "vibrant",	  "vigilant",  "wizardly",  "wonderful", "youthful",
    "zealous",	"zen",
};
static const char *const scientists[] = {
    "albattani", "allen",    "archimedes", "babbage",  "bardeen",  "bell",	   "blackwell",
    "bohr",	 "booth",    "brahmagupta", "cerf",	   "chandrasekhar", "clarke", "curie",
    "darwin",	 "dijkstra", "einstein",   "euclid",   "euler",	   "faraday",	   "fermat",
    "fermi",	 "feynman",  "franklin",   "galileo",  "gauss",	   "goldberg",	   "goodall",
    "hamilton",	 "hawking",  "heisenberg", "hopper",   "hypatia",  "johnson",	   "kepler",
    "knuth",	 "lamarr",   "leakey",	   "lovelace", "mayer",	   "mccarthy",	   "meitner",
    "mendel",	 "morse",    "newton",	   "noether",  "pasteur",  "perlman",	   "pike",
    "ritchie",	 "shannon",  "stallman",   "tesla",    "thompson", "torvalds",	   "turing",
    "villani",	 "wing",     "wozniak",	   "wright",   "yalow",	   "yonath",
};

void container_random_name(char *buf, size_t size)
{
	uint32_t r[2];

	for (;;) {
		random_bytes(r, sizeof(r));
		const char *a = adjectives[r[0] % (sizeof(adjectives) / sizeof(*adjectives))];
		const char *s = scientists[r[1] % (sizeof(scientists) / sizeof(*scientists))];
		/* Steve Wozniak is not boring (Docker's own exception). */
		if (strcmp(a, "boring") == 0 && strcmp(s, "wozniak") == 0)
			continue;
		snprintf(buf, size, "%s_%s", a, s);
		return;
	}
}

/* ---- JSON ---- */

/* A JSON string of s, which need not be UTF-8 (a guest's words in an
 * error, a user's arguments): never NULL, so no field goes missing. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j)
		return j;
	copy = xstrdup(s);
	utf8_scrub(copy);
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *strv_json(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_text(v[i]));
	return a;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_text(s) : json_null();
}

static json_t *mounts_json(const struct container_config *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->nmounts; i++) {
		const struct container_mount *m = &c->mounts[i];
		json_t *o = json_object();
		json_object_set_new(o, "type", json_text(m->type));
		json_object_set_new(o, "source", str_or_null(m->source));
		json_object_set_new(o, "name", str_or_null(m->name));
		json_object_set_new(o, "target", json_text(m->target));
		json_object_set_new(o, "readonly", json_boolean(m->readonly));
		json_object_set_new(o, "tag", json_text(m->tag));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *ports_json(const struct container_config *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->nports; i++) {
		const struct container_port *p = &c->ports[i];
		json_array_append_new(a, json_pack("{sbsssisi}", "udp", p->udp, "host_ip",
						   p->host_ip, "host_port", p->host_port,
						   "container_port", p->container_port));
	}
	return a;
}

char *container_config_format(const struct container_config *c)
{
	json_auto_t *root = json_object();

	json_object_set_new(root, "id", json_text(c->id));
	json_object_set_new(root, "name", json_text(c->name));
	json_object_set_new(root, "created", json_integer((json_int_t)c->created_ns));
	json_object_set_new(root, "image", str_or_null(c->image));
	json_object_set_new(root, "image_id", str_or_null(c->image_id));
	json_object_set_new(root, "rootfs", str_or_null(c->rootfs));
	json_object_set_new(root, "bundle", str_or_null(c->bundle));
	json_object_set_new(root, "create_request", str_or_null(c->create_request));
	json_object_set_new(root, "accel", json_text(c->accel));
	json_object_set_new(root, "vcpus", json_integer(c->vcpus));
	json_object_set_new(root, "memory_mib", json_integer(c->memory_mib));
	json_object_set_new(root, "entrypoint", strv_json(c->entrypoint, c->nentrypoint));
	json_object_set_new(root, "cmd", strv_json(c->cmd, c->ncmd));
	json_object_set_new(root, "env", strv_json(c->env, c->nenv));
	json_object_set_new(root, "args", strv_json(c->args, c->nargs));
	json_object_set_new(root, "workdir", str_or_null(c->workdir));
	json_object_set_new(root, "user", str_or_null(c->user));
	json_object_set_new(root, "hostname", str_or_null(c->hostname));
	json_object_set_new(root, "tty", json_boolean(c->tty));
	json_object_set_new(root, "interactive", json_boolean(c->interactive));
	json_object_set_new(root, "auto_remove", json_boolean(c->auto_remove));
	json_object_set_new(root, "memory", json_integer((json_int_t)c->memory));
	json_object_set_new(root, "nano_cpus", json_integer((json_int_t)c->nano_cpus));
	json_object_set_new(root, "stop_signal", json_integer(c->stop_signal));
	json_object_set_new(root, "stop_timeout", json_integer(c->stop_timeout));
	json_object_set_new(root, "log_max_size", json_integer((json_int_t)c->log.max_size));
	json_object_set_new(root, "log_max_files", json_integer(c->log.max_files));
	json_object_set_new(root, "mounts", mounts_json(c));
	json_object_set_new(root, "privileged", json_boolean(c->privileged));
	json_object_set_new(root, "read_only", json_boolean(c->read_only));
	json_object_set_new(root, "qemu_root", json_boolean(c->qemu_root));
	json_object_set_new(root, "pids_limit", json_integer((json_int_t)c->pids_limit));
	json_object_set_new(root, "shm_size", json_integer((json_int_t)c->shm_size));
	json_object_set_new(root, "cap_add", strv_json(c->cap_add, c->ncap_add));
	json_object_set_new(root, "cap_drop", strv_json(c->cap_drop, c->ncap_drop));
	json_object_set_new(root, "security_opt", strv_json(c->security_opt, c->nsecurity_opt));
	json_object_set_new(root, "group_add", strv_json(c->group_add, c->ngroup_add));
	json_object_set_new(root, "network_none", json_boolean(c->network_none));
	json_object_set_new(root, "ports", ports_json(c));
	json_object_set_new(root, "dns", strv_json(c->dns, c->ndns));
	json_object_set_new(root, "dns_search", strv_json(c->dns_search, c->ndns_search));
	json_object_set_new(root, "dns_options", strv_json(c->dns_options, c->ndns_options));
	json_object_set_new(root, "extra_hosts", strv_json(c->extra_hosts, c->nextra_hosts));
	return json_dumps(root, JSON_INDENT(1));
}

char *container_state_format(const struct container_state *s)
{
	json_auto_t *root = json_object();
	const struct container_vm *v = &s->vm;
	json_t *vm;

	json_object_set_new(root, "status", json_string(container_status_name(s->status)));
	json_object_set_new(root, "monitor_pid", json_integer(s->monitor_pid));
	json_object_set_new(root, "pid", json_integer(s->pid));
	json_object_set_new(root, "started", json_integer((json_int_t)s->started_ns));
	json_object_set_new(root, "finished", json_integer((json_int_t)s->finished_ns));
	json_object_set_new(root, "exit_code", json_integer(s->exit_code));
	json_object_set_new(root, "oom_killed", json_boolean(s->oom_killed));
	json_object_set_new(root, "restart_count", json_integer(s->restart_count));
	json_object_set_new(root, "error", json_text(s->error));
	vm = json_object();
	json_object_set_new(vm, "domain", json_text(v->domain));
	json_object_set_new(vm, "accel", json_text(v->accel));
	json_object_set_new(vm, "vcpus", json_integer(v->vcpus));
	json_object_set_new(vm, "memory_mib", json_integer(v->memory_mib));
	json_object_set_new(vm, "backend_socket", json_text(v->backend_socket));
	json_object_set_new(vm, "console_log", json_text(v->console_log));
	json_object_set_new(root, "vm", vm);
	return json_dumps(root, JSON_INDENT(1));
}

static int get_uint(json_t *o, const char *key, uint64_t max, uint64_t *ret, struct error *e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return error_set(e, EBADMSG, "\"%s\" must be an integer in 0..%llu", key,
				 (unsigned long long)max);
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *key, bool *ret, struct error *e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return error_set(e, EBADMSG, "\"%s\" must be a boolean", key);
	*ret = json_is_true(v);
	return 0;
}

/* Into a fixed buffer: too long is an error, not a truncation. */
static int get_buf(json_t *o, const char *key, char *buf, size_t size, struct error *e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return error_set(e, EBADMSG, "\"%s\" must be a string shorter than %zu bytes", key,
				 size);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* A string or null (NULL). */
static int get_str(json_t *o, const char *key, char **ret, struct error *e)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return error_set(e, EBADMSG, "\"%s\" must be a string or null", key);
	*ret = xstrdup(json_string_value(v));
	return 0;
}

static int get_strv(json_t *o, const char *key, char ***ret, size_t *ret_n, struct error *e)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	*ret = NULL;
	*ret_n = 0;
	if (!json_is_array(a) || json_array_size(a) > STRV_MAX)
		return error_set(e, EBADMSG, "\"%s\" must be an array of at most %u strings", key,
				 STRV_MAX);
	*ret = xcalloc(json_array_size(a) + 1, sizeof(char *));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return error_set(e, EBADMSG, "\"%s\" must be an array of strings", key);
		(*ret)[(*ret_n)++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static int parse_mounts(json_t *a, struct container_config *c, struct error *e)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > CONTAINER_MOUNTS_MAX)
		return error_set(e, EBADMSG, "\"mounts\" must be an array of at most %d",
				 CONTAINER_MOUNTS_MAX);
	c->mounts = xcalloc(json_array_size(a) + 1, sizeof(*c->mounts));
	json_array_foreach(a, i, v) {
		struct container_mount *m = &c->mounts[i];
		c->nmounts++;
		if (!json_is_object(v) || get_buf(v, "type", m->type, sizeof(m->type), e) < 0 ||
		    get_str(v, "source", &m->source, e) < 0 || get_str(v, "name", &m->name, e) < 0 ||
		    get_str(v, "target", &m->target, e) < 0 || !m->target ||
		    get_bool(v, "readonly", &m->readonly, e) < 0 ||
		    get_buf(v, "tag", m->tag, sizeof(m->tag), e) < 0)
			return error_set(e, EBADMSG, "\"mounts\" entry %zu is not a mount", i);
		if (m->tag[0] && (!m->source || m->source[0] != '/'))
			return error_set(e, EBADMSG, "\"mounts\" entry %zu: a share needs a source",
					 i);
	}
	return 0;
}

static int parse_ports(json_t *a, struct container_config *c, struct error *e)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > CONTAINER_PORTS_MAX)
		return error_set(e, EBADMSG, "\"ports\" must be an array of at most %d",
				 CONTAINER_PORTS_MAX);
	c->ports = xcalloc(json_array_size(a) + 1, sizeof(*c->ports));
	json_array_foreach(a, i, v) {
		struct container_port *p = &c->ports[i];
		uint64_t host = 0, ctr = 0;
		struct in_addr ip;
		if (!json_is_object(v) || get_bool(v, "udp", &p->udp, e) < 0 ||
		    get_buf(v, "host_ip", p->host_ip, sizeof(p->host_ip), e) < 0 ||
		    inet_pton(AF_INET, p->host_ip, &ip) != 1 ||
		    get_uint(v, "host_port", 65535, &host, e) < 0 ||
		    get_uint(v, "container_port", 65535, &ctr, e) < 0 || !host || !ctr)
			return error_set(e, EBADMSG, "\"ports\" entry %zu is not a port", i);
		p->host_port = (unsigned)host;
		p->container_port = (unsigned)ctr;
		c->nports++;
	}
	return 0;
}

/* Absent in records written before networking existed. */
static int parse_network(json_t *root, struct container_config *c, struct error *e)
{
	if (!json_object_get(root, "ports"))
		return 0;
	if (get_bool(root, "network_none", &c->network_none, e) < 0 ||
	    parse_ports(json_object_get(root, "ports"), c, e) < 0 ||
	    get_strv(root, "dns", &c->dns, &c->ndns, e) < 0 ||
	    get_strv(root, "dns_search", &c->dns_search, &c->ndns_search, e) < 0 ||
	    get_strv(root, "dns_options", &c->dns_options, &c->ndns_options, e) < 0 ||
	    get_strv(root, "extra_hosts", &c->extra_hosts, &c->nextra_hosts, e) < 0)
		return -e->code;
	return 0;
}

/* Absent in records written before isolation options existed. */
static int parse_isolation(json_t *root, struct container_config *c, struct error *e)
{
	if (!json_object_get(root, "mounts"))
		return 0;
	if (parse_mounts(json_object_get(root, "mounts"), c, e) < 0 ||
	    get_bool(root, "privileged", &c->privileged, e) < 0 ||
	    get_bool(root, "read_only", &c->read_only, e) < 0 ||
	    get_bool(root, "qemu_root", &c->qemu_root, e) < 0 ||
	    get_uint(root, "pids_limit", INT64_MAX, &c->pids_limit, e) < 0 ||
	    get_uint(root, "shm_size", INT64_MAX, &c->shm_size, e) < 0 ||
	    get_strv(root, "cap_add", &c->cap_add, &c->ncap_add, e) < 0 ||
	    get_strv(root, "cap_drop", &c->cap_drop, &c->ncap_drop, e) < 0 ||
	    get_strv(root, "security_opt", &c->security_opt, &c->nsecurity_opt, e) < 0 ||
	    get_strv(root, "group_add", &c->group_add, &c->ngroup_add, e) < 0)
		return -e->code;
	return 0;
}

int container_config_parse(const char *json, size_t len, struct container_config *c,
			   struct error *e)
{
	json_auto_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	uint64_t v;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(root))
		return error_set(e, EBADMSG, "not a JSON object");
	if (get_buf(root, "id", c->id, sizeof(c->id), e) < 0 ||
	    get_buf(root, "name", c->name, sizeof(c->name), e) < 0 ||
	    get_uint(root, "created", INT64_MAX, &c->created_ns, e) < 0 ||
	    get_str(root, "image", &c->image, e) < 0 ||
	    get_str(root, "image_id", &c->image_id, e) < 0 ||
	    get_str(root, "rootfs", &c->rootfs, e) < 0 ||
	    get_str(root, "bundle", &c->bundle, e) < 0 ||
	    get_str(root, "create_request", &c->create_request, e) < 0 ||
	    get_buf(root, "accel", c->accel, sizeof(c->accel), e) < 0 ||
	    get_strv(root, "entrypoint", &c->entrypoint, &c->nentrypoint, e) < 0 ||
	    get_strv(root, "cmd", &c->cmd, &c->ncmd, e) < 0 ||
	    get_strv(root, "env", &c->env, &c->nenv, e) < 0 ||
	    get_strv(root, "args", &c->args, &c->nargs, e) < 0 ||
	    get_str(root, "workdir", &c->workdir, e) < 0 ||
	    get_str(root, "user", &c->user, e) < 0 ||
	    get_str(root, "hostname", &c->hostname, e) < 0 ||
	    get_bool(root, "tty", &c->tty, e) < 0 ||
	    get_bool(root, "interactive", &c->interactive, e) < 0 ||
	    get_bool(root, "auto_remove", &c->auto_remove, e) < 0 ||
	    get_uint(root, "memory", INT64_MAX, &c->memory, e) < 0 ||
	    get_uint(root, "nano_cpus", INT64_MAX, &c->nano_cpus, e) < 0 ||
	    get_uint(root, "log_max_size", INT64_MAX, &c->log.max_size, e) < 0)
		goto bad;
	if (get_uint(root, "vcpus", 4096, &v, e) < 0)
		goto bad;
	c->vcpus = (unsigned)v;
	if (get_uint(root, "memory_mib", UINT32_MAX, &v, e) < 0)
		goto bad;
	c->memory_mib = (unsigned)v;
	if (get_uint(root, "stop_signal", 64, &v, e) < 0)
		goto bad;
	c->stop_signal = v ? (int)v : SIGTERM;
	if (get_uint(root, "stop_timeout", 3600 * 24, &v, e) < 0)
		goto bad;
	c->stop_timeout = (unsigned)v;
	if (get_uint(root, "log_max_files", LOG_MAX_FILES_LIMIT, &v, e) < 0)
		goto bad;
	c->log.max_files = (unsigned)v;
	if (!container_id_valid(c->id) || !container_name_valid(c->name)) {
		error_set(e, EBADMSG, "bad id or name");
		goto bad;
	}
	if (c->log.max_files == 0 || c->log.max_size < LOG_MIN_MAX_SIZE)
		log_opts_default(&c->log);
	if (parse_isolation(root, c, e) < 0 || parse_network(root, c, e) < 0)
		goto bad;
	return 0;
bad:
	container_config_free(c);
	return -e->code;
}

int container_state_parse(const char *json, size_t len, struct container_state *s,
			  struct error *e)
{
	json_auto_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	char status[16];
	json_t *vm;
	uint64_t v;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(root))
		return error_set(e, EBADMSG, "not a JSON object");
	if (get_buf(root, "status", status, sizeof(status), e) < 0)
		return -e->code;
	for (s->status = 0; s->status <= CONTAINER_EXITED; s->status++)
		if (strcmp(status, status_names[s->status]) == 0)
			break;
	if (s->status > CONTAINER_EXITED)
		return error_set(e, EBADMSG, "unknown status \"%s\"", status);
	if (get_uint(root, "monitor_pid", INT32_MAX, &v, e) < 0)
		return -e->code;
	s->monitor_pid = (int)v;
	if (get_uint(root, "pid", UINT32_MAX, &v, e) < 0)
		return -e->code;
	s->pid = (uint32_t)v;
	if (get_uint(root, "started", INT64_MAX, &s->started_ns, e) < 0 ||
	    get_uint(root, "finished", INT64_MAX, &s->finished_ns, e) < 0 ||
	    get_uint(root, "exit_code", 255, &v, e) < 0)
		return -e->code;
	s->exit_code = (int)v;
	if (get_bool(root, "oom_killed", &s->oom_killed, e) < 0 ||
	    get_uint(root, "restart_count", UINT32_MAX, &v, e) < 0)
		return -e->code;
	s->restart_count = (unsigned)v;
	if (get_buf(root, "error", s->error, sizeof(s->error), e) < 0)
		return -e->code;
	vm = json_object_get(root, "vm");
	if (!json_is_object(vm))
		return error_set(e, EBADMSG, "\"vm\" must be an object");
	if (get_buf(vm, "domain", s->vm.domain, sizeof(s->vm.domain), e) < 0 ||
	    get_buf(vm, "accel", s->vm.accel, sizeof(s->vm.accel), e) < 0 ||
	    get_buf(vm, "backend_socket", s->vm.backend_socket, sizeof(s->vm.backend_socket), e) <
		0 ||
	    get_buf(vm, "console_log", s->vm.console_log, sizeof(s->vm.console_log), e) < 0)
		return -e->code;
	if (get_uint(vm, "vcpus", 4096, &v, e) < 0)
		return -e->code;
	s->vm.vcpus = (unsigned)v;
	if (get_uint(vm, "memory_mib", UINT32_MAX, &v, e) < 0)
		return -e->code;
	s->vm.memory_mib = (unsigned)v;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void container_config_free(struct container_config *c)
{
	free(c->image);
	free(c->image_id);
	free(c->rootfs);
	free(c->bundle);
	free(c->create_request);
	strv_free(c->entrypoint, c->nentrypoint);
	strv_free(c->cmd, c->ncmd);
	strv_free(c->env, c->nenv);
	strv_free(c->args, c->nargs);
	free(c->workdir);
	free(c->user);
	free(c->hostname);
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].source);
		free(c->mounts[i].name);
		free(c->mounts[i].target);
	}
	free(c->mounts);
	strv_free(c->cap_add, c->ncap_add);
	strv_free(c->cap_drop, c->ncap_drop);
	strv_free(c->security_opt, c->nsecurity_opt);
	strv_free(c->group_add, c->ngroup_add);
	free(c->ports);
	strv_free(c->dns, c->ndns);
	strv_free(c->dns_search, c->ndns_search);
	strv_free(c->dns_options, c->ndns_options);
	strv_free(c->extra_hosts, c->nextra_hosts);
	memset(c, 0, sizeof(*c));
}

void container_record_free(struct container_record *r)
{
	container_config_free(&r->config);
}

/* ---- files ---- */

/* Lock files are made with the directory (container_create): opening
 * one never creates it, so a reader racing `rm` cannot leave a file in a
 * directory being removed. */
static int lock_file_flags(const char *path, int op, int flags, struct error *e)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | flags, 0600);

	if (fd < 0)
		return error_errno(e, errno, "opening %s", path);
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		int err = errno;
		close(fd);
		return err == EWOULDBLOCK ? -EWOULDBLOCK : error_errno(e, err, "locking %s", path);
	}
	return fd;
}

static int lock_file(const char *path, int op, struct error *e)
{
	return lock_file_flags(path, op, 0, e);
}

static int dir_lock(const char *run_root, const char *id, int op, struct error *e)
{
	char path[4096];

	if (container_path(run_root, id, LOCK_FILE, path, sizeof(path)) < 0)
		return error_set(e, ENAMETOOLONG, "container path too long");
	return lock_file(path, op, e);
}

static int read_json_file(const char *run_root, const char *id, const char *file, char **ret,
			  size_t *ret_len, struct error *e)
{
	char path[4096];
	_cleanup_close_ int fd = -1;
	struct stat st;
	char *buf;
	ssize_t n;

	if (container_path(run_root, id, file, path, sizeof(path)) < 0)
		return error_set(e, ENAMETOOLONG, "container path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return error_errno(e, errno, "reading %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > RECORD_FILE_MAX)
		return error_set(e, EBADMSG, "%s is not a container record", path);
	buf = xmalloc((size_t)st.st_size + 1);
	n = read_full(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		free(buf);
		return error_set(e, EIO, "reading %s: short read", path);
	}
	buf[n] = '\0';
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

static int write_json_file(const char *run_root, const char *id, const char *file, char *text,
			   struct error *e)
{
	char path[4096];
	int r;

	if (!text)
		return error_set(e, ENOMEM, "formatting %s", file);
	if (container_path(run_root, id, file, path, sizeof(path)) < 0) {
		free(text);
		return error_set(e, ENAMETOOLONG, "container path too long");
	}
	r = write_file_atomic(path, text, strlen(text), 0600);
	free(text);
	return r < 0 ? error_errno(e, -r, "writing %s", path) : 0;
}

static int read_state(const char *run_root, const char *id, struct container_state *s,
		      struct error *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (read_json_file(run_root, id, STATE_FILE, &text, &len, e) < 0)
		return -e->code;
	if (container_state_parse(text, len, s, e) < 0)
		return error_prefix(e, "container %.12s: %s", id, STATE_FILE);
	return 0;
}

static int read_config(const char *run_root, const char *id, struct container_config *c,
		       struct error *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (read_json_file(run_root, id, CONFIG_FILE, &text, &len, e) < 0)
		return -e->code;
	if (container_config_parse(text, len, c, e) < 0)
		return error_prefix(e, "container %.12s: %s", id, CONFIG_FILE);
	if (strcmp(c->id, id) != 0) {
		container_config_free(c);
		return error_set(e, EBADMSG, "container %.12s: %s names another container", id,
				 CONFIG_FILE);
	}
	return 0;
}

bool container_monitor_alive(const char *run_root, const char *id)
{
	char path[4096];
	struct error e = {0};
	int fd;

	if (container_path(run_root, id, MONITOR_LOCK_FILE, path, sizeof(path)) < 0)
		return false;
	fd = lock_file(path, LOCK_EX | LOCK_NB, &e);
	if (fd == -EWOULDBLOCK)
		return true;
	if (fd >= 0)
		close(fd);
	return false;
}

int container_monitor_lock(const char *run_root, const char *id, int timeout_ms,
			   struct error *e)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	char path[4096];
	int fd;

	if (container_path(run_root, id, MONITOR_LOCK_FILE, path, sizeof(path)) < 0)
		return error_set(e, ENAMETOOLONG, "container path too long");
	for (;;) {
		struct container_state st;
		struct error ignored = {0};
		int lock;

		fd = lock_file(path, LOCK_EX | LOCK_NB, e);
		if (fd != -EWOULDBLOCK)
			return fd;
		/* Running: another monitor started it. Else the previous one
		 * is on its way out (powering its VM off): wait for it. */
		lock = dir_lock(run_root, id, LOCK_SH, &ignored);
		if (lock >= 0) {
			int r = read_state(run_root, id, &st, &ignored);
			close(lock);
			if (r == 0 && st.status == CONTAINER_RUNNING)
				return -EWOULDBLOCK;
		}
		if (now_ns() >= deadline)
			return error_set(e, ETIMEDOUT,
					 "container %.12s: its previous monitor (%s) is still there",
					 id, path);
		nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000}, NULL);
	}
}

/* A container "running" without a monitor: its monitor died (the VM went
 * with it, libvirt's autodestroy). Say so, once, under the lock. */
static int reconcile(struct container_state *s, void *ctx, struct error *e)
{
	struct timespec ts;

	if (s->status != CONTAINER_RUNNING)
		return -EALREADY;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->status = CONTAINER_EXITED;
	s->finished_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	s->exit_code = 255;
	snprintf(s->error, sizeof(s->error),
		 "the container's monitor (pid %d) died; its VM %s went with it", s->monitor_pid,
		 s->vm.domain);
	s->monitor_pid = 0;
	return 0;
}

static int update_locked(const char *run_root, const char *id,
			 int (*update)(struct container_state *s, void *ctx, struct error *e),
			 void *ctx, struct error *e)
{
	struct container_state s;
	int r;

	if (read_state(run_root, id, &s, e) < 0)
		return -e->code;
	r = update(&s, ctx, e);
	if (r < 0)
		return r;
	return write_json_file(run_root, id, STATE_FILE, container_state_format(&s), e);
}

int container_update(const char *run_root, const char *id,
		     int (*update)(struct container_state *s, void *ctx, struct error *e),
		     void *ctx, struct error *e)
{
	int lock = dir_lock(run_root, id, LOCK_EX, e), r;

	if (lock < 0)
		return lock;
	r = update_locked(run_root, id, update, ctx, e);
	close(lock);
	return r;
}

int container_load(const char *run_root, const char *id, struct container_record *ret,
		   struct error *e)
{
	int lock, r;

	memset(ret, 0, sizeof(*ret));
	if (!container_id_valid(id))
		return error_set(e, EINVAL, "\"%s\" is not a container ID", id);
	lock = dir_lock(run_root, id, LOCK_SH, e);
	if (lock < 0)
		return lock;
	r = read_state(run_root, id, &ret->state, e);
	if (r == 0)
		r = read_config(run_root, id, &ret->config, e);
	close(lock);
	if (r < 0 || ret->state.status != CONTAINER_RUNNING ||
	    container_monitor_alive(run_root, id))
		return r;
	/* Taken again exclusively: another reader may have done it already. */
	lock = dir_lock(run_root, id, LOCK_EX, e);
	if (lock < 0)
		return 0;
	if (!container_monitor_alive(run_root, id)) {
		char sock[4096];
		struct error ignored = {0};
		if (update_locked(run_root, id, reconcile, NULL, &ignored) == 0 &&
		    container_path(run_root, id, "sock", sock, sizeof(sock)) >= 0)
			unlink(sock);
		read_state(run_root, id, &ret->state, &ignored);
	}
	close(lock);
	return 0;
}

static int make_lock_files(const char *run_root, const char *id, struct error *e)
{
	static const char *const names[] = {LOCK_FILE, MONITOR_LOCK_FILE};
	char path[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		int fd;
		if (container_path(run_root, id, names[i], path, sizeof(path)) < 0)
			return error_set(e, ENAMETOOLONG, "container path too long");
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return error_errno(e, errno, "creating %s", path);
		close(fd);
	}
	return 0;
}

/* Under the creation lock: a name in use by any container. */
static int name_owner(const char *run_root, const char *name, char id[CONTAINER_ID_LEN + 1])
{
	struct container_record *all;
	size_t n;
	struct error e = {0};
	int found = 0;

	if (container_list(run_root, &all, &n, &e) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!found && strcmp(all[i].config.name, name) == 0) {
			memcpy(id, all[i].config.id, CONTAINER_ID_LEN + 1);
			found = 1;
		}
		container_record_free(&all[i]);
	}
	free(all);
	return found;
}

int container_create(const char *run_root, struct container_config *cfg, struct error *e)
{
	char root[4096], path[4096], owner[CONTAINER_ID_LEN + 1];
	struct container_state s = {.status = CONTAINER_CREATED};
	struct timespec ts;
	int lock, r = 0;

	if (container_root(run_root, root, sizeof(root), e) < 0)
		return -e->code;
	if (bprintf(path, sizeof(path), "%s/%s", root, CREATE_LOCK_FILE) < 0)
		return error_set(e, ENAMETOOLONG, "runtime root too long");
	lock = lock_file_flags(path, LOCK_EX, O_CREAT, e);
	if (lock < 0)
		return lock;
	if (!cfg->name[0]) {
		do
			container_random_name(cfg->name, sizeof(cfg->name));
		while (name_owner(run_root, cfg->name, owner));
	} else if (!container_name_valid(cfg->name)) {
		r = error_set(e, EINVAL,
			      "invalid container name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
			      "allowed",
			      cfg->name);
		goto out;
	} else if (name_owner(run_root, cfg->name, owner)) {
		r = error_set(e, EEXIST,
			      "Conflict. The container name \"/%s\" is already in use by container "
			      "\"%s\". You have to remove (or rename) that container to be able to "
			      "reuse that name.",
			      cfg->name, owner);
		goto out;
	}
	if (!container_id_valid(cfg->id))
		container_new_id(cfg->id);
	clock_gettime(CLOCK_REALTIME, &ts);
	cfg->created_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	container_path(run_root, cfg->id, NULL, path, sizeof(path));
	if (mkdir(path, 0700) < 0) {
		r = error_errno(e, errno, "creating %s", path);
		goto out;
	}
	r = make_lock_files(run_root, cfg->id, e);
	/* The state first: a directory with a config is a container. */
	if (r == 0)
		r = write_json_file(run_root, cfg->id, STATE_FILE, container_state_format(&s), e);
	if (r == 0)
		r = write_json_file(run_root, cfg->id, CONFIG_FILE, container_config_format(cfg), e);
	if (r < 0)
		remove_tree(path);
out:
	close(lock);
	return r;
}

static int by_created_desc(const void *a, const void *b)
{
	const struct container_record *x = a, *y = b;

	if (x->config.created_ns != y->config.created_ns)
		return x->config.created_ns < y->config.created_ns ? 1 : -1;
	return strcmp(x->config.id, y->config.id);
}

int container_list(const char *run_root, struct container_record **ret, size_t *ret_n,
		   struct error *e)
{
	char root[4096];
	struct container_record *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	if (bprintf(root, sizeof(root), "%s/containers", run_root) < 0)
		return error_set(e, ENAMETOOLONG, "runtime root too long");
	d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : error_errno(e, errno, "reading %s", root);
	while ((de = readdir(d)) && n < CONTAINER_MAX) {
		struct error ignored = {0};
		if (!container_id_valid(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		if (container_load(run_root, de->d_name, &v[n], &ignored) == 0)
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), by_created_desc);
	*ret = v;
	*ret_n = n;
	return 0;
}

int container_find(const char *run_root, const char *ref, char id[CONTAINER_ID_LEN + 1],
		   struct error *e)
{
	struct container_record *all;
	size_t n, len = strlen(ref);
	int matches = 0;
	bool by_name = false;

	if (len == 0)
		return error_set(e, EINVAL, "no container named");
	if (container_list(run_root, &all, &n, e) < 0)
		return -e->code;
	/* A full ID, then a name, then an ID prefix, as Docker looks. */
	for (size_t i = 0; i < n && !by_name; i++)
		if (strcmp(all[i].config.id, ref) == 0 || strcmp(all[i].config.name, ref) == 0) {
			memcpy(id, all[i].config.id, CONTAINER_ID_LEN + 1);
			by_name = true;
		}
	for (size_t i = 0; i < n && !by_name; i++)
		if (strncmp(all[i].config.id, ref, len) == 0) {
			memcpy(id, all[i].config.id, CONTAINER_ID_LEN + 1);
			matches++;
		}
	for (size_t i = 0; i < n; i++)
		container_record_free(&all[i]);
	free(all);
	if (by_name || matches == 1)
		return 0;
	if (matches > 1)
		return error_set(e, EINVAL, "multiple containers match \"%s\": give more of the ID",
				 ref);
	return error_set(e, ENOENT, "no such container: %s", ref);
}

int container_remove(const char *run_root, const char *id, struct error *e)
{
	char path[4096], gone[4096];
	int r;

	if (!container_id_valid(id))
		return error_set(e, EINVAL, "\"%s\" is not a container ID", id);
	container_path(run_root, id, NULL, path, sizeof(path));
	/* Out of sight at once (a name no reader or listing takes for a
	 * container), then removed at leisure. */
	if (bprintf(gone, sizeof(gone), "%s/containers/.removing-%s", run_root, id) < 0)
		return error_set(e, ENAMETOOLONG, "runtime root too long");
	if (rename(path, gone) < 0) {
		if (errno == ENOENT)
			return 0;
		return error_errno(e, errno, "removing %s", path);
	}
	r = remove_tree(gone);
	if (r < 0 && r != -ENOENT)
		return error_errno(e, -r, "removing %s", gone);
	return 0;
}

int container_lookup(const char *run_root, const char *ref, struct container_record *ret,
		     struct error *e)
{
	char id[CONTAINER_ID_LEN + 1];

	memset(ret, 0, sizeof(*ret));
	if (container_find(run_root, ref, id, e) < 0)
		return -e->code;
	return container_load(run_root, id, ret, e);
}
