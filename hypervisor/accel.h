/* Choosing the accelerator: KVM where the host has hardware virtualization,
 * TCG otherwise. */
#pragma once

#include "error.h"

enum hv_accel {
	HV_ACCEL_AUTO,
	HV_ACCEL_KVM,
	HV_ACCEL_TCG,
};

struct hv_accel_choice {
	enum hv_accel accel; /* KVM or TCG, never AUTO */
	char reason[256];
};

/* Parses "auto", "kvm" or "tcg". Returns 0 or -EINVAL. */
int hv_accel_parse(const char *s, enum hv_accel *ret);
const char *hv_accel_name(enum hv_accel a);

/* Picks the accelerator for `requested`. sysfs_root and dev_root are "/sys"
 * and "/dev" except in tests. Fails when KVM is forced but not usable. */
int hv_accel_choose(enum hv_accel requested, const char *sysfs_root, const char *dev_root,
		    struct hv_accel_choice *ret, struct error *e);
