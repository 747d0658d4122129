#include "registry-auth.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* ---- WWW-Authenticate ---- */

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static char printable(char c)
{
	return (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f ? c : '?';
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

struct cursor {
	const char *p, *end, *start;
};

static void skip_ows(struct cursor *c)
{
	while (c->p < c->end && is_ows(*c->p))
		c->p++;
}

static size_t offset(const struct cursor *c)
{
	return (size_t)(c->p - c->start);
}

static size_t take_token(struct cursor *c)
{
	const char *s = c->p;

	while (c->p < c->end && is_tchar(*c->p))
		c->p++;
	return (size_t)(c->p - s);
}

/* Whether the cursor is at `token BWS "="` (an auth-param, not the
 * next challenge's scheme). */
static bool at_param(const struct cursor *c)
{
	struct cursor t = *c;

	if (take_token(&t) == 0)
		return false;
	skip_ows(&t);
	return t.p < t.end && *t.p == '=';
}

/* A token or quoted-string value into buf (printable ASCII only). */
static int take_value(struct cursor *c, char *buf, size_t size, const char *name, struct error *e)
{
	size_t n = 0;

	if (c->p < c->end && *c->p == '"') {
		c->p++;
		for (;;) {
			char ch;
			if (c->p >= c->end)
				return error_set(e, EBADMSG, "unterminated quoted string in %s",
						 name);
			ch = *c->p++;
			if (ch == '"')
				break;
			if (ch == '\\') {
				if (c->p >= c->end)
					return error_set(e, EBADMSG,
							 "unterminated quoted string in %s", name);
				ch = *c->p++;
			}
			if ((unsigned char)ch < 0x20 || (unsigned char)ch >= 0x7f)
				return error_set(e, EBADMSG,
						 "%s holds a control or non-ASCII character", name);
			if (n + 1 >= size)
				return error_set(e, EBADMSG, "%s is longer than %zu bytes", name,
						 size - 1);
			buf[n++] = ch;
		}
	} else {
		const char *s = c->p;
		size_t len = take_token(c);
		if (len == 0)
			return error_set(e, EBADMSG, "%s has no value (offset %zu)", name,
					 offset(c));
		if (len >= size)
			return error_set(e, EBADMSG, "%s is longer than %zu bytes", name, size - 1);
		memcpy(buf, s, len);
		n = len;
	}
	buf[n] = '\0';
	return 0;
}

static int take_param(struct cursor *c, struct registry_challenge *ch, unsigned *seen,
		      struct error *e)
{
	static const char *const known[] = {"realm", "service", "scope"};
	char *slots[] = {ch->realm, ch->service, ch->scope};
	size_t sizes[] = {sizeof(ch->realm), sizeof(ch->service), sizeof(ch->scope)};
	char ignored[REGISTRY_HEADER_MAX];
	const char *name = c->p;
	size_t len = take_token(c);

	skip_ows(c);
	c->p++; /* the '=' at_param saw */
	skip_ows(c);
	for (size_t i = 0; i < 3; i++) {
		if (len != strlen(known[i]) || strncasecmp(name, known[i], len) != 0)
			continue;
		if (*seen & (1u << i))
			return error_set(e, EBADMSG, "%s is given twice", known[i]);
		*seen |= 1u << i;
		return take_value(c, slots[i], sizes[i], known[i], e);
	}
	return take_value(c, ignored, sizeof(ignored), "a parameter", e);
}

static enum registry_auth_scheme scheme_of(const char *s, size_t len)
{
	if (len == 6 && strncasecmp(s, "Bearer", 6) == 0)
		return REGISTRY_AUTH_BEARER;
	if (len == 5 && strncasecmp(s, "Basic", 5) == 0)
		return REGISTRY_AUTH_BASIC;
	return REGISTRY_AUTH_NONE;
}

static int check_realm(const char *realm, struct error *e)
{
	size_t skip;

	if (strncasecmp(realm, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(realm, "http://", 7) == 0)
		skip = 7;
	else
		return error_set(e, EBADMSG, "realm \"%s\" is not an http(s) URL", realm);
	if (!realm[skip] || realm[skip] == '/' || strchr(realm, ' '))
		return error_set(e, EBADMSG, "realm \"%s\" is not an http(s) URL", realm);
	return 0;
}

int registry_challenge_parse(const char *value, size_t len, struct registry_challenge *ret,
			     struct error *e)
{
	struct registry_challenge best = {0}, cur;
	struct cursor c = {value, value + len, value};
	char first_scheme[32] = "";

	if (len > REGISTRY_HEADER_MAX)
		return error_set(e, EBADMSG, "WWW-Authenticate is longer than %u bytes",
				 REGISTRY_HEADER_MAX);
	if (memchr(value, '\0', len))
		return error_set(e, EBADMSG, "WWW-Authenticate holds a NUL byte");
	for (;;) {
		const char *scheme;
		size_t slen;
		unsigned seen = 0;

		while (c.p < c.end && (is_ows(*c.p) || *c.p == ','))
			c.p++;
		if (c.p >= c.end)
			break;
		scheme = c.p;
		slen = take_token(&c);
		if (slen == 0)
			return error_set(e, EBADMSG,
					 "WWW-Authenticate: expected an auth scheme at offset %zu",
					 offset(&c));
		if (!first_scheme[0])
			snprintf(first_scheme, sizeof(first_scheme), "%.*s",
				 (int)(slen < 31 ? slen : 31), scheme);
		memset(&cur, 0, sizeof(cur));
		cur.scheme = scheme_of(scheme, slen);
		if (c.p < c.end && *c.p != ',' && !is_ows(*c.p))
			return error_set(e, EBADMSG,
					 "WWW-Authenticate: unexpected '%c' at offset %zu",
					 printable(*c.p), offset(&c));
		skip_ows(&c);
		while (at_param(&c)) {
			if (take_param(&c, &cur, &seen, e) < 0)
				return error_prefix(e, "WWW-Authenticate");
			skip_ows(&c);
			if (c.p >= c.end)
				break;
			if (*c.p != ',')
				return error_set(e, EBADMSG,
						 "WWW-Authenticate: expected ',' at offset %zu, "
						 "found '%c'",
						 offset(&c), printable(*c.p));
			while (c.p < c.end && (is_ows(*c.p) || *c.p == ','))
				c.p++;
		}
		if (c.p < c.end && !is_tchar(*c.p) && *c.p != ',')
			return error_set(e, EBADMSG,
					 "WWW-Authenticate: unexpected '%c' at offset %zu",
					 printable(*c.p), offset(&c));
		if (cur.scheme == REGISTRY_AUTH_BEARER) {
			if (!cur.realm[0])
				return error_set(
				    e, EBADMSG,
				    "WWW-Authenticate: Bearer challenge without a realm");
			if (check_realm(cur.realm, e) < 0)
				return error_prefix(e, "WWW-Authenticate");
		}
		if (cur.scheme > best.scheme)
			best = cur;
	}
	if (!first_scheme[0])
		return error_set(e, EBADMSG, "WWW-Authenticate is empty");
	if (best.scheme == REGISTRY_AUTH_NONE)
		return error_set(e, EOPNOTSUPP,
				 "the registry asks for %s authentication, which is not supported "
				 "(only Bearer and Basic are)",
				 first_scheme);
	*ret = best;
	return 0;
}

/* ---- token responses and error bodies ---- */

static bool visible_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

int registry_token_parse(const char *json, size_t len, char **ret, struct error *e)
{
	json_auto_t *root = NULL;
	static const char *const keys[] = {"token", "access_token"};
	json_error_t je;

	if (len > REGISTRY_TOKEN_RESPONSE_MAX)
		return error_set(e, EFBIG, "token response is larger than %u bytes",
				 REGISTRY_TOKEN_RESPONSE_MAX);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root || !json_is_object(root))
		return error_set(e, EBADMSG, "token response is not a JSON object");
	for (size_t i = 0; i < 2; i++) {
		json_t *v = json_object_get(root, keys[i]);
		const char *s;
		size_t n;

		if (!v)
			continue;
		if (!json_is_string(v))
			return error_set(e, EBADMSG, "token response: \"%s\" is not a string",
					 keys[i]);
		s = json_string_value(v);
		n = json_string_length(v);
		if (n == 0)
			continue;
		if (n >= REGISTRY_TOKEN_MAX)
			return error_set(e, EBADMSG,
					 "token response: \"%s\" is longer than %u bytes", keys[i],
					 REGISTRY_TOKEN_MAX - 1);
		if (!visible_ascii(s, n))
			return error_set(e, EBADMSG,
					 "token response: \"%s\" holds characters a token cannot",
					 keys[i]);
		*ret = xstrdup(s);
		return 0;
	}
	return error_set(e, EBADMSG, "token response has neither \"token\" nor \"access_token\"");
}

void registry_error_summary(const char *body, size_t len, char ret[REGISTRY_ERROR_MSG_MAX])
{
	json_auto_t *root = NULL;
	json_t *first, *msg;
	const char *s;
	size_t n = 0;

	ret[0] = '\0';
	if (len > REGISTRY_ERROR_BODY_MAX)
		return;
	root = json_loadb(body, len, 0, NULL);
	first = json_array_get(json_object_get(root, "errors"), 0);
	msg = json_object_get(first, "message");
	if (!json_is_string(msg) || json_string_length(msg) == 0)
		msg = json_object_get(first, "code");
	if (!json_is_string(msg))
		return;
	for (s = json_string_value(msg); *s && n + 1 < REGISTRY_ERROR_MSG_MAX; s++)
		ret[n++] = (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?';
	ret[n] = '\0';
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const unsigned char *in, size_t len)
{
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Standard alphabet, padded, nothing else: -EINVAL otherwise. */
static int base64_decode(const char *in, size_t len, unsigned char *out, size_t size,
			 size_t *ret_len)
{
	size_t n = 0;

	if (len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (size_t j = 0; j < 4; j++) {
			const char *p = in[i + j] ? strchr(b64, in[i + j]) : NULL;
			if (in[i + j] == '=' && i + 4 == len && j >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!p || pad)
				return -EINVAL;
			v = v << 6 | (unsigned)(p - b64);
		}
		if (n + 3 - (size_t)pad > size)
			return -E2BIG;
		out[n++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[n++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[n++] = (unsigned char)v;
	}
	*ret_len = n;
	return 0;
}

char *registry_basic_auth(const struct registry_credentials *c)
{
	_cleanup_free_ char *pair = xasprintf("%s:%s", c->username, c->password);
	_cleanup_free_ char *enc = base64_encode((const unsigned char *)pair, strlen(pair));

	return xasprintf("Basic %s", enc);
}

/* ---- config.json ---- */

int registry_auth_file_path(char *buf, size_t size)
{
	const char *v = getenv("LAUNCHER_AUTH_FILE");

	if (v && v[0])
		return bprintf(buf, size, "%s", v);
	v = getenv("DOCKER_CONFIG");
	if (v && v[0])
		return bprintf(buf, size, "%s/config.json", v);
	v = getenv("HOME");
	if (v && v[0])
		return bprintf(buf, size, "%s/.docker/config.json", v);
	return -ENOENT;
}

int registry_auth_normalize_host(const char *key, char *buf, size_t size)
{
	size_t len;

	if (strncasecmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncasecmp(key, "http://", 7) == 0)
		key += 7;
	len = strcspn(key, "/");
	if (len == 0)
		return -EINVAL;
	if ((len == 15 && strncasecmp(key, "index.docker.io", len) == 0) ||
	    (len == 20 && strncasecmp(key, REGISTRY_DOCKER_HUB_API, len) == 0) ||
	    (len == 9 && strncasecmp(key, REGISTRY_DOCKER_HUB, len) == 0))
		return bprintf(buf, size, "%s", REGISTRY_DOCKER_HUB);
	return bprintf(buf, size, "%.*s", (int)len, key);
}

static bool same_host(const char *key, const char *host)
{
	char a[REGISTRY_PARAM_MAX], b[REGISTRY_PARAM_MAX];

	return registry_auth_normalize_host(key, a, sizeof(a)) == 0 &&
	       registry_auth_normalize_host(host, b, sizeof(b)) == 0 && strcasecmp(a, b) == 0;
}

/* The file as a JSON object; -ENOENT when it does not exist. */
static int load_file(const char *path, json_t **ret, struct error *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	json_error_t je;
	struct stat st;
	ssize_t n;
	json_t *root;

	if (fd < 0)
		return errno == ENOENT ? -ENOENT : error_errno(e, errno, "%s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return error_set(e, EINVAL, "%s is not a regular file", path);
	if ((uint64_t)st.st_size > REGISTRY_AUTH_FILE_MAX)
		return error_set(e, EFBIG, "%s is larger than %u bytes", path,
				 REGISTRY_AUTH_FILE_MAX);
	buf = xmalloc((size_t)st.st_size + 1);
	n = read_full(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return error_errno(e, (int)-n, "reading %s", path);
	root = json_loadb(buf, (size_t)n, 0, &je);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return error_set(e, EBADMSG, "%s is not a JSON object%s%s", path, root ? "" : ": ",
				 root ? "" : je.text);
	}
	*ret = root;
	return 0;
}

static int copy_field(const char *path, const char *key, const char *what, const char *s,
		      size_t len, char *buf, size_t size, struct error *e)
{
	if (len >= size || memchr(s, '\0', len))
		return error_set(e, EBADMSG, "%s: auths[\"%s\"]: %s is too long or holds a NUL",
				 path, key, what);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

static int entry_credentials(const char *path, const char *key, json_t *entry,
			     struct registry_credentials *ret, struct error *e)
{
	json_t *auth = json_object_get(entry, "auth");
	json_t *user = json_object_get(entry, "username");
	json_t *pass = json_object_get(entry, "password");
	unsigned char dec[REGISTRY_USER_MAX + REGISTRY_PASSWORD_MAX];
	struct registry_credentials c;
	const char *colon;
	size_t n;

	if (!json_is_object(entry))
		return error_set(e, EBADMSG, "%s: auths[\"%s\"] is not an object", path, key);
	if (json_is_string(auth) && json_string_length(auth) > 0) {
		int r = base64_decode(json_string_value(auth), json_string_length(auth), dec,
				      sizeof(dec) - 1, &n);
		if (r < 0)
			return error_set(e, EBADMSG, "%s: auths[\"%s\"].auth is not valid base64",
					 path, key);
		dec[n] = '\0';
		colon = memchr(dec, ':', n);
		if (!colon)
			return error_set(e, EBADMSG,
					 "%s: auths[\"%s\"].auth is not \"user:password\"", path,
					 key);
		if (copy_field(path, key, "the user name", (const char *)dec,
			       (size_t)(colon - (const char *)dec), c.username, sizeof(c.username),
			       e) < 0 ||
		    copy_field(path, key, "the password", colon + 1,
			       n - (size_t)(colon + 1 - (const char *)dec), c.password,
			       sizeof(c.password), e) < 0)
			return -e->code;
	} else if (json_is_string(user) && json_is_string(pass)) {
		if (copy_field(path, key, "username", json_string_value(user),
			       json_string_length(user), c.username, sizeof(c.username), e) < 0 ||
		    copy_field(path, key, "password", json_string_value(pass),
			       json_string_length(pass), c.password, sizeof(c.password), e) < 0)
			return -e->code;
	} else {
		return -ENOENT; /* e.g. {} left by a credential helper */
	}
	*ret = c;
	return 0;
}

int registry_credentials_lookup(const char *path, const char *host,
				struct registry_credentials *ret, struct error *e)
{
	json_auto_t *root = NULL;
	const char *key;
	json_t *auths, *entry;
	int r = load_file(path, &root, e);

	if (r < 0)
		return r;
	auths = json_object_get(root, "auths");
	if (!auths)
		return -ENOENT;
	if (!json_is_object(auths))
		return error_set(e, EBADMSG, "%s: \"auths\" is not an object", path);
	json_object_foreach(auths, key, entry)
	{
		if (!same_host(key, host))
			continue;
		r = entry_credentials(path, key, entry, ret, e);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

static int write_atomic(const char *path, json_t *root, struct error *e)
{
	_cleanup_free_ char *dir_copy = xstrdup(path), *tmp = xasprintf("%s.XXXXXX", path);
	const char *dir = dirname(dir_copy);
	_cleanup_close_ int fd = -1;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_errno(e, errno, "creating %s", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return error_errno(e, errno, "creating a temp file next to %s", path);
	if (fchmod(fd, 0600) < 0 || json_dumpfd(root, fd, JSON_INDENT(1) | JSON_SORT_KEYS) < 0 ||
	    write_full(fd, "\n", 1) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
		int err = errno ? errno : EIO;
		unlink(tmp);
		return error_errno(e, err, "writing %s", path);
	}
	return 0;
}

int registry_credentials_store(const char *path, const char *host,
			       const struct registry_credentials *c, struct error *e)
{
	json_auto_t *root = NULL;
	char norm[REGISTRY_PARAM_MAX];
	const char *key;
	json_t *auths, *entry;
	void *tmp;
	bool removed = false;
	int r;

	if (registry_auth_normalize_host(host, norm, sizeof(norm)) < 0)
		return error_set(e, EINVAL, "invalid registry \"%s\"", host);
	r = load_file(path, &root, e);
	if (r == -ENOENT) {
		if (!c)
			return -ENOENT;
		root = json_object();
	} else if (r < 0) {
		return r;
	}
	auths = json_object_get(root, "auths");
	if (!auths) {
		auths = json_object();
		json_object_set_new(root, "auths", auths);
	}
	if (!json_is_object(auths))
		return error_set(e, EBADMSG, "%s: \"auths\" is not an object", path);
	json_object_foreach_safe(auths, tmp, key, entry)
	{
		if (same_host(key, norm)) {
			json_object_del(auths, key);
			removed = true;
		}
	}
	if (!c && !removed)
		return -ENOENT;
	if (c) {
		_cleanup_free_ char *basic = registry_basic_auth(c);
		json_object_set_new(
		    auths,
		    strcmp(norm, REGISTRY_DOCKER_HUB) == 0 ? REGISTRY_DOCKER_HUB_AUTH_KEY : norm,
		    json_pack("{ss}", "auth", basic + strlen("Basic ")));
	}
	return write_atomic(path, root, e);
}
