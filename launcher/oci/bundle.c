/* An OCI bundle's config.json (parsed and checked by bundle/config.c) into
 * the launcher's container record: the VM's shares and size, and the agent
 * request for process 1. What a VM cannot honour is refused here, naming
 * the field; what the guest does itself (/proc, /sys, /dev and the rest of
 * the system mounts) is left to the agent. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "domain-xml.h"
#include "network.h"
#include "oci.h"
#include "run-options.h"
#include "seccomp-compile.h"
#include "seccomp-profile.h"
#include "units.h"
#include "util.h"

#define SHARE_TAG_FMT "oci%u"

/* Destinations the agent mounts itself, whatever the bundle says. */
static const char *const guest_mounts[] = {
    "/proc", "/sys", "/sys/fs/cgroup", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue",
};

static bool guest_mount(const char *dest)
{
	for (size_t i = 0; i < sizeof(guest_mounts) / sizeof(*guest_mounts); i++)
		if (strcmp(dest, guest_mounts[i]) == 0)
			return true;
	return false;
}

struct shares {
	struct container_config *cfg;
	unsigned next_tag;
	const char *files_dir; /* the container's, for single files */
	struct oci_files *files;
};

/* The share of host directory dir, made once for all the mounts in it;
 * read-write as soon as one of them is. */
static struct container_mount *share_of(struct shares *sh, const char *dir, bool readonly,
					 struct error *e)
{
	struct container_config *cfg = sh->cfg;
	struct container_mount *cm;

	for (size_t i = 0; i < cfg->nmounts; i++) {
		cm = &cfg->mounts[i];
		if (strcmp(cm->source, dir) == 0) {
			cm->readonly = cm->readonly && readonly;
			return cm;
		}
	}
	/* One share is the root's. */
	if (cfg->nmounts + 1 >= DOMAIN_SHARES_MAX) {
		error_set(e, E2BIG,
			  "config.json: mounts: bind mounts from more than %d host directories; "
			  "a VM has %d shares",
			  DOMAIN_SHARES_MAX - 1, DOMAIN_SHARES_MAX);
		return NULL;
	}
	cfg->mounts = xrealloc(cfg->mounts, (cfg->nmounts + 1) * sizeof(*cfg->mounts));
	cm = &cfg->mounts[cfg->nmounts++];
	memset(cm, 0, sizeof(*cm));
	snprintf(cm->type, sizeof(cm->type), "bind");
	cm->source = xstrdup(dir);
	cm->target = xstrdup(dir); /* for inspect: the share's host side */
	cm->readonly = readonly;
	snprintf(cm->tag, sizeof(cm->tag), SHARE_TAG_FMT, sh->next_tag++);
	return cm;
}

static uint32_t mount_flags(const struct bundle_mount *m)
{
	uint32_t f = 0;

	for (size_t i = 0; i < m->noptions; i++) {
		const char *o = m->options[i];
		if (strcmp(o, "ro") == 0)
			f |= MOUNT_RDONLY;
		else if (strcmp(o, "rw") == 0)
			f &= ~MOUNT_RDONLY;
		else if (strcmp(o, "nosuid") == 0)
			f |= MOUNT_NOSUID;
		else if (strcmp(o, "nodev") == 0)
			f |= MOUNT_NODEV;
		else if (strcmp(o, "noexec") == 0)
			f |= MOUNT_NOEXEC;
	}
	return f;
}

/* A bind mount: a directory is shared into the VM itself; a file is
 * bound (oci_stage_files) into the container's private files directory,
 * and that is shared: never the file's own directory, whose other files
 * (/etc/shadow beside /etc/passwd, the kubelet's pod volumes beside
 * etc-hosts) the guest must not see. The agent binds the one entry. */
