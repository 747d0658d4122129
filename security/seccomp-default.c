/* Our statement of Docker's default seccomp profile (moby's
 * profiles/seccomp as of Docker 28, 2025): everything not allowed below
 * fails with EPERM. The unconditional allow list is Docker's, sorted here
 * into groups by what the calls do; the conditional rules follow, each
 * with Docker's condition. The socket rule keeps Docker's long-standing
 * form, every address family but AF_VSOCK (moby has since narrowed it to a
 * list of families that also leaves out AF_ALG).
 *
 * Names that this libseccomp does not know (calls newer than it, or of
 * other architectures) are skipped when compiling; the guest's kernel does
 * not have the newer ones either.
 *
 * Not allowed, among others: keyctl, add_key, request_key (the keyring is
 * not namespaced), kexec_load, kexec_file_load, userfaultfd, io_uring_*
 * (it runs I/O that seccomp never sees), swapon, swapoff, pivot_root,
 * nfsservctl, uselib, and everything gated by a capability the container
 * does not hold (see the rules after the groups). */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>

#include "seccomp-profile.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define ARCH(a) SECCOMP_PROFILE_ARCH_BIT(SECCOMP_PROFILE_ARCH_##a)
#define CAP(c) (UINT64_C(1) << (c))

/* Tables of names, laid out by hand. */
/* clang-format off */

/* ---- allowed whatever the capabilities ---- */

/* Processes: creating, running, waiting for and signalling them; the
 * process's own identity, limits and scheduling. */
static const char *const processes[] = {
	"execve", "execveat", "exit", "exit_group", "fork", "vfork", "wait4", "waitid",
	"waitpid", "getpid", "getppid", "gettid", "getpgid", "getpgrp", "setpgid", "getsid",
	"setsid", "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal",
	"process_mrelease", "restart_syscall", "prctl", "seccomp", "rseq", "set_tid_address",
	"set_robust_list", "get_robust_list", "get_thread_area", "set_thread_area",
	"uretprobe", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
	"getrlimit", "setrlimit", "ugetrlimit", "prlimit64", "getrusage", "times",
	"getpriority", "setpriority", "ioprio_get", "ioprio_set", "sched_getaffinity",
	"sched_setaffinity", "sched_getattr", "sched_setattr", "sched_getparam",
	"sched_setparam", "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	"sched_yield",
};

/* Credentials: reading and changing uids, gids and capabilities, which
 * the kernel checks against the capabilities held. */
static const char *const credentials[] = {
	"getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid",
	"getegid32", "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups",
	"getgroups32", "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32",
	"setregid", "setregid32", "setresuid", "setresuid32", "setresgid", "setresgid32",
	"setfsuid", "setfsuid32", "setfsgid", "setfsgid32", "setgroups", "setgroups32",
	"capget", "capset",
};

/* Signals. */
static const char *const signals[] = {
	"rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
	"sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "pause", "alarm",
};

/* Clocks, sleeping and timers (setting the clock needs CAP_SYS_TIME,
 * below; adjtimex and clock_adjtime only read it without). */
static const char *const time_calls[] = {
	"adjtimex", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
	"clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
	"gettimeofday", "nanosleep", "time", "getitimer", "setitimer", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
	"timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
	"timerfd_gettime64", "timerfd_settime", "timerfd_settime64",
};

/* The process's memory. */
static const char *const memory[] = {
	"brk", "mmap", "mmap2", "munmap", "mprotect", "mremap", "madvise", "mincore", "msync",
	"mlock", "mlock2", "mlockall", "munlock", "munlockall", "membarrier", "memfd_create",
	"memfd_secret", "remap_file_pages", "pkey_alloc", "pkey_free", "pkey_mprotect",
	"map_shadow_stack", "mseal",
};

/* File descriptors: opening, reading, writing, moving data between them. */
static const char *const file_io[] = {
	"open", "openat", "openat2", "creat", "close", "close_range", "read", "readv",
	"pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2",
	"lseek", "_llseek", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl", "flock",
	"fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fallocate", "fadvise64",
	"fadvise64_64", "readahead", "truncate", "truncate64", "ftruncate", "ftruncate64",
	"sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "cachestat",
	"pipe", "pipe2", "name_to_handle_at",
};

/* Files' metadata, directories and links. */
static const char *const file_tree[] = {
	"stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat",
	"statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "access", "faccessat",
	"faccessat2", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "chown32", "fchown",
	"fchown32", "lchown", "lchown32", "fchownat", "umask", "utime", "utimes", "utimensat",
	"utimensat_time64", "futimesat", "chdir", "fchdir", "getcwd", "getdents", "getdents64",
	"mkdir", "mkdirat", "mknod", "mknodat", "rmdir", "rename", "renameat", "renameat2",
	"link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat", "readlink",
	"readlinkat", "listmount", "statmount",
};

/* Extended attributes. */
static const char *const xattrs[] = {
	"getxattr", "lgetxattr", "fgetxattr", "getxattrat", "setxattr", "lsetxattr",
	"fsetxattr", "setxattrat", "listxattr", "llistxattr", "flistxattr", "listxattrat",
	"removexattr", "lremovexattr", "fremovexattr", "removexattrat",
};

