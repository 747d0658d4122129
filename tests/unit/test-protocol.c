/* common/protocol: the agent protocol's framing, as the host and the agent
 * see it. The peer is untrusted, so most cases here are broken streams. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"
#include "util.h"

/* Appends one frame (header + payload) to buf at *off. */
static void put_frame(uint8_t *buf, size_t *off, const void *payload, uint32_t len)
{
	proto_frame_header(buf + *off, len);
	memcpy(buf + *off + PROTO_HEADER_SIZE, payload, len);
	*off += PROTO_HEADER_SIZE + len;
}

static void put_header(uint8_t *buf, uint32_t len)
{
	proto_frame_header(buf, len);
}

/* --- proto_frame_parse ------------------------------------------------ */

static void test_header_is_big_endian(void **state)
{
	uint8_t hdr[PROTO_HEADER_SIZE];

	proto_frame_header(hdr, 0x01020304u);
	assert_int_equal(hdr[0], 0x01);
	assert_int_equal(hdr[1], 0x02);
	assert_int_equal(hdr[2], 0x03);
	assert_int_equal(hdr[3], 0x04);
}

static void test_parse_complete_frame(void **state)
{
	uint8_t buf[64];
	size_t len = 0, consumed = 0;
	const uint8_t *payload = NULL;
	uint32_t n = 0;

	put_frame(buf, &len, "{\"id\":1}", 8);
	assert_int_equal(proto_frame_parse(buf, len, &payload, &n, &consumed), 1);
	assert_ptr_equal(payload, buf + PROTO_HEADER_SIZE);
	assert_int_equal(n, 8);
	assert_int_equal(consumed, 12);
	assert_memory_equal(payload, "{\"id\":1}", 8);
}

static void test_parse_truncated_header(void **state)
{
	/* Whatever the first bytes say, fewer than four are not a header yet. */
	static const uint8_t hdrs[][PROTO_HEADER_SIZE] = {
	    {0x00, 0x00, 0x00, 0x08}, {0x00, 0x00, 0x00, 0x00}, {0xff, 0xff, 0xff, 0xff}};

	for (size_t h = 0; h < sizeof(hdrs) / sizeof(*hdrs); h++) {
		for (size_t len = 0; len < PROTO_HEADER_SIZE; len++) {
			const uint8_t *payload = (const uint8_t *)"untouched";
			uint32_t n = 77;
			size_t consumed = 77;

			assert_int_equal(proto_frame_parse(hdrs[h], len, &payload, &n, &consumed),
					 0);
			assert_string_equal((const char *)payload, "untouched");
			assert_int_equal(n, 77);
			assert_int_equal(consumed, 77);
		}
	}
}

static void test_parse_truncated_payload(void **state)
{
	uint8_t buf[PROTO_HEADER_SIZE + 10];
	const uint8_t *payload;
	uint32_t n;
	size_t consumed;

	put_header(buf, 10);
	memset(buf + PROTO_HEADER_SIZE, 'x', 10);
	for (size_t len = PROTO_HEADER_SIZE; len < sizeof(buf); len++)
		assert_int_equal(proto_frame_parse(buf, len, &payload, &n, &consumed), 0);
	assert_int_equal(proto_frame_parse(buf, sizeof(buf), &payload, &n, &consumed), 1);
	assert_int_equal(n, 10);
}

static void test_parse_zero_length(void **state)
{
	uint8_t buf[16] = {0};
	const uint8_t *payload;
	uint32_t n;
	size_t consumed;

	assert_int_equal(proto_frame_parse(buf, PROTO_HEADER_SIZE, &payload, &n, &consumed),
			 -EBADMSG);
	/* Followed by what would be a valid frame: still an error. */
	put_header(buf + 4, 2);
	memcpy(buf + 8, "{}", 2);
	assert_int_equal(proto_frame_parse(buf, 10, &payload, &n, &consumed), -EBADMSG);
}

static void test_parse_oversize(void **state)
{
	static const uint32_t sizes[] = {PROTO_FRAME_MAX + 1, 0x7fffffffu, 0x80000000u,
					 0xffffffffu};
	uint8_t hdr[PROTO_HEADER_SIZE];
	const uint8_t *payload;
	uint32_t n;
	size_t consumed;

	/* Rejected from the header alone, before waiting for the payload. */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		put_header(hdr, sizes[i]);
		assert_int_equal(proto_frame_parse(hdr, sizeof(hdr), &payload, &n, &consumed),
				 -EMSGSIZE);
	}
}

