#include "network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define UNPRIVILEGED_PORT_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"
#define DNS_OPTION_MAX 64
#define DOMAIN_NAME_MAX 253

int parse_network_mode(const char *s, bool *ret_none, struct error *e)
{
	if (strcmp(s, "none") == 0) {
		*ret_none = true;
		return 0;
	}
	if (strcmp(s, "bridge") == 0 || strcmp(s, "default") == 0 || strcmp(s, "nat") == 0) {
		*ret_none = false;
		return 0;
	}
	if (strcmp(s, "host") == 0)
		return error_set(e, EINVAL,
				 "--network host: a container in a VM cannot share the host's network "
				 "stack; publish its ports with -p instead");
	if (strncmp(s, "container:", 10) == 0)
		return error_set(e, EINVAL,
				 "--network %s: containers in separate VMs cannot share a network "
				 "namespace",
				 s);
	return error_set(e, ENOENT, "network %s not found: use bridge (the default) or none", s);
}

static int parse_port(const char *s, size_t len, unsigned *ret)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_publish(const char *s, struct container_port *ret, struct error *e)
{
	_cleanup_free_ char *copy = xstrdup(s);
	char *proto = strchr(copy, '/'), *parts[3], *p = copy, *colon;
	struct in_addr a;
	int n = 0;

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->host_ip, sizeof(ret->host_ip), "%s", NETWORK_DEFAULT_HOST_IP);
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			ret->udp = true;
		else if (strcmp(proto, "tcp") != 0)
			return error_set(e, EINVAL,
					 "invalid publish \"%s\": the protocol must be tcp or udp", s);
	}
	if (copy[0] == '[')
		return error_set(e, EINVAL,
				 "invalid publish \"%s\": the user-mode NAT publishes on IPv4 "
				 "addresses only",
				 s);
	if (strchr(copy, '-'))
		return error_set(e, EINVAL,
				 "invalid publish \"%s\": port ranges are not supported; give each "
				 "port its own -p",
				 s);
	while ((colon = strchr(p, ':'))) {
		if (n == 2)
			return error_set(e, EINVAL, "invalid publish \"%s\": too many colons", s);
		*colon = '\0';
		parts[n++] = p;
		p = colon + 1;
	}
	parts[n++] = p;
	if (n == 3) {
		if (inet_pton(AF_INET, parts[0], &a) != 1)
			return error_set(e, EINVAL,
					 "invalid publish \"%s\": \"%s\" is not an IPv4 address", s,
					 parts[0]);
		snprintf(ret->host_ip, sizeof(ret->host_ip), "%s", parts[0]);
	}
	if (parse_port(parts[n - 1], strlen(parts[n - 1]), &ret->container_port) < 0)
		return error_set(e, EINVAL,
				 "invalid publish \"%s\": the container port must be 1 to 65535", s);
	if (n >= 2 && parts[n - 2][0] &&
	    parse_port(parts[n - 2], strlen(parts[n - 2]), &ret->host_port) < 0)
		return error_set(e, EINVAL, "invalid publish \"%s\": the host port must be 1 to 65535",
				 s);
	return 0;
}

static bool valid_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '-' || s[0] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

static int add(char **list, unsigned *n, const char *flag, char *value, struct error *e)
{
	if (*n >= NETWORK_LIST_MAX) {
		free(value);
		return error_set(e, E2BIG, "more than %d --%s", NETWORK_LIST_MAX, flag);
	}
	list[(*n)++] = value;
	return 0;
}

/* --add-host NAME:IP (or NAME=IP); "host-gateway" is the host as the
 * container reaches it. */
static int add_host(struct run_network *n, const char *arg, struct error *e)
{
	size_t len = strcspn(arg, ":=");
	_cleanup_free_ char *name = xasprintf("%.*s", (int)len, arg);
	const char *ip = arg[len] ? arg + len + 1 : NULL;

	if (!ip || !valid_name(name, DOMAIN_NAME_MAX))
		return error_set(e, EINVAL, "invalid --add-host \"%s\": use NAME:IP", arg);
	if (strcmp(ip, "host-gateway") == 0)
		ip = DOMAIN_NET_GATEWAY;
	if (!valid_ip(ip))
		return error_set(e, EINVAL, "invalid --add-host \"%s\": \"%s\" is not an IP address",
				 arg, ip);
	return add(n->add_host, &n->nadd_host, "add-host", xasprintf("%s:%s", name, ip), e);
}

