#include "seccomp-compile.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define ARCH(a) SECCOMP_PROFILE_ARCH_BIT(SECCOMP_PROFILE_ARCH_##a)

/* This machine's architecture, which the guest shares (KVM), and the ABIs
 * its kernel runs besides its own. */
#if defined(__x86_64__)
#define NATIVE SECCOMP_PROFILE_ARCH_X86_64
#define NATIVE_FAMILY (ARCH(X86_64) | ARCH(X86) | ARCH(X32))
#elif defined(__aarch64__)
#define NATIVE SECCOMP_PROFILE_ARCH_AARCH64
#define NATIVE_FAMILY (ARCH(AARCH64) | ARCH(ARM))
#else
#error "seccomp-compile.c knows x86_64 and aarch64 hosts only"
#endif

/* libseccomp's API level 6: what Linux 6.1 offers (KILL_PROCESS and LOG
 * actions, among others). */
#define GUEST_API_LEVEL 6

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release)

static const enum scmp_compare ops[] = {
    [SECCOMP_PROFILE_OP_NE] = SCMP_CMP_NE,
    [SECCOMP_PROFILE_OP_LT] = SCMP_CMP_LT,
    [SECCOMP_PROFILE_OP_LE] = SCMP_CMP_LE,
    [SECCOMP_PROFILE_OP_EQ] = SCMP_CMP_EQ,
    [SECCOMP_PROFILE_OP_GE] = SCMP_CMP_GE,
    [SECCOMP_PROFILE_OP_GT] = SCMP_CMP_GT,
    [SECCOMP_PROFILE_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static uint32_t scmp_action(enum seccomp_profile_action a, uint16_t errno_ret)
{
	switch (a) {
	case SECCOMP_PROFILE_ACT_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case SECCOMP_PROFILE_ACT_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case SECCOMP_PROFILE_ACT_TRAP:
		return SCMP_ACT_TRAP;
	case SECCOMP_PROFILE_ACT_ERRNO:
		return SCMP_ACT_ERRNO(errno_ret);
	case SECCOMP_PROFILE_ACT_TRACE:
		return SCMP_ACT_TRACE(errno_ret);
	case SECCOMP_PROFILE_ACT_ALLOW:
		return SCMP_ACT_ALLOW;
	case SECCOMP_PROFILE_ACT_LOG:
		return SCMP_ACT_LOG;
	}
	return SCMP_ACT_KILL_PROCESS; /* not reached: the parser knows no other */
}

static uint32_t scmp_arch(enum seccomp_profile_arch a)
{
	switch (a) {
	case SECCOMP_PROFILE_ARCH_X86:
		return SCMP_ARCH_X86;
	case SECCOMP_PROFILE_ARCH_X86_64:
		return SCMP_ARCH_X86_64;
	case SECCOMP_PROFILE_ARCH_X32:
		return SCMP_ARCH_X32;
	case SECCOMP_PROFILE_ARCH_ARM:
		return SCMP_ARCH_ARM;
	case SECCOMP_PROFILE_ARCH_AARCH64:
		return SCMP_ARCH_AARCH64;
	default:
		return 0; /* not in any NATIVE_FAMILY */
	}
}

/* The architectures the filter covers: this machine's, and those of its
 * family that the profile lists (Docker: the archMap entry of this
 * machine; OCI: architectures). */
static uint32_t filter_arches(const struct seccomp_profile *p)
{
	uint32_t listed = p->arches;

	for (size_t i = 0; i < p->narchmap; i++)
		if (p->archmap[i].arch == NATIVE)
			listed |= SECCOMP_PROFILE_ARCH_BIT(NATIVE) | p->archmap[i].subarches;
	return (listed & NATIVE_FAMILY) | SECCOMP_PROFILE_ARCH_BIT(NATIVE);
}

static bool guest_kernel_at_least(const struct seccomp_profile_filter *f)
{
	if (f->min_kernel_major != SECCOMP_GUEST_KERNEL_MAJOR)
		return f->min_kernel_major < SECCOMP_GUEST_KERNEL_MAJOR;
	return f->min_kernel_minor <= SECCOMP_GUEST_KERNEL_MINOR;
}

/* Docker's reading of includes and excludes. */
static bool rule_applies(const struct seccomp_profile_rule *r, uint64_t caps)
{
	const struct seccomp_profile_filter *in = &r->includes, *ex = &r->excludes;
	const uint32_t native = SECCOMP_PROFILE_ARCH_BIT(NATIVE);

	if ((ex->arches & native) || (ex->caps & caps) ||
	    (ex->has_min_kernel && guest_kernel_at_least(ex)))
		return false;
	if ((in->arches || in->other_arch) && !(in->arches & native))
		return false;
	return (in->caps & caps) == in->caps && (!in->has_min_kernel || guest_kernel_at_least(in));
}

/* Whether two conditions compare the same argument: then runc adds each
 * as a rule of its own, and so do we (see seccomp-profile.h). */
static bool repeats_an_argument(const struct seccomp_profile_rule *r)
{
	unsigned seen = 0;

	for (size_t i = 0; i < r->nargs; i++) {
		if (seen & (1u << r->args[i].index))
			return true;
		seen |= 1u << r->args[i].index;
	}
	return false;
}

static int add_syscall(scmp_filter_ctx ctx, const struct seccomp_profile_rule *r, size_t index,
		       const char *name, uint32_t action, struct error *e)
{
	struct scmp_arg_cmp cmp[SECCOMP_PROFILE_ARGS_MAX];
	int nr = seccomp_syscall_resolve_name(name), rc = 0;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* a call this libseccomp does not know: skipped, as runc does */
	for (size_t i = 0; i < r->nargs; i++)
		cmp[i] = (struct scmp_arg_cmp){.arg = r->args[i].index,
					       .op = ops[r->args[i].op],
					       .datum_a = r->args[i].value,
					       .datum_b = r->args[i].value_two};
	if (repeats_an_argument(r))
		for (size_t i = 0; i < r->nargs && rc == 0; i++)
			rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
	else
		rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)r->nargs, cmp);
	if (rc < 0)
		return error_set(e, rc == -ENOMEM ? ENOMEM : EINVAL,
				 "syscalls[%zu]: libseccomp refused the rule for %s: %s", index,
				 name, strerror(-rc));
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct seccomp_profile *p, uint64_t caps,
		     uint32_t default_action, struct error *e)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct seccomp_profile_rule *r = &p->rules[i];
		uint32_t action = scmp_action(r->action, r->errno_ret);

		/* libseccomp refuses a rule that repeats the default. */
		if (!rule_applies(r, caps) || action == default_action)
			continue;
		for (size_t j = 0; j < r->nnames; j++)
			if (add_syscall(ctx, r, i, r->names[j], action, e) < 0)
				return -e->code;
	}
	return 0;
}

