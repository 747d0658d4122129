/* The process ops of the agent protocol: create, attach, start, signal,
 * resize, wait. Parsed on the agent side from what the host sends; their
 * results (start, wait) parsed on the host side from what the agent sends. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "message-internal.h"
#include "util.h"

static const char *const stream_names[] = {
	[STREAM_STDIN] = "stdin",
	[STREAM_STDOUT] = "stdout",
	[STREAM_STDERR] = "stderr",
	[STREAM_PTY] = "pty",
};

#define SIGNAL_MAX 64

void msg_free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

void process_spec_free(struct process_spec *p)
{
	msg_free_strv(p->args);
	msg_free_strv(p->env);
	free(p->cwd);
	free(p->groups);
	process_security_free(&p->sec);
	memset(p, 0, sizeof(*p));
}

void process_spec_setenv(struct process_spec *p, const char *entry)
{
	size_t klen = strcspn(entry, "=");

	for (size_t i = 0; i < p->nenv; i++)
		if (strncmp(p->env[i], entry, klen) == 0 && p->env[i][klen] == '=') {
			free(p->env[i]);
			p->env[i] = xstrdup(entry);
			return;
		}
	p->env = xrealloc(p->env, (p->nenv + 2) * sizeof(*p->env));
	p->env[p->nenv++] = xstrdup(entry);
	p->env[p->nenv] = NULL;
}

void agent_request_free(struct agent_request *req)
{
	if (req->op == AGENT_OP_CREATE) {
		process_spec_free(&req->u.create.spec);
		container_spec_free(&req->u.create.ct);
	}
}

static json_t *strv_to_json(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *format_spec(const struct process_spec *p)
{
	json_t *args = strv_to_json(p->args, p->nargs), *env = strv_to_json(p->env, p->nenv);

	if (!args || !env) {
		json_decref(args);
		json_decref(env);
		return NULL;
	}
	json_t *o = json_pack("{sososssIsIsbsbsIsI}", "args", args, "env", env, "cwd",
			      p->cwd ? p->cwd : "/", "uid", (json_int_t)p->uid, "gid",
			      (json_int_t)p->gid, "terminal", p->terminal, "stdin", p->stdin, "rows",
			      (json_int_t)p->rows, "cols", (json_int_t)p->cols);

	if (!o)
		return NULL;
	if (p->ngroups)
		json_object_set_new(o, "groups", msg_format_groups(p->groups, p->ngroups));
	if (p->sec.set)
		json_object_set_new(o, "security", msg_format_security(&p->sec));
	return o;
}

json_t *msg_format_process_request(const struct agent_request *req)
{
	const struct process_args *a = &req->u.process;

	switch (req->op) {
	case AGENT_OP_CREATE: {
		json_t *spec = format_spec(&req->u.create.spec), *o, *ct;
		if (!spec)
			return NULL;
		o = json_pack("{sIsIssssssso}", "process", (json_int_t)req->u.create.process,
			      "join", (json_int_t)req->u.create.join, "rootfs_tag",
			      req->u.create.rootfs_tag, "rootfs_disk", req->u.create.rootfs_disk,
			      "hostname", req->u.create.hostname, "spec", spec);
		if (o && !req->u.create.join) {
			ct = msg_format_container(&req->u.create.ct);
			if (!ct || json_object_set_new(o, "container", ct) < 0) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	case AGENT_OP_ATTACH:
		return json_pack("{sIss}", "process", (json_int_t)req->u.attach.process, "stream",
				 stream_names[req->u.attach.stream]);
	case AGENT_OP_SIGNAL:
		return json_pack("{sIsi}", "process", (json_int_t)a->process, "signal", a->signal);
	case AGENT_OP_RESIZE:
		return json_pack("{sIsIsI}", "process", (json_int_t)a->process, "rows",
				 (json_int_t)a->rows, "cols", (json_int_t)a->cols);
	default: /* start, wait */
		return json_pack("{sI}", "process", (json_int_t)a->process);
	}
}

