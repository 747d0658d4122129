/* A seccomp profile (seccomp-profile.h) compiled, on the host, into the
 * classic BPF program the guest agent installs with
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, prog): the agent parses nothing
 * and links no libseccomp (CONVENTIONS.md #5: compile before fork, load
 * last).
 *
 * The profile is read for one container, as Docker reads it:
 *   - an entry's includes/excludes are weighed against the container's
 *     capabilities (caps), this machine's architecture, and the guest's
 *     kernel (Linux 6.1, for minKernel);
 *   - the filter covers the machine's architecture and, when the profile
 *     names them (architectures, or archMap's entry for this machine), the
 *     older ABIs its kernel runs too: x86 and x32 beside x86_64, arm
 *     beside aarch64. Other architectures can never reach the guest and
 *     are left out;
 *   - names libseccomp does not know are skipped (as runc does), and so
 *     are entries whose action is the default action's;
 *   - a system call made through an ABI the filter does not cover kills
 *     the process.
 * The guest's kernel, not this one, runs the program: libseccomp is told
 * what it supports rather than left to probe the host. Errors are EINVAL
 * (a rule libseccomp refuses, named by its entry), E2BIG (a program over
 * BPF_MAXINSNS) and ENOMEM/EIO from libseccomp or the memfd. */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "seccomp-profile.h"

#define SECCOMP_BPF_INSNS_MAX 4096 /* the kernel's BPF_MAXINSNS */

/* The guest's kernel, against which minKernel is weighed. */
#define SECCOMP_GUEST_KERNEL_MAJOR 6
#define SECCOMP_GUEST_KERNEL_MINOR 1

struct seccomp_bpf {
	struct sock_filter *insns; /* ninsns instructions, malloc'd */
	size_t ninsns;		   /* 1..SECCOMP_BPF_INSNS_MAX */
	uint32_t flags;		   /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

/* Compiles p for a container holding caps (CAP_* bits) into *ret, which
 * the caller frees with seccomp_bpf_free. */
int seccomp_profile_compile(const struct seccomp_profile *p, uint64_t caps, struct seccomp_bpf *ret,
			    struct error *e);

/* Takes NULL and a zeroed struct; leaves it zeroed. */
void seccomp_bpf_free(struct seccomp_bpf *b);
