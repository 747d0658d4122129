/* container/log: what `launcher logs` prints from what the monitor wrote,
 * through rotation, --tail, -t, -f and damaged files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define T0 1795871749123456789ull /* 2026-11-28T13:15:49.123456789Z */

struct output {
	char *out, *err;
	size_t out_len, err_len;
	int rc;
	struct error e;
};

static int setup(void **state)
{
	char *dir = xstrdup("/tmp/test-container-log-XXXXXX");

	if (!mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	remove_tree(*state);
	free(*state);
	return 0;
}

static void output_free(struct output *o)
{
	free(o->out);
	free(o->err);
}

static char *slurp(int fd, size_t *ret_len)
{
	struct stat st;
	char *buf;

	assert_int_equal(fstat(fd, &st), 0);
	buf = xmalloc((size_t)st.st_size + 1);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	buf[st.st_size] = '\0';
	*ret_len = (size_t)st.st_size;
	close(fd);
	return buf;
}

static int temp_fd(void)
{
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);
	return fd;
}

static struct output read_with(const char *dir, const struct log_read_opts *o)
{
	struct output r = {0};
	int out = temp_fd(), err = temp_fd();

	r.rc = log_read(dir, o, out, err, &r.e);
	r.out = slurp(out, &r.out_len);
	r.err = slurp(err, &r.err_len);
	return r;
}

static struct output read_tail(const char *dir, long tail, bool timestamps)
{
	struct log_read_opts o = {
	    .want_stdout = true, .want_stderr = true, .tail = tail, .timestamps = timestamps};
	return read_with(dir, &o);
}

static struct log_writer *writer(const char *dir, uint64_t max_size, unsigned max_files)
{
	struct log_opts o = {.max_size = max_size, .max_files = max_files};
	struct error e = {0};
	struct log_writer *w = log_writer_open(dir, &o, &e);

	if (!w)
		fail_msg("log_writer_open: %s", e.msg);
	return w;
}

static void put(struct log_writer *w, enum log_stream s, uint64_t t, const char *str)
{
	assert_int_equal(log_write(w, s, t, str, strlen(str)), 0);
}

static uint64_t file_size(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) < 0)
		return UINT64_MAX;
	return (uint64_t)st.st_size;
}

static void append_raw(const char *dir, const void *p, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, LOG_FILE_NAME);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, p, len), 0);
	close(fd);
}

static void raw_header(uint8_t h[LOG_HEADER_SIZE], unsigned stream, uint32_t len)
{
	uint32_t word = stream << 24 | len;

	memset(h, 0, LOG_HEADER_SIZE);
	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(word >> 8 * i);
}

static void test_round_trip(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	struct log_read_opts o = {.want_stdout = true, .want_stderr = true, .tail = -1};
	struct output r;
	struct error e = {0};
	int fd = temp_fd();
	size_t len;
	char *both;

	put(w, LOG_STDOUT, T0, "out 1\n");
	put(w, LOG_STDERR, T0, "err 1\n");
	put(w, LOG_STDOUT, T0, "out ");
	put(w, LOG_STDOUT, T0, "2\n");
	put(w, LOG_STDERR, T0, "err 2\n");
	log_writer_close(w);
	assert_int_equal(file_size(dir, LOG_FILE_NAME), 5 * LOG_HEADER_SIZE + 24);

	r = read_with(dir, &o);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "out 1\nout 2\n");
	assert_string_equal(r.err, "err 1\nerr 2\n");
	output_free(&r);

	/* One descriptor for both, as on a terminal: the order is kept. */
	assert_int_equal(log_read(dir, &o, fd, fd, &e), 0);
	both = slurp(fd, &len);
	assert_string_equal(both, "out 1\nerr 1\nout 2\nerr 2\n");
	free(both);

	o.want_stdout = false;
	r = read_with(dir, &o);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "err 1\nerr 2\n");
	output_free(&r);

	/* A later writer appends. */
	w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	put(w, LOG_STDERR, T0, "err 3\n");
	log_writer_close(w);
	r = read_with(dir, &o);
	assert_string_equal(r.err, "err 1\nerr 2\nerr 3\n");
	output_free(&r);
}

