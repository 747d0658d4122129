/* One connection of the vsock device: its state machine, its host socket,
 * and credit flow control in both directions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iov.h"
#include "log.h"
#include "vsock-device-internal.h"

/* Send a credit update once we freed this much since the last one. */
#define CREDIT_UPDATE_THRESHOLD (VSOCK_BUF_ALLOC / 4)

static ssize_t send_iov(int fd, const struct iovec *iov, unsigned niov)
{
	struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = niov};

	return sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static bool would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

uint32_t vsock_conn_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

void vsock_conn_hdr(const struct vsock_conn *c, uint16_t op, uint32_t len, struct vsock_hdr *h)
{
	*h = (struct vsock_hdr){
	    .src_cid = VSOCK_CID_HOST,
	    .dst_cid = c->dev->guest_cid,
	    .src_port = c->local_port,
	    .dst_port = c->peer_port,
	    .len = len,
	    .type = VSOCK_TYPE_STREAM,
	    .op = op,
	    .flags = op == VSOCK_OP_SHUTDOWN ? VSOCK_SHUTDOWN_SEND : 0,
	    .buf_alloc = VSOCK_BUF_ALLOC,
	    .fwd_cnt = c->fwd_cnt,
	};
}

static void conn_queue_ctrl(struct vsock_conn *c, unsigned bits)
{
	c->ctrl |= bits;
	if (!list_linked(&c->ctrl_link))
		list_add_tail(&c->dev->ctrl_list, &c->ctrl_link);
}

static bool conn_wants_rx(const struct vsock_conn *c)
{
	return c->state == CONN_ESTABLISHED && c->host_readable && !c->host_eof &&
	       !c->guest_shut_rcv;
}

void vsock_conn_schedule_rx(struct vsock_conn *c)
{
	bool ready = conn_wants_rx(c);

	if (ready && vsock_conn_credit(c) == 0) {
		ready = false;
		if (!c->credit_requested) {
			c->credit_requested = true;
			conn_queue_ctrl(c, CTRL_CREDIT_REQUEST);
		}
	}
	if (ready && !list_linked(&c->rx_link))
		list_add_tail(&c->dev->rx_list, &c->rx_link);
	else if (!ready && list_linked(&c->rx_link))
		list_del(&c->rx_link);
}

void vsock_conn_update_events(struct vsock_conn *c)
{
	uint32_t want = 0;
	int r = 0;

	if (c->fd < 0)
		return;
	if (c->state == CONN_ESTABLISHED && !c->host_readable && !c->host_eof && !c->guest_shut_rcv)
		want |= EPOLLIN;
	if (c->buf.len > 0)
		want |= EPOLLOUT;
	/* epoll reports HUP whatever the mask: a socket whose client hung up,
	 * from which we want nothing now, would wake the loop forever. It
	 * leaves the set until we want something from it again. */
	bool reg = want != 0 || !c->host_hup;

	if (reg && !c->registered)
		r = event_add(c->dev->epfd, c->fd, want, &c->src);
	else if (reg && want != c->events)
		r = event_mod(c->dev->epfd, c->fd, want, &c->src);
	else if (!reg && c->registered)
		r = event_del(c->dev->epfd, c->fd);
	if (r < 0) {
		log_msg("host connection to port %u: epoll: %s", c->peer_port, strerror(-r));
		vsock_conn_reset(c);
		return;
	}
	c->registered = reg;
	c->events = want;
}

static void conn_close_host(struct vsock_conn *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also takes it out of the epoll set */
	c->fd = -1;
	c->registered = false;
	byte_ring_free(&c->buf);
}

static void list_del_if_linked(struct list_node *n)
{
	if (list_linked(n))
		list_del(n);
}

void vsock_conn_destroy(struct vsock_conn *c)
{
	struct vsock_device *dev = c->dev;

	if (c->state == CONN_DEAD)
		return;
	conn_close_host(c);
	list_del_if_linked(&c->ctrl_link);
	list_del_if_linked(&c->rx_link);
	list_del_if_linked(&c->link);
	dev->conns[c->slot] = NULL;
	dev->nconns--;
	c->state = CONN_DEAD;
	list_add_tail(&dev->dead, &c->link);
}

