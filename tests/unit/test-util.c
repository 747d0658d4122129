/* common/util: size and number parsing (these take user input from the
 * command line), bounded formatting, and exact reads and writes. */
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#define UNTOUCHED 0x5a5a5a5a5a5a5a5aull

struct size_case {
	const char *in;
	int rc;
	uint64_t value;
};

static void check_size(const struct size_case *c)
{
	uint64_t v = UNTOUCHED;
	int r = parse_size(c->in, &v);

	if (r != c->rc)
		fail_msg("parse_size(\"%s\") returned %d, expected %d", c->in ? c->in : "(null)", r,
			 c->rc);
	if (c->rc == 0 && v != c->value)
		fail_msg("parse_size(\"%s\") gave %llu, expected %llu", c->in,
			 (unsigned long long)v, (unsigned long long)c->value);
	if (c->rc < 0 && v != UNTOUCHED)
		fail_msg("parse_size(\"%s\") wrote its result on failure",
			 c->in ? c->in : "(null)");
}

static void test_parse_size_valid(void **state)
{
	static const struct size_case cases[] = {
	    {"0", 0, 0},
	    {"4096", 0, 4096},
	    {"007", 0, 7},
	    {"1b", 0, 1},
	    {"1B", 0, 1},
	    {"64k", 0, 64ull << 10},
	    {"64K", 0, 64ull << 10},
	    {"64kb", 0, 64ull << 10},
	    {"64KiB", 0, 64ull << 10},
	    {"64M", 0, 64ull << 20},
	    {"64m", 0, 64ull << 20},
	    {"64mb", 0, 64ull << 20},
	    {"64MB", 0, 64ull << 20},
	    {"64MiB", 0, 64ull << 20},
	    {"64mib", 0, 64ull << 20},
	    {"1G", 0, 1ull << 30},
	    {"1g", 0, 1ull << 30},
	    {"1GiB", 0, 1ull << 30},
	    {"1T", 0, 1ull << 40},
	    {"0k", 0, 0},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"16777215T", 0, 16777215ull << 40},
	    {"17179869183G", 0, 17179869183ull << 30},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check_size(&cases[i]);
}