/* Waiting for events, futexes, and the old asynchronous I/O. */
static const char *const waiting[] = {
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
	"inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
	"fanotify_mark", "poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6",
	"pselect6_time64", "futex", "futex_time64", "futex_waitv", "futex_wait", "futex_wake",
	"futex_requeue", "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
	"io_pgetevents", "io_pgetevents_time64",
};

/* System V and POSIX IPC, within the container's IPC namespace. */
static const char *const ipc[] = {
	"ipc", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop",
	"semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
	"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
	"mq_timedsend", "mq_timedsend_time64", "mq_unlink",
};

/* Sockets once made (making one is the socket rule below). socketcall
 * multiplexes them all on 32-bit x86, its arguments out of seccomp's
 * sight. */
static const char *const sockets[] = {
	"accept", "accept4", "bind", "connect", "listen", "getpeername", "getsockname",
	"getsockopt", "setsockopt", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
	"recvmsg", "send", "sendmmsg", "sendmsg", "sendto", "shutdown", "socketpair",
	"socketcall",
};

/* The machine, as far as a container may see it. */
static const char *const machine[] = {
	"uname", "sysinfo", "getcpu", "getrandom", "riscv_hwprobe",
};

/* ---- allowed with a capability, or on some architectures ---- */

/* What CAP_SYS_ADMIN opens: mounts, namespaces, host names, quotas, and
 * tracing. clone and clone3 are here in full; without the capability
 * clone is allowed without namespace flags and clone3 is refused (below).
 * Docker added the lsm_* calls here in 2025. */
static const char *const sys_admin[] = {
	"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
	"lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr",
	"mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl",
	"quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2",
	"unshare",
};

static const char *const sys_ptrace[] = {
	"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
	"ptrace",
};

/* Docker allows these on kernels from 4.8, whose ptrace no longer lets a
 * tracer slip past seccomp; the guest's kernel is newer. */
static const char *const ptrace_calls[] = {"process_vm_readv", "process_vm_writev", "ptrace"};
static const char *const sys_module[] = {"delete_module", "init_module", "finit_module"};
static const char *const sys_rawio[] = {"iopl", "ioperm"};
static const char *const sys_time[] = {
	"settimeofday", "stime", "clock_settime", "clock_settime64",
};
static const char *const sys_nice[] = {
	"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node",
};
/* Other architectures' own calls, allowed there as Docker does. */
static const char *const ppc64le[] = {"sync_file_range2", "swapcontext"};
static const char *const arm[] = {
	"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
	"cacheflush", "set_tls",
};
static const char *const s390[] = {
	"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",
};
/* clang-format on */

#define NAMES(a) .names = (a), .nnames = ARRAY_SIZE(a)
#define ONE(name) .names = (const char *const[]){name}, .nnames = 1
#define ALLOW .action = SECCOMP_PROFILE_ACT_ALLOW

/* Any namespace flag in clone's flags: CLONE_NEWNS, NEWUTS, NEWIPC,
 * NEWUSER, NEWPID, NEWNET, NEWCGROUP (0x7E020000). */
#define CLONE_NAMESPACES                                                                           \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

/* personality(2) with one of the values that only change how the process
 * sees the machine: PER_LINUX, with UNAME26 and/or 32-bit personalities,
 * and the query 0xffffffff. Others can disable ASLR. */
#define PERSONALITY(v)                                                                             \
	{                                                                                          \
		ONE("personality"), ALLOW, .nargs = 1, .args = {                                   \
			{.index = 0, .value = (v), .op = SECCOMP_PROFILE_OP_EQ}                    \
		}                                                                                  \
	}

#define WITH_CAP(c) .includes = {.caps = CAP(c)}
#define ON_ARCHES(a) .includes = {.arches = (a)}

