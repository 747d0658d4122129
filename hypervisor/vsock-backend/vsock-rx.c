/* Filling the guest's RX buffers: the device's only way to talk to the
 * guest. Control packets go first; host data is read straight into the
 * buffers, as much as one readv() can fill in several of them. */
#include <errno.h>
#include <unistd.h>

#include "iov.h"
#include "log.h"
#include "vsock-device-internal.h"

/* Chains per flush, so that one busy queue cannot starve the event loop. */
#define RX_BUDGET 256

static const struct {
	unsigned bit;
	uint16_t op;
} ctrl_ops[] = {
    {CTRL_REQUEST, VSOCK_OP_REQUEST},
    {CTRL_CREDIT_UPDATE, VSOCK_OP_CREDIT_UPDATE},
    {CTRL_CREDIT_REQUEST, VSOCK_OP_CREDIT_REQUEST},
    {CTRL_SHUTDOWN, VSOCK_OP_SHUTDOWN},
    {CTRL_RST, VSOCK_OP_RST},
};

static bool would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static void rx_put(struct vsock_device *dev, const struct vq_elem *e, const struct vsock_hdr *h)
{
	uint8_t raw[VSOCK_HDR_SIZE];

	vsock_hdr_build(h, raw);
	iov_from_buf(e->iov + e->out_num, e->in_num, 0, raw, sizeof(raw));
	vq_push(dev->rxq, e->head, VSOCK_HDR_SIZE + h->len);
}

/* Sends one header-only packet. Returns 1, 0 if the guest has no buffer
 * (or the budget is spent), -EIO if the ring broke. */
static int rx_send_ctrl(struct vsock_device *dev, const struct vsock_hdr *h, unsigned *budget)
{
	struct vq_elem *e = &dev->ctrl_elem;

	while (*budget > 0) {
		int r = vq_pop(dev->rxq, dev->mem, e);

		if (r <= 0)
			return r;
		(*budget)--;
		if (e->in_len >= VSOCK_HDR_SIZE) {
			rx_put(dev, e, h);
			return 1;
		}
		/* Too small for a header: given back empty, the driver drops it. */
		log_guest("guest: RX buffer of %zu bytes", e->in_len);
		vq_push(dev->rxq, e->head, 0);
	}
	return 0;
}

static int rx_send_rsts(struct vsock_device *dev, unsigned *budget)
{
	while (dev->rst_len > 0) {
		int r = rx_send_ctrl(dev, &dev->rst[dev->rst_head], budget);

		if (r <= 0)
			return r;
		dev->rst_head = (dev->rst_head + 1) % VSOCK_RST_QUEUE_MAX;
		dev->rst_len--;
	}
	return 1;
}

static int conn_send_ctrl(struct vsock_conn *c, unsigned *budget)
{
	for (size_t i = 0; i < sizeof(ctrl_ops) / sizeof(ctrl_ops[0]); i++) {
		struct vsock_hdr h;

		if (!(c->ctrl & ctrl_ops[i].bit))
			continue;
		vsock_conn_hdr(c, ctrl_ops[i].op, 0, &h);
		int r = rx_send_ctrl(c->dev, &h, budget);
		if (r <= 0)
			return r;
		c->ctrl &= ~ctrl_ops[i].bit;
		c->last_fwd_cnt_sent = h.fwd_cnt;
		if (ctrl_ops[i].op == VSOCK_OP_REQUEST)
			c->request_sent = true;
		if (ctrl_ops[i].op == VSOCK_OP_RST) {
			vsock_conn_destroy(c);
			return 1;
		}
	}
	list_del(&c->ctrl_link);
	return 1;
}

static int rx_send_all_ctrl(struct vsock_device *dev, unsigned *budget)
{
	struct list_node *n;

	while ((n = list_first(&dev->ctrl_list))) {
		int r = conn_send_ctrl(container_of(n, struct vsock_conn, ctrl_link), budget);

		if (r <= 0)
			return r;
	}
	return 1;
}

/* Pops RX chains for up to `want` bytes of data and lists the space after
 * their headers in dev->batch_iov. Returns the number of chains, with each
 * one's payload room in cap[], or a negative errno. */
