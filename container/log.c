/* A container's log: records appended by the monitor, rotated by size, and
 * read back for `launcher logs` (--tail, -t, -f). The format is in log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define BUF_SIZE (LOG_HEADER_SIZE + LOG_RECORD_MAX)
#define NAME_SIZE 32 /* "container.log.100" */
#define FOLLOW_POLL_NS (50 * 1000 * 1000)

struct header {
	unsigned stream;
	size_t len;
	uint64_t time_ns;
};

static void header_encode(uint8_t *p, enum log_stream s, size_t len, uint64_t time_ns)
{
	uint32_t word = (uint32_t)s << 24 | (uint32_t)len;

	for (int i = 0; i < 4; i++) {
		p[i] = (uint8_t)(word >> 8 * i);
		p[4 + i] = 0;
	}
	for (int i = 0; i < 8; i++)
		p[8 + i] = (uint8_t)(time_ns >> 8 * i);
}

static bool header_decode(const uint8_t *p, struct header *h)
{
	uint32_t word = 0, reserved = 0;
	uint64_t t = 0;

	for (int i = 3; i >= 0; i--) {
		word = word << 8 | p[i];
		reserved = reserved << 8 | p[4 + i];
	}
	for (int i = 7; i >= 0; i--)
		t = t << 8 | p[8 + i];
	h->stream = word >> 24;
	h->len = word & 0xffffff;
	h->time_ns = t;
	return (h->stream == LOG_STDOUT || h->stream == LOG_STDERR) && reserved == 0 &&
	       h->len >= 1 && h->len <= LOG_RECORD_MAX;
}

/* 0 is the file being written, n > 0 its n-th rotated predecessor. */
static void file_name(char buf[NAME_SIZE], unsigned n)
{
	if (n == 0)
		snprintf(buf, NAME_SIZE, "%s", LOG_FILE_NAME);
	else
		snprintf(buf, NAME_SIZE, "%s.%u", LOG_FILE_NAME, n);
}

/* A read-ahead window over a file: records of a few bytes then cost no
 * system call each, and any whole record still fits in it. */
struct window {
	uint8_t *buf; /* BUF_SIZE bytes */
	int fd;
	uint64_t off;
	size_t len;
};

/* Points *ret at the need bytes at pos. Returns 1, 0 if the file ends
 * first, or -errno. */
static int window_get(struct window *w, int fd, uint64_t pos, size_t need, const uint8_t **ret)
{
	if (w->fd != fd || pos < w->off || pos + need > w->off + w->len) {
		ssize_t n;

		do
			n = pread(fd, w->buf, BUF_SIZE, (off_t)pos);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		w->fd = fd;
		w->off = pos;
		w->len = (size_t)n;
		if (need > w->len)
			return 0;
	}
	*ret = w->buf + (pos - w->off);
	return 1;
}

void log_opts_default(struct log_opts *o)
{
	o->max_size = LOG_DEFAULT_MAX_SIZE;
	o->max_files = LOG_DEFAULT_MAX_FILES;
}

static int bad_opt(struct error *e, const char *kv, const char *why)
{
	return error_set(e, EINVAL, "invalid log option \"%s\": %s", kv, why);
}

int log_opts_parse(struct log_opts *o, const char *kv, struct error *e)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
	bool is_size = klen == 8 && strncmp(kv, "max-size", 8) == 0;
	bool is_file = klen == 8 && strncmp(kv, "max-file", 8) == 0;
	uint64_t v;
	int r;

	if (!is_size && !is_file)
		return error_set(e, EINVAL,
				 "unknown log option \"%.*s\" (supported: max-size, max-file)",
				 (int)klen, kv);
	if (!eq)
		return bad_opt(e, kv,
			       is_size ? "expected max-size=VALUE" : "expected max-file=VALUE");
	if (is_size) {
		r = parse_size(eq + 1, &v);
		/* Beyond INT64_MAX the state file could not hold it. */
		if (r == -ERANGE || (r == 0 && v > INT64_MAX))
			return bad_opt(e, kv, "too large");
		if (r < 0)
			return bad_opt(e, kv, "not a size (like 512k, 10m, 1g)");
		if (v < LOG_MIN_MAX_SIZE)
			return error_set(e, EINVAL, "invalid log option \"%s\": at least %u bytes",
					 kv, LOG_MIN_MAX_SIZE);
		o->max_size = v;
		return 0;
	}
	r = parse_uint(eq + 1, LOG_MAX_FILES_LIMIT, &v);
	if (r == -EINVAL)
		return bad_opt(e, kv, "not a number");
	if (r < 0 || v == 0)
		return error_set(e, EINVAL, "invalid log option \"%s\": between 1 and %u", kv,
				 LOG_MAX_FILES_LIMIT);
	o->max_files = (unsigned)v;
	return 0;
}

