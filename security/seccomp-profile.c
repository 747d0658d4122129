#include "seccomp-profile.h"

#include <errno.h>
#include <jansson.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "util.h"

/* Input quoted in an error message. */
#define QUOTE_MAX 80

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* Seccomp filter flags in the kernel's UAPI since 6.0; older headers lack
 * the last one. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static const char *const action_names[] = {
    [SECCOMP_PROFILE_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [SECCOMP_PROFILE_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [SECCOMP_PROFILE_ACT_TRAP] = "SCMP_ACT_TRAP",
    [SECCOMP_PROFILE_ACT_ERRNO] = "SCMP_ACT_ERRNO",
    [SECCOMP_PROFILE_ACT_TRACE] = "SCMP_ACT_TRACE",
    [SECCOMP_PROFILE_ACT_ALLOW] = "SCMP_ACT_ALLOW",
    [SECCOMP_PROFILE_ACT_LOG] = "SCMP_ACT_LOG",
};

static const char *const op_names[] = {
    [SECCOMP_PROFILE_OP_NE] = "SCMP_CMP_NE",
    [SECCOMP_PROFILE_OP_LT] = "SCMP_CMP_LT",
    [SECCOMP_PROFILE_OP_LE] = "SCMP_CMP_LE",
    [SECCOMP_PROFILE_OP_EQ] = "SCMP_CMP_EQ",
    [SECCOMP_PROFILE_OP_GE] = "SCMP_CMP_GE",
    [SECCOMP_PROFILE_OP_GT] = "SCMP_CMP_GT",
    [SECCOMP_PROFILE_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

/* Each architecture as "architectures" and "archMap" name it (libseccomp's
 * names), and as includes/excludes do (Go's GOARCH, which Docker compares
 * with its own; Docker's default profile also writes "x86" and "x32"). */
static const struct {
	const char *scmp, *go, *go_alias;
} arch_names[SECCOMP_PROFILE_ARCH__MAX] = {
    [SECCOMP_PROFILE_ARCH_X86] = {"SCMP_ARCH_X86", "386", "x86"},
    [SECCOMP_PROFILE_ARCH_X86_64] = {"SCMP_ARCH_X86_64", "amd64", "x86_64"},
    [SECCOMP_PROFILE_ARCH_X32] = {"SCMP_ARCH_X32", "x32", NULL},
    [SECCOMP_PROFILE_ARCH_ARM] = {"SCMP_ARCH_ARM", "arm", NULL},
    [SECCOMP_PROFILE_ARCH_AARCH64] = {"SCMP_ARCH_AARCH64", "arm64", "aarch64"},
    [SECCOMP_PROFILE_ARCH_MIPS] = {"SCMP_ARCH_MIPS", "mips", NULL},
    [SECCOMP_PROFILE_ARCH_MIPS64] = {"SCMP_ARCH_MIPS64", "mips64", NULL},
    [SECCOMP_PROFILE_ARCH_MIPS64N32] = {"SCMP_ARCH_MIPS64N32", "mips64n32", NULL},
    [SECCOMP_PROFILE_ARCH_MIPSEL] = {"SCMP_ARCH_MIPSEL", "mipsle", NULL},
    [SECCOMP_PROFILE_ARCH_MIPSEL64] = {"SCMP_ARCH_MIPSEL64", "mips64le", NULL},
    [SECCOMP_PROFILE_ARCH_MIPSEL64N32] = {"SCMP_ARCH_MIPSEL64N32", "mips64len32", NULL},
    [SECCOMP_PROFILE_ARCH_PPC] = {"SCMP_ARCH_PPC", "ppc", NULL},
    [SECCOMP_PROFILE_ARCH_PPC64] = {"SCMP_ARCH_PPC64", "ppc64", NULL},
    [SECCOMP_PROFILE_ARCH_PPC64LE] = {"SCMP_ARCH_PPC64LE", "ppc64le", NULL},
    [SECCOMP_PROFILE_ARCH_S390] = {"SCMP_ARCH_S390", "s390", NULL},
    [SECCOMP_PROFILE_ARCH_S390X] = {"SCMP_ARCH_S390X", "s390x", NULL},
    [SECCOMP_PROFILE_ARCH_PARISC] = {"SCMP_ARCH_PARISC", "parisc", NULL},
    [SECCOMP_PROFILE_ARCH_PARISC64] = {"SCMP_ARCH_PARISC64", "parisc64", NULL},
    [SECCOMP_PROFILE_ARCH_RISCV64] = {"SCMP_ARCH_RISCV64", "riscv64", NULL},
    [SECCOMP_PROFILE_ARCH_LOONGARCH64] = {"SCMP_ARCH_LOONGARCH64", "loong64", NULL},
    [SECCOMP_PROFILE_ARCH_M68K] = {"SCMP_ARCH_M68K", "m68k", NULL},
    [SECCOMP_PROFILE_ARCH_SH] = {"SCMP_ARCH_SH", "sh", NULL},
    [SECCOMP_PROFILE_ARCH_SHEB] = {"SCMP_ARCH_SHEB", "sheb", NULL},
};

static const struct {
	const char *name;
	uint32_t flag;
} flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

const char *seccomp_profile_action_name(enum seccomp_profile_action a)
{
	return (unsigned)a < ARRAY_SIZE(action_names) ? action_names[a] : "?";
}

static const char *type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	default:
		return "a value of the expected type";
	}
}

/* --- getting fields --------------------------------------------------------- */

/* Every key of obj is among the NULL-terminated keys: a misplaced field
 * ("index" beside "names") is a mistake worth saying, not ignoring. */
static int check_keys(const json_t *obj, const char *where, const char *const *keys,
		      struct error *e)
{
	char q[QUOTE_MAX];
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;
		for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
			;
		if (!keys[i])
			return error_set(e, EBADMSG, "%s%sunknown field %s", where,
					 *where ? ": " : "", error_quote(q, sizeof(q), key));
	}
	return 0;
}

/* The member key of obj if it has type t; *ret NULL when it is absent or
 * null (an error if required). */
static int get_member(const json_t *obj, const char *where, const char *key, json_type t,
		      bool required, json_t **ret, struct error *e)
{
	json_t *v = json_object_get(obj, key);
	char name[ERROR_FIELD_MAX];

	*ret = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return error_set(e, EBADMSG, "%s: missing", error_field(name, where, key));
		return 0;
	}
	if (json_typeof(v) != t)
		return error_set(e, EBADMSG, "%s: not %s", error_field(name, where, key), type_name(t));
	*ret = v;
	return 0;
}

