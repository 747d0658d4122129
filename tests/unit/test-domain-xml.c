/* hypervisor/domain-xml: the libvirt domain XML of a launcher VM. Each
 * document is parsed back with libxml2 and checked with XPath, as libvirt
 * would read it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "domain-xml.h"

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

static struct domain_spec tcg_vhost_user(void)
{
	return (struct domain_spec){
	    .name = "launcher-3f2a",
	    .accel = HV_ACCEL_TCG,
	    .vcpus = 2,
	    .memory_mib = 512,
	    .tb_cache_mib = 256,
	    .firmware = "/usr/share/qboot/bios.bin",
	    .kernel = "/usr/share/launcher/vmlinux",
	    .initrd = "/run/launcher/3f2a/initrd.img",
	    .cmdline = "console=ttyS0 quiet panic=-1",
	    .console_log = "/run/launcher/3f2a/console.log",
	    .vsock = HV_VSOCK_VHOST_USER,
	    .vhost_socket = "/run/launcher/3f2a/vsock.sock",
	};
}

static struct domain_spec kvm_native(void)
{
	struct domain_spec s = tcg_vhost_user();

	s.accel = HV_ACCEL_KVM;
	s.vsock = HV_VSOCK_NATIVE;
	s.vhost_socket = NULL;
	return s;
}

/* A parsed document and an XPath context with the qemu namespace. */
struct doc {
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	char *xml;
};

static void build(const struct domain_spec *s, struct doc *d)
{
	struct error e = {0};
	int r = domain_xml_build(s, &d->xml, &e);

	if (r != 0)
		fail_msg("domain_xml_build failed: %d %s", r, e.msg);
	assert_non_null(d->xml);
	d->doc = xmlReadMemory(d->xml, (int)strlen(d->xml), "domain.xml", NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!d->doc)
		fail_msg("output is not well-formed XML:\n%s", d->xml);
	d->ctx = xmlXPathNewContext(d->doc);
	assert_non_null(d->ctx);
	assert_int_equal(xmlXPathRegisterNs(d->ctx, BAD_CAST "qemu", BAD_CAST QEMU_NS), 0);
}

static void doc_free(struct doc *d)
{
	xmlXPathFreeContext(d->ctx);
	xmlFreeDoc(d->doc);
	free(d->xml);
}

static double xp_count(struct doc *d, const char *expr)
{
	char buf[512];
	xmlXPathObjectPtr o;
	double n;

	snprintf(buf, sizeof(buf), "count(%s)", expr);
	o = xmlXPathEvalExpression(BAD_CAST buf, d->ctx);
	if (!o)
		fail_msg("bad XPath %s", buf);
	n = o->floatval;
	xmlXPathFreeObject(o);
	return n;
}

/* The string value of the one node expr selects. */
static void expect(struct doc *d, const char *expr, const char *want)
{
	char buf[512];
	xmlXPathObjectPtr o;
	double n = xp_count(d, expr);

	if (n != 1)
		fail_msg("%s matches %g nodes, expected 1, in\n%s", expr, n, d->xml);
	snprintf(buf, sizeof(buf), "string(%s)", expr);
	o = xmlXPathEvalExpression(BAD_CAST buf, d->ctx);
	assert_non_null(o);
	if (strcmp((const char *)o->stringval, want) != 0)
		fail_msg("%s is \"%s\", expected \"%s\"", expr, o->stringval, want);
	xmlXPathFreeObject(o);
}

static void expect_count(struct doc *d, const char *expr, int want)
{
	double n = xp_count(d, expr);

	if (n != want)
		fail_msg("%s matches %g nodes, expected %d, in\n%s", expr, n, want, d->xml);
}

static void expect_none(struct doc *d, const char *expr)
{
	expect_count(d, expr, 0);
}

/* Checks what every launcher VM has, whatever the accelerator. */
static void expect_common(struct doc *d, const struct domain_spec *s)
{
	expect(d, "/domain/name", s->name);
	expect(d, "/domain/memory", "512");
	expect(d, "/domain/memory/@unit", "MiB");
	expect(d, "/domain/vcpu", "2");
	expect(d, "/domain/os/type", "hvm");
	expect(d, "/domain/os/type/@machine", "q35");
	expect(d, "/domain/os/type/@arch", "x86_64");
	expect(d, "/domain/os/loader", s->firmware);
	expect(d, "/domain/os/loader/@type", "rom");
	expect(d, "/domain/os/kernel", s->kernel);
	expect(d, "/domain/os/initrd", s->initrd);
	expect(d, "/domain/os/cmdline", s->cmdline);
	expect(d, "/domain/devices/memballoon/@model", "none");
	expect(d, "/domain/devices/controller[@type='usb']/@model", "none");
	expect_none(d, "/domain/devices/controller[@type='usb' and @model!='none']");
	expect(d, "/domain/devices/serial/@type", "file");
	expect(d, "/domain/devices/serial/source/@path", s->console_log);
	expect(d, "/domain/on_poweroff", "destroy");
	expect(d, "/domain/on_reboot", "destroy");
	expect(d, "/domain/on_crash", "destroy");
}

