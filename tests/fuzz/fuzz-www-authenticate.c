/* The registry's texts about access (image/registry-auth.c): the input is
 * a WWW-Authenticate value, and also a token response and an error body,
 * as a hostile registry may send any of them.
 *
 * Checks, beyond not crashing: every error comes with a printable message;
 * an accepted challenge is Bearer (with an http(s) realm) or Basic, its
 * values printable ASCII within their bounds; a token is visible ASCII (it
 * goes into a header); an error summary is printable and bounded. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "registry-auth.h"

static void check_error(int r, const struct error *e)
{
	FUZZ_CHECK(r < 0);
	FUZZ_CHECK(e->code > 0 && r == -e->code);
	FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)));
	FUZZ_CHECK(e->msg[0] != '\0');
	FUZZ_CHECK(fuzz_text_printable(e->msg));
}

static void check_value(const char *s, size_t size)
{
	FUZZ_CHECK(strnlen(s, size) < size);
	FUZZ_CHECK(fuzz_text_printable(s));
}

static void run_challenge(const char *copy, size_t size)
{
	struct registry_challenge c;
	struct error e = {0};
	int r = registry_challenge_parse(copy, size, &c, &e);

	if (r < 0) {
		check_error(r, &e);
		FUZZ_CHECK(r == -EBADMSG || r == -EOPNOTSUPP);
		return;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(c.scheme == REGISTRY_AUTH_BEARER || c.scheme == REGISTRY_AUTH_BASIC);
	check_value(c.realm, sizeof(c.realm));
	check_value(c.service, sizeof(c.service));
	check_value(c.scope, sizeof(c.scope));
	if (c.scheme == REGISTRY_AUTH_BEARER) {
		FUZZ_CHECK(strncasecmp(c.realm, "https://", 8) == 0 ||
			   strncasecmp(c.realm, "http://", 7) == 0);
		FUZZ_CHECK(!strchr(c.realm, ' '));
	}
}

static void run_token(const char *copy, size_t size)
{
	struct error e = {0};
	char *t = NULL;
	int r = registry_token_parse(copy, size, &t, &e);

	if (r < 0) {
		check_error(r, &e);
		FUZZ_CHECK(!t);
		return;
	}
	FUZZ_CHECK(r == 0 && t);
	FUZZ_CHECK(t[0] && strlen(t) < REGISTRY_TOKEN_MAX);
	for (const char *p = t; *p; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f);
	free(t);
}

static void run_error_summary(const char *copy, size_t size)
{
	char out[REGISTRY_ERROR_MSG_MAX];

	memset(out, 'x', sizeof(out));
	registry_error_summary(copy, size, out);
	check_value(out, sizeof(out));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy exactly the input's size: no NUL after it. */
	char *copy = malloc(size ? size : 1);

	FUZZ_CHECK(copy);
	memcpy(copy, data, size);
	run_challenge(copy, size);
	run_token(copy, size);
	run_error_summary(copy, size);
	free(copy);
	return 0;
}
