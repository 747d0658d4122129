#include "run-security.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "domain-xml.h"
#include "passwd.h"
#include "seccomp-compile.h"
#include "store.h"
#include "util.h"

#define CPU_PERIOD_US 100000u
#define SECCOMP_FILE_MAX (1u << 20)
/* The image's root filesystem is a disk, --rootfs is share 0. */
#define VOLUME_TAG_FMT "vol%u"

int volume_path(const char *name, char *buf, size_t size, struct error *e)
{
	char root[4096];

	if (!volume_name_valid(name))
		return error_set(e, EINVAL,
				 "invalid volume name \"%s\": it must match [a-zA-Z0-9][a-zA-Z0-9_.-]+",
				 name);
	store_default_root(root, sizeof(root));
	if (bprintf(buf, size, "%s/volumes/%s/_data", root, name) < 0)
		return error_set(e, ENAMETOOLONG, "volume path too long");
	return 0;
}

static int make_dir(const char *path, struct error *e)
{
	int r = mkdir_p(path, 0755);

	return r < 0 ? error_errno(e, -r, "creating %s", path) : 0;
}

/* A share's host directory: a named volume (made on first use), or a
 * host path (-v makes a missing one, as Docker does; --mount does not). */
static int resolve_source(const struct run_mount *m, char *ret, struct error *e)
{
	struct stat st;

	if (m->kind == RUN_MOUNT_VOLUME) {
		if (volume_path(m->source, ret, PATH_MAX, e) < 0 || make_dir(ret, e) < 0)
			return error_prefix(e, "volume %s", m->source);
		return 0;
	}
	if (stat(m->source, &st) < 0 && errno == ENOENT && m->create_missing &&
	    make_dir(m->source, e) < 0)
		return -e->code;
	if (!realpath(m->source, ret))
		return error_errno(e, errno, "bind source path \"%s\"", m->source);
	if (stat(ret, &st) < 0)
		return error_errno(e, errno, "bind source path \"%s\"", m->source);
	/* 9p shares directories; a single file cannot be one. */
	if (!S_ISDIR(st.st_mode))
		return error_set(e, ENOTDIR,
				 "bind source path \"%s\" is not a directory: only directories "
				 "can be shared with the container's VM",
				 m->source);
	return 0;
}

int run_security_record(const struct run_options *o, struct container_config *cfg,
			struct error *e)
{
	const struct run_isolation *iso = &o->iso;
	unsigned tags = 0, max_shares = DOMAIN_SHARES_MAX - (o->rootfs ? 1 : 0);
	char path[PATH_MAX];

	cfg->mounts = xcalloc(iso->nmounts + 1, sizeof(*cfg->mounts));
	for (unsigned i = 0; i < iso->nmounts; i++) {
		const struct run_mount *m = &iso->mounts[i];
		struct container_mount *cm = &cfg->mounts[cfg->nmounts++];

		cm->target = xstrdup(m->target);
		cm->readonly = m->flags & MOUNT_RDONLY;
		if (m->kind == RUN_MOUNT_TMPFS) {
			snprintf(cm->type, sizeof(cm->type), "tmpfs");
			continue;
		}
		if (tags == max_shares)
			return error_set(e, E2BIG,
					 "at most %u volumes and bind mounts: each is a 9p device "
					 "of the container's VM",
					 max_shares);
		if (resolve_source(m, path, e) < 0)
			return -e->code;
		snprintf(cm->type, sizeof(cm->type), "%s",
			 m->kind == RUN_MOUNT_VOLUME ? "volume" : "bind");
		cm->source = xstrdup(path);
		cm->name = m->kind == RUN_MOUNT_VOLUME ? xstrdup(m->source) : NULL;
		snprintf(cm->tag, sizeof(cm->tag), VOLUME_TAG_FMT, tags++);
		/* Writes as the container's users need QEMU as root (vm.h). */
		if (!cm->readonly)
			cfg->qemu_root = true;
	}
	cfg->privileged = iso->privileged;
	cfg->read_only = iso->read_only;
	cfg->pids_limit = iso->pids_limit;
	cfg->shm_size = iso->shm_size;
	cfg->cap_add = xstrv_dup(iso->cap_add, iso->ncap_add);
	cfg->ncap_add = iso->ncap_add;
	cfg->group_add = xstrv_dup(iso->group_add, iso->ngroup_add);
	cfg->ngroup_add = iso->ngroup_add;
	cfg->cap_drop = xstrv_dup(iso->cap_drop, iso->ncap_drop);
	cfg->ncap_drop = iso->ncap_drop;
	cfg->security_opt = xcalloc(3, sizeof(char *));
	if (iso->seccomp)
		cfg->security_opt[cfg->nsecurity_opt++] = xasprintf("seccomp=%s", iso->seccomp);
	if (iso->no_new_privs == 0)
		cfg->security_opt[cfg->nsecurity_opt++] = xstrdup("no-new-privileges=false");
	return 0;
}

/* ---- the agent's part ---- */

