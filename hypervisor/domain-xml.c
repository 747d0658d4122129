#include "domain-xml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "util.h"

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
/* The vhost-user-vsock device sits on the root bus at a fixed slot: left to
 * itself it takes slot 1 and collides with libvirt's own pcie-root-port. */
#define VHOST_VSOCK_PCI_ADDR "0x10"
#define RNG_PCI_SLOT "0x11"
#define NATIVE_VSOCK_PCI_SLOT "0x12"
#define NIC_PCI_ADDR "0x0f"
#define FIRST_SHARE_PCI_SLOT 0x13
/* After every share slot: disks are probed, and so named, in slot order. */
#define FIRST_DISK_PCI_SLOT (FIRST_SHARE_PCI_SLOT + DOMAIN_SHARES_MAX)

/* The writer's calls return < 0 on failure; count failures and check once. */
struct w {
	xmlTextWriterPtr x;
	int failed;
};

static void check(struct w *w, int rc)
{
	if (rc < 0)
		w->failed = 1;
}

static void start(struct w *w, const char *name)
{
	check(w, xmlTextWriterStartElement(w->x, BAD_CAST name));
}

static void end(struct w *w)
{
	check(w, xmlTextWriterEndElement(w->x));
}

static void attr(struct w *w, const char *name, const char *value)
{
	check(w, xmlTextWriterWriteAttribute(w->x, BAD_CAST name, BAD_CAST value));
}

static void text_elem(struct w *w, const char *name, const char *value)
{
	check(w, xmlTextWriterWriteElement(w->x, BAD_CAST name, BAD_CAST value));
}

static void uint_elem(struct w *w, const char *name, const char *unit, unsigned v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u", v);
	start(w, name);
	if (unit)
		attr(w, "unit", unit);
	check(w, xmlTextWriterWriteString(w->x, BAD_CAST buf));
	end(w);
}

static void empty_elem(struct w *w, const char *name, const char *a1, const char *v1)
{
	start(w, name);
	if (a1)
		attr(w, a1, v1);
	end(w);
}

static void write_os(struct w *w, const struct domain_spec *s)
{
	start(w, "os");
	start(w, "type");
	attr(w, "arch", "x86_64");
	attr(w, "machine", "q35");
	check(w, xmlTextWriterWriteString(w->x, BAD_CAST "hvm"));
	end(w);
	start(w, "loader");
	attr(w, "type", "rom");
	check(w, xmlTextWriterWriteString(w->x, BAD_CAST s->firmware));
	end(w);
	text_elem(w, "kernel", s->kernel);
	text_elem(w, "initrd", s->initrd);
	text_elem(w, "cmdline", s->cmdline);
	end(w);
}

static void write_features(struct w *w, const struct domain_spec *s)
{
	start(w, "features");
	empty_elem(w, "acpi", NULL, NULL);
	if (s->accel == HV_ACCEL_TCG && s->tb_cache_mib) {
		start(w, "tcg");
		uint_elem(w, "tb-cache", "MiB", s->tb_cache_mib);
		end(w);
	}
	end(w);
	/* TCG's "max" model gives the guest x86-64-v2+ features binaries
	 * built for newer baselines need; KVM passes the host CPU through. */
	start(w, "cpu");
	attr(w, "mode", s->accel == HV_ACCEL_KVM ? "host-passthrough" : "maximum");
	attr(w, "check", "none");
	end(w);
}

/* Devices sit on the root bus at fixed slots: left to libvirt they each get
 * a pcie-root-port, more for the guest to enumerate at boot. */
static void write_root_bus_address(struct w *w, const char *slot)
{
	start(w, "address");
	attr(w, "type", "pci");
	attr(w, "domain", "0x0000");
	attr(w, "bus", "0x00");
	attr(w, "slot", slot);
	attr(w, "function", "0x0");
	end(w);
}

/* passthrough: the guest sees the files' real owners and modes, which a
 * container's root filesystem needs; QEMU reads them as its own user. */
