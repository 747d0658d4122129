#include "boot.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "agent-client.h"
#include "paths.h"
#include "protocol.h"
#include "util.h"

#define SHUTDOWN_TIMEOUT_MS 20000
/* libvirt takes over a second to notice that QEMU died. */
#define EXPLAIN_TIMEOUT_MS 3000

int boot_wait_agent(struct booted *b, struct error *e)
{
	int fd = hv_vm_connect_wait(b->vm, AGENT_CONTROL_PORT, BOOT_AGENT_TIMEOUT_MS, e);

	if (fd < 0) {
		error_prefix(e, "waiting for the agent of VM %s", hv_vm_name(b->vm));
		boot_destroy(b);
		return -e->code;
	}
	b->control_fd = fd;
	b->agent_reachable = now_ns();
	return 0;
}

int boot_vm(const struct boot_opts *opts, struct booted *ret, struct error *e)
{
	char run_root[PATH_MAX];
	struct hv_vm_opts vo = {
	    .run_root = run_root,
	    .vcpus = opts->vcpus,
	    .memory_mib = opts->memory_mib,
	    .shares = opts->shares,
	    .nshares = opts->nshares,
	    .disks = opts->disks,
	    .ndisks = opts->ndisks,
	    .paused = opts->paused,
	    .qemu_root = opts->qemu_root,
	    .nic = opts->nic,
	    .ports = opts->ports,
	    .nports = opts->nports,
	};

	memset(ret, 0, sizeof(*ret));
	ret->control_fd = -1;
	launcher_run_root(run_root, sizeof(run_root));
	if (hv_host_probe(hv_default_uri(), opts->accel, &ret->host, e) < 0)
		return -e->code;
	if (hv_vm_start(&ret->host, &vo, &ret->vm, e) < 0)
		return -e->code;
	if (opts->paused)
		return 0;
	return boot_wait_agent(ret, e);
}

int boot_resume(struct booted *b, struct error *e)
{
	if (hv_vm_resume(b->vm, e) < 0) {
		boot_destroy(b);
		return -e->code;
	}
	return 0;
}

void boot_explain(struct booted *b, struct error *e)
{
	struct error why = {0};

	if (b->vm && hv_vm_explain_failure(b->vm, EXPLAIN_TIMEOUT_MS, &why) < 0)
		*e = why;
}

void boot_destroy(struct booted *b)
{
	if (b->control_fd >= 0)
		close(b->control_fd);
	b->control_fd = -1;
	hv_vm_destroy(b->vm);
	b->vm = NULL;
}

int boot_shutdown(struct booted *b, uint64_t next_id, struct error *e)
{
	struct agent_request req = {.id = next_id, .op = AGENT_OP_SHUTDOWN};
	struct agent_reply reply;
	int r;

	r = agent_call(b->control_fd, &req, &reply, AGENT_CALL_TIMEOUT_MS, e);
	if (r < 0) {
		boot_explain(b, e);
	} else {
		/* The agent powers off as soon as it sees us close. */
		close(b->control_fd);
		b->control_fd = -1;
		r = hv_vm_wait_gone(b->vm, SHUTDOWN_TIMEOUT_MS, e);
	}
	boot_destroy(b);
	return r;
}

/* Measured ~22 MiB at boot plus the kernel's page structures, ~1.6% of RAM
 * (docs/PERFORMANCE.md). Small VMs get a floor. */
#define GUEST_OVERHEAD_MIB 24
#define GUEST_OVERHEAD_PER_MIB 50 /* one MiB more for every 50 of the limit */
#define GUEST_MIN_MIB 128
#define GUEST_MAX_MIB (1u << 20)

unsigned boot_memory_for_limit(uint64_t limit)
{
	uint64_t mib = (limit + (1 << 20) - 1) >> 20;

	mib += GUEST_OVERHEAD_MIB + (mib + GUEST_OVERHEAD_PER_MIB - 1) / GUEST_OVERHEAD_PER_MIB;
	if (mib > GUEST_MAX_MIB)
		mib = GUEST_MAX_MIB;
	return mib < GUEST_MIN_MIB ? GUEST_MIN_MIB : (unsigned)mib;
}