static void test_file_mode(void **state)
{
	const char *dir = *state;
	char path[4096];
	struct stat st;

	log_writer_close(writer(dir, LOG_DEFAULT_MAX_SIZE, 3));
	snprintf(path, sizeof(path), "%s/%s", dir, LOG_FILE_NAME);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_big_chunk_split(void **state)
{
	const char *dir = *state;
	size_t len = 3 * LOG_RECORD_MAX + 8192;
	char *big = xmalloc(len);
	struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	struct output r;

	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + (i * 7 + i / 251) % 26);
	assert_int_equal(log_write(w, LOG_STDOUT, T0, big, len), 0);
	log_writer_close(w);
	assert_int_equal(file_size(dir, LOG_FILE_NAME), len + 4 * LOG_HEADER_SIZE);

	r = read_tail(dir, -1, false);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.out_len, len);
	assert_memory_equal(r.out, big, len);
	output_free(&r);
	free(big);
}

/* Writes n numbered lines of about 100 bytes; returns all that was written. */
static char *write_lines(struct log_writer *w, int n, size_t *ret_len)
{
	char *all = xmalloc((size_t)n * 128 + 1);
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		char line[128];
		int k = snprintf(line, sizeof(line), "line %05d %0*d\n", i, 80 + i % 13, i);
		put(w, LOG_STDOUT, T0 + (uint64_t)i, line);
		memcpy(all + len, line, (size_t)k);
		len += (size_t)k;
	}
	all[len] = '\0';
	*ret_len = len;
	return all;
}

static void assert_newest_suffix(const struct output *r, const char *all, size_t len)
{
	assert_int_equal(r->rc, 0);
	assert_true(r->out_len > 0 && r->out_len <= len);
	assert_memory_equal(r->out, all + len - r->out_len, r->out_len);
	/* Whole records only: it starts at a line. */
	assert_memory_equal(r->out, "line ", 5);
}

static void test_rotation(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, 4096, 3);
	size_t len;
	char *all = write_lines(w, 500, &len);
	uint64_t total = 0;
	struct output r;

	log_writer_close(w);
	assert_true(len > 45000);
	for (unsigned i = 0; i < 3; i++) {
		char name[64];
		snprintf(name, sizeof(name), i ? LOG_FILE_NAME ".%u" : LOG_FILE_NAME, i);
		uint64_t size = file_size(dir, name);
		assert_true(size <= 4096);
		total += size;
	}
	assert_int_equal(file_size(dir, LOG_FILE_NAME ".3"), UINT64_MAX);
	assert_true(total <= 3 * 4096);

	r = read_tail(dir, -1, false);
	assert_newest_suffix(&r, all, len);
	/* Two rotated files' worth at least: nothing newer was dropped. */
	assert_true(r.out_len > 2 * 3000);
	output_free(&r);
	free(all);
}

static void test_single_file_truncates(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, 4096, 1);
	size_t len;
	char *all = write_lines(w, 100, &len);
	struct output r;

	log_writer_close(w);
	assert_true(file_size(dir, LOG_FILE_NAME) <= 4096);
	assert_int_equal(file_size(dir, LOG_FILE_NAME ".1"), UINT64_MAX);
	r = read_tail(dir, -1, false);
	assert_newest_suffix(&r, all, len);
	output_free(&r);
	free(all);
}

static void write_split_lines(const char *dir)
{
	struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);

	put(w, LOG_STDOUT, T0, "one\ntw");
	put(w, LOG_STDOUT, T0, "o\nthr");
	put(w, LOG_STDERR, T0, "E1\n");
	put(w, LOG_STDOUT, T0, "ee\nfo");
	put(w, LOG_STDOUT, T0, "ur");
	log_writer_close(w);
}

