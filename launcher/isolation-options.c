/* The grammar of docker run's -v, --mount, --tmpfs and --ulimit (declared
 * in run-options.h). Pure: names are checked here, host paths and volumes
 * are looked at by run-security.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "run-options.h"
#include "util.h"

#define TMPFS_DEFAULT_FLAGS (MOUNT_NOSUID | MOUNT_NODEV | MOUNT_NOEXEC)

void run_mount_free(struct run_mount *m)
{
	free(m->source);
	free(m->target);
	memset(m, 0, sizeof(*m));
}

/* Docker's volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool volume_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 255 || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* A container path: absolute; a trailing slash is dropped, as Docker does. */
static int set_target(struct run_mount *m, const char *t, struct error *e)
{
	char buf[MSG_PATH_MAX];
	size_t n = strlen(t);

	if (n >= sizeof(buf))
		return error_set(e, EINVAL, "mount destination is too long");
	memcpy(buf, t, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (buf[0] != '/')
		return error_set(e, EINVAL, "invalid mount destination \"%s\": it must be absolute",
				 t);
	if (strcmp(buf, "/") == 0)
		return error_set(e, EINVAL, "invalid mount destination \"/\": cannot mount over /");
	if (!msg_valid_mount_target(buf))
		return error_set(e, EINVAL,
				 "invalid mount destination \"%s\": no \".\" or \"..\" parts, "
				 "nothing under /proc",
				 t);
	m->target = xstrdup(buf);
	return 0;
}

static int set_source(struct run_mount *m, const char *s, struct error *e)
{
	if (s[0] == '/') {
		m->kind = RUN_MOUNT_BIND;
	} else if (volume_name_valid(s)) {
		m->kind = RUN_MOUNT_VOLUME;
	} else {
		return error_set(e, EINVAL,
				 "invalid volume source \"%s\": a host path must be absolute, a "
				 "volume name is [a-zA-Z0-9][a-zA-Z0-9_.-]+",
				 s);
	}
	m->source = xstrdup(s);
	return 0;
}

/* -v SRC:DST[:ro|rw|z|Z|nocopy|propagation,...] */
int parse_volume(const char *s, struct run_mount *ret, struct error *e)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *parts[4] = {0}, *rest = copy, *p;
	int n = 0, r;

	memset(ret, 0, sizeof(*ret));
	/* strsep, not strtok: "/a::ro" has an empty part, not two. */
	while (n < 4 && (p = strsep(&rest, ":")))
		parts[n++] = p;
	p = rest;
	for (int i = 0; i < n; i++)
		if (!parts[i][0])
			return error_set(e, EINVAL, "invalid volume specification \"%s\": an empty part",
					 s);
	if (n == 1)
		return error_set(e, EINVAL,
				 "invalid volume \"%s\": anonymous volumes are not supported; name "
				 "one: -v NAME:%s",
				 s, s);
	if (n < 2 || n > 3 || p)
		return error_set(e, EINVAL, "invalid volume specification \"%s\"", s);
	r = set_source(ret, parts[0], e);
	if (r == 0)
		r = set_target(ret, parts[1], e);
	ret->create_missing = true;
	for (char *save2 = NULL, *o = n == 3 ? strtok_r(parts[2], ",", &save2) : NULL; r == 0 && o;
	     o = strtok_r(NULL, ",", &save2)) {
		if (strcmp(o, "ro") == 0)
			ret->flags |= MOUNT_RDONLY;
		else if (strcmp(o, "rw") == 0)
			ret->flags &= ~MOUNT_RDONLY;
		/* SELinux relabelling, copy-up and propagation: nothing to
		 * do in a VM of its own. */
		else if (strcmp(o, "z") && strcmp(o, "Z") && strcmp(o, "nocopy") &&
			 strcmp(o, "private") && strcmp(o, "rprivate") && strcmp(o, "shared") &&
			 strcmp(o, "rshared") && strcmp(o, "slave") && strcmp(o, "rslave"))
			r = error_set(e, EINVAL, "invalid volume option \"%s\" in \"%s\"", o, s);
	}
	if (r < 0)
		run_mount_free(ret);
	return r;
}

int parse_octal_mode(const char *v, uint32_t *ret)
{
	char *end;
	unsigned long m;

	errno = 0;
	m = strtoul(v, &end, 8);
	if (errno || !*v || *end || m > 07777)
		return -EINVAL;
	*ret = (uint32_t)m;
	return 0;
}

static bool bool_value(const char *v, bool *ret)
{
	if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*ret = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*ret = false;
	else
		return false;
	return true;
}

