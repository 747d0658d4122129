#include "passwd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 256

static bool parse_id(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX - 1)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* Finds the line whose field 0 (name) or, when by_id, field 2 (id) is key,
 * in a colon-separated file; copies field `want` into out. */
static bool lookup(const char *text, const char *key, bool by_id, int want, char *out)
{
	const char *line = text;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[1024], *fields[8] = {0}, *p;
		int n = 0;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			for (p = buf; n < 8; n++) {
				fields[n] = p;
				p = strchr(p, ':');
				if (!p)
					break;
				*p++ = '\0';
			}
			if (n >= 2 && buf[0] != '#' && strcmp(fields[by_id ? 2 : 0], key) == 0 &&
			    fields[want] && strlen(fields[want]) < FIELD_MAX) {
				strcpy(out, fields[want]);
				return true;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

int passwd_resolve(const char *passwd, const char *group, const char *spec, uint32_t *ret_uid,
		   uint32_t *ret_gid, struct error *e)
{
	char user[FIELD_MAX], grp[FIELD_MAX] = "", field[FIELD_MAX];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	uint32_t uid, gid = 0;
	bool have_gid = false;

	if (ulen == 0 || ulen >= sizeof(user) ||
	    (colon && (!colon[1] || strlen(colon + 1) >= sizeof(grp))))
		return error_set(e, EINVAL, "invalid user \"%s\": use USER[:GROUP] or UID[:GID]",
				 spec);
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	if (colon)
		strcpy(grp, colon + 1);
	if (parse_id(user, &uid)) {
		/* Numeric: the primary group from passwd when listed there. */
		if (passwd && lookup(passwd, user, true, 3, field) && parse_id(field, &gid))
			have_gid = true;
	} else {
		if (!passwd || !lookup(passwd, user, false, 2, field) || !parse_id(field, &uid))
			return error_set(
			    e, ENOENT,
			    "unable to find user %s: no matching entries in the image's "
			    "/etc/passwd",
			    user);
		if (lookup(passwd, user, false, 3, field) && parse_id(field, &gid))
			have_gid = true;
	}
	if (grp[0]) {
		if (!parse_id(grp, &gid) &&
		    (!group || !lookup(group, grp, false, 2, field) || !parse_id(field, &gid)))
			return error_set(
			    e, ENOENT,
			    "unable to find group %s: no matching entries in the image's "
			    "/etc/group",
			    grp);
		have_gid = true;
	}
	*ret_uid = uid;
	*ret_gid = have_gid ? gid : 0;
	return 0;
}

static bool member_of(const char *members, const char *user)
{
	size_t n = strlen(user);

	for (const char *p = members; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && strncmp(p, user, n) == 0)
			return true;
		if (!comma)
			break;
		p = comma + 1;
	}
	return false;
}

static int add_gid(uint32_t *v, size_t *n, size_t max, uint32_t gid, struct error *e)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i] == gid)
			return 0;
	if (*n >= max)
		return error_set(e, E2BIG, "more than %zu supplementary groups", max);
	v[(*n)++] = gid;
	return 0;
}

/* The groups of /etc/group that list `user` as a member. */
static int member_groups(const char *group, const char *user, uint32_t *v, size_t *n, size_t max,
			 struct error *e)
{
	for (const char *line = group; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[4096], *fields[4] = {0}, *p = buf;
		uint32_t gid;
		int k = 0;

		if (len < sizeof(buf) && line[0] != '#') {
			memcpy(buf, line, len);
			buf[len] = '\0';
			for (; k < 4 && p; k++) {
				fields[k] = p;
				p = strchr(p, ':');
				if (p)
					*p++ = '\0';
			}
			if (k == 4 && parse_id(fields[2], &gid) && member_of(fields[3], user) &&
			    add_gid(v, n, max, gid, e) < 0)
				return -e->code;
		}
		line = eol ? eol + 1 : NULL;
	}
	return 0;
}

int passwd_groups(const char *passwd, const char *group, uint32_t uid, const char *const *add,
		  size_t nadd, uint32_t *ret, size_t *ret_n, size_t max, struct error *e)
{
	char id[16], name[FIELD_MAX], field[FIELD_MAX];

	*ret_n = 0;
	snprintf(id, sizeof(id), "%u", (unsigned)uid);
	if (group && passwd && lookup(passwd, id, true, 0, name) &&
	    member_groups(group, name, ret, ret_n, max, e) < 0)
		return -e->code;
	for (size_t i = 0; i < nadd; i++) {
		uint32_t gid;
		if (!parse_id(add[i], &gid) &&
		    (!group || strlen(add[i]) >= FIELD_MAX || !lookup(group, add[i], false, 2, field) ||
		     !parse_id(field, &gid)))
			return error_set(e, ENOENT,
					 "unable to find group %s: no matching entries in the "
					 "image's /etc/group",
					 add[i]);
		if (add_gid(ret, ret_n, max, gid, e) < 0)
			return -e->code;
	}
	return 0;
}
