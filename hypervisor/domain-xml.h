/* The libvirt domain XML of a launcher VM, written with libxml2's writer so
 * that every value is escaped. Pure: no libvirt calls, unit-tested. */
#pragma once

#include "accel.h"
#include "error.h"

enum hv_vsock_kind {
	HV_VSOCK_NATIVE,     /* /dev/vhost-vsock: libvirt <vsock> */
	HV_VSOCK_VHOST_USER, /* the project's launcher-vsock backend */
};

/* A host directory shared into the guest over virtio-9p. */
struct domain_share {
	const char *source; /* host directory */
	const char *tag;    /* mount tag the guest uses */
	int readonly;
};

#define DOMAIN_SHARES_MAX 8

/* A host file given to the guest as a virtio disk: the N-th is vd<a+N>. */
struct domain_disk {
	const char *source; /* host file (raw) */
	int readonly;
};

#define DOMAIN_DISKS_MAX 4

/* A port of the guest published on the host by the user-mode NAT. */
struct domain_port {
	int udp;	     /* else TCP */
	const char *host_ip; /* IPv4 address on the host, "0.0.0.0" for all */
	unsigned host_port;  /* 1..65535 */
	unsigned guest_port; /* 1..65535 */
};

#define DOMAIN_PORTS_MAX 64

/* The guest side of the user-mode NAT (QEMU's slirp): the guest is
 * DOMAIN_NET_GUEST in DOMAIN_NET_PREFIX, the host reached through
 * DOMAIN_NET_GATEWAY (its loopback too), DNS relayed at DOMAIN_NET_DNS. */
#define DOMAIN_NET_NETWORK "10.0.2.0"
#define DOMAIN_NET_GUEST "10.0.2.15"
#define DOMAIN_NET_GATEWAY "10.0.2.2"
#define DOMAIN_NET_DNS "10.0.2.3"
#define DOMAIN_NET_PREFIX 24

struct domain_spec {
	const char *name;
	enum hv_accel accel; /* KVM or TCG */
	unsigned vcpus;
	unsigned memory_mib;
	unsigned tb_cache_mib; /* TCG translation cache; 0: QEMU's default */
	const char *firmware;  /* qboot ROM */
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	const char *console_log;
	enum hv_vsock_kind vsock;
	unsigned guest_cid;	  /* native vsock; 0: libvirt picks a free one */
	const char *vhost_socket; /* vhost-user vsock */
	const char *dac_label;	  /* "+UID:+GID" QEMU runs as, or NULL for none */
	const struct domain_share *shares;
	unsigned nshares; /* at most DOMAIN_SHARES_MAX */
	const struct domain_disk *disks;
	unsigned ndisks; /* at most DOMAIN_DISKS_MAX */
	/* A virtio-net card on user-mode NAT (no host privileges, no host
	 * interface), with ports published; without, the VM has no card. */
	int nic;
	const struct domain_port *ports;
	unsigned nports; /* at most DOMAIN_PORTS_MAX */
};

/* Returns 0 and a malloc'd NUL-terminated document in *ret_xml. */
int domain_xml_build(const struct domain_spec *s, char **ret_xml, struct error *e);