void vsock_conn_reset(struct vsock_conn *c)
{
	if (c->state == CONN_DEAD || c->state == CONN_CLOSING)
		return;
	if (!c->request_sent) {
		vsock_conn_destroy(c);
		return;
	}
	conn_close_host(c);
	list_del_if_linked(&c->rx_link);
	list_del_if_linked(&c->link);
	c->state = CONN_CLOSING;
	c->ctrl = 0;
	conn_queue_ctrl(c, CTRL_RST);
}

/* Both directions are finished once the guest sent everything and it was
 * delivered, and the host side sent everything or the guest will not read
 * any more. */
static void conn_check_done(struct vsock_conn *c)
{
	if (c->state == CONN_ESTABLISHED && c->guest_shut_send && c->buf.len == 0 &&
	    (c->host_eof || c->guest_shut_rcv))
		vsock_conn_reset(c);
}

static void conn_maybe_credit_update(struct vsock_conn *c)
{
	if (c->state == CONN_ESTABLISHED &&
	    c->fwd_cnt - c->last_fwd_cnt_sent >= CREDIT_UPDATE_THRESHOLD)
		conn_queue_ctrl(c, CTRL_CREDIT_UPDATE);
}

/* Writes buffered guest data to the host socket. */
static void conn_flush_host(struct vsock_conn *c)
{
	while (c->buf.len > 0) {
		struct iovec v[2];
		unsigned n = byte_ring_peek(&c->buf, v);
		ssize_t w = send_iov(c->fd, v, n);

		if (w < 0 && would_block(errno))
			break;
		if (w < 0) {
			vsock_conn_reset(c);
			return;
		}
		byte_ring_consume(&c->buf, (size_t)w);
		c->fwd_cnt += (uint32_t)w;
	}
	/* The guest's SHUTDOWN(SEND) reaches the client after the data. */
	if (c->buf.len == 0 && c->guest_shut_send && !c->host_shut_wr) {
		shutdown(c->fd, SHUT_WR);
		c->host_shut_wr = true;
	}
	conn_maybe_credit_update(c);
	vsock_conn_update_events(c);
	conn_check_done(c);
}

void vsock_conn_host_eof(struct vsock_conn *c)
{
	c->host_eof = true;
	c->host_readable = false;
	vsock_conn_schedule_rx(c);
	/* A client that closed both directions cannot take what the guest
	 * still sends: reset rather than half-close. */
	if (c->host_hup) {
		vsock_conn_reset(c);
		return;
	}
	conn_queue_ctrl(c, CTRL_SHUTDOWN);
	vsock_conn_update_events(c);
	conn_check_done(c);
}

static int conn_dispatch(struct event_source *src, uint32_t events)
{
	struct vsock_conn *c = container_of(src, struct vsock_conn, src);

	if (c->fd < 0) /* closed earlier in this batch of events */
		return 0;
	if (events & EPOLLERR) {
		vsock_conn_reset(c);
		return 0;
	}
	if (events & EPOLLHUP)
		c->host_hup = true;
	if (c->state == CONN_CONNECTING && c->host_hup) {
		vsock_conn_reset(c);
		return 0;
	}
	if (events & EPOLLIN) {
		c->host_readable = true;
		vsock_conn_schedule_rx(c);
	}
	if (events & EPOLLOUT)
		conn_flush_host(c);
	if (c->fd >= 0 && c->host_hup && c->host_eof && c->buf.len == 0) {
		vsock_conn_reset(c);
		return 0;
	}
	vsock_conn_update_events(c);
	return 0;
}

static void conn_update_credit(struct vsock_conn *c, const struct vsock_hdr *h)
{
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (vsock_conn_credit(c) > 0)
		c->credit_requested = false;
	vsock_conn_schedule_rx(c);
}