struct log_writer {
	int dir_fd;
	int fd; /* -1 after a failed rotation: opened again on the next write */
	uint64_t size;
	struct log_opts opts;
	uint8_t *buf;
};

/* A writer killed mid-record leaves a fragment; appending after it would
 * turn every later record into garbage, so the file is cut back to its last
 * whole record. A malformed header is left alone for the reader to report. */
static int trim_torn_record(struct log_writer *w)
{
	_cleanup_close_ int fd = openat(w->dir_fd, LOG_FILE_NAME, O_RDONLY | O_CLOEXEC);
	struct window win = {.buf = w->buf, .fd = -1};
	uint64_t pos = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		const uint8_t *p;
		struct header h;
		int r = window_get(&win, fd, pos, LOG_HEADER_SIZE, &p);

		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (!header_decode(p, &h))
			return 0;
		if (pos + LOG_HEADER_SIZE + h.len > w->size)
			break;
		pos += LOG_HEADER_SIZE + h.len;
	}
	if (pos < w->size) {
		if (ftruncate(w->fd, (off_t)pos) < 0)
			return -errno;
		w->size = pos;
	}
	return 0;
}

static int open_current(struct log_writer *w)
{
	struct stat st;
	int r;

	w->fd = openat(w->dir_fd, LOG_FILE_NAME, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return -errno;
	if (fstat(w->fd, &st) < 0) {
		r = -errno;
		close(TAKE_FD(w->fd));
		return r;
	}
	w->size = (uint64_t)st.st_size;
	r = w->size ? trim_torn_record(w) : 0;
	if (r < 0)
		close(TAKE_FD(w->fd));
	return r;
}

/* Closing first means a failure half-way leaves fd -1, and the next write
 * reopens whatever container.log then is and tries the rotation again. */
static int rotate(struct log_writer *w)
{
	char from[NAME_SIZE], to[NAME_SIZE];

	close(TAKE_FD(w->fd));
	if (w->opts.max_files == 1) {
		/* Unlinked rather than truncated, so that a follower still reading
		 * it sees a new file, not its offset pointing past the end. */
		if (unlinkat(w->dir_fd, LOG_FILE_NAME, 0) < 0 && errno != ENOENT)
			return -errno;
	}
	for (unsigned i = w->opts.max_files - 1; i > 0; i--) {
		file_name(from, i - 1);
		file_name(to, i);
		if (renameat(w->dir_fd, from, w->dir_fd, to) < 0 && errno != ENOENT)
			return -errno;
	}
	return open_current(w);
}

struct log_writer *log_writer_open(const char *dir, const struct log_opts *o, struct error *e)
{
	struct log_writer *w;
	int r;

	if (o->max_files < 1 || o->max_files > LOG_MAX_FILES_LIMIT ||
	    o->max_size < LOG_MIN_MAX_SIZE) {
		error_set(e, EINVAL, "log options out of range (max-size %" PRIu64 ", max-file %u)",
			  o->max_size, o->max_files);
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->opts = *o;
	w->fd = -1;
	w->buf = xmalloc(BUF_SIZE);
	w->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dir_fd < 0) {
		error_errno(e, errno, "opening log directory %s", dir);
		log_writer_close(w);
		return NULL;
	}
	r = open_current(w);
	if (r < 0) {
		error_errno(e, -r, "opening %s/%s", dir, LOG_FILE_NAME);
		log_writer_close(w);
		return NULL;
	}
	return w;
}

static int write_record(struct log_writer *w, enum log_stream s, uint64_t time_ns,
			const uint8_t *data, size_t len)
{
	size_t total = LOG_HEADER_SIZE + len;
	ssize_t n;
	int r;

	if (w->fd < 0 && (r = open_current(w)) < 0)
		return r;
	if (w->size > 0 && w->size + total > w->opts.max_size && (r = rotate(w)) < 0)
		return r;
	/* One write per record: a reader sees a whole record or none of it. */
	header_encode(w->buf, s, len, time_ns);
	memcpy(w->buf + LOG_HEADER_SIZE, data, len);
	do
		n = write(w->fd, w->buf, total);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)total) {
		w->size += total;
		return 0;
	}
	r = n < 0 ? -errno : -ENOSPC;
	/* Part of a record (the disk filled) would hide every later one; if it
	 * cannot be cut off now, reopening trims it before the next write. */
	if (n > 0 && ftruncate(w->fd, (off_t)w->size) < 0)
		close(TAKE_FD(w->fd));
	return r;
}

