#include "domain-xml.h"
#include "container-format.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "signals.h"
#include "units.h"
#include "util.h"

#define COMMAND_TRUNC 20 /* characters, as Docker cuts it */

static int64_t seconds_between(uint64_t then_ns, uint64_t now_ns)
{
	return now_ns > then_ns ? (int64_t)((now_ns - then_ns) / 1000000000ull) : 0;
}

void format_ago(uint64_t then_ns, uint64_t now_ns, char *buf, size_t size)
{
	char d[64];

	human_duration(seconds_between(then_ns, now_ns), d, sizeof(d));
	snprintf(buf, size, "%s ago", d);
}

void format_status(const struct container_record *r, uint64_t now_ns, char *buf, size_t size)
{
	const struct container_state *s = &r->state;
	char d[64];

	switch (s->status) {
	case CONTAINER_RUNNING:
		human_duration(seconds_between(s->started_ns, now_ns), d, sizeof(d));
		snprintf(buf, size, "Up %s", d);
		break;
	case CONTAINER_EXITED:
		human_duration(seconds_between(s->finished_ns, now_ns), d, sizeof(d));
		snprintf(buf, size, "Exited (%d) %s ago", s->exit_code, d);
		break;
	default:
		snprintf(buf, size, "Created");
		break;
	}
}

/* Appends s to buf at *len, keeping a NUL, as far as it fits. */
static void append(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + 1 >= size)
		return;
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

/* How many bytes of s make its first `chars` UTF-8 characters. */
static size_t utf8_prefix(const char *s, size_t chars)
{
	size_t i = 0;

	while (s[i] && chars) {
		i++;
		while ((s[i] & 0xc0) == 0x80)
			i++;
		chars--;
	}
	return i;
}

void format_command(const struct container_config *c, bool no_trunc, char *buf, size_t size)
{
	char cmd[4096];
	size_t len = 0;

	cmd[0] = '\0';
	for (size_t i = 0; i < c->nargs; i++) {
		if (i)
			append(cmd, sizeof(cmd), &len, " ");
		append(cmd, sizeof(cmd), &len, c->args[i]);
	}
	if (!no_trunc && utf8_prefix(cmd, COMMAND_TRUNC) < strlen(cmd)) {
		size_t cut = utf8_prefix(cmd, COMMAND_TRUNC - 1);
		snprintf(buf, size, "\"%.*s…\"", (int)cut, cmd);
		return;
	}
	snprintf(buf, size, "\"%s\"", cmd);
}

void format_time(uint64_t ns, char *buf, size_t size)
{
	if (!ns) {
		snprintf(buf, size, "0001-01-01T00:00:00Z");
		return;
	}
	log_format_time(ns, buf, size);
}

/* Docker's CreatedAt in ps: "2026-11-28 13:15:49 +0000 UTC". */
static void format_created_at(uint64_t ns, char *buf, size_t size)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
}

static json_t *strv(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *format_ps_json(const struct container_record *r, uint64_t now_ns)
{
	const struct container_config *c = &r->config;
	char command[4096], created[64], status[128], ago[96], id[CONTAINER_SHORT_ID_LEN + 1];

	format_command(c, false, command, sizeof(command));
	format_created_at(c->created_ns, created, sizeof(created));
	format_status(r, now_ns, status, sizeof(status));
	format_ago(c->created_ns, now_ns, ago, sizeof(ago));
	snprintf(id, sizeof(id), "%.*s", CONTAINER_SHORT_ID_LEN, c->id);
	return json_pack("{ss ss ss ss ss ss ss ss}", "Command", command, "CreatedAt", created, "ID",
			 id, "Image", c->image ? c->image : "", "Names", c->name, "RunningFor", ago,
			 "State", container_status_name(r->state.status), "Status", status);
}

static json_t *nullable(const char *s)
{
	return s ? json_string(s) : json_string("");
}

/* Docker's top-level Mounts. */
static json_t *inspect_mounts(const struct container_config *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->nmounts; i++) {
		const struct container_mount *m = &c->mounts[i];
		json_t *o = json_pack("{ss ss ss sb}", "Type", m->type, "Source",
				      m->source ? m->source : "", "Destination", m->target, "RW",
				      !m->readonly);
		if (!o)
			continue;
		if (m->name)
			json_object_set_new(o, "Name", json_string(m->name));
		json_array_append_new(a, o);
	}
	return a;
}

/* HostConfig's isolation fields, as docker inspect names them. */
static void inspect_isolation(const struct container_config *c, json_t *host)
{
	json_t *binds = json_array(), *tmpfs = json_object();

	for (size_t i = 0; i < c->nmounts; i++) {
		const struct container_mount *m = &c->mounts[i];
		if (strcmp(m->type, "tmpfs") == 0)
			json_object_set_new(tmpfs, m->target, json_string(m->readonly ? "ro" : ""));
		else
			json_array_append_new(binds, json_sprintf("%s:%s%s",
								  m->name ? m->name : m->source,
								  m->target, m->readonly ? ":ro" : ""));
	}
	json_object_set_new(host, "Binds", binds);
	json_object_set_new(host, "Tmpfs", tmpfs);
	json_object_set_new(host, "Privileged", json_boolean(c->privileged));
	json_object_set_new(host, "ReadonlyRootfs", json_boolean(c->read_only));
	json_object_set_new(host, "CapAdd", strv(c->cap_add, c->ncap_add));
	json_object_set_new(host, "CapDrop", strv(c->cap_drop, c->ncap_drop));
	json_object_set_new(host, "SecurityOpt", strv(c->security_opt, c->nsecurity_opt));
	json_object_set_new(host, "GroupAdd", strv(c->group_add, c->ngroup_add));
	json_object_set_new(host, "PidsLimit", json_integer((json_int_t)c->pids_limit));
	json_object_set_new(host, "ShmSize",
			    json_integer((json_int_t)(c->shm_size ? c->shm_size : 64u << 20)));
}