static void test_parse_max_size(void **state)
{
	size_t len = PROTO_HEADER_SIZE + PROTO_FRAME_MAX;
	uint8_t *buf = malloc(len);
	const uint8_t *payload;
	uint32_t n;
	size_t consumed;

	assert_non_null(buf);
	put_header(buf, PROTO_FRAME_MAX);
	memset(buf + PROTO_HEADER_SIZE, 'a', PROTO_FRAME_MAX);
	assert_int_equal(proto_frame_parse(buf, len - 1, &payload, &n, &consumed), 0);
	assert_int_equal(proto_frame_parse(buf, len, &payload, &n, &consumed), 1);
	assert_int_equal(n, PROTO_FRAME_MAX);
	assert_int_equal(consumed, len);
	free(buf);
}

static void test_parse_back_to_back(void **state)
{
	uint8_t buf[64];
	size_t len = 0, off = 0, consumed;
	const uint8_t *payload;
	uint32_t n;

	put_frame(buf, &len, "{\"a\":1}", 7);
	put_frame(buf, &len, "[]", 2);
	buf[len++] = 0; /* start of a third header */

	assert_int_equal(proto_frame_parse(buf, len, &payload, &n, &consumed), 1);
	assert_int_equal(n, 7);
	assert_memory_equal(payload, "{\"a\":1}", 7);
	off += consumed;
	assert_int_equal(proto_frame_parse(buf + off, len - off, &payload, &n, &consumed), 1);
	assert_int_equal(n, 2);
	assert_memory_equal(payload, "[]", 2);
	off += consumed;
	assert_int_equal(off, len - 1);
	assert_int_equal(proto_frame_parse(buf + off, len - off, &payload, &n, &consumed), 0);
}

/* --- frame_reader ----------------------------------------------------- */

/* A stream of frames of assorted sizes, some larger than the reader's
 * initial buffer, and the payloads expected out of it. */
struct stream {
	uint8_t *bytes;
	size_t len;
	size_t nframes;
	uint32_t sizes[8];
	size_t offsets[8]; /* of each payload in bytes */
};

static void make_stream(struct stream *s)
{
	static const uint32_t sizes[] = {1, 2, 4090, 4096, 3, 10000, 70000, 5};
	size_t total = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
		total += PROTO_HEADER_SIZE + sizes[i];
	s->bytes = malloc(total);
	assert_non_null(s->bytes);
	s->len = 0;
	s->nframes = sizeof(sizes) / sizeof(*sizes);
	for (size_t i = 0; i < s->nframes; i++) {
		s->sizes[i] = sizes[i];
		put_header(s->bytes + s->len, sizes[i]);
		s->len += PROTO_HEADER_SIZE;
		s->offsets[i] = s->len;
		for (uint32_t j = 0; j < sizes[i]; j++)
			s->bytes[s->len + j] = (uint8_t)(i * 31 + j * 13 + (j >> 8));
		s->len += sizes[i];
	}
}

/* Feeds the stream in pieces of sizes from `splits` (cycled), taking every
 * frame as soon as it is complete; checks each against the stream. */
static void feed_stream(const struct stream *s, const size_t *splits, size_t nsplits)
{
	struct frame_reader r;
	size_t fed = 0, got = 0, k = 0;

	frame_reader_init(&r);
	while (fed < s->len) {
		size_t room = 0, want = splits[k++ % nsplits];
		uint8_t *p = frame_reader_space(&r, &room);
		const uint8_t *payload;
		uint32_t n;
		int ret;

		assert_true(room > 0);
		if (want > room)
			want = room;
		if (want > s->len - fed)
			want = s->len - fed;
		memcpy(p, s->bytes + fed, want);
		frame_reader_commit(&r, want);
		fed += want;
		while ((ret = frame_reader_next(&r, &payload, &n)) == 1) {
			assert_true(got < s->nframes);
			assert_int_equal(n, s->sizes[got]);
			assert_memory_equal(payload, s->bytes + s->offsets[got], n);
			got++;
		}
		assert_int_equal(ret, 0);
	}
	assert_int_equal(got, s->nframes);
	frame_reader_free(&r);
}