static void write_share(struct w *w, const struct domain_share *sh, unsigned slot)
{
	char slotbuf[8];

	snprintf(slotbuf, sizeof(slotbuf), "0x%02x", slot);
	start(w, "filesystem");
	attr(w, "type", "mount");
	attr(w, "accessmode", "passthrough");
	empty_elem(w, "source", "dir", sh->source);
	empty_elem(w, "target", "dir", sh->tag);
	if (sh->readonly)
		empty_elem(w, "readonly", NULL, NULL);
	write_root_bus_address(w, slotbuf);
	end(w);
}

static void write_disk(struct w *w, const struct domain_disk *d, unsigned index)
{
	char slotbuf[8], dev[8];

	snprintf(slotbuf, sizeof(slotbuf), "0x%02x", FIRST_DISK_PCI_SLOT + index);
	snprintf(dev, sizeof(dev), "vd%c", 'a' + index);
	start(w, "disk");
	attr(w, "type", "file");
	attr(w, "device", "disk");
	start(w, "driver");
	attr(w, "name", "qemu");
	attr(w, "type", "raw");
	end(w);
	empty_elem(w, "source", "file", d->source);
	start(w, "target");
	attr(w, "dev", dev);
	attr(w, "bus", "virtio");
	end(w);
	if (d->readonly)
		empty_elem(w, "readonly", NULL, NULL);
	write_root_bus_address(w, slotbuf);
	end(w);
}

static void write_devices(struct w *w, const struct domain_spec *s)
{
	char cid[16];

	start(w, "devices");
	/* libvirt adds a USB controller unless told not to; the guest has no USB. */
	start(w, "controller");
	attr(w, "type", "usb");
	attr(w, "model", "none");
	end(w);
	start(w, "serial");
	attr(w, "type", "file");
	start(w, "source");
	attr(w, "path", s->console_log);
	attr(w, "append", "off");
	end(w);
	empty_elem(w, "target", "port", "0");
	end(w);
	for (unsigned i = 0; i < s->nshares; i++)
		write_share(w, &s->shares[i], FIRST_SHARE_PCI_SLOT + i);
	for (unsigned i = 0; i < s->ndisks; i++)
		write_disk(w, &s->disks[i], i);
	empty_elem(w, "memballoon", "model", "none");
	/* Without an entropy source the guest's first getrandom() waits about a
	 * second under TCG; container workloads would too. */
	start(w, "rng");
	attr(w, "model", "virtio");
	start(w, "backend");
	attr(w, "model", "random");
	check(w, xmlTextWriterWriteString(w->x, BAD_CAST "/dev/urandom"));
	end(w);
	write_root_bus_address(w, RNG_PCI_SLOT);
	end(w);
	if (s->vsock == HV_VSOCK_NATIVE) {
		start(w, "vsock");
		attr(w, "model", "virtio");
		start(w, "cid");
		if (s->guest_cid) {
			snprintf(cid, sizeof(cid), "%u", s->guest_cid);
			attr(w, "auto", "no");
			attr(w, "address", cid);
		} else {
			attr(w, "auto", "yes");
		}
		end(w);
		write_root_bus_address(w, NATIVE_VSOCK_PCI_SLOT);
		end(w);
	}
	end(w);
}

/* QEMU option values separate keys with commas; a comma inside a value is
 * written twice. */
static char *qemu_opt_escape(const char *s)
{
	size_t n = strlen(s), extra = 0;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		extra += s[i] == ',';
	p = out = xmalloc(n + extra + 1);
	for (size_t i = 0; i < n; i++) {
		*p++ = s[i];
		if (s[i] == ',')
			*p++ = ',';
	}
	*p = '\0';
	return out;
}

static void qemu_arg(struct w *w, const char *value)
{
	check(w, xmlTextWriterStartElementNS(w->x, BAD_CAST "qemu", BAD_CAST "arg", NULL));
	attr(w, "value", value);
	end(w);
}

