/* Unit tests of the virtio-vsock device logic of the vhost-user-vsock
 * back-end, without QEMU: the guest side is a pair of rings in a fake guest
 * RAM (the test plays the driver: it posts RX buffers and reads what the
 * device put in them, and hands TX packets straight to the device), the
 * host side is socketpairs. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "event.h"
#include "guest-memory.h"
#include "hybrid-listener.h"
#include "log.h"
#include "vhost-user.h"
#include "virtqueue.h"
#include "vsock-device.h"
#include "vsock-packet.h"

#define CID 3
#define MEM_SIZE (2 << 20)
#define GPA_BASE 0x40000000ull
#define UVA_BASE 0x7f0000000000ull
#define RX_NUM 256
#define RX_DESC 0x0
#define RX_AVAIL 0x1000
#define RX_USED 0x2000
#define TX_DESC 0x4000
#define TX_AVAIL 0x5000
#define TX_USED 0x6000
#define RX_BUFS 0x10000
#define RX_BUF_SIZE 4096
#define GUEST_PORT 1024
#define GUEST_BUF_ALLOC (256 * 1024)

struct fx {
	uint8_t *mem;
	struct guest_memory gm;
	struct virtqueue rxq, txq;
	int epfd;
	struct vsock_device *dev;
	uint16_t rx_avail; /* RX buffers posted */
	uint16_t rx_seen;  /* used entries read */
	uint32_t guest_fwd_cnt;
	uint32_t guest_buf_alloc;
};

struct pkt {
	struct vsock_hdr h;
	size_t used_len;
	uint8_t data[RX_BUF_SIZE];
};

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void run(struct fx *f)
{
	for (int i = 0; i < 1000; i++) {
		struct epoll_event ev[16];
		int n = epoll_wait(f->epfd, ev, 16, 0);

		for (int k = 0; k < n; k++) {
			struct event_source *src = ev[k].data.ptr;
			assert_int_equal(src->dispatch(src, ev[k].events), 0);
		}
		bool more = vsock_device_flush(f->dev);
		vsock_device_collect(f->dev);
		if (n == 0 && !more)
			return;
	}
	fail_msg("events keep coming");
}

/* Posts n RX buffers of size bytes, one descriptor each. */
static void post_rx(struct fx *f, unsigned n, uint32_t size)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned slot = f->rx_avail % RX_NUM;
		uint8_t *d = f->mem + RX_DESC + 16 * slot;
		uint64_t addr = GPA_BASE + RX_BUFS + (uint64_t)slot * RX_BUF_SIZE;
		uint16_t flags = 2 /* WRITE */, next = 0;

		memcpy(d, &addr, 8);
		memcpy(d + 8, &size, 4);
		memcpy(d + 12, &flags, 2);
		memcpy(d + 14, &next, 2);
		put16(f->mem + RX_AVAIL + 4 + 2 * slot, (uint16_t)slot);
		f->rx_avail++;
		put16(f->mem + RX_AVAIL + 2, f->rx_avail);
	}
}

/* Reads the next packet the device put in an RX buffer. */
static bool rx_pkt(struct fx *f, struct pkt *p)
{
	uint32_t id, len;

	if (get16(f->mem + RX_USED + 2) == f->rx_seen)
		return false;
	memcpy(&id, f->mem + RX_USED + 4 + 8 * (f->rx_seen % RX_NUM), 4);
	memcpy(&len, f->mem + RX_USED + 8 + 8 * (f->rx_seen % RX_NUM), 4);
	f->rx_seen++;
	assert_true(id < RX_NUM);
	p->used_len = len;
	memset(&p->h, 0, sizeof(p->h));
	if (len < VSOCK_HDR_SIZE)
		return true;
	const uint8_t *buf = f->mem + RX_BUFS + (size_t)id * RX_BUF_SIZE;
	vsock_hdr_parse(buf, &p->h);
	assert_int_equal(len, VSOCK_HDR_SIZE + p->h.len);
	memcpy(p->data, buf + VSOCK_HDR_SIZE, p->h.len);
	return true;
}

static void expect_no_pkt(struct fx *f)
{
	struct pkt p;

	assert_false(rx_pkt(f, &p));
}

static void expect_pkt(struct fx *f, uint16_t op, struct pkt *p)
{
	assert_true(rx_pkt(f, p));
	assert_int_equal(p->h.op, op);
	assert_int_equal(p->h.type, VSOCK_TYPE_STREAM);
	assert_int_equal(p->h.src_cid, VSOCK_CID_HOST);
	assert_int_equal(p->h.dst_cid, CID);
}

/* The guest sends a packet: raw header fields plus payload. */
static void tx_raw(struct fx *f, const struct vsock_hdr *h, const void *data, size_t len)
{
	uint8_t *buf = malloc(VSOCK_HDR_SIZE + len + 1);
	struct iovec iov = {.iov_base = buf, .iov_len = VSOCK_HDR_SIZE + len};

	vsock_hdr_build(h, buf);
	if (len)
		memcpy(buf + VSOCK_HDR_SIZE, data, len);
	vsock_device_recv(f->dev, &iov, 1, iov.iov_len);
	free(buf);
	run(f);
}

static void tx(struct fx *f, uint32_t local_port, uint16_t op, uint32_t flags, const void *data,
	       size_t len)
{
	struct vsock_hdr h = {
	    .src_cid = CID,
	    .dst_cid = VSOCK_CID_HOST,
	    .src_port = GUEST_PORT,
	    .dst_port = local_port,
	    .len = (uint32_t)len,
	    .type = VSOCK_TYPE_STREAM,
	    .op = op,
	    .flags = flags,
	    .buf_alloc = f->guest_buf_alloc,
	    .fwd_cnt = f->guest_fwd_cnt,
	};

	tx_raw(f, &h, data, len);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	log_set_quiet(true);
	f->mem = aligned_alloc(4096, MEM_SIZE);
	memset(f->mem, 0, MEM_SIZE);
	guest_memory_init(&f->gm);
	assert_int_equal(guest_memory_add_host(&f->gm, GPA_BASE, MEM_SIZE, UVA_BASE, f->mem), 0);
	vq_init(&f->rxq, 0);
	vq_init(&f->txq, 1);
	assert_int_equal(vq_set_num(&f->rxq, RX_NUM), 0);
	assert_int_equal(vq_set_num(&f->txq, 128), 0);
	assert_int_equal(vq_set_addr(&f->rxq, &f->gm, UVA_BASE + RX_DESC, UVA_BASE + RX_AVAIL,
				     UVA_BASE + RX_USED),
			 0);
	assert_int_equal(vq_set_addr(&f->txq, &f->gm, UVA_BASE + TX_DESC, UVA_BASE + TX_AVAIL,
				     UVA_BASE + TX_USED),
			 0);
	f->rxq.started = f->rxq.enabled = true;
	f->txq.started = f->txq.enabled = true;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(f->epfd >= 0);
	assert_int_equal(vsock_device_new(f->epfd, CID, &f->rxq, &f->txq, &f->gm, &f->dev), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vsock_device_free(f->dev);
	close(f->epfd);
	vq_reset(&f->rxq);
	vq_reset(&f->txq);
	free(f->mem);
	free(f);
	return 0;
}

/* A host client: returns our end of a socketpair, the device has the other. */
static int client(struct fx *f, uint32_t port)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	vsock_device_connect(f->dev, sv[0], port);
	run(f);
	return sv[1];
}