/* A string without NUL of 1..max bytes. */
static int string_value(const json_t *v, const char *name, size_t max, const char **ret,
			struct error *e)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (len == 0)
		return error_set(e, EBADMSG, "%s: empty", name);
	if (len > max)
		return error_set(e, EBADMSG, "%s: longer than %zu bytes", name, max);
	if (strlen(s) != len)
		return error_set(e, EBADMSG, "%s: contains a NUL byte", name);
	*ret = s;
	return 0;
}

/* An integer in [0, max]; *ret untouched when absent and not required. */
static int get_uint(const json_t *obj, const char *where, const char *key, bool required,
		    uint64_t max, uint64_t *ret, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	json_int_t i;
	json_t *v;

	if (get_member(obj, where, key, JSON_INTEGER, required, &v, e) < 0)
		return -EBADMSG;
	if (!v)
		return 0;
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return error_set(e, EBADMSG, "%s: %lld is out of range [0, %llu]",
				 error_field(name, where, key), (long long)i, (unsigned long long)max);
	*ret = (uint64_t)i;
	return 0;
}

/* An array of at most max entries; *ret NULL when absent or null. */
static int get_array(const json_t *obj, const char *where, const char *key, size_t max,
		     json_t **ret, struct error *e)
{
	char name[ERROR_FIELD_MAX];

	if (get_member(obj, where, key, JSON_ARRAY, false, ret, e) < 0)
		return -EBADMSG;
	if (*ret && json_array_size(*ret) > max)
		return error_set(e, EBADMSG, "%s: more than %zu entries", error_field(name, where, key),
				 max);
	return 0;
}

