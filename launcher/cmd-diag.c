/* launcher diag vsock: a diagnostic that boots a VM and moves data through
 * vsock stream connections to and from the agent, checking every byte.
 * Tests use it to prove flow control (slow readers on either side) and
 * bench/ uses it for the throughput figures. Not listed in --help. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "agent-client.h"
#include "boot.h"
#include "cleanup.h"
#include "commands.h"
#include "protocol.h"
#include "util.h"
#include "vsock.h"

#define IO_CHUNK (64u * 1024)
#define STALL_TIMEOUT_MS 60000
#define REPLY_TIMEOUT_MS 600000

struct diag_opts {
	struct boot_opts boot;
	uint64_t size;
	int to_guest, from_guest, pipe;
	uint32_t guest_delay_us, host_delay_us, chunk;
};

static void diag_usage(FILE *out)
{
	fprintf(out,
		"\nUsage:  launcher diag vsock [OPTIONS]\n\n"
		"Boot a VM and check vsock streams to and from its agent\n\n"
		"Options:\n"
		"      --accel string          Accelerator: auto, kvm or tcg\n"
		"      --size bytes            Bytes per direction (default 64M)\n"
		"      --direction string      to-guest, from-guest or both (default both)\n"
		"      --guest-delay-us n      Agent pauses this long after each chunk\n"
		"      --host-delay-us n       launcher pauses this long after each read\n"
		"      --chunk bytes           Agent's read/write size (default 64k)\n"
		"      --pipe                  Also time an in-guest pipe copy (the ceiling)\n");
}

static void sleep_us(uint32_t us)
{
	if (us)
		nanosleep(&(struct timespec){.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L},
			  NULL);
}

static int wait_fd(int fd, short events, struct error *e)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do
		r = poll(&p, 1, STALL_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return error_set(e, ETIMEDOUT, "stream stalled for %d s", STALL_TIMEOUT_MS / 1000);
	return r < 0 ? error_errno(e, errno, "poll") : 0;
}

static int write_stream(int fd, const uint8_t *buf, size_t len, struct error *e)
{
	while (len) {
		ssize_t n;

		if (wait_fd(fd, POLLOUT, e) < 0)
			return -e->code;
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return error_errno(e, errno, "writing to the guest");
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int open_stream(struct booted *b, const struct agent_request *req, struct error *e)
{
	_cleanup_close_ int fd = hv_vm_connect(b->vm, AGENT_STREAM_PORT, e);

	if (fd < 0)
		return fd == -ECONNREFUSED ? error_set(e, ECONNREFUSED, "agent stream port refused")
					   : -e->code;
	if (agent_send(fd, req, e) < 0)
		return -e->code;
	if (fd_set_nonblock(fd, true) < 0)
		return error_errno(e, errno, "fcntl");
	return TAKE_FD(fd);
}

static void report(const char *what, uint64_t bytes, uint64_t ns, const char *extra)
{
	double s = (double)ns / 1e9;

	printf("%-11s %llu bytes in %.3f s, %.1f MB/s%s\n", what, (unsigned long long)bytes, s,
	       s > 0 ? (double)bytes / 1e6 / s : 0.0, extra);
	fflush(stdout);
}

static int to_guest(struct booted *b, const struct diag_opts *o, uint64_t id, struct error *e)
{
	struct agent_request req = {.id = id, .op = AGENT_OP_DIAG,
				    .u.diag = {.mode = DIAG_SINK, .bytes = o->size,
					       .chunk = o->chunk, .delay_us = o->guest_delay_us}};
	_cleanup_free_ uint8_t *buf = xmalloc(IO_CHUNK);
	_cleanup_close_ int fd = open_stream(b, &req, e);
	struct agent_reply reply;
	uint64_t t0 = now_ns(), sent = 0;
	uLong crc = crc32(0, NULL, 0);

	if (fd < 0)
		return fd;
	while (sent < o->size) {
		size_t n = o->size - sent < IO_CHUNK ? (size_t)(o->size - sent) : IO_CHUNK;
		diag_pattern_fill(req.u.diag.seed, sent, buf, n);
		crc = crc32(crc, buf, (uInt)n);
		if (write_stream(fd, buf, n, e) < 0)
			return error_prefix(e, "after %llu of %llu bytes to the guest",
					    (unsigned long long)sent, (unsigned long long)o->size);
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	fd_set_nonblock(fd, false);
	if (agent_read_reply(fd, id, AGENT_OP_DIAG, &reply, REPLY_TIMEOUT_MS, e) < 0)
		return -e->code;
	if (reply.u.diag.bytes != o->size || reply.u.diag.crc32 != (uint32_t)crc)
		return error_set(e, EIO,
				 "to-guest: agent got %llu bytes with CRC-32 %08x, sent %llu with %08x",
				 (unsigned long long)reply.u.diag.bytes, reply.u.diag.crc32,
				 (unsigned long long)o->size, (unsigned)crc);
	report("to-guest:", o->size, now_ns() - t0, ", checksum ok");
	return 0;
}

static int from_guest(struct booted *b, const struct diag_opts *o, uint64_t id, struct error *e)
{
	struct agent_request req = {.id = id, .op = AGENT_OP_DIAG,
				    .u.diag = {.mode = DIAG_SOURCE, .bytes = o->size, .seed = id,
					       .chunk = o->chunk, .delay_us = o->guest_delay_us}};
	_cleanup_free_ uint8_t *buf = xmalloc(IO_CHUNK), *want = xmalloc(IO_CHUNK);
	_cleanup_close_ int fd = open_stream(b, &req, e);
	uint64_t t0 = now_ns(), got = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n;

		if (wait_fd(fd, POLLIN, e) < 0)
			return -e->code;
		n = read(fd, buf, IO_CHUNK);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return error_errno(e, errno, "reading from the guest");
		if (n == 0)
			break;
		if (got + (uint64_t)n > o->size)
			return error_set(e, EIO, "from-guest: agent sent more than %llu bytes",
					 (unsigned long long)o->size);
		diag_pattern_fill(req.u.diag.seed, got, want, (size_t)n);
		if (memcmp(buf, want, (size_t)n) != 0)
			return error_set(e, EIO, "from-guest: data differs near byte %llu",
					 (unsigned long long)got);
		got += (uint64_t)n;
		sleep_us(o->host_delay_us);
	}
	if (got != o->size)
		return error_set(e, EIO, "from-guest: stream ended after %llu of %llu bytes",
				 (unsigned long long)got, (unsigned long long)o->size);
	report("from-guest:", got, now_ns() - t0, ", data ok");
	return 0;
}

static int guest_pipe(struct booted *b, const struct diag_opts *o, uint64_t id, struct error *e)
{
	struct agent_request req = {.id = id, .op = AGENT_OP_DIAG,
				    .u.diag = {.mode = DIAG_PIPE, .bytes = o->size}};
	_cleanup_close_ int fd = open_stream(b, &req, e);
	struct agent_reply reply;

	if (fd < 0)
		return fd;
	fd_set_nonblock(fd, false);
	if (agent_read_reply(fd, id, AGENT_OP_DIAG, &reply, REPLY_TIMEOUT_MS, e) < 0)
		return -e->code;
	if (reply.u.diag.bytes != o->size)
		return error_set(e, EIO, "pipe: agent copied %llu of %llu bytes",
				 (unsigned long long)reply.u.diag.bytes, (unsigned long long)o->size);
	report("guest-pipe:", reply.u.diag.bytes, reply.u.diag.elapsed_ns, " (in-guest ceiling)");
	return 0;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *ret)
{
	uint64_t v;

	if (parse_uint(s, max, &v) < 0)
		return -1;
	*ret = (uint32_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct diag_opts *o)
{
	static const struct option longopts[] = {
		{"accel", required_argument, NULL, 'a'},
		{"size", required_argument, NULL, 's'},
		{"direction", required_argument, NULL, 'd'},
		{"guest-delay-us", required_argument, NULL, 'g'},
		{"host-delay-us", required_argument, NULL, 'H'},
		{"chunk", required_argument, NULL, 'c'},
		{"pipe", no_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	uint64_t v;
	int c;

	if (argc < 2 || strcmp(argv[1], "vsock") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			diag_usage(stdout);
			return 1;
		}
		launcher_error("usage: launcher diag vsock [OPTIONS]");
		return -1;
	}
	argc--;
	argv++;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		const char *bad = NULL;
		switch (c) {
		case 'a':
			if (hv_accel_parse(optarg, &o->boot.accel) < 0)
				bad = "--accel";
			break;
		case 's':
			if (parse_size(optarg, &v) < 0 || v == 0 || v > DIAG_BYTES_MAX)
				bad = "--size";
			o->size = v;
			break;
		case 'd':
			o->to_guest = !strcmp(optarg, "to-guest") || !strcmp(optarg, "both");
			o->from_guest = !strcmp(optarg, "from-guest") || !strcmp(optarg, "both");
			if (!o->to_guest && !o->from_guest)
				bad = "--direction";
			break;
		case 'g':
			if (parse_u32(optarg, DIAG_DELAY_MAX, &o->guest_delay_us) < 0)
				bad = "--guest-delay-us";
			break;
		case 'H':
			if (parse_u32(optarg, DIAG_DELAY_MAX, &o->host_delay_us) < 0)
				bad = "--host-delay-us";
			break;
		case 'c':
			if (parse_size(optarg, &v) < 0 || v == 0 || v > DIAG_CHUNK_MAX)
				bad = "--chunk";
			o->chunk = (uint32_t)v;
			break;
		case 'p':
			o->pipe = 1;
			break;
		case 'h':
			diag_usage(stdout);
			return 1;
		default:
			launcher_error("unknown flag: %s\nSee 'launcher diag --help'.",
				       argv[optind - 1]);
			return -1;
		}
		if (bad) {
			launcher_error("invalid value \"%s\" for %s\nSee 'launcher diag --help'.",
				       optarg, bad);
			return -1;
		}
	}
	return 0;
}

/* launcher diag wait-uds PATH: polls a hybrid vsock socket until the agent
 * answers on its control port, as launcher does while a VM boots. The
 * baseline of bench/boot.sh, which runs QEMU without libvirt. */