static int add_bind(struct shares *sh, const char *bundle, const struct bundle_mount *m,
		    size_t i, struct mount_spec *ms, struct error *e)
{
	char src[PATH_MAX], dir[PATH_MAX];
	struct container_mount *cm;
	struct oci_files *f = sh->files;
	struct stat st;

	if (!m->source)
		return error_set(e, EINVAL, "config.json: mounts[%zu]: a bind mount needs a source",
				 i);
	if (bprintf(dir, sizeof(dir), "%s%s%s", m->source[0] == '/' ? "" : bundle,
		    m->source[0] == '/' ? "" : "/", m->source) < 0 ||
	    !realpath(dir, src))
		return error_errno(e, errno ? errno : ENAMETOOLONG,
				   "config.json: mounts[%zu]: source %s", i, m->source);
	if (stat(src, &st) < 0)
		return error_errno(e, errno, "config.json: mounts[%zu]: source %s", i, src);
	ms->kind = MOUNT_9P;
	ms->flags = mount_flags(m);
	if (S_ISDIR(st.st_mode)) {
		cm = share_of(sh, src, ms->flags & MOUNT_RDONLY, e);
	} else if (S_ISREG(st.st_mode)) {
		if (f->n == OCI_FILES_MAX)
			return error_set(e, E2BIG,
					 "config.json: mounts[%zu]: more than %d single-file bind "
					 "mounts",
					 i, OCI_FILES_MAX);
		cm = share_of(sh, sh->files_dir, ms->flags & MOUNT_RDONLY, e);
		if (cm) {
			f->sources[f->n] = xstrdup(src);
			f->readonly[f->n] = ms->flags & MOUNT_RDONLY;
			ms->subpath = xasprintf("%zu", f->n++);
		}
	} else {
		return error_set(e, EOPNOTSUPP,
				 "config.json: mounts[%zu]: %s is not a file or directory: host "
				 "devices and sockets cannot be passed into a VM",
				 i, src);
	}
	if (!cm)
		return -e->code;
	snprintf(ms->tag, sizeof(ms->tag), "%s", cm->tag);
	return 0;
}

static int add_tmpfs(const struct bundle_mount *m, size_t i, struct mount_spec *ms,
		     struct error *e)
{
	ms->kind = MOUNT_TMPFS;
	ms->flags = mount_flags(m);
	for (size_t j = 0; j < m->noptions; j++) {
		const char *o = m->options[j];
		if (strncmp(o, "size=", 5) == 0 && parse_size(o + 5, &ms->size) < 0)
			return error_set(e, EINVAL, "config.json: mounts[%zu]: invalid size \"%s\"",
					 i, o + 5);
		if (strncmp(o, "mode=", 5) == 0 && parse_octal_mode(o + 5, &ms->mode) < 0)
			return error_set(e, EINVAL, "config.json: mounts[%zu]: invalid mode \"%s\"",
					 i, o + 5);
	}
	return 0;
}

static int add_mounts(const char *bundle, const struct bundle_config *c, const char *files_dir,
		      struct container_config *cfg, struct container_spec *ct,
		      struct oci_files *files, struct error *e)
{
	struct shares sh = {.cfg = cfg, .files_dir = files_dir, .files = files};

	ct->mounts = xcalloc(c->nmounts + 1, sizeof(*ct->mounts));
	for (size_t i = 0; i < c->nmounts; i++) {
		const struct bundle_mount *m = &c->mounts[i];
		struct mount_spec *ms = &ct->mounts[ct->nmounts];
		int r;

		if (guest_mount(m->destination))
			continue;
		if (!msg_valid_mount_target(m->destination))
			return error_set(e, EOPNOTSUPP,
					 "config.json: mounts[%zu]: destination %s: nothing may be "
					 "mounted there but what the guest mounts itself",
					 i, m->destination);
		if (m->bind)
			r = add_bind(&sh, bundle, m, i, ms, e);
		else if (m->type && strcmp(m->type, "tmpfs") == 0)
			r = add_tmpfs(m, i, ms, e);
		else
			r = error_set(e, EOPNOTSUPP,
				      "config.json: mounts[%zu]: type \"%s\" at %s: only bind and "
				      "tmpfs mounts can be made in a VM besides the system ones",
				      i, m->type ? m->type : "", m->destination);
		if (r < 0)
			return r;
		ms->target = xstrdup(m->destination);
		ct->nmounts++;
	}
	return 0;
}

/* Capabilities, no_new_privs, rlimits and the seccomp filter, compiled
 * here as for `launcher run`. */
int oci_process_security(const struct bundle_process *p, const struct seccomp_profile *seccomp,
			 struct process_security *sec, struct error *e)
{
	struct seccomp_bpf bpf = {0};

	memset(sec, 0, sizeof(*sec));
	sec->set = true;
	if (p->has_caps)
		memcpy(sec->caps, p->caps, sizeof(sec->caps));
	/* What the kernel would refuse, runc drops: effective outside
	 * permitted, ambient outside permitted and inheritable (runc's own
	 * default spec has ambient capabilities and no inheritable ones). */
	sec->caps[CAPSET_EFFECTIVE] &= sec->caps[CAPSET_PERMITTED];
	sec->caps[CAPSET_AMBIENT] &= sec->caps[CAPSET_PERMITTED] & sec->caps[CAPSET_INHERITABLE];
	sec->no_new_privs = p->no_new_privileges;
	memcpy(sec->rlimits, p->rlimits, p->nrlimits * sizeof(*p->rlimits));
	sec->nrlimits = p->nrlimits;
	if (!seccomp)
		return 0;
	if (seccomp_profile_compile(seccomp, sec->caps[CAPSET_BOUNDING], &bpf, e) < 0)
		return error_prefix(e, "config.json: linux.seccomp");
	sec->seccomp = (uint8_t *)bpf.insns;
	sec->seccomp_len = bpf.ninsns * sizeof(*bpf.insns);
	sec->seccomp_flags = bpf.flags;
	return 0;
}

