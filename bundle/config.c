/* config.json and process.json into typed structs (config.h). The only
 * code that reads a bundle's JSON: whatever leaves this file has been
 * checked. JSON null counts as absent everywhere, as Go's encoder writes it
 * for fields without omitempty. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"
#include "seccomp-profile.h"
#include "util.h"

/* Input quoted in an error message. */
#define QUOTE_MAX 96

#define VERSION_MAX 64
#define ANNOTATION_KEY_MAX 1024
#define SYSCTL_KEY_MAX 256
#define SYSCTL_VALUE_MAX 4096
#define CPUSET_MAX 256
/* Below this a container cannot even start its init; runc's own floor is
 * lower, but a limit like 1 byte is always a mistake (a unit missing). */
#define MEMORY_LIMIT_MIN (INT64_C(4) << 20)
/* cpu.max's floor in the kernel (and cpu.cfs_period_us's range). */
#define CPU_QUOTA_MIN 1000
#define CPU_PERIOD_MIN 1000
#define CPU_PERIOD_MAX 1000000
/* Capability names newer than this runtime: "CAP_" and at most this. */
#define CAP_NAME_TAIL_MAX 32

/* Go writes RLIM_INFINITY (a uint64) as 18446744073709551615, which does
 * not fit jansson's integers: the whole document would fail to load. So
 * that exact token, outside strings, is rewritten before loading as a real
 * of the same length that reads as 2^64; get_limit takes a real equal to
 * 2^64 (and nothing else that is not an integer) as unlimited. */
#define UINT64_MAX_TOKEN "18446744073709551615"
#define UINT64_MAX_AS_REAL "184467440737095516e2"
#define TWO_TO_THE_64 0x1p64

enum {
	OPTIONAL = 0,
	REQUIRED = 1 << 0,
};

/* Paths of fields that several functions name. */
#define RESOURCES "linux.resources"

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* --- loading ------------------------------------------------------------------ */

static bool is_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* A copy of the text with every UINT64_MAX_TOKEN number rewritten (see
 * above), or NULL when there is none. Strings are skipped so that an
 * argument or annotation that holds those digits stays as written. */
static char *uint64_max_as_real(const char *json, size_t len)
{
	const size_t n = sizeof(UINT64_MAX_TOKEN) - 1;
	bool in_string = false;
	char *copy = NULL;

	if (!json || !memmem(json, len, UINT64_MAX_TOKEN, n))
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (json[i] == '\\')
				i++;
			else if (json[i] == '"')
				in_string = false;
		} else if (json[i] == '"') {
			in_string = true;
		} else if (len - i >= n && memcmp(json + i, UINT64_MAX_TOKEN, n) == 0 &&
			   (i == 0 || !is_number_char(json[i - 1])) &&
			   (i + n == len || !is_number_char(json[i + n]))) {
			if (!copy) {
				copy = xmalloc(len);
				memcpy(copy, json, len);
			}
			memcpy(copy + i, UINT64_MAX_AS_REAL, n);
			i += n - 1;
		}
	}
	return copy;
}

/* One JSON object; jansson refuses invalid UTF-8, \u0000, nesting deeper
 * than 2048 and (with the flag) duplicate keys. */
static json_t *load(const char *json, size_t len, struct error *e)
{
	_cleanup_free_ char *copy = NULL;
	json_error_t jerr;
	json_t *root;

	if (len > BUNDLE_CONFIG_MAX) {
		error_set(e, EFBIG, "%zu bytes is larger than the limit of %u", len,
			  BUNDLE_CONFIG_MAX);
		return NULL;
	}
	copy = uint64_max_as_real(json, len);
	root = json_loadb(copy ? copy : json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		error_make_printable(jerr.text);
		error_set(e, EBADMSG, "invalid JSON at line %d, column %d: %s", jerr.line,
			  jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		error_set(e, EBADMSG, "not a JSON object");
		return NULL;
	}
	return root;
}

/* --- getting fields --------------------------------------------------------- */

static int must_be(struct error *e, const char *name, const char *what)
{
	return error_set(e, EBADMSG, "%s: must be %s", name, what);
}

/* obj's member key, *ret NULL when it is absent or null (an error when
 * REQUIRED). */
static int get_value(json_t *obj, const char *where, const char *key, unsigned flags, json_t **ret,
		     struct error *e)
{
	json_t *v = json_object_get(obj, key);
	char name[ERROR_FIELD_MAX];

	*ret = NULL;
	if (!v || json_is_null(v)) {
		if (flags & REQUIRED)
			return error_set(e, EBADMSG, "%s: missing", error_field(name, where, key));
		return 0;
	}
	*ret = v;
	return 0;
}

static int get_object(json_t *obj, const char *where, const char *key, unsigned flags, json_t **ret,
		      struct error *e)
{
	char name[ERROR_FIELD_MAX];
	int r;

	if ((r = get_value(obj, where, key, flags, ret, e)) < 0)
		return r;
	if (*ret && !json_is_object(*ret))
		return must_be(e, error_field(name, where, key), "an object");
	return 0;
}

static int get_array(json_t *obj, const char *where, const char *key, unsigned flags, json_t **ret,
		     struct error *e)
{
	char name[ERROR_FIELD_MAX];
	int r;

	if ((r = get_value(obj, where, key, flags, ret, e)) < 0)
		return r;
	if (*ret && !json_is_array(*ret))
		return must_be(e, error_field(name, where, key), "an array");
	return 0;
}

/* Absent leaves *ret as it is. */
static int get_bool(json_t *obj, const char *where, const char *key, bool *ret, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	json_t *v;

	get_value(obj, where, key, OPTIONAL, &v, e);
	if (v && !json_is_boolean(v))
		return must_be(e, error_field(name, where, key), "true or false");
	if (v)
		*ret = json_is_true(v);
	return 0;
}

static int int_value(json_t *v, const char *name, int64_t min, int64_t max, int64_t *ret,
		     struct error *e)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return error_set(e, EBADMSG, "%s: must be an integer from %lld to %lld", name,
				 (long long)min, (long long)max);
	*ret = json_integer_value(v);
	return 0;
}

