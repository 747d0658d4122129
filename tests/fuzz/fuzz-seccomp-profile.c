/* The seccomp profile parser and compiler (security/seccomp-profile.c,
 * security/seccomp-compile.c): the input is one profile as a user's file
 * or a bundle's config.json holds it.
 *
 * Checks, beyond not crashing: every error comes with a printable message
 * and a code that matches the return value; what is accepted is within the
 * documented bounds (counts, name lengths and characters, argument
 * indexes, errno values, known actions, operators, architectures and
 * flags); and an accepted profile compiles, for a few capability sets, to
 * a program the kernel could load (1..4096 instructions) or is refused as
 * too large or by libseccomp, with a message. */
#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>

#include "caps.h"
#include "fuzz.h"
#include "seccomp-compile.h"
#include "seccomp-profile.h"

#define KNOWN_FLAGS                                                                                \
	(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |    \
	 (1u << 5) /* WAIT_KILLABLE_RECV */)
#define ALL_ARCHES ((UINT32_C(1) << SECCOMP_PROFILE_ARCH__MAX) - 1)

static void check_error(int r, const struct error *e)
{
	FUZZ_CHECK(r < 0);
	FUZZ_CHECK(e->code > 0 && r == -e->code);
	FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)));
	FUZZ_CHECK(e->msg[0] != '\0');
	FUZZ_CHECK(fuzz_text_printable(e->msg));
}

static int valid_name(const char *s)
{
	size_t len = strnlen(s, SECCOMP_PROFILE_NAME_MAX + 1);

	if (len == 0 || len > SECCOMP_PROFILE_NAME_MAX)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

static void check_filter(const struct seccomp_profile_filter *f)
{
	FUZZ_CHECK((f->caps & ~CAPS_ALL) == 0);
	FUZZ_CHECK((f->arches & ~ALL_ARCHES) == 0);
	FUZZ_CHECK(f->has_min_kernel || (f->min_kernel_major == 0 && f->min_kernel_minor == 0));
}

static void check_rule(const struct seccomp_profile_rule *r, size_t *total)
{
	FUZZ_CHECK(r->nnames <= SECCOMP_PROFILE_NAMES_MAX && (r->names || r->nnames == 0));
	for (size_t i = 0; i < r->nnames; i++)
		FUZZ_CHECK(valid_name(r->names[i]));
	*total += r->nnames;
	FUZZ_CHECK((unsigned)r->action <= SECCOMP_PROFILE_ACT_LOG);
	FUZZ_CHECK(r->errno_ret <= SECCOMP_PROFILE_ERRNO_MAX);
	FUZZ_CHECK(r->nargs <= SECCOMP_PROFILE_ARGS_MAX);
	for (size_t i = 0; i < r->nargs; i++) {
		FUZZ_CHECK(r->args[i].index < SECCOMP_PROFILE_ARGS_MAX);
		FUZZ_CHECK(r->args[i].value <= SECCOMP_PROFILE_VALUE_MAX);
		FUZZ_CHECK(r->args[i].value_two <= SECCOMP_PROFILE_VALUE_MAX);
		FUZZ_CHECK((unsigned)r->args[i].op <= SECCOMP_PROFILE_OP_MASKED_EQ);
	}
	check_filter(&r->includes);
	check_filter(&r->excludes);
}

static void check_profile(const struct seccomp_profile *p)
{
	size_t total = 0;

	FUZZ_CHECK((unsigned)p->default_action <= SECCOMP_PROFILE_ACT_LOG);
	FUZZ_CHECK(p->default_errno <= SECCOMP_PROFILE_ERRNO_MAX);
	FUZZ_CHECK((p->arches & ~ALL_ARCHES) == 0);
	FUZZ_CHECK(p->narchmap <= SECCOMP_PROFILE_LIST_MAX);
	FUZZ_CHECK(!p->arches || !p->narchmap);
	for (size_t i = 0; i < p->narchmap; i++) {
		FUZZ_CHECK((unsigned)p->archmap[i].arch < SECCOMP_PROFILE_ARCH__MAX);
		FUZZ_CHECK((p->archmap[i].subarches & ~ALL_ARCHES) == 0);
	}
	FUZZ_CHECK((p->flags & ~KNOWN_FLAGS) == 0);
	FUZZ_CHECK(p->nrules <= SECCOMP_PROFILE_RULES_MAX && (p->rules || p->nrules == 0));
	for (size_t i = 0; i < p->nrules; i++)
		check_rule(&p->rules[i], &total);
	FUZZ_CHECK(total <= SECCOMP_PROFILE_TOTAL_NAMES_MAX);
}

static void compile(const struct seccomp_profile *p, uint64_t caps)
{
	struct seccomp_bpf b = {0};
	struct error e = {0};
	int r = seccomp_profile_compile(p, caps, &b, &e);

	if (r < 0) {
		check_error(r, &e);
		FUZZ_CHECK(r == -E2BIG || r == -EINVAL);
		FUZZ_CHECK(!b.insns && b.ninsns == 0);
		return;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(b.insns && b.ninsns >= 1 && b.ninsns <= SECCOMP_BPF_INSNS_MAX);
	/* The last instruction returns: the kernel's checker insists. */
	FUZZ_CHECK(BPF_CLASS(b.insns[b.ninsns - 1].code) == BPF_RET);
	FUZZ_CHECK((b.flags & ~p->flags) == 0);
	seccomp_bpf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seccomp_profile *p = NULL;
	struct error e = {0};
	int r = seccomp_profile_parse((const char *)data, size, &p, &e);

	if (r < 0) {
		check_error(r, &e);
		FUZZ_CHECK(r == -EBADMSG || r == -EFBIG || r == -EOPNOTSUPP);
		FUZZ_CHECK(!p);
		return 0;
	}
	FUZZ_CHECK(r == 0 && p);
	check_profile(p);
	compile(p, 0);
	compile(p, caps_docker_default());
	compile(p, caps_all());
	seccomp_profile_free(p);
	return 0;
}
