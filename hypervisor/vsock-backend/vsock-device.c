#include "vsock-device.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "iov.h"
#include "log.h"
#include "vsock-device-internal.h"

/* TX chains per flush, so that a busy guest cannot starve the event loop. */
#define TX_BUDGET 256
#define TIMER_TICK_MS 500

static struct vsock_conn *conn_lookup(const struct vsock_device *dev, uint32_t local_port,
				      uint32_t peer_port)
{
	if (local_port < VSOCK_PORT_BASE || local_port - VSOCK_PORT_BASE >= VSOCK_PORT_BASE)
		return NULL;
	struct vsock_conn *c = dev->conns[(local_port - VSOCK_PORT_BASE) & (VSOCK_MAX_CONNS - 1)];

	if (!c || c->local_port != local_port || c->peer_port != peer_port)
		return NULL;
	return c;
}

/* Answers a packet that has no connection with RST, as Linux does. */
static void queue_rst_reply(struct vsock_device *dev, const struct vsock_hdr *h)
{
	if (h->op == VSOCK_OP_RST)
		return;
	if (dev->rst_len == VSOCK_RST_QUEUE_MAX) {
		log_guest("guest: too many packets for no connection; dropping one");
		return;
	}
	dev->rst[(dev->rst_head + dev->rst_len++) % VSOCK_RST_QUEUE_MAX] = (struct vsock_hdr){
	    .src_cid = h->dst_cid,
	    .dst_cid = h->src_cid,
	    .src_port = h->dst_port,
	    .dst_port = h->src_port,
	    .type = h->type,
	    .op = VSOCK_OP_RST,
	};
}

void vsock_device_recv(struct vsock_device *dev, const struct iovec *iov, unsigned niov, size_t len)
{
	uint8_t raw[VSOCK_HDR_SIZE];
	struct vsock_hdr h;

	if (len < VSOCK_HDR_SIZE) {
		log_guest("guest: packet of %zu bytes, shorter than a header", len);
		return;
	}
	iov_to_buf(iov, niov, 0, raw, sizeof(raw));
	vsock_hdr_parse(raw, &h);
	/* A packet that does not come from the guest's address has nowhere to
	 * be answered. */
	if (h.src_cid != dev->guest_cid) {
		log_guest("guest: packet from cid %llu dropped", (unsigned long long)h.src_cid);
		return;
	}
	struct vsock_conn *c =
	    h.dst_cid == VSOCK_CID_HOST ? conn_lookup(dev, h.dst_port, h.src_port) : NULL;
	bool bad_len = h.len > len - VSOCK_HDR_SIZE;

	if (bad_len || h.type != VSOCK_TYPE_STREAM) {
		log_guest("guest: port %u: %s", h.src_port,
			  bad_len ? "length beyond the buffer" : "type not stream");
		if (c)
			vsock_conn_reset(c);
		else
			queue_rst_reply(dev, &h);
		return;
	}
	if (!c) {
		/* Includes every REQUEST: the guest may not connect to us. */
		queue_rst_reply(dev, &h);
		return;
	}
	vsock_conn_recv(c, &h, iov, niov);
}

static bool process_tx(struct vsock_device *dev)
{
	unsigned i;

	if (!dev->tx_pending)
		return false;
	for (i = 0; i < TX_BUDGET; i++) {
		struct vq_elem *e = &dev->tx_elem;
		int r = vq_pop(dev->txq, dev->mem, e);

		if (r <= 0)
			break;
		vsock_device_recv(dev, e->iov, e->out_num, e->out_len);
		vq_push(dev->txq, e->head, 0);
	}
	vq_notify(dev->txq);
	dev->tx_pending = i == TX_BUDGET;
	return dev->tx_pending;
}

static void timer_update(struct vsock_device *dev)
{
	bool want = !list_empty(&dev->connecting);

	/* Ticks only while there are deadlines to watch. */
	if (want != dev->timer_armed &&
	    event_timer_set(dev->timer_fd, want ? TIMER_TICK_MS : 0) == 0)
		dev->timer_armed = want;
}

static int timer_dispatch(struct event_source *src, uint32_t events)
{
	struct vsock_device *dev = container_of(src, struct vsock_device, timer_src);
	uint64_t ticks, now = event_now_ms();
	struct list_node *n;

	if (read(dev->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return -errno;
	while ((n = list_first(&dev->connecting))) {
		struct vsock_conn *c = container_of(n, struct vsock_conn, link);

		if (c->deadline_ms > now)
			break;
		vsock_conn_reset(c);
	}
	return 0;
}

bool vsock_device_flush(struct vsock_device *dev)
{
	bool more = process_tx(dev);

	more |= vsock_rx_process(dev);
	/* The guest broke a ring: no packet can be trusted to arrive any
	 * more, so every client is told at once by closing its socket. */
	if (dev->rxq->broken || dev->txq->broken) {
		vsock_device_reset(dev);
		more = false;
	}
	timer_update(dev);
	return more;
}

void vsock_device_kick_tx(struct vsock_device *dev)
{
	dev->tx_pending = true;
}

static unsigned alloc_slot(struct vsock_device *dev)
{
	for (unsigned i = 0;; i++) {
		unsigned slot = (dev->next_slot + i) % VSOCK_MAX_CONNS;

		if (!dev->conns[slot]) {
			dev->next_slot = slot + 1;
			return slot;
		}
	}
}

void vsock_device_connect(struct vsock_device *dev, int fd, uint32_t port)
{
	struct vsock_conn *c = NULL;

	if (dev->nconns < VSOCK_MAX_CONNS && !dev->rxq->broken && !dev->txq->broken)
		c = vsock_conn_new(dev, alloc_slot(dev), fd, port);
	if (!c)
		close(fd);
}

void vsock_device_reset(struct vsock_device *dev)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		if (dev->conns[i])
			vsock_conn_destroy(dev->conns[i]);
	dev->rst_len = 0;
	dev->tx_pending = false;
}

void vsock_device_collect(struct vsock_device *dev)
{
	struct list_node *n;

	while ((n = list_first(&dev->dead))) {
		list_del(n);
		free(container_of(n, struct vsock_conn, link));
	}
}

unsigned vsock_device_conn_count(const struct vsock_device *dev)
{
	return dev->nconns;
}

int vsock_device_new(int epfd, uint64_t guest_cid, struct virtqueue *rxq, struct virtqueue *txq,
		     const struct guest_memory *mem, struct vsock_device **ret)
{
	struct vsock_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return -ENOMEM;
	dev->epfd = epfd;
	dev->guest_cid = guest_cid;
	dev->rxq = rxq;
	dev->txq = txq;
	dev->mem = mem;
	list_init(&dev->ctrl_list);
	list_init(&dev->rx_list);
	list_init(&dev->connecting);
	list_init(&dev->dead);
	dev->timer_src.dispatch = timer_dispatch;
	dev->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int r =
	    dev->timer_fd < 0 ? -errno : event_add(epfd, dev->timer_fd, EPOLLIN, &dev->timer_src);
	if (r < 0) {
		vsock_device_free(dev);
		return r;
	}
	*ret = dev;
	return 0;
}

void vsock_device_free(struct vsock_device *dev)
{
	if (!dev)
		return;
	vsock_device_reset(dev);
	vsock_device_collect(dev);
	if (dev->timer_fd >= 0)
		close(dev->timer_fd);
	free(dev);
}