static void test_tail(void **state)
{
	const char *dir = *state;
	struct output r;

	/* Lines by where they begin: one, two, three, E1, four (no newline). */
	write_split_lines(dir);
	r = read_tail(dir, 2, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "four");
	assert_string_equal(r.err, "E1\n");
	output_free(&r);

	r = read_tail(dir, 3, false);
	assert_string_equal(r.out, "three\nfour");
	assert_string_equal(r.err, "E1\n");
	output_free(&r);

	r = read_tail(dir, 1000, false);
	assert_string_equal(r.out, "one\ntwo\nthree\nfour");
	assert_string_equal(r.err, "E1\n");
	output_free(&r);

	r = read_tail(dir, 0, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	output_free(&r);

	/* Only the wanted streams count. */
	struct log_read_opts o = {.want_stdout = true, .tail = 2};
	r = read_with(dir, &o);
	assert_string_equal(r.out, "three\nfour");
	assert_string_equal(r.err, "");
	output_free(&r);
}

static void test_tail_across_rotation(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, 4096, 5);
	size_t len;
	char *all = write_lines(w, 100, &len);
	struct output r;
	const char *want;

	log_writer_close(w);
	r = read_tail(dir, 50, false);
	want = strstr(all, "line 00050 ");
	assert_non_null(want);
	assert_string_equal(r.out, want);
	output_free(&r);
	free(all);
}

static void test_format_time(void **state)
{
	char buf[32];

	log_format_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
	log_format_time(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-28T13:15:49.123456789Z");
	log_format_time(1000000001ull, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:01.000000001Z");
}

static void test_timestamps(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	struct output r;

	put(w, LOG_STDOUT, T0, "ab");
	put(w, LOG_STDERR, T0 + 1, "err\n");
	put(w, LOG_STDOUT, T0 + 2, "c\nd");
	put(w, LOG_STDOUT, 0, "e\n\n");
	log_writer_close(w);

	r = read_tail(dir, -1, true);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "2026-11-28T13:15:49.123456789Z abc\n"
				   "2026-11-28T13:15:49.123456791Z de\n"
				   "1970-01-01T00:00:00.000000000Z \n");
	assert_string_equal(r.err, "2026-11-28T13:15:49.123456790Z err\n");
	output_free(&r);

	r = read_tail(dir, 1, true);
	assert_string_equal(r.out, "1970-01-01T00:00:00.000000000Z \n");
	output_free(&r);
}

static void test_truncated_last_record(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	uint8_t h[LOG_HEADER_SIZE];
	struct output r;

	put(w, LOG_STDOUT, T0, "whole\n");
	put(w, LOG_STDERR, T0, "also whole\n");
	log_writer_close(w);

	raw_header(h, LOG_STDOUT, 100);
	append_raw(dir, h, 7); /* half a header */
	r = read_tail(dir, -1, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "whole\n");
	assert_string_equal(r.err, "also whole\n");
	output_free(&r);

	append_raw(dir, h + 7, sizeof(h) - 7);
	append_raw(dir, "half a body", 11); /* of 100 bytes */
	r = read_tail(dir, 1, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "also whole\n");
	output_free(&r);

	/* The next writer cuts the fragment off before appending. */
	w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	put(w, LOG_STDOUT, T0, "after\n");
	log_writer_close(w);
	r = read_tail(dir, -1, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "whole\nafter\n");
	output_free(&r);
}

static void test_corrupt_header(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	uint8_t h[LOG_HEADER_SIZE];
	char want[4200];
	struct output r;

	put(w, LOG_STDOUT, T0, "good\n");
	log_writer_close(w);
	raw_header(h, 7, 4);
	append_raw(dir, h, sizeof(h));
	append_raw(dir, "bad\n", 4);

	r = read_tail(dir, -1, false);
	assert_int_equal(r.rc, -EBADMSG);
	snprintf(want, sizeof(want), "log file %s/container.log is corrupt at offset 21", dir);
	assert_string_equal(r.e.msg, want);
	output_free(&r);
}

static void test_corrupt_rotated_file(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, 4096, 3);
	char path[4096], want[4200];
	struct output r;
	int fd;

	size_t len;

	free(write_lines(w, 60, &len));
	log_writer_close(w);
	snprintf(path, sizeof(path), "%s/%s.1", dir, LOG_FILE_NAME);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\x01", 1, 4), 1); /* reserved */
	close(fd);
	r = read_tail(dir, -1, false);
	assert_int_equal(r.rc, -EBADMSG);
	snprintf(want, sizeof(want), "log file %s/container.log.1 is corrupt at offset 0", dir);
	assert_string_equal(r.e.msg, want);
	output_free(&r);
}

