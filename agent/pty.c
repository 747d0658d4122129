#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "util.h"

/* Output is what matters for throughput; input is typing and pastes. */
#define PTY_OUT_CAP (64u * 1024)
#define PTY_IN_CAP (16u * 1024)
/* After output was read, the master rests this long before the next read:
 * a program writing line by line then costs the agent one wakeup per
 * batch instead of one per line, for a delay no one types fast enough to
 * see. Under TCG a wakeup costs ~100 us, so this is the difference between
 * 4 s and a fraction of it for 30000 lines. */
#define PTY_COALESCE_NS 1000000

int pty_set_size(int master, uint16_t rows, uint16_t cols, struct error *e)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};

	if (ioctl(master, TIOCSWINSZ, &ws) < 0)
		return error_errno(e, errno, "setting the terminal size");
	return 0;
}

int pty_open(uid_t uid, uint16_t rows, uint16_t cols, int *ret_master, int *ret_slave,
	     struct error *e)
{
	_cleanup_close_ int master = -1, slave = -1;
	int unlock = 0;

	master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return error_errno(e, errno, "opening /dev/pts/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return error_errno(e, errno, "unlocking the terminal");
	/* The peer of this very master, without a path lookup in between. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return error_errno(e, errno, "opening the terminal's slave");
	/* As runc does: the user owns its terminal (group tty from devpts). */
	if (fchown(slave, uid, (gid_t)-1) < 0)
		return error_errno(e, errno, "giving the terminal to uid %u", (unsigned)uid);
	if (rows && cols && pty_set_size(master, rows, cols, e) < 0)
		return -e->code;
	*ret_master = TAKE_FD(master);
	*ret_slave = TAKE_FD(slave);
	return 0;
}

struct pty_relay {
	struct loop *loop;
	struct watch master; /* fd -1 once the last slave closed */
	struct watch conn;   /* fd -1 without a connection or once the host is gone */
	struct watch rest;   /* timerfd: the master's pause between reads */
	bool resting;
	uint8_t out[PTY_OUT_CAP]; /* master -> host */
	size_t out_len;
	uint8_t in[PTY_IN_CAP]; /* host -> master */
	size_t in_off, in_len;
	bool in_eof;  /* the host half-closed: nothing more to type */
	bool drained; /* output all sent and the connection half-closed */
	pty_drained_fn fn;
	void *userdata;
};

static void close_watch(struct pty_relay *r, struct watch *w)
{
	if (w->fd < 0)
		return;
	loop_remove(r->loop, w);
	close(w->fd);
	w->fd = -1;
}

/* The host is gone: what the process writes from now on is dropped. */
static void conn_gone(struct pty_relay *r)
{
	close_watch(r, &r->conn);
	r->out_len = 0;
	r->in_off = r->in_len = 0;
	r->in_eof = true;
}

static void start_rest(struct pty_relay *r)
{
	struct itimerspec t = {.it_value = {.tv_nsec = PTY_COALESCE_NS}};

	if (r->rest.fd >= 0 && timerfd_settime(r->rest.fd, 0, &t, NULL) == 0)
		r->resting = true;
}

static void read_master(struct pty_relay *r)
{
	bool got = false;

	while (r->out_len < sizeof(r->out)) {
		ssize_t n = read(r->master.fd, r->out + r->out_len, sizeof(r->out) - r->out_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (got)
				start_rest(r);
			return;
		}
		if (n <= 0) {
			/* EIO: no slave is open any more, and the kernel
			 * hands out what they wrote before saying so. */
			close_watch(r, &r->master);
			r->in_off = r->in_len = 0;
			return;
		}
		if (r->conn.fd >= 0)
			r->out_len += (size_t)n;
		got = true;
	}
}

static void write_master(struct pty_relay *r)
{
	while (r->in_off < r->in_len) {
		ssize_t n = write(r->master.fd, r->in + r->in_off, r->in_len - r->in_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			/* The slave side is gone; read_master will see it. */
			r->in_off = r->in_len;
			break;
		}
		r->in_off += (size_t)n;
	}
	r->in_off = r->in_len = 0;
}

static void read_conn(struct pty_relay *r)
{
	for (;;) {
		uint8_t discard[4096];
		/* After the input ended or the terminal closed, what comes
		 * is read only to notice the host closing. */
		bool keep = !r->in_eof && r->master.fd >= 0;
		uint8_t *p = keep ? r->in + r->in_len : discard;
		size_t room = keep ? sizeof(r->in) - r->in_len : sizeof(discard);
		ssize_t n;

		if (room == 0)
			return;
		n = read(r->conn.fd, p, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			conn_gone(r);
			return;
		}
		if (n == 0) {
			if (r->drained)
				close_watch(r, &r->conn);
			r->in_eof = true;
			return;
		}
		if (keep)
			r->in_len += (size_t)n;
	}
}

static void write_conn(struct pty_relay *r)
{
	size_t done = 0;

	while (done < r->out_len) {
		ssize_t n = send(r->conn.fd, r->out + done, r->out_len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			conn_gone(r);
			return;
		}
		done += (size_t)n;
	}
	memmove(r->out, r->out + done, r->out_len - done);
	r->out_len -= done;
}

static void relay_update(struct pty_relay *r)
{
	uint32_t want;
	struct error e = {0};

	if (r->master.fd < 0 && r->out_len == 0 && !r->drained) {
		r->drained = true;
		close_watch(r, &r->rest);
		if (r->conn.fd >= 0)
			shutdown(r->conn.fd, SHUT_WR);
		if (r->conn.fd >= 0 && r->in_eof)
			close_watch(r, &r->conn);
		r->fn(r, r->userdata);
	}
	if (r->master.fd >= 0) {
		want = r->out_len < sizeof(r->out) && !r->resting ? EPOLLIN : 0;
		if (r->in_len)
			want |= EPOLLOUT;
		if (loop_set(r->loop, &r->master, want, &e) < 0) {
			console_log("pty: %s", e.msg);
			close_watch(r, &r->master);
			relay_update(r);
			return;
		}
	}
	if (r->conn.fd >= 0) {
		want = r->out_len ? EPOLLOUT : 0;
		/* After the host's half-close nothing is watched for reading:
		 * a socket at EOF stays readable for ever. */
		if (!r->in_eof && r->in_len == 0)
			want |= EPOLLIN;
		if (loop_set(r->loop, &r->conn, want, &e) < 0) {
			console_log("pty: %s", e.msg);
			conn_gone(r);
			relay_update(r);
		}
	}
}

static void on_master(struct watch *w, uint32_t events)
{
	struct pty_relay *r = watch_owner(w, struct pty_relay, master);

	if (w->fd < 0)
		return;
	if (events & EPOLLOUT)
		write_master(r);
	if (r->master.fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		read_master(r);
	/* Output read now goes out at once rather than on the next round. */
	if (r->conn.fd >= 0 && r->out_len)
		write_conn(r);
	relay_update(r);
}

static void on_rest(struct watch *w, uint32_t events)
{
	struct pty_relay *r = watch_owner(w, struct pty_relay, rest);
	uint64_t ticks;

	if (w->fd < 0)
		return;
	(void)!read(w->fd, &ticks, sizeof(ticks));
	r->resting = false;
	relay_update(r);
}

static void on_conn(struct watch *w, uint32_t events)
{
	struct pty_relay *r = watch_owner(w, struct pty_relay, conn);

	if (w->fd < 0)
		return;
	/* Both directions closed: the host detached. */
	if (events & (EPOLLHUP | EPOLLERR)) {
		conn_gone(r);
		relay_update(r);
		return;
	}
	if (events & EPOLLOUT)
		write_conn(r);
	if (r->conn.fd >= 0 && (events & EPOLLIN))
		read_conn(r);
	if (r->master.fd >= 0 && r->in_off < r->in_len)
		write_master(r);
	relay_update(r);
}

struct pty_relay *pty_relay_start(struct loop *loop, int master, int conn, pty_drained_fn fn,
				  void *userdata, struct error *e)
{
	struct pty_relay *r;

	if (fd_set_nonblock(master, true) < 0 || (conn >= 0 && fd_set_nonblock(conn, true) < 0)) {
		error_errno(e, errno, "pty: making the relay non-blocking");
		close(master);
		if (conn >= 0)
			close(conn);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->master.fd = master;
	r->master.fn = on_master;
	r->conn.fd = conn;
	r->conn.fn = on_conn;
	/* Without a timer the relay works all the same, one read per wakeup. */
	r->rest.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r->rest.fn = on_rest;
	if (r->rest.fd >= 0 && loop_add(loop, &r->rest, EPOLLIN, e) < 0) {
		close(r->rest.fd);
		r->rest.fd = -1;
	}
	r->in_eof = conn < 0;
	r->fn = fn;
	r->userdata = userdata;
	relay_update(r);
	return r;
}

void pty_relay_free(struct pty_relay *r)
{
	if (!r)
		return;
	close_watch(r, &r->master);
	close_watch(r, &r->conn);
	close_watch(r, &r->rest);
	free(r);
}

int pty_relay_resize(struct pty_relay *r, uint16_t rows, uint16_t cols, struct error *e)
{
	if (r->master.fd < 0)
		return error_set(e, ESRCH, "the terminal is closed");
	return pty_set_size(r->master.fd, rows, cols, e);
}
