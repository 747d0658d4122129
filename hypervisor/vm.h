/* One launcher VM: a transient libvirt domain, its vsock path and its state
 * directory. The VM never outlives the process that started it: the domain
 * is created with libvirt's autodestroy (it goes when our connection
 * closes), and the vsock backend dies with us (PR_SET_PDEATHSIG). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "accel.h"
#include "domain-xml.h"
#include "error.h"
#include "guest-files.h"

#define HV_DEFAULT_VCPUS 1
#define HV_DEFAULT_MEMORY_MIB 256
#define HV_DEFAULT_TB_CACHE_MIB 32

/* Facts about the host, for `launcher check` and for starting VMs. */
struct hv_host {
	char uri[256];
	unsigned long libvirt_version; /* major * 1,000,000 + minor * 1,000 + release */
	unsigned long qemu_version;
	struct hv_accel_choice accel;
	enum hv_vsock_kind vsock;
	char vsock_reason[256];
	struct guest_files files;
	char warning[256]; /* a host problem worth telling the user about, or "" */
};

/* The libvirt URI: $LAUNCHER_LIBVIRT_URI, else qemu:///system for root and
 * qemu:///session otherwise. */
const char *hv_default_uri(void);

/* Frees the state directories (sockets, console log) of VMs under
 * run_root whose owner died without cleaning up; starting a VM does it
 * too. Their domains went with libvirt's autodestroy. */
void hv_collect_stale(const char *run_root);

/* Connects to libvirt once and fills `host`. */
int hv_host_probe(const char *uri, enum hv_accel requested, struct hv_host *ret, struct error *e);

struct hv_vm_opts {
	const char *name;     /* NULL: "launcher-" + random hex */
	const char *run_root; /* runtime root; the state dir is RUN_ROOT/vm/NAME */
	unsigned vcpus;	      /* 0: default */
	unsigned memory_mib;  /* 0: default */
	const char *extra_cmdline;
	int keep_state; /* leave the state dir (console log) after destroy */
	const struct domain_share *shares; /* host directories for the guest (9p) */
	unsigned nshares;
	const struct domain_disk *disks; /* host files for the guest (virtio-blk) */
	unsigned ndisks;
	int paused; /* create the domain with its CPU stopped; hv_vm_resume starts it */
	/* QEMU runs as root rather than as libvirt's unprivileged user: a
	 * read-write 9p share (a volume) must create files owned by the
	 * guest's users, which passthrough mode does only as root. Still
	 * under QEMU's seccomp sandbox, with libvirt relabelling nothing. */
	int qemu_root;
	/* A network card on user-mode NAT, and the ports it publishes. */
	int nic;
	const struct domain_port *ports;
	unsigned nports;
};

struct hv_vm;

/* Times of the start, in ns on the monotonic clock. */
struct hv_vm_times {
	uint64_t begin;	  /* hv_vm_start called */
	uint64_t defined; /* libvirt has created and started the domain */
};

int hv_vm_start(const struct hv_host *host, const struct hv_vm_opts *opts, struct hv_vm **ret,
		struct error *e);

const char *hv_vm_name(const struct hv_vm *vm);
const char *hv_vm_state_dir(const struct hv_vm *vm);
const char *hv_vm_console_log(const struct hv_vm *vm);
const struct hv_vm_times *hv_vm_times(const struct hv_vm *vm);
pid_t hv_vm_backend_pid(const struct hv_vm *vm);

/* Lets the CPU of a VM started with opts.paused run: the guest boots. */
int hv_vm_resume(struct hv_vm *vm, struct error *e);

/* A connected stream to guest port `port`, whichever vsock path is in use.
 * Returns the fd, -ECONNREFUSED when nothing listens there (yet), or another
 * -errno with e filled. */
int hv_vm_connect(struct hv_vm *vm, uint32_t port, struct error *e);

/* Retries hv_vm_connect until something listens on `port`, the VM dies, or
 * timeout_ms passes. */
int hv_vm_connect_wait(struct hv_vm *vm, uint32_t port, int timeout_ms, struct error *e);

/* Explains why the VM stopped answering: QEMU gone, backend killed, ...
 * Returns 0 when everything still looks alive, else -errno with e filled. */
int hv_vm_check_alive(struct hv_vm *vm, struct error *e);

/* After a connection to the guest failed: the cause (QEMU or the backend
 * gone) may take a moment to show, so keep looking for up to timeout_ms.
 * Returns -errno with e filled when a cause was found, else 0. */
int hv_vm_explain_failure(struct hv_vm *vm, int timeout_ms, struct error *e);

/* Waits until the domain has gone away by itself (after a guest power-off). */
int hv_vm_wait_gone(struct hv_vm *vm, int timeout_ms, struct error *e);

/* Destroys whatever is left (domain, backend, state dir) and frees vm. NULL ok. */
void hv_vm_destroy(struct hv_vm *vm);
