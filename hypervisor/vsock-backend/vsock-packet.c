#include "vsock-packet.h"

#include <errno.h>
#include <string.h>

#include "le.h"

/* Field offsets of struct virtio_vsock_hdr (packed, little-endian). */
enum {
	OFF_SRC_CID = 0,
	OFF_DST_CID = 8,
	OFF_SRC_PORT = 16,
	OFF_DST_PORT = 20,
	OFF_LEN = 24,
	OFF_TYPE = 28,
	OFF_OP = 30,
	OFF_FLAGS = 32,
	OFF_BUF_ALLOC = 36,
	OFF_FWD_CNT = 40,
};

void vsock_hdr_parse(const uint8_t raw[VSOCK_HDR_SIZE], struct vsock_hdr *ret)
{
	ret->src_cid = get64(raw + OFF_SRC_CID);
	ret->dst_cid = get64(raw + OFF_DST_CID);
	ret->src_port = get32(raw + OFF_SRC_PORT);
	ret->dst_port = get32(raw + OFF_DST_PORT);
	ret->len = get32(raw + OFF_LEN);
	ret->type = get16(raw + OFF_TYPE);
	ret->op = get16(raw + OFF_OP);
	ret->flags = get32(raw + OFF_FLAGS);
	ret->buf_alloc = get32(raw + OFF_BUF_ALLOC);
	ret->fwd_cnt = get32(raw + OFF_FWD_CNT);
}

void vsock_hdr_build(const struct vsock_hdr *hdr, uint8_t raw[VSOCK_HDR_SIZE])
{
	put64(raw + OFF_SRC_CID, hdr->src_cid);
	put64(raw + OFF_DST_CID, hdr->dst_cid);
	put32(raw + OFF_SRC_PORT, hdr->src_port);
	put32(raw + OFF_DST_PORT, hdr->dst_port);
	put32(raw + OFF_LEN, hdr->len);
	put16(raw + OFF_TYPE, hdr->type);
	put16(raw + OFF_OP, hdr->op);
	put32(raw + OFF_FLAGS, hdr->flags);
	put32(raw + OFF_BUF_ALLOC, hdr->buf_alloc);
	put32(raw + OFF_FWD_CNT, hdr->fwd_cnt);
}

int vsock_parse_connect_line(const char *line, size_t len, uint32_t *ret_port)
{
	static const char prefix[] = "CONNECT ";
	const size_t plen = sizeof(prefix) - 1;
	uint64_t port = 0;

	if (len > VSOCK_CONNECT_LINE_MAX || len < plen + 2 || memcmp(line, prefix, plen) != 0 ||
	    line[len - 1] != '\n')
		return -EINVAL;
	for (size_t i = plen; i < len - 1; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -EINVAL;
		/* Checked at each digit, so the value cannot overflow. */
		port = port * 10 + (uint64_t)(line[i] - '0');
		if (port >= UINT32_MAX)
			return -ERANGE;
	}
	*ret_port = (uint32_t)port;
	return 0;
}
