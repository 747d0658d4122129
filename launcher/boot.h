/* Boot a VM and reach its agent: shared by the verbs that need a VM. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "accel.h"
#include "error.h"
#include "vm.h"

#define BOOT_AGENT_TIMEOUT_MS 60000

struct boot_opts {
	enum hv_accel accel;
	unsigned vcpus;
	unsigned memory_mib;
	const struct domain_share *shares;
	unsigned nshares;
	const struct domain_disk *disks;
	unsigned ndisks;
	bool paused; /* stop after creating the domain: boot_resume finishes */
	bool qemu_root; /* a read-write share: see hv_vm_opts */
	bool nic;	/* a network card on user-mode NAT (hv_vm_opts) */
	const struct domain_port *ports;
	unsigned nports;
};

struct booted {
	struct hv_host host;
	struct hv_vm *vm;
	int control_fd;		  /* connected to the agent's control port */
	uint64_t agent_reachable; /* monotonic ns */
};

/* Probes the host (libvirt, accelerator, vsock, guest files), starts a VM
 * and connects to its agent (unless opts.paused). */
int boot_vm(const struct boot_opts *opts, struct booted *ret, struct error *e);

/* The VM's RAM in MiB for a container memory limit in bytes: the limit
 * plus what the guest kernel and agent keep for themselves. */
unsigned boot_memory_for_limit(uint64_t limit);

/* For a VM booted with opts.paused: lets it run (boot_wait_agent next).
 * On failure the VM is destroyed. */
int boot_resume(struct booted *b, struct error *e);

/* Connects to the agent of a running VM, waiting for it to come up. On
 * failure the VM is destroyed. */
int boot_wait_agent(struct booted *b, struct error *e);

/* Asks the agent to power off and waits for the domain to go; then frees
 * everything (also after a failure: the VM is destroyed). Returns 0 when
 * the guest powered off by itself. */
int boot_shutdown(struct booted *b, uint64_t next_id, struct error *e);

/* Frees without asking the guest: destroys the VM. */
void boot_destroy(struct booted *b);

/* Replaces a connection-level error with the reason the VM stopped, if it
 * did (QEMU killed, backend killed). */
void boot_explain(struct booted *b, struct error *e);
