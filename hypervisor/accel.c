#include "accel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int hv_accel_parse(const char *s, enum hv_accel *ret)
{
	if (strcmp(s, "auto") == 0)
		*ret = HV_ACCEL_AUTO;
	else if (strcmp(s, "kvm") == 0)
		*ret = HV_ACCEL_KVM;
	else if (strcmp(s, "tcg") == 0)
		*ret = HV_ACCEL_TCG;
	else
		return -EINVAL;
	return 0;
}

const char *hv_accel_name(enum hv_accel a)
{
	switch (a) {
	case HV_ACCEL_KVM:
		return "kvm";
	case HV_ACCEL_TCG:
		return "tcg";
	default:
		return "auto";
	}
}

static int path_exists(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

/* Hardware KVM is there when /dev/kvm is usable and its provider is the
 * Intel or AMD module. A PVM-only host (kvm_pvm) exposes /dev/kvm too, but
 * ordinary guest kernels hang on it, so it does not count. */
static int kvm_usable(const char *sysfs_root, const char *dev_root, char *why, size_t size)
{
	char path[512];
	int hw = path_exists(sysfs_root, "module/kvm_intel") || path_exists(sysfs_root, "module/kvm_amd");

	if (!path_exists(dev_root, "kvm")) {
		snprintf(why, size, "%s/kvm does not exist (no KVM module loaded)", dev_root);
		return 0;
	}
	if (!hw) {
		if (path_exists(sysfs_root, "module/kvm_pvm"))
			snprintf(why, size,
				 "%s/kvm is provided by kvm_pvm, on which ordinary guest kernels hang",
				 dev_root);
		else
			snprintf(why, size,
				 "neither kvm_intel nor kvm_amd is loaded (no hardware virtualization)");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/kvm", dev_root);
	if (access(path, R_OK | W_OK) < 0) {
		bprintf(why, size, "%s is not accessible: %s", path, strerror(errno));
		return 0;
	}
	snprintf(why, size, "%s/kvm with %s", dev_root,
		 path_exists(sysfs_root, "module/kvm_intel") ? "kvm_intel" : "kvm_amd");
	return 1;
}

int hv_accel_choose(enum hv_accel requested, const char *sysfs_root, const char *dev_root,
		    struct hv_accel_choice *ret, struct error *e)
{
	char why[200];
	int kvm = kvm_usable(sysfs_root, dev_root, why, sizeof(why));

	switch (requested) {
	case HV_ACCEL_TCG:
		ret->accel = HV_ACCEL_TCG;
		snprintf(ret->reason, sizeof(ret->reason), "forced by --accel tcg");
		return 0;
	case HV_ACCEL_KVM:
		if (!kvm)
			return error_set(e, ENODEV,
					 "--accel kvm: KVM is not usable here: %s; use --accel tcg",
					 why);
		ret->accel = HV_ACCEL_KVM;
		snprintf(ret->reason, sizeof(ret->reason), "forced by --accel kvm (%s)", why);
		return 0;
	default:
		ret->accel = kvm ? HV_ACCEL_KVM : HV_ACCEL_TCG;
		snprintf(ret->reason, sizeof(ret->reason), "%s", why);
		return 0;
	}
}
