#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#define LOG_GUEST_MAX 100

static bool quiet;
static unsigned guest_lines;

void log_set_quiet(bool q)
{
	quiet = q;
}

static __attribute__((format(printf, 1, 0))) void vlog(const char *fmt, va_list ap)
{
	char line[512];

	if (quiet)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "launcher-vsock: %s\n", line);
}

void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_guest(const char *fmt, ...)
{
	va_list ap;

	if (guest_lines >= LOG_GUEST_MAX)
		return;
	if (++guest_lines == LOG_GUEST_MAX) {
		log_msg("guest: too many errors, not logging more");
		return;
	}
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