/* An integer in [min, max]; *ret_present tells whether there was one
 * (absent leaves *ret as it is). */
static int get_int(json_t *obj, const char *where, const char *key, unsigned flags, int64_t min,
		   int64_t max, bool *ret_present, int64_t *ret, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	json_t *v;
	int r;

	if ((r = get_value(obj, where, key, flags, &v, e)) < 0)
		return r;
	if (ret_present)
		*ret_present = v != NULL;
	return v ? int_value(v, error_field(name, where, key), min, max, ret, e) : 0;
}

/* A string of at most max bytes, without NUL; *ret points into v. */
static int string_value(json_t *v, const char *name, size_t max, const char **ret, struct error *e)
{
	if (!json_is_string(v))
		return must_be(e, name, "a string");
	if (json_string_length(v) > max)
		return error_set(e, EFBIG, "%s: longer than %zu bytes", name, max);
	/* jansson refuses \u0000 unless asked to allow it; be sure. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return error_set(e, EBADMSG, "%s: contains a NUL byte", name);
	*ret = json_string_value(v);
	return 0;
}

/* *ret NULL when absent. */
static int get_string(json_t *obj, const char *where, const char *key, unsigned flags, size_t max,
		      const char **ret, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	json_t *v;
	int r;

	*ret = NULL;
	if ((r = get_value(obj, where, key, flags, &v, e)) < 0)
		return r;
	return v ? string_value(v, error_field(name, where, key), max, ret, e) : 0;
}

/* An optional string, copied; NULL when absent or empty (no hostname, no
 * AppArmor profile, ...: the spec's writers use "" for none). */
static int dup_string(json_t *obj, const char *where, const char *key, size_t max, char **ret,
		      struct error *e)
{
	const char *s;
	int r;

	if ((r = get_string(obj, where, key, OPTIONAL, max, &s, e)) < 0)
		return r;
	*ret = s && *s ? xstrdup(s) : NULL;
	return 0;
}

/* Checks (and may rewrite, only shortening) one copied string of an
 * array. */
typedef int check_fn(char *s, const char *name, struct error *e);

/* An array of at most max_items strings of at most max_len bytes, each
 * passing check (if any), into a NULL-terminated *ret; NULL and 0 when
 * absent. */
static int get_strv(json_t *obj, const char *where, const char *key, size_t max_items,
		    size_t max_len, check_fn *check, char ***ret, size_t *ret_n, struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX];
	char **out;
	json_t *a;
	size_t n;
	int r;

	if ((r = get_array(obj, where, key, OPTIONAL, &a, e)) < 0 || !a)
		return r;
	error_field(name, where, key);
	n = json_array_size(a);
	if (n > max_items)
		return error_set(e, EFBIG, "%s: more than %zu entries", name, max_items);
	out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const char *s;

		error_element(item, name, i);
		if ((r = string_value(json_array_get(a, i), item, max_len, &s, e)) < 0)
			break;
		out[i] = xstrdup(s);
		if (check && (r = check(out[i], item, e)) < 0)
			break;
	}
	if (r < 0) {
		strv_free(out);
		return r;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

/* --- checks on strings -------------------------------------------------------- */

static int check_env(char *s, const char *name, struct error *e)
{
	char q[QUOTE_MAX];

	if (s[0] == '=' || !strchr(s, '='))
		return error_set(e, EBADMSG, "%s: %s is not KEY=VALUE", name,
				 error_quote(q, sizeof(q), s));
	return 0;
}

static int check_absolute(char *s, const char *name, struct error *e)
{
	char q[QUOTE_MAX];

	if (s[0] != '/')
		return error_set(e, EBADMSG, "%s: %s is not an absolute path", name,
				 error_quote(q, sizeof(q), s));
	return 0;
}

/* Collapses repeated slashes and drops a trailing one, in place. */
static void squeeze_slashes(char *s)
{
	char *out = s;

	for (const char *p = s; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		*out++ = '/';
		memmove(out, p, len);
		out += len;
		p += len;
	}
	if (out == s)
		*out++ = '/';
	*out = '\0';
}

/* An absolute path, normalized in place ("/a//b/" becomes "/a/b"). "." and
 * ".." are refused rather than resolved: inside the container they would
 * be resolved against its root, which is not what the writer may have
 * meant, and no engine writes them. */
static int normalize_path(char *s, const char *name, struct error *e)
{
	char q[QUOTE_MAX];
	int r;

	if ((r = check_absolute(s, name, e)) < 0)
		return r;
	for (const char *p = s; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if ((len == 1 || len == 2) && strncmp(p, "..", len) == 0)
			return error_set(e, EBADMSG, "%s: %s has a \"%s\" component", name,
					 error_quote(q, sizeof(q), s), len == 1 ? "." : "..");
		p += len;
	}
	squeeze_slashes(s);
	return 0;
}

static bool only_chars(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

#define DIGITS "0123456789"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* --- process ------------------------------------------------------------------- */

void bundle_process_free(struct bundle_process *p)
{
	if (!p)
		return;
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->groups);
	free(p->apparmor_profile);
	free(p->selinux_label);
	memset(p, 0, sizeof(*p));
}

static int parse_args(json_t *obj, const char *where, struct bundle_process *p, struct error *e)
{
	json_t *a = json_object_get(obj, "args");
	char name[ERROR_FIELD_MAX];

	if (!json_is_array(a) || json_array_size(a) == 0)
		return must_be(e, error_field(name, where, "args"), "a non-empty array of strings");
	return get_strv(obj, where, "args", MSG_ARGS_MAX, MSG_STRING_MAX, NULL, &p->args, &p->nargs,
			e);
}

static int parse_cwd(json_t *obj, const char *where, struct bundle_process *p, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	const char *s;
	int r;

	if ((r = get_string(obj, where, "cwd", REQUIRED, MSG_PATH_MAX - 1, &s, e)) < 0)
		return r;
	p->cwd = xstrdup(s);
	return check_absolute(p->cwd, error_field(name, where, "cwd"), e);
}

static int parse_console(json_t *obj, const char *where, struct bundle_process *p, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	int64_t rows = 0, cols = 0;
	json_t *cs;
	int r;

	if ((r = get_object(obj, where, "consoleSize", OPTIONAL, &cs, e)) < 0 || !cs)
		return r;
	error_field(name, where, "consoleSize");
	if ((r = get_int(cs, name, "height", REQUIRED, 0, UINT16_MAX, NULL, &rows, e)) < 0 ||
	    (r = get_int(cs, name, "width", REQUIRED, 0, UINT16_MAX, NULL, &cols, e)) < 0)
		return r;
	p->rows = (uint16_t)rows;
	p->cols = (uint16_t)cols;
	return 0;
}

static int parse_groups(json_t *user, const char *where, struct bundle_process *p, struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX];
	json_t *a;
	int r;

	if ((r = get_array(user, where, "additionalGids", OPTIONAL, &a, e)) < 0 || !a)
		return r;
	error_field(name, where, "additionalGids");
	if (json_array_size(a) > MSG_GROUPS_MAX)
		return error_set(e, EFBIG, "%s: more than %d entries", name, MSG_GROUPS_MAX);
	p->groups = xcalloc(json_array_size(a) + 1, sizeof(*p->groups));
	for (size_t i = 0; i < json_array_size(a); i++) {
		int64_t gid;

		if ((r = int_value(json_array_get(a, i), error_element(item, name, i), 0,
				   UINT32_MAX - 1, &gid, e)) < 0)
			return r;
		p->groups[p->ngroups++] = (uint32_t)gid;
	}
	return 0;
}