static void test_opts_parse(void **state)
{
	struct log_opts o;
	struct error e = {0};

	log_opts_default(&o);
	assert_int_equal(o.max_size, 10u << 20);
	assert_int_equal(o.max_files, 3);
	assert_int_equal(log_opts_parse(&o, "max-size=10m", &e), 0);
	assert_int_equal(o.max_size, 10u << 20);
	assert_int_equal(log_opts_parse(&o, "max-size=512k", &e), 0);
	assert_int_equal(o.max_size, 512u << 10);
	assert_int_equal(log_opts_parse(&o, "max-size=1G", &e), 0);
	assert_int_equal(o.max_size, 1u << 30);
	assert_int_equal(log_opts_parse(&o, "max-size=20mb", &e), 0);
	assert_int_equal(o.max_size, 20u << 20);
	assert_int_equal(log_opts_parse(&o, "max-size=4096", &e), 0);
	assert_int_equal(o.max_size, 4096);
	assert_int_equal(log_opts_parse(&o, "max-file=5", &e), 0);
	assert_int_equal(o.max_files, 5);
	assert_int_equal(log_opts_parse(&o, "max-file=100", &e), 0);
	assert_int_equal(o.max_files, 100);
	assert_int_equal(log_opts_parse(&o, "max-file=1", &e), 0);
	assert_int_equal(o.max_files, 1);
}

static void check_bad_opt(const char *kv, const char *msg)
{
	struct log_opts o = {.max_size = 12345, .max_files = 7};
	struct error e = {0};

	assert_int_equal(log_opts_parse(&o, kv, &e), -EINVAL);
	assert_string_equal(e.msg, msg);
	assert_int_equal(o.max_size, 12345);
	assert_int_equal(o.max_files, 7);
}

static void test_opts_parse_invalid(void **state)
{
	check_bad_opt("max-size=1", "invalid log option \"max-size=1\": at least 4096 bytes");
	check_bad_opt("max-size=4095", "invalid log option \"max-size=4095\": at least 4096 bytes");
	check_bad_opt("max-size=",
		      "invalid log option \"max-size=\": not a size (like 512k, 10m, 1g)");
	check_bad_opt("max-size=10x",
		      "invalid log option \"max-size=10x\": not a size (like 512k, 10m, 1g)");
	check_bad_opt("max-size=-1",
		      "invalid log option \"max-size=-1\": not a size (like 512k, 10m, 1g)");
	check_bad_opt("max-size=99999999999999999999",
		      "invalid log option \"max-size=99999999999999999999\": too large");
	check_bad_opt("max-size=16777216T", "invalid log option \"max-size=16777216T\": too large");
	check_bad_opt("max-file=0", "invalid log option \"max-file=0\": between 1 and 100");
	check_bad_opt("max-file=101", "invalid log option \"max-file=101\": between 1 and 100");
	check_bad_opt("max-file=two", "invalid log option \"max-file=two\": not a number");
	check_bad_opt("max-file=3k", "invalid log option \"max-file=3k\": not a number");
	check_bad_opt("max-file", "invalid log option \"max-file\": expected max-file=VALUE");
	check_bad_opt("foo=1", "unknown log option \"foo\" (supported: max-size, max-file)");
	check_bad_opt("foo", "unknown log option \"foo\" (supported: max-size, max-file)");
	check_bad_opt("max-sizes=1m",
		      "unknown log option \"max-sizes\" (supported: max-size, max-file)");
	check_bad_opt("=1", "unknown log option \"\" (supported: max-size, max-file)");
}

static void test_writer_errors(void **state)
{
	const char *dir = *state;
	struct log_opts o = {.max_size = 1024, .max_files = 3};
	struct error e = {0};
	char missing[4096];

	assert_null(log_writer_open(dir, &o, &e));
	assert_int_equal(e.code, EINVAL);
	o.max_size = 4096;
	o.max_files = 0;
	assert_null(log_writer_open(dir, &o, &e));
	o.max_files = 3;
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_null(log_writer_open(missing, &o, &e));
	assert_int_equal(e.code, ENOENT);
	assert_non_null(strstr(e.msg, missing));

	struct log_read_opts ro = {.want_stdout = true, .tail = -1};
	assert_int_equal(log_read(missing, &ro, 1, 2, &e), -ENOENT);
	assert_non_null(strstr(e.msg, missing));
}

static void test_empty_log(void **state)
{
	struct output r = read_tail(*state, -1, false);

	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	output_free(&r);
}

