#include "vhost-user.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "le.h"
#include "event.h"
#include "list.h"
#include "log.h"

/* Requests (vhost-user.rst in QEMU's docs/interop). */
enum {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_MAX_REQUEST = 25,
};

#define VHOST_USER_VERSION 0x1
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_REPLY 0x4
#define VHOST_USER_NEED_REPLY 0x8

#define VIRTIO_F_VERSION_1 32
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG 9

#define FEATURES ((1ull << VIRTIO_F_VERSION_1) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES))
#define PROTOCOL_FEATURES                                                                          \
	((1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) | (1ull << VHOST_USER_PROTOCOL_F_CONFIG))

#define HDR_SIZE 12
#define MAX_PAYLOAD 4096
#define MAX_FDS 8
#define VRING_NOFD 0x100
#define VRING_IDX_MASK 0xff
#define REGION_SIZE 32	   /* guest_phys_addr, memory_size, userspace_addr, mmap_offset */
#define CONFIG_HDR_SIZE 12 /* offset, size, flags */
#define CONFIG_MAX 256
#define ADDR_SIZE 40 /* index, flags, desc, used, avail, log */
/* How long the rest of a message may take once its first bytes came. */
#define MSG_TIMEOUT_MS 2000

struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[MAX_PAYLOAD];
	int fds[MAX_FDS];
	unsigned nfds;
};

struct vu_kick {
	struct event_source src;
	struct vu_dev *dev;
	unsigned index;
};

struct vu_dev {
	struct event_source src;
	int epfd;
	int sock;
	uint64_t guest_cid;
	struct guest_memory *mem;
	struct virtqueue *vqs;
	struct vu_kick kick[VU_NUM_QUEUES];
	const struct vu_ops *ops;
	void *opaque;
	uint64_t features;
	uint64_t protocol_features;
	/* With VHOST_USER_F_PROTOCOL_FEATURES, rings start disabled. */
	bool protocol_negotiated;
	struct vu_msg msg;
	char error[256];
};

/* Payload size expected per request: exact, or VAR when it depends on the
 * contents (checked by the handler). */
#define VAR UINT32_MAX

struct handler {
	int (*fn)(struct vu_dev *dev, struct vu_msg *m);
	uint32_t size;
	bool replies; /* sends its own reply */
};

static __attribute__((format(printf, 3, 4))) int fail(struct vu_dev *dev, int code, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->error, sizeof(dev->error), fmt, ap);
	va_end(ap);
	return -code;
}

/* Takes fd i of the message, so that it is not closed after handling. */
static int take_fd(struct vu_msg *m, unsigned i)
{
	int fd = m->fds[i];

	m->fds[i] = -1;
	return fd;
}

/* ---- socket I/O ---- */