int log_write(struct log_writer *w, enum log_stream s, uint64_t time_ns, const void *buf,
	      size_t len)
{
	/* A piece must fit in an empty file, or it would rotate forever. */
	uint64_t room = w->opts.max_size - LOG_HEADER_SIZE;
	size_t piece = room < LOG_RECORD_MAX ? (size_t)room : LOG_RECORD_MAX;
	const uint8_t *p = buf;

	if (s != LOG_STDOUT && s != LOG_STDERR)
		return -EINVAL;
	while (len > 0) {
		size_t n = len < piece ? len : piece;
		int r = write_record(w, s, time_ns, p, n);

		if (r < 0)
			return r;
		p += n;
		len -= n;
	}
	return 0;
}

void log_writer_close(struct log_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->dir_fd >= 0)
		close(w->dir_fd);
	free(w->buf);
	free(w);
}

void log_format_time(uint64_t time_ns, char *buf, size_t size)
{
	time_t sec = (time_t)(time_ns / 1000000000u);
	char date[32] = "";
	struct tm tm;

	if (gmtime_r(&sec, &tm))
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09uZ", date, (unsigned)(time_ns % 1000000000u));
}

struct log_file {
	int fd; /* -1: not there (yet) */
	uint64_t pos;
	dev_t dev;
	ino_t ino;
	char name[NAME_SIZE];
};

struct reader {
	const struct log_read_opts *o;
	const char *dir;
	int dir_fd;
	int fds[3]; /* by stream */
	struct error *e;
	struct window win;
	struct log_file files[LOG_MAX_FILES_LIMIT + 1]; /* oldest first */
	unsigned nfiles;
	/* Lines are numbered in file order across the wanted streams, each
	 * stream's line numbered where it begins; those before skip are only
	 * counted (--tail). */
	bool counting;
	bool at_start[3];
	uint64_t line[3];
	uint64_t lines, skip;
	uint8_t *out; /* LOG_RECORD_MAX bytes, for out_fd */
	size_t out_len;
	int out_fd;
};

static int flush(struct reader *r)
{
	int ret = r->out_len ? write_full(r->out_fd, r->out, r->out_len) : 0;

	r->out_len = 0;
	if (ret < 0 && ret != -EPIPE)
		return error_errno(r->e, -ret, "writing the log");
	return ret;
}

/* Buffered, but flushed when the stream changes, so that stdout and stderr
 * sharing a terminal still come out in the order they were written. */
static int put(struct reader *r, int fd, const void *p, size_t n)
{
	int ret;

	if (r->out_len && (fd != r->out_fd || r->out_len + n > LOG_RECORD_MAX) &&
	    (ret = flush(r)) < 0)
		return ret;
	r->out_fd = fd;
	memcpy(r->out + r->out_len, p, n);
	r->out_len += n;
	return 0;
}