/* --mount type=bind|volume|tmpfs,source=,target=,readonly,... */
int parse_mount(const char *s, struct run_mount *ret, struct error *e)
{
	_cleanup_free_ char *copy = xstrdup(s);
	const char *type = "volume", *source = NULL, *target = NULL;
	bool ro = false, has_size = false, has_mode = false;
	uint64_t size = 0;
	uint32_t mode = 0;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		if (v)
			*v++ = '\0';
		if (strcmp(kv, "type") == 0 && v)
			type = v;
		else if ((strcmp(kv, "source") == 0 || strcmp(kv, "src") == 0) && v)
			source = v;
		else if ((strcmp(kv, "target") == 0 || strcmp(kv, "destination") == 0 ||
			  strcmp(kv, "dst") == 0) &&
			 v)
			target = v;
		else if (strcmp(kv, "readonly") == 0 || strcmp(kv, "ro") == 0) {
			if (!bool_value(v, &ro))
				return error_set(e, EINVAL, "invalid value for readonly: %s", v);
		} else if (strcmp(kv, "tmpfs-size") == 0 && v) {
			if (parse_size(v, &size) < 0)
				return error_set(e, EINVAL, "invalid tmpfs-size \"%s\"", v);
			has_size = true;
		} else if (strcmp(kv, "tmpfs-mode") == 0 && v) {
			if (parse_octal_mode(v, &mode) < 0)
				return error_set(e, EINVAL, "invalid tmpfs-mode \"%s\": octal", v);
			has_mode = true;
		} else if (strcmp(kv, "bind-propagation") == 0 || strcmp(kv, "consistency") == 0 ||
			   strcmp(kv, "volume-nocopy") == 0) {
			/* nothing to do in a VM of its own */
		} else {
			return error_set(e, EINVAL, "unexpected key \"%s\" in \"%s\"", kv, s);
		}
	}
	if (!target)
		return error_set(e, EINVAL, "invalid mount \"%s\": target is required", s);
	if (strcmp(type, "tmpfs") == 0) {
		if (source)
			return error_set(e, EINVAL, "invalid mount \"%s\": a tmpfs has no source", s);
		ret->kind = RUN_MOUNT_TMPFS;
		ret->flags = TMPFS_DEFAULT_FLAGS;
		ret->size = size;
		ret->mode = mode;
	} else if (strcmp(type, "bind") == 0 || strcmp(type, "volume") == 0) {
		if (has_size || has_mode)
			return error_set(e, EINVAL, "invalid mount \"%s\": tmpfs options on a %s",
					 s, type);
		if (!source)
			return error_set(e, EINVAL,
					 "invalid mount \"%s\": source is required (anonymous "
					 "volumes are not supported)",
					 s);
		r = set_source(ret, source, e);
		if (r == 0 && (ret->kind == RUN_MOUNT_BIND) != (strcmp(type, "bind") == 0))
			r = error_set(e, EINVAL,
				      strcmp(type, "bind") == 0
					  ? "invalid mount \"%s\": a bind source must be an absolute path"
					  : "invalid mount \"%s\": a volume source is a volume name",
				      s);
	} else {
		return error_set(e, EINVAL, "invalid mount type \"%s\": use bind, volume or tmpfs",
				 type);
	}
	if (r == 0)
		r = set_target(ret, target, e);
	if (ro)
		ret->flags |= MOUNT_RDONLY;
	if (r < 0)
		run_mount_free(ret);
	return r;
}

/* --tmpfs DST[:rw,ro,exec,noexec,suid,nosuid,dev,nodev,size=N,mode=OCTAL] */
int parse_tmpfs(const char *s, struct run_mount *ret, struct error *e)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *opts = strchr(copy, ':');
	int r;

	memset(ret, 0, sizeof(*ret));
	if (opts)
		*opts++ = '\0';
	ret->kind = RUN_MOUNT_TMPFS;
	ret->flags = TMPFS_DEFAULT_FLAGS;
	r = set_target(ret, copy, e);
	for (char *save = NULL, *o = opts ? strtok_r(opts, ",", &save) : NULL; r == 0 && o;
	     o = strtok_r(NULL, ",", &save)) {
		static const struct {
			const char *name;
			uint32_t set, clear;
		} words[] = {
		    {"ro", MOUNT_RDONLY, 0},	{"rw", 0, MOUNT_RDONLY},
		    {"noexec", MOUNT_NOEXEC, 0}, {"exec", 0, MOUNT_NOEXEC},
		    {"nosuid", MOUNT_NOSUID, 0}, {"suid", 0, MOUNT_NOSUID},
		    {"nodev", MOUNT_NODEV, 0},	{"dev", 0, MOUNT_NODEV},
		};
		bool known = false;
		for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
			if (strcmp(o, words[i].name) == 0) {
				ret->flags = (ret->flags | words[i].set) & ~words[i].clear;
				known = true;
			}
		if (known)
			continue;
		if (strncmp(o, "size=", 5) == 0) {
			if (parse_size(o + 5, &ret->size) < 0)
				r = error_set(e, EINVAL, "invalid tmpfs size \"%s\"", o + 5);
		} else if (strncmp(o, "mode=", 5) == 0) {
			if (parse_octal_mode(o + 5, &ret->mode) < 0)
				r = error_set(e, EINVAL, "invalid tmpfs mode \"%s\": octal", o + 5);
		} else {
			r = error_set(e, EINVAL, "invalid tmpfs option \"%s\" in \"%s\"", o, s);
		}
	}
	if (r < 0)
		run_mount_free(ret);
	return r;
}

static int parse_limit_value(const char *v, uint64_t *ret)
{
	if (strcmp(v, "unlimited") == 0 || strcmp(v, "-1") == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	return parse_uint(v, INT64_MAX, ret);
}

/* --ulimit nofile=1024[:2048] */
int parse_ulimit(const char *s, struct rlimit_spec *ret, struct error *e)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *eq = strchr(copy, '='), *colon;

	if (!eq)
		return error_set(e, EINVAL, "invalid ulimit \"%s\": use NAME=SOFT[:HARD]", s);
	*eq++ = '\0';
	ret->resource = rlimit_lookup(copy);
	if (ret->resource < 0)
		return error_set(e, EINVAL, "invalid ulimit type: %s", copy);
	colon = strchr(eq, ':');
	if (colon)
		*colon++ = '\0';
	if (parse_limit_value(eq, &ret->soft) < 0 ||
	    parse_limit_value(colon ? colon : eq, &ret->hard) < 0)
		return error_set(e, EINVAL, "invalid ulimit value in \"%s\"", s);
	if (ret->soft > ret->hard)
		return error_set(e, EINVAL,
				 "ulimit soft limit must be less than or equal to hard limit: %s", s);
	return 0;
}