/* HostConfig's network fields, and NetworkSettings (docker inspect's). */
static json_t *inspect_network(const struct container_config *c, bool running, json_t *host)
{
	json_t *bindings = json_object(), *ports = json_object(), *net;

	for (size_t i = 0; i < c->nports; i++) {
		const struct container_port *p = &c->ports[i];
		char key[16];
		json_t *b = json_pack("{ss so}", "HostIp", p->host_ip, "HostPort",
				      json_sprintf("%u", p->host_port));
		snprintf(key, sizeof(key), "%u/%s", p->container_port, p->udp ? "udp" : "tcp");
		if (!json_object_get(bindings, key))
			json_object_set_new(bindings, key, json_array());
		json_array_append(json_object_get(bindings, key), b);
		if (running) {
			if (!json_object_get(ports, key))
				json_object_set_new(ports, key, json_array());
			json_array_append(json_object_get(ports, key), b);
		}
		json_decref(b);
	}
	json_object_set_new(host, "NetworkMode", json_string(c->network_none ? "none" : "bridge"));
	json_object_set_new(host, "PortBindings", bindings);
	json_object_set_new(host, "Dns", strv(c->dns, c->ndns));
	json_object_set_new(host, "DnsSearch", strv(c->dns_search, c->ndns_search));
	json_object_set_new(host, "DnsOptions", strv(c->dns_options, c->ndns_options));
	json_object_set_new(host, "ExtraHosts", strv(c->extra_hosts, c->nextra_hosts));
	net = json_pack("{ss ss si so}", "IPAddress",
			running && !c->network_none ? DOMAIN_NET_GUEST : "", "Gateway",
			running && !c->network_none ? DOMAIN_NET_GATEWAY : "", "IPPrefixLen",
			running && !c->network_none ? DOMAIN_NET_PREFIX : 0, "Ports", ports);
	return net;
}

json_t *format_inspect(const struct container_record *r, const char *log_path)
{
	const struct container_config *c = &r->config;
	const struct container_state *s = &r->state;
	char created[48], started[48], finished[48], name[CONTAINER_NAME_MAX + 1], sig[32];
	json_t *state, *config, *host, *vm, *root;
	bool running = s->status == CONTAINER_RUNNING;

	format_time(c->created_ns, created, sizeof(created));
	format_time(s->started_ns, started, sizeof(started));
	format_time(s->finished_ns, finished, sizeof(finished));
	snprintf(name, sizeof(name), "/%s", c->name);
	state = json_pack("{ss sb sb sb sb sb si si ss ss ss}", "Status",
			  container_status_name(s->status), "Running", running, "Paused", 0,
			  "Restarting", 0, "OOMKilled", s->oom_killed, "Dead", 0, "Pid",
			  running ? s->monitor_pid : 0, "ExitCode", s->exit_code, "Error", s->error,
			  "StartedAt", started, "FinishedAt", finished);
	config = json_pack("{ss ss sb sb sb so so ss ss so ss si}", "Hostname",
			   c->hostname ? c->hostname : "", "User", c->user ? c->user : "", "Tty",
			   c->tty, "OpenStdin", c->interactive, "AttachStdin", c->interactive, "Env",
			   strv(c->env, c->nenv), "Cmd", strv(c->cmd, c->ncmd), "Image",
			   c->image ? c->image : "", "WorkingDir", c->workdir ? c->workdir : "",
			   "Entrypoint", strv(c->entrypoint, c->nentrypoint), "StopSignal",
			   signal_name(c->stop_signal, sig, sizeof(sig)), "StopTimeout",
			   (int)c->stop_timeout);
	host = json_pack("{sI sI sb s{ss s{so so}}}", "Memory", (json_int_t)c->memory, "NanoCpus",
			 (json_int_t)c->nano_cpus, "AutoRemove", c->auto_remove, "LogConfig", "Type",
			 "launcher-local", "Config", "max-size",
			 json_sprintf("%llu", (unsigned long long)c->log.max_size), "max-file",
			 json_sprintf("%u", c->log.max_files));
	inspect_isolation(c, host);
	vm = json_pack("{ss ss sI sI sI ss ss}", "Domain", s->vm.domain, "Accelerator", s->vm.accel,
		       "VCPUs", (json_int_t)s->vm.vcpus, "MemoryMiB", (json_int_t)s->vm.memory_mib,
		       "GuestPid", (json_int_t)s->pid, "VsockSocket", s->vm.backend_socket,
		       "ConsoleLog", s->vm.console_log);
	root = json_object();
	json_object_set_new(root, "Id", json_string(c->id));
	json_object_set_new(root, "Created", json_string(created));
	json_object_set_new(root, "Path", json_string(c->nargs ? c->args[0] : ""));
	json_object_set_new(root, "Args", strv(c->nargs ? c->args + 1 : NULL, c->nargs ? c->nargs - 1 : 0));
	json_object_set_new(root, "State", state);
	json_object_set_new(root, "Image", nullable(c->image_id));
	json_object_set_new(root, "LogPath", json_string(log_path));
	json_object_set_new(root, "Name", json_string(name));
	json_object_set_new(root, "RestartCount", json_integer(s->restart_count));
	json_object_set_new(root, "HostConfig", host);
	json_object_set_new(root, "Mounts", inspect_mounts(c));
	json_object_set_new(root, "Config", config);
	json_object_set_new(root, "NetworkSettings", inspect_network(c, running, host));
	json_object_set_new(root, "VM", vm);
	return root;
}