static void write_vhost_user_vsock(struct w *w, const struct domain_spec *s)
{
	_cleanup_free_ char *path = qemu_opt_escape(s->vhost_socket);
	_cleanup_free_ char *chardev = xasprintf("socket,id=vsock0,path=%s", path);

	qemu_arg(w, "-chardev");
	qemu_arg(w, chardev);
	qemu_arg(w, "-device");
	qemu_arg(w, "vhost-user-vsock-pci,chardev=vsock0,bus=pcie.0,addr=" VHOST_VSOCK_PCI_ADDR);
}

/* QEMU's user-mode NAT as a -netdev of its own: libvirt's <interface
 * type='user'> has no port forwarding for slirp (<portForward> is
 * passt's, whose backend libvirt 9.0 refuses). The card sits on the root
 * bus at a fixed slot, with no option ROM (nothing boots from it). */
static void write_nic(struct w *w, const struct domain_spec *s)
{
	char *netdev = xasprintf("user,id=lnet0,net=%s/%d,host=%s,dns=%s,ipv6=off",
				 DOMAIN_NET_NETWORK, DOMAIN_NET_PREFIX, DOMAIN_NET_GATEWAY,
				 DOMAIN_NET_DNS);

	for (unsigned i = 0; i < s->nports; i++) {
		const struct domain_port *p = &s->ports[i];
		char *more = xasprintf("%s,hostfwd=%s:%s:%u-%s:%u", netdev, p->udp ? "udp" : "tcp",
				       p->host_ip, p->host_port, DOMAIN_NET_GUEST, p->guest_port);
		free(netdev);
		netdev = more;
	}
	qemu_arg(w, "-netdev");
	qemu_arg(w, netdev);
	qemu_arg(w, "-device");
	qemu_arg(w, "virtio-net-pci,netdev=lnet0,bus=pcie.0,addr=" NIC_PCI_ADDR
		    ",romfile=,mac=52:54:00:12:34:56");
	free(netdev);
}

/* Devices libvirt has no element for, as QEMU arguments. */
static void write_qemu_commandline(struct w *w, const struct domain_spec *s)
{
	if (s->vsock != HV_VSOCK_VHOST_USER && !s->nic)
		return;
	check(w, xmlTextWriterStartElementNS(w->x, BAD_CAST "qemu", BAD_CAST "commandline", NULL));
	if (s->vsock == HV_VSOCK_VHOST_USER)
		write_vhost_user_vsock(w, s);
	if (s->nic)
		write_nic(w, s);
	end(w);
}

/* XML 1.0 cannot carry most control characters, even escaped. */
static int has_control(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int validate(const struct domain_spec *s, struct error *e)
{
	const char *fields[] = {s->name,    s->firmware,    s->kernel,	     s->initrd,
				s->cmdline, s->console_log, s->vhost_socket, s->dac_label};

	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		if (has_control(fields[i]))
			return error_set(e, EINVAL, "domain spec has a control character in a field");
		if (fields[i] && !xmlCheckUTF8(BAD_CAST fields[i]))
			return error_set(e, EINVAL, "domain spec has a field that is not UTF-8");
	}
	if (s->name && !s->name[0])
		return error_set(e, EINVAL, "domain spec has an empty name");
	if (s->nshares > DOMAIN_SHARES_MAX || (s->nshares && !s->shares))
		return error_set(e, EINVAL, "domain spec has more than %d shares", DOMAIN_SHARES_MAX);
	for (unsigned i = 0; i < s->nshares; i++) {
		const struct domain_share *sh = &s->shares[i];
		if (!sh->source || !sh->tag || !sh->tag[0] || sh->source[0] != '/' ||
		    has_control(sh->source) || has_control(sh->tag) ||
		    !xmlCheckUTF8(BAD_CAST sh->source) || !xmlCheckUTF8(BAD_CAST sh->tag))
			return error_set(e, EINVAL, "domain spec share %u is not valid", i);
	}
	if (s->ndisks > DOMAIN_DISKS_MAX || (s->ndisks && !s->disks))
		return error_set(e, EINVAL, "domain spec has more than %d disks", DOMAIN_DISKS_MAX);
	for (unsigned i = 0; i < s->ndisks; i++) {
		const char *src = s->disks[i].source;
		if (!src || src[0] != '/' || has_control(src) || !xmlCheckUTF8(BAD_CAST src))
			return error_set(e, EINVAL, "domain spec disk %u is not valid", i);
	}
	if (!s->name || !s->firmware || !s->kernel || !s->initrd || !s->cmdline ||
	    !s->console_log)
		return error_set(e, EINVAL, "domain spec is missing a required field");
	if (s->accel != HV_ACCEL_KVM && s->accel != HV_ACCEL_TCG)
		return error_set(e, EINVAL, "domain spec needs a resolved accelerator");
	if (s->vcpus == 0 || s->memory_mib == 0)
		return error_set(e, EINVAL, "domain spec needs vCPUs and memory");
	if (s->vsock == HV_VSOCK_VHOST_USER && !s->vhost_socket)
		return error_set(e, EINVAL, "vhost-user vsock needs a socket path");
	if (s->vsock == HV_VSOCK_NATIVE && s->guest_cid != 0 && s->guest_cid < 3)
		return error_set(e, EINVAL, "guest CID must be 3 or more (or 0 for automatic)");
	if (s->nports > DOMAIN_PORTS_MAX || (s->nports && (!s->ports || !s->nic)))
		return error_set(e, EINVAL, "domain spec has more than %d ports, or ports without "
					    "a network card", DOMAIN_PORTS_MAX);
	for (unsigned i = 0; i < s->nports; i++) {
		const struct domain_port *p = &s->ports[i];
		struct in_addr a;
		if (!p->host_ip || inet_pton(AF_INET, p->host_ip, &a) != 1 || !p->host_port ||
		    p->host_port > 65535 || !p->guest_port || p->guest_port > 65535)
			return error_set(e, EINVAL, "domain spec port %u is not valid", i);
	}
	return 0;
}