/* Entry i of array a, which must be a string of 1..max bytes. */
static int array_string(const json_t *a, const char *name, size_t i, size_t max, const char **ret,
			struct error *e)
{
	json_t *v = json_array_get(a, i);
	char item[ERROR_FIELD_MAX];

	error_element(item, name, i);
	if (!json_is_string(v))
		return error_set(e, EBADMSG, "%s: not a string", item);
	return string_value(v, item, max, ret, e);
}

/* --- values ------------------------------------------------------------------ */

static int parse_action(const json_t *obj, const char *where, const char *key,
			enum seccomp_profile_action *ret, struct error *e)
{
	char name[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *s;
	json_t *v;

	if (get_member(obj, where, key, JSON_STRING, true, &v, e) < 0 ||
	    string_value(v, error_field(name, where, key), QUOTE_MAX, &s, e) < 0)
		return -EBADMSG;
	if (strcmp(s, "SCMP_ACT_KILL") == 0) {
		*ret = SECCOMP_PROFILE_ACT_KILL_THREAD;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(action_names); i++)
		if (strcmp(s, action_names[i]) == 0) {
			*ret = (enum seccomp_profile_action)i;
			return 0;
		}
	if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
		return error_set(e, EOPNOTSUPP,
				 "%s: SCMP_ACT_NOTIFY is not supported: this runtime has no "
				 "seccomp notification listener",
				 name);
	return error_set(e, EBADMSG, "%s: unknown action %s", name, error_quote(q, sizeof(q), s));
}

/* errnoRet of an ERRNO or TRACE action: EPERM when absent. */
static int parse_errno(const json_t *obj, const char *where, const char *key, uint16_t *ret,
		       struct error *e)
{
	uint64_t v = EPERM;

	if (get_uint(obj, where, key, false, SECCOMP_PROFILE_ERRNO_MAX, &v, e) < 0)
		return -EBADMSG;
	*ret = (uint16_t)v;
	return 0;
}

static int parse_op(const json_t *obj, const char *where, enum seccomp_profile_op *ret,
		    struct error *e)
{
	char name[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *s;
	json_t *v;

	if (get_member(obj, where, "op", JSON_STRING, true, &v, e) < 0 ||
	    string_value(v, error_field(name, where, "op"), QUOTE_MAX, &s, e) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
		if (strcmp(s, op_names[i]) == 0) {
			*ret = (enum seccomp_profile_op)i;
			return 0;
		}
	return error_set(e, EBADMSG, "%s: unknown operator %s", name, error_quote(q, sizeof(q), s));
}

/* "SCMP_ARCH_X86_64" and the like. */
static int scmp_arch(const char *s, const char *name, enum seccomp_profile_arch *ret,
		     struct error *e)
{
	char q[QUOTE_MAX];

	for (int a = 0; a < SECCOMP_PROFILE_ARCH__MAX; a++)
		if (strcmp(s, arch_names[a].scmp) == 0) {
			*ret = (enum seccomp_profile_arch)a;
			return 0;
		}
	return error_set(e, EBADMSG, "%s: unknown architecture %s", name, error_quote(q, sizeof(q), s));
}

/* An array of SCMP_ARCH_* names, as a mask. */
static int parse_scmp_arches(const json_t *obj, const char *where, const char *key, uint32_t *ret,
			     struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX];
	enum seccomp_profile_arch arch;
	uint32_t mask = 0;
	const char *s;
	json_t *a;

	if (get_array(obj, where, key, SECCOMP_PROFILE_LIST_MAX, &a, e) < 0)
		return -EBADMSG;
	error_field(name, where, key);
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		if (array_string(a, name, i, QUOTE_MAX, &s, e) < 0 ||
		    scmp_arch(s, error_element(item, name, i), &arch, e) < 0)
			return -EBADMSG;
		mask |= SECCOMP_PROFILE_ARCH_BIT(arch);
	}
	*ret = mask;
	return 0;
}

static int parse_archmap_entry(const json_t *v, const char *where,
			       struct seccomp_profile_archmap *ret, struct error *e)
{
	static const char *const keys[] = {"architecture", "subArchitectures", NULL};
	char name[ERROR_FIELD_MAX];
	const char *s;
	json_t *arch;