/* The BPF program, by way of a memfd: libseccomp 2.5 exports only to a
 * file descriptor. */
static int export_bpf(scmp_filter_ctx ctx, struct seccomp_bpf *ret, struct error *e)
{
	_cleanup_close_ int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	struct stat st;
	size_t n;
	ssize_t got;
	int rc;

	if (fd < 0)
		return error_errno(e, errno, "creating a memfd for the seccomp filter");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return error_set(e, rc == -ENOMEM ? ENOMEM : EIO,
				 "exporting the seccomp filter: %s", strerror(-rc));
	if (fstat(fd, &st) < 0)
		return error_errno(e, errno, "exporting the seccomp filter");
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter))
		return error_set(e, EIO, "libseccomp exported %lld bytes, not a BPF program",
				 (long long)st.st_size);
	n = (size_t)st.st_size / sizeof(struct sock_filter);
	if (n > SECCOMP_BPF_INSNS_MAX)
		return error_set(e, E2BIG,
				 "the seccomp filter has %zu instructions, more than the kernel's "
				 "limit of %d",
				 n, SECCOMP_BPF_INSNS_MAX);
	ret->insns = xmalloc((size_t)st.st_size);
	got = pread(fd, ret->insns, (size_t)st.st_size, 0);
	if (got != st.st_size) {
		seccomp_bpf_free(ret);
		return error_errno(e, got < 0 ? errno : EIO, "reading the seccomp filter back");
	}
	ret->ninsns = n;
	return 0;
}

static int set_arches(scmp_filter_ctx ctx, uint32_t arches, struct error *e)
{
	for (int a = 0; a < SECCOMP_PROFILE_ARCH__MAX; a++) {
		int rc;
		if (a == NATIVE || !(arches & SECCOMP_PROFILE_ARCH_BIT(a)))
			continue;
		rc = seccomp_arch_add(ctx, scmp_arch((enum seccomp_profile_arch)a));
		if (rc < 0 && rc != -EEXIST)
			return error_errno(e, -rc, "adding architecture %d to the seccomp filter",
					   a);
	}
	return 0;
}

int seccomp_profile_compile(const struct seccomp_profile *p, uint64_t caps, struct seccomp_bpf *ret,
			    struct error *e)
{
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
	uint32_t default_action = scmp_action(p->default_action, p->default_errno);
	struct seccomp_bpf bpf = {0};

	/* Not probed on this host: the filter runs in the guest. An older
	 * libseccomp that refuses the level probes, which is no worse. */
	(void)seccomp_api_set(GUEST_API_LEVEL);
	ctx = seccomp_init(default_action);
	if (!ctx)
		return error_set(e, EINVAL, "seccomp profile: libseccomp refused default action %s",
				 seccomp_profile_action_name(p->default_action));
	/* A call through an ABI the filter does not cover (a 32-bit program
	 * under a profile that lists x86_64 only) carries a number that means
	 * another call there: it cannot be judged, so it is refused. Killing
	 * makes the refusal plain; an errno would leave a program whose every
	 * call fails, exit included, to misbehave in ways hard to trace. The
	 * agent sets no_new_privs itself. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
		return error_set(e, EINVAL,
				 "seccomp profile: libseccomp refused a filter attribute");
	if (set_arches(ctx, filter_arches(p), e) < 0 ||
	    add_rules(ctx, p, caps, default_action, e) < 0 || export_bpf(ctx, &bpf, e) < 0)
		return error_prefix(e, "seccomp profile");
	/* WAIT_KILLABLE_RECV only qualifies a notification listener, which is
	 * refused; the kernel rejects it alone. */
	bpf.flags = p->flags & ~(uint32_t)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	*ret = bpf;
	return 0;
}

void seccomp_bpf_free(struct seccomp_bpf *b)
{
	if (!b)
		return;
	free(b->insns);
	*b = (struct seccomp_bpf){0};
}