static void test_reader_byte_by_byte(void **state)
{
	static const size_t one[] = {1};
	struct stream s;

	make_stream(&s);
	feed_stream(&s, one, 1);
	free(s.bytes);
}

static void test_reader_odd_splits(void **state)
{
	static const size_t splits[][6] = {
	    {3, 5, 7, 11, 13, 17},
	    {4095, 1, 4097, 2, 3, 65537},
	    {PROTO_HEADER_SIZE + 1, 2, 3, 4, 5, 6},
	    {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX,
	     SIZE_MAX}, /* all there is room for */
	};
	struct stream s;

	make_stream(&s);
	for (size_t i = 0; i < sizeof(splits) / sizeof(*splits); i++)
		feed_stream(&s, splits[i], 6);
	free(s.bytes);
}

/* Copies bytes into the reader, as a read() would. */
static void reader_put(struct frame_reader *r, const void *bytes, size_t len)
{
	while (len) {
		size_t room;
		uint8_t *p = frame_reader_space(r, &room);
		size_t n = len < room ? len : room;

		assert_true(room > 0);
		memcpy(p, bytes, n);
		frame_reader_commit(r, n);
		bytes = (const uint8_t *)bytes + n;
		len -= n;
	}
}

static void test_reader_payload_stays_valid(void **state)
{
	uint8_t buf[64];
	size_t len = 0;
	struct frame_reader r;
	const uint8_t *a, *b;
	uint32_t na, nb;

	put_frame(buf, &len, "first", 5);
	put_frame(buf, &len, "second", 6);
	frame_reader_init(&r);
	reader_put(&r, buf, len);

	assert_int_equal(frame_reader_next(&r, &a, &na), 1);
	assert_int_equal(na, 5);
	assert_memory_equal(a, "first", 5);
	/* The first frame is dropped only now; the second comes out intact. */
	assert_int_equal(frame_reader_next(&r, &b, &nb), 1);
	assert_int_equal(nb, 6);
	assert_memory_equal(b, "second", 6);
	/* Taken frames are not handed out twice. */
	assert_int_equal(frame_reader_next(&r, &a, &na), 0);
	assert_int_equal(frame_reader_next(&r, &a, &na), 0);

	/* A frame taken while the next one is partial stays valid until the
	 * next call, and the partial one completes after it. */
	len = 0;
	put_frame(buf, &len, "third", 5);
	put_frame(buf, &len, "fourth", 6);
	reader_put(&r, buf, len - 3);
	assert_int_equal(frame_reader_next(&r, &a, &na), 1);
	assert_memory_equal(a, "third", 5);
	reader_put(&r, buf + len - 3, 3);
	assert_int_equal(frame_reader_next(&r, &b, &nb), 1);
	assert_memory_equal(b, "fourth", 6);
	frame_reader_free(&r);
}

static void test_reader_max_frame(void **state)
{
	size_t len = PROTO_HEADER_SIZE + PROTO_FRAME_MAX;
	uint8_t *buf = malloc(len + 8);
	struct frame_reader r;
	const uint8_t *payload;
	uint32_t n;
	size_t room;

	assert_non_null(buf);
	put_header(buf, PROTO_FRAME_MAX);
	for (size_t i = 0; i < PROTO_FRAME_MAX; i++)
		buf[PROTO_HEADER_SIZE + i] = (uint8_t)(i ^ (i >> 9));
	memcpy(buf + len, "\0\0\0\2{}", 6);

	frame_reader_init(&r);
	reader_put(&r, buf, len);
	/* The reader holds exactly one maximal frame; there is no room left
	 * until it is taken. */
	frame_reader_space(&r, &room);
	assert_int_equal(room, 0);
	assert_int_equal(frame_reader_next(&r, &payload, &n), 1);
	assert_int_equal(n, PROTO_FRAME_MAX);
	assert_memory_equal(payload, buf + PROTO_HEADER_SIZE, PROTO_FRAME_MAX);
	reader_put(&r, buf + len, 6);
	assert_int_equal(frame_reader_next(&r, &payload, &n), 1);
	assert_int_equal(n, 2);
	assert_memory_equal(payload, "{}", 2);
	frame_reader_free(&r);
	free(buf);
}