	if (!json_is_object(v))
		return error_set(e, EBADMSG, "%s: not an object", where);
	if (check_keys(v, where, keys, e) < 0 ||
	    get_member(v, where, "architecture", JSON_STRING, true, &arch, e) < 0 ||
	    string_value(arch, error_field(name, where, "architecture"), QUOTE_MAX, &s, e) < 0 ||
	    scmp_arch(s, name, &ret->arch, e) < 0)
		return -EBADMSG;
	return parse_scmp_arches(v, where, "subArchitectures", &ret->subarches, e);
}

static int parse_archmap(const json_t *root, struct seccomp_profile *p, struct error *e)
{
	char item[ERROR_FIELD_MAX];
	json_t *a;

	if (get_array(root, "", "archMap", SECCOMP_PROFILE_LIST_MAX, &a, e) < 0)
		return -EBADMSG;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		if (parse_archmap_entry(json_array_get(a, i), error_element(item, "archMap", i),
					&p->archmap[i], e) < 0)
			return -EBADMSG;
		p->narchmap = i + 1;
	}
	return 0;
}

static int parse_flags(const json_t *root, uint32_t *ret, struct error *e)
{
	char item[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *s;
	json_t *a;

	if (get_array(root, "", "flags", SECCOMP_PROFILE_LIST_MAX, &a, e) < 0)
		return -EBADMSG;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		size_t f;
		if (array_string(a, "flags", i, QUOTE_MAX, &s, e) < 0)
			return -EBADMSG;
		for (f = 0; f < ARRAY_SIZE(flag_names) && strcmp(s, flag_names[f].name) != 0; f++)
			;
		if (f == ARRAY_SIZE(flag_names))
			return error_set(e, EBADMSG, "%s: unknown flag %s",
					 error_element(item, "flags", i), error_quote(q, sizeof(q), s));
		*ret |= flag_names[f].flag;
	}
	return 0;
}

/* Refused rather than ignored: a profile that expects a listener would
 * silently lose the decisions it delegates to it. */
static int check_no_listener(const json_t *root, struct error *e)
{
	const char *const keys[] = {"listenerPath", "listenerMetadata"};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(root, keys[i]);
		if (v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0))
			return error_set(e, EOPNOTSUPP,
					 "%s: not supported: this runtime has no seccomp "
					 "notification listener",
					 keys[i]);
	}
	return 0;
}

/* --- includes / excludes ------------------------------------------------------ */

/* Docker's arch names; one it does not know never matches. */
static void go_arch(const char *s, struct seccomp_profile_filter *f)
{
	for (int a = 0; a < SECCOMP_PROFILE_ARCH__MAX; a++)
		if (strcmp(s, arch_names[a].go) == 0 ||
		    (arch_names[a].go_alias && strcmp(s, arch_names[a].go_alias) == 0)) {
			f->arches |= SECCOMP_PROFILE_ARCH_BIT(a);
			return;
		}
	f->other_arch = true;
}

static int parse_filter_arches(const json_t *obj, const char *where,
			       struct seccomp_profile_filter *f, struct error *e)
{
	char name[ERROR_FIELD_MAX];
	const char *s;
	json_t *a;

	if (get_array(obj, where, "arches", SECCOMP_PROFILE_LIST_MAX, &a, e) < 0)
		return -EBADMSG;
	error_field(name, where, "arches");
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		if (array_string(a, name, i, SECCOMP_PROFILE_ARCH_NAME_MAX, &s, e) < 0)
			return -EBADMSG;
		go_arch(s, f);
	}
	return 0;
}

