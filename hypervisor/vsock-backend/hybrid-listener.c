#include "hybrid-listener.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "event.h"
#include "list.h"
#include "log.h"
#include "vsock-packet.h"

#define TIMER_TICK_MS 500
/* Clients accepted per readiness event of the listening socket. */
#define ACCEPT_BATCH 16

struct handshake {
	struct event_source src;
	struct hybrid_listener *l;
	int fd; /* -1 once closed or handed over */
	char line[VSOCK_CONNECT_LINE_MAX];
	size_t len;
	uint64_t deadline_ms;
	struct list_node link; /* l->pending (oldest first) or l->dead */
};

struct hybrid_listener {
	struct event_source src;
	int epfd;
	int fd;
	struct vsock_device *dev;
	struct list_node pending;
	unsigned npending;
	struct list_node dead;
	int timer_fd;
	bool timer_armed;
	struct event_source timer_src;
};

static void timer_update(struct hybrid_listener *l)
{
	bool want = l->npending > 0;

	/* Ticks only while there are deadlines to watch. */
	if (want != l->timer_armed && event_timer_set(l->timer_fd, want ? TIMER_TICK_MS : 0) == 0)
		l->timer_armed = want;
}

/* Ends a handshake; closes the client unless it was handed over. */
static void handshake_end(struct handshake *h)
{
	struct hybrid_listener *l = h->l;

	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	list_del(&h->link);
	list_add_tail(&l->dead, &h->link);
	l->npending--;
	timer_update(l);
}

static void handshake_complete(struct handshake *h)
{
	uint32_t port;
	int r = vsock_parse_connect_line(h->line, h->len, &port);

	if (r < 0 || event_del(h->l->epfd, h->fd) < 0) {
		handshake_end(h);
		return;
	}
	vsock_device_connect(h->l->dev, h->fd, port);
	h->fd = -1;
	handshake_end(h);
}

/* Reads the line without taking a byte past its newline: what follows
 * belongs to the stream for the guest. */
static int handshake_dispatch(struct event_source *src, uint32_t events)
{
	struct handshake *h = container_of(src, struct handshake, src);
	char peek[VSOCK_CONNECT_LINE_MAX];

	if (h->fd < 0)
		return 0;
	ssize_t n = recv(h->fd, peek, sizeof(h->line) - h->len, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		handshake_end(h);
		return 0;
	}
	char *nl = memchr(peek, '\n', (size_t)n);
	size_t take = nl ? (size_t)(nl - peek) + 1 : (size_t)n;
	if (recv(h->fd, h->line + h->len, take, MSG_DONTWAIT) != (ssize_t)take) {
		handshake_end(h);
		return 0;
	}
	h->len += take;
	if (nl)
		handshake_complete(h);
	else if (h->len == sizeof(h->line))
		handshake_end(h); /* too long */
	return 0;
}

static void handshake_start(struct hybrid_listener *l, int fd)
{
	struct handshake *h = NULL;

	if (l->npending < HYBRID_MAX_PENDING)
		h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return;
	}
	h->src.dispatch = handshake_dispatch;
	h->l = l;
	h->fd = fd;
	h->deadline_ms = event_now_ms() + HYBRID_HANDSHAKE_TIMEOUT_MS;
	list_add_tail(&l->pending, &h->link);
	l->npending++;
	if (event_add(l->epfd, fd, EPOLLIN, &h->src) < 0)
		handshake_end(h);
	timer_update(l);
}

static int listener_dispatch(struct event_source *src, uint32_t events)
{
	struct hybrid_listener *l = container_of(src, struct hybrid_listener, src);

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			handshake_start(l, fd);
			continue;
		}
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return 0;
		/* Out of fds or memory: the client waits in the backlog. */
		log_msg("accepting a host client: %s", strerror(errno));
		return 0;
	}
	return 0;
}

static int timer_dispatch(struct event_source *src, uint32_t events)
{
	struct hybrid_listener *l = container_of(src, struct hybrid_listener, timer_src);
	uint64_t ticks, now = event_now_ms();
	struct list_node *n;

	if (read(l->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return -errno;
	while ((n = list_first(&l->pending))) {
		struct handshake *h = container_of(n, struct handshake, link);

		if (h->deadline_ms > now)
			break;
		handshake_end(h);
	}
	return 0;
}

int hybrid_listener_new(int epfd, int listen_fd, struct vsock_device *dev,
			struct hybrid_listener **ret)
{
	struct hybrid_listener *l = calloc(1, sizeof(*l));

	if (!l) {
		close(listen_fd);
		return -ENOMEM;
	}
	l->src.dispatch = listener_dispatch;
	l->timer_src.dispatch = timer_dispatch;
	l->epfd = epfd;
	l->fd = listen_fd;
	l->dev = dev;
	list_init(&l->pending);
	list_init(&l->dead);
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int r = l->timer_fd < 0 ? -errno : event_add(epfd, l->timer_fd, EPOLLIN, &l->timer_src);
	if (r == 0)
		r = event_add(epfd, l->fd, EPOLLIN, &l->src);
	if (r < 0) {
		hybrid_listener_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

void hybrid_listener_collect(struct hybrid_listener *l)
{
	struct list_node *n;

	while ((n = list_first(&l->dead))) {
		list_del(n);
		free(container_of(n, struct handshake, link));
	}
}

void hybrid_listener_free(struct hybrid_listener *l)
{
	struct list_node *n;

	if (!l)
		return;
	while ((n = list_first(&l->pending)))
		handshake_end(container_of(n, struct handshake, link));
	hybrid_listener_collect(l);
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	close(l->fd);
	free(l);
}