static ssize_t client_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

/* Connects a client and lets the guest accept with credit buf_alloc.
 * Returns the client fd and our local port. */
static int establish(struct fx *f, uint32_t buf_alloc, uint32_t *ret_port)
{
	struct pkt p;
	char line[64], want[64];

	post_rx(f, 1, RX_BUF_SIZE);
	int fd = client(f, GUEST_PORT);
	expect_pkt(f, VSOCK_OP_REQUEST, &p);
	assert_int_equal(p.h.dst_port, GUEST_PORT);
	assert_int_equal(p.h.buf_alloc, VSOCK_BUF_ALLOC);
	assert_int_equal(p.h.fwd_cnt, 0);
	struct vsock_hdr h = {
	    .src_cid = CID,
	    .dst_cid = VSOCK_CID_HOST,
	    .src_port = GUEST_PORT,
	    .dst_port = p.h.src_port,
	    .type = VSOCK_TYPE_STREAM,
	    .op = VSOCK_OP_RESPONSE,
	    .buf_alloc = buf_alloc,
	};
	tx_raw(f, &h, NULL, 0);
	f->guest_buf_alloc = buf_alloc;
	ssize_t n = client_read(fd, line, sizeof(line) - 1);
	assert_true(n > 0);
	line[n] = '\0';
	snprintf(want, sizeof(want), "OK %u\n", p.h.src_port);
	assert_string_equal(line, want);
	*ret_port = p.h.src_port;
	return fd;
}

/* ---- wire format ---- */

static void test_hdr_layout(void **state)
{
	uint8_t raw[VSOCK_HDR_SIZE];
	struct vsock_hdr h = {
	    .src_cid = 0x0102030405060708ull,
	    .dst_cid = 2,
	    .src_port = 0x11223344,
	    .dst_port = 1024,
	    .len = 5,
	    .type = 1,
	    .op = 7,
	    .flags = 3,
	    .buf_alloc = 262144,
	    .fwd_cnt = 0xdeadbeef,
	};
	struct vsock_hdr back;

	vsock_hdr_build(&h, raw);
	assert_int_equal(raw[0], 0x08); /* little-endian */
	assert_int_equal(raw[7], 0x01);
	assert_int_equal(raw[8], 2);
	assert_int_equal(raw[16], 0x44);
	assert_int_equal(raw[20], 0x00);
	assert_int_equal(raw[21], 0x04);
	assert_int_equal(raw[24], 5);
	assert_int_equal(raw[28], 1);
	assert_int_equal(raw[30], 7);
	assert_int_equal(raw[32], 3);
	assert_int_equal(raw[38], 4);
	assert_int_equal(raw[40], 0xef);
	vsock_hdr_parse(raw, &back);
	assert_int_equal(back.src_cid, h.src_cid);
	assert_int_equal(back.dst_cid, h.dst_cid);
	assert_int_equal(back.src_port, h.src_port);
	assert_int_equal(back.dst_port, h.dst_port);
	assert_int_equal(back.len, h.len);
	assert_int_equal(back.type, h.type);
	assert_int_equal(back.op, h.op);
	assert_int_equal(back.flags, h.flags);
	assert_int_equal(back.buf_alloc, h.buf_alloc);
	assert_int_equal(back.fwd_cnt, h.fwd_cnt);
}

static int parse(const char *line, uint32_t *port)
{
	return vsock_parse_connect_line(line, strlen(line), port);
}

static void test_connect_line(void **state)
{
	uint32_t port = 7;

	assert_int_equal(parse("CONNECT 1024\n", &port), 0);
	assert_int_equal(port, 1024);
	assert_int_equal(parse("CONNECT 0\n", &port), 0);
	assert_int_equal(port, 0);
	assert_int_equal(parse("CONNECT 4294967294\n", &port), 0);
	assert_int_equal(port, 4294967294u);
	assert_int_equal(parse("CONNECT 0000000000000000001024\n", &port), 0);
	assert_int_equal(port, 1024);
	/* Out of range (-1U is VMADDR_PORT_ANY). */
	assert_int_equal(parse("CONNECT 4294967295\n", &port), -ERANGE);
	assert_int_equal(parse("CONNECT 99999999999999999999999\n", &port), -ERANGE);
	/* Not a number. */
	assert_int_equal(parse("CONNECT abc\n", &port), -EINVAL);
	assert_int_equal(parse("CONNECT 12a\n", &port), -EINVAL);
	assert_int_equal(parse("CONNECT -1\n", &port), -EINVAL);
	assert_int_equal(parse("CONNECT +1\n", &port), -EINVAL);
	assert_int_equal(parse("CONNECT  1\n", &port), -EINVAL);
	assert_int_equal(parse("CONNECT 1 \n", &port), -EINVAL);
	assert_int_equal(parse("CONNECT 1\r\n", &port), -EINVAL);
	assert_int_equal(parse("CONNECT \n", &port), -EINVAL);
	assert_int_equal(parse("connect 1\n", &port), -EINVAL);
	assert_int_equal(parse("CONNECT1\n", &port), -EINVAL);
	assert_int_equal(parse("\n", &port), -EINVAL);
	assert_int_equal(parse("", &port), -EINVAL);
	/* Missing newline. */
	assert_int_equal(parse("CONNECT 1024", &port), -EINVAL);
	/* Too long. */
	assert_int_equal(parse("CONNECT 000000000000000000000001\n", &port), -EINVAL);
	/* A NUL inside. */
	assert_int_equal(vsock_parse_connect_line("CONNECT 1\0002\n", 12, &port), -EINVAL);
	assert_int_equal(port, 1024); /* untouched on failure */
}

/* ---- connections ---- */

static void test_handshake(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);

	assert_true(port >= 1u << 30);
	assert_int_equal(vsock_device_conn_count(f->dev), 1);
	close(fd);
}

static void test_request_waits_for_rx_buffers(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	int fd = client(f, 5000);

	expect_no_pkt(f);
	post_rx(f, 4, RX_BUF_SIZE);
	run(f);
	expect_pkt(f, VSOCK_OP_REQUEST, &p);
	assert_int_equal(p.h.dst_port, 5000);
	expect_no_pkt(f);
	close(fd);
}

