/* launcher check: report what the host offers, then boot a VM, ping its
 * agent over vsock and power it off, with the time of each step. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent-client.h"
#include "boot.h"
#include "commands.h"
#include "spare.h"
#include "util.h"

static void check_usage(FILE *out)
{
	fprintf(out,
		"\nUsage:  launcher check [OPTIONS]\n\n"
		"Check the host and boot a test VM end to end\n\n"
		"Options:\n"
		"      --accel string   Accelerator: auto, kvm or tcg (default \"auto\")\n"
		"  -h, --help           Print usage\n"
		"      --warm           Boot a spare VM made ahead of time (as 'launcher run'\n"
		"                       does), starting one first if none is waiting\n");
}

static double ms_since(uint64_t t0, uint64_t t)
{
	return (double)(t - t0) / 1e6;
}

static void print_host(const struct hv_host *h)
{
	printf("libvirt:      %s (libvirt %lu.%lu.%lu, QEMU %lu.%lu.%lu)\n", h->uri,
	       h->libvirt_version / 1000000, h->libvirt_version / 1000 % 1000,
	       h->libvirt_version % 1000, h->qemu_version / 1000000, h->qemu_version / 1000 % 1000,
	       h->qemu_version % 1000);
	printf("accelerator:  %s (%s)\n", hv_accel_name(h->accel.accel), h->accel.reason);
	printf("vsock:        %s (%s)\n", h->vsock == HV_VSOCK_NATIVE ? "native" : "vhost-user",
	       h->vsock_reason);
	if (h->warning[0])
		printf("warning:      %s\n", h->warning);
	printf("guest kernel: %s (%.1f MiB)\n", h->files.kernel,
	       (double)h->files.kernel_size / (1 << 20));
	printf("initramfs:    %s (%.1f MiB)\n", h->files.initrd,
	       (double)h->files.initrd_size / (1 << 20));
	fflush(stdout);
}

static int parse_args(int argc, char **argv, struct boot_opts *opts, bool *warm)
{
	static const struct option longopts[] = {
	    {"accel", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {"warm", no_argument, NULL, 'w'},
	    {0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (hv_accel_parse(optarg, &opts->accel) < 0) {
				launcher_error("invalid --accel \"%s\": use auto, kvm or tcg\n"
					       "See 'launcher check --help'.",
					       optarg);
				return -1;
			}
			break;
		case 'h':
			check_usage(stdout);
			return 1;
		case 'w':
			*warm = true;
			break;
		default:
			launcher_error("unknown flag: %s\nSee 'launcher check --help'.",
				       argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		launcher_error("\"launcher check\" accepts no arguments.\n"
			       "See 'launcher check --help'.");
		return -1;
	}
	return 0;
}

/* The same check on a spare: its domain was defined ahead of time. */
static int check_warm(uint64_t t0, const struct boot_opts *opts)
{
	struct spare_check_result res;
	struct hv_host host;
	struct error e = {0};

	if (spare_check(opts, BOOT_AGENT_TIMEOUT_MS, &res, &e) < 0 ||
	    hv_host_probe(hv_default_uri(), opts->accel, &host, &e) < 0) {
		launcher_error("check failed: %s", e.msg);
		return EXIT_LAUNCHER;
	}
	print_host(&host);
	printf("vm:           %s (a spare, created paused ahead of time)\n", res.vm_name);
	printf("agent:        launcher-agent %s answered ping over vsock (guest uptime %llu ms)\n",
	       res.agent_version, (unsigned long long)res.uptime_ms);
	printf("times:        spare claimed %.0f ms, agent reachable %.0f ms, VM gone %.0f ms\n",
	       ms_since(t0, res.claimed), ms_since(t0, res.agent_reachable),
	       ms_since(t0, res.gone));
	printf("check:        OK\n");
	return 0;
}

int cmd_check(int argc, char **argv)
{
	uint64_t t0 = now_ns();
	struct boot_opts opts = {.accel = HV_ACCEL_AUTO};
	struct agent_request ping = {.id = 1, .op = AGENT_OP_PING};
	struct agent_reply reply;
	struct booted b;
	struct error e = {0};
	uint64_t t_defined, t_agent, t_gone;
	bool warm = false;
	int r = parse_args(argc, argv, &opts, &warm);

	if (r)
		return r > 0 ? 0 : EXIT_LAUNCHER;
	if (warm)
		return check_warm(t0, &opts);
	if (boot_vm(&opts, &b, &e) < 0) {
		if (b.host.uri[0])
			print_host(&b.host);
		launcher_error("check failed: %s", e.msg);
		return EXIT_LAUNCHER;
	}
	print_host(&b.host);
	printf("vm:           %s (state %s)\n", hv_vm_name(b.vm), hv_vm_state_dir(b.vm));
	fflush(stdout);
	t_defined = hv_vm_times(b.vm)->defined;
	t_agent = b.agent_reachable;
	if (agent_call(b.control_fd, &ping, &reply, AGENT_CALL_TIMEOUT_MS, &e) < 0) {
		boot_explain(&b, &e);
		boot_destroy(&b);
		launcher_error("check failed: pinging the agent: %s", e.msg);
		return EXIT_LAUNCHER;
	}
	printf("agent:        launcher-agent %s answered ping over vsock (guest uptime %llu ms)\n",
	       reply.u.ping.version, (unsigned long long)reply.u.ping.uptime_ms);
	if (boot_shutdown(&b, 2, &e) < 0) {
		launcher_error("check failed: shutting the VM down: %s", e.msg);
		return EXIT_LAUNCHER;
	}
	t_gone = now_ns();
	printf("times:        domain defined %.0f ms, agent reachable %.0f ms, VM gone %.0f ms\n",
	       ms_since(t0, t_defined), ms_since(t0, t_agent), ms_since(t0, t_gone));
	printf("check:        OK\n");
	return 0;
}