/* user.username is Windows-only in the spec: ignored. (uint32_t)-1 is
 * refused: to the kernel it means "no change". */
static int parse_user(json_t *obj, const char *where, struct bundle_process *p, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	int64_t uid = 0, gid = 0, umask = 0;
	json_t *user;
	int r;

	if ((r = get_object(obj, where, "user", OPTIONAL, &user, e)) < 0 || !user)
		return r;
	error_field(name, where, "user");
	if ((r = get_int(user, name, "uid", REQUIRED, 0, UINT32_MAX - 1, NULL, &uid, e)) < 0 ||
	    (r = get_int(user, name, "gid", REQUIRED, 0, UINT32_MAX - 1, NULL, &gid, e)) < 0 ||
	    (r = get_int(user, name, "umask", OPTIONAL, 0, 0777, &p->has_umask, &umask, e)) < 0 ||
	    (r = parse_groups(user, name, p, e)) < 0)
		return r;
	p->uid = (uint32_t)uid;
	p->gid = (uint32_t)gid;
	p->umask = (uint32_t)umask;
	return 0;
}

/* Named as a newer kernel might name a capability that caps.h does not
 * know yet: runc skips those, so that a bundle written for a newer kernel
 * still runs. */
static bool future_cap_name(const char *s)
{
	size_t n = strlen(s);

	return strncmp(s, "CAP_", 4) == 0 && n > 4 && n - 4 <= CAP_NAME_TAIL_MAX &&
	       only_chars(s + 4, UPPER DIGITS "_");
}

/* No bound on the count: nothing is allocated, and a name is checked in
 * constant time. */
static int parse_capset(json_t *caps, const char *where, const char *key, uint64_t *ret,
			struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX], q[QUOTE_MAX];
	json_t *a;
	int r, cap;

	*ret = 0;
	if ((r = get_array(caps, where, key, OPTIONAL, &a, e)) < 0 || !a)
		return r;
	error_field(name, where, key);
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *s;

		error_element(item, name, i);
		if ((r = string_value(json_array_get(a, i), item, BUNDLE_STRING_MAX, &s, e)) < 0)
			return r;
		if (caps_parse(s, &cap, NULL) == 0)
			*ret |= UINT64_C(1) << cap;
		else if (!future_cap_name(s))
			return error_set(e, EBADMSG, "%s: unknown capability %s", item,
					 error_quote(q, sizeof(q), s));
	}
	return 0;
}

static int parse_caps(json_t *obj, const char *where, struct bundle_process *p, struct error *e)
{
	static const char *const keys[CAPSET__MAX] = {
	    [CAPSET_BOUNDING] = "bounding",   [CAPSET_EFFECTIVE] = "effective",
	    [CAPSET_PERMITTED] = "permitted", [CAPSET_INHERITABLE] = "inheritable",
	    [CAPSET_AMBIENT] = "ambient",
	};
	char name[ERROR_FIELD_MAX];
	json_t *caps;
	int r;

	if ((r = get_object(obj, where, "capabilities", OPTIONAL, &caps, e)) < 0 || !caps)
		return r;
	p->has_caps = true;
	error_field(name, where, "capabilities");
	for (int i = 0; i < CAPSET__MAX; i++)
		if ((r = parse_capset(caps, name, keys[i], &p->caps[i], e)) < 0)
			return r;
	return 0;
}

/* "RLIMIT_NOFILE" → RLIMIT_NOFILE, through Docker's name ("nofile"). */
static int rlimit_type(const char *s, const char *name, int *ret, struct error *e)
{
	char docker[MSG_TAG_MAX], q[QUOTE_MAX];
	size_t n = strlen(s);

	*ret = -1;
	if (strncmp(s, "RLIMIT_", 7) == 0 && n - 7 < sizeof(docker) && only_chars(s + 7, UPPER)) {
		for (size_t i = 7; i <= n; i++)
			docker[i - 7] = s[i] ? (char)(s[i] - 'A' + 'a') : '\0';
		*ret = rlimit_lookup(docker);
	}
	if (*ret < 0)
		return error_set(e, EBADMSG, "%s: unknown resource limit %s", name,
				 error_quote(q, sizeof(q), s));
	return 0;
}