static void test_reader_bad_headers(void **state)
{
	uint8_t buf[32];
	size_t len = 0;
	struct frame_reader r;
	const uint8_t *payload;
	uint32_t n;

	/* A good frame before a bad header still comes out first. */
	put_frame(buf, &len, "ok", 2);
	put_header(buf + len, 0);
	len += PROTO_HEADER_SIZE;
	frame_reader_init(&r);
	reader_put(&r, buf, len);
	assert_int_equal(frame_reader_next(&r, &payload, &n), 1);
	assert_memory_equal(payload, "ok", 2);
	assert_int_equal(frame_reader_next(&r, &payload, &n), -EBADMSG);
	assert_int_equal(frame_reader_next(&r, &payload, &n), -EBADMSG);
	frame_reader_free(&r);

	frame_reader_init(&r);
	put_header(buf, PROTO_FRAME_MAX + 1);
	reader_put(&r, buf, PROTO_HEADER_SIZE);
	assert_int_equal(frame_reader_next(&r, &payload, &n), -EMSGSIZE);
	frame_reader_free(&r);

	frame_reader_init(&r);
	put_header(buf, 0xffffffffu);
	reader_put(&r, buf, 3);
	assert_int_equal(frame_reader_next(&r, &payload, &n), 0);
	reader_put(&r, buf + 3, 1);
	assert_int_equal(frame_reader_next(&r, &payload, &n), -EMSGSIZE);
	frame_reader_free(&r);
}

static void test_reader_empty(void **state)
{
	struct frame_reader r;
	const uint8_t *payload;
	uint32_t n;

	frame_reader_init(&r);
	assert_int_equal(frame_reader_next(&r, &payload, &n), 0);
	frame_reader_free(&r);
	frame_reader_free(&r); /* freeing twice is harmless */
}

/* --- proto_send / proto_recv ------------------------------------------ */

