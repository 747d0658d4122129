/* Seccomp profiles as typed structs: Docker's JSON format (`docker run
 * --security-opt seccomp=FILE`, the daemon's default.json) and the OCI
 * runtime spec's linux.seccomp object, which share most of their fields.
 * A profile is untrusted input (a user's file, a bundle's config.json), so
 * this module is the only code that reads its JSON (CONVENTIONS.md #4): it
 * checks every type, range and length, refuses fields it does not know,
 * and names the field in every error ("seccomp profile: syscalls[3].action:
 * unknown action "SCMP_ACT_FOO""). seccomp-compile.h turns a profile into
 * the BPF program the guest agent installs.
 *
 * Accepted, at the top level:
 *   defaultAction (required), defaultErrnoRet;
 *   architectures (OCI: ["SCMP_ARCH_X86_64", ...]) or archMap (Docker:
 *     [{architecture, subArchitectures}]), not both;
 *   flags: SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW, _WAIT_KILLABLE_RECV;
 *   syscalls[]: names[] (or Docker's older single "name"), action
 *     (required), errnoRet, args[] {index, value, valueTwo, op}, comment
 *     (ignored), and Docker's includes/excludes {caps[], arches[],
 *     minKernel "X.Y"}.
 * Actions are SCMP_ACT_KILL (= _KILL_THREAD), _KILL_PROCESS, _KILL_THREAD,
 * _TRAP, _ERRNO, _TRACE, _ALLOW and _LOG. SCMP_ACT_NOTIFY, listenerPath and
 * listenerMetadata are refused: this runtime has no seccomp agent to
 * notify. An ERRNO or TRACE action without errnoRet returns EPERM (runc's
 * choice); errnoRet with other actions is ignored, as runc does. JSON null
 * counts as absent (Go's encoder writes "subArchitectures": null).
 *
 * Syscall names are kept as text: a name this libseccomp does not know is
 * skipped when compiling (as runc does), so that a profile written for a
 * newer kernel still loads. Errors are EBADMSG (malformed), EFBIG (too
 * large) or EOPNOTSUPP (well-formed, but asks for something this runtime
 * does not do). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct json_t;

/* Limits on what is accepted. Argument conditions are few in real profiles
 * (Docker's default has eight); libseccomp's time grows much faster than
 * linearly with them, hence their own bound. */
#define SECCOMP_PROFILE_JSON_MAX (1u << 20)   /* a profile file */
#define SECCOMP_PROFILE_RULES_MAX 4096	      /* entries of syscalls[] */
#define SECCOMP_PROFILE_NAMES_MAX 512	      /* names[] of one entry */
#define SECCOMP_PROFILE_TOTAL_NAMES_MAX 8192  /* names in the whole profile */
#define SECCOMP_PROFILE_NAME_MAX 64	      /* bytes of a syscall name */
#define SECCOMP_PROFILE_ARGS_MAX 6	      /* args[] of one entry */
#define SECCOMP_PROFILE_CONDITIONS_MAX 256    /* names times args, over the profile */
#define SECCOMP_PROFILE_LIST_MAX 64	      /* architectures, archMap, flags, caps, arches */
#define SECCOMP_PROFILE_ARCH_NAME_MAX 32      /* bytes of an includes/excludes arch */
#define SECCOMP_PROFILE_ERRNO_MAX 4095	      /* errnoRet: the kernel's MAX_ERRNO */
#define SECCOMP_PROFILE_VALUE_MAX INT64_MAX   /* value, valueTwo: what JSON parsers agree on */
#define SECCOMP_PROFILE_KERNEL_PART_MAX 65535 /* each number of minKernel */

enum seccomp_profile_action {
	SECCOMP_PROFILE_ACT_KILL_THREAD,
	SECCOMP_PROFILE_ACT_KILL_PROCESS,
	SECCOMP_PROFILE_ACT_TRAP,
	SECCOMP_PROFILE_ACT_ERRNO,
	SECCOMP_PROFILE_ACT_TRACE,
	SECCOMP_PROFILE_ACT_ALLOW,
	SECCOMP_PROFILE_ACT_LOG,
};

/* libseccomp's comparisons, SCMP_CMP_*. For MASKED_EQ, value is the mask
 * and value_two what the masked argument must equal. */
enum seccomp_profile_op {
	SECCOMP_PROFILE_OP_NE,
	SECCOMP_PROFILE_OP_LT,
	SECCOMP_PROFILE_OP_LE,
	SECCOMP_PROFILE_OP_EQ,
	SECCOMP_PROFILE_OP_GE,
	SECCOMP_PROFILE_OP_GT,
	SECCOMP_PROFILE_OP_MASKED_EQ,
};