/* A bounded string without NUL (jansson already refuses \u0000 unless asked). */
static int get_string(json_t *obj, const char *key, size_t max, const char **ret,
		      struct error *e)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return error_set(e, EBADMSG, "\"%s\" must be a string", key);
	if (json_string_length(v) > max)
		return error_set(e, EBADMSG, "\"%s\" is longer than %zu bytes", key, max);
	*ret = json_string_value(v);
	return 0;
}

int msg_get_strv(json_t *obj, const char *key, size_t max_items, bool nonempty,
		    int (*check)(const char *), char ***ret, size_t *ret_n, struct error *e)
{
	json_t *a = json_object_get(obj, key), *v;
	size_t n, i;
	char **out;

	if (!json_is_array(a))
		return error_set(e, EBADMSG, "\"%s\" must be an array of strings", key);
	n = json_array_size(a);
	if (n > max_items || (nonempty && n == 0))
		return error_set(e, EBADMSG, "\"%s\" must have %s%zu entries", key,
				 nonempty ? "1 to " : "at most ", max_items);
	out = xcalloc(n + 1, sizeof(*out));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_string_length(v) > MSG_STRING_MAX ||
		    (check && check(json_string_value(v)) < 0)) {
			msg_free_strv(out);
			return error_set(e, EBADMSG, "\"%s\" entry %zu is not a valid string", key,
					 i);
		}
		out[i] = xstrdup(json_string_value(v));
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

static int check_env(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq && eq != s ? 0 : -EINVAL;
}

static int valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n >= MSG_HOSTNAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return 0;
	}
	return 1;
}

bool msg_valid_tag(const char *s)
{
	return s[0] && valid_hostname(s) && strlen(s) < MSG_TAG_MAX;
}

/* vda .. vdzz: what the guest kernel names virtio disks. */
static int valid_disk(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 4 || strncmp(s, "vd", 2) != 0)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

static int parse_spec(json_t *obj, struct process_spec *p, struct error *e)
{
	const char *cwd;
	uint64_t v;
	json_t *b;

	if (!json_is_object(obj))
		return error_set(e, EBADMSG, "\"spec\" must be an object");
	if (msg_get_strv(obj, "args", MSG_ARGS_MAX, true, NULL, &p->args, &p->nargs, e) < 0 ||
	    msg_get_strv(obj, "env", MSG_ENV_MAX, false, check_env, &p->env, &p->nenv, e) < 0 ||
	    get_string(obj, "cwd", MSG_PATH_MAX, &cwd, e) < 0)
		return -EBADMSG;
	if (cwd[0] != '/')
		return error_set(e, EBADMSG, "\"cwd\" must be an absolute path");
	p->cwd = xstrdup(cwd);
	if (msg_get_uint(obj, "uid", true, UINT32_MAX - 1, &v, e) < 0)
		return -EBADMSG;
	p->uid = (uint32_t)v;
	if (msg_get_uint(obj, "gid", true, UINT32_MAX - 1, &v, e) < 0)
		return -EBADMSG;
	p->gid = (uint32_t)v;
	b = json_object_get(obj, "terminal");
	if (!json_is_boolean(b))
		return error_set(e, EBADMSG, "\"terminal\" must be a boolean");
	p->terminal = json_is_true(b);
	b = json_object_get(obj, "stdin");
	if (!json_is_boolean(b))
		return error_set(e, EBADMSG, "\"stdin\" must be a boolean");
	p->stdin = json_is_true(b);
	v = 0;
	if (msg_get_uint(obj, "rows", false, UINT16_MAX, &v, e) < 0)
		return -EBADMSG;
	p->rows = (uint16_t)v;
	v = 0;
	if (msg_get_uint(obj, "cols", false, UINT16_MAX, &v, e) < 0)
		return -EBADMSG;
	p->cols = (uint16_t)v;
	if (msg_parse_groups(json_object_get(obj, "groups"), &p->groups, &p->ngroups, e) < 0 ||
	    msg_parse_security(json_object_get(obj, "security"), &p->sec, e) < 0)
		return -EBADMSG;
	return 0;
}