static void test_parse_size_invalid(void **state)
{
	static const struct size_case cases[] = {
	    {NULL, -EINVAL, 0},	    {"", -EINVAL, 0},	   {"-1", -EINVAL, 0},
	    {"+1", -EINVAL, 0},	    {" 1", -EINVAL, 0},	   {"1 ", -EINVAL, 0},
	    {"1x", -EINVAL, 0},	    {"k", -EINVAL, 0},	   {"M", -EINVAL, 0},
	    {"64Ki", -EINVAL, 0},   {"64mbb", -EINVAL, 0}, {"64bb", -EINVAL, 0},
	    {"64bib", -EINVAL, 0},  {"64kk", -EINVAL, 0},  {"64P", -EINVAL, 0},
	    {"0x10", -EINVAL, 0},   {"1.5G", -EINVAL, 0},  {"1e3", -EINVAL, 0},
	    {"64MiB ", -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check_size(&cases[i]);
}

static void test_parse_size_overflow(void **state)
{
	static const struct size_case cases[] = {
	    {"99999999999999999999", -ERANGE, 0},
	    {"18446744073709551616", -ERANGE, 0},
	    {"16777216T", -ERANGE, 0},	     /* 2^24 TiB = 2^64 */
	    {"17179869184G", -ERANGE, 0},    /* 2^34 GiB = 2^64 */
	    {"17592186044416M", -ERANGE, 0}, /* 2^44 MiB = 2^64 */
	    {"18014398509481984k", -ERANGE, 0},
	    {"18446744073709551615k", -ERANGE, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check_size(&cases[i]);
}

struct uint_case {
	const char *in;
	uint64_t max;
	int rc;
	uint64_t value;
};

static void test_parse_uint(void **state)
{
	static const struct uint_case cases[] = {
	    {"0", 0, 0, 0},
	    {"1", 0, -ERANGE, 0},
	    {"255", 255, 0, 255},
	    {"256", 255, -ERANGE, 0},
	    {"007", 10, 0, 7}, /* decimal, never octal */
	    {"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
	    {"18446744073709551616", UINT64_MAX, -ERANGE, 0},
	    {"99999999999999999999", UINT64_MAX, -ERANGE, 0},
	    {NULL, 10, -EINVAL, 0},
	    {"", 10, -EINVAL, 0},
	    {"-1", UINT64_MAX, -EINVAL, 0},
	    {"+1", 10, -EINVAL, 0},
	    {" 1", 10, -EINVAL, 0},
	    {"1 ", 10, -EINVAL, 0},
	    {"1x", 10, -EINVAL, 0},
	    {"0x1", 10, -EINVAL, 0},
	    {"1k", UINT64_MAX, -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct uint_case *c = &cases[i];
		uint64_t v = UNTOUCHED;
		int r = parse_uint(c->in, c->max, &v);

		if (r != c->rc)
			fail_msg("parse_uint(\"%s\", %llu) returned %d, expected %d",
				 c->in ? c->in : "(null)", (unsigned long long)c->max, r, c->rc);
		if (r == 0 && v != c->value)
			fail_msg("parse_uint(\"%s\") gave %llu", c->in, (unsigned long long)v);
		if (r < 0 && v != UNTOUCHED)
			fail_msg("parse_uint(\"%s\") wrote its result on failure",
				 c->in ? c->in : "(null)");
	}
}

static void test_bprintf_fits(void **state)
{
	char buf[6];

	assert_int_equal(bprintf(buf, sizeof(buf), "%s-%d", "ab", 42), 0);
	assert_string_equal(buf, "ab-42");
	assert_int_equal(bprintf(buf, 1, "%s", ""), 0);
	assert_string_equal(buf, "");
}

static void test_bprintf_truncation(void **state)
{
	char buf[8];

	/* One byte short: the NUL does not fit. */
	assert_int_equal(bprintf(buf, 6, "%s", "abcdef"), -ENAMETOOLONG);
	/* Whatever was written is still a terminated string. */
	assert_true(strlen(buf) < 6);
	assert_int_equal(bprintf(buf, sizeof(buf), "/run/%s/%s", "container", "sock"),
			 -ENAMETOOLONG);
	assert_true(strlen(buf) < sizeof(buf));

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(bprintf(buf, 0, "%s", "a"), -ENAMETOOLONG);
	assert_int_equal(buf[0], 'x');
}

static void test_xasprintf_xstrdup(void **state)
{
	char *s = xasprintf("%s=%u", "vcpus", 4u);
	char *d = xstrdup(s);

	assert_string_equal(s, "vcpus=4");
	assert_string_equal(d, s);
	assert_ptr_not_equal(d, s);
	free(s);
	free(d);
}

static void test_write_full_read_full(void **state)
{
	size_t len = 1u << 20; /* far more than a socket buffer: forces short transfers */
	uint8_t *out = malloc(len), *in = malloc(len + 16);
	int sv[2];
	pid_t pid;
	int status;

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 11));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(write_full(sv[1], out, len) == 0 ? 0 : 1);
	}
	close(sv[1]);
	/* Asks for more than will come: stops at EOF with what it got. */
	assert_int_equal(read_full(sv[0], in, len + 16), (ssize_t)len);
	assert_memory_equal(in, out, len);
	assert_int_equal(read_full(sv[0], in, 16), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[0]);
	free(out);
	free(in);
}

static void test_read_full_pieces(void **state)
{
	char buf[16] = {0};
	int sv[2];
	pid_t pid;
	int status;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char *const pieces[] = {"he", "l", "lo, ", "world"};
		close(sv[0]);
		for (size_t i = 0; i < 4; i++) {
			if (write_full(sv[1], pieces[i], strlen(pieces[i])) < 0)
				_exit(1);
			usleep(5000);
		}
		_exit(0);
	}
	close(sv[1]);
	assert_int_equal(read_full(sv[0], buf, 12), 12);
	assert_string_equal(buf, "hello, world");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[0]);
}

static void test_read_write_errors(void **state)
{
	char c = 0;
	int p[2];

	assert_int_equal(read_full(-1, &c, 1), -EBADF);
	assert_int_equal(write_full(-1, &c, 1), -EBADF);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	assert_int_equal(write_full(p[1], "x", 1), -EPIPE);
	close(p[1]);
}

static void test_fd_set_nonblock(void **state)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fd_set_nonblock(p[0], true), 0);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(fd_set_nonblock(p[0], false), 0);
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	close(p[0]);
	close(p[1]);
	assert_int_equal(fd_set_nonblock(p[0], true), -EBADF);
}

static void test_utf8_scrub(void **state)
{
	char ok[] = "plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80";
	char bad[] = "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xf4\x90\x80\x80" "e\xe2\x82";

	utf8_scrub(ok);
	assert_string_equal(ok, "plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80");
	/* Bad lead byte, overlong, surrogate, above U+10FFFF, cut short. */
	utf8_scrub(bad);
	assert_string_equal(bad, "a?b??c???d????e??");
}

static void test_now_ns_monotonic(void **state)
{
	uint64_t a = now_ns();

	usleep(2000);
	assert_true(now_ns() - a >= 2000000u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_scrub), cmocka_unit_test(test_parse_size_valid),	cmocka_unit_test(test_parse_size_invalid),
	    cmocka_unit_test(test_parse_size_overflow), cmocka_unit_test(test_parse_uint),
	    cmocka_unit_test(test_bprintf_fits),	cmocka_unit_test(test_bprintf_truncation),
	    cmocka_unit_test(test_xasprintf_xstrdup),	cmocka_unit_test(test_write_full_read_full),
	    cmocka_unit_test(test_read_full_pieces),	cmocka_unit_test(test_read_write_errors),
	    cmocka_unit_test(test_fd_set_nonblock),	cmocka_unit_test(test_now_ns_monotonic),
	};

	/* Writes to a closed peer must fail with EPIPE, as in the launcher. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
