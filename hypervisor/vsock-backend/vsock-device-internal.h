/* Internals of the vsock device, shared by its three files:
 * vsock-device.c (the table, packets from the guest, the flush),
 * vsock-conn.c (one connection: its state, its host socket, credit) and
 * vsock-rx.c (filling the guest's RX buffers). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "byte-ring.h"
#include "event.h"
#include "list.h"
#include "virtqueue.h"
#include "vsock-device.h"
#include "vsock-packet.h"

/* Our local port for a connection encodes its slot in the table, so that a
 * packet finds its connection without a search:
 * PORT_BASE + ((sequence << SLOT_BITS | slot) mod PORT_BASE). The sequence
 * makes a port come back only after about a million connections. */
#define VSOCK_PORT_BASE (1u << 30)
#define VSOCK_SLOT_BITS 10
_Static_assert(VSOCK_MAX_CONNS == 1 << VSOCK_SLOT_BITS, "slot bits");

/* RSTs for packets without a connection waiting for RX buffers; more are
 * dropped (the guest's connect then times out). */
#define VSOCK_RST_QUEUE_MAX 256
/* One read from a host socket fills at most this many RX chains. */
#define VSOCK_RX_BATCH_CHAINS 32
#define VSOCK_RX_BATCH_BYTES (128 * 1024)
#define VSOCK_RX_BATCH_IOV 256

enum conn_state {
	CONN_CONNECTING, /* REQUEST queued or sent, waiting for RESPONSE */
	CONN_ESTABLISHED,
	CONN_CLOSING, /* host socket closed, RST waiting for an RX buffer */
	CONN_DEAD,    /* out of the table, freed after this event batch */
};

/* Control packets a connection has to send, sent in this order. */
enum {
	CTRL_REQUEST = 1 << 0,
	CTRL_CREDIT_UPDATE = 1 << 1,
	CTRL_CREDIT_REQUEST = 1 << 2,
	CTRL_SHUTDOWN = 1 << 3,
	CTRL_RST = 1 << 4,
};

struct vsock_conn {
	struct event_source src;
	struct vsock_device *dev;
	int fd; /* host socket, -1 once closed */
	unsigned slot;
	uint32_t local_port, peer_port;
	enum conn_state state;
	uint32_t events; /* epoll mask registered */
	bool registered;
	bool request_sent;  /* the guest knows the connection */
	bool host_readable; /* epoll said readable and we have not drained it */
	bool host_eof;	    /* read EOF from the host: SHUTDOWN(SEND) queued */
	bool host_hup;	    /* the client closed both directions */
	bool host_shut_wr;  /* we did shutdown(SHUT_WR) on the host socket */
	bool guest_shut_send;
	bool guest_shut_rcv;
	bool credit_requested;
	unsigned ctrl; /* CTRL_* */
	/* host to guest */
	uint32_t tx_cnt;
	uint32_t peer_buf_alloc;
	uint32_t peer_fwd_cnt;
	/* guest to host: buf holds what the guest sent and the host socket
	 * did not take yet; fwd_cnt counts what it took. */
	struct byte_ring buf;
	uint32_t fwd_cnt;
	uint32_t last_fwd_cnt_sent;
	uint64_t deadline_ms;
	struct list_node ctrl_link; /* dev->ctrl_list */
	struct list_node rx_link;   /* dev->rx_list */
	struct list_node link;	    /* dev->connecting or dev->dead */
};

struct vsock_device {
	int epfd;
	uint64_t guest_cid;
	struct virtqueue *rxq, *txq;
	const struct guest_memory *mem;
	struct vsock_conn *conns[VSOCK_MAX_CONNS];
	unsigned nconns;
	unsigned next_slot;
	uint32_t port_seq;
	struct list_node ctrl_list;  /* connections with control packets to send */
	struct list_node rx_list;    /* connections with host data and credit */
	struct list_node connecting; /* oldest first */
	struct list_node dead;
	struct vsock_hdr rst[VSOCK_RST_QUEUE_MAX];
	unsigned rst_head, rst_len;
	bool tx_pending;
	int timer_fd;
	bool timer_armed;
	struct event_source timer_src;
	/* Scratch space, too big for the stack. */
	struct vq_elem tx_elem;
	struct vq_elem ctrl_elem;
	struct vq_elem batch[VSOCK_RX_BATCH_CHAINS];
	struct iovec batch_iov[VSOCK_RX_BATCH_IOV];
};

/* vsock-conn.c */

/* A new connection in the table, for a client that asked for guest port
 * `port`, with its REQUEST queued. Takes fd. Returns NULL without memory. */
struct vsock_conn *vsock_conn_new(struct vsock_device *dev, unsigned slot, int fd, uint32_t port);

/* Handles a packet from the guest for this connection. */
void vsock_conn_recv(struct vsock_conn *c, const struct vsock_hdr *h, const struct iovec *iov,
		     unsigned niov);

/* What the guest can take now: its buffer minus what is in flight. */
uint32_t vsock_conn_credit(const struct vsock_conn *c);

/* The header of a packet of ours on this connection. */
void vsock_conn_hdr(const struct vsock_conn *c, uint16_t op, uint32_t len, struct vsock_hdr *h);

/* Re-evaluates the connection's place on the RX list (host data and
 * credit), asking the guest for credit if that is what it lacks. */
void vsock_conn_schedule_rx(struct vsock_conn *c);

/* Sets the epoll mask of the host socket from the connection's state. */
void vsock_conn_update_events(struct vsock_conn *c);

/* The host socket is at EOF. */
void vsock_conn_host_eof(struct vsock_conn *c);

/* Ends the connection abnormally: the client sees its socket closed, the
 * guest gets RST if it knows the connection. */
void vsock_conn_reset(struct vsock_conn *c);

/* Takes the connection out of the table without telling the guest; it is
 * freed at the next vsock_device_collect(). */
void vsock_conn_destroy(struct vsock_conn *c);

/* vsock-rx.c */

/* Fills the RX queue: RST replies, then control packets, then host data,
 * within a budget of chains. Returns true if the budget ran out. */
bool vsock_rx_process(struct vsock_device *dev);
