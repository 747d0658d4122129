#include "container-start.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network.h"
#include "exit-status.h"
#include "gc.h"
#include "monitor.h"
#include "pull-output.h"
#include "reference.h"
#include "spare.h"
#include "util.h"

/* A detached start reports within boot time and then some. */
#define STARTED_TIMEOUT_MS (BOOT_AGENT_TIMEOUT_MS + 60000)

/* An image ID or a prefix of one ("sha256:3f2a..."), or a whole 64-digit
 * ID: looked for locally only, never pulled, as Docker does. */
static bool looks_like_id(const char *ref)
{
	size_t len = strlen(ref);

	return strncmp(ref, "sha256:", 7) == 0 ||
	       (len == DIGEST_HEX_LEN && strspn(ref, "0123456789abcdef") == len);
}

/* Docker's way with a missing image: say so, pull it (progress on
 * stderr), look again. */
static int pull_missing(const char *ref, struct store *st, struct error *e)
{
	struct pull_cli_options po = {0};
	struct registry_options ro;
	struct image_ref r;
	struct error perr = {0};
	char familiar[STORE_NAME_MAX];
	int rc;

	if (image_ref_parse(ref, &r, &perr) < 0 ||
	    image_ref_format_familiar(&r, familiar, sizeof(familiar)) < 0)
		return -e->code; /* image_lookup's message says it */
	error_clear(e);
	fprintf(stderr, "Unable to find image '%s' locally\n", familiar);
	rc = pull_options_add_env(&po, e);
	ro = pull_options_registry(&po);
	if (rc == 0)
		rc = launcher_pull(st, ref, &ro, stderr,
				   isatty(STDERR_FILENO) ? PULL_OUTPUT_TTY : PULL_OUTPUT_PLAIN,
				   false, e);
	pull_options_free(&po);
	return rc < 0 ? error_prefix(e, "pulling %s", familiar) : 0;
}

int container_open_image(const char *ref, struct store *st, struct image *img, int *ret_hold,
			 bool pull_if_missing, struct error *e)
{
	char name[STORE_NAME_MAX], manifest[STORE_DIGEST_MAX];
	int r;

	if (store_open(st, NULL, e) < 0)
		return -e->code;
	r = image_lookup(st, ref, name, manifest, e);
	if (r == -ENOENT && pull_if_missing && !looks_like_id(ref)) {
		if (pull_missing(ref, st, e) < 0)
			return -e->code;
		r = image_lookup(st, ref, name, manifest, e);
	}
	if (r < 0 || image_open(st, name, manifest, img, e) < 0)
		return -e->code;
	/* Held for the container's life (the monitor inherits it), so that
	 * rmi and prune leave the disk alone; built again if a prune removed
	 * it between the two steps. */
	for (int attempt = 0;; attempt++) {
		int fd;
		if (image_prepare_rootfs(st, img, e) < 0)
			break;
		fd = image_hold(img->disk, e);
		if (fd >= 0) {
			*ret_hold = fd;
			return 0;
		}
		if (fd != -ENOENT || attempt > 0)
			break;
	}
	image_free(img);
	return -e->code;
}

/* The monitor's create request: the one recorded. */
static int recorded_create(const void *ctx, const char *hostname, struct agent_request *ret,
			   struct error *e)
{
	const struct container_config *c = ctx;
	struct process_spec *p = &ret->u.create.spec;
	char placeholder[MSG_HOSTNAME_MAX + 16];

	memset(ret, 0, sizeof(*ret));
	if (!c->create_request)
		return error_set(e, EINVAL, "container %.12s has no recorded command", c->id);
	if (agent_request_parse(c->create_request, strlen(c->create_request), ret, e) < 0 ||
	    ret->op != AGENT_OP_CREATE) {
		agent_request_free(ret);
		return error_prefix(e, "container %.12s: its recorded command", c->id);
	}
	/* The network as recorded (records from before networking: the
	 * NAT, as for their VM), and Docker's /etc files (an OCI engine
	 * brings its own). */
	network_spec(c->network_none, &ret->u.create.ct.net);
	if (!c->bundle)
		network_etc_files(c, c->hostname ? c->hostname : hostname, &ret->u.create.ct);
	if (c->hostname)
		return 0;
	/* No --hostname: the VM's id, known only now (record_container put
	 * the short container ID in its place). */
	snprintf(placeholder, sizeof(placeholder), "HOSTNAME=%s", ret->u.create.hostname);
	snprintf(ret->u.create.hostname, sizeof(ret->u.create.hostname), "%s", hostname);
	for (size_t i = 0; i < p->nenv; i++)
		if (strcmp(p->env[i], placeholder) == 0) {
			free(p->env[i]);
			p->env[i] = xasprintf("HOSTNAME=%s", hostname);
		}
	return 0;
}