static int parse_filter_caps(const json_t *obj, const char *where, struct seccomp_profile_filter *f,
			     struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *s;
	json_t *a;
	int cap;

	if (get_array(obj, where, "caps", SECCOMP_PROFILE_LIST_MAX, &a, e) < 0)
		return -EBADMSG;
	error_field(name, where, "caps");
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		if (array_string(a, name, i, QUOTE_MAX, &s, e) < 0)
			return -EBADMSG;
		if (caps_parse(s, &cap, NULL) < 0)
			return error_set(e, EBADMSG, "%s: unknown capability %s",
					 error_element(item, name, i), error_quote(q, sizeof(q), s));
		f->caps |= UINT64_C(1) << cap;
	}
	return 0;
}

/* "4.8": two decimal numbers; "" means no condition, as in Docker. */
static int parse_kernel_version(const char *s, uint16_t *ret_major, uint16_t *ret_minor)
{
	unsigned long part[2] = {0, 0};

	for (int i = 0; i < 2; i++) {
		const char *start = s;
		while (*s >= '0' && *s <= '9' && s - start <= 5)
			part[i] = part[i] * 10 + (unsigned long)(*s++ - '0');
		if (s == start || part[i] > SECCOMP_PROFILE_KERNEL_PART_MAX ||
		    *s != (i == 0 ? '.' : '\0'))
			return -EBADMSG;
		s++;
	}
	*ret_major = (uint16_t)part[0];
	*ret_minor = (uint16_t)part[1];
	return 0;
}

static int parse_min_kernel(const json_t *obj, const char *where, struct seccomp_profile_filter *f,
			    struct error *e)
{
	char name[ERROR_FIELD_MAX], q[QUOTE_MAX];
	const char *s;
	json_t *v;

	if (get_member(obj, where, "minKernel", JSON_STRING, false, &v, e) < 0)
		return -EBADMSG;
	if (!v || json_string_length(v) == 0)
		return 0;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v) ||
	    parse_kernel_version(s, &f->min_kernel_major, &f->min_kernel_minor) < 0)
		return error_set(e, EBADMSG, "%s: invalid kernel version %s, expected \"X.Y\"",
				 error_field(name, where, "minKernel"), error_quote(q, sizeof(q), s));
	f->has_min_kernel = true;
	return 0;
}

static int parse_filter(const json_t *rule, const char *where, const char *key,
			struct seccomp_profile_filter *f, struct error *e)
{
	static const char *const keys[] = {"caps", "arches", "minKernel", NULL};
	char name[ERROR_FIELD_MAX];
	json_t *obj;

	if (get_member(rule, where, key, JSON_OBJECT, false, &obj, e) < 0)
		return -EBADMSG;
	if (!obj)
		return 0;
	error_field(name, where, key);
	if (check_keys(obj, name, keys, e) < 0 || parse_filter_caps(obj, name, f, e) < 0 ||
	    parse_filter_arches(obj, name, f, e) < 0 || parse_min_kernel(obj, name, f, e) < 0)
		return -EBADMSG;
	return 0;
}

/* --- syscalls[] ------------------------------------------------------------------ */

/* What the whole profile has used of its limits so far. */
struct budget {
	size_t names, conditions;
};