/* A uint64; UINT64_MAX (unlimited) arrives as a real, see load(). */
static int get_limit(json_t *obj, const char *where, const char *key, uint64_t *ret,
		     struct error *e)
{
	char name[ERROR_FIELD_MAX];
	json_t *v;
	int r;

	if ((r = get_value(obj, where, key, REQUIRED, &v, e)) < 0)
		return r;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*ret = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) == TWO_TO_THE_64) {
		*ret = UINT64_MAX;
		return 0;
	}
	return must_be(e, error_field(name, where, key),
		       "an integer from 0 to 18446744073709551615 (unlimited)");
}

/* *ret_type: the type as written, for a message about it. */
static int parse_rlimit(json_t *o, const char *where, struct rlimit_spec *rl, const char **ret_type,
			struct error *e)
{
	char name[ERROR_FIELD_MAX];
	const char *type;
	int r;

	if (!json_is_object(o))
		return must_be(e, where, "an object");
	if ((r = get_string(o, where, "type", REQUIRED, BUNDLE_STRING_MAX, &type, e)) < 0 ||
	    (r = rlimit_type(type, error_field(name, where, "type"), &rl->resource, e)) < 0)
		return r;
	*ret_type = type;
	if ((r = get_limit(o, where, "hard", &rl->hard, e)) < 0 ||
	    (r = get_limit(o, where, "soft", &rl->soft, e)) < 0)
		return r;
	if (rl->soft > rl->hard)
		return error_set(e, EBADMSG, "%s: soft limit %llu is above the hard limit %llu",
				 where, (unsigned long long)rl->soft, (unsigned long long)rl->hard);
	return 0;
}

static int parse_rlimits(json_t *obj, const char *where, struct bundle_process *p, struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX], q[QUOTE_MAX];
	json_t *a;
	int r;

	if ((r = get_array(obj, where, "rlimits", OPTIONAL, &a, e)) < 0 || !a)
		return r;
	error_field(name, where, "rlimits");
	if (json_array_size(a) > MSG_RLIMITS_MAX)
		return error_set(e, EFBIG, "%s: more than %d entries", name, MSG_RLIMITS_MAX);
	for (size_t i = 0; i < json_array_size(a); i++) {
		struct rlimit_spec *rl = &p->rlimits[i];
		const char *type = NULL;

		error_element(item, name, i);
		if ((r = parse_rlimit(json_array_get(a, i), item, rl, &type, e)) < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == rl->resource)
				return error_set(e, EBADMSG, "%s: a second %s", item,
						 error_quote(q, sizeof(q), type));
		p->nrlimits = i + 1;
	}
	return 0;
}

/* where: "process" in config.json, "" in process.json. oomScoreAdj,
 * scheduler, ioPriority and user.username are not read: the VM is the
 * container's, and they do not change what can be reached from it. */
static int parse_process(json_t *obj, const char *where, struct bundle_process *p, struct error *e)
{
	int r;

	if ((r = parse_args(obj, where, p, e)) < 0 ||
	    (r = get_strv(obj, where, "env", MSG_ENV_MAX, MSG_STRING_MAX, check_env, &p->env,
			  &p->nenv, e)) < 0 ||
	    (r = parse_cwd(obj, where, p, e)) < 0 ||
	    (r = get_bool(obj, where, "terminal", &p->terminal, e)) < 0 ||
	    (r = parse_console(obj, where, p, e)) < 0 || (r = parse_user(obj, where, p, e)) < 0 ||
	    (r = parse_caps(obj, where, p, e)) < 0 || (r = parse_rlimits(obj, where, p, e)) < 0 ||
	    (r = get_bool(obj, where, "noNewPrivileges", &p->no_new_privileges, e)) < 0 ||
	    (r = dup_string(obj, where, "apparmorProfile", BUNDLE_STRING_MAX, &p->apparmor_profile,
			    e)) < 0 ||
	    (r = dup_string(obj, where, "selinuxLabel", BUNDLE_STRING_MAX, &p->selinux_label, e)) <
		0)
		return r;
	return 0;
}

int bundle_process_parse(const char *json, size_t len, struct bundle_process *ret, struct error *e)
{
	json_auto_t *root = load(json, len, e);
	struct bundle_process p = {0};

	memset(ret, 0, sizeof(*ret));
	if (!root || parse_process(root, "", &p, e) < 0) {
		bundle_process_free(&p);
		return error_prefix(e, "process.json");
	}
	*ret = p;
	return 0;
}

/* --- root, hostname, mounts, hooks, annotations ----------------------------------- */

static int parse_version(json_t *root, struct bundle_config *c, struct error *e)
{
	char q[QUOTE_MAX];
	const char *s;
	int r;

	if ((r = get_string(root, "", "ociVersion", REQUIRED, VERSION_MAX, &s, e)) < 0)
		return r;
	if (strncmp(s, "1.", 2) != 0)
		return error_set(e, EOPNOTSUPP,
				 "ociVersion: unsupported version %s (this runtime "
				 "reads 1.x)",
				 error_quote(q, sizeof(q), s));
	c->oci_version = xstrdup(s);
	return 0;
}

static int parse_root(json_t *root, struct bundle_config *c, struct error *e)
{
	const char *path;
	json_t *o;
	int r;

	if ((r = get_object(root, "", "root", REQUIRED, &o, e)) < 0 ||
	    (r = get_string(o, "root", "path", REQUIRED, MSG_PATH_MAX - 1, &path, e)) < 0)
		return r;
	if (!*path)
		return must_be(e, "root.path", "a non-empty string");
	c->root_path = xstrdup(path);
	return get_bool(o, "root", "readonly", &c->root_readonly, e);
}

