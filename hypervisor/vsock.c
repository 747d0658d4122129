#include "vsock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "cleanup.h"
#include "util.h"

#define HANDSHAKE_LINE_MAX 64

int vsock_connect_native(uint32_t cid, uint32_t port, int timeout_ms, struct error *e)
{
	struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port};
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	_cleanup_close_ int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return error_errno(e, errno, "creating an AF_VSOCK socket");
	(void)setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == ECONNRESET || errno == ECONNREFUSED)
			return -ECONNREFUSED;
		if (errno == ETIMEDOUT || errno == EINTR)
			return error_set(e, ETIMEDOUT, "vsock connect to %u:%u timed out", cid, port);
		return error_errno(e, errno, "vsock connect to %u:%u", cid, port);
	}
	return TAKE_FD(fd);
}

/* Reads the handshake answer one byte at a time: whatever follows the
 * newline is the guest's data and must stay in the socket. */
static int read_line(int fd, char *buf, size_t size, uint64_t deadline)
{
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = now_ns();
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)((deadline - now) / 1000000 + 1));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		n = read(fd, buf + len, 1);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNREFUSED;
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return 0;
		}
		len++;
	}
	return -EPROTO;
}

int vsock_connect_hybrid(const char *uds_path, uint32_t port, int timeout_ms, struct error *e)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char line[HANDSHAKE_LINE_MAX];
	int r;

	if (fd < 0)
		return error_errno(e, errno, "creating a Unix socket");
	if (strlen(uds_path) >= sizeof(addr.sun_path))
		return error_set(e, ENAMETOOLONG, "vsock socket path %s is too long", uds_path);
	strcpy(addr.sun_path, uds_path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return error_errno(e, errno == ENOENT || errno == ECONNREFUSED ? ENOTCONN : errno,
				   "connecting to the vsock backend at %s", uds_path);
	snprintf(line, sizeof(line), "CONNECT %u\n", port);
	r = write_full(fd, line, strlen(line));
	if (r == -EPIPE || r == -ECONNRESET)
		return error_set(e, ENOTCONN, "the vsock backend at %s closed the connection",
				 uds_path);
	if (r < 0)
		return error_errno(e, -r, "writing to the vsock backend at %s", uds_path);
	r = read_line(fd, line, sizeof(line), now_ns() + (uint64_t)timeout_ms * 1000000u);
	if (r == -ECONNREFUSED)
		return r;
	if (r == -ETIMEDOUT)
		return error_set(e, ETIMEDOUT, "guest port %u did not answer within %d ms", port,
				 timeout_ms);
	if (r == -EPROTO)
		return error_set(e, EPROTO, "vsock backend sent an overlong handshake line");
	if (r < 0)
		return error_errno(e, -r, "reading the vsock handshake");
	if (strncmp(line, "OK ", 3) != 0)
		return error_set(e, EPROTO, "vsock backend answered an unexpected handshake");
	return TAKE_FD(fd);
}