static int get_process(json_t *root, uint32_t *ret, struct error *e)
{
	uint64_t v;

	if (msg_get_uint(root, "process", true, MSG_PROCESS_MAX, &v, e) < 0)
		return -EBADMSG;
	if (v == 0)
		return error_set(e, EBADMSG, "\"process\" must be 1 or more");
	*ret = (uint32_t)v;
	return 0;
}

static int parse_create(json_t *root, struct create_args *c, struct error *e)
{
	const char *s;
	uint64_t v = 0;

	if (get_process(root, &c->process, e) < 0)
		return -EBADMSG;
	if (get_string(root, "rootfs_tag", MSG_TAG_MAX - 1, &s, e) < 0)
		return -EBADMSG;
	if (s[0] && !msg_valid_tag(s))
		return error_set(e, EBADMSG, "\"rootfs_tag\" is not a valid 9p tag");
	strcpy(c->rootfs_tag, s);
	if (json_object_get(root, "rootfs_disk")) {
		if (get_string(root, "rootfs_disk", MSG_DISK_MAX - 1, &s, e) < 0)
			return -EBADMSG;
		if (s[0] && !valid_disk(s))
			return error_set(e, EBADMSG, "\"rootfs_disk\" is not a virtio disk name");
		strcpy(c->rootfs_disk, s);
	}
	if (get_string(root, "hostname", MSG_HOSTNAME_MAX - 1, &s, e) < 0)
		return -EBADMSG;
	if (!valid_hostname(s))
		return error_set(e, EBADMSG, "\"hostname\" is not a valid host name");
	strcpy(c->hostname, s);
	if (msg_get_uint(root, "join", false, MSG_PROCESS_MAX, &v, e) < 0)
		return -EBADMSG;
	c->join = (uint32_t)v;
	if (c->join) {
		/* A process that joins a container takes its root and name. */
		if (c->join == c->process)
			return error_set(e, EBADMSG, "a process cannot join itself");
		if (c->rootfs_tag[0] || c->rootfs_disk[0] || c->hostname[0])
			return error_set(e, EBADMSG,
					 "a joining process takes no \"rootfs_tag\", "
					 "\"rootfs_disk\" or \"hostname\"");
		if (json_object_get(root, "container"))
			return error_set(e, EBADMSG, "a joining process takes no \"container\"");
	} else if (!c->rootfs_tag[0] == !c->rootfs_disk[0]) {
		return error_set(e, EBADMSG,
				 "exactly one of \"rootfs_tag\" and \"rootfs_disk\" is needed");
	} else if (msg_parse_container(json_object_get(root, "container"), &c->ct, e) < 0) {
		return -EBADMSG;
	}
	return parse_spec(json_object_get(root, "spec"), &c->spec, e);
}