static void test_request_waits_for_rx_ring(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	f->rxq.enabled = false;
	post_rx(f, 4, RX_BUF_SIZE);
	int fd = client(f, 5000);
	expect_no_pkt(f);
	f->rxq.enabled = true;
	run(f);
	expect_pkt(f, VSOCK_OP_REQUEST, &p);
	close(fd);
}

static void test_rst_closes_client(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	char c;

	post_rx(f, 1, RX_BUF_SIZE);
	int fd = client(f, 5000);
	expect_pkt(f, VSOCK_OP_REQUEST, &p);
	struct vsock_hdr h = {.src_cid = CID,
			      .dst_cid = 2,
			      .src_port = 5000,
			      .dst_port = p.h.src_port,
			      .type = 1,
			      .op = VSOCK_OP_RST};
	tx_raw(f, &h, NULL, 0);
	/* Nobody listens: the client sees EOF, and the guest no answer. */
	assert_int_equal(client_read(fd, &c, 1), 0);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
	post_rx(f, 1, RX_BUF_SIZE);
	run(f);
	expect_no_pkt(f);
	close(fd);
}

static void test_client_gone_before_request(void **state)
{
	struct fx *f = *state;
	int fd = client(f, 5000);

	close(fd);
	run(f);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
	post_rx(f, 2, RX_BUF_SIZE);
	run(f);
	expect_no_pkt(f); /* the guest never heard of it */
}

static void test_client_gone_while_connecting(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	post_rx(f, 2, RX_BUF_SIZE);
	int fd = client(f, 5000);
	expect_pkt(f, VSOCK_OP_REQUEST, &p);
	close(fd);
	run(f);
	expect_pkt(f, VSOCK_OP_RST, &p);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
}

static void test_guest_request_refused(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	struct vsock_hdr h = {.src_cid = CID,
			      .dst_cid = 2,
			      .src_port = 777,
			      .dst_port = 1234,
			      .type = 1,
			      .op = VSOCK_OP_REQUEST,
			      .buf_alloc = 4096};

	post_rx(f, 1, RX_BUF_SIZE);
	tx_raw(f, &h, NULL, 0);
	expect_pkt(f, VSOCK_OP_RST, &p);
	assert_int_equal(p.h.src_port, 1234);
	assert_int_equal(p.h.dst_port, 777);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
}

static void test_unknown_connection(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	struct vsock_hdr h = {.src_cid = CID,
			      .dst_cid = 2,
			      .src_port = 9,
			      .dst_port = 1u << 30,
			      .type = 1,
			      .op = VSOCK_OP_RW,
			      .len = 3};

	post_rx(f, 4, RX_BUF_SIZE);
	tx_raw(f, &h, "abc", 3);
	expect_pkt(f, VSOCK_OP_RST, &p);
	assert_int_equal(p.h.dst_port, 9);
	h.op = VSOCK_OP_CREDIT_UPDATE;
	h.len = 0;
	tx_raw(f, &h, NULL, 0);
	expect_pkt(f, VSOCK_OP_RST, &p);
	/* RST is never answered. */
	h.op = VSOCK_OP_RST;
	tx_raw(f, &h, NULL, 0);
	expect_no_pkt(f);
}