int container_start(const struct start_request *r, pid_t *ret_pid, struct error *e)
{
	const struct container_config *c = &r->rec->config;
	struct domain_share shares[DOMAIN_SHARES_MAX];
	struct domain_port ports[CONTAINER_PORTS_MAX];
	unsigned nshares = 0;
	struct domain_disk disk = {.readonly = 1};
	struct monitor_opts mo = {
	    .interactive = c->interactive,
	    .tty = c->tty,
	    .hold_fd = r->hold_fd,
	    .build_create = recorded_create,
	    .ctx = c,
	    .launch = {.foreground = r->foreground,
		       .interactive = c->interactive,
		       .tty = c->tty,
		       .auto_remove = c->auto_remove,
		       .log = c->log,
		       .oci = c->bundle != NULL,
		       .has_console = r->has_console,
		       .console_fd = r->console_fd},
	};
	struct image img;
	struct store st;
	bool own_img = false;
	int sv[2] = {-1, -1};
	pid_t pid;

	snprintf(mo.launch.run_root, sizeof(mo.launch.run_root), "%s", r->run_root);
	snprintf(mo.launch.id, sizeof(mo.launch.id), "%s", c->id);
	mo.boot.vcpus = c->vcpus;
	mo.boot.memory_mib = c->memory_mib;
	mo.boot.qemu_root = c->qemu_root;
	/* A port taken on the host fails here, not as QEMU's error at boot. */
	if (network_check_ports(c, e) < 0)
		goto out;
	mo.boot.nic = !c->network_none;
	network_domain_ports(c, ports);
	mo.boot.ports = ports;
	mo.boot.nports = (unsigned)c->nports;
	if (hv_accel_parse(c->accel, &mo.boot.accel) < 0)
		mo.boot.accel = HV_ACCEL_AUTO;
	if (c->rootfs) {
		struct stat st_dir;
		if (stat(c->rootfs, &st_dir) < 0 || !S_ISDIR(st_dir.st_mode))
			return error_errno(e, errno ? errno : ENOTDIR, "root filesystem \"%s\"",
					   c->rootfs);
		/* An OCI bundle's root is the engine's: it must see the writes. */
		shares[nshares++] = (struct domain_share){
		    .tag = ROOTFS_SHARE_TAG, .source = c->rootfs, .readonly = c->bundle == NULL};
	} else {
		const struct image *use = r->img;
		if (!use) {
			if (!c->image_id)
				return error_set(e, EINVAL, "container %.12s names no image", c->id);
			if (container_open_image(c->image_id, &st, &img, &mo.hold_fd, false, e) < 0)
				return error_prefix(e, "image %s of container %.12s", c->image,
						    c->id);
			own_img = true;
			use = &img;
		}
		disk.source = use->disk;
		mo.boot.disks = &disk;
		mo.boot.ndisks = 1;
	}
	/* Volumes and bind mounts: one 9p share each (run-security.c). */
	for (size_t i = 0; i < c->nmounts; i++) {
		const struct container_mount *m = &c->mounts[i];
		struct stat st_src;
		if (!m->tag[0])
			continue;
		if (nshares == DOMAIN_SHARES_MAX) {
			error_set(e, E2BIG, "container %.12s has more than %d shares", c->id,
				  DOMAIN_SHARES_MAX);
			goto out;
		}
		if (stat(m->source, &st_src) < 0 || !S_ISDIR(st_src.st_mode)) {
			error_errno(e, errno ? errno : ENOTDIR, "%s \"%s\" of container %.12s",
				    m->name ? "volume" : "bind source", m->name ? m->name : m->source,
				    c->id);
			goto out;
		}
		shares[nshares++] = (struct domain_share){
		    .tag = m->tag, .source = m->source, .readonly = m->readonly};
	}
	mo.boot.shares = nshares ? shares : NULL;
	mo.boot.nshares = nshares;
	/* A VM made ahead for these options (spare.h), else our own; an OCI
	 * container's monitor must be our child, so never a spare. */
	sv[0] = c->bundle ? -1 : spare_claim(&mo, &pid);
	if (sv[0] >= 0)
		goto out; /* the spare holds the image itself */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		error_errno(e, errno, "socketpair");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		error_errno(e, errno, "starting the monitor");
		close(sv[0]);
		close(sv[1]);
		sv[0] = -1;
		goto out;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(sv[0]);
		monitor_main(sv[1], &mo);
	}
	close(sv[1]);
	*ret_pid = pid;
out:
	/* The monitor (or the spare) holds the image now; the same lock held
	 * here too would outlive the container's exit. */
	if (mo.hold_fd >= 0)
		close(mo.hold_fd);
	if (own_img)
		image_free(&img);
	return sv[0] >= 0 ? sv[0] : -e->code;
}

int container_started(int fd, struct error *e)
{
	struct monitor_msg m;

	if (monitor_recv(fd, &m, NULL, 0, NULL, STARTED_TIMEOUT_MS) < 0) {
		error_set(e, EPROTO, "the container's monitor exited before it started");
		return EXIT_LAUNCHER;
	}
	if (m.type == MONITOR_STARTED)
		return 0;
	if (m.type == MONITOR_RESULT) {
		error_set(e, EIO, "%s", m.text[0] ? m.text : "the container did not start");
		return m.value ? m.value : EXIT_LAUNCHER;
	}
	error_set(e, EPROTO, "the container's monitor sent an unexpected message");
	return EXIT_LAUNCHER;
}