static const struct seccomp_profile_rule rules[] = {
    {NAMES(processes), ALLOW},
    {NAMES(credentials), ALLOW},
    {NAMES(signals), ALLOW},
    {NAMES(time_calls), ALLOW},
    {NAMES(memory), ALLOW},
    {NAMES(file_io), ALLOW},
    {NAMES(file_tree), ALLOW},
    {NAMES(xattrs), ALLOW},
    {NAMES(waiting), ALLOW},
    {NAMES(ipc), ALLOW},
    {NAMES(sockets), ALLOW},
    {NAMES(machine), ALLOW},
    {NAMES(ptrace_calls), ALLOW,
     .includes = {.has_min_kernel = true, .min_kernel_major = 4, .min_kernel_minor = 8}},
    /* Every address family but AF_VSOCK: a guest's vsock reaches its host,
     * which is not the container's to talk to. */
    {ONE("socket"), ALLOW, .nargs = 1,
     .args = {{.index = 0, .value = AF_VSOCK, .op = SECCOMP_PROFILE_OP_NE}}},
    PERSONALITY(0x0),
    PERSONALITY(0x8),
    PERSONALITY(0x20000),
    PERSONALITY(0x20008),
    PERSONALITY(0xffffffff),
    {NAMES(ppc64le), ALLOW, ON_ARCHES(ARCH(PPC64LE))},
    {NAMES(arm), ALLOW, ON_ARCHES(ARCH(ARM) | ARCH(AARCH64))},
    {ONE("arch_prctl"), ALLOW, ON_ARCHES(ARCH(X86_64) | ARCH(X32))},
    {ONE("modify_ldt"), ALLOW, ON_ARCHES(ARCH(X86_64) | ARCH(X32) | ARCH(X86))},
    {NAMES(s390), ALLOW, ON_ARCHES(ARCH(S390) | ARCH(S390X))},
    {ONE("riscv_flush_icache"), ALLOW, ON_ARCHES(ARCH(RISCV64))},
    {ONE("open_by_handle_at"), ALLOW, WITH_CAP(CAP_DAC_READ_SEARCH)},
    {NAMES(sys_admin), ALLOW, WITH_CAP(CAP_SYS_ADMIN)},
    /* Without CAP_SYS_ADMIN: clone without namespace flags (flags are
     * clone's second argument on s390)... */
    {ONE("clone"), ALLOW, .nargs = 1,
     .args = {{.index = 0,
	       .value = CLONE_NAMESPACES,
	       .value_two = 0,
	       .op = SECCOMP_PROFILE_OP_MASKED_EQ}},
     .excludes = {.caps = CAP(CAP_SYS_ADMIN), .arches = ARCH(S390) | ARCH(S390X)}},
    {ONE("clone"), ALLOW, .nargs = 1,
     .args = {{.index = 1,
	       .value = CLONE_NAMESPACES,
	       .value_two = 0,
	       .op = SECCOMP_PROFILE_OP_MASKED_EQ}},
     .includes = {.arches = ARCH(S390) | ARCH(S390X)}, .excludes = {.caps = CAP(CAP_SYS_ADMIN)}},
    /* ...and clone3 fails with ENOSYS: its flags are behind a pointer,
     * out of seccomp's reach, and ENOSYS makes libcs fall back to clone. */
    {ONE("clone3"), .action = SECCOMP_PROFILE_ACT_ERRNO, .errno_ret = ENOSYS,
     .excludes = {.caps = CAP(CAP_SYS_ADMIN)}},
    {ONE("reboot"), ALLOW, WITH_CAP(CAP_SYS_BOOT)},
    {ONE("chroot"), ALLOW, WITH_CAP(CAP_SYS_CHROOT)},
    {NAMES(sys_module), ALLOW, WITH_CAP(CAP_SYS_MODULE)},
    {ONE("acct"), ALLOW, WITH_CAP(CAP_SYS_PACCT)},
    {NAMES(sys_ptrace), ALLOW, WITH_CAP(CAP_SYS_PTRACE)},
    {NAMES(sys_rawio), ALLOW, WITH_CAP(CAP_SYS_RAWIO)},
    {NAMES(sys_time), ALLOW, WITH_CAP(CAP_SYS_TIME)},
    {ONE("vhangup"), ALLOW, WITH_CAP(CAP_SYS_TTY_CONFIG)},
    {NAMES(sys_nice), ALLOW, WITH_CAP(CAP_SYS_NICE)},
    {ONE("syslog"), ALLOW, WITH_CAP(CAP_SYSLOG)},
    {ONE("bpf"), ALLOW, WITH_CAP(CAP_BPF)},
    {ONE("perf_event_open"), ALLOW, WITH_CAP(CAP_PERFMON)},
};

/* Docker's: on each machine, its own architecture and the older ABIs its
 * kernel also runs (32-bit x86 and x32 on x86_64). */
static const struct seccomp_profile profile = {
    .default_action = SECCOMP_PROFILE_ACT_ERRNO,
    .default_errno = EPERM,
    .archmap =
	{
	    {SECCOMP_PROFILE_ARCH_X86_64, ARCH(X86) | ARCH(X32)},
	    {SECCOMP_PROFILE_ARCH_AARCH64, ARCH(ARM)},
	    {SECCOMP_PROFILE_ARCH_MIPS64, ARCH(MIPS) | ARCH(MIPS64N32)},
	    {SECCOMP_PROFILE_ARCH_MIPS64N32, ARCH(MIPS) | ARCH(MIPS64)},
	    {SECCOMP_PROFILE_ARCH_MIPSEL64, ARCH(MIPSEL) | ARCH(MIPSEL64N32)},
	    {SECCOMP_PROFILE_ARCH_MIPSEL64N32, ARCH(MIPSEL) | ARCH(MIPSEL64)},
	    {SECCOMP_PROFILE_ARCH_S390X, ARCH(S390)},
	    {SECCOMP_PROFILE_ARCH_RISCV64, 0},
	    {SECCOMP_PROFILE_ARCH_LOONGARCH64, 0},
	},
    .narchmap = 9,
    .rules = rules,
    .nrules = ARRAY_SIZE(rules),
};

const struct seccomp_profile *seccomp_profile_default(void)
{
	return &profile;
}