static void test_reader_gone(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	struct log_read_opts o = {.want_stdout = true, .want_stderr = true, .tail = -1};
	struct error e = {0};
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int p[2];

	put(w, LOG_STDOUT, T0, "nobody reads this\n");
	log_writer_close(w);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(log_read(dir, &o, p[1], p[1], &e), 0);
	close(p[1]);
	signal(SIGPIPE, old);
}

struct child {
	pid_t pid;
	int go_fd; /* the child writes once this is written to */
	int status;
	bool exited;
};

/* First called when log_read is done with the past and about to follow:
 * only then does the child start, so the test knows what is new. */
static bool child_running(void *ctx)
{
	struct child *c = ctx;

	if (c->go_fd >= 0) {
		assert_int_equal(write(c->go_fd, "", 1), 1);
		close(c->go_fd);
		c->go_fd = -1;
	}

	if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = true;
	return !c->exited;
}

/* The child writes bursts of lines with pauses between (so the reader
 * catches up and waits); with small files a burst spans several. */
static struct child spawn_writer(const char *dir, uint64_t max_size, unsigned max_files, int n,
				 int burst)
{
	struct child c = {0};
	int go[2];

	assert_int_equal(pipe(go), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		struct log_opts o = {.max_size = max_size, .max_files = max_files};
		const struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
		struct log_writer *w;
		char b;

		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		w = log_writer_open(dir, &o, NULL);
		if (!w)
			_exit(1);
		for (int i = 0; i < n; i++) {
			char line[64];
			int k = snprintf(line, sizeof(line), "%s %d\n", i % 2 ? "odd" : "even", i);
			if (log_write(w, i % 7 ? LOG_STDOUT : LOG_STDERR, T0, line, (size_t)k) < 0)
				_exit(1);
			if (i % burst == burst - 1)
				nanosleep(&pause, NULL);
		}
		/* A line finished in a later record. */
		if (log_write(w, LOG_STDOUT, T0, "last", 4) < 0 ||
		    log_write(w, LOG_STDOUT, T0, " line\n", 6) < 0)
			_exit(1);
		log_writer_close(w);
		_exit(0);
	}
	close(go[0]);
	c.go_fd = go[1];
	return c;
}

static void expected_follow(int n, char **ret_out, char **ret_err)
{
	char *out = xmalloc((size_t)n * 16 + 16), *err = xmalloc((size_t)n * 16 + 1);
	size_t ol = 0, el = 0;

	for (int i = 0; i < n; i++) {
		char line[64];
		int k = snprintf(line, sizeof(line), "%s %d\n", i % 2 ? "odd" : "even", i);
		if (i % 7) {
			memcpy(out + ol, line, (size_t)k);
			ol += (size_t)k;
		} else {
			memcpy(err + el, line, (size_t)k);
			el += (size_t)k;
		}
	}
	memcpy(out + ol, "last line\n", 11);
	err[el] = '\0';
	*ret_out = out;
	*ret_err = err;
}

