/* The OCI bundle config parser (bundle/config.c): the input is one
 * config.json, and the same bytes as exec's process.json.
 *
 * Checks, beyond not crashing: every error comes with a printable,
 * non-empty message naming its file, and a code of the documented three
 * that matches the return value, and leaves the result empty; what is
 * accepted is within every documented bound (counts, absolute normalized
 * paths, string lengths, hostname characters, capability bits, resource
 * limits, namespace bits) and frees cleanly. */
#include <errno.h>
#include <string.h>

#include "bundle/config.h"
#include "caps.h"
#include "fuzz.h"

static void check_error(int r, const struct error *e, const char *prefix)
{
	FUZZ_CHECK(r == -EBADMSG || r == -EFBIG || r == -EOPNOTSUPP);
	FUZZ_CHECK(e->code > 0 && r == -e->code);
	FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)));
	FUZZ_CHECK(strncmp(e->msg, prefix, strlen(prefix)) == 0);
	FUZZ_CHECK(e->msg[strlen(prefix)] != '\0');
	FUZZ_CHECK(fuzz_text_printable(e->msg));
}

static void check_strv(char *const *v, size_t n, size_t max_items, size_t max_len)
{
	FUZZ_CHECK(n <= max_items);
	FUZZ_CHECK(n == 0 || v);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(v[i] && strlen(v[i]) <= max_len);
	FUZZ_CHECK(!v || !v[n]);
}