static int setup_pair(void **state)
{
	int *sv = malloc(2 * sizeof(int));

	if (!sv || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*state = sv;
	return 0;
}

static int teardown_pair(void **state)
{
	int *sv = *state;

	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(sv);
	return 0;
}

static void peer_write(int *sv, const void *bytes, size_t len)
{
	assert_int_equal(write_full(sv[1], bytes, len), 0);
}

static void peer_close(int *sv)
{
	close(sv[1]);
	sv[1] = -1;
}

static void test_send_recv_roundtrip(void **state)
{
	int *sv = *state;
	struct error e = {0};
	char *payload = NULL;
	size_t len = 0;

	assert_int_equal(proto_send(sv[1], "{\"id\":1,\"op\":\"ping\"}", 20, &e), 0);
	assert_int_equal(proto_recv(sv[0], 1000, &payload, &len, &e), 0);
	assert_int_equal(len, 20);
	assert_string_equal(payload, "{\"id\":1,\"op\":\"ping\"}"); /* NUL-terminated */
	free(payload);
}

static void test_send_recv_back_to_back(void **state)
{
	int *sv = *state;
	struct error e = {0};
	char *payload = NULL;
	size_t len = 0;

	assert_int_equal(proto_send(sv[1], "one", 3, &e), 0);
	assert_int_equal(proto_send(sv[1], "two!", 4, &e), 0);
	assert_int_equal(proto_recv(sv[0], 1000, &payload, &len, &e), 0);
	assert_string_equal(payload, "one");
	free(payload);
	assert_int_equal(proto_recv(sv[0], -1, &payload, &len, &e), 0);
	assert_string_equal(payload, "two!");
	free(payload);
}

static void test_send_recv_max_size(void **state)
{
	int *sv = *state;
	struct error e = {0};
	char *big = malloc(PROTO_FRAME_MAX), *payload = NULL;
	size_t len = 0;
	pid_t pid;
	int status;

	assert_non_null(big);
	for (size_t i = 0; i < PROTO_FRAME_MAX; i++)
		big[i] = (char)('a' + i % 26);
	/* A megabyte does not fit in a socket buffer: send from another process. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(proto_send(sv[1], big, PROTO_FRAME_MAX, &e) == 0 ? 0 : 1);
	assert_int_equal(proto_recv(sv[0], 10000, &payload, &len, &e), 0);
	assert_int_equal(len, PROTO_FRAME_MAX);
	assert_memory_equal(payload, big, PROTO_FRAME_MAX);
	assert_int_equal(payload[len], '\0');
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(payload);
	free(big);
}

static void test_send_rejects_bad_sizes(void **state)
{
	int *sv = *state;
	struct error e = {0};
	char c;

	assert_int_equal(proto_send(sv[1], "", 0, &e), -EMSGSIZE);
	assert_int_equal(e.code, EMSGSIZE);
	assert_true(e.msg[0] != '\0');
	error_clear(&e);
	assert_int_equal(proto_send(sv[1], "x", (size_t)PROTO_FRAME_MAX + 1, &e), -EMSGSIZE);
	assert_true(e.msg[0] != '\0');
	/* Nothing went out. */
	assert_int_equal(recv(sv[0], &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void test_send_to_closed_peer(void **state)
{
	int *sv = *state;
	struct error e = {0};

	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(proto_send(sv[1], "{}", 2, &e), -EPIPE);
	assert_int_equal(e.code, EPIPE);
	assert_non_null(strstr(e.msg, "sending"));
}

static void expect_recv_error(int fd, int timeout_ms, int code, const char *msg_part)
{
	struct error e = {0};
	char *payload = (char *)"untouched";
	size_t len = 77;
	int r = proto_recv(fd, timeout_ms, &payload, &len, &e);

	if (r != -code)
		fail_msg("proto_recv returned %d (%s), expected %d", r, e.msg, -code);
	assert_int_equal(e.code, code);
	assert_true(e.msg[0] != '\0');
	if (msg_part && !strstr(e.msg, msg_part))
		fail_msg("error \"%s\" does not mention \"%s\"", e.msg, msg_part);
	assert_string_equal(payload, "untouched");
	assert_int_equal(len, 77);
}

static void test_recv_peer_closes_at_once(void **state)
{
	int *sv = *state;

	peer_close(sv);
	expect_recv_error(sv[0], 1000, ECONNRESET, "closed");
}

static void test_recv_peer_closes_mid_header(void **state)
{
	int *sv = *state;

	for (size_t n = 1; n < PROTO_HEADER_SIZE; n++) {
		int s[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
		assert_int_equal(write_full(s[1], "\0\0\0\4", n), 0);
		close(s[1]);
		expect_recv_error(s[0], 1000, ECONNRESET, "middle of a message");
		close(s[0]);
	}
	(void)sv;
}

static void test_recv_peer_closes_mid_payload(void **state)
{
	int *sv = *state;

	peer_write(sv, "\0\0\0\12{\"id\"", 8);
	peer_close(sv);
	expect_recv_error(sv[0], 1000, ECONNRESET, "middle of a message");
}

static void test_recv_peer_closes_after_header(void **state)
{
	int *sv = *state;

	peer_write(sv, "\0\0\0\12", 4);
	peer_close(sv);
	expect_recv_error(sv[0], 1000, ECONNRESET, "closed");
}

static void test_recv_oversize_header(void **state)
{
	int *sv = *state;

	peer_write(sv, "\0\x10\0\1", 4); /* PROTO_FRAME_MAX + 1 */
	expect_recv_error(sv[0], 1000, EMSGSIZE, NULL);
	peer_write(sv, "\xff\xff\xff\xff", 4);
	expect_recv_error(sv[0], 1000, EMSGSIZE, NULL);
}

static void test_recv_zero_length(void **state)
{
	int *sv = *state;

	peer_write(sv, "\0\0\0\0", 4);
	expect_recv_error(sv[0], 1000, EBADMSG, NULL);
}

static void test_recv_timeout(void **state)
{
	int *sv = *state;
	uint64_t start = now_ns(), elapsed_ms;

	expect_recv_error(sv[0], 50, ETIMEDOUT, NULL);
	elapsed_ms = (now_ns() - start) / 1000000u;
	assert_true(elapsed_ms >= 45);
	assert_true(elapsed_ms < 2000);
}

static void test_recv_timeout_mid_frame(void **state)
{
	int *sv = *state;
	uint64_t start = now_ns();

	/* The deadline covers the whole frame, not each read. */
	peer_write(sv, "\0\0\0\10{\"i", 7);
	expect_recv_error(sv[0], 50, ETIMEDOUT, NULL);
	assert_true((now_ns() - start) / 1000000u < 2000);
}

static void test_recv_leaves_raw_bytes(void **state)
{
	int *sv = *state;
	uint8_t buf[64];
	size_t len = 0;
	struct error e = {0};
	char *payload = NULL;
	size_t plen = 0;
	char raw[16] = {0};

	/* A stream connection: one request frame, then raw data in the same write. */
	put_frame(buf, &len, "{\"op\":\"diag\"}", 13);
	memcpy(buf + len, "RAWDATA", 7);
	len += 7;
	peer_write(sv, buf, len);
	assert_int_equal(proto_recv(sv[0], 1000, &payload, &plen, &e), 0);
	assert_string_equal(payload, "{\"op\":\"diag\"}");
	free(payload);
	peer_close(sv);
	assert_int_equal(read_full(sv[0], raw, sizeof(raw)), 7);
	assert_string_equal(raw, "RAWDATA");
}

static void test_recv_slow_peer_nonblocking_fd(void **state)
{
	int *sv = *state;
	struct error e = {0};
	char *payload = NULL;
	size_t len = 0;
	char tail[8];
	pid_t pid;
	int status;

	/* The frame trickles in; the reading side is non-blocking. */
	assert_int_equal(fd_set_nonblock(sv[0], true), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char *const pieces[] = {"\0\0", "\0\11", "{\"id\"", ":42}", "tail"};
		static const size_t lens[] = {2, 2, 5, 4, 4};
		for (size_t i = 0; i < 5; i++) {
			usleep(10000);
			if (write_full(sv[1], pieces[i], lens[i]) < 0)
				_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(proto_recv(sv[0], 5000, &payload, &len, &e), 0);
	assert_int_equal(len, 9);
	assert_string_equal(payload, "{\"id\":42}");
	free(payload);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(fd_set_nonblock(sv[0], false), 0);
	peer_close(sv);
	assert_int_equal(read_full(sv[0], tail, sizeof(tail)), 4);
	assert_memory_equal(tail, "tail", 4);
}

#define PAIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_pair, teardown_pair)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_is_big_endian),
	    cmocka_unit_test(test_parse_complete_frame),
	    cmocka_unit_test(test_parse_truncated_header),
	    cmocka_unit_test(test_parse_truncated_payload),
	    cmocka_unit_test(test_parse_zero_length),
	    cmocka_unit_test(test_parse_oversize),
	    cmocka_unit_test(test_parse_max_size),
	    cmocka_unit_test(test_parse_back_to_back),
	    cmocka_unit_test(test_reader_byte_by_byte),
	    cmocka_unit_test(test_reader_odd_splits),
	    cmocka_unit_test(test_reader_payload_stays_valid),
	    cmocka_unit_test(test_reader_max_frame),
	    cmocka_unit_test(test_reader_bad_headers),
	    cmocka_unit_test(test_reader_empty),
	    PAIR_TEST(test_send_recv_roundtrip),
	    PAIR_TEST(test_send_recv_back_to_back),
	    PAIR_TEST(test_send_recv_max_size),
	    PAIR_TEST(test_send_rejects_bad_sizes),
	    PAIR_TEST(test_send_to_closed_peer),
	    PAIR_TEST(test_recv_peer_closes_at_once),
	    PAIR_TEST(test_recv_peer_closes_mid_header),
	    PAIR_TEST(test_recv_peer_closes_mid_payload),
	    PAIR_TEST(test_recv_peer_closes_after_header),
	    PAIR_TEST(test_recv_oversize_header),
	    PAIR_TEST(test_recv_zero_length),
	    PAIR_TEST(test_recv_timeout),
	    PAIR_TEST(test_recv_timeout_mid_frame),
	    PAIR_TEST(test_recv_leaves_raw_bytes),
	    PAIR_TEST(test_recv_slow_peer_nonblocking_fd),
	};

	/* As in the launcher: a closed peer is an EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
