#include "reference.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define OFFICIAL_PREFIX "library/"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define SHA256_PREFIX "sha256:"
#define SHA256_HEX_LEN 64
#define TAG_LEN_MAX (IMAGE_REF_TAG_MAX - 1)

/* A run of bytes inside the string being parsed. */
struct span {
	const char *p;
	size_t len;
};

/* Character classes in the C locale, whatever the process's locale is. */
static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_lower(c) || is_upper(c) || is_digit(c);
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_lower_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool span_is(struct span s, const char *word)
{
	return s.len == strlen(word) && memcmp(s.p, word, s.len) == 0;
}

static bool span_has(struct span s, bool (*pred)(char))
{
	for (size_t i = 0; i < s.len; i++)
		if (pred(s.p[i]))
			return true;
	return false;
}

/* A character for a message: printable ASCII quoted, anything else in hex,
 * so a message never carries raw bytes a terminal would interpret. */
static const char *char_name(char c, char buf[8])
{
	unsigned char u = (unsigned char)c;

	if (u > 0x20 && u < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", u);
	return buf;
}

__attribute__((format(printf, 2, 3))) static int invalid(struct error *e, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_set(e, EINVAL, "invalid reference format: %s", msg);
}

/* What cannot be part of any reference, checked first so that the message
 * names the real mistake rather than the first character the grammar trips
 * on. */
static int check_text(const char *s, struct error *e)
{
	size_t len = strlen(s);
	const char *scheme;
	char c[8];

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return invalid(e, "control character %s at position %zu",
				       char_name(s[i], c), i + 1);
	if (s[0] == ' ' || s[len - 1] == ' ')
		return invalid(e, "\"%s\" has leading or trailing spaces", s);
	scheme = strstr(s, "://");
	if (scheme)
		return invalid(e, "\"%s\" is a URL; name the image without a scheme, as in \"%s\"",
			       s, scheme + 3);
	if (len == SHA256_HEX_LEN && strspn(s, "0123456789abcdef") == len)
		return invalid(e, "\"%s\" is a 64-digit hex ID, not a repository name", s);
	return 0;
}

/* host[:port], where host is domain components of [a-zA-Z0-9-] (no dash at
 * either end) joined by '.', or an IPv6 address in brackets. */
static bool domain_valid(struct span d)
{
	const char *p = d.p, *end = d.p + d.len;

	if (p < end && *p == '[') {
		const char *start = ++p;

		while (p < end && (is_hex(*p) || *p == ':'))
			p++;
		if (p == start || p == end || *p != ']')
			return false;
		p++;
	} else {
		for (;;) {
			const char *start = p;

			while (p < end && (is_alnum(*p) || *p == '-'))
				p++;
			if (p == start || *start == '-' || p[-1] == '-')
				return false;
			if (p == end || *p != '.')
				break;
			p++;
		}
	}
	if (p == end)
		return true;
	if (*p != ':' || ++p == end)
		return false;
	while (p < end && is_digit(*p))
		p++;
	return p == end;
}

/* One path component: [a-z0-9]+ runs joined by one '.', one or two '_', or
 * any number of '-'. Uppercase letters pass here so that the caller can say
 * "must be lowercase" about a name that is otherwise right. */
static int check_component(struct span path, const char *p, const char *end, struct error *e)
{
	const char *q = p;
	char c[8];

	if (p == end)
		return invalid(e, "repository name \"%.*s\" has an empty path component",
			       (int)path.len, path.p);
	while (q < end) {
		const char *run = q;

		if (is_lower(*q) || is_upper(*q) || is_digit(*q)) {
			q++;
			continue;
		}
		if (*q != '.' && *q != '_' && *q != '-')
			return invalid(e, "repository name \"%.*s\" contains invalid character %s",
				       (int)path.len, path.p, char_name(*q, c));
		while (q < end && *q == *run)
			q++;
		if (run == p || q == end)
			return invalid(e,
				       "repository name \"%.*s\": each path component must start "
				       "and end with a letter or digit",
				       (int)path.len, path.p);
		if ((*run == '.' && q - run > 1) || (*run == '_' && q - run > 2) || !is_alnum(*q))
			return invalid(e,
				       "repository name \"%.*s\" has an invalid separator; use one "
				       "'.', one or two '_', or dashes",
				       (int)path.len, path.p);
	}
	return 0;
}

static int check_path(struct span path, struct error *e)
{
	const char *p = path.p, *end = path.p + path.len;
	int r;

	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *stop = slash ? slash : end;

		r = check_component(path, p, stop, e);
		if (r < 0)
			return r;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (span_has(path, is_upper))
		return invalid(e, "repository name \"%.*s\" must be lowercase", (int)path.len,
			       path.p);
	return 0;
}

/* [\w][\w.-]{0,127} */
static int check_tag(struct span t, struct error *e)
{
	char c[8];

	if (t.len == 0)
		return invalid(e, "empty tag after ':'");
	if (t.len > TAG_LEN_MAX)
		return invalid(e, "tag is longer than %d characters", TAG_LEN_MAX);
	if (!is_word(t.p[0]))
		return invalid(e, "tag \"%.*s\" must start with a letter, digit or '_'", (int)t.len,
			       t.p);
	for (size_t i = 1; i < t.len; i++)
		if (!is_word(t.p[i]) && t.p[i] != '.' && t.p[i] != '-')
			return invalid(e,
				       "tag \"%.*s\" contains invalid character %s; a tag has "
				       "letters, digits, '_', '.' and '-'",
				       (int)t.len, t.p, char_name(t.p[i], c));
	return 0;
}

/* Docker's digest-algorithm: [A-Za-z][A-Za-z0-9]*, parts joined by [-_+.]. */
static bool algorithm_well_formed(struct span a)
{
	bool start = true;

	for (size_t i = 0; i < a.len; i++) {
		char ch = a.p[i];

		if (start && !is_upper(ch) && !is_lower(ch))
			return false;
		start = ch == '-' || ch == '_' || ch == '+' || ch == '.';
		if (!start && !is_alnum(ch))
			return false;
	}
	return a.len > 0 && !start;
}

static int check_digest(const char *d, struct error *e)
{
	const char *colon = strchr(d, ':');
	struct span algorithm;
	size_t hex_len;

	if (!*d)
		return invalid(e, "empty digest after '@'");
	if (!colon)
		return invalid(e, "invalid digest \"%s\": expected sha256:<64 hex digits>", d);
	algorithm = (struct span){d, (size_t)(colon - d)};
	if (!span_is(algorithm, "sha256")) {
		if (algorithm_well_formed(algorithm))
			return invalid(e,
				       "unsupported digest algorithm \"%.*s\" (only sha256 is "
				       "supported)",
				       (int)algorithm.len, algorithm.p);
		return invalid(e, "invalid digest \"%s\": expected sha256:<64 hex digits>", d);
	}
	hex_len = strlen(colon + 1);
	if (hex_len != SHA256_HEX_LEN)
		return invalid(e, "invalid digest \"%s\": sha256 has 64 hex digits, not %zu", d,
			       hex_len);
	if (!image_digest_valid(d))
		return invalid(e, "invalid digest \"%s\": expected 64 lowercase hex digits", d);
	return 0;
}

/* Docker's rule: the first component names a registry when it has a '.' or
 * ':', is "localhost", or has an uppercase letter (repository names are
 * lowercase, so it cannot be one); otherwise the name is on Docker Hub. */
static bool first_is_domain(struct span first)
{
	return span_is(first, "localhost") || memchr(first.p, '.', first.len) ||
	       memchr(first.p, ':', first.len) || span_has(first, is_upper);
}

static void copy_span(char *dst, struct span s)
{
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
}

/* Splits the name into domain and path, validates both and fills r. */
static int parse_name(struct span name, struct image_ref *r, struct error *e)
{
	const char *slash = memchr(name.p, '/', name.len);
	struct span domain = {IMAGE_REF_DEFAULT_DOMAIN, strlen(IMAGE_REF_DEFAULT_DOMAIN)};
	struct span path = name;
	const char *prefix;
	size_t total;
	int ret;

	r->short_name = true;
	if (slash && first_is_domain((struct span){name.p, (size_t)(slash - name.p)})) {
		domain = (struct span){name.p, (size_t)(slash - name.p)};
		path = (struct span){slash + 1, name.len - domain.len - 1};
		r->short_name = false;
		if (!domain_valid(domain))
			return invalid(e, "registry \"%.*s\" is not a valid host[:port]",
				       (int)domain.len, domain.p);
		if (span_is(domain, LEGACY_DEFAULT_DOMAIN))
			domain = (struct span){IMAGE_REF_DEFAULT_DOMAIN,
					       strlen(IMAGE_REF_DEFAULT_DOMAIN)};
	}
	ret = check_path(path, e);
	if (ret < 0)
		return ret;

	/* Docker Hub's official images live under library/. */
	prefix = span_is(domain, IMAGE_REF_DEFAULT_DOMAIN) && !memchr(path.p, '/', path.len)
		     ? OFFICIAL_PREFIX
		     : "";
	total = domain.len + 1 + strlen(prefix) + path.len;
	if (total > IMAGE_REF_NAME_MAX)
		return invalid(e,
			       "repository name must not be more than %d characters (it has %zu)",
			       IMAGE_REF_NAME_MAX, total);
	copy_span(r->domain, domain);
	snprintf(r->path, sizeof(r->path), "%s%.*s", prefix, (int)path.len, path.p);
	return 0;
}

int image_ref_parse(const char *s, struct image_ref *ret, struct error *e)
{
	struct image_ref r = {0};
	const char *at, *name_end, *slash, *colon;
	struct span name;
	int rc;

	if (!s || !*s)
		return invalid(e, "empty image name");
	rc = check_text(s, e);
	if (rc < 0)
		return rc;

	/* name[:tag][@digest]: names and tags have no '@', and a tag's ':' comes
	 * after the last '/' (an earlier one is a registry's port). */
	at = strchr(s, '@');
	name_end = at ? at : s + strlen(s);
	slash = memrchr(s, '/', (size_t)(name_end - s));
	colon = slash ? slash + 1 : s;
	colon = memchr(colon, ':', (size_t)(name_end - colon));
	name = (struct span){s, (size_t)((colon ? colon : name_end) - s)};
	if (name.len == 0)
		return invalid(e, "\"%s\" has no repository name", s);

	rc = parse_name(name, &r, e);
	if (rc < 0)
		return rc;
	if (colon) {
		struct span tag = {colon + 1, (size_t)(name_end - colon - 1)};

		rc = check_tag(tag, e);
		if (rc < 0)
			return rc;
		copy_span(r.tag, tag);
	}
	if (at) {
		rc = check_digest(at + 1, e);
		if (rc < 0)
			return rc;
		snprintf(r.digest, sizeof(r.digest), "%s", at + 1);
	}
	if (!colon && !at)
		snprintf(r.tag, sizeof(r.tag), "%s", IMAGE_REF_DEFAULT_TAG);
	*ret = r;
	return 0;
}

/* repo, then ":tag" and "@digest" when present. */
static int format_with(const char *repo, const struct image_ref *r, char *buf, size_t size)
{
	return bprintf(buf, size, "%s%s%s%s%s", repo, r->tag[0] ? ":" : "", r->tag,
		       r->digest[0] ? "@" : "", r->digest);
}

int image_ref_format(const struct image_ref *r, char *buf, size_t size)
{
	char repo[IMAGE_REF_DOMAIN_MAX + IMAGE_REF_PATH_MAX];
	int ret;

	ret = image_ref_repository(r, repo, sizeof(repo));
	if (ret < 0)
		return ret;
	return format_with(repo, r, buf, size);
}

int image_ref_format_familiar(const struct image_ref *r, char *buf, size_t size)
{
	char repo[IMAGE_REF_DOMAIN_MAX + IMAGE_REF_PATH_MAX];
	int ret;

	ret = image_ref_repository_familiar(r, repo, sizeof(repo));
	if (ret < 0)
		return ret;
	return format_with(repo, r, buf, size);
}

int image_ref_repository_familiar(const struct image_ref *r, char *buf, size_t size)
{
	const char *path = r->path;
	size_t prefix = strlen(OFFICIAL_PREFIX);

	if (strcmp(r->domain, IMAGE_REF_DEFAULT_DOMAIN) != 0)
		return image_ref_repository(r, buf, size);
	/* Only library/name is shortened: a nested library/a/b keeps its prefix,
	 * as in Docker. */
	if (strncmp(path, OFFICIAL_PREFIX, prefix) == 0 && !strchr(path + prefix, '/'))
		path += prefix;
	return bprintf(buf, size, "%s", path);
}

int image_ref_repository(const struct image_ref *r, char *buf, size_t size)
{
	return bprintf(buf, size, "%s/%s", r->domain, r->path);
}

bool image_digest_valid(const char *s)
{
	size_t prefix = strlen(SHA256_PREFIX);

	if (!s || strncmp(s, SHA256_PREFIX, prefix) != 0 || strlen(s + prefix) != SHA256_HEX_LEN)
		return false;
	for (const char *p = s + prefix; *p; p++)
		if (!is_lower_hex(*p))
			return false;
	return true;
}
