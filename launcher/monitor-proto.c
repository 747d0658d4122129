/* The monitor's small protocol (monitor.h): fixed records over
 * SOCK_SEQPACKET, stdio passed with SCM_RIGHTS, payloads in chunks; and the
 * client's side of a session. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "monitor.h"
#include "state.h"
#include "terminal.h"
#include "util.h"

#define CHUNK_SIZE 32768 /* payload records */

int monitor_send(int fd, const struct monitor_msg *m, const int *fds, int nfds,
		 const void *payload, size_t len)
{
	char cbuf[CMSG_SPACE(3 * sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds < 0 || nfds > 3)
		return -1;
	if (nfds) {
		struct cmsghdr *c;
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(*m))
		return -1;
	for (size_t off = 0; off < len; off += CHUNK_SIZE) {
		size_t n = len - off < CHUNK_SIZE ? len - off : CHUNK_SIZE;
		if (send(fd, (const char *)payload + off, n, MSG_NOSIGNAL) != (ssize_t)n)
			return -1;
	}
	return 0;
}

int monitor_recv(int fd, struct monitor_msg *m, int *fds, int max_fds, int *ret_nfds,
		 int timeout_ms)
{
	char cbuf[CMSG_SPACE(3 * sizeof(int))];
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int got[3], ngot = 0, kept = 0;
	ssize_t n;

	if (ret_nfds)
		*ret_nfds = 0;
	if (timeout_ms != 0 && poll(&p, 1, timeout_ms) <= 0)
		return -1;
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k && ngot < 3; i++)
				memcpy(&got[ngot++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	if (n == (ssize_t)sizeof(*m) && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && fds &&
	    ngot <= max_fds) {
		memcpy(fds, got, (size_t)ngot * sizeof(int));
		kept = ngot;
	}
	for (int i = kept; i < ngot; i++)
		close(got[i]);
	if (n != (ssize_t)sizeof(*m) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    kept != ngot) {
		for (int i = 0; i < kept; i++)
			close(fds[i]);
		return -1;
	}
	if (ret_nfds)
		*ret_nfds = kept;
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

int monitor_recv_payload(int fd, size_t len, int timeout_ms, char **ret)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	char *buf = xmalloc(len ? len : 1);
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint64_t now = now_ns();
		ssize_t n;

		if (now >= deadline ||
		    poll(&p, 1, (int)((deadline - now) / 1000000u) + 1) <= 0)
			goto fail;
		n = recv(fd, buf + got, len - got < CHUNK_SIZE ? len - got : CHUNK_SIZE,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	*ret = buf;
	return 0;
fail:
	free(buf);
	return -1;
}

bool monitor_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	       (cred.uid == geteuid() || cred.uid == 0);
}

int monitor_sock_addr(const char *run_root, const char *id, struct sockaddr_un *sa)
{
	char dir[PATH_MAX];
	int dfd;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (container_path(run_root, id, NULL, dir, sizeof(dir)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/sock", dfd);
	return dfd;
}

int monitor_connect(const char *run_root, const char *id)
{
	struct sockaddr_un sa;
	_cleanup_close_ int fd = -1, dfd = monitor_sock_addr(run_root, id, &sa);

	if (dfd < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	if (!monitor_peer_allowed(fd)) {
		errno = EPERM;
		return -1;
	}
	return TAKE_FD(fd);
}

int monitor_client_wait(int fd, int sigfd, const char *what_gone)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
		struct monitor_msg m;
		struct signalfd_siginfo si;
		ssize_t n;

		if (poll(p, sigfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (sigfd >= 0 && p[1].revents & POLLIN &&
		    read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			m = (struct monitor_msg){.value = (int)si.ssi_signo};
			m.type = si.ssi_signo == SIGWINCH ? MONITOR_WINCH : MONITOR_SIGNAL;
			(void)!send(fd, &m, sizeof(m), MSG_NOSIGNAL);
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, &m, sizeof(m), 0);
		if (n == (ssize_t)sizeof(m) && m.type == MONITOR_RESULT) {
			terminal_restore();
			m.text[sizeof(m.text) - 1] = '\0';
			if (m.text[0])
				launcher_error("%s", m.text);
			return m.value;
		}
		if (n <= 0)
			break;
	}
	terminal_restore();
	launcher_error("%s exited without an exit status", what_gone);
	return EXIT_LAUNCHER;
}