int network_option(struct run_network *n, const char *flag, const char *arg, struct error *e)
{
	if (strcmp(flag, "network") == 0)
		return parse_network_mode(arg, &n->none, e);
	if (strcmp(flag, "publish") == 0) {
		if (n->nports >= CONTAINER_PORTS_MAX)
			return error_set(e, E2BIG, "more than %d published ports",
					 CONTAINER_PORTS_MAX);
		return parse_publish(arg, &n->ports[n->nports++], e) < 0 ? -e->code : 0;
	}
	if (strcmp(flag, "dns") == 0) {
		if (!valid_ip(arg))
			return error_set(e, EINVAL, "invalid --dns \"%s\": not an IP address", arg);
		return add(n->dns, &n->ndns, flag, xstrdup(arg), e);
	}
	if (strcmp(flag, "dns-search") == 0) {
		if (strcmp(arg, ".") != 0 && !valid_name(arg, DOMAIN_NAME_MAX))
			return error_set(e, EINVAL, "invalid --dns-search \"%s\": not a domain", arg);
		return add(n->dns_search, &n->ndns_search, flag, xstrdup(arg), e);
	}
	if (strcmp(flag, "dns-option") == 0) {
		if (!arg[0] || strlen(arg) > DNS_OPTION_MAX || strpbrk(arg, " \t\n\r"))
			return error_set(e, EINVAL, "invalid --dns-option \"%s\"", arg);
		return add(n->dns_options, &n->ndns_options, flag, xstrdup(arg), e);
	}
	if (strcmp(flag, "add-host") == 0)
		return add_host(n, arg, e);
	return error_set(e, EINVAL, "unknown network flag --%s", flag);
}

void run_network_free(struct run_network *n)
{
	for (unsigned i = 0; i < n->ndns; i++)
		free(n->dns[i]);
	for (unsigned i = 0; i < n->ndns_search; i++)
		free(n->dns_search[i]);
	for (unsigned i = 0; i < n->ndns_options; i++)
		free(n->dns_options[i]);
	for (unsigned i = 0; i < n->nadd_host; i++)
		free(n->add_host[i]);
	memset(n, 0, sizeof(*n));
}

/* A socket bound to ip:port (0: any free one), or -errno. */
static int bind_port(const char *ip, bool udp, unsigned port, unsigned *ret_port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* As QEMU's slirp binds its listeners: a port in TIME_WAIT is free. */
	if (!udp)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (ret_port && getsockname(fd, (struct sockaddr *)&sa, &len) < 0)) {
		int r = -errno;
		close(fd);
		return r;
	}
	if (ret_port)
		*ret_port = ntohs(sa.sin_port);
	return fd;
}

static bool same_port(const struct container_port *a, const struct container_port *b)
{
	return a->udp == b->udp && a->host_port == b->host_port &&
	       (strcmp(a->host_ip, b->host_ip) == 0 || strcmp(a->host_ip, "0.0.0.0") == 0 ||
		strcmp(b->host_ip, "0.0.0.0") == 0);
}

/* Free ports chosen are held bound until all are chosen: the kernel
 * gives each another. */
struct held {
	int fds[CONTAINER_PORTS_MAX];
	size_t n;
};

static int add_port(struct container_config *cfg, const struct container_port *p,
		    struct held *held, struct error *e)
{
	struct container_port q = *p;

	if (cfg->nports >= CONTAINER_PORTS_MAX)
		return error_set(e, E2BIG, "more than %d published ports", CONTAINER_PORTS_MAX);
	if (!q.host_port) {
		int fd = bind_port(q.host_ip, q.udp, 0, &q.host_port);
		if (fd < 0)
			return error_errno(e, -fd, "finding a free %s port on %s",
					   q.udp ? "udp" : "tcp", q.host_ip);
		held->fds[held->n++] = fd;
	}
	for (size_t i = 0; i < cfg->nports; i++)
		if (same_port(&cfg->ports[i], &q))
			return error_set(e, EINVAL, "host port %s:%u/%s is published twice", q.host_ip,
					 q.host_port, q.udp ? "udp" : "tcp");
	cfg->ports[cfg->nports++] = q;
	return 0;
}