static int wait_fd(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = poll(&p, 1, MSG_TIMEOUT_MS);

	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* Reads the rest of a message that has begun: the front-end sends a
 * message in one piece, so this waits only in the rarest of cases. */
static int read_exact(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n < 0) {
			int r = wait_fd(fd, POLLIN);
			if (r < 0)
				return r;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_exact(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n < 0) {
			int r = wait_fd(fd, POLLOUT);
			if (r < 0)
				return r;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void close_fds(struct vu_msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

static int collect_fds(struct vu_dev *dev, struct msghdr *mh, struct vu_msg *m)
{
	m->nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n && m->nfds < MAX_FDS; i++)
			memcpy(&m->fds[m->nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (mh->msg_flags & MSG_CTRUNC)
		return fail(dev, EPROTO, "message with more than %d fds", MAX_FDS);
	return 0;
}

/* Returns 1 with a message, 0 if none is there, -ECONNRESET when the
 * front-end hung up, or another -errno. */
static int read_msg(struct vu_dev *dev, struct vu_msg *m)
{
	uint8_t hdr[HDR_SIZE];
	char control[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	struct iovec iov = {.iov_base = hdr, .iov_len = sizeof(hdr)};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control,
	    .msg_controllen = sizeof(control),
	};
	ssize_t n = recvmsg(dev->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	int r = collect_fds(dev, &mh, m);
	if (r == 0 && (size_t)n < sizeof(hdr))
		r = read_exact(dev->sock, hdr + n, sizeof(hdr) - (size_t)n);
	if (r < 0)
		return r;
	m->request = get32(hdr);
	m->flags = get32(hdr + 4);
	m->size = get32(hdr + 8);
	if ((m->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
		return fail(dev, EPROTO, "protocol version %u", m->flags & VHOST_USER_VERSION_MASK);
	if (m->size > MAX_PAYLOAD)
		return fail(dev, EPROTO, "request %u with %u bytes of payload", m->request,
			    m->size);
	r = read_exact(dev->sock, m->payload, m->size);
	return r < 0 ? r : 1;
}

static int send_reply(struct vu_dev *dev, const struct vu_msg *m, const void *payload,
		      uint32_t size)
{
	uint8_t buf[HDR_SIZE + HDR_SIZE + CONFIG_MAX];

	put32(buf, m->request);
	put32(buf + 4, VHOST_USER_VERSION | VHOST_USER_REPLY);
	put32(buf + 8, size);
	memcpy(buf + HDR_SIZE, payload, size);
	int r = write_exact(dev->sock, buf, HDR_SIZE + size);
	return r < 0 ? fail(dev, -r, "sending a reply: %s", strerror(-r)) : 0;
}

static int reply_u64(struct vu_dev *dev, const struct vu_msg *m, uint64_t v)
{
	uint8_t p[8];

	put64(p, v);
	return send_reply(dev, m, p, sizeof(p));
}

/* ---- rings ---- */

static int ring_index(struct vu_dev *dev, uint32_t index)
{
	if (index >= VU_NUM_QUEUES)
		return fail(dev, EINVAL, "ring index %u", index);
	return 0;
}

static int kick_dispatch(struct event_source *src, uint32_t events)
{
	struct vu_kick *k = container_of(src, struct vu_kick, src);
	struct virtqueue *vq = &k->dev->vqs[k->index];
	uint64_t count;

	if (vq->kick_fd < 0)
		return 0;
	if (read(vq->kick_fd, &count, sizeof(count)) < 0 && errno != EAGAIN && errno != EINTR)
		return fail(k->dev, errno, "reading the kick of ring %u: %s", k->index,
			    strerror(errno));
	k->dev->ops->kick(k->dev->opaque, k->index);
	return 0;
}

static int set_vring_num(struct vu_dev *dev, struct vu_msg *m)
{
	uint32_t index = get32(m->payload), num = get32(m->payload + 4);
	int r = ring_index(dev, index);

	if (r < 0)
		return r;
	if (vq_set_num(&dev->vqs[index], num) < 0)
		return fail(dev, EINVAL, "ring %u: size %u is not a power of two up to %u", index,
			    num, VQ_MAX_SIZE);
	return 0;
}

static int set_vring_addr(struct vu_dev *dev, struct vu_msg *m)
{
	uint32_t index = get32(m->payload);
	uint64_t desc = get64(m->payload + 8), used = get64(m->payload + 16);
	uint64_t avail = get64(m->payload + 24);
	int r = ring_index(dev, index);

	if (r < 0)
		return r;
	if (vq_set_addr(&dev->vqs[index], dev->mem, desc, avail, used) < 0)
		return fail(dev, EINVAL, "ring %u: rings not in guest memory or misaligned", index);
	return 0;
}

static int set_vring_base(struct vu_dev *dev, struct vu_msg *m)
{
	uint32_t index = get32(m->payload), base = get32(m->payload + 4);
	int r = ring_index(dev, index);

	if (r < 0)
		return r;
	if (base > UINT16_MAX)
		return fail(dev, EINVAL, "ring %u: base %u", index, base);
	vq_set_base(&dev->vqs[index], (uint16_t)base);
	return 0;
}

static int get_vring_base(struct vu_dev *dev, struct vu_msg *m)
{
	uint32_t index = get32(m->payload);
	uint8_t p[8];
	int r = ring_index(dev, index);

	if (r < 0)
		return r;
	put32(p, index);
	put32(p + 4, vq_stop(&dev->vqs[index]));
	dev->ops->ring_stopped(dev->opaque, index);
	return send_reply(dev, m, p, sizeof(p));
}

/* Checks the u64 of SET_VRING_KICK/CALL/ERR against the fds that came. */
static int vring_fd_arg(struct vu_dev *dev, struct vu_msg *m, unsigned *ret_index)
{
	uint64_t v = get64(m->payload);
	bool nofd = v & VRING_NOFD;

	if (v & ~(uint64_t)(VRING_IDX_MASK | VRING_NOFD))
		return fail(dev, EINVAL, "request %u: argument 0x%llx", m->request,
			    (unsigned long long)v);
	if (m->nfds != (nofd ? 0u : 1u))
		return fail(dev, EPROTO, "request %u with %u fds", m->request, m->nfds);
	*ret_index = (unsigned)(v & VRING_IDX_MASK);
	return ring_index(dev, *ret_index);
}

static int set_vring_kick(struct vu_dev *dev, struct vu_msg *m)
{
	unsigned index;
	int r = vring_fd_arg(dev, m, &index);

	if (r < 0)
		return r;
	if (m->nfds == 0)
		return fail(dev, ENOTSUP, "ring %u: polling mode (no kick fd) is not supported",
			    index);
	struct virtqueue *vq = &dev->vqs[index];
	int fd = take_fd(m, 0);
	if (vq->kick_fd >= 0)
		close(vq->kick_fd); /* also leaves the epoll set */
	vq->kick_fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    event_add(dev->epfd, fd, EPOLLIN, &dev->kick[index].src) < 0)
		return fail(dev, errno, "ring %u: watching the kick fd: %s", index,
			    strerror(errno));
	vq->started = true;
	if (!dev->protocol_negotiated)
		vq->enabled = true;
	/* Buffers may be there already. */
	dev->ops->kick(dev->opaque, index);
	return 0;
}

static int set_vring_call(struct vu_dev *dev, struct vu_msg *m)
{
	unsigned index;
	int r = vring_fd_arg(dev, m, &index);

	if (r < 0)
		return r;
	struct virtqueue *vq = &dev->vqs[index];
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	vq->call_fd = m->nfds ? take_fd(m, 0) : -1;
	if (vq->call_fd >= 0)
		fcntl(vq->call_fd, F_SETFL, fcntl(vq->call_fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* We report no errors through an error fd: it is closed with the message. */
static int set_vring_err(struct vu_dev *dev, struct vu_msg *m)
{
	unsigned index;

	return vring_fd_arg(dev, m, &index);
}

static int set_vring_enable(struct vu_dev *dev, struct vu_msg *m)
{
	uint32_t index = get32(m->payload), enable = get32(m->payload + 4);
	int r = ring_index(dev, index);

	if (r < 0)
		return r;
	if (enable > 1)
		return fail(dev, EINVAL, "ring %u: enable %u", index, enable);
	dev->vqs[index].enabled = enable;
	if (enable)
		dev->ops->kick(dev->opaque, index);
	return 0;
}

/* ---- device ---- */

static int get_features(struct vu_dev *dev, struct vu_msg *m)
{
	return reply_u64(dev, m, FEATURES);
}

static int set_features(struct vu_dev *dev, struct vu_msg *m)
{
	uint64_t f = get64(m->payload);

	if (f & ~FEATURES)
		return fail(dev, EINVAL, "features 0x%llx not offered", (unsigned long long)f);
	dev->features = f;
	if (f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES))
		dev->protocol_negotiated = true;
	return 0;
}

static int get_protocol_features(struct vu_dev *dev, struct vu_msg *m)
{
	return reply_u64(dev, m, PROTOCOL_FEATURES);
}

static int set_protocol_features(struct vu_dev *dev, struct vu_msg *m)
{
	uint64_t f = get64(m->payload);

	if (f & ~PROTOCOL_FEATURES)
		return fail(dev, EINVAL, "protocol features 0x%llx not offered",
			    (unsigned long long)f);
	dev->protocol_features = f;
	dev->protocol_negotiated = true;
	return 0;
}

static int set_owner(struct vu_dev *dev, struct vu_msg *m)
{
	return 0;
}

static void stop_rings(struct vu_dev *dev)
{
	for (unsigned i = 0; i < VU_NUM_QUEUES; i++) {
		vq_reset(&dev->vqs[i]);
		dev->ops->ring_stopped(dev->opaque, i);
	}
}

static int reset_owner(struct vu_dev *dev, struct vu_msg *m)
{
	stop_rings(dev);
	dev->features = 0;
	return 0;
}

static int map_regions(struct vu_dev *dev, const struct vu_msg *m, unsigned n,
		       struct guest_memory *table)
{
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = m->payload + 8 + REGION_SIZE * i;
		uint64_t gpa = get64(p), size = get64(p + 8), uva = get64(p + 16);
		uint64_t offset = get64(p + 24);
		int r = guest_memory_map_region(table, gpa, size, uva, offset, m->fds[i]);

		if (r < 0)
			return fail(dev, -r, "memory region %u (0x%llx+0x%llx): %s", i,
				    (unsigned long long)gpa, (unsigned long long)size,
				    strerror(-r));
	}
	return 0;
}

static int set_mem_table(struct vu_dev *dev, struct vu_msg *m)
{
	struct guest_memory table;
	uint32_t n;

	if (m->size < 8)
		return fail(dev, EPROTO, "SET_MEM_TABLE with %u bytes", m->size);
	n = get32(m->payload);
	if (n == 0 || n > GUEST_MEMORY_MAX_REGIONS)
		return fail(dev, EINVAL, "SET_MEM_TABLE with %u regions", n);
	if (m->size != 8 + REGION_SIZE * n || m->nfds != n)
		return fail(dev, EPROTO, "SET_MEM_TABLE: %u regions, %u bytes, %u fds", n, m->size,
			    m->nfds);
	guest_memory_init(&table);
	int r = map_regions(dev, m, n, &table);
	if (r < 0) {
		guest_memory_clear(&table);
		return r;
	}
	guest_memory_clear(dev->mem);
	*dev->mem = table;
	for (unsigned i = 0; i < VU_NUM_QUEUES; i++)
		vq_remap(&dev->vqs[i], dev->mem);
	return 0;
}

static int get_config(struct vu_dev *dev, struct vu_msg *m)
{
	uint8_t reply[CONFIG_HDR_SIZE + CONFIG_MAX] = {0};
	uint8_t config[CONFIG_MAX] = {0}; /* struct virtio_vsock_config */
	uint32_t offset = get32(m->payload), size = get32(m->payload + 4);

	if (m->size < CONFIG_HDR_SIZE || size > CONFIG_MAX || offset > CONFIG_MAX - size ||
	    m->size != CONFIG_HDR_SIZE + size)
		return fail(dev, EINVAL, "GET_CONFIG of %u bytes at %u", size, offset);
	put64(config, dev->guest_cid);
	memcpy(reply, m->payload, CONFIG_HDR_SIZE);
	memcpy(reply + CONFIG_HDR_SIZE, config + offset, size);
	return send_reply(dev, m, reply, CONFIG_HDR_SIZE + size);
}

static const struct handler handlers[VHOST_USER_MAX_REQUEST] = {
    [VHOST_USER_GET_FEATURES] = {get_features, 0, true},
    [VHOST_USER_SET_FEATURES] = {set_features, 8, false},
    [VHOST_USER_SET_OWNER] = {set_owner, 0, false},
    [VHOST_USER_RESET_OWNER] = {reset_owner, 0, false},
    [VHOST_USER_SET_MEM_TABLE] = {set_mem_table, VAR, false},
    [VHOST_USER_SET_VRING_NUM] = {set_vring_num, 8, false},
    [VHOST_USER_SET_VRING_ADDR] = {set_vring_addr, ADDR_SIZE, false},
    [VHOST_USER_SET_VRING_BASE] = {set_vring_base, 8, false},
    [VHOST_USER_GET_VRING_BASE] = {get_vring_base, 8, true},
    [VHOST_USER_SET_VRING_KICK] = {set_vring_kick, 8, false},
    [VHOST_USER_SET_VRING_CALL] = {set_vring_call, 8, false},
    [VHOST_USER_SET_VRING_ERR] = {set_vring_err, 8, false},
    [VHOST_USER_GET_PROTOCOL_FEATURES] = {get_protocol_features, 0, true},
    [VHOST_USER_SET_PROTOCOL_FEATURES] = {set_protocol_features, 8, false},
    [VHOST_USER_SET_VRING_ENABLE] = {set_vring_enable, 8, false},
    [VHOST_USER_GET_CONFIG] = {get_config, VAR, true},
};

/* Requests that carry fds check their count themselves; any other must
 * carry none. */
static bool takes_fds(uint32_t request)
{
	return request == VHOST_USER_SET_MEM_TABLE || request == VHOST_USER_SET_VRING_KICK ||
	       request == VHOST_USER_SET_VRING_CALL || request == VHOST_USER_SET_VRING_ERR;
}

static int handle_msg(struct vu_dev *dev, struct vu_msg *m)
{
	const struct handler *h =
	    m->request < VHOST_USER_MAX_REQUEST ? &handlers[m->request] : NULL;
	bool need_reply = (m->flags & VHOST_USER_NEED_REPLY) &&
			  (dev->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	int r;

	if (!h || !h->fn)
		r = fail(dev, ENOTSUP, "request %u is not supported", m->request);
	else if (h->size != VAR && m->size != h->size)
		r = fail(dev, EPROTO, "request %u with %u bytes of payload", m->request, m->size);
	else if (m->nfds > 0 && !takes_fds(m->request))
		r = fail(dev, EPROTO, "request %u with %u fds", m->request, m->nfds);
	else
		r = h->fn(dev, m);
	close_fds(m);
	if (!need_reply || (h && h->fn && h->replies))
		return r;
	/* The front-end learns of the failure from the reply: go on. */
	if (r < 0)
		log_msg("vhost-user: %s", dev->error);
	return reply_u64(dev, m, r < 0 ? 1 : 0);
}

static int sock_dispatch(struct event_source *src, uint32_t events)
{
	struct vu_dev *dev = container_of(src, struct vu_dev, src);

	for (;;) {
		dev->error[0] = '\0';
		int r = read_msg(dev, &dev->msg);

		if (r == -ECONNRESET) {
			close_fds(&dev->msg);
			return EVENT_QUIT;
		}
		if (r <= 0) {
			close_fds(&dev->msg);
			if (r < 0 && !dev->error[0])
				fail(dev, -r, "reading from the front-end: %s", strerror(-r));
			return r;
		}
		r = handle_msg(dev, &dev->msg);
		if (r < 0)
			return r;
	}
}

const char *vu_dev_error(const struct vu_dev *dev)
{
	return dev->error;
}

int vu_dev_new(int epfd, int sock, uint64_t guest_cid, struct guest_memory *mem,
	       struct virtqueue vqs[VU_NUM_QUEUES], const struct vu_ops *ops, void *opaque,
	       struct vu_dev **ret)
{
	struct vu_dev *dev = calloc(1, sizeof(*dev));

	if (!dev) {
		close(sock);
		return -ENOMEM;
	}
	dev->src.dispatch = sock_dispatch;
	dev->epfd = epfd;
	dev->sock = sock;
	dev->guest_cid = guest_cid;
	dev->mem = mem;
	dev->vqs = vqs;
	dev->ops = ops;
	dev->opaque = opaque;
	for (unsigned i = 0; i < VU_NUM_QUEUES; i++)
		dev->kick[i] =
		    (struct vu_kick){.src.dispatch = kick_dispatch, .dev = dev, .index = i};
	int r = event_add(epfd, sock, EPOLLIN, &dev->src);
	if (r < 0) {
		vu_dev_free(dev);
		return r;
	}
	*ret = dev;
	return 0;
}

void vu_dev_free(struct vu_dev *dev)
{
	if (!dev)
		return;
	for (unsigned i = 0; i < VU_NUM_QUEUES; i++)
		vq_reset(&dev->vqs[i]);
	guest_memory_clear(dev->mem);
	close(dev->sock);
	free(dev);
}