static void follow_case(const char *dir, uint64_t max_size, unsigned max_files, int n, int burst)
{
	struct child c = spawn_writer(dir, max_size, max_files, n, burst);
	struct log_read_opts o = {.want_stdout = true,
				  .want_stderr = true,
				  .tail = -1,
				  .follow = true,
				  .still_running = child_running,
				  .ctx = &c};
	struct output r = read_with(dir, &o);
	char *out, *err;

	assert_int_equal(r.rc, 0);
	assert_true(c.exited);
	assert_true(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
	expected_follow(n, &out, &err);
	assert_string_equal(r.out, out);
	assert_string_equal(r.err, err);
	free(out);
	free(err);
	output_free(&r);
}

static void test_follow(void **state)
{
	follow_case(*state, LOG_DEFAULT_MAX_SIZE, 3, 400, 50);
}

/* Some 25 files of 4 KiB, two or three written between two polls: each
 * is read in turn, none missed and none twice. */
static void test_follow_rotation(void **state)
{
	follow_case(*state, 4096, LOG_MAX_FILES_LIMIT, 4000, 400);
}

static void test_follow_single_file(void **state)
{
	const char *dir = *state;
	struct child c = spawn_writer(dir, 4096, 1, 300, 50);
	struct log_read_opts o = {.want_stdout = true,
				  .want_stderr = true,
				  .tail = -1,
				  .follow = true,
				  .still_running = child_running,
				  .ctx = &c};
	struct output r = read_with(dir, &o);

	/* 4 KiB is less than 50 lines' worth: what was replaced before the
	 * reader got to it is gone, but the end is all there. */
	assert_int_equal(r.rc, 0);
	assert_true(c.exited);
	assert_true(r.out_len > 10 && strcmp(r.out + r.out_len - 10, "last line\n") == 0);
	assert_non_null(strstr(r.err, "even 294\n"));
	output_free(&r);
}

/* --tail 0 -f: nothing of the past, all of what comes. */
static void test_follow_tail_zero(void **state)
{
	const char *dir = *state;
	struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
	struct log_read_opts o = {
	    .want_stdout = true, .want_stderr = true, .tail = 0, .follow = true};
	struct child c;
	struct output r;
	char *out, *err;

	put(w, LOG_STDOUT, T0, "old\nunfinished ");
	log_writer_close(w);
	c = spawn_writer(dir, LOG_DEFAULT_MAX_SIZE, 3, 120, 50);
	o.still_running = child_running;
	o.ctx = &c;
	r = read_with(dir, &o);
	assert_int_equal(r.rc, 0);
	expected_follow(120, &out, &err);
	/* "odd 1\n" ends the unfinished line, which belongs to the past. */
	assert_memory_equal(out, "odd 1\n", 6);
	assert_string_equal(r.out, out + 6);
	assert_string_equal(r.err, err);
	free(out);
	free(err);
	output_free(&r);
}

/* What the container wrote just before it ended is read, though it came
 * after the last poll. */
struct last_words {
	const char *dir;
	int calls;
};

static bool say_last_words(void *ctx)
{
	struct last_words *l = ctx;
	struct log_writer *w = writer(l->dir, LOG_DEFAULT_MAX_SIZE, 3);

	put(w, LOG_STDERR, T0, l->calls++ ? "bye\n" : "hello\n");
	log_writer_close(w);
	return l->calls < 2;
}

static void test_follow_last_words(void **state)
{
	struct last_words l = {.dir = *state};
	struct log_read_opts o = {.want_stdout = true,
				  .want_stderr = true,
				  .tail = -1,
				  .follow = true,
				  .still_running = say_last_words,
				  .ctx = &l};
	struct output r = read_with(*state, &o);

	assert_int_equal(r.rc, 0);
	assert_int_equal(l.calls, 2);
	assert_string_equal(r.err, "hello\nbye\n");
	output_free(&r);
}

/* A full disk (here a file size limit) loses that output, not the log:
 * no part of the record stays behind to hide the ones after it. */
static void test_disk_full(void **state)
{
	const char *dir = *state;
	char big[200];
	struct output r;
	int status;
	pid_t pid = fork();

	memset(big, 'x', sizeof(big));
	assert_true(pid >= 0);
	if (pid == 0) {
		struct log_writer *w = writer(dir, LOG_DEFAULT_MAX_SIZE, 3);
		struct rlimit old, rl;

		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old);
		rl = (struct rlimit){.rlim_cur = 100, .rlim_max = old.rlim_max};
		if (log_write(w, LOG_STDOUT, T0, "before\n", 7) < 0 ||
		    setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		if (log_write(w, LOG_STDOUT, T0, big, sizeof(big)) >= 0)
			_exit(3);
		if (file_size(dir, LOG_FILE_NAME) != LOG_HEADER_SIZE + 7)
			_exit(4);
		if (setrlimit(RLIMIT_FSIZE, &old) < 0 ||
		    log_write(w, LOG_STDOUT, T0, "after\n", 6) < 0)
			_exit(5);
		log_writer_close(w);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	r = read_tail(dir, -1, false);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "before\nafter\n");
	output_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_big_chunk_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_single_file_truncates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tail_across_rotation, setup, teardown),
	    cmocka_unit_test(test_format_time),
	    cmocka_unit_test_setup_teardown(test_timestamps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_last_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_rotated_file, setup, teardown),
	    cmocka_unit_test(test_opts_parse),
	    cmocka_unit_test(test_opts_parse_invalid),
	    cmocka_unit_test_setup_teardown(test_writer_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_log, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follow_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follow_single_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follow_tail_zero, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_follow_last_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