static void test_tcg_vhost_user(void **state)
{
	struct domain_spec s = tcg_vhost_user();
	struct doc d;

	build(&s, &d);
	expect_common(&d, &s);
	expect(&d, "/domain/@type", "qemu");
	expect(&d, "/domain/memoryBacking/source/@type", "memfd");
	expect(&d, "/domain/memoryBacking/access/@mode", "shared");
	expect(&d, "/domain/features/tcg/tb-cache", "256");
	expect(&d, "/domain/features/tcg/tb-cache/@unit", "MiB");
	expect(&d, "/domain/cpu/@mode", "maximum");
	/* The vhost-user device is added on QEMU's command line, not as <vsock>. */
	expect_none(&d, "/domain/devices/vsock");
	expect_count(&d, "/domain/qemu:commandline/qemu:arg", 4);
	expect(&d, "/domain/qemu:commandline/qemu:arg[1]/@value", "-chardev");
	expect(&d, "/domain/qemu:commandline/qemu:arg[2]/@value",
	       "socket,id=vsock0,path=/run/launcher/3f2a/vsock.sock");
	expect(&d, "/domain/qemu:commandline/qemu:arg[3]/@value", "-device");
	expect(&d, "/domain/qemu:commandline/qemu:arg[4]/@value",
	       "vhost-user-vsock-pci,chardev=vsock0,bus=pcie.0,addr=0x10");
	expect_none(&d, "/domain/seclabel");
	doc_free(&d);
}

static void test_kvm_native(void **state)
{
	struct domain_spec s = kvm_native();
	struct doc d;

	build(&s, &d);
	expect_common(&d, &s);
	expect(&d, "/domain/@type", "kvm");
	expect(&d, "/domain/cpu/@mode", "host-passthrough");
	/* No shared memory, no TCG options even when a cache size is given. */
	expect_none(&d, "/domain/memoryBacking");
	expect_none(&d, "//tb-cache");
	expect_none(&d, "/domain/features/tcg");
	expect_none(&d, "//qemu:commandline");
	expect(&d, "/domain/devices/vsock/@model", "virtio");
	expect(&d, "/domain/devices/vsock/cid/@auto", "yes");
	expect_none(&d, "/domain/devices/vsock/cid/@address");
	doc_free(&d);

	s.guest_cid = 42;
	build(&s, &d);
	expect(&d, "/domain/devices/vsock/cid/@auto", "no");
	expect(&d, "/domain/devices/vsock/cid/@address", "42");
	doc_free(&d);

	s.guest_cid = 4294967295u;
	build(&s, &d);
	expect(&d, "/domain/devices/vsock/cid/@address", "4294967295");
	doc_free(&d);
}

static void test_other_combinations(void **state)
{
	struct domain_spec s = tcg_vhost_user();
	struct doc d;

	/* TCG with QEMU's default cache: no <tcg> at all. */
	s.tb_cache_mib = 0;
	build(&s, &d);
	expect_none(&d, "/domain/features/tcg");
	doc_free(&d);

	/* KVM with vhost-user: shared memory, but no TCG cache. */
	s = tcg_vhost_user();
	s.accel = HV_ACCEL_KVM;
	build(&s, &d);
	expect(&d, "/domain/@type", "kvm");
	expect(&d, "/domain/memoryBacking/source/@type", "memfd");
	expect_none(&d, "//tb-cache");
	expect_count(&d, "/domain/qemu:commandline/qemu:arg", 4);
	doc_free(&d);

	/* TCG with native vsock. */
	s = kvm_native();
	s.accel = HV_ACCEL_TCG;
	build(&s, &d);
	expect(&d, "/domain/@type", "qemu");
	expect(&d, "/domain/features/tcg/tb-cache", "256");
	expect_none(&d, "/domain/memoryBacking");
	expect(&d, "/domain/devices/vsock/cid/@auto", "yes");
	doc_free(&d);
}

