#include "error.h"

#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int normalize(int code)
{
	if (code < 0)
		code = -code;
	return code ? code : EIO;
}

__attribute__((format(printf, 3, 0)))
static int error_vset(struct error *e, int code, const char *fmt, va_list ap)
{
	code = normalize(code);
	if (e) {
		e->code = code;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	}
	return -code;
}

int error_set(struct error *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_vset(e, code, fmt, ap);
	va_end(ap);
	return r;
}

int error_errno(struct error *e, int code, const char *fmt, ...)
{
	va_list ap;
	size_t len;
	int r;

	va_start(ap, fmt);
	r = error_vset(e, code, fmt, ap);
	va_end(ap);
	if (e) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(-r));
	}
	return r;
}

int error_prefix(struct error *e, const char *fmt, ...)
{
	char prefix[ERROR_MSG_MAX], old[ERROR_MSG_MAX];
	va_list ap;

	if (!e)
		return -EIO;
	if (!e->code)
		e->code = EIO;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* A long chain of context may cut the end of the message; that is fine. */
	if (bprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old) < 0)
		e->msg[sizeof(e->msg) - 1] = '\0';
	return -e->code;
}

void error_clear(struct error *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}

const char *error_quote(char *buf, size_t size, const char *s)
{
	size_t n = 0, i;

	buf[n++] = '"';
	for (i = 0; s[i] && n < size - 5; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[n++] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '?' : (char)c;
	}
	if (s[i]) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

void error_make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

const char *error_field(char buf[static ERROR_FIELD_MAX], const char *where, const char *key)
{
	if (bprintf(buf, ERROR_FIELD_MAX, "%s%s%s", where, *where ? "." : "", key) < 0)
		buf[ERROR_FIELD_MAX - 1] = '\0';
	return buf;
}

const char *error_element(char buf[static ERROR_FIELD_MAX], const char *where, size_t i)
{
	if (bprintf(buf, ERROR_FIELD_MAX, "%s[%zu]", where, i) < 0)
		buf[ERROR_FIELD_MAX - 1] = '\0';
	return buf;
}