static int parse_hostname(json_t *root, struct bundle_config *c, struct error *e)
{
	char q[QUOTE_MAX];
	int r;

	if ((r = dup_string(root, "", "hostname", MSG_HOSTNAME_MAX - 1, &c->hostname, e)) < 0)
		return r;
	if (c->hostname && !only_chars(c->hostname, LOWER UPPER DIGITS ".-"))
		return error_set(e, EBADMSG,
				 "hostname: %s has characters other than letters, "
				 "digits, '.' and '-'",
				 error_quote(q, sizeof(q), c->hostname));
	return 0;
}

/* Docker and podman write type "bind"; others say it in options, with any
 * type ("none"): either way it is a bind mount, and type says so. */
static int parse_mount(json_t *o, const char *where, struct bundle_mount *m, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	const char *dest;
	int r;

	if (!json_is_object(o))
		return must_be(e, where, "an object");
	if ((r = get_string(o, where, "destination", REQUIRED, MSG_PATH_MAX - 1, &dest, e)) < 0)
		return r;
	m->destination = xstrdup(dest);
	if ((r = normalize_path(m->destination, error_field(name, where, "destination"), e)) < 0 ||
	    (r = dup_string(o, where, "type", BUNDLE_STRING_MAX, &m->type, e)) < 0 ||
	    (r = dup_string(o, where, "source", MSG_PATH_MAX - 1, &m->source, e)) < 0 ||
	    (r = get_strv(o, where, "options", BUNDLE_OPTIONS_MAX, BUNDLE_STRING_MAX, NULL,
			  &m->options, &m->noptions, e)) < 0)
		return r;
	m->bind = (m->type && strcmp(m->type, "bind") == 0) || bundle_mount_has_option(m, "bind") ||
		  bundle_mount_has_option(m, "rbind");
	if (m->bind && !(m->type && strcmp(m->type, "bind") == 0)) {
		free(m->type);
		m->type = xstrdup("bind");
	}
	return 0;
}

static int parse_mounts(json_t *root, struct bundle_config *c, struct error *e)
{
	char item[ERROR_FIELD_MAX];
	json_t *a;
	int r;

	if ((r = get_array(root, "", "mounts", OPTIONAL, &a, e)) < 0 || !a)
		return r;
	if (json_array_size(a) > BUNDLE_MOUNTS_MAX)
		return error_set(e, EFBIG, "mounts: more than %d entries", BUNDLE_MOUNTS_MAX);
	/* Counted from the start so that bundle_config_free sees every entry. */
	c->nmounts = json_array_size(a);
	c->mounts = xcalloc(c->nmounts, sizeof(*c->mounts));
	for (size_t i = 0; i < c->nmounts; i++)
		if ((r = parse_mount(json_array_get(a, i), error_element(item, "mounts", i),
				     &c->mounts[i], e)) < 0)
			return r;
	return 0;
}

static int parse_hook(json_t *o, const char *where, struct bundle_hook *h, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	int64_t timeout = 0;
	const char *path;
	int r;

	if (!json_is_object(o))
		return must_be(e, where, "an object");
	if ((r = get_string(o, where, "path", REQUIRED, MSG_PATH_MAX - 1, &path, e)) < 0)
		return r;
	h->path = xstrdup(path);
	if ((r = check_absolute(h->path, error_field(name, where, "path"), e)) < 0 ||
	    (r = get_strv(o, where, "args", MSG_ARGS_MAX, MSG_STRING_MAX, NULL, &h->args, &h->nargs,
			  e)) < 0 ||
	    (r = get_strv(o, where, "env", MSG_ENV_MAX, MSG_STRING_MAX, check_env, &h->env,
			  &h->nenv, e)) < 0 ||
	    (r = get_int(o, where, "timeout", OPTIONAL, 1, INT_MAX, NULL, &timeout, e)) < 0)
		return r;
	h->timeout = (int)timeout;
	return 0;
}

static int parse_hook_kind(json_t *hooks, enum bundle_hook_kind k, struct bundle_config *c,
			   struct error *e)
{
	static const char *const keys[BUNDLE_HOOK__MAX] = {
	    [BUNDLE_HOOK_PRESTART] = "prestart",
	    [BUNDLE_HOOK_CREATE_RUNTIME] = "createRuntime",
	    [BUNDLE_HOOK_CREATE_CONTAINER] = "createContainer",
	    [BUNDLE_HOOK_START_CONTAINER] = "startContainer",
	    [BUNDLE_HOOK_POSTSTART] = "poststart",
	    [BUNDLE_HOOK_POSTSTOP] = "poststop",
	};
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX];
	json_t *a;
	int r;

	if ((r = get_array(hooks, "hooks", keys[k], OPTIONAL, &a, e)) < 0 || !a)
		return r;
	error_field(name, "hooks", keys[k]);
	if (json_array_size(a) > BUNDLE_HOOKS_MAX)
		return error_set(e, EFBIG, "%s: more than %d entries", name, BUNDLE_HOOKS_MAX);
	c->nhooks[k] = json_array_size(a);
	c->hooks[k] = xcalloc(c->nhooks[k], sizeof(*c->hooks[k]));
	for (size_t i = 0; i < c->nhooks[k]; i++)
		if ((r = parse_hook(json_array_get(a, i), error_element(item, name, i),
				    &c->hooks[k][i], e)) < 0)
			return r;
	return 0;
}

static int parse_hooks(json_t *root, struct bundle_config *c, struct error *e)
{
	json_t *hooks;
	int r;

	if ((r = get_object(root, "", "hooks", OPTIONAL, &hooks, e)) < 0 || !hooks)
		return r;
	for (int k = 0; k < BUNDLE_HOOK__MAX; k++)
		if ((r = parse_hook_kind(hooks, (enum bundle_hook_kind)k, c, e)) < 0)
			return r;
	return 0;
}