static bool valid_syscall_name(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static int add_name(struct seccomp_profile_rule *r, char **v, const char *s, const char *name,
		    struct budget *b, struct error *e)
{
	char q[QUOTE_MAX];

	if (!valid_syscall_name(s))
		return error_set(e, EBADMSG, "%s: invalid syscall name %s", name, error_quote(q, sizeof(q), s));
	if (++b->names > SECCOMP_PROFILE_TOTAL_NAMES_MAX)
		return error_set(e, EFBIG, "%s: more than %d syscall names in the profile", name,
				 SECCOMP_PROFILE_TOTAL_NAMES_MAX);
	v[r->nnames++] = xstrdup(s);
	return 0;
}

/* names[], or Docker's older "name": one of them, not both. */
static int parse_names(const json_t *obj, const char *where, struct seccomp_profile_rule *r,
		       struct budget *b, struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX];
	json_t *a, *single;
	const char *s;
	char **v;

	if (get_array(obj, where, "names", SECCOMP_PROFILE_NAMES_MAX, &a, e) < 0 ||
	    get_member(obj, where, "name", JSON_STRING, false, &single, e) < 0)
		return -EBADMSG;
	if (a && single)
		return error_set(e, EBADMSG, "%s: both \"name\" and \"names\"; use \"names\"",
				 where);
	if (!a && !single)
		return error_set(e, EBADMSG, "%s: missing names", where);
	v = xcalloc(a ? json_array_size(a) + 1 : 2, sizeof(*v));
	r->names = (const char *const *)v;
	if (single) {
		if (string_value(single, error_field(name, where, "name"), SECCOMP_PROFILE_NAME_MAX, &s,
				 e) < 0)
			return -EBADMSG;
		return add_name(r, v, s, name, b, e);
	}
	error_field(name, where, "names");
	for (size_t i = 0; i < json_array_size(a); i++)
		if (array_string(a, name, i, SECCOMP_PROFILE_NAME_MAX, &s, e) < 0 ||
		    add_name(r, v, s, error_element(item, name, i), b, e) < 0)
			return -e->code;
	return 0;
}

static int parse_arg(const json_t *v, const char *where, struct seccomp_profile_arg *ret,
		     struct error *e)
{
	static const char *const keys[] = {"index", "value", "valueTwo", "op", NULL};
	uint64_t index = 0;

	if (!json_is_object(v))
		return error_set(e, EBADMSG, "%s: not an object", where);
	if (check_keys(v, where, keys, e) < 0 ||
	    get_uint(v, where, "index", true, SECCOMP_PROFILE_ARGS_MAX - 1, &index, e) < 0 ||
	    get_uint(v, where, "value", true, SECCOMP_PROFILE_VALUE_MAX, &ret->value, e) < 0 ||
	    get_uint(v, where, "valueTwo", false, SECCOMP_PROFILE_VALUE_MAX, &ret->value_two, e) <
		0 ||
	    parse_op(v, where, &ret->op, e) < 0)
		return -EBADMSG;
	ret->index = (unsigned)index;
	return 0;
}

static int parse_args(const json_t *obj, const char *where, struct seccomp_profile_rule *r,
		      struct error *e)
{
	char name[ERROR_FIELD_MAX], item[ERROR_FIELD_MAX];
	json_t *a;

	if (get_array(obj, where, "args", SECCOMP_PROFILE_ARGS_MAX, &a, e) < 0)
		return -EBADMSG;
	error_field(name, where, "args");
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		if (parse_arg(json_array_get(a, i), error_element(item, name, i), &r->args[i], e) < 0)
			return -EBADMSG;
		r->nargs = i + 1;
	}
	return 0;
}

/* libseccomp's time grows much faster than linearly with the argument
 * conditions it is given (several seconds for a few hundred on one call),
 * so their number is bounded before it sees them. */
static int count_conditions(const struct seccomp_profile_rule *r, const char *where,
			    struct budget *b, struct error *e)
{
	b->conditions += r->nnames * r->nargs;
	if (b->conditions > SECCOMP_PROFILE_CONDITIONS_MAX)
		return error_set(e, EFBIG,
				 "%s: more than %d argument conditions (names times args) in the "
				 "profile",
				 where, SECCOMP_PROFILE_CONDITIONS_MAX);
	return 0;
}

static int parse_rule(const json_t *v, const char *where, struct seccomp_profile_rule *r,
		      struct budget *b, struct error *e)
{
	static const char *const keys[] = {"names",   "name",	  "action",   "errnoRet", "args",
					   "comment", "includes", "excludes", NULL};
	json_t *comment;

