#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "fatal.h"

#define NL_BUF 512

struct nl_req {
	struct nlmsghdr h;
	char body[NL_BUF];
};

static int nl_open(struct error *e)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return error_errno(e, errno, "opening a netlink socket");
	return fd;
}

static void *nl_tail(struct nl_req *r)
{
	return (char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len);
}

static void nl_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = nl_tail(r);

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends one request and reads its acknowledgement. */
static int nl_call(int fd, struct nl_req *r, const char *what, struct error *e)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	char buf[NL_BUF];
	struct nlmsghdr *h;
	ssize_t n;

	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = 1;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return error_errno(e, errno, "%s", what);
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_errno(e, errno, "%s", what);
	h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR)
		return error_set(e, EPROTO, "%s: no answer from the kernel", what);
	int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	if (err < 0)
		return error_errno(e, -err, "%s", what);
	return 0;
}

static void nl_link(struct nl_req *r, int index)
{
	struct ifinfomsg *i = NLMSG_DATA(&r->h);

	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(*i));
	r->h.nlmsg_type = RTM_NEWLINK;
	i->ifi_family = AF_UNSPEC;
	i->ifi_index = index;
}

static int link_up(int fd, int index, const char *name, struct error *e)
{
	struct nl_req r;
	struct ifinfomsg *i = NLMSG_DATA(&r.h);
	char what[64];

	nl_link(&r, index);
	i->ifi_flags = IFF_UP;
	i->ifi_change = IFF_UP;
	snprintf(what, sizeof(what), "bringing %s up", name);
	return nl_call(fd, &r, what, e);
}

static int link_to_ns(int fd, int index, int ns_fd, struct error *e)
{
	struct nl_req r;
	uint32_t v = (uint32_t)ns_fd;

	nl_link(&r, index);
	nl_attr(&r, IFLA_NET_NS_FD, &v, sizeof(v));
	return nl_call(fd, &r, "moving the network card into the container's namespace", e);
}

static int add_address(int fd, int index, struct in_addr a, unsigned prefix, struct error *e)
{
	struct nl_req r = {0};
	struct ifaddrmsg *m = NLMSG_DATA(&r.h);

	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(*m));
	r.h.nlmsg_type = RTM_NEWADDR;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	m->ifa_family = AF_INET;
	m->ifa_prefixlen = (unsigned char)prefix;
	m->ifa_index = (unsigned)index;
	nl_attr(&r, IFA_LOCAL, &a, sizeof(a));
	nl_attr(&r, IFA_ADDRESS, &a, sizeof(a));
	return nl_call(fd, &r, "setting the container's address", e);
}

static int add_default_route(int fd, int index, struct in_addr gw, struct error *e)
{
	struct nl_req r = {0};
	struct rtmsg *m = NLMSG_DATA(&r.h);
	uint32_t oif = (uint32_t)index;

	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(*m));
	r.h.nlmsg_type = RTM_NEWROUTE;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	m->rtm_family = AF_INET;
	m->rtm_table = RT_TABLE_MAIN;
	m->rtm_protocol = RTPROT_BOOT;
	m->rtm_scope = RT_SCOPE_UNIVERSE;
	m->rtm_type = RTN_UNICAST;
	nl_attr(&r, RTA_GATEWAY, &gw, sizeof(gw));
	nl_attr(&r, RTA_OIF, &oif, sizeof(oif));
	return nl_call(fd, &r, "adding the default route", e);
}

/* The VM's network card: the first interface that is not the loopback. */
static int find_nic(char name[IF_NAMESIZE], struct error *e)
{
	struct if_nameindex *all = if_nameindex(), *i;
	int index = 0;

	if (!all)
		return error_errno(e, errno, "listing the network interfaces");
	for (i = all; i->if_index; i++)
		if (strcmp(i->if_name, "lo") != 0) {
			index = (int)i->if_index;
			snprintf(name, IF_NAMESIZE, "%s", i->if_name);
			break;
		}
	if_freenameindex(all);
	if (!index)
		return error_set(e, ENODEV, "the VM has no network card");
	return index;
}

/* In the container's namespace: lo up, and the card configured. */
static int configure(const struct net_spec *n, const char *nic, struct error *e)
{
	_cleanup_close_ int fd = nl_open(e);
	struct in_addr addr, gw;
	int index;

	if (fd < 0)
		return -e->code;
	if (link_up(fd, (int)if_nametoindex("lo"), "lo", e) < 0)
		return -e->code;
	if (!n->nic)
		return 0;
	if (inet_pton(AF_INET, n->address, &addr) != 1 || inet_pton(AF_INET, n->gateway, &gw) != 1)
		return error_set(e, EINVAL, "invalid network address");
	index = (int)if_nametoindex(nic);
	if (!index)
		return error_errno(e, errno, "finding %s in the container's namespace", nic);
	if (add_address(fd, index, addr, n->prefix, e) < 0 || link_up(fd, index, nic, e) < 0 ||
	    add_default_route(fd, index, gw, e) < 0)
		return -e->code;
	return 0;
}

int net_enter(const struct net_spec *n, int *ret_own, struct error *e)
{
	_cleanup_close_ int own = -1, root_nl = -1, ns = -1;
	char nic[IF_NAMESIZE] = "";
	int index = 0;

	own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		return error_errno(e, errno, "opening the agent's network namespace");
	if (n->nic) {
		index = find_nic(nic, e);
		if (index < 0)
			return index;
		/* A netlink socket stays in the namespace it was made in. */
		root_nl = nl_open(e);
		if (root_nl < 0)
			return -e->code;
	}
	if (unshare(CLONE_NEWNET) < 0)
		return error_errno(e, errno, "creating the container's network namespace");
	ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		error_errno(e, errno, "opening the container's network namespace");
		goto fail;
	}
	if ((n->nic && link_to_ns(root_nl, index, ns, e) < 0) || configure(n, nic, e) < 0)
		goto fail;
	*ret_own = TAKE_FD(own);
	return 0;
fail:
	/* The agent left in a container's namespace would be wrong for
	 * everything after: that ends the VM. */
	if (setns(own, CLONE_NEWNET) < 0)
		agent_fatal("net: returning to the agent's network namespace: %m");
	return -e->code;
}

void net_leave(int own)
{
	if (own < 0)
		return;
	if (setns(own, CLONE_NEWNET) < 0)
		agent_fatal("net: returning to the agent's network namespace: %m");
	close(own);
}