/* An object of strings, as two NULL-terminated arrays in the file's order.
 * Keys are quoted in messages: they are the file's, not ours. */
struct string_map {
	const char *where;
	size_t max_entries, key_max, value_max;
	check_fn *check_key, *check_value;
};

static int parse_string_map(json_t *obj, const struct string_map *m, char ***ret_keys,
			    char ***ret_values, size_t *ret_n, struct error *e)
{
	char name[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *key, *s;
	size_t i = 0;
	json_t *v;
	int r;

	if (json_object_size(obj) > m->max_entries)
		return error_set(e, EFBIG, "%s: more than %zu entries", m->where, m->max_entries);
	*ret_keys = xcalloc(json_object_size(obj) + 1, sizeof(char *));
	*ret_values = xcalloc(json_object_size(obj) + 1, sizeof(char *));
	json_object_foreach(obj, key, v)
	{
		error_field(name, m->where, error_quote(q, sizeof(q), key));
		if (strlen(key) > m->key_max)
			return error_set(e, EFBIG, "%s: key longer than %zu bytes", name,
					 m->key_max);
		(*ret_keys)[i] = xstrdup(key);
		if ((r = m->check_key((*ret_keys)[i], name, e)) < 0 ||
		    (r = string_value(v, name, m->value_max, &s, e)) < 0)
			return r;
		(*ret_values)[i] = xstrdup(s);
		if (m->check_value && (r = m->check_value((*ret_values)[i], name, e)) < 0)
			return r;
		*ret_n = ++i;
	}
	return 0;
}

static int check_annotation_key(char *s, const char *name, struct error *e)
{
	if (!*s)
		return error_set(e, EBADMSG, "%s: empty key", name);
	return 0;
}

static int parse_annotations(json_t *root, struct bundle_config *c, struct error *e)
{
	static const struct string_map map = {
	    .where = "annotations",
	    .max_entries = BUNDLE_ANNOTATIONS_MAX,
	    .key_max = ANNOTATION_KEY_MAX,
	    .value_max = MSG_STRING_MAX,
	    .check_key = check_annotation_key,
	};
	json_t *o;
	int r;

	if ((r = get_object(root, "", "annotations", OPTIONAL, &o, e)) < 0 || !o)
		return r;
	return parse_string_map(o, &map, &c->annotation_keys, &c->annotation_values,
				&c->nannotations, e);
}

/* --- linux ----------------------------------------------------------------------- */

static int parse_namespace(json_t *o, const char *where, uint32_t *seen, struct error *e)
{
	static const char *const types[BUNDLE_NS__MAX] = {
	    [BUNDLE_NS_PID] = "pid",	   [BUNDLE_NS_NETWORK] = "network",
	    [BUNDLE_NS_MOUNT] = "mount",   [BUNDLE_NS_IPC] = "ipc",
	    [BUNDLE_NS_UTS] = "uts",	   [BUNDLE_NS_USER] = "user",
	    [BUNDLE_NS_CGROUP] = "cgroup", [BUNDLE_NS_TIME] = "time",
	};
	char name[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *type, *path;
	int r, ns = 0;

	if (!json_is_object(o))
		return must_be(e, where, "an object");
	if ((r = get_string(o, where, "type", REQUIRED, BUNDLE_STRING_MAX, &type, e)) < 0 ||
	    (r = get_string(o, where, "path", OPTIONAL, MSG_PATH_MAX - 1, &path, e)) < 0)
		return r;
	while (ns < BUNDLE_NS__MAX && strcmp(type, types[ns]) != 0)
		ns++;
	if (ns == BUNDLE_NS__MAX)
		return error_set(e, EBADMSG, "%s: unknown namespace type %s",
				 error_field(name, where, "type"), error_quote(q, sizeof(q), type));
	if (*seen & (1u << ns))
		return error_set(e, EBADMSG, "%s: a second %s namespace", where, types[ns]);
	if (path && *path)
		return error_set(e, EOPNOTSUPP,
				 "%s: joining an existing namespace (path %s) is "
				 "not possible inside the container's VM",
				 where, error_quote(q, sizeof(q), path));
	*seen |= 1u << ns;
	return 0;
}

/* No bound on the count: past eight entries one is a duplicate, or of an
 * unknown type, and the loop stops there. */
static int parse_namespaces(json_t *lx, struct bundle_config *c, struct error *e)
{
	char item[ERROR_FIELD_MAX];
	json_t *a;
	int r;

	if ((r = get_array(lx, "linux", "namespaces", OPTIONAL, &a, e)) < 0 || !a)
		return r;
	for (size_t i = 0; i < json_array_size(a); i++)
		if ((r = parse_namespace(json_array_get(a, i),
					 error_element(item, "linux.namespaces", i), &c->namespaces,
					 e)) < 0)
			return r;
	return 0;
}

static int parse_id_mappings(json_t *lx, const char *key, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	json_t *a;
	int r;

	if ((r = get_array(lx, "linux", key, OPTIONAL, &a, e)) < 0 || !a || json_array_size(a) == 0)
		return r;
	return error_set(e, EOPNOTSUPP, "%s: user namespace ID mappings are not supported",
			 error_field(name, "linux", key));
}

/* What the guest kernel has of its own: asking for them changes nothing. */
static bool guest_device(const char *path)
{
	static const char *const ok[] = {
	    "/dev/null", "/dev/zero",	 "/dev/full", "/dev/random",   "/dev/urandom",
	    "/dev/tty",	 "/dev/console", "/dev/ptmx", "/dev/pts/ptmx",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		if (strcmp(path, ok[i]) == 0)
			return true;
	return false;
}

static int parse_devices(json_t *lx, struct error *e)
{
	char item[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *path;
	json_t *a;
	int r;

	if ((r = get_array(lx, "linux", "devices", OPTIONAL, &a, e)) < 0 || !a)
		return r;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = json_array_get(a, i);

		error_element(item, "linux.devices", i);
		if (!json_is_object(o))
			return must_be(e, item, "an object");
		if ((r = get_string(o, item, "path", REQUIRED, MSG_PATH_MAX - 1, &path, e)) < 0)
			return r;
		if (!guest_device(path))
			return error_set(e, EOPNOTSUPP,
					 "%s: %s: host devices cannot be passed "
					 "into a VM",
					 item, error_quote(q, sizeof(q), path));
	}
	return 0;
}

/* 0 and -1 mean no limit; other negatives are refused (runc would take
 * them as none too, but they are a mistake). */
static int parse_memory(json_t *res, struct bundle_config *c, struct error *e)
{
	const char *where = RESOURCES ".memory";
	char name[ERROR_FIELD_MAX];
	int64_t limit = 0;
	json_t *mem;
	int r;

	if ((r = get_object(res, RESOURCES, "memory", OPTIONAL, &mem, e)) < 0 || !mem ||
	    (r = get_int(mem, where, "limit", OPTIONAL, INT64_MIN, INT64_MAX, NULL, &limit, e)) < 0)
		return r;
	error_field(name, where, "limit");
	if (limit < -1)
		return must_be(e, name, "-1 (no limit) or a number of bytes");
	if (limit > 0 && limit < MEMORY_LIMIT_MIN)
		return error_set(e, EBADMSG,
				 "%s: %lld bytes is too small: the least is %lld (4 MiB)", name,
				 (long long)limit, (long long)MEMORY_LIMIT_MIN);
	c->has_memory_limit = limit > 0;
	c->memory_limit = limit > 0 ? (uint64_t)limit : 0;
	return 0;
}

static int check_cpuset(char *s, const char *name, struct error *e)
{
	char q[QUOTE_MAX];

	if (!only_chars(s, DIGITS ",-"))
		return error_set(e, EBADMSG, "%s: %s is not a list of CPUs (\"0-3,6\")", name,
				 error_quote(q, sizeof(q), s));
	return 0;
}

/* A quota of 0 is taken as none, as runc takes it (engines write it for
 * "no limit"). */
static int parse_cpu(json_t *res, struct bundle_config *c, struct error *e)
{
	const char *where = RESOURCES ".cpu";
	char name[ERROR_FIELD_MAX];
	int64_t quota = 0, period = 0;
	json_t *cpu;
	int r;

	if ((r = get_object(res, RESOURCES, "cpu", OPTIONAL, &cpu, e)) < 0 || !cpu ||
	    (r = get_int(cpu, where, "quota", OPTIONAL, INT64_MIN, INT64_MAX, NULL, &quota, e)) <
		0 ||
	    (r = get_int(cpu, where, "period", OPTIONAL, 0, INT64_MAX, NULL, &period, e)) < 0)
		return r;
	if (quota < -1 || (quota > 0 && quota < CPU_QUOTA_MIN))
		return must_be(e, error_field(name, where, "quota"),
			       "-1 (no limit) or at least 1000 microseconds");
	if (period != 0 && (period < CPU_PERIOD_MIN || period > CPU_PERIOD_MAX))
		return must_be(e, error_field(name, where, "period"),
			       "0 or an integer from 1000 to 1000000 (microseconds)");
	c->has_cpu_quota = quota != 0;
	c->cpu_quota = quota;
	c->cpu_period = (uint64_t)period;
	if ((r = dup_string(cpu, where, "cpus", CPUSET_MAX, &c->cpuset_cpus, e)) < 0)
		return r;
	return c->cpuset_cpus ? check_cpuset(c->cpuset_cpus, error_field(name, where, "cpus"), e)
			      : 0;
}

static int parse_pids(json_t *res, struct bundle_config *c, struct error *e)
{
	json_t *pids;
	int r;

	if ((r = get_object(res, RESOURCES, "pids", OPTIONAL, &pids, e)) < 0 || !pids)
		return r;
	return get_int(pids, RESOURCES ".pids", "limit", OPTIONAL, INT64_MIN, INT64_MAX,
		       &c->has_pids_limit, &c->pids_limit, e);
}

/* Only memory, cpu and pids apply to a VM's single cgroup; the rest
 * (devices rules, blockIO, hugepages, network, rdma, unified, shares,
 * swap, ...) are not read. */
static int parse_resources(json_t *lx, struct bundle_config *c, struct error *e)
{
	json_t *res;
	int r;

	if ((r = get_object(lx, "linux", "resources", OPTIONAL, &res, e)) < 0 || !res ||
	    (r = parse_memory(res, c, e)) < 0 || (r = parse_cpu(res, c, e)) < 0 ||
	    (r = parse_pids(res, c, e)) < 0)
		return r;
	return 0;
}

static int parse_seccomp(json_t *lx, struct bundle_config *c, struct error *e)
{
	json_t *o;
	int r;

	if ((r = get_object(lx, "linux", "seccomp", OPTIONAL, &o, e)) < 0 || !o)
		return r;
	if ((r = seccomp_profile_from_json(o, &c->seccomp, e)) < 0)
		return error_prefix(e, "linux.seccomp");
	return 0;
}

/* Keys become paths under /proc/sys (dots as slashes): no empty
 * component, so none is "." or ".." once converted, nor absolute. */
static int check_sysctl_key(char *s, const char *name, struct error *e)
{
	bool empty_part = !*s || strchr("./", s[0]) || strchr("./", s[strlen(s) - 1]);

	for (const char *p = s; *p && !empty_part; p++)
		empty_part = strchr("./", p[0]) && p[1] && strchr("./", p[1]);
	if (empty_part || !only_chars(s, LOWER DIGITS "_.-/"))
		return error_set(e, EBADMSG, "%s: not a sysctl name (\"net.ipv4.ip_forward\")",
				 name);
	if (!msg_sysctl_allowed(s, strlen(s)))
		return error_set(e, EPERM,
				 "%s: not a namespaced sysctl: it would set the guest kernel's, "
				 "not the container's (allowed: kernel.msg*, kernel.sem, "
				 "kernel.shm*, kernel.hostname, kernel.domainname, fs.mqueue.*, "
				 "net.*)",
				 name);
	return 0;
}

static int check_sysctl_value(char *s, const char *name, struct error *e)
{
	if (strchr(s, '\n'))
		return error_set(e, EBADMSG, "%s: the value has a newline", name);
	return 0;
}

static int parse_sysctl(json_t *lx, struct bundle_config *c, struct error *e)
{
	static const struct string_map map = {
	    .where = "linux.sysctl",
	    .max_entries = BUNDLE_SYSCTL_MAX,
	    .key_max = SYSCTL_KEY_MAX,
	    .value_max = SYSCTL_VALUE_MAX,
	    .check_key = check_sysctl_key,
	    .check_value = check_sysctl_value,
	};
	json_t *o;
	int r;

	if ((r = get_object(lx, "linux", "sysctl", OPTIONAL, &o, e)) < 0 || !o)
		return r;
	return parse_string_map(o, &map, &c->sysctl_keys, &c->sysctl_values, &c->nsysctl, e);
}

/* rootfsPropagation, mountLabel, intelRdt, personality and the rest are
 * not read: they concern the host's view, which the VM does not share. */
static int parse_linux(json_t *root, struct bundle_config *c, struct error *e)
{
	json_t *lx;
	int r;

	if ((r = get_object(root, "", "linux", OPTIONAL, &lx, e)) < 0 || !lx)
		return r;
	if ((r = parse_namespaces(lx, c, e)) < 0 ||
	    (r = parse_id_mappings(lx, "uidMappings", e)) < 0 ||
	    (r = parse_id_mappings(lx, "gidMappings", e)) < 0 || (r = parse_devices(lx, e)) < 0 ||
	    (r = parse_resources(lx, c, e)) < 0 || (r = parse_seccomp(lx, c, e)) < 0 ||
	    (r = get_strv(lx, "linux", "maskedPaths", BUNDLE_PATHS_MAX, MSG_PATH_MAX - 1,
			  normalize_path, &c->masked_paths, &c->nmasked_paths, e)) < 0 ||
	    (r = get_strv(lx, "linux", "readonlyPaths", BUNDLE_PATHS_MAX, MSG_PATH_MAX - 1,
			  normalize_path, &c->readonly_paths, &c->nreadonly_paths, e)) < 0 ||
	    (r = parse_sysctl(lx, c, e)) < 0 ||
	    (r = dup_string(lx, "linux", "cgroupsPath", MSG_PATH_MAX - 1, &c->cgroups_path, e)) < 0)
		return r;
	return 0;
}

/* --- config.json ------------------------------------------------------------------ */

void bundle_config_free(struct bundle_config *c)
{
	if (!c)
		return;
	free(c->oci_version);
	bundle_process_free(&c->process);
	free(c->root_path);
	free(c->hostname);
	for (size_t i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].type);
		free(c->mounts[i].source);
		strv_free(c->mounts[i].options);
	}
	free(c->mounts);
	for (int k = 0; k < BUNDLE_HOOK__MAX; k++) {
		for (size_t i = 0; i < c->nhooks[k]; i++) {
			free(c->hooks[k][i].path);
			strv_free(c->hooks[k][i].args);
			strv_free(c->hooks[k][i].env);
		}
		free(c->hooks[k]);
	}
	strv_free(c->annotation_keys);
	strv_free(c->annotation_values);
	free(c->cpuset_cpus);
	seccomp_profile_free(c->seccomp);
	strv_free(c->masked_paths);
	strv_free(c->readonly_paths);
	strv_free(c->sysctl_keys);
	strv_free(c->sysctl_values);
	free(c->cgroups_path);
	memset(c, 0, sizeof(*c));
}

static int parse_config(json_t *root, struct bundle_config *c, struct error *e)
{
	json_t *process = NULL;
	int r;

	if ((r = parse_version(root, c, e)) < 0 ||
	    (r = get_object(root, "", "process", OPTIONAL, &process, e)) < 0 ||
	    (process && (r = parse_process(process, "process", &c->process, e)) < 0) ||
	    (r = parse_root(root, c, e)) < 0 || (r = parse_hostname(root, c, e)) < 0 ||
	    (r = parse_mounts(root, c, e)) < 0 || (r = parse_hooks(root, c, e)) < 0 ||
	    (r = parse_annotations(root, c, e)) < 0 || (r = parse_linux(root, c, e)) < 0)
		return r;
	c->has_process = process != NULL;
	return 0;
}

int bundle_config_parse(const char *json, size_t len, struct bundle_config *ret, struct error *e)
{
	json_auto_t *root = load(json, len, e);
	struct bundle_config c = {0};

	memset(ret, 0, sizeof(*ret));
	if (!root || parse_config(root, &c, e) < 0) {
		bundle_config_free(&c);
		return error_prefix(e, "config.json");
	}
	*ret = c;
	return 0;
}

const char *bundle_annotation(const struct bundle_config *c, const char *key)
{
	for (size_t i = 0; i < c->nannotations; i++)
		if (strcmp(c->annotation_keys[i], key) == 0)
			return c->annotation_values[i];
	return NULL;
}

bool bundle_mount_has_option(const struct bundle_mount *m, const char *option)
{
	for (size_t i = 0; i < m->noptions; i++)
		if (strcmp(m->options[i], option) == 0)
			return true;
	return false;
}