int domain_xml_build(const struct domain_spec *s, char **ret_xml, struct error *e)
{
	xmlBufferPtr buf;
	struct w w = {0};
	int r = validate(s, e);

	if (r < 0)
		return r;
	buf = xmlBufferCreate();
	if (!buf)
		return error_set(e, ENOMEM, "allocating the domain XML buffer");
	w.x = xmlNewTextWriterMemory(buf, 0);
	if (!w.x) {
		xmlBufferFree(buf);
		return error_set(e, ENOMEM, "creating the domain XML writer");
	}
	check(&w, xmlTextWriterSetIndent(w.x, 1));
	start(&w, "domain");
	attr(&w, "type", s->accel == HV_ACCEL_KVM ? "kvm" : "qemu");
	if (s->vsock == HV_VSOCK_VHOST_USER || s->nic)
		attr(&w, "xmlns:qemu", QEMU_NS);
	text_elem(&w, "name", s->name);
	uint_elem(&w, "memory", "MiB", s->memory_mib);
	uint_elem(&w, "vcpu", NULL, s->vcpus);
	if (s->vsock == HV_VSOCK_VHOST_USER) {
		/* The backend maps guest RAM: it must be a shared memfd. */
		start(&w, "memoryBacking");
		empty_elem(&w, "source", "type", "memfd");
		empty_elem(&w, "access", "mode", "shared");
		end(&w);
	}
	write_os(&w, s);
	write_features(&w, s);
	empty_elem(&w, "clock", "offset", "utc");
	text_elem(&w, "on_poweroff", "destroy");
	text_elem(&w, "on_reboot", "destroy");
	text_elem(&w, "on_crash", "destroy");
	write_devices(&w, s);
	if (s->dac_label) {
		/* QEMU runs as this user; libvirt must not chown our files. */
		start(&w, "seclabel");
		attr(&w, "type", "static");
		attr(&w, "model", "dac");
		attr(&w, "relabel", "no");
		text_elem(&w, "label", s->dac_label);
		end(&w);
	}
	write_qemu_commandline(&w, s);
	end(&w);
	check(&w, xmlTextWriterEndDocument(w.x));
	xmlFreeTextWriter(w.x);
	if (w.failed) {
		xmlBufferFree(buf);
		return error_set(e, EIO, "writing the domain XML failed");
	}
	*ret_xml = xstrdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return 0;
}
