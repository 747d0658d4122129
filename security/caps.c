#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* A name quoted in an error: the longest capability name and a little. */
#define QUOTE_MAX 48

_Static_assert(CAP_LAST_CAP >= CAPS_LAST, "<linux/capability.h> is older than CAPS_LAST");

static const char *const names[CAPS_LAST + 1] = {
    [CAP_CHOWN] = "CAP_CHOWN",
    [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
    [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
    [CAP_FOWNER] = "CAP_FOWNER",
    [CAP_FSETID] = "CAP_FSETID",
    [CAP_KILL] = "CAP_KILL",
    [CAP_SETGID] = "CAP_SETGID",
    [CAP_SETUID] = "CAP_SETUID",
    [CAP_SETPCAP] = "CAP_SETPCAP",
    [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
    [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
    [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
    [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
    [CAP_NET_RAW] = "CAP_NET_RAW",
    [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
    [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
    [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
    [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
    [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
    [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
    [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
    [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
    [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
    [CAP_SYS_NICE] = "CAP_SYS_NICE",
    [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
    [CAP_SYS_TIME] = "CAP_SYS_TIME",
    [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
    [CAP_MKNOD] = "CAP_MKNOD",
    [CAP_LEASE] = "CAP_LEASE",
    [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
    [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
    [CAP_SETFCAP] = "CAP_SETFCAP",
    [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
    [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
    [CAP_SYSLOG] = "CAP_SYSLOG",
    [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
    [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
    [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
    [CAP_PERFMON] = "CAP_PERFMON",
    [CAP_BPF] = "CAP_BPF",
    [CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

#define BIT(cap) (UINT64_C(1) << (cap))

int caps_parse(const char *name, int *ret_cap, struct error *e)
{
	const char *bare = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
	char q[QUOTE_MAX];

	for (int cap = 0; cap <= CAPS_LAST; cap++)
		if (*bare && strcasecmp(bare, names[cap] + 4) == 0) {
			*ret_cap = cap;
			return 0;
		}
	return error_set(e, EINVAL, "unknown capability %s", error_quote(q, sizeof(q), name));
}

const char *caps_name(int cap)
{
	return cap >= 0 && cap <= CAPS_LAST ? names[cap] : NULL;
}

uint64_t caps_docker_default(void)
{
	return BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FSETID) | BIT(CAP_FOWNER) |
	       BIT(CAP_MKNOD) | BIT(CAP_NET_RAW) | BIT(CAP_SETGID) | BIT(CAP_SETUID) |
	       BIT(CAP_SETFCAP) | BIT(CAP_SETPCAP) | BIT(CAP_NET_BIND_SERVICE) |
	       BIT(CAP_SYS_CHROOT) | BIT(CAP_KILL) | BIT(CAP_AUDIT_WRITE);
}

uint64_t caps_all(void)
{
	return CAPS_ALL;
}

/* The capabilities named in v, into *ret; *ret_all tells whether "ALL"
 * was among them. */
static int parse_list(char *const *v, size_t n, const char *option, uint64_t *ret, bool *ret_all,
		      struct error *e)
{
	uint64_t set = 0;
	bool all = false;
	int cap;

	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(v[i], "ALL") == 0) {
			all = true;
			continue;
		}
		if (caps_parse(v[i], &cap, e) < 0)
			return error_prefix(e, "%s", option);
		set |= BIT(cap);
	}
	*ret = set;
	*ret_all = all;
	return 0;
}

int caps_from_options(char *const *add, size_t nadd, char *const *drop, size_t ndrop,
		      bool privileged, uint64_t *ret, struct error *e)
{
	uint64_t adds, drops;
	bool add_all, drop_all;

	if (parse_list(add, nadd, "--cap-add", &adds, &add_all, e) < 0 ||
	    parse_list(drop, ndrop, "--cap-drop", &drops, &drop_all, e) < 0)
		return -EINVAL;
	if (privileged)
		*ret = caps_all();
	else if (add_all)
		*ret = caps_all() & ~drops;
	else if (drop_all)
		*ret = adds;
	else
		*ret = (caps_docker_default() & ~drops) | adds;
	return 0;
}

int caps_format(uint64_t set, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	for (int cap = 0; cap <= CAPS_LAST; cap++) {
		if (!(set & BIT(cap)))
			continue;
		if (bprintf(buf + len, size - len, "%s%s", len ? "," : "", names[cap]) < 0) {
			buf[0] = '\0';
			return -ENAMETOOLONG;
		}
		len += strlen(buf + len);
	}
	return 0;
}
