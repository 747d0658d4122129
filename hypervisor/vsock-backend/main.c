/* launcher-vsock: a vhost-user-vsock device back-end for one VM, with the
 * host side on a hybrid-vsock Unix socket.
 *
 * usage: launcher-vsock --vhost-socket PATH --uds PATH --guest-cid N [--ready-fd FD]
 *
 * Listens on both sockets, then writes one byte to FD and closes it: QEMU
 * may start. Serves the one front-end that connects; exits 0 when it hangs
 * up (the VM is gone) or on SIGTERM/SIGINT, non-zero with a one-line message
 * on a fatal error. Removes both sockets on exit. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "event.h"
#include "guest-memory.h"
#include "hybrid-listener.h"
#include "list.h"
#include "log.h"
#include "vhost-user.h"
#include "virtqueue.h"
#include "vsock-device.h"

#define MAX_EVENTS 64
#define RX_QUEUE 0
#define TX_QUEUE 1

struct options {
	const char *vhost_path;
	const char *uds_path;
	uint64_t guest_cid;
	int ready_fd;
};

struct backend {
	int epfd;
	uint64_t guest_cid;
	struct event_source signal_src;
	int signal_fd;
	struct event_source vhost_listen_src;
	int vhost_listen_fd;
	struct guest_memory mem;
	struct virtqueue vqs[VU_NUM_QUEUES];
	struct vu_dev *vu;
	struct vsock_device *dev;
	struct hybrid_listener *listener;
	/* Sockets we created, removed on exit. */
	const char *vhost_path, *uds_path;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: launcher-vsock --vhost-socket PATH --uds PATH --guest-cid N "
		   "[--ready-fd FD]\n");
}

static int parse_number(const char *s, unsigned long long min, unsigned long long max,
			unsigned long long *ret)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"vhost-socket", required_argument, NULL, 'v'},
	    {"uds", required_argument, NULL, 'u'},
	    {"guest-cid", required_argument, NULL, 'c'},
	    {"ready-fd", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	unsigned long long v;
	int opt;

	*o = (struct options){.ready_fd = -1};
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			o->vhost_path = optarg;
			break;
		case 'u':
			o->uds_path = optarg;
			break;
		case 'c':
			/* 0-2 are reserved, -1U is VMADDR_CID_ANY. */
			if (parse_number(optarg, 3, UINT32_MAX - 1, &v) < 0) {
				fprintf(stderr, "launcher-vsock: invalid guest CID '%s'\n", optarg);
				return -EINVAL;
			}
			o->guest_cid = v;
			break;
		case 'r':
			if (parse_number(optarg, 0, INT32_MAX, &v) < 0) {
				fprintf(stderr, "launcher-vsock: invalid fd '%s'\n", optarg);
				return -EINVAL;
			}
			o->ready_fd = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc || !o->vhost_path || !o->uds_path || !o->guest_cid) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Replaces a stale socket at path with a listening one. */
static int listen_unix(const char *path, int backlog)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, backlog) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int signal_dispatch(struct event_source *src, uint32_t events)
{
	return EVENT_QUIT;
}

static int setup_signals(struct backend *b)
{
	sigset_t mask;

	/* Host clients may vanish under a write: that is an error return,
	 * not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	b->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (b->signal_fd < 0)
		return -errno;
	b->signal_src.dispatch = signal_dispatch;
	return event_add(b->epfd, b->signal_fd, EPOLLIN, &b->signal_src);
}

static void on_kick(void *opaque, unsigned index)
{
	struct backend *b = opaque;

	/* New RX buffers need nothing here: the flush after the batch of
	 * events fills them. */
	if (index == TX_QUEUE)
		vsock_device_kick_tx(b->dev);
}

static void on_ring_stopped(void *opaque, unsigned index)
{
	struct backend *b = opaque;

	vsock_device_reset(b->dev);
}

static const struct vu_ops vu_ops = {
    .kick = on_kick,
    .ring_stopped = on_ring_stopped,
};

