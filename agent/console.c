#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "uptime.h"
#include "util.h"

#define CONSOLE_LINE_MAX 1024
#define CMDLINE_MAX 4096
#define PREFIX "launcher-agent: "

static bool debug_enabled;

int console_open(struct error *e)
{
	_cleanup_close_ int con = -1, null = -1;

	con = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (con < 0)
		return error_errno(e, errno, "opening /dev/console");
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return error_errno(e, errno, "opening /dev/null");
	/* dup2 clears O_CLOEXEC on the copies, which is what stdio wants. */
	if (dup2(con, STDOUT_FILENO) < 0 || dup2(con, STDERR_FILENO) < 0 ||
	    dup2(null, STDIN_FILENO) < 0)
		return error_errno(e, errno, "setting up stdio");
	if (con <= STDERR_FILENO)
		TAKE_FD(con);
	if (null <= STDERR_FILENO)
		TAKE_FD(null);
	return 0;
}

static bool cmdline_has(const char *cmdline, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cmdline; (p = strstr(p, word)); p += n) {
		bool starts = p == cmdline || p[-1] == ' ';
		char end = p[n];
		if (starts && (end == '\0' || end == ' ' || end == '\n' || end == '='))
			return true;
	}
	return false;
}

void console_read_cmdline(void)
{
	char buf[CMDLINE_MAX];
	_cleanup_close_ int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read_full(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return;
	buf[n] = '\0';
	debug_enabled = cmdline_has(buf, "launcher.debug");
}

bool console_debug_enabled(void)
{
	return debug_enabled;
}

static __attribute__((format(printf, 2, 0))) void vline(const char *prefix, const char *fmt,
							va_list ap)
{
	char line[CONSOLE_LINE_MAX];
	size_t len = 0;
	int n;

	n = snprintf(line, sizeof(line), "%s", prefix);
	len = (size_t)n;
	n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	if (n > 0)
		len += (size_t)n < sizeof(line) - len - 1 ? (size_t)n : sizeof(line) - len - 2;
	line[len++] = '\n';
	(void)!write(STDERR_FILENO, line, len);
}

void console_print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
}

void console_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(PREFIX, fmt, ap);
	va_end(ap);
}

void console_debug(const char *fmt, ...)
{
	char prefix[64];
	va_list ap;

	if (!debug_enabled)
		return;
	/* Timestamps to see where boot and requests spend their time. */
	snprintf(prefix, sizeof(prefix), PREFIX "[%llu ms] ", (unsigned long long)uptime_ms());
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
}