static int put_record(struct reader *r, const struct header *h, const uint8_t *p)
{
	unsigned s = h->stream;
	size_t off = 0;
	int ret;

	if (!(s == LOG_STDOUT ? r->o->want_stdout : r->o->want_stderr))
		return 0;
	while (off < h->len) {
		const uint8_t *nl = memchr(p + off, '\n', h->len - off);
		size_t end = nl ? (size_t)(nl - p) + 1 : h->len;
		bool start = r->at_start[s];

		if (start)
			r->line[s] = r->lines++;
		r->at_start[s] = nl != NULL;
		if (!r->counting && r->line[s] >= r->skip) {
			if (start && r->o->timestamps) {
				char ts[40];
				log_format_time(h->time_ns, ts, sizeof(ts) - 1);
				strcat(ts, " ");
				if ((ret = put(r, r->fds[s], ts, strlen(ts))) < 0)
					return ret;
			}
			if ((ret = put(r, r->fds[s], p + off, end - off)) < 0)
				return ret;
		}
		off = end;
	}
	return 0;
}

/* Handles f's whole records from f->pos on, and stops without error where
 * the file ends or a record is cut short (not yet, or never, all written). */
static int read_records(struct reader *r, struct log_file *f)
{
	for (;;) {
		const uint8_t *p;
		struct header h = {0};
		int ret = window_get(&r->win, f->fd, f->pos, LOG_HEADER_SIZE, &p);

		if (ret > 0 && !header_decode(p, &h))
			return error_set(r->e, EBADMSG,
					 "log file %s/%s is corrupt at offset %" PRIu64, r->dir,
					 f->name, f->pos);
		if (ret > 0)
			ret = window_get(&r->win, f->fd, f->pos, LOG_HEADER_SIZE + h.len, &p);
		if (ret < 0)
			return error_errno(r->e, -ret, "reading %s/%s", r->dir, f->name);
		if (ret == 0)
			return 0;
		if ((ret = put_record(r, &h, p + LOG_HEADER_SIZE)) < 0)
			return ret;
		f->pos += LOG_HEADER_SIZE + h.len;
	}
}

/* Returns 1, 0 if there is no such file, or -errno. */
static int open_log_file(struct reader *r, unsigned n, struct log_file *f)
{
	struct stat st;

	*f = (struct log_file){.fd = -1};
	file_name(f->name, n);
	f->fd = openat(r->dir_fd, f->name, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 && errno == ENOENT)
		return 0;
	if (f->fd < 0 || fstat(f->fd, &st) < 0)
		return error_errno(r->e, errno, "opening %s/%s", r->dir, f->name);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 1;
}

/* Newest first: a rotation meanwhile moves files to higher numbers, so one
 * is seen twice (the copy is dropped) rather than missed. */
static int open_files(struct reader *r)
{
	for (unsigned i = 0; i <= LOG_MAX_FILES_LIMIT; i++) {
		struct log_file *f = &r->files[r->nfiles];
		bool seen = false;
		int ret = open_log_file(r, i, f);

		if (ret < 0) {
			if (f->fd >= 0)
				close(f->fd);
			return ret;
		}
		for (unsigned j = 0; ret && j < r->nfiles; j++)
			seen |= r->files[j].dev == f->dev && r->files[j].ino == f->ino;
		if (seen)
			close(f->fd);
		else if (ret)
			r->nfiles++;
	}
	for (unsigned i = 0; i < r->nfiles / 2; i++) {
		struct log_file t = r->files[i];
		r->files[i] = r->files[r->nfiles - 1 - i];
		r->files[r->nfiles - 1 - i] = t;
	}
	return 0;
}

/* The file the writer went on to after f: the one just below f's present
 * number; if f is gone, or there was none, the oldest there is. */
static unsigned next_file(struct reader *r, const struct log_file *f)
{
	char name[NAME_SIZE];
	unsigned oldest = 0;
	struct stat st;

	for (unsigned i = 1; i <= LOG_MAX_FILES_LIMIT; i++) {
		file_name(name, i);
		if (fstatat(r->dir_fd, name, &st, 0) < 0)
			continue;
		if (f->fd >= 0 && st.st_dev == f->dev && st.st_ino == f->ino)
			return i - 1;
		oldest = i;
	}
	return oldest;
}