int msg_parse_process_request(json_t *root, struct agent_request *req, struct error *e)
{
	struct process_args *a = &req->u.process;
	const char *s;
	uint64_t v;
	int i;

	switch (req->op) {
	case AGENT_OP_CREATE:
		return parse_create(root, &req->u.create, e);
	case AGENT_OP_ATTACH:
		if (get_process(root, &req->u.attach.process, e) < 0 ||
		    get_string(root, "stream", 16, &s, e) < 0)
			return -EBADMSG;
		i = msg_lookup_name(stream_names, sizeof(stream_names) / sizeof(*stream_names), s);
		if (i < 0)
			return error_set(e, EINVAL, "unknown stream");
		req->u.attach.stream = (enum stream_kind)i;
		return 0;
	case AGENT_OP_SIGNAL:
		if (get_process(root, &a->process, e) < 0 ||
		    msg_get_uint(root, "signal", true, SIGNAL_MAX, &v, e) < 0)
			return -EBADMSG;
		if (v == 0)
			return error_set(e, EINVAL, "\"signal\" must be 1 to %d", SIGNAL_MAX);
		a->signal = (int)v;
		return 0;
	case AGENT_OP_RESIZE:
		if (get_process(root, &a->process, e) < 0 ||
		    msg_get_uint(root, "rows", true, UINT16_MAX, &v, e) < 0)
			return -EBADMSG;
		a->rows = (uint16_t)v;
		if (msg_get_uint(root, "cols", true, UINT16_MAX, &v, e) < 0)
			return -EBADMSG;
		a->cols = (uint16_t)v;
		return 0;
	default: /* start, wait */
		return get_process(root, &a->process, e);
	}
}

json_t *msg_format_process_result(enum agent_op op, const struct agent_reply *reply)
{
	switch (op) {
	case AGENT_OP_START:
		return json_pack("{sI}", "pid", (json_int_t)reply->u.start.pid);
	case AGENT_OP_WAIT:
		return json_pack("{sisisb}", "exit_code", reply->u.wait.exit_code, "signal",
				 reply->u.wait.signal, "oom_killed", reply->u.wait.oom_killed);
	default:
		return json_object();
	}
}

int msg_parse_process_result(enum agent_op op, json_t *result, struct agent_reply *ret,
			     struct error *e)
{
	uint64_t v = 0, sig = 0;
	json_t *oom;

	switch (op) {
	case AGENT_OP_START:
		if (msg_get_uint(result, "pid", true, INT32_MAX, &v, e) < 0)
			return -EBADMSG;
		ret->u.start.pid = (uint32_t)v;
		return 0;
	case AGENT_OP_WAIT:
		if (msg_get_uint(result, "exit_code", true, 255, &v, e) < 0 ||
		    msg_get_uint(result, "signal", true, SIGNAL_MAX, &sig, e) < 0)
			return -EBADMSG;
		if (sig && v)
			return error_set(e, EBADMSG, "wait: both an exit code and a signal");
		ret->u.wait.exit_code = (int)v;
		ret->u.wait.signal = (int)sig;
		oom = json_object_get(result, "oom_killed");
		if (oom && !json_is_boolean(oom))
			return error_set(e, EBADMSG, "\"oom_killed\" must be a boolean");
		ret->u.wait.oom_killed = json_is_true(oom);
		return 0;
	default:
		return 0;
	}
}

static const char *const event_names[] = {
	[AGENT_EVENT_EXIT] = "exit",
};

json_t *msg_format_event(const struct agent_event *ev)
{
	return json_pack("{sssIsisisb}", "event", event_names[ev->kind], "process",
			 (json_int_t)ev->process, "exit_code", ev->exit.exit_code, "signal",
			 ev->exit.signal, "oom_killed", ev->exit.oom_killed);
}

int msg_parse_event(json_t *root, struct agent_event *ret, struct error *e)
{
	struct agent_reply r = {0};
	json_t *kind = json_object_get(root, "event");
	int k;

	memset(ret, 0, sizeof(*ret));
	if (!json_is_string(kind))
		return error_set(e, EBADMSG, "\"event\" is missing or not a string");
	k = msg_lookup_name(event_names, sizeof(event_names) / sizeof(*event_names),
			    json_string_value(kind));
	if (k != AGENT_EVENT_EXIT)
		return error_set(e, EBADMSG, "unknown event");
	ret->kind = AGENT_EVENT_EXIT;
	if (get_process(root, &ret->process, e) < 0 ||
	    msg_parse_process_result(AGENT_OP_WAIT, root, &r, e) < 0)
		return error_prefix(e, "exit event");
	ret->exit = r.u.wait;
	return 0;
}