/* -P: an exposed port not published already (by -p, or listed twice). */
static bool published(const struct container_config *cfg, unsigned port, bool udp)
{
	for (size_t i = 0; i < cfg->nports; i++)
		if (cfg->ports[i].container_port == port && cfg->ports[i].udp == udp)
			return true;
	return false;
}

static int add_ports(const struct run_network *n, char *const *exposed, size_t nexposed,
		     struct container_config *cfg, struct held *held, struct error *e)
{
	for (unsigned i = 0; i < n->nports; i++)
		if (add_port(cfg, &n->ports[i], held, e) < 0)
			return -e->code;
	for (size_t i = 0; n->publish_all && i < nexposed; i++) {
		struct container_port p = {.udp = strstr(exposed[i], "/udp") != NULL};
		snprintf(p.host_ip, sizeof(p.host_ip), "%s", NETWORK_DEFAULT_HOST_IP);
		p.container_port = (unsigned)strtoul(exposed[i], NULL, 10);
		if (p.container_port && !published(cfg, p.container_port, p.udp) &&
		    add_port(cfg, &p, held, e) < 0)
			return -e->code;
	}
	return 0;
}

int network_record(const struct run_network *n, char *const *exposed, size_t nexposed,
		   struct container_config *cfg, struct error *e)
{
	struct held held = {.n = 0};
	int r;

	cfg->network_none = n->none;
	if (n->none && (n->nports || n->publish_all))
		return error_set(e, EINVAL,
				 "conflicting options: port publishing and --network none");
	cfg->ports = xcalloc(CONTAINER_PORTS_MAX, sizeof(*cfg->ports));
	r = add_ports(n, exposed, nexposed, cfg, &held, e);
	for (size_t i = 0; i < held.n; i++)
		close(held.fds[i]);
	if (r < 0)
		return r;
	cfg->dns = xstrv_dup(n->dns, n->ndns);
	cfg->ndns = n->ndns;
	cfg->dns_search = xstrv_dup(n->dns_search, n->ndns_search);
	cfg->ndns_search = n->ndns_search;
	cfg->dns_options = xstrv_dup(n->dns_options, n->ndns_options);
	cfg->ndns_options = n->ndns_options;
	cfg->extra_hosts = xstrv_dup(n->add_host, n->nadd_host);
	cfg->nextra_hosts = n->nadd_host;
	return 0;
}

void network_spec(bool none, struct net_spec *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (none)
		return;
	ret->nic = true;
	snprintf(ret->address, sizeof(ret->address), "%s", DOMAIN_NET_GUEST);
	snprintf(ret->gateway, sizeof(ret->gateway), "%s", DOMAIN_NET_GATEWAY);
	ret->prefix = DOMAIN_NET_PREFIX;
}

static char *text_of(void (*write)(FILE *, const struct container_config *, const char *),
		     const struct container_config *c, const char *hostname)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	write(f, c, hostname);
	fclose(f);
	return text;
}

/* Docker's /etc/hosts: loopback names, the --add-host entries, and the
 * container's own name at its address. */
static void write_hosts(FILE *f, const struct container_config *c, const char *hostname)
{
	fputs("127.0.0.1\tlocalhost\n"
	      "::1\tlocalhost ip6-localhost ip6-loopback\n"
	      "fe00::0\tip6-localnet\n"
	      "ff00::0\tip6-mcastprefix\n"
	      "ff02::1\tip6-allnodes\n"
	      "ff02::2\tip6-allrouters\n",
	      f);
	for (size_t i = 0; i < c->nextra_hosts; i++) {
		const char *colon = strchr(c->extra_hosts[i], ':');
		if (colon)
			fprintf(f, "%s\t%.*s\n", colon + 1, (int)(colon - c->extra_hosts[i]),
				c->extra_hosts[i]);
	}
	fprintf(f, "%s\t%s\n", c->network_none ? "127.0.0.1" : DOMAIN_NET_GUEST, hostname);
}

