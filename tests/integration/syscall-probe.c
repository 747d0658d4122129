/* Runs one system call inside a container and says how it went: "ok", or
 * the errno's name ("EPERM"). The isolation test puts this static binary
 * in its image, because busybox has no keyctl or bpf applets.
 *
 * usage: syscall-probe NAME [ARG]
 *   mkdir PATH, keyctl, add_key, bpf, unshare-mount, unshare-user, mount,
 *   clone-newns, vsock-socket, unix-socket, ptrace-self, chroot, reboot-query,
 *   setuid-file (exec ARG: a setuid-root copy path) */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOSYS: return "ENOSYS";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case EROFS: return "EROFS";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ENODEV: return "ENODEV";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENOKEY: return "ENOKEY";
	default: return strerror(e);
	}
}

static int report(long r)
{
	if (r >= 0) {
		puts("ok");
		return 0;
	}
	puts(errname(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "/tmp/probe-dir";

	if (!strcmp(what, "mkdir"))
		return report(mkdir(arg, 0755));
	if (!strcmp(what, "keyctl")) /* KEYCTL_GET_KEYRING_ID of the session keyring */
		return report(syscall(SYS_keyctl, 0, -3, 0));
	if (!strcmp(what, "add_key"))
		return report(syscall(SYS_add_key, "user", "probe", "x", 1, -3));
	if (!strcmp(what, "bpf")) {
		/* A map: needs CAP_BPF or CAP_SYS_ADMIN where allowed at all. */
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.map_type = BPF_MAP_TYPE_ARRAY;
		a.key_size = 4;
		a.value_size = 4;
		a.max_entries = 1;
		return report(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)));
	}
	if (!strcmp(what, "unshare-mount"))
		return report(unshare(CLONE_NEWNS));
	if (!strcmp(what, "mount"))
		return report(mount("probe", "/mnt", "tmpfs", 0, NULL));
	if (!strcmp(what, "clone-newns")) {
		long pid = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, 0);
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid((pid_t)pid, NULL, 0);
		return report(pid);
	}
	if (!strcmp(what, "vsock-socket"))
		return report(socket(AF_VSOCK, SOCK_STREAM, 0));
	if (!strcmp(what, "unix-socket"))
		return report(socket(AF_UNIX, SOCK_STREAM, 0));
	if (!strcmp(what, "chroot"))
		return report(chroot("/"));
	fprintf(stderr, "syscall-probe: unknown probe \"%s\"\n", what);
	return 2;
}