/* Reads f to its end and on across the rotations since, leaving f the file
 * being written (fd -1 while there is none). */
static int follow_files(struct reader *r, struct log_file *f)
{
	for (;;) {
		struct log_file next;
		struct stat st;
		int ret;

		if (f->fd >= 0 && (ret = read_records(r, f)) < 0)
			return ret;
		if (fstatat(r->dir_fd, LOG_FILE_NAME, &st, 0) < 0) {
			if (errno == ENOENT)
				return 0; /* not created yet, or between rotation and creation */
			return error_errno(r->e, errno, "%s/%s", r->dir, LOG_FILE_NAME);
		}
		if (f->fd >= 0 && st.st_dev == f->dev && st.st_ino == f->ino)
			return 0;
		/* Rotated: the writer left f before renaming it, so f holds now all
		 * it ever will, possibly more than we just read. */
		if (f->fd >= 0 && (ret = read_records(r, f)) < 0)
			return ret;
		ret = open_log_file(r, next_file(r, f), &next);
		if (ret < 0) {
			if (next.fd >= 0)
				close(next.fd);
			return ret;
		}
		if (ret == 0)
			continue; /* renamed again meanwhile */
		if (f->fd >= 0)
			close(f->fd);
		r->win.fd = -1; /* the number may come back for another file */
		*f = next;
	}
}

static int follow(struct reader *r)
{
	const struct timespec poll = {.tv_nsec = FOLLOW_POLL_NS};
	struct log_file *f;

	if (r->nfiles == 0)
		r->files[r->nfiles++] = (struct log_file){.fd = -1};
	f = &r->files[r->nfiles - 1];
	for (;;) {
		/* Asked before reading, so what was written before it ended is read. */
		bool running = !r->o->still_running || r->o->still_running(r->o->ctx);
		int ret = follow_files(r, f);

		if (ret < 0 || (ret = flush(r)) < 0)
			return ret;
		if (!running)
			return 0;
		nanosleep(&poll, NULL);
	}
}

static void restart(struct reader *r)
{
	r->lines = 0;
	r->at_start[LOG_STDOUT] = r->at_start[LOG_STDERR] = true;
	for (unsigned i = 0; i < r->nfiles; i++)
		r->files[i].pos = 0;
}

static int read_log(struct reader *r)
{
	int ret = open_files(r);

	/* --tail: a first pass counts the lines, the second skips all but the
	 * last ones, so memory stays bounded whatever the log's size. */
	restart(r);
	r->counting = r->o->tail >= 0;
	for (unsigned i = 0; ret >= 0 && r->counting && i < r->nfiles; i++)
		ret = read_records(r, &r->files[i]);
	if (ret < 0)
		return ret;
	if (r->counting && r->lines > (uint64_t)r->o->tail)
		r->skip = r->lines - (uint64_t)r->o->tail;
	r->counting = false;
	restart(r);
	for (unsigned i = 0; i < r->nfiles; i++)
		if ((ret = read_records(r, &r->files[i])) < 0)
			return ret;
	return r->o->follow ? follow(r) : flush(r);
}

int log_read(const char *dir, const struct log_read_opts *o, int out_fd, int err_fd,
	     struct error *e)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	int ret;

	r->o = o;
	r->dir = dir;
	r->e = e;
	r->fds[LOG_STDOUT] = out_fd;
	r->fds[LOG_STDERR] = err_fd;
	r->win = (struct window){.buf = xmalloc(BUF_SIZE), .fd = -1};
	r->out = xmalloc(LOG_RECORD_MAX);
	r->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dir_fd < 0)
		ret = error_errno(e, errno, "opening log directory %s", dir);
	else
		ret = read_log(r);
	for (unsigned i = 0; i < r->nfiles; i++)
		if (r->files[i].fd >= 0)
			close(r->files[i].fd);
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	free(r->win.buf);
	free(r->out);
	free(r);
	/* The reader went away (`logs | head`): nothing is wrong. */
	return ret == -EPIPE ? 0 : ret;
}