static void write_resolv_conf(FILE *f, const struct container_config *c, const char *hostname)
{
	bool any_search = false;

	if (c->ndns)
		for (size_t i = 0; i < c->ndns; i++)
			fprintf(f, "nameserver %s\n", c->dns[i]);
	else if (!c->network_none)
		fprintf(f, "nameserver %s\n", DOMAIN_NET_DNS);
	/* "." is Docker's way of saying none. */
	for (size_t i = 0; i < c->ndns_search; i++)
		if (strcmp(c->dns_search[i], ".") != 0) {
			fprintf(f, "%s %s", any_search ? "" : "search", c->dns_search[i]);
			any_search = true;
		}
	if (any_search)
		fputc('\n', f);
	if (c->ndns_options) {
		fputs("options", f);
		for (size_t i = 0; i < c->ndns_options; i++)
			fprintf(f, " %s", c->dns_options[i]);
		fputc('\n', f);
	}
}

static void write_hostname(FILE *f, const struct container_config *c, const char *hostname)
{
	fprintf(f, "%s\n", hostname);
}

void network_etc_files(const struct container_config *c, const char *hostname,
		       struct container_spec *ct)
{
	free(ct->etc_hosts);
	free(ct->etc_resolv_conf);
	free(ct->etc_hostname);
	ct->etc_hosts = text_of(write_hosts, c, hostname);
	ct->etc_resolv_conf = text_of(write_resolv_conf, c, hostname);
	ct->etc_hostname = text_of(write_hostname, c, hostname);
}

int network_check_ports(const struct container_config *c, struct error *e)
{
	for (size_t i = 0; i < c->nports; i++) {
		const struct container_port *p = &c->ports[i];
		int fd = bind_port(p->host_ip, p->udp, p->host_port, NULL);
		if (fd == -EADDRINUSE)
			return error_set(e, EADDRINUSE,
					 "publishing %s:%u/%s: the port is already in use on the host; "
					 "choose another host port",
					 p->host_ip, p->host_port, p->udp ? "udp" : "tcp");
		if (fd < 0)
			return error_errno(e, -fd, "publishing %s:%u/%s", p->host_ip, p->host_port,
					   p->udp ? "udp" : "tcp");
		close(fd);
	}
	return 0;
}

int network_check_unprivileged(const struct container_config *c, struct error *e)
{
	_cleanup_free_ char *text = NULL;
	uint64_t start = 1024;
	size_t len;

	if (read_file_bounded(UNPRIVILEGED_PORT_START, 32, &text, &len) == 0) {
		text[strcspn(text, "\n")] = '\0';
		if (parse_uint(text, 65536, &start) < 0)
			start = 1024;
	}
	for (size_t i = 0; i < c->nports; i++)
		if (c->ports[i].host_port < start)
			return error_set(e, EACCES,
					 "publishing host port %u: ports below %llu need root, and the "
					 "NAT runs in QEMU, which parses the guest's packets: it never "
					 "runs as root for this; choose a port from %llu up (-p 8080:%u) "
					 "or lower net.ipv4.ip_unprivileged_port_start",
					 c->ports[i].host_port, (unsigned long long)start,
					 (unsigned long long)start, c->ports[i].container_port);
	return 0;
}

void network_domain_ports(const struct container_config *c, struct domain_port *ret)
{
	for (size_t i = 0; i < c->nports; i++)
		ret[i] = (struct domain_port){.udp = c->ports[i].udp,
					      .host_ip = c->ports[i].host_ip,
					      .host_port = c->ports[i].host_port,
					      .guest_port = c->ports[i].container_port};
}

char *network_ports_text(const struct container_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	for (size_t i = 0; i < c->nports; i++)
		fprintf(f, "%s%s:%u->%u/%s", i ? ", " : "", c->ports[i].host_ip,
			c->ports[i].host_port, c->ports[i].container_port,
			c->ports[i].udp ? "udp" : "tcp");
	fclose(f);
	return text;
}