void oci_process_fill(const struct bundle_process *bp, struct process_spec *p)
{
	p->args = xstrv_dup(bp->args, bp->nargs);
	p->nargs = bp->nargs;
	p->env = xstrv_dup(bp->env, bp->nenv);
	p->nenv = bp->nenv;
	p->cwd = xstrdup(bp->cwd);
	p->uid = bp->uid;
	p->gid = bp->gid;
	if (bp->ngroups) {
		p->groups = xcalloc(bp->ngroups, sizeof(*p->groups));
		memcpy(p->groups, bp->groups, bp->ngroups * sizeof(*p->groups));
		p->ngroups = bp->ngroups;
	}
	p->terminal = bp->terminal;
	p->rows = bp->rows;
	p->cols = bp->cols;
}

/* No more vCPUs than the host has: under TCG each is a host thread. */
static unsigned vcpus_for(uint64_t want)
{
	long host = sysconf(_SC_NPROCESSORS_ONLN);

	if (host > 0 && want > (uint64_t)host)
		want = (uint64_t)host;
	return want ? (unsigned)want : 1;
}

/* Limits: in the guest's cgroup, and the VM sized for them (annotations
 * may size it otherwise). */
static int apply_resources(const struct bundle_config *c, struct container_config *cfg,
			   struct container_spec *ct, struct error *e)
{
	const char *mem = bundle_annotation(c, "io.launcher.vm.memory");
	const char *cpus = bundle_annotation(c, "io.launcher.vm.cpus");

	if (c->has_memory_limit) {
		ct->memory = c->memory_limit;
		cfg->memory = c->memory_limit;
		cfg->memory_mib = boot_memory_for_limit(c->memory_limit);
	}
	if (c->has_pids_limit && c->pids_limit > 0)
		ct->pids = (uint64_t)c->pids_limit;
	if (c->has_cpu_quota && c->cpu_quota > 0) {
		uint64_t period = c->cpu_period ? c->cpu_period : 100000;
		ct->cpu_quota_us = (uint32_t)(c->cpu_quota > UINT32_MAX ? UINT32_MAX : c->cpu_quota);
		ct->cpu_period_us = (uint32_t)period;
		cfg->vcpus = vcpus_for((((uint64_t)c->cpu_quota + period - 1) / period));
		cfg->nano_cpus = (uint64_t)c->cpu_quota * 1000000000ull / period;
	}
	if (mem) {
		uint64_t bytes;
		if (parse_memory(mem, &bytes, e) < 0)
			return error_prefix(e, "config.json: annotation io.launcher.vm.memory");
		cfg->memory_mib = (unsigned)(bytes >> 20);
	}
	if (cpus) {
		uint32_t milli;
		if (parse_cpus(cpus, &milli, e) < 0)
			return error_prefix(e, "config.json: annotation io.launcher.vm.cpus");
		cfg->vcpus = vcpus_for((milli + 999) / 1000);
	}
	return 0;
}

/* runc's meaning, in a VM: a new network namespace is empty (loopback
 * only; an engine would set it up through its path, which no VM can
 * give); none asked for is the host's network, here the VM's own NAT.
 * The annotation io.launcher.network (nat, none) says otherwise. */
static int apply_network(const struct bundle_config *c, struct container_config *cfg,
			 struct container_spec *ct, struct error *e)
{
	const char *mode = bundle_annotation(c, "io.launcher.network");

	cfg->network_none = c->namespaces & (1u << BUNDLE_NS_NETWORK);
	if (mode && strcmp(mode, "nat") != 0 && strcmp(mode, "none") != 0)
		return error_set(e, EINVAL,
				 "config.json: annotation io.launcher.network: \"%s\": use nat or none",
				 mode);
	if (mode)
		cfg->network_none = strcmp(mode, "none") == 0;
	network_spec(cfg->network_none, &ct->net); /* for the check of the request */
	return 0;
}

static int build_request(const struct bundle_config *c,
			 struct container_config *cfg, struct agent_request *req,
			 struct error *e)
{
	struct create_args *a = &req->u.create;
	struct container_spec *ct = &a->ct;