/* The one front-end: once it is there, nobody else may connect. */
static int vhost_listen_dispatch(struct event_source *src, uint32_t events)
{
	struct backend *b = container_of(src, struct backend, vhost_listen_src);
	int fd = accept4(b->vhost_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : -errno;
	close(b->vhost_listen_fd);
	b->vhost_listen_fd = -1;
	return vu_dev_new(b->epfd, fd, b->guest_cid, &b->mem, b->vqs, &vu_ops, b, &b->vu);
}

static void report_ready(int fd)
{
	if (fd < 0)
		return;
	if (write(fd, "R", 1) != 1)
		log_msg("writing to the ready fd: %s", strerror(errno));
	close(fd);
}

static void backend_init(struct backend *b, uint64_t guest_cid)
{
	*b = (struct backend){
	    .epfd = -1, .guest_cid = guest_cid, .signal_fd = -1, .vhost_listen_fd = -1};
	guest_memory_init(&b->mem);
	for (unsigned i = 0; i < VU_NUM_QUEUES; i++)
		vq_init(&b->vqs[i], i);
}

/* Everything up to the ready byte. Prints its own errors. */
static int backend_setup(struct backend *b, const struct options *o)
{
	int r, uds_fd;

	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	r = b->epfd < 0 ? -errno : setup_signals(b);
	if (r < 0) {
		log_msg("setting up: %s", strerror(-r));
		return r;
	}
	b->vhost_listen_fd = listen_unix(o->vhost_path, 1);
	if (b->vhost_listen_fd < 0) {
		log_msg("listening on %s: %s", o->vhost_path, strerror(-b->vhost_listen_fd));
		return b->vhost_listen_fd;
	}
	b->vhost_path = o->vhost_path;
	b->vhost_listen_src.dispatch = vhost_listen_dispatch;
	r = event_add(b->epfd, b->vhost_listen_fd, EPOLLIN, &b->vhost_listen_src);
	uds_fd = r < 0 ? r : listen_unix(o->uds_path, 128);
	if (uds_fd < 0) {
		log_msg("listening on %s: %s", o->uds_path, strerror(-uds_fd));
		return uds_fd;
	}
	b->uds_path = o->uds_path;
	r = vsock_device_new(b->epfd, b->guest_cid, &b->vqs[RX_QUEUE], &b->vqs[TX_QUEUE], &b->mem,
			     &b->dev);
	if (r == 0)
		r = hybrid_listener_new(b->epfd, uds_fd, b->dev, &b->listener);
	else
		close(uds_fd);
	if (r < 0)
		log_msg("setting up: %s", strerror(-r));
	return r;
}

static void backend_free(struct backend *b)
{
	hybrid_listener_free(b->listener);
	vsock_device_free(b->dev); /* closes the host clients: they see EOF */
	vu_dev_free(b->vu);
	guest_memory_clear(&b->mem);
	for (unsigned i = 0; i < VU_NUM_QUEUES; i++)
		vq_reset(&b->vqs[i]);
	if (b->vhost_listen_fd >= 0)
		close(b->vhost_listen_fd);
	if (b->signal_fd >= 0)
		close(b->signal_fd);
	if (b->epfd >= 0)
		close(b->epfd);
	if (b->vhost_path)
		unlink(b->vhost_path);
	if (b->uds_path)
		unlink(b->uds_path);
}

/* Returns 0 when the loop ends normally, or -errno. */
static int backend_run(struct backend *b)
{
	struct epoll_event events[MAX_EVENTS];
	bool more = false;

	for (;;) {
		int n = epoll_wait(b->epfd, events, MAX_EVENTS, more ? 0 : -1);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct event_source *src = events[i].data.ptr;
			int r = src->dispatch(src, events[i].events);

			if (r != 0)
				return r == EVENT_QUIT ? 0 : r;
		}
		more = vsock_device_flush(b->dev);
		vsock_device_collect(b->dev);
		hybrid_listener_collect(b->listener);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct backend b;
	int r;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (o.ready_fd >= 0 && fcntl(o.ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
		log_msg("--ready-fd %d: %s", o.ready_fd, strerror(errno));
		return 2;
	}
	backend_init(&b, o.guest_cid);
	r = backend_setup(&b, &o);
	if (r == 0) {
		report_ready(o.ready_fd);
		r = backend_run(&b);
		if (r < 0 && b.vu && vu_dev_error(b.vu)[0])
			log_msg("vhost-user: %s", vu_dev_error(b.vu));
		else if (r < 0)
			log_msg("event loop: %s", strerror(-r));
	}
	backend_free(&b);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