	if (!json_is_object(v))
		return error_set(e, EBADMSG, "%s: not an object", where);
	if (check_keys(v, where, keys, e) < 0 || parse_names(v, where, r, b, e) < 0 ||
	    parse_action(v, where, "action", &r->action, e) < 0 ||
	    parse_errno(v, where, "errnoRet", &r->errno_ret, e) < 0 ||
	    parse_args(v, where, r, e) < 0 || count_conditions(r, where, b, e) < 0 ||
	    get_member(v, where, "comment", JSON_STRING, false, &comment, e) < 0 ||
	    parse_filter(v, where, "includes", &r->includes, e) < 0 ||
	    parse_filter(v, where, "excludes", &r->excludes, e) < 0)
		return -e->code;
	return 0;
}

static int parse_rules(const json_t *root, struct seccomp_profile *p, struct error *e)
{
	char item[ERROR_FIELD_MAX];
	struct seccomp_profile_rule *rules;
	struct budget budget = {0};
	size_t n;
	json_t *a;

	if (get_array(root, "", "syscalls", SECCOMP_PROFILE_RULES_MAX, &a, e) < 0)
		return -e->code;
	if (!a)
		return 0;
	n = json_array_size(a);
	rules = xcalloc(n + 1, sizeof(*rules));
	p->rules = rules;
	p->nrules = n;
	for (size_t i = 0; i < n; i++)
		if (parse_rule(json_array_get(a, i), error_element(item, "syscalls", i), &rules[i],
			       &budget, e) < 0)
			return -e->code;
	return 0;
}

/* --- the document ----------------------------------------------------------------- */

static int parse_top(const json_t *root, struct seccomp_profile *p, struct error *e)
{
	static const char *const keys[] = {
	    "defaultAction", "defaultErrnoRet", "architectures",    "archMap", "flags",
	    "syscalls",	     "listenerPath",	"listenerMetadata", NULL};

	if (check_keys(root, "", keys, e) < 0 || check_no_listener(root, e) < 0 ||
	    parse_action(root, "", "defaultAction", &p->default_action, e) < 0 ||
	    parse_errno(root, "", "defaultErrnoRet", &p->default_errno, e) < 0 ||
	    parse_scmp_arches(root, "", "architectures", &p->arches, e) < 0 ||
	    parse_archmap(root, p, e) < 0 || parse_flags(root, &p->flags, e) < 0)
		return -e->code;
	if (p->arches && p->narchmap)
		return error_set(e, EBADMSG, "both \"architectures\" and \"archMap\"; use one");
	return parse_rules(root, p, e);
}

int seccomp_profile_from_json(const struct json_t *obj, struct seccomp_profile **ret,
			      struct error *e)
{
	struct seccomp_profile *p;

	if (!json_is_object(obj))
		return error_set(e, EBADMSG, "seccomp profile: not a JSON object");
	p = xcalloc(1, sizeof(*p));
	if (parse_top(obj, p, e) < 0) {
		seccomp_profile_free(p);
		return error_prefix(e, "seccomp profile");
	}
	*ret = p;
	return 0;
}

int seccomp_profile_parse(const char *json, size_t len, struct seccomp_profile **ret,
			  struct error *e)
{
	json_error_t jerr;
	json_t *root;
	int r;

	if (len > SECCOMP_PROFILE_JSON_MAX)
		return error_set(e, EFBIG,
				 "seccomp profile: %zu bytes is larger than the limit of %u", len,
				 SECCOMP_PROFILE_JSON_MAX);
	root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		error_make_printable(jerr.text);
		return error_set(e, EBADMSG,
				 "seccomp profile: invalid JSON at line %d, column %d: %s",
				 jerr.line, jerr.column, jerr.text);
	}
	r = seccomp_profile_from_json(root, ret, e);
	json_decref(root);
	return r;
}

void seccomp_profile_free(struct seccomp_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->rules && i < p->nrules; i++) {
		const struct seccomp_profile_rule *r = &p->rules[i];
		for (size_t j = 0; j < r->nnames; j++)
			free((char *)r->names[j]);
		free((char **)r->names);
	}
	free((struct seccomp_profile_rule *)p->rules);
	free(p);
}