static void test_wrong_cids(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	struct vsock_hdr h = {.src_cid = CID + 1,
			      .dst_cid = 2,
			      .src_port = GUEST_PORT,
			      .dst_port = port,
			      .type = 1,
			      .op = VSOCK_OP_RW,
			      .len = 3};
	char buf[8];

	post_rx(f, 4, RX_BUF_SIZE);
	/* Not from the guest's address: dropped without an answer. */
	tx_raw(f, &h, "abc", 3);
	expect_no_pkt(f);
	assert_int_equal(client_read(fd, buf, sizeof(buf)), -EAGAIN);
	/* Not to the host: nobody there, RST from that address. */
	h.src_cid = CID;
	h.dst_cid = 7;
	tx_raw(f, &h, "abc", 3);
	assert_true(rx_pkt(f, &p));
	assert_int_equal(p.h.op, VSOCK_OP_RST);
	assert_int_equal(p.h.src_cid, 7);
	assert_int_equal(p.h.dst_cid, CID);
	assert_int_equal(client_read(fd, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(vsock_device_conn_count(f->dev), 1);
	close(fd);
}

static void test_wrong_type(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	struct vsock_hdr h = {.src_cid = CID,
			      .dst_cid = 2,
			      .src_port = GUEST_PORT,
			      .dst_port = port,
			      .type = 2 /* seqpacket */,
			      .op = VSOCK_OP_RW,
			      .len = 3};
	char c;

	post_rx(f, 4, RX_BUF_SIZE);
	tx_raw(f, &h, "abc", 3);
	expect_pkt(f, VSOCK_OP_RST, &p);
	assert_int_equal(p.h.src_port, port);
	assert_int_equal(client_read(fd, &c, 1), 0);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
	/* Without a connection, the RST answers with the packet's type. */
	h.dst_port = 5;
	tx_raw(f, &h, "abc", 3);
	assert_true(rx_pkt(f, &p));
	assert_int_equal(p.h.op, VSOCK_OP_RST);
	assert_int_equal(p.h.type, 2);
	close(fd);
}

static void test_len_beyond_buffer(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	struct vsock_hdr h = {.src_cid = CID,
			      .dst_cid = 2,
			      .src_port = GUEST_PORT,
			      .dst_port = port,
			      .type = 1,
			      .op = VSOCK_OP_RW,
			      .len = 100};
	uint8_t raw[VSOCK_HDR_SIZE + 10];
	struct iovec iov = {.iov_base = raw, .iov_len = sizeof(raw)};
	char buf[16];

	post_rx(f, 4, RX_BUF_SIZE);
	vsock_hdr_build(&h, raw);
	memset(raw + VSOCK_HDR_SIZE, 'x', 10);
	vsock_device_recv(f->dev, &iov, 1, sizeof(raw));
	run(f);
	expect_pkt(f, VSOCK_OP_RST, &p);
	assert_int_equal(client_read(fd, buf, sizeof(buf)), 0); /* nothing delivered */
	close(fd);
}

static void test_short_packet(void **state)
{
	struct fx *f = *state;
	uint8_t raw[VSOCK_HDR_SIZE - 1] = {0};
	struct iovec iov = {.iov_base = raw, .iov_len = sizeof(raw)};

	post_rx(f, 4, RX_BUF_SIZE);
	vsock_device_recv(f->dev, &iov, 1, sizeof(raw));
	run(f);
	expect_no_pkt(f);
}

static void test_rx_buffer_too_small(void **state)
{
	struct fx *f = *state;
	struct pkt p;

	post_rx(f, 1, 20);
	post_rx(f, 1, RX_BUF_SIZE);
	int fd = client(f, 5000);
	assert_true(rx_pkt(f, &p));
	assert_int_equal(p.used_len, 0); /* returned empty */
	expect_pkt(f, VSOCK_OP_REQUEST, &p);
	close(fd);
}

/* ---- data and credit ---- */

static void fill(uint8_t *buf, size_t len, size_t start)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((start + i) * 7 + 3);
}

/* Reads the RW packets now in the RX ring, checks their bytes continue the
 * pattern at *pos, and returns how many payload bytes they held. */
static size_t drain_rw(struct fx *f, uint32_t port, size_t *pos, unsigned *ret_credit_requests)
{
	struct pkt p;
	uint8_t want[RX_BUF_SIZE];
	size_t total = 0;

	while (rx_pkt(f, &p)) {
		assert_int_equal(p.h.src_port, port);
		if (p.h.op == VSOCK_OP_CREDIT_REQUEST) {
			(*ret_credit_requests)++;
			continue;
		}
		assert_int_equal(p.h.op, VSOCK_OP_RW);
		assert_true(p.h.len > 0);
		assert_true(p.h.len <= RX_BUF_SIZE - VSOCK_HDR_SIZE);
		fill(want, p.h.len, *pos);
		assert_memory_equal(p.data, want, p.h.len);
		*pos += p.h.len;
		total += p.h.len;
	}
	return total;
}

static void test_data_fills_buffers(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	uint8_t buf[10000];

	fill(buf, sizeof(buf), 0);
	post_rx(f, 8, RX_BUF_SIZE);
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	run(f);
	expect_pkt(f, VSOCK_OP_RW, &p);
	assert_int_equal(p.h.len, RX_BUF_SIZE - VSOCK_HDR_SIZE);
	assert_memory_equal(p.data, buf, p.h.len);
	expect_pkt(f, VSOCK_OP_RW, &p);
	assert_int_equal(p.h.len, RX_BUF_SIZE - VSOCK_HDR_SIZE);
	expect_pkt(f, VSOCK_OP_RW, &p);
	assert_int_equal(p.h.len, 10000 - 2 * (RX_BUF_SIZE - VSOCK_HDR_SIZE));
	assert_memory_equal(p.data, buf + 2 * (RX_BUF_SIZE - VSOCK_HDR_SIZE), p.h.len);
	assert_int_equal(p.h.buf_alloc, VSOCK_BUF_ALLOC);
	expect_no_pkt(f);
	close(fd);
}

static void test_host_data_waits_for_rx_buffers(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	uint8_t buf[100];
	size_t pos = 0;
	unsigned creq = 0;

	fill(buf, sizeof(buf), 0);
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	run(f); /* returns: no busy loop without RX buffers */
	expect_no_pkt(f);
	post_rx(f, 1, RX_BUF_SIZE);
	run(f);
	assert_int_equal(drain_rw(f, port, &pos, &creq), 100);
	close(fd);
}

static void test_credit_host_to_guest(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	const uint32_t credit = 10000;
	int fd = establish(f, credit, &port);
	static uint8_t buf[50000];
	size_t pos = 0;
	unsigned creq = 0;

	fill(buf, sizeof(buf), 0);
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	post_rx(f, 64, RX_BUF_SIZE);
	run(f);
	/* Exactly the credit, then a request for more. */
	assert_int_equal(drain_rw(f, port, &pos, &creq), credit);
	assert_int_equal(creq, 1);
	run(f);
	assert_int_equal(drain_rw(f, port, &pos, &creq), 0);
	assert_int_equal(creq, 1); /* asked once */
	/* The guest read 4000 bytes. */
	f->guest_fwd_cnt = 4000;
	tx(f, port, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	assert_int_equal(drain_rw(f, port, &pos, &creq), 4000);
	assert_int_equal(creq, 2);
	/* Any packet carries credit: the guest read all and says so. */
	f->guest_fwd_cnt = (uint32_t)pos;
	tx(f, port, VSOCK_OP_RW, 0, "z", 1);
	assert_int_equal(drain_rw(f, port, &pos, &creq), credit);
	while (pos < sizeof(buf)) {
		size_t before = pos;

		f->guest_fwd_cnt = (uint32_t)pos;
		tx(f, port, VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
		assert_true(drain_rw(f, port, &pos, &creq) > 0);
		assert_true(pos - before <= credit);
	}
	assert_int_equal(pos, 50000);
	close(fd);
}

/* A guest that lowers its buffer below what is in flight gets nothing. */
static void test_credit_shrinks(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, 8000, &port);
	static uint8_t buf[20000];
	size_t pos = 0;
	unsigned creq = 0;

	fill(buf, sizeof(buf), 0);
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	post_rx(f, 64, RX_BUF_SIZE);
	run(f);
	assert_int_equal(drain_rw(f, port, &pos, &creq), 8000);
	struct vsock_hdr h = {.src_cid = CID,
			      .dst_cid = 2,
			      .src_port = GUEST_PORT,
			      .dst_port = port,
			      .type = 1,
			      .op = VSOCK_OP_CREDIT_UPDATE,
			      .buf_alloc = 100,
			      .fwd_cnt = 5000};
	tx_raw(f, &h, NULL, 0);
	assert_int_equal(drain_rw(f, port, &pos, &creq), 0);
	close(fd);
}

static void test_guest_data_to_host(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	char buf[64];

	post_rx(f, 4, RX_BUF_SIZE);
	tx(f, port, VSOCK_OP_RW, 0, "hello", 5);
	tx(f, port, VSOCK_OP_RW, 0, " world", 6);
	assert_int_equal(client_read(fd, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);
	expect_no_pkt(f); /* no credit update for so little */
	close(fd);
}

/* Sends RW packets of `chunk` bytes until the device resets the
 * connection; returns the bytes it accepted. */
static size_t send_until_rst(struct fx *f, uint32_t port, size_t chunk, size_t limit)
{
	static uint8_t data[65536];
	struct pkt p;
	size_t sent = 0;

	while (sent < limit) {
		tx(f, port, VSOCK_OP_RW, 0, data, chunk);
		if (rx_pkt(f, &p)) {
			if (p.h.op == VSOCK_OP_RST)
				return sent;
			assert_int_equal(p.h.op, VSOCK_OP_CREDIT_UPDATE);
		}
		sent += chunk;
	}
	fail_msg("no RST after %zu bytes", sent);
	return 0;
}

static void test_guest_exceeds_credit(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	static uint8_t buf[1 << 20];
	size_t taken = 0;
	ssize_t n;

	post_rx(f, 16, RX_BUF_SIZE);
	/* The client reads nothing: the socket takes some, then our buffer
	 * takes exactly VSOCK_BUF_ALLOC more. */
	size_t accepted = send_until_rst(f, port, 1000, 4 << 20);
	while ((n = client_read(fd, buf, sizeof(buf))) > 0)
		taken += (size_t)n;
	assert_int_equal(n, 0); /* then EOF: the connection is gone */
	assert_true(accepted - taken <= VSOCK_BUF_ALLOC);
	assert_true(accepted + 1000 - taken > VSOCK_BUF_ALLOC);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
	close(fd);
}

static void test_credit_update_as_host_reads(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	static uint8_t data[65536], buf[1 << 20];
	struct pkt p;
	size_t sent = 0, got = 0;
	ssize_t n;

	post_rx(f, 16, RX_BUF_SIZE);
	/* Within credit while the client does not read. */
	while (sent + sizeof(data) <= VSOCK_BUF_ALLOC) {
		tx(f, port, VSOCK_OP_RW, 0, data, sizeof(data));
		sent += sizeof(data);
	}
	while (rx_pkt(f, &p))
		assert_int_equal(p.h.op, VSOCK_OP_CREDIT_UPDATE);
	/* The client reads: buffered data flows, and the freed space comes
	 * back to the guest as credit. */
	while ((n = client_read(fd, buf, sizeof(buf))) > 0 || got < sent) {
		if (n > 0)
			got += (size_t)n;
		run(f);
	}
	assert_int_equal(got, sent);
	uint32_t fwd = 0;
	while (rx_pkt(f, &p)) {
		assert_int_equal(p.h.op, VSOCK_OP_CREDIT_UPDATE);
		fwd = p.h.fwd_cnt;
	}
	assert_true(sent - fwd < VSOCK_BUF_ALLOC / 4);
	/* And on request, the exact count. */
	tx(f, port, VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0);
	expect_pkt(f, VSOCK_OP_CREDIT_UPDATE, &p);
	assert_int_equal(p.h.fwd_cnt, sent);
	assert_int_equal(p.h.buf_alloc, VSOCK_BUF_ALLOC);
	close(fd);
}

/* ---- shutdown ---- */

static void test_half_close_host_first(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	char buf[64];

	post_rx(f, 8, RX_BUF_SIZE);
	assert_int_equal(write(fd, "in", 2), 2);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	run(f);
	expect_pkt(f, VSOCK_OP_RW, &p);
	expect_pkt(f, VSOCK_OP_SHUTDOWN, &p);
	assert_int_equal(p.h.flags, VSOCK_SHUTDOWN_SEND);
	expect_no_pkt(f);
	/* The other direction still flows. */
	tx(f, port, VSOCK_OP_RW, 0, "out", 3);
	assert_int_equal(client_read(fd, buf, sizeof(buf)), 3);
	assert_int_equal(vsock_device_conn_count(f->dev), 1);
	/* The guest is done too: EOF for the client, RST ends it. */
	tx(f, port, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND | VSOCK_SHUTDOWN_RCV, NULL, 0);
	assert_int_equal(client_read(fd, buf, sizeof(buf)), 0);
	expect_pkt(f, VSOCK_OP_RST, &p);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
	close(fd);
}

static void test_half_close_guest_first(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	char buf[64];
	size_t pos = 0;
	unsigned creq = 0;

	post_rx(f, 8, RX_BUF_SIZE);
	tx(f, port, VSOCK_OP_RW, 0, "bye", 3);
	tx(f, port, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, NULL, 0);
	/* Data first, then EOF. */
	assert_int_equal(client_read(fd, buf, sizeof(buf)), 3);
	assert_int_equal(client_read(fd, buf, sizeof(buf)), 0);
	/* The client can still send. */
	fill((uint8_t *)buf, 10, 0);
	assert_int_equal(write(fd, buf, 10), 10);
	run(f);
	assert_int_equal(drain_rw(f, port, &pos, &creq), 10);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	run(f);
	expect_pkt(f, VSOCK_OP_RST, &p);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
	close(fd);
}

/* The guest's EOF waits behind the data the client has not taken yet. */
static void test_guest_shutdown_after_buffered_data(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	static uint8_t data[65536], buf[1 << 20];
	size_t sent = 0, got = 0;
	ssize_t n;

	post_rx(f, 16, RX_BUF_SIZE);
	while (sent + sizeof(data) <= VSOCK_BUF_ALLOC) {
		tx(f, port, VSOCK_OP_RW, 0, data, sizeof(data));
		sent += sizeof(data);
	}
	tx(f, port, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, NULL, 0);
	for (;;) {
		n = client_read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		run(f);
	}
	assert_int_equal(got, sent);
	close(fd);
}

static void test_client_close_resets(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);

	post_rx(f, 8, RX_BUF_SIZE);
	close(fd);
	run(f);
	expect_pkt(f, VSOCK_OP_RST, &p);
	assert_int_equal(p.h.src_port, port);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
}

static void test_device_reset(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int a = establish(f, GUEST_BUF_ALLOC, &port);
	int b = client(f, 99);
	char c;

	assert_int_equal(vsock_device_conn_count(f->dev), 2);
	vsock_device_reset(f->dev);
	run(f);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
	assert_int_equal(client_read(a, &c, 1), 0);
	assert_int_equal(client_read(b, &c, 1), 0);
	close(a);
	close(b);
}

static void test_broken_ring_drops_all(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	char c;

	/* The guest moves its avail index by more than the ring size, and
	 * the device finds out as it has data to deliver. */
	put16(f->mem + RX_AVAIL + 2, (uint16_t)(f->rx_avail + RX_NUM + 1));
	assert_int_equal(write(fd, "x", 1), 1);
	run(f);
	assert_true(f->rxq.broken);
	/* Reset with the byte unread: the client gets ECONNRESET. */
	assert_int_equal(client_read(fd, &c, 1), -ECONNRESET);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
	/* New clients are closed at once. */
	int fd2 = client(f, 1024);
	assert_int_equal(client_read(fd2, &c, 1), 0);
	close(fd);
	close(fd2);
}

/* ---- limits ---- */

static void test_rst_queue_bounded(void **state)
{
	struct fx *f = *state;
	struct pkt p;
	unsigned rsts = 0;

	for (unsigned i = 0; i < 1000; i++) {
		struct vsock_hdr h = {.src_cid = CID,
				      .dst_cid = 2,
				      .src_port = i,
				      .dst_port = 1,
				      .type = 1,
				      .op = VSOCK_OP_REQUEST};
		tx_raw(f, &h, NULL, 0);
	}
	post_rx(f, RX_NUM, RX_BUF_SIZE);
	run(f);
	while (rx_pkt(f, &p)) {
		assert_int_equal(p.h.op, VSOCK_OP_RST);
		rsts++;
	}
	assert_true(rsts > 0 && rsts < 1000);
}

static void test_connection_limit(void **state)
{
	struct fx *f = *state;
	struct rlimit rl;
	static int fds[VSOCK_MAX_CONNS + 1];
	char c;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * VSOCK_MAX_CONNS + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < 2 * VSOCK_MAX_CONNS + 64)
			skip();
	}
	for (unsigned i = 0; i <= VSOCK_MAX_CONNS; i++)
		fds[i] = client(f, i);
	assert_int_equal(vsock_device_conn_count(f->dev), VSOCK_MAX_CONNS);
	assert_int_equal(client_read(fds[VSOCK_MAX_CONNS], &c, 1), 0);
	assert_int_equal(client_read(fds[0], &c, 1), -EAGAIN);
	for (unsigned i = 0; i <= VSOCK_MAX_CONNS; i++)
		close(fds[i]);
	run(f);
	assert_int_equal(vsock_device_conn_count(f->dev), 0);
}