static int wait_uds(int argc, char **argv)
{
	uint64_t t0 = now_ns(), deadline = t0 + BOOT_AGENT_TIMEOUT_MS * 1000000ull;
	struct error e = {0};

	if (argc != 2) {
		launcher_error("usage: launcher diag wait-uds PATH");
		return EXIT_LAUNCHER;
	}
	while (now_ns() < deadline) {
		int fd = vsock_connect_hybrid(argv[1], AGENT_CONTROL_PORT, 2000, &e);
		if (fd >= 0) {
			close(fd);
			printf("agent reachable after %.0f ms\n", (double)(now_ns() - t0) / 1e6);
			return 0;
		}
		nanosleep(&(struct timespec){.tv_nsec = 5 * 1000000}, NULL);
	}
	launcher_error("nothing answered on %s within %d ms", argv[1], BOOT_AGENT_TIMEOUT_MS);
	return EXIT_LAUNCHER;
}

int cmd_diag(int argc, char **argv)
{
	struct diag_opts o = {.boot.accel = HV_ACCEL_AUTO, .size = 64u << 20, .to_guest = 1,
			      .from_guest = 1};
	struct booted b;
	struct error e = {0};
	int r;

	if (argc >= 2 && strcmp(argv[1], "wait-uds") == 0)
		return wait_uds(argc - 1, argv + 1);
	r = parse_args(argc, argv, &o);

	if (r)
		return r > 0 ? 0 : EXIT_LAUNCHER;
	if (boot_vm(&o.boot, &b, &e) < 0) {
		launcher_error("diag failed: %s", e.msg);
		return EXIT_LAUNCHER;
	}
	fprintf(stderr, "vm: %s backend-pid: %d\n", hv_vm_name(b.vm), (int)hv_vm_backend_pid(b.vm));
	r = 0;
	if (o.to_guest)
		r = to_guest(&b, &o, 10, &e);
	if (r >= 0 && o.from_guest)
		r = from_guest(&b, &o, 11, &e);
	if (r >= 0 && o.pipe)
		r = guest_pipe(&b, &o, 12, &e);
	if (r < 0) {
		struct error why = e;
		boot_explain(&b, &why);
		boot_destroy(&b);
		if (why.code != e.code || strcmp(why.msg, e.msg))
			launcher_error("diag failed: %s (%s)", why.msg, e.msg);
		else
			launcher_error("diag failed: %s", e.msg);
		return EXIT_LAUNCHER;
	}
	if (boot_shutdown(&b, 13, &e) < 0) {
		launcher_error("diag failed: shutting the VM down: %s", e.msg);
		return EXIT_LAUNCHER;
	}
	return 0;
}