static void conn_recv_response(struct vsock_conn *c)
{
	char line[VSOCK_CONNECT_LINE_MAX];

	if (c->state != CONN_CONNECTING || !c->request_sent) {
		log_guest("guest: port %u: unexpected RESPONSE", c->peer_port);
		vsock_conn_reset(c);
		return;
	}
	int n = snprintf(line, sizeof(line), "OK %u\n", c->local_port);
	if (send(c->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		vsock_conn_reset(c); /* the client went away */
		return;
	}
	c->state = CONN_ESTABLISHED;
	list_del(&c->link);
	vsock_conn_update_events(c);
}

static void conn_recv_data(struct vsock_conn *c, const struct iovec *iov, unsigned niov,
			   uint32_t len)
{
	struct iovec part[VQ_MAX_IOV];
	size_t done = 0;

	if (c->state != CONN_ESTABLISHED || c->guest_shut_send) {
		log_guest("guest: port %u: data on a connection not open for it", c->peer_port);
		vsock_conn_reset(c);
		return;
	}
	/* What we hold is exactly what the guest sent beyond what we reported
	 * delivered, so a guest within its credit always fits. */
	if (len > byte_ring_space(&c->buf)) {
		log_guest("guest: port %u: sent %u bytes beyond its credit", c->peer_port,
			  (unsigned)(len - byte_ring_space(&c->buf)));
		vsock_conn_reset(c);
		return;
	}
	if (len == 0)
		return;
	if (c->buf.len == 0) {
		unsigned n = iov_slice(iov, niov, VSOCK_HDR_SIZE, len, part, VQ_MAX_IOV);
		ssize_t w = send_iov(c->fd, part, n);

		if (w < 0 && !would_block(errno)) {
			vsock_conn_reset(c);
			return;
		}
		done = w > 0 ? (size_t)w : 0;
		c->fwd_cnt += (uint32_t)done;
	}
	if (byte_ring_push(&c->buf, iov, niov, VSOCK_HDR_SIZE + done, len - done) < 0) {
		log_msg("port %u: out of memory for the connection buffer", c->peer_port);
		vsock_conn_reset(c);
		return;
	}
	conn_maybe_credit_update(c);
	vsock_conn_update_events(c);
}

static void conn_recv_shutdown(struct vsock_conn *c, uint32_t flags)
{
	if (c->state != CONN_ESTABLISHED) {
		vsock_conn_reset(c);
		return;
	}
	if (flags & VSOCK_SHUTDOWN_RCV)
		c->guest_shut_rcv = true;
	if (flags & VSOCK_SHUTDOWN_SEND)
		c->guest_shut_send = true;
	vsock_conn_schedule_rx(c);
	conn_flush_host(c);
}

void vsock_conn_recv(struct vsock_conn *c, const struct vsock_hdr *h, const struct iovec *iov,
		     unsigned niov)
{
	if (c->state == CONN_CLOSING) {
		/* Our RST is on its way; only the guest's own RST matters. */
		if (h->op == VSOCK_OP_RST)
			vsock_conn_destroy(c);
		return;
	}
	/* Every packet carries the sender's credit. */
	conn_update_credit(c, h);
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		conn_recv_response(c);
		break;
	case VSOCK_OP_RST:
		vsock_conn_destroy(c);
		break;
	case VSOCK_OP_SHUTDOWN:
		conn_recv_shutdown(c, h->flags);
		break;
	case VSOCK_OP_RW:
		conn_recv_data(c, iov, niov, h->len);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		conn_queue_ctrl(c, CTRL_CREDIT_UPDATE);
		break;
	default: /* REQUEST on a live connection, or unknown */
		log_guest("guest: port %u: unexpected operation %u", c->peer_port, h->op);
		vsock_conn_reset(c);
		break;
	}
}

struct vsock_conn *vsock_conn_new(struct vsock_device *dev, unsigned slot, int fd, uint32_t port)
{
	struct vsock_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->src.dispatch = conn_dispatch;
	c->dev = dev;
	c->fd = fd;
	c->slot = slot;
	c->local_port =
	    VSOCK_PORT_BASE + ((++dev->port_seq << VSOCK_SLOT_BITS | slot) & (VSOCK_PORT_BASE - 1));
	c->peer_port = port;
	c->state = CONN_CONNECTING;
	c->deadline_ms = event_now_ms() + VSOCK_CONNECT_TIMEOUT_MS;
	byte_ring_init(&c->buf, VSOCK_BUF_ALLOC);
	list_init(&c->ctrl_link);
	list_init(&c->rx_link);
	dev->conns[slot] = c;
	dev->nconns++;
	list_add_tail(&dev->connecting, &c->link);
	conn_queue_ctrl(c, CTRL_REQUEST);
	/* Registered with no events, to hear of a client that hangs up. */
	vsock_conn_update_events(c);
	return c;
}