static void test_chardev_path_commas(void **state)
{
	static const char *const cases[][2] = {
	    {"a,b", "socket,id=vsock0,path=a,,b"},
	    {"/run/x,y,,z,", "socket,id=vsock0,path=/run/x,,y,,,,z,,"},
	    {",", "socket,id=vsock0,path=,,"},
	    {"/run/no-comma", "socket,id=vsock0,path=/run/no-comma"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct domain_spec s = tcg_vhost_user();
		struct doc d;

		s.vhost_socket = cases[i][0];
		build(&s, &d);
		expect(&d, "/domain/qemu:commandline/qemu:arg[2]/@value", cases[i][1]);
		doc_free(&d);
	}
}

static void test_seclabel(void **state)
{
	struct domain_spec s = kvm_native();
	struct doc d;

	s.dac_label = "+1000:+1000";
	build(&s, &d);
	expect(&d, "/domain/seclabel/@type", "static");
	expect(&d, "/domain/seclabel/@model", "dac");
	expect(&d, "/domain/seclabel/@relabel", "no");
	expect(&d, "/domain/seclabel/label", "+1000:+1000");
	doc_free(&d);
}

/* Markup characters in every string field come back exactly. */
static void test_escaping(void **state)
{
	static const char *const nasty[] = {
	    "a&b<c>d'e\"f", "</name><name>evil</name>", "]]>",		"&amp;&lt;&#x41;",
	    "<!-- x -->",   "caf\xc3\xa9 \xe2\x9c\x93", "   spaces   ",
	};

	for (size_t i = 0; i < sizeof(nasty) / sizeof(*nasty); i++) {
		const char *v = nasty[i];
		struct domain_spec s = tcg_vhost_user();
		char want[256];
		struct doc d;

		s.name = s.firmware = s.kernel = s.initrd = s.cmdline = s.console_log = v;
		s.dac_label = v;
		build(&s, &d);
		expect(&d, "/domain/name", v);
		expect(&d, "/domain/os/loader", v);
		expect(&d, "/domain/os/kernel", v);
		expect(&d, "/domain/os/initrd", v);
		expect(&d, "/domain/os/cmdline", v);
		expect(&d, "/domain/devices/serial/source/@path", v);
		expect(&d, "/domain/seclabel/label", v);
		doc_free(&d);

		s.vhost_socket = v; /* no commas in these: taken as they are */
		build(&s, &d);
		snprintf(want, sizeof(want), "socket,id=vsock0,path=%s", v);
		expect(&d, "/domain/qemu:commandline/qemu:arg[2]/@value", want);
		doc_free(&d);
	}
}

static void expect_build_error(const struct domain_spec *s, const char *what)
{
	struct error e = {0};
	char *xml = (char *)"untouched";
	int r = domain_xml_build(s, &xml, &e);

	if (r != -EINVAL)
		fail_msg("%s: domain_xml_build returned %d, expected -EINVAL", what, r);
	assert_int_equal(e.code, EINVAL);
	assert_true(e.msg[0] != '\0');
	assert_string_equal(xml, "untouched");
}

/* XML 1.0 cannot carry most control characters; they never get that far. */
static void test_control_characters(void **state)
{
	static const char *const bad[] = {
	    "a\nb", "a\tb", "a\rb", "\x01", "x\x1b[31m", "del\x7f", "\x1f",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		for (int field = 0; field < 8; field++) {
			struct domain_spec s = tcg_vhost_user();
			const char **f[] = {&s.name,	     &s.firmware, &s.kernel,
					    &s.initrd,	     &s.cmdline,  &s.console_log,
					    &s.vhost_socket, &s.dac_label};
			char what[64];

			*f[field] = bad[i];
			snprintf(what, sizeof(what), "field %d, string %zu", field, i);
			expect_build_error(&s, what);
		}
	}
}

static void test_missing_fields(void **state)
{
	for (int field = 0; field < 6; field++) {
		struct domain_spec s = tcg_vhost_user();
		const char **f[] = {&s.name,   &s.firmware, &s.kernel,
				    &s.initrd, &s.cmdline,  &s.console_log};

		*f[field] = NULL;
		expect_build_error(&s, "missing field");
	}
}

static void test_bad_values(void **state)
{
	struct domain_spec s;

	s = tcg_vhost_user();
	s.accel = HV_ACCEL_AUTO;
	expect_build_error(&s, "accel auto");
	s.accel = (enum hv_accel)7;
	expect_build_error(&s, "accel 7");

	s = tcg_vhost_user();
	s.vcpus = 0;
	expect_build_error(&s, "0 vCPUs");
	s = tcg_vhost_user();
	s.memory_mib = 0;
	expect_build_error(&s, "0 MiB");

	s = tcg_vhost_user();
	s.vhost_socket = NULL;
	expect_build_error(&s, "vhost-user without a socket");

	/* CIDs 1 and 2 are the loopback and the host. */
	s = kvm_native();
	s.guest_cid = 1;
	expect_build_error(&s, "cid 1");
	s.guest_cid = 2;
	expect_build_error(&s, "cid 2");
}

static void test_cid_3_is_the_first_guest(void **state)
{
	struct domain_spec s = kvm_native();
	struct doc d;

	s.guest_cid = 3;
	build(&s, &d);
	expect(&d, "/domain/devices/vsock/cid/@address", "3");
	doc_free(&d);
}

/* The user-mode NAT: one -netdev with a hostfwd per published port, the
 * card at its fixed slot; none of it without a card. */
static void test_nic(void **state)
{
	struct domain_port ports[] = {{0, "127.0.0.1", 18080, 80}, {1, "0.0.0.0", 5353, 53}};
	struct domain_spec s = kvm_native();
	struct doc d;

	s.nic = 1;
	build(&s, &d);
	expect_count(&d, "/domain/qemu:commandline/qemu:arg", 4);
	expect(&d, "/domain/qemu:commandline/qemu:arg[1]/@value", "-netdev");
	expect(&d, "/domain/qemu:commandline/qemu:arg[2]/@value",
	       "user,id=lnet0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,ipv6=off");
	expect(&d, "/domain/qemu:commandline/qemu:arg[4]/@value",
	       "virtio-net-pci,netdev=lnet0,bus=pcie.0,addr=0x0f,romfile=,mac=52:54:00:12:34:56");
	expect_none(&d, "/domain/devices/interface");
	doc_free(&d);

	s.ports = ports;
	s.nports = 2;
	build(&s, &d);
	expect(&d, "/domain/qemu:commandline/qemu:arg[2]/@value",
	       "user,id=lnet0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,ipv6=off,"
	       "hostfwd=tcp:127.0.0.1:18080-10.0.2.15:80,hostfwd=udp:0.0.0.0:5353-10.0.2.15:53");
	doc_free(&d);

	/* With the vhost-user vsock: one commandline, both devices. */
	s = tcg_vhost_user();
	s.nic = 1;
	build(&s, &d);
	expect_count(&d, "/domain/qemu:commandline", 1);
	expect_count(&d, "/domain/qemu:commandline/qemu:arg", 8);
	expect(&d, "/domain/qemu:commandline/qemu:arg[5]/@value", "-netdev");
	doc_free(&d);

	s = kvm_native();
	s.ports = ports;
	s.nports = 1;
	expect_build_error(&s, "ports without a card");
	s.nic = 1;
	ports[0].host_ip = "localhost";
	expect_build_error(&s, "a host name for an address");
	ports[0].host_ip = "127.0.0.1,hostfwd=tcp::22-:22";
	expect_build_error(&s, "an option smuggled in the address");
	ports[0].host_ip = "127.0.0.1";
	ports[0].host_port = 0;
	expect_build_error(&s, "host port 0");
	ports[0].host_port = 65536;
	expect_build_error(&s, "host port 65536");
	ports[0].host_port = 80;
	ports[0].guest_port = 0;
	expect_build_error(&s, "guest port 0");
}

static void test_disks(void **state)
{
	struct domain_disk disks[] = {{"/var/lib/launcher/rootfs/a b.erofs", 1}, {"/tmp/x", 0}};
	struct domain_spec s = tcg_vhost_user();
	struct doc d;

	s.disks = disks;
	s.ndisks = 2;
	build(&s, &d);
	expect_count(&d, "/domain/devices/disk", 2);
	expect(&d, "/domain/devices/disk[1]/source/@file", "/var/lib/launcher/rootfs/a b.erofs");
	expect(&d, "/domain/devices/disk[1]/target/@dev", "vda");
	expect(&d, "/domain/devices/disk[1]/target/@bus", "virtio");
	expect(&d, "/domain/devices/disk[1]/driver/@type", "raw");
	expect_count(&d, "/domain/devices/disk[1]/readonly", 1);
	expect(&d, "/domain/devices/disk[1]/address/@slot", "0x1b");
	expect(&d, "/domain/devices/disk[2]/target/@dev", "vdb");
	expect_none(&d, "/domain/devices/disk[2]/readonly");
	expect(&d, "/domain/devices/disk[2]/address/@slot", "0x1c");
	doc_free(&d);

	disks[0].source = "relative.erofs";
	expect_build_error(&s, "relative disk path");
	disks[0].source = "/a\nb";
	expect_build_error(&s, "disk path with a newline");
	s.ndisks = DOMAIN_DISKS_MAX + 1;
	expect_build_error(&s, "too many disks");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcg_vhost_user),
	    cmocka_unit_test(test_kvm_native),
	    cmocka_unit_test(test_other_combinations),
	    cmocka_unit_test(test_chardev_path_commas),
	    cmocka_unit_test(test_seclabel),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_control_characters),
	    cmocka_unit_test(test_missing_fields),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_cid_3_is_the_first_guest),
	    cmocka_unit_test(test_disks),
	    cmocka_unit_test(test_nic),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	xmlCleanupParser();
	return r;
}