static int container_mounts(const struct run_options *o, struct container_spec *ct,
			    struct error *e)
{
	const struct run_isolation *iso = &o->iso;
	unsigned tags = 0;

	ct->mounts = xcalloc(iso->nmounts + 1, sizeof(*ct->mounts));
	for (unsigned i = 0; i < iso->nmounts; i++) {
		const struct run_mount *m = &iso->mounts[i];
		struct mount_spec *ms = &ct->mounts[ct->nmounts++];

		ms->target = xstrdup(m->target);
		ms->flags = m->flags;
		if (m->kind == RUN_MOUNT_TMPFS) {
			ms->kind = MOUNT_TMPFS;
			ms->size = m->size;
			ms->mode = m->mode;
		} else {
			ms->kind = MOUNT_9P;
			snprintf(ms->tag, sizeof(ms->tag), VOLUME_TAG_FMT, tags++);
		}
	}
	return 0;
}

static int read_profile(const char *path, char **ret, size_t *ret_len, struct error *e)
{
	int r = read_file_bounded(path, SECCOMP_FILE_MAX, ret, ret_len);

	if (r == -EINVAL || r == -EFBIG)
		return error_set(e, EINVAL, "seccomp profile %s is not a file of at most 1 MiB",
				 path);
	return r < 0 ? error_errno(e, -r, "reading seccomp profile %s", path) : 0;
}

/* The profile (Docker's default unless told), compiled for the
 * container's capabilities. */
static int build_seccomp(const struct run_isolation *iso, uint64_t caps,
			 struct process_security *sec, struct error *e)
{
	struct seccomp_profile *own = NULL;
	const struct seccomp_profile *p;
	struct seccomp_bpf bpf = {0};
	int r;

	if (iso->privileged || (iso->seccomp && strcmp(iso->seccomp, "unconfined") == 0))
		return 0;
	if (iso->seccomp) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		if (read_profile(iso->seccomp, &text, &len, e) < 0)
			return -e->code;
		if (seccomp_profile_parse(text, len, &own, e) < 0)
			return error_prefix(e, "--security-opt seccomp=%s", iso->seccomp);
		p = own;
	} else {
		p = seccomp_profile_default();
	}
	r = seccomp_profile_compile(p, caps, &bpf, e);
	seccomp_profile_free(own);
	if (r < 0)
		return iso->seccomp ? error_prefix(e, "--security-opt seccomp=%s", iso->seccomp)
				    : error_prefix(e, "the default seccomp profile");
	/* Handed over as is: the message owns the program now. */
	sec->seccomp = (uint8_t *)bpf.insns;
	sec->seccomp_len = bpf.ninsns * sizeof(*bpf.insns);
	sec->seccomp_flags = bpf.flags;
	return 0;
}

int run_security_build(const struct run_options *o, const struct image *img,
		       struct create_args *c, struct error *e)
{
	const struct run_isolation *iso = &o->iso;
	struct process_spec *p = &c->spec;
	struct process_security *sec = &p->sec;
	struct container_spec *ct = &c->ct;
	uint32_t groups[MSG_GROUPS_MAX];
	size_t ngroups;
	uint64_t caps;

	if (caps_from_options(iso->cap_add, iso->ncap_add, iso->cap_drop, iso->ncap_drop,
			      iso->privileged, &caps, e) < 0)
		return -e->code;
	sec->set = true;
	sec->caps[CAPSET_BOUNDING] = sec->caps[CAPSET_EFFECTIVE] = sec->caps[CAPSET_PERMITTED] =
	    caps;
	/* Inheritable and ambient empty, as Docker since CVE-2022-24769. */
	/* On unless turned off, or --privileged without asking for it. */
	sec->no_new_privs = iso->no_new_privs == 1 || (iso->no_new_privs < 0 && !iso->privileged);
	memcpy(sec->rlimits, iso->ulimits, iso->nulimits * sizeof(*sec->rlimits));
	sec->nrlimits = iso->nulimits;
	if (build_seccomp(iso, caps, sec, e) < 0)
		return -e->code;
	if (passwd_groups(img ? img->passwd : NULL, img ? img->group : NULL, p->uid,
			  (const char *const *)iso->group_add, iso->ngroup_add, groups, &ngroups,
			  MSG_GROUPS_MAX, e) < 0)
		return -e->code;
	if (ngroups) {
		p->groups = xcalloc(ngroups, sizeof(*p->groups));
		memcpy(p->groups, groups, ngroups * sizeof(*groups));
		p->ngroups = ngroups;
	}
	ct->privileged = iso->privileged;
	ct->readonly_root = iso->read_only;
	ct->memory = o->memory;
	ct->pids = iso->pids_limit;
	if (o->cpus_milli) {
		ct->cpu_period_us = CPU_PERIOD_US;
		ct->cpu_quota_us = o->cpus_milli * (CPU_PERIOD_US / 1000);
	}
	ct->shm_size = iso->shm_size;
	return container_mounts(o, ct, e);
}
