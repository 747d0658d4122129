/* The virtio-vsock wire format (virtio 1.2, 5.10.6) and the hybrid-vsock
 * handshake line. Pure functions: this is where bytes from outside become
 * typed values. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define VSOCK_HDR_SIZE 44
#define VSOCK_CID_HOST 2

#define VSOCK_TYPE_STREAM 1

enum vsock_op {
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};

#define VSOCK_SHUTDOWN_RCV 1u
#define VSOCK_SHUTDOWN_SEND 2u

struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
};

void vsock_hdr_parse(const uint8_t raw[VSOCK_HDR_SIZE], struct vsock_hdr *ret);
void vsock_hdr_build(const struct vsock_hdr *hdr, uint8_t raw[VSOCK_HDR_SIZE]);

/* The longest handshake line we accept, newline included. */
#define VSOCK_CONNECT_LINE_MAX 32

/* Parses "CONNECT <port>\n" (the whole line, newline included, nothing
 * after it). The port is decimal, without sign or spaces, and below
 * 0xffffffff (VMADDR_PORT_ANY). Returns 0, -EINVAL for a malformed line or
 * -ERANGE for a port out of range. */
int vsock_parse_connect_line(const char *line, size_t len, uint32_t *ret_port);
