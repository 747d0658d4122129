/* hypervisor/accel: choosing KVM or TCG from what sysfs and /dev show. Each
 * test builds a fake sysfs and /dev in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel.h"

struct tree {
	char root[64];
	char sys[96];
	char dev[96];
};

enum {
	HAS_KVM_INTEL = 1 << 0,
	HAS_KVM_AMD = 1 << 1,
	HAS_KVM_PVM = 1 << 2,
	HAS_DEV_KVM = 1 << 3,
	ALL_FEATURES = 1 << 4,
};

static void mkdir_or_fail(const char *path)
{
	/* World-searchable whatever the umask: one test looks as nobody. */
	if (mkdir(path, 0755) < 0 || chmod(path, 0755) < 0)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void add_module(struct tree *t, const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/module/%s", t->sys, name);
	mkdir_or_fail(path);
}

static void add_dev_kvm(struct tree *t)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/kvm", t->dev);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0666), 0); /* whatever the umask */
}

static void make_tree(struct tree *t, unsigned features)
{
	char path[160];

	snprintf(t->root, sizeof(t->root), "/tmp/test-accel-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	assert_int_equal(chmod(t->root, 0755), 0);
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	mkdir_or_fail(t->sys);
	mkdir_or_fail(t->dev);
	snprintf(path, sizeof(path), "%s/module", t->sys);
	mkdir_or_fail(path);
	add_module(t, "kvm"); /* the generic module is there on any KVM host */
	if (features & HAS_KVM_INTEL)
		add_module(t, "kvm_intel");
	if (features & HAS_KVM_AMD)
		add_module(t, "kvm_amd");
	if (features & HAS_KVM_PVM)
		add_module(t, "kvm_pvm");
	if (features & HAS_DEV_KVM)
		add_dev_kvm(t);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_tree(struct tree *t)
{
	assert_int_equal(nftw(t->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void choose(struct tree *t, enum hv_accel requested, struct hv_accel_choice *c)
{
	struct error e = {0};
	int r;

	memset(c, 0, sizeof(*c));
	r = hv_accel_choose(requested, t->sys, t->dev, c, &e);
	if (r != 0)
		fail_msg("hv_accel_choose(%s) failed: %s", hv_accel_name(requested), e.msg);
	assert_true(c->reason[0] != '\0');
}

static void expect_reason(const struct hv_accel_choice *c, const char *part)
{
	if (!strstr(c->reason, part))
		fail_msg("reason \"%s\" does not mention \"%s\"", c->reason, part);
}

static void test_kvm_intel(void **state)
{
	struct hv_accel_choice c;
	struct tree t;

	make_tree(&t, HAS_KVM_INTEL | HAS_DEV_KVM);
	choose(&t, HV_ACCEL_AUTO, &c);
	assert_int_equal(c.accel, HV_ACCEL_KVM);
	expect_reason(&c, "kvm_intel");
	choose(&t, HV_ACCEL_KVM, &c);
	assert_int_equal(c.accel, HV_ACCEL_KVM);
	expect_reason(&c, "kvm_intel");
	remove_tree(&t);
}

static void test_kvm_amd(void **state)
{
	struct hv_accel_choice c;
	struct tree t;

	make_tree(&t, HAS_KVM_AMD | HAS_DEV_KVM);
	choose(&t, HV_ACCEL_AUTO, &c);
	assert_int_equal(c.accel, HV_ACCEL_KVM);
	expect_reason(&c, "kvm_amd");
	remove_tree(&t);
}

static void test_kvm_pvm_only(void **state)
{
	struct hv_accel_choice c;
	struct tree t;

	/* /dev/kvm is there, but only PVM provides it. */
	make_tree(&t, HAS_KVM_PVM | HAS_DEV_KVM);
	choose(&t, HV_ACCEL_AUTO, &c);
	assert_int_equal(c.accel, HV_ACCEL_TCG);
	expect_reason(&c, "kvm_pvm");
	remove_tree(&t);
}

static void test_pvm_beside_hardware_kvm(void **state)
{
	struct hv_accel_choice c;
	struct tree t;

	make_tree(&t, HAS_KVM_PVM | HAS_KVM_INTEL | HAS_DEV_KVM);
	choose(&t, HV_ACCEL_AUTO, &c);
	assert_int_equal(c.accel, HV_ACCEL_KVM);
	remove_tree(&t);
}

static void test_no_dev_kvm(void **state)
{
	struct hv_accel_choice c;
	struct tree t;

	make_tree(&t, HAS_KVM_INTEL);
	choose(&t, HV_ACCEL_AUTO, &c);
	assert_int_equal(c.accel, HV_ACCEL_TCG);
	expect_reason(&c, "/kvm does not exist");
	remove_tree(&t);
}

static void test_no_hardware_module(void **state)
{
	struct hv_accel_choice c;
	struct tree t;

	make_tree(&t, HAS_DEV_KVM);
	choose(&t, HV_ACCEL_AUTO, &c);
	assert_int_equal(c.accel, HV_ACCEL_TCG);
	expect_reason(&c, "kvm_intel");
	expect_reason(&c, "kvm_amd");
	remove_tree(&t);
}

static void test_missing_roots(void **state)
{
	struct hv_accel_choice c;
	struct error e = {0};

	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    hv_accel_choose(HV_ACCEL_AUTO, "/nonexistent/sys", "/nonexistent/dev", &c, &e), 0);
	assert_int_equal(c.accel, HV_ACCEL_TCG);
	expect_reason(&c, "/nonexistent/dev/kvm");
}

static void test_forced_tcg(void **state)
{
	struct hv_accel_choice c;
	struct tree t;

	/* Even where KVM would work. */
	make_tree(&t, HAS_KVM_INTEL | HAS_DEV_KVM);
	choose(&t, HV_ACCEL_TCG, &c);
	assert_int_equal(c.accel, HV_ACCEL_TCG);
	expect_reason(&c, "forced");
	remove_tree(&t);
}

static void expect_forced_kvm_fails(struct tree *t, const char *why)
{
	struct hv_accel_choice c = {.accel = HV_ACCEL_AUTO};
	struct error e = {0};

	assert_int_equal(hv_accel_choose(HV_ACCEL_KVM, t->sys, t->dev, &c, &e), -ENODEV);
	assert_int_equal(e.code, ENODEV);
	if (!strstr(e.msg, why) || !strstr(e.msg, "--accel tcg"))
		fail_msg("error \"%s\" should mention \"%s\" and the way out", e.msg, why);
	assert_int_equal(c.accel, HV_ACCEL_AUTO); /* untouched */
}

static void test_forced_kvm_without_support(void **state)
{
	struct tree t;

	make_tree(&t, HAS_KVM_INTEL);
	expect_forced_kvm_fails(&t, "does not exist");
	remove_tree(&t);
	make_tree(&t, HAS_KVM_PVM | HAS_DEV_KVM);
	expect_forced_kvm_fails(&t, "kvm_pvm");
	remove_tree(&t);
	make_tree(&t, HAS_DEV_KVM);
	expect_forced_kvm_fails(&t, "neither");
	remove_tree(&t);
}

/* /dev/kvm without read-write access for the user. Root can access any
 * file, so the check runs as nobody in a child. */
static void test_dev_kvm_not_accessible(void **state)
{
	struct tree t;
	char path[160];
	pid_t pid;
	int status;

	make_tree(&t, HAS_KVM_INTEL | HAS_DEV_KVM);
	snprintf(path, sizeof(path), "%s/kvm", t.dev);
	assert_int_equal(chmod(path, 0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct hv_accel_choice c;
		struct error e = {0};

		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		if (hv_accel_choose(HV_ACCEL_AUTO, t.sys, t.dev, &c, &e) < 0)
			_exit(3);
		if (c.accel != HV_ACCEL_TCG || !strstr(c.reason, "not accessible"))
			_exit(4);
		if (hv_accel_choose(HV_ACCEL_KVM, t.sys, t.dev, &c, &e) != -ENODEV ||
		    !strstr(e.msg, "not accessible"))
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("check as an unprivileged user failed at step %d", WEXITSTATUS(status));
	remove_tree(&t);
}

/* Every combination: the result is never AUTO, always explained, and KVM
 * exactly when /dev/kvm exists and a hardware module provides it. */
static void test_all_combinations(void **state)
{
	static const enum hv_accel requests[] = {HV_ACCEL_AUTO, HV_ACCEL_KVM, HV_ACCEL_TCG};

	for (unsigned f = 0; f < ALL_FEATURES; f++) {
		int kvm_ok = (f & HAS_DEV_KVM) && (f & (HAS_KVM_INTEL | HAS_KVM_AMD));
		struct tree t;

		make_tree(&t, f);
		for (size_t i = 0; i < 3; i++) {
			struct hv_accel_choice c;
			struct error e = {0};
			int r;

			memset(&c, 0, sizeof(c));
			r = hv_accel_choose(requests[i], t.sys, t.dev, &c, &e);
			if (requests[i] == HV_ACCEL_KVM && !kvm_ok) {
				assert_int_equal(r, -ENODEV);
				assert_true(e.msg[0] != '\0');
				continue;
			}
			if (r != 0)
				fail_msg("features %#x, %s: %s", f, hv_accel_name(requests[i]),
					 e.msg);
			assert_true(c.reason[0] != '\0');
			if (requests[i] == HV_ACCEL_TCG)
				assert_int_equal(c.accel, HV_ACCEL_TCG);
			else
				assert_int_equal(c.accel, kvm_ok ? HV_ACCEL_KVM : HV_ACCEL_TCG);
		}
		remove_tree(&t);
	}
}

static void test_parse(void **state)
{
	static const char *const bad[] = {"", "KVM", "Tcg", "kvm ", " tcg", "hvf", "tcgx", "au"};
	static const enum hv_accel all[] = {HV_ACCEL_AUTO, HV_ACCEL_KVM, HV_ACCEL_TCG};
	enum hv_accel a;

	assert_int_equal(hv_accel_parse("auto", &a), 0);
	assert_int_equal(a, HV_ACCEL_AUTO);
	assert_int_equal(hv_accel_parse("kvm", &a), 0);
	assert_int_equal(a, HV_ACCEL_KVM);
	assert_int_equal(hv_accel_parse("tcg", &a), 0);
	assert_int_equal(a, HV_ACCEL_TCG);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		a = (enum hv_accel)42;
		assert_int_equal(hv_accel_parse(bad[i], &a), -EINVAL);
		assert_int_equal(a, 42);
	}
	/* Names and parsing agree. */
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(hv_accel_parse(hv_accel_name(all[i]), &a), 0);
		assert_int_equal(a, all[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kvm_intel),
	    cmocka_unit_test(test_kvm_amd),
	    cmocka_unit_test(test_kvm_pvm_only),
	    cmocka_unit_test(test_pvm_beside_hardware_kvm),
	    cmocka_unit_test(test_no_dev_kvm),
	    cmocka_unit_test(test_no_hardware_module),
	    cmocka_unit_test(test_missing_roots),
	    cmocka_unit_test(test_forced_tcg),
	    cmocka_unit_test(test_forced_kvm_without_support),
	    cmocka_unit_test(test_dev_kvm_not_accessible),
	    cmocka_unit_test(test_all_combinations),
	    cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