/* The architectures libseccomp knows, as bits of a uint32_t mask. */
enum seccomp_profile_arch {
	SECCOMP_PROFILE_ARCH_X86,
	SECCOMP_PROFILE_ARCH_X86_64,
	SECCOMP_PROFILE_ARCH_X32,
	SECCOMP_PROFILE_ARCH_ARM,
	SECCOMP_PROFILE_ARCH_AARCH64,
	SECCOMP_PROFILE_ARCH_MIPS,
	SECCOMP_PROFILE_ARCH_MIPS64,
	SECCOMP_PROFILE_ARCH_MIPS64N32,
	SECCOMP_PROFILE_ARCH_MIPSEL,
	SECCOMP_PROFILE_ARCH_MIPSEL64,
	SECCOMP_PROFILE_ARCH_MIPSEL64N32,
	SECCOMP_PROFILE_ARCH_PPC,
	SECCOMP_PROFILE_ARCH_PPC64,
	SECCOMP_PROFILE_ARCH_PPC64LE,
	SECCOMP_PROFILE_ARCH_S390,
	SECCOMP_PROFILE_ARCH_S390X,
	SECCOMP_PROFILE_ARCH_PARISC,
	SECCOMP_PROFILE_ARCH_PARISC64,
	SECCOMP_PROFILE_ARCH_RISCV64,
	SECCOMP_PROFILE_ARCH_LOONGARCH64,
	SECCOMP_PROFILE_ARCH_M68K,
	SECCOMP_PROFILE_ARCH_SH,
	SECCOMP_PROFILE_ARCH_SHEB,
	SECCOMP_PROFILE_ARCH__MAX,
};
#define SECCOMP_PROFILE_ARCH_BIT(a) (UINT32_C(1) << (a))

struct seccomp_profile_arg {
	unsigned index; /* 0..5 */
	uint64_t value, value_two;
	enum seccomp_profile_op op;
};

/* Docker's includes / excludes: when an entry of syscalls[] applies.
 * includes: every listed capability is held, the machine's architecture is
 * listed, the kernel is at least min_kernel. excludes: none of the listed
 * capabilities is held, the architecture is not listed, the kernel is older
 * than min_kernel. An empty list (or no min_kernel) is no condition. */
struct seccomp_profile_filter {
	uint64_t caps;	 /* CAP_* bits */
	uint32_t arches; /* SECCOMP_PROFILE_ARCH_BIT()s, from Docker's names (amd64, x32, ...) */
	bool other_arch; /* "arches" named one this runtime does not know: it never matches */
	bool has_min_kernel;
	uint16_t min_kernel_major, min_kernel_minor;
};

/* One entry of syscalls[]. Conditions on args are ANDed, except that when
 * two of them compare the same argument every condition becomes a rule of
 * its own (ORed): runc's reading, which profiles written for Docker rely
 * on (libseccomp cannot AND two comparisons of one argument). */
struct seccomp_profile_rule {
	const char *const *names; /* syscall names: [a-z0-9_], 1..NAME_MAX bytes */
	size_t nnames;		  /* 0..NAMES_MAX */
	enum seccomp_profile_action action;
	uint16_t errno_ret; /* with ERRNO and TRACE */
	struct seccomp_profile_arg args[SECCOMP_PROFILE_ARGS_MAX];
	size_t nargs;
	struct seccomp_profile_filter includes, excludes;
};

struct seccomp_profile_archmap {
	enum seccomp_profile_arch arch;
	uint32_t subarches; /* SECCOMP_PROFILE_ARCH_BIT()s */
};

struct seccomp_profile {
	enum seccomp_profile_action default_action;
	uint16_t default_errno; /* with ERRNO and TRACE */
	uint32_t arches;	/* "architectures": SECCOMP_PROFILE_ARCH_BIT()s */
	struct seccomp_profile_archmap archmap[SECCOMP_PROFILE_LIST_MAX];
	size_t narchmap;
	uint32_t flags; /* SECCOMP_FILTER_FLAG_* */
	const struct seccomp_profile_rule *rules;
	size_t nrules;
};

/* Parses a profile of len bytes (no NUL needed) into *ret, to be freed with
 * seccomp_profile_free. */
int seccomp_profile_parse(const char *json, size_t len, struct seccomp_profile **ret,
			  struct error *e);

/* The same from an already parsed JSON object, such as the linux.seccomp
 * member of a bundle's config.json. */
int seccomp_profile_from_json(const struct json_t *obj, struct seccomp_profile **ret,
			      struct error *e);

/* Takes NULL. Never pass it seccomp_profile_default(). */
void seccomp_profile_free(struct seccomp_profile *p);

/* A profile equivalent to Docker's default (defined in seccomp-default.c):
 * static, never freed. */
const struct seccomp_profile *seccomp_profile_default(void);

/* "SCMP_ACT_ERRNO" and so on, as profiles spell them. */
const char *seccomp_profile_action_name(enum seccomp_profile_action a);
