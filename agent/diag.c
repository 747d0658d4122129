#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "cleanup.h"
#include "util.h"

#define DIAG_PIPE_CHUNK (64u * 1024)
/* After a source's half-close, how long the host may keep its end open. */
#define DIAG_LINGER_MS 30000

static size_t chunk_size(const struct diag_args *a)
{
	return a->chunk ? a->chunk : DIAG_CHUNK_DEFAULT;
}

static void pause_us(uint32_t us)
{
	struct timespec ts = {.tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000};

	while (us && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Reads fd to EOF (fd blocking), accumulating count and CRC-32, reading at
 * most `chunk` bytes at a time and pausing delay_us after each read. */
static int read_to_eof(int fd, uint8_t *buf, size_t chunk, uint32_t delay_us,
		       struct diag_result *ret)
{
	uLong crc = crc32(0L, Z_NULL, 0);
	uint64_t bytes = 0;

	for (;;) {
		ssize_t n = read(fd, buf, chunk);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		crc = crc32(crc, buf, (uInt)n);
		bytes += (uint64_t)n;
		pause_us(delay_us);
	}
	ret->bytes = bytes;
	ret->crc32 = (uint32_t)crc;
	return 0;
}

int diag_sink(int fd, const struct diag_args *a, struct diag_result *ret, struct error *e)
{
	size_t chunk = chunk_size(a);
	_cleanup_free_ uint8_t *buf = xmalloc(chunk);
	uint64_t start = now_ns();
	int r;

	r = read_to_eof(fd, buf, chunk, a->delay_us, ret);
	if (r < 0)
		return error_errno(e, -r, "sink: reading the stream");
	ret->elapsed_ns = now_ns() - start;
	return 0;
}

/* Writes `bytes` of the pattern for seed in pieces of `chunk`. */
static int write_pattern(int fd, uint64_t seed, uint64_t bytes, size_t chunk, uint32_t delay_us)
{
	_cleanup_free_ uint8_t *buf = xmalloc(chunk);

	for (uint64_t off = 0; off < bytes;) {
		size_t n = bytes - off < chunk ? (size_t)(bytes - off) : chunk;
		int r;

		diag_pattern_fill(seed, off, buf, n);
		r = write_full(fd, buf, n);
		if (r < 0)
			return r;
		off += n;
		pause_us(delay_us);
	}
	return 0;
}

int diag_source(int fd, const struct diag_args *a, struct error *e)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t deadline;
	char buf[4096];
	int r;

	r = write_pattern(fd, a->seed, a->bytes, chunk_size(a), a->delay_us);
	if (r < 0)
		return error_errno(e, -r, "source: writing the stream");
	if (shutdown(fd, SHUT_WR) < 0)
		return error_errno(e, errno, "source: half-closing the stream");
	/* Closing now could cut off data still queued in the guest. */
	deadline = now_ns() + DIAG_LINGER_MS * 1000000ull;
	for (;;) {
		uint64_t now = now_ns();
		ssize_t n;

		if (now >= deadline)
			return error_set(e, ETIMEDOUT, "source: the host did not close the stream");
		r = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (r < 0 && errno != EINTR)
			return error_errno(e, errno, "source: poll");
		if (r <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return errno == ECONNRESET ? 0 : error_errno(e, errno, "source: read");
	}
}

/* The pipe writer sends one buffer of the pattern over and over: the ceiling
 * measures moving bytes, with the reader doing what the sink does (CRC-32). */
static int write_repeated(int fd, uint64_t seed, uint64_t bytes, size_t chunk)
{
	_cleanup_free_ uint8_t *buf = xmalloc(chunk);

	diag_pattern_fill(seed, 0, buf, chunk);
	for (uint64_t off = 0; off < bytes;) {
		size_t n = bytes - off < chunk ? (size_t)(bytes - off) : chunk;
		int r = write_full(fd, buf, n);

		if (r < 0)
			return r;
		off += n;
	}
	return 0;
}

static int wait_child(pid_t pid, int *ret_status)
{
	while (waitpid(pid, ret_status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int diag_pipe(const struct diag_args *a, struct diag_result *ret, struct error *e)
{
	_cleanup_free_ uint8_t *buf = xmalloc(DIAG_PIPE_CHUNK);
	_cleanup_close_ int rd = -1, wr = -1;
	int fds[2], status = 0, r, w;
	uint64_t start;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_errno(e, errno, "pipe: pipe2");
	rd = fds[0];
	wr = fds[1];
	start = now_ns();
	pid = fork();
	if (pid < 0)
		return error_errno(e, errno, "pipe: fork");
	if (pid == 0) {
		close(rd);
		_exit(write_repeated(wr, a->seed, a->bytes, DIAG_PIPE_CHUNK) < 0 ? 1 : 0);
	}
	close(TAKE_FD(wr));
	r = read_to_eof(rd, buf, DIAG_PIPE_CHUNK, 0, ret);
	ret->elapsed_ns = now_ns() - start;
	w = wait_child(pid, &status);
	if (w < 0)
		return error_errno(e, -w, "pipe: waiting for the writer");
	if (r < 0)
		return error_errno(e, -r, "pipe: reading");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_set(e, EIO, "pipe: the writer failed (status 0x%x)", status);
	if (ret->bytes != a->bytes)
		return error_set(e, EIO, "pipe: %llu of %llu bytes arrived",
				 (unsigned long long)ret->bytes, (unsigned long long)a->bytes);
	return 0;
}