static int rx_batch_pop(struct vsock_device *dev, size_t want, unsigned *budget, size_t *cap,
			unsigned *ret_niov)
{
	unsigned n = 0, niov = 0;
	size_t space = 0;

	while (space < want && n < VSOCK_RX_BATCH_CHAINS && n < *budget &&
	       niov < VSOCK_RX_BATCH_IOV) {
		struct vq_elem *e = &dev->batch[n];
		int r = vq_pop(dev->rxq, dev->mem, e);

		if (r <= 0) {
			*ret_niov = niov;
			return r < 0 ? r : (int)n;
		}
		size_t room = e->in_len > VSOCK_HDR_SIZE ? e->in_len - VSOCK_HDR_SIZE : 0;
		if (room > want - space)
			room = want - space;
		unsigned k = iov_slice(e->iov + e->out_num, e->in_num, VSOCK_HDR_SIZE, room,
				       dev->batch_iov + niov, VSOCK_RX_BATCH_IOV - niov);
		cap[n] = iov_length(dev->batch_iov + niov, k);
		if (cap[n] > 0) {
			niov += k;
			space += cap[n];
			n++;
		} else if (n > 0) {
			/* No room for data: leave it for a control packet. */
			vq_unpop(dev->rxq, 1);
			break;
		} else {
			/* Nothing else to put there: given back empty, which
			 * the driver drops. */
			log_guest("guest: RX buffer of %zu bytes, no room for data", e->in_len);
			vq_push(dev->rxq, e->head, 0);
			(*budget)--;
		}
	}
	*ret_niov = niov;
	return (int)n;
}

/* Hands the bytes read into a batch to the guest, one packet per chain,
 * and gives back the chains that got nothing. */
static void rx_batch_push(struct vsock_conn *c, unsigned n, const size_t *cap, size_t got,
			  unsigned *budget)
{
	struct vsock_device *dev = c->dev;

	for (unsigned i = 0; i < n; i++) {
		if (got == 0) {
			vq_unpop(dev->rxq, n - i);
			break;
		}
		size_t len = got < cap[i] ? got : cap[i];
		struct vsock_hdr h;

		vsock_conn_hdr(c, VSOCK_OP_RW, (uint32_t)len, &h);
		rx_put(dev, &dev->batch[i], &h);
		got -= len;
		c->tx_cnt += (uint32_t)len;
		(*budget)--;
	}
	c->last_fwd_cnt_sent = c->fwd_cnt;
}

/* Moves host data of one connection into RX chains with one readv(), up to
 * the guest's credit. Returns 1, 0 if the guest has no RX buffer, or
 * -EIO if the ring broke. */
static int conn_send_data(struct vsock_conn *c, unsigned *budget)
{
	struct vsock_device *dev = c->dev;
	size_t cap[VSOCK_RX_BATCH_CHAINS];
	uint32_t credit = vsock_conn_credit(c);
	unsigned niov;

	if (credit == 0) {
		vsock_conn_schedule_rx(c);
		return 1;
	}
	int n = rx_batch_pop(dev, credit < VSOCK_RX_BATCH_BYTES ? credit : VSOCK_RX_BATCH_BYTES,
			     budget, cap, &niov);
	if (n <= 0)
		return n;
	ssize_t got = readv(c->fd, dev->batch_iov, (int)niov);
	int err = errno;
	size_t space = iov_length(dev->batch_iov, niov);

	if (got <= 0) {
		vq_unpop(dev->rxq, (unsigned)n);
		if (got == 0)
			vsock_conn_host_eof(c);
		else if (!would_block(err))
			vsock_conn_reset(c);
		else
			c->host_readable = false;
		vsock_conn_schedule_rx(c);
		vsock_conn_update_events(c);
		return 1;
	}
	rx_batch_push(c, (unsigned)n, cap, (size_t)got, budget);
	/* A short read means the socket is drained (for now). */
	if ((size_t)got < space)
		c->host_readable = false;
	vsock_conn_schedule_rx(c);
	vsock_conn_update_events(c);
	return 1;
}

static int rx_send_all_data(struct vsock_device *dev, unsigned *budget)
{
	struct list_node *n;

	while (*budget > 0 && (n = list_first(&dev->rx_list))) {
		struct vsock_conn *c = container_of(n, struct vsock_conn, rx_link);
		int r = conn_send_data(c, budget);

		if (r <= 0)
			return r;
		/* Round robin: a connection that still has data goes last. */
		if (list_linked(&c->rx_link)) {
			list_del(&c->rx_link);
			list_add_tail(&dev->rx_list, &c->rx_link);
		}
	}
	return 1;
}

bool vsock_rx_process(struct vsock_device *dev)
{
	unsigned budget = RX_BUDGET;

	if (!vq_ready(dev->rxq))
		return false;
	/* Reading host data can queue control packets (SHUTDOWN at EOF, RST
	 * on errors, CREDIT_REQUEST): go round until nothing is left. */
	for (;;) {
		int r = rx_send_rsts(dev, &budget);
		if (r > 0)
			r = rx_send_all_ctrl(dev, &budget);
		if (r > 0)
			r = rx_send_all_data(dev, &budget);
		if (r <= 0 || budget == 0 || (list_empty(&dev->ctrl_list) && dev->rst_len == 0))
			break;
	}
	vq_notify(dev->rxq);
	return budget == 0;
}