/* ---- the hybrid socket ---- */

static void test_listener(void **state)
{
	struct fx *f = *state;
	struct hybrid_listener *l;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/test-vsock-XXXXXX";
	struct pkt p;
	char buf[64], want[64];

	assert_non_null(mkdtemp(dir));
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/s", dir);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(hybrid_listener_new(f->epfd, lfd, f->dev, &l), 0);
	post_rx(f, 8, RX_BUF_SIZE);

	/* A bad line: closed, the guest hears nothing. */
	int bad = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(bad, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(write(bad, "CONNECT x\n", 10), 10);
	/* A line in pieces, with data right behind it. */
	int good = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(good, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(write(good, "CONN", 4), 4);
	run(f);
	hybrid_listener_collect(l);
	assert_int_equal(write(good, "ECT 42\nearly", 12), 12);
	run(f);
	hybrid_listener_collect(l);
	assert_int_equal(read(bad, buf, sizeof(buf)), 0);
	expect_pkt(f, VSOCK_OP_REQUEST, &p);
	assert_int_equal(p.h.dst_port, 42);
	expect_no_pkt(f);
	struct vsock_hdr h = {.src_cid = CID,
			      .dst_cid = 2,
			      .src_port = 42,
			      .dst_port = p.h.src_port,
			      .type = 1,
			      .op = VSOCK_OP_RESPONSE,
			      .buf_alloc = GUEST_BUF_ALLOC};
	tx_raw(f, &h, NULL, 0);
	snprintf(want, sizeof(want), "OK %u\n", p.h.src_port);
	ssize_t n = read(good, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
	expect_pkt(f, VSOCK_OP_RW, &p);
	assert_int_equal(p.h.len, 5);
	assert_memory_equal(p.data, "early", 5);

	/* Too long without a newline. */
	int longer = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(longer, (struct sockaddr *)&addr, sizeof(addr)), 0);
	memset(buf, '1', sizeof(buf));
	assert_int_equal(write(longer, buf, 40), 40);
	run(f);
	hybrid_listener_collect(l);
	n = read(longer, buf, sizeof(buf));
	assert_true(n == 0 || (n < 0 && errno == ECONNRESET)); /* we left bytes unread */
	expect_no_pkt(f);

	close(bad);
	close(good);
	close(longer);
	hybrid_listener_free(l);
	unlink(addr.sun_path);
	rmdir(dir);
}

/* Random packets from a guest that knows the connection's ports: the
 * device must neither crash nor hold more than it promised. */
static void test_random_packets(void **state)
{
	struct fx *f = *state;
	uint32_t port;
	int fd = establish(f, GUEST_BUF_ALLOC, &port);
	static uint8_t data[8192];
	unsigned seed = 777, reconnects = 0;
	struct pkt p;

	for (unsigned i = 0; i < 5000; i++) {
		struct vsock_hdr h = {
		    .src_cid = rand_r(&seed) % 16 ? CID : (uint64_t)rand_r(&seed),
		    .dst_cid = rand_r(&seed) % 16 ? VSOCK_CID_HOST : (uint64_t)rand_r(&seed),
		    .src_port = rand_r(&seed) % 4 ? GUEST_PORT : (uint32_t)rand_r(&seed),
		    .dst_port = rand_r(&seed) % 4 ? port : (uint32_t)rand_r(&seed),
		    .type = rand_r(&seed) % 16 ? VSOCK_TYPE_STREAM : (uint16_t)rand_r(&seed),
		    .op = (uint16_t)(rand_r(&seed) % 9),
		    .flags = (uint32_t)rand_r(&seed) % 4,
		    .buf_alloc = (uint32_t)rand_r(&seed),
		    .fwd_cnt = (uint32_t)rand_r(&seed),
		};
		size_t len = (size_t)rand_r(&seed) % sizeof(data);
		uint8_t raw[VSOCK_HDR_SIZE + sizeof(data)];
		struct iovec iov = {.iov_base = raw, .iov_len = VSOCK_HDR_SIZE + len};

		h.len = rand_r(&seed) % 8 ? (uint32_t)len : (uint32_t)rand_r(&seed);
		vsock_hdr_build(&h, raw);
		vsock_device_recv(f->dev, &iov, 1, iov.iov_len);
		if (rand_r(&seed) % 4 == 0 &&
		    send(fd, data, (size_t)rand_r(&seed) % 5000, MSG_NOSIGNAL) < 0)
			assert_true(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET);
		if (rand_r(&seed) % 8 == 0)
			(void)!read(fd, data, sizeof(data));
		if (f->rx_avail - f->rx_seen < 32)
			post_rx(f, 32, RX_BUF_SIZE);
		run(f);
		while (rx_pkt(f, &p))
			assert_true(p.used_len == 0 || p.used_len == VSOCK_HDR_SIZE + p.h.len);
		assert_true(vsock_device_conn_count(f->dev) <= 1);
		if (vsock_device_conn_count(f->dev) == 0) {
			close(fd);
			fd = establish(f, (uint32_t)rand_r(&seed) % (2 * GUEST_BUF_ALLOC), &port);
			reconnects++;
		}
	}
	assert_true(reconnects > 10);
	close(fd);
}

/* ---- the vhost-user front-end protocol ---- */

struct vu_fx {
	int epfd;
	int fe; /* the front-end's end */
	struct guest_memory mem;
	struct virtqueue vqs[VU_NUM_QUEUES];
	struct vu_dev *vu;
	unsigned kicks[VU_NUM_QUEUES], stops[VU_NUM_QUEUES];
};

static void vu_kick(void *opaque, unsigned index)
{
	((struct vu_fx *)opaque)->kicks[index]++;
}

static void vu_stopped(void *opaque, unsigned index)
{
	((struct vu_fx *)opaque)->stops[index]++;
}

static const struct vu_ops test_vu_ops = {.kick = vu_kick, .ring_stopped = vu_stopped};

static int vu_setup(void **state)
{
	struct vu_fx *f = calloc(1, sizeof(*f));
	int sv[2];

	log_set_quiet(true);
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	f->fe = sv[1];
	guest_memory_init(&f->mem);
	for (unsigned i = 0; i < VU_NUM_QUEUES; i++)
		vq_init(&f->vqs[i], i);
	assert_int_equal(vu_dev_new(f->epfd, sv[0], CID, &f->mem, f->vqs, &test_vu_ops, f, &f->vu),
			 0);
	*state = f;
	return 0;
}

static int vu_teardown(void **state)
{
	struct vu_fx *f = *state;

	vu_dev_free(f->vu);
	close(f->fe);
	close(f->epfd);
	free(f);
	return 0;
}

/* Lets the back-end handle what is on the socket; returns what its events
 * returned (0, EVENT_QUIT or -errno). */
static int vu_run(struct vu_fx *f)
{
	struct epoll_event ev[8];
	int n, r = 0;

	while (r == 0 && (n = epoll_wait(f->epfd, ev, 8, 0)) > 0)
		for (int i = 0; i < n && r == 0; i++) {
			struct event_source *src = ev[i].data.ptr;
			r = src->dispatch(src, ev[i].events);
		}
	return r;
}

static void vu_send(struct vu_fx *f, uint32_t req, uint32_t flags, const void *payload,
		    uint32_t size, const int *fds, unsigned nfds)
{
	uint8_t buf[12 + 512];
	char control[CMSG_SPACE(sizeof(int) * 16)] = {0};
	struct iovec iov = {.iov_base = buf, .iov_len = 12 + size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	if (size)
		memcpy(buf + 12, payload, size);
	if (nfds) {
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(f->fe, &mh, 0), (ssize_t)(12 + size));
}

static void vu_send_u64(struct vu_fx *f, uint32_t req, uint32_t flags, uint64_t v, const int *fds,
			unsigned nfds)
{
	vu_send(f, req, flags, &v, 8, fds, nfds);
}

static void vu_send_state(struct vu_fx *f, uint32_t req, uint32_t flags, uint32_t index,
			  uint32_t num)
{
	uint32_t p[2] = {index, num};

	vu_send(f, req, flags, p, 8, NULL, 0);
}

/* Reads a reply: returns its payload size, fills payload. */
static uint32_t vu_reply(struct vu_fx *f, uint32_t req, void *payload, uint32_t max)
{
	uint32_t hdr[3];

	assert_int_equal(read(f->fe, hdr, 12), 12);
	assert_int_equal(hdr[0], req);
	assert_int_equal(hdr[1], 0x5); /* version 1, reply */
	assert_true(hdr[2] <= max);
	if (hdr[2])
		assert_int_equal(read(f->fe, payload, hdr[2]), hdr[2]);
	return hdr[2];
}

static uint64_t vu_reply_u64(struct vu_fx *f, uint32_t req)
{
	uint64_t v = 0;

	assert_int_equal(vu_reply(f, req, &v, 8), 8);
	return v;
}

static unsigned open_fds(void)
{
	unsigned n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

enum {
	GET_FEATURES = 1,
	SET_FEATURES = 2,
	SET_OWNER = 3,
	SET_MEM_TABLE = 5,
	SET_VRING_NUM = 8,
	SET_VRING_ADDR = 9,
	SET_VRING_BASE = 10,
	GET_VRING_BASE = 11,
	SET_VRING_KICK = 12,
	SET_VRING_CALL = 13,
	SET_VRING_ERR = 14,
	GET_PROTOCOL_FEATURES = 15,
	SET_PROTOCOL_FEATURES = 16,
	SET_VRING_ENABLE = 18,
	GET_CONFIG = 24,
	V1 = 1,
	NEED_REPLY = 8,
};

static void negotiate(struct vu_fx *f)
{
	vu_send(f, GET_FEATURES, V1, NULL, 0, NULL, 0);
	assert_int_equal(vu_run(f), 0);
	uint64_t features = vu_reply_u64(f, GET_FEATURES);
	assert_int_equal(features, (1ull << 32) | (1ull << 30));
	vu_send(f, GET_PROTOCOL_FEATURES, V1, NULL, 0, NULL, 0);
	assert_int_equal(vu_run(f), 0);
	assert_int_equal(vu_reply_u64(f, GET_PROTOCOL_FEATURES), (1ull << 9) | (1ull << 3));
	vu_send_u64(f, SET_PROTOCOL_FEATURES, V1, (1ull << 9) | (1ull << 3), NULL, 0);
	vu_send(f, SET_OWNER, V1, NULL, 0, NULL, 0);
	vu_send_u64(f, SET_FEATURES, V1, features, NULL, 0);
	assert_int_equal(vu_run(f), 0);
}

static void test_vu_negotiation_and_config(void **state)
{
	struct vu_fx *f = *state;
	uint8_t reply[12 + 8];
	uint32_t cfg[5] = {0, 8, 0};
	uint64_t cid;

	negotiate(f);
	vu_send(f, GET_CONFIG, V1, cfg, 12 + 8, NULL, 0);
	assert_int_equal(vu_run(f), 0);
	assert_int_equal(vu_reply(f, GET_CONFIG, reply, sizeof(reply)), 20);
	memcpy(&cid, reply + 12, 8);
	assert_int_equal(cid, CID);
	/* With REPLY_ACK, a request that fails is answered and survived. */
	vu_send_state(f, SET_VRING_NUM, V1 | NEED_REPLY, 0, 100);
	assert_int_equal(vu_run(f), 0);
	assert_int_not_equal(vu_reply_u64(f, SET_VRING_NUM), 0);
	vu_send_state(f, SET_VRING_NUM, V1 | NEED_REPLY, 0, 256);
	assert_int_equal(vu_run(f), 0);
	assert_int_equal(vu_reply_u64(f, SET_VRING_NUM), 0);
	/* Hanging up ends the session normally. */
	close(f->fe);
	f->fe = -1;
	assert_int_equal(vu_run(f), EVENT_QUIT);
}

static void test_vu_bad_messages(void **state)
{
	struct vu_fx *f = *state;
	uint32_t cfg[5] = {250, 8, 0};
	uint8_t big[8 + 9 * 32] = {0};

	/* Each of these ends the session with an error when no reply can
	 * carry the failure; the fixture is rebuilt for each. */
	struct {
		uint32_t req, flags;
		const void *p;
		uint32_t size;
	} bad[] = {
	    {GET_FEATURES, 2, NULL, 0},	    /* version */
	    {SET_FEATURES, V1, big, 4},	    /* size */
	    {SET_VRING_NUM, V1, big, 16},   /* size */
	    {GET_CONFIG, V1, cfg, 12 + 8},  /* offset + size past the config */
	    {SET_MEM_TABLE, V1, big, 8},    /* no regions */
	    {SET_VRING_KICK, V1, big, 8},   /* no fd, no NOFD flag */
	    {77, V1, NULL, 0},		    /* unknown request */
	    {SET_VRING_ENABLE, V1, big, 8}, /* ring with no size: fine */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vu_teardown(state);
		vu_setup(state);
		f = *state;
		vu_send(f, bad[i].req, bad[i].flags, bad[i].p, bad[i].size, NULL, 0);
		if (bad[i].req == SET_VRING_ENABLE)
			assert_int_equal(vu_run(f), 0);
		else
			assert_true(vu_run(f) < 0);
	}
	/* Ring index out of range, size not a power of two, too big. */
	uint32_t states[][2] = {{2, 1}, {0, 3}, {1, 65536}};
	for (size_t i = 0; i < 3; i++) {
		vu_teardown(state);
		vu_setup(state);
		f = *state;
		vu_send_state(f, SET_VRING_NUM, V1, states[i][0], states[i][1]);
		assert_true(vu_run(f) < 0);
	}
	/* Polling mode: refused. */
	vu_teardown(state);
	vu_setup(state);
	f = *state;
	vu_send_u64(f, SET_VRING_KICK, V1, 0x100, NULL, 0);
	assert_true(vu_run(f) < 0);
	assert_non_null(strstr(vu_dev_error(f->vu), "polling"));
}

static void test_vu_fds_closed(void **state)
{
	struct vu_fx *f = *state;
	int fds[9];
	uint8_t table[8 + 9 * 32] = {0};
	uint32_t n = 9;

	negotiate(f);
	for (int i = 0; i < 9; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	unsigned before = open_fds();
	/* Nine regions: refused, and the fds that came with it closed. */
	memcpy(table, &n, 4);
	vu_send(f, SET_MEM_TABLE, V1 | NEED_REPLY, table, sizeof(table), fds, 8);
	assert_int_equal(vu_run(f), 0);
	assert_int_not_equal(vu_reply_u64(f, SET_MEM_TABLE), 0);
	/* An fd on a request that takes none. */
	vu_send_u64(f, SET_FEATURES, V1 | NEED_REPLY, 1ull << 32, fds, 1);
	assert_int_equal(vu_run(f), 0);
	assert_int_not_equal(vu_reply_u64(f, SET_FEATURES), 0);
	/* An error fd, which we do not use. */
	vu_send_u64(f, SET_VRING_ERR, V1 | NEED_REPLY, 1, fds, 1);
	assert_int_equal(vu_run(f), 0);
	assert_int_equal(vu_reply_u64(f, SET_VRING_ERR), 0);
	assert_int_equal(open_fds(), before);
	for (int i = 0; i < 9; i++)
		close(fds[i]);
}

static void test_vu_ring_lifecycle(void **state)
{
	struct vu_fx *f = *state;
	const uint64_t size = 1 << 20, uva = 0x7f1234560000ull;
	int memfd = memfd_create("guest", MFD_CLOEXEC);
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), call = eventfd(0, EFD_CLOEXEC);
	uint8_t table[8 + 32] = {0};
	uint64_t region[4] = {0, size, uva, 0};
	uint32_t one = 1, base[2];

	assert_int_equal(ftruncate(memfd, (off_t)size), 0);
	negotiate(f);
	memcpy(table, &one, 4);
	memcpy(table + 8, region, 32);
	vu_send(f, SET_MEM_TABLE, V1 | NEED_REPLY, table, sizeof(table), &memfd, 1);
	assert_int_equal(vu_run(f), 0);
	assert_int_equal(vu_reply_u64(f, SET_MEM_TABLE), 0);
	vu_send_state(f, SET_VRING_NUM, V1, 1, 128);
	vu_send_state(f, SET_VRING_BASE, V1, 1, 0);
	uint64_t addr[5] = {1, uva + 0x0, uva + 0x2000, uva + 0x1000, 0};
	vu_send(f, SET_VRING_ADDR, V1 | NEED_REPLY, addr, 40, NULL, 0);
	assert_int_equal(vu_run(f), 0);
	assert_int_equal(vu_reply_u64(f, SET_VRING_ADDR), 0);
	vu_send_u64(f, SET_VRING_KICK, V1, 1, &kick, 1);
	vu_send_u64(f, SET_VRING_CALL, V1, 1, &call, 1);
	assert_int_equal(vu_run(f), 0);
	/* Protocol features negotiated: the ring waits to be enabled. */
	assert_false(vq_ready(&f->vqs[1]));
	vu_send_state(f, SET_VRING_ENABLE, V1, 1, 1);
	assert_int_equal(vu_run(f), 0);
	assert_true(vq_ready(&f->vqs[1]));
	unsigned kicks = f->kicks[1];
	uint64_t v = 1;
	assert_int_equal(write(kick, &v, 8), 8);
	assert_int_equal(vu_run(f), 0);
	assert_int_equal(f->kicks[1], kicks + 1);
	/* Rings outside guest memory are refused. */
	uint64_t bad_addr[5] = {1, uva + size - 16, uva + 0x2000, uva + 0x1000, 0};
	vu_send(f, SET_VRING_ADDR, V1 | NEED_REPLY, bad_addr, 40, NULL, 0);
	assert_int_equal(vu_run(f), 0);
	assert_int_not_equal(vu_reply_u64(f, SET_VRING_ADDR), 0);
	/* GET_VRING_BASE stops the ring and answers where it stands. */
	vu_send_state(f, GET_VRING_BASE, V1, 1, 0);
	assert_int_equal(vu_run(f), 0);
	assert_int_equal(vu_reply(f, GET_VRING_BASE, base, sizeof(base)), 8);
	assert_int_equal(base[0], 1);
	assert_int_equal(base[1], 0);
	assert_int_equal(f->stops[1], 1);
	assert_false(vq_ready(&f->vqs[1]));
	close(memfd);
	close(kick);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hdr_layout),
	    cmocka_unit_test(test_connect_line),
	    T(test_handshake),
	    T(test_request_waits_for_rx_buffers),
	    T(test_request_waits_for_rx_ring),
	    T(test_rst_closes_client),
	    T(test_client_gone_before_request),
	    T(test_client_gone_while_connecting),
	    T(test_guest_request_refused),
	    T(test_unknown_connection),
	    T(test_wrong_cids),
	    T(test_wrong_type),
	    T(test_len_beyond_buffer),
	    T(test_short_packet),
	    T(test_rx_buffer_too_small),
	    T(test_data_fills_buffers),
	    T(test_host_data_waits_for_rx_buffers),
	    T(test_credit_host_to_guest),
	    T(test_credit_shrinks),
	    T(test_guest_data_to_host),
	    T(test_guest_exceeds_credit),
	    T(test_credit_update_as_host_reads),
	    T(test_half_close_host_first),
	    T(test_half_close_guest_first),
	    T(test_guest_shutdown_after_buffered_data),
	    T(test_client_close_resets),
	    T(test_device_reset),
	    T(test_broken_ring_drops_all),
	    T(test_rst_queue_bounded),
	    T(test_connection_limit),
	    T(test_listener),
	    T(test_random_packets),
	    cmocka_unit_test_setup_teardown(test_vu_negotiation_and_config, vu_setup, vu_teardown),
	    cmocka_unit_test_setup_teardown(test_vu_bad_messages, vu_setup, vu_teardown),
	    cmocka_unit_test_setup_teardown(test_vu_fds_closed, vu_setup, vu_teardown),
	    cmocka_unit_test_setup_teardown(test_vu_ring_lifecycle, vu_setup, vu_teardown),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