static void check_env(char *const *v, size_t n)
{
	check_strv(v, n, MSG_ENV_MAX, MSG_STRING_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(v[i][0] != '=' && strchr(v[i], '='));
}

/* Absolute, below MSG_PATH_MAX; with normalized, no "//", no trailing
 * slash (but "/"), no "." or ".." component. */
static void check_path(const char *s, bool normalized)
{
	FUZZ_CHECK(s && s[0] == '/' && strlen(s) < MSG_PATH_MAX);
	if (!normalized)
		return;
	FUZZ_CHECK(!strstr(s, "//") && !strstr(s, "/./") && !strstr(s, "/../"));
	FUZZ_CHECK(strcmp(s, "/") == 0 || s[strlen(s) - 1] != '/');
	FUZZ_CHECK(strcmp(s, "/.") != 0 && strcmp(s, "/..") != 0);
	FUZZ_CHECK(strlen(s) < 2 || strcmp(s + strlen(s) - 2, "/.") != 0);
	FUZZ_CHECK(strlen(s) < 3 || strcmp(s + strlen(s) - 3, "/..") != 0);
}

static void check_process(const struct bundle_process *p)
{
	FUZZ_CHECK(p->nargs >= 1);
	check_strv(p->args, p->nargs, MSG_ARGS_MAX, MSG_STRING_MAX);
	check_env(p->env, p->nenv);
	check_path(p->cwd, false);
	FUZZ_CHECK(p->uid != UINT32_MAX && p->gid != UINT32_MAX);
	FUZZ_CHECK(p->ngroups <= MSG_GROUPS_MAX && (p->groups || p->ngroups == 0));
	for (size_t i = 0; i < p->ngroups; i++)
		FUZZ_CHECK(p->groups[i] != UINT32_MAX);
	FUZZ_CHECK(p->has_umask ? p->umask <= 0777 : p->umask == 0);
	for (int i = 0; i < CAPSET__MAX; i++)
		FUZZ_CHECK((p->caps[i] & ~CAPS_ALL) == 0 && (p->has_caps || p->caps[i] == 0));
	FUZZ_CHECK(p->nrlimits <= MSG_RLIMITS_MAX);
	for (size_t i = 0; i < p->nrlimits; i++) {
		FUZZ_CHECK(rlimit_name(p->rlimits[i].resource) != NULL);
		FUZZ_CHECK(p->rlimits[i].soft <= p->rlimits[i].hard);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(p->rlimits[j].resource != p->rlimits[i].resource);
	}
	FUZZ_CHECK(!p->apparmor_profile ||
		   (*p->apparmor_profile && strlen(p->apparmor_profile) <= BUNDLE_STRING_MAX));
	FUZZ_CHECK(!p->selinux_label ||
		   (*p->selinux_label && strlen(p->selinux_label) <= BUNDLE_STRING_MAX));
}

static void check_mount(const struct bundle_mount *m)
{
	check_path(m->destination, true);
	FUZZ_CHECK(!m->type || (*m->type && strlen(m->type) <= BUNDLE_STRING_MAX));
	FUZZ_CHECK(!m->source || (*m->source && strlen(m->source) < MSG_PATH_MAX));
	check_strv(m->options, m->noptions, BUNDLE_OPTIONS_MAX, BUNDLE_STRING_MAX);
	FUZZ_CHECK(m->bind == (m->type && strcmp(m->type, "bind") == 0));
	FUZZ_CHECK(m->bind ||
		   (!bundle_mount_has_option(m, "bind") && !bundle_mount_has_option(m, "rbind")));
}

static void check_hooks(const struct bundle_config *c)
{
	for (int k = 0; k < BUNDLE_HOOK__MAX; k++) {
		FUZZ_CHECK(c->nhooks[k] <= BUNDLE_HOOKS_MAX && (c->hooks[k] || !c->nhooks[k]));
		for (size_t i = 0; i < c->nhooks[k]; i++) {
			const struct bundle_hook *h = &c->hooks[k][i];

			check_path(h->path, false);
			check_strv(h->args, h->nargs, MSG_ARGS_MAX, MSG_STRING_MAX);
			check_env(h->env, h->nenv);
			FUZZ_CHECK(h->timeout >= 0);
		}
	}
}

static void check_maps(const struct bundle_config *c)
{
	check_strv(c->annotation_keys, c->nannotations, BUNDLE_ANNOTATIONS_MAX, 1024);
	check_strv(c->annotation_values, c->nannotations, BUNDLE_ANNOTATIONS_MAX, MSG_STRING_MAX);
	for (size_t i = 0; i < c->nannotations; i++) {
		FUZZ_CHECK(c->annotation_keys[i][0] != '\0');
		FUZZ_CHECK(bundle_annotation(c, c->annotation_keys[i]) != NULL);
	}
	check_strv(c->sysctl_keys, c->nsysctl, BUNDLE_SYSCTL_MAX, 256);
	check_strv(c->sysctl_values, c->nsysctl, BUNDLE_SYSCTL_MAX, 4096);
	for (size_t i = 0; i < c->nsysctl; i++) {
		const char *k = c->sysctl_keys[i];

		FUZZ_CHECK(*k &&
			   strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_.-/") == strlen(k));
		FUZZ_CHECK(!strchr("./", k[0]) && !strchr("./", k[strlen(k) - 1]));
		FUZZ_CHECK(!strstr(k, "..") && !strstr(k, "//") && !strstr(k, "./") &&
			   !strstr(k, "/."));
		FUZZ_CHECK(!strchr(c->sysctl_values[i], '\n'));
	}
}

static void check_linux(const struct bundle_config *c)
{
	FUZZ_CHECK((c->namespaces & ~((1u << BUNDLE_NS__MAX) - 1)) == 0);
	FUZZ_CHECK(c->has_memory_limit
		       ? c->memory_limit >= (4u << 20) && c->memory_limit <= INT64_MAX
		       : c->memory_limit == 0);
	FUZZ_CHECK(!c->has_cpu_quota || c->cpu_quota == -1 || c->cpu_quota >= 1000);
	FUZZ_CHECK(c->has_cpu_quota || c->cpu_quota == 0);
	FUZZ_CHECK(c->cpu_period == 0 || (c->cpu_period >= 1000 && c->cpu_period <= 1000000));
	FUZZ_CHECK(!c->cpuset_cpus ||
		   (*c->cpuset_cpus && strlen(c->cpuset_cpus) <= 256 &&
		    strspn(c->cpuset_cpus, "0123456789,-") == strlen(c->cpuset_cpus)));
	FUZZ_CHECK(c->has_pids_limit || c->pids_limit == 0);
	check_strv(c->masked_paths, c->nmasked_paths, BUNDLE_PATHS_MAX, MSG_PATH_MAX - 1);
	check_strv(c->readonly_paths, c->nreadonly_paths, BUNDLE_PATHS_MAX, MSG_PATH_MAX - 1);
	for (size_t i = 0; i < c->nmasked_paths; i++)
		check_path(c->masked_paths[i], true);
	for (size_t i = 0; i < c->nreadonly_paths; i++)
		check_path(c->readonly_paths[i], true);
	FUZZ_CHECK(!c->cgroups_path ||
		   (*c->cgroups_path && strlen(c->cgroups_path) < MSG_PATH_MAX));
}

static void check_config(const struct bundle_config *c)
{
	FUZZ_CHECK(c->oci_version && strncmp(c->oci_version, "1.", 2) == 0);
	if (c->has_process)
		check_process(&c->process);
	FUZZ_CHECK(c->root_path && *c->root_path && strlen(c->root_path) < MSG_PATH_MAX);
	FUZZ_CHECK(!c->hostname || (*c->hostname && strlen(c->hostname) < MSG_HOSTNAME_MAX &&
				    strspn(c->hostname, "abcdefghijklmnopqrstuvwxyz"
							"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
					strlen(c->hostname)));
	FUZZ_CHECK(c->nmounts <= BUNDLE_MOUNTS_MAX && (c->mounts || c->nmounts == 0));
	for (size_t i = 0; i < c->nmounts; i++)
		check_mount(&c->mounts[i]);
	check_hooks(c);
	check_maps(c);
	check_linux(c);
}

/* A failed parse leaves *ret empty: all zero bytes. */
static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_config c;
	struct bundle_process p;
	struct error e = {0};
	int r;

	r = bundle_config_parse((const char *)data, size, &c, &e);
	if (r < 0) {
		check_error(r, &e, "config.json: ");
		FUZZ_CHECK(all_zero(&c, sizeof(c)));
	} else {
		FUZZ_CHECK(r == 0);
		check_config(&c);
	}
	bundle_config_free(&c);

	error_clear(&e);
	r = bundle_process_parse((const char *)data, size, &p, &e);
	if (r < 0) {
		check_error(r, &e, "process.json: ");
		FUZZ_CHECK(all_zero(&p, sizeof(p)));
	} else {
		FUZZ_CHECK(r == 0);
		check_process(&p);
	}
	bundle_process_free(&p);
	return 0;
}
