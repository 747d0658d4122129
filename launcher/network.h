/* A container's network, host side: Docker's options (--network, -p, -P,
 * --dns, --dns-search, --dns-option, --add-host) parsed, recorded, turned
 * into the VM's user-mode NAT (domain-xml.h) and into what the agent sets
 * up in the guest (message.h: net_spec, /etc/hosts, /etc/resolv.conf,
 * /etc/hostname).
 *
 * The NAT is QEMU's slirp: no host privileges, no host interface. The
 * guest is DOMAIN_NET_GUEST; DOMAIN_NET_GATEWAY is the host, its loopback
 * included (a server on the host's 127.0.0.1 is reached there); DNS is
 * relayed at DOMAIN_NET_DNS. Published ports listen on the host, on
 * 127.0.0.1 unless an address is given. */
#pragma once

#include <stdbool.h>

#include "domain-xml.h"
#include "error.h"
#include "message.h"
#include "state.h"

#define NETWORK_LIST_MAX 64 /* --dns, --dns-search, --dns-option, --add-host each */
#define NETWORK_DEFAULT_HOST_IP "127.0.0.1"

struct run_network {
	bool none;	  /* --network none */
	bool publish_all; /* -P: the image's EXPOSE, each on a free host port */
	/* -p, as given; host_port 0: a free one, chosen when recorded. */
	struct container_port ports[CONTAINER_PORTS_MAX];
	unsigned nports;
	char *dns[NETWORK_LIST_MAX], *dns_search[NETWORK_LIST_MAX],
	    *dns_options[NETWORK_LIST_MAX], *add_host[NETWORK_LIST_MAX];
	unsigned ndns, ndns_search, ndns_options, nadd_host;
};

/* --network NAME: "none", or the NAT ("bridge", "default", "nat"). "host"
 * and "container:X" cannot hold for a VM and are refused, saying why. */
int parse_network_mode(const char *s, bool *ret_none, struct error *e);

/* -p [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp] (Docker's; an IPv4
 * host address, no ranges). */
int parse_publish(const char *s, struct container_port *ret, struct error *e);

/* Applies one of the options above (flag is its long name without the
 * dashes: "network", "publish", "dns", "dns-search", "dns-option",
 * "add-host"), checking its value. */
int network_option(struct run_network *n, const char *flag, const char *arg, struct error *e);
void run_network_free(struct run_network *n);

/* Into the record: the mode, -p ports (free host ports chosen for those
 * without one), -P's for the image's exposed ports ("80/tcp", as
 * oci-json.h has them), --dns and the rest. */
int network_record(const struct run_network *n, char *const *exposed, size_t nexposed,
		   struct container_config *cfg, struct error *e);

/* The guest's side for process 1: the card's address and route. */
void network_spec(bool none, struct net_spec *ret);

/* /etc/hosts, /etc/resolv.conf and /etc/hostname for the container, as
 * Docker writes them, into ct (replacing what it had). */
void network_etc_files(const struct container_config *c, const char *hostname,
		       struct container_spec *ct);

/* Before a boot: each published host port is free now (the domain would
 * fail to start with QEMU's words otherwise). */
int network_check_ports(const struct container_config *c, struct error *e);

/* Refuses a published host port only root may bind (below
 * net.ipv4.ip_unprivileged_port_start): the NAT is QEMU's, which parses
 * the guest's packets, and it is not run as root for a port. */
int network_check_unprivileged(const struct container_config *c, struct error *e);

/* The record's ports as the domain's (pointing into c). */
void network_domain_ports(const struct container_config *c, struct domain_port *ret);

/* "127.0.0.1:18080->80/tcp, ..." (Docker's ps column); malloc'd, "" for none. */
char *network_ports_text(const struct container_config *c);