	req->op = AGENT_OP_CREATE;
	a->process = 1;
	snprintf(a->rootfs_tag, sizeof(a->rootfs_tag), ROOTFS_SHARE_TAG);
	if (c->hostname)
		snprintf(a->hostname, sizeof(a->hostname), "%s", c->hostname);
	oci_process_fill(&c->process, &a->spec);
	if (oci_process_security(&c->process, c->seccomp, &a->spec.sec, e) < 0)
		return -e->code;
	ct->rootfs_rw = true;
	ct->readonly_root = c->root_readonly;
	ct->custom_paths = true;
	ct->masked_paths = xstrv_dup(c->masked_paths, c->nmasked_paths);
	ct->nmasked_paths = c->nmasked_paths;
	ct->readonly_paths = xstrv_dup(c->readonly_paths, c->nreadonly_paths);
	ct->nreadonly_paths = c->nreadonly_paths;
	ct->sysctl = xcalloc(c->nsysctl + 1, sizeof(char *));
	for (size_t i = 0; i < c->nsysctl; i++)
		ct->sysctl[i] = xasprintf("%s=%s", c->sysctl_keys[i], c->sysctl_values[i]);
	ct->nsysctl = c->nsysctl;
	if (apply_resources(c, cfg, ct, e) < 0 || apply_network(c, cfg, ct, e) < 0)
		return -e->code;
	return 0;
}

int oci_bundle_to_record(const char *run_root, const char *bundle_dir,
			 const struct bundle_config *c, const char *id, bool interactive,
			 struct container_config *cfg, struct oci_files *files, struct error *e)
{
	char root[PATH_MAX], path[PATH_MAX], files_dir[PATH_MAX];
	struct agent_request req = {0};
	struct stat st;
	size_t len;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!c->has_process)
		return error_set(e, EINVAL, "config.json: process: missing; nothing to run");
	if (c->nhooks[BUNDLE_HOOK_START_CONTAINER])
		return error_set(e, EOPNOTSUPP,
				 "config.json: hooks.startContainer: hooks in the container's "
				 "namespaces would run inside its VM, which has no such programs");
	if (bprintf(path, sizeof(path), "%s%s%s", c->root_path[0] == '/' ? "" : bundle_dir,
		    c->root_path[0] == '/' ? "" : "/", c->root_path) < 0 ||
	    !realpath(path, root) || stat(root, &st) < 0)
		return error_errno(e, errno ? errno : ENAMETOOLONG, "config.json: root.path %s",
				   c->root_path);
	if (!S_ISDIR(st.st_mode))
		return error_set(e, ENOTDIR, "config.json: root.path %s is not a directory", root);
	if (strlen(id) >= sizeof(cfg->name) || !container_name_valid(id))
		return error_set(e, EINVAL,
				 "invalid container ID \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]+, at "
				 "most %d characters",
				 id, CONTAINER_NAME_MAX - 1);
	snprintf(cfg->name, sizeof(cfg->name), "%s", id);
	if (container_id_valid(id))
		snprintf(cfg->id, sizeof(cfg->id), "%s", id);
	else
		container_new_id(cfg->id);
	cfg->image = xstrdup(root);
	cfg->rootfs = xstrdup(root);
	cfg->bundle = xstrdup(bundle_dir);
	cfg->qemu_root = true; /* the root is written as the container's users */
	cfg->tty = c->process.terminal;
	cfg->interactive = interactive || c->process.terminal;
	cfg->stop_signal = SIGTERM;
	cfg->stop_timeout = 10;
	cfg->hostname = c->hostname ? xstrdup(c->hostname) : xstrdup(id);
	snprintf(cfg->accel, sizeof(cfg->accel), "auto");
	r = build_request(c, cfg, &req, e);
	req.u.create.spec.stdin = cfg->interactive;
	if (r == 0 && container_path(run_root, cfg->id, OCI_FILES_DIR, files_dir,
				     sizeof(files_dir)) < 0)
		r = error_set(e, ENAMETOOLONG, "runtime root %s: too long", run_root);
	if (r == 0)
		r = add_mounts(bundle_dir, c, files_dir, cfg, &req.u.create.ct, files, e);
	if (r == 0 && !c->hostname)
		snprintf(req.u.create.hostname, sizeof(req.u.create.hostname), "%.*s",
			 MSG_HOSTNAME_MAX - 1, id);
	if (r == 0) {
		cfg->create_request = agent_request_format(&req, &len);
		if (!cfg->create_request)
			r = error_set(e, ENOMEM, "formatting the container's process");
	}
	if (r == 0) {
		/* What the agent will refuse is refused now, not after a boot. */
		struct agent_request check = {0};
		if (agent_request_parse(cfg->create_request, len, &check, e) < 0)
			r = error_prefix(e, "config.json");
		agent_request_free(&check);
	}
	cfg->args = xstrv_dup(c->process.args, c->process.nargs);
	cfg->nargs = c->process.nargs;
	agent_request_free(&req);
	if (r < 0) {
		container_config_free(cfg);
		oci_files_free(files);
	}
	return r;
}
