#include "confine.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int apply_rlimits(const struct process_security *s, struct error *e)
{
	for (size_t i = 0; i < s->nrlimits; i++) {
		const struct rlimit_spec *r = &s->rlimits[i];
		struct rlimit rl = {
		    .rlim_cur = r->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->soft,
		    .rlim_max = r->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->hard,
		};
		if (setrlimit(r->resource, &rl) < 0)
			return error_errno(e, errno, "setting the %s limit",
					   rlimit_name(r->resource));
	}
	return 0;
}

static int install_seccomp(const struct process_security *s, struct error *e)
{
	struct sock_fprog prog = {
	    .len = (unsigned short)(s->seccomp_len / sizeof(struct sock_filter)),
	    .filter = (struct sock_filter *)s->seccomp,
	};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->seccomp_flags, &prog) < 0)
		return error_errno(e, errno, "installing the seccomp filter");
	return 0;
}

static int drop_bounding(uint64_t keep, struct error *e)
{
	/* Every capability the kernel may know, not only those the
	 * protocol names: one newer than the protocol is dropped too. */
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (UINT64_C(1) << cap))
			continue;
		/* EINVAL: a capability this kernel does not have. */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return error_errno(e, errno, "dropping capability %d from the bounding set",
					   cap);
	}
	return 0;
}

static int set_caps(const struct process_security *s, struct error *e)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {0};

	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(s->caps[CAPSET_EFFECTIVE] >> (32 * i));
		d[i].permitted = (uint32_t)(s->caps[CAPSET_PERMITTED] >> (32 * i));
		d[i].inheritable = (uint32_t)(s->caps[CAPSET_INHERITABLE] >> (32 * i));
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return error_errno(e, errno, "setting the capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return error_errno(e, errno, "clearing the ambient capabilities");
	for (int cap = 0; cap <= MSG_CAP_LAST; cap++)
		if ((s->caps[CAPSET_AMBIENT] & (UINT64_C(1) << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return error_errno(e, errno, "raising ambient capability %d", cap);
	return 0;
}

static int set_identity(const struct process_spec *spec, struct error *e)
{
	gid_t groups[MSG_GROUPS_MAX];

	for (size_t i = 0; i < spec->ngroups; i++)
		groups[i] = spec->groups[i];
	if (setgroups(spec->ngroups, groups) < 0)
		return error_errno(e, errno, "setting the supplementary groups");
	if (setgid(spec->gid) < 0 || setuid(spec->uid) < 0)
		return error_errno(e, errno, "becoming uid %u gid %u", (unsigned)spec->uid,
				   (unsigned)spec->gid);
	return 0;
}

int confine_process(const struct process_spec *spec, struct error *e)
{
	const struct process_security *s = &spec->sec;

	if (!s->set)
		return error_set(e, EPERM, "no security settings: refusing to run unconfined");
	if (apply_rlimits(s, e) < 0)
		return -e->code;
	/* Without no_new_privs a filter needs CAP_SYS_ADMIN: now, while the
	 * process has it. The profile then has to allow the rest of the
	 * setup (capset, setuid, ...), as under runc. */
	if (s->seccomp && !s->no_new_privs && install_seccomp(s, e) < 0)
		return -e->code;
	if (drop_bounding(s->caps[CAPSET_BOUNDING], e) < 0)
		return -e->code;
	/* The permitted set survives the change of user, to be cut down to
	 * exactly what was asked right after. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return error_errno(e, errno, "PR_SET_KEEPCAPS");
	if (set_identity(spec, e) < 0)
		return -e->code;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return error_errno(e, errno, "PR_SET_KEEPCAPS");
	if (set_caps(s, e) < 0)
		return -e->code;
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_errno(e, errno, "setting no_new_privs");
	return 0;
}

int confine_seccomp_last(const struct process_spec *spec, struct error *e)
{
	const struct process_security *s = &spec->sec;

	if (!s->set || !s->seccomp || !s->no_new_privs)
		return 0;
	return install_seccomp(s, e);
}
