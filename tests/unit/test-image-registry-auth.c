/* What registries send about access and what the credentials file holds:
 * the challenges real registries send, the malformed ones a hostile one
 * might, and the messages a user gets for each. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "registry-auth.h"

struct challenge_case {
	const char *header;
	enum registry_auth_scheme scheme;
	const char *realm, *service, *scope;
};

static const struct challenge_case valid[] = {
    {"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
     "scope=\"repository:library/alpine:pull\"",
     REGISTRY_AUTH_BEARER, "https://auth.docker.io/token", "registry.docker.io",
     "repository:library/alpine:pull"},
    {"Bearer realm=\"https://ghcr.io/token\",service=\"ghcr.io\",scope=\"repository:o/i:pull\"",
     REGISTRY_AUTH_BEARER, "https://ghcr.io/token", "ghcr.io", "repository:o/i:pull"},
    {"bearer REALM=\"https://x.example/t\", Service=reg", REGISTRY_AUTH_BEARER,
     "https://x.example/t", "reg", ""},
    {"Bearer realm = \"https://x.example/t\" ,  service = \"s\"", REGISTRY_AUTH_BEARER,
     "https://x.example/t", "s", ""},
    {"Bearer realm=\"https://x.example/t\",service=\"a\\\"b\\\\c\"", REGISTRY_AUTH_BEARER,
     "https://x.example/t", "a\"b\\c", ""},
    {"Basic realm=\"Registry Realm\"", REGISTRY_AUTH_BASIC, "Registry Realm", "", ""},
    {"Basic", REGISTRY_AUTH_BASIC, "", "", ""},
    {"Basic realm=\"x\", Bearer realm=\"https://a.example/t\",service=\"s\"", REGISTRY_AUTH_BEARER,
     "https://a.example/t", "s", ""},
    {"Negotiate, Bearer realm=\"https://a.example/t\"", REGISTRY_AUTH_BEARER, "https://a.example/t",
     "", ""},
    {"Bearer realm=\"https://a.example/t\",error=\"invalid_token\"", REGISTRY_AUTH_BEARER,
     "https://a.example/t", "", ""},
    {"Bearer realm=\"http://127.0.0.1:5001/token\"", REGISTRY_AUTH_BEARER,
     "http://127.0.0.1:5001/token", "", ""},
    {"Bearer realm=\"https://a.example/t\",scope=\"repository:a:pull repository:b:pull\"",
     REGISTRY_AUTH_BEARER, "https://a.example/t", "", "repository:a:pull repository:b:pull"},
    {"  Bearer realm=\"https://a.example/t\" , ", REGISTRY_AUTH_BEARER, "https://a.example/t", "",
     ""},
};

static void test_challenge_valid(void **state)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(*valid); i++) {
		struct registry_challenge c;
		struct error e = {0};
		int r = registry_challenge_parse(valid[i].header, strlen(valid[i].header), &c, &e);

		if (r != 0)
			fail_msg("%s: %s", valid[i].header, e.msg);
		assert_int_equal(c.scheme, valid[i].scheme);
		assert_string_equal(c.realm, valid[i].realm);
		assert_string_equal(c.service, valid[i].service);
		assert_string_equal(c.scope, valid[i].scope);
	}
}

struct invalid_case {
	const char *header;
	int code;
	const char *msg; /* a part of the message */
};

static const struct invalid_case invalid[] = {
    {"", EBADMSG, "WWW-Authenticate is empty"},
    {" , ", EBADMSG, "WWW-Authenticate is empty"},
    {"Bearer", EBADMSG, "Bearer challenge without a realm"},
    {"Bearer service=\"s\"", EBADMSG, "Bearer challenge without a realm"},
    {"Bearer realm=\"ftp://x.example/t\"", EBADMSG,
     "realm \"ftp://x.example/t\" is not an http(s) URL"},
    {"Bearer realm=\"https://\"", EBADMSG, "is not an http(s) URL"},
    {"Bearer realm=\"https:///path\"", EBADMSG, "is not an http(s) URL"},
    {"Bearer realm=\"https://a b/t\"", EBADMSG, "is not an http(s) URL"},
    {"Bearer realm=\"/token\"", EBADMSG, "is not an http(s) URL"},
    {"Bearer realm=\"https://x.example/t", EBADMSG, "unterminated quoted string in realm"},
    {"Bearer realm=\"https://x.example/t\\", EBADMSG, "unterminated quoted string in realm"},
    {"Bearer realm=\"https://x.example/t\",realm=\"https://y.example/t\"", EBADMSG,
     "realm is given twice"},
    {"Bearer realm=\"https://x.example/t\"service=\"s\"", EBADMSG, "expected ',' at offset 34"},
    /* A URL is no token: realms are quoted. */
    {"Bearer realm=https://x.example/token", EBADMSG, "expected ',' at offset 18"},
    {"Bearer realm=", EBADMSG, "realm has no value"},
    {"Bearer realm=,service=s", EBADMSG, "realm has no value"},
    {"Bearer realm=\"https://x.example/t\",service=\"a\001b\"", EBADMSG,
     "service holds a control or non-ASCII character"},
    {"Bearer realm=\"https://x.example/t\",service=\"a\\\001\"", EBADMSG,
     "service holds a control or non-ASCII character"},
    {"Bearer realm=\"https://x.example/t\",service=\"\xc3\xa9\"", EBADMSG,
     "service holds a control or non-ASCII character"},
    {"Bearer realm=\"https://x.example/t\",scope=\"a\r\nX-Evil: 1\"", EBADMSG,
     "scope holds a control or non-ASCII character"},
    {"=realm", EBADMSG, "expected an auth scheme at offset 0"},
    {"Bearer realm=\"https://x.example/t\";", EBADMSG, "expected ',' at offset 34, found ';'"},
    {"Bearer\"x\"", EBADMSG, "unexpected '\"' at offset 6"},
    {"NTLM", EOPNOTSUPP, "asks for NTLM authentication, which is not supported"},
    {"Negotiate abc", EOPNOTSUPP, "asks for Negotiate authentication"},
    {"Digest realm=\"x\", nonce=\"y\"", EOPNOTSUPP, "asks for Digest authentication"},
};

static void test_challenge_invalid(void **state)
{
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++) {
		struct registry_challenge c = {.scheme = REGISTRY_AUTH_NONE};
		struct error e = {0};
		int r =
		    registry_challenge_parse(invalid[i].header, strlen(invalid[i].header), &c, &e);

		if (r != -invalid[i].code || !strstr(e.msg, invalid[i].msg))
			fail_msg("%s: got %d \"%s\", want -%d \"%s\"", invalid[i].header, r, e.msg,
				 invalid[i].code, invalid[i].msg);
		assert_int_equal(c.scheme, REGISTRY_AUTH_NONE); /* untouched */
	}
}

static void test_challenge_bounds(void **state)
{
	static char h[REGISTRY_HEADER_MAX + 2];
	struct registry_challenge c;
	struct error e = {0};
	int n;

	/* A realm one byte too long, and one that just fits. */
	const size_t start = strlen("Bearer realm=\"");

	n = snprintf(h, REGISTRY_HEADER_MAX, "Bearer realm=\"https://x.example/");
	memset(h + n, 'a', start + REGISTRY_REALM_MAX - (size_t)n);
	strcpy(h + start + REGISTRY_REALM_MAX, "\"");
	assert_int_equal(registry_challenge_parse(h, strlen(h), &c, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "realm is longer than 1023 bytes"));
	strcpy(h + start + REGISTRY_REALM_MAX - 1, "\"");
	assert_int_equal(registry_challenge_parse(h, strlen(h), &c, &e), 0);
	assert_int_equal(strlen(c.realm), REGISTRY_REALM_MAX - 1);

	memset(h, ' ', REGISTRY_HEADER_MAX + 1);
	memcpy(h, "Basic", 5);
	h[REGISTRY_HEADER_MAX + 1] = '\0';
	assert_int_equal(registry_challenge_parse(h, strlen(h), &c, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "longer than 8192 bytes"));

	assert_int_equal(registry_challenge_parse("Basic\0Bearer", 12, &c, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "NUL"));
	/* Only len bytes are read: no NUL needed after them. */
	assert_int_equal(registry_challenge_parse("Basic realm=\"a\"XXXX", 15, &c, &e), 0);
	assert_string_equal(c.realm, "a");
}

static void test_token(void **state)
{
	static const struct {
		const char *json, *token, *msg;
	} cases[] = {
	    {"{\"token\":\"abc.def-ghi\"}", "abc.def-ghi", NULL},
	    {"{\"access_token\":\"xyz\",\"expires_in\":300}", "xyz", NULL},
	    {"{\"token\":\"\",\"access_token\":\"xyz\"}", "xyz", NULL},
	    {"{\"token\":\"t1\",\"access_token\":\"t2\"}", "t1", NULL},
	    {"{\"token\":1}", NULL, "\"token\" is not a string"},
	    {"[]", NULL, "not a JSON object"},
	    {"<html>", NULL, "not a JSON object"},
	    {"", NULL, "not a JSON object"},
	    {"{\"token\":\"a\",\"token\":\"b\"}", NULL, "not a JSON object"},
	    {"{\"token\":\"a b\"}", NULL, "holds characters a token cannot"},
	    {"{\"token\":\"a\\r\\nX-Evil: 1\"}", NULL, "holds characters a token cannot"},
	    {"{\"token\":\"a\\u0000b\"}", NULL, "not a JSON object"},
	    {"{}", NULL, "neither \"token\" nor \"access_token\""},
	    {"{\"token\":\"\"}", NULL, "neither"},
	};
	static char big[REGISTRY_TOKEN_RESPONSE_MAX + 64];
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct error e = {0};
		char *t = NULL;
		int r = registry_token_parse(cases[i].json, strlen(cases[i].json), &t, &e);

		if (cases[i].token) {
			if (r != 0)
				fail_msg("%s: %s", cases[i].json, e.msg);
			assert_string_equal(t, cases[i].token);
		} else {
			assert_int_equal(r, -e.code);
			assert_null(t);
			if (!strstr(e.msg, cases[i].msg))
				fail_msg("%s: \"%s\"", cases[i].json, e.msg);
		}
		free(t);
	}
	n = (size_t)sprintf(big, "{\"token\":\"");
	memset(big + n, 'a', REGISTRY_TOKEN_MAX);
	strcpy(big + n + REGISTRY_TOKEN_MAX, "\"}");
	{
		struct error e = {0};
		char *t = NULL;
		assert_int_equal(registry_token_parse(big, strlen(big), &t, &e), -EBADMSG);
		assert_non_null(strstr(e.msg, "longer than 16383 bytes"));
		strcpy(big + n + REGISTRY_TOKEN_MAX - 1, "\"}");
		assert_int_equal(registry_token_parse(big, strlen(big), &t, &e), 0);
		assert_int_equal(strlen(t), REGISTRY_TOKEN_MAX - 1);
		free(t);
		memset(big, ' ', REGISTRY_TOKEN_RESPONSE_MAX + 1);
		assert_int_equal(registry_token_parse(big, REGISTRY_TOKEN_RESPONSE_MAX + 1, &t, &e),
				 -EFBIG);
	}
}

static void test_error_summary(void **state)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
	    {"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\","
	     "\"detail\":{}}]}",
	     "manifest unknown"},
	    {"{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}", "UNAUTHORIZED"},
	    {"{\"errors\":[{\"code\":\"DENIED\",\"message\":\"\"}]}", "DENIED"},
	    {"{\"errors\":[]}", ""},
	    {"{\"errors\":{}}", ""},
	    {"<html>rate limited</html>", ""},
	    {"", ""},
	    {"{\"errors\":[{\"message\":\"\\u001b[31mred\\u00e9\"}]}", "?[31mred??"},
	};
	char out[REGISTRY_ERROR_MSG_MAX];
	static char big[2000];
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		registry_error_summary(cases[i].body, strlen(cases[i].body), out);
		assert_string_equal(out, cases[i].want);
	}
	n = (size_t)sprintf(big, "{\"errors\":[{\"message\":\"");
	memset(big + n, 'm', 1000);
	strcpy(big + n + 1000, "\"}]}");
	registry_error_summary(big, strlen(big), out);
	assert_int_equal(strlen(out), REGISTRY_ERROR_MSG_MAX - 1);
}

static void test_normalize_host(void **state)
{
	static const char *const cases[][2] = {
	    {"docker.io", "docker.io"},
	    {"index.docker.io", "docker.io"},
	    {"registry-1.docker.io", "docker.io"},
	    {"https://index.docker.io/v1/", "docker.io"},
	    {"http://127.0.0.1:5000/v2/", "127.0.0.1:5000"},
	    {"127.0.0.1:5000", "127.0.0.1:5000"},
	    {"ghcr.io", "ghcr.io"},
	    {"https://quay.io", "quay.io"},
	    {"docker.io.example.com", "docker.io.example.com"},
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(registry_auth_normalize_host(cases[i][0], buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i][1]);
	}
	assert_int_equal(registry_auth_normalize_host("", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(registry_auth_normalize_host("https:///x", buf, sizeof(buf)), -EINVAL);
}

static void test_basic_auth(void **state)
{
	struct registry_credentials c = {"user", "pass"}, d = {"a", "b:c"}, f = {"ab", "c"};
	char *s = registry_basic_auth(&c);

	assert_string_equal(s, "Basic dXNlcjpwYXNz");
	free(s);
	s = registry_basic_auth(&d);
	assert_string_equal(s, "Basic YTpiOmM=");
	free(s);
	s = registry_basic_auth(&f);
	assert_string_equal(s, "Basic YWI6Yw==");
	free(s);
}

/* ---- config.json ---- */

static char dir[64], path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test-registry-auth.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/docker/config.json", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void write_config(const char *text)
{
	char d[128];
	FILE *f;

	snprintf(d, sizeof(d), "%s/docker", dir);
	mkdir(d, 0700);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static char *read_config(void)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);

	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_lookup(void **state)
{
	struct registry_credentials c;
	struct error e = {0};

	/* No file: no credentials, and no error to tell. */
	assert_int_equal(registry_credentials_lookup(path, "docker.io", &c, &e), -ENOENT);
	assert_int_equal(e.code, 0);

	write_config("{\"auths\":{"
		     "\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpwYXNz\"},"
		     "\"http://127.0.0.1:5000/v2/\":{\"auth\":\"YTpiOmM=\"},"
		     "\"ghcr.io\":{\"username\":\"gh\",\"password\":\"tok\"},"
		     "\"quay.io\":{},"
		     "\"bad.example\":{\"auth\":\"!!!!\"},"
		     "\"nocolon.example\":{\"auth\":\"dXNlcg==\"},"
		     "\"nul.example\":{\"auth\":\"YQBiOmM=\"},"
		     "\"notobj.example\":3"
		     "},\"credsStore\":\"desktop\"}");
	assert_int_equal(registry_credentials_lookup(path, "docker.io", &c, &e), 0);
	assert_string_equal(c.username, "user");
	assert_string_equal(c.password, "pass");
	assert_int_equal(registry_credentials_lookup(path, "127.0.0.1:5000", &c, &e), 0);
	assert_string_equal(c.username, "a");
	assert_string_equal(c.password, "b:c");
	assert_int_equal(registry_credentials_lookup(path, "ghcr.io", &c, &e), 0);
	assert_string_equal(c.username, "gh");
	assert_string_equal(c.password, "tok");
	assert_int_equal(registry_credentials_lookup(path, "quay.io", &c, &e), -ENOENT);
	assert_int_equal(registry_credentials_lookup(path, "127.0.0.1:5001", &c, &e), -ENOENT);
	assert_int_equal(registry_credentials_lookup(path, "bad.example", &c, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "auths[\"bad.example\"].auth is not valid base64"));
	assert_non_null(strstr(e.msg, path));
	assert_int_equal(registry_credentials_lookup(path, "nocolon.example", &c, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "is not \"user:password\""));
	assert_int_equal(registry_credentials_lookup(path, "nul.example", &c, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "holds a NUL"));
	assert_int_equal(registry_credentials_lookup(path, "notobj.example", &c, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "is not an object"));
}

static void test_lookup_garbage(void **state)
{
	static const char *const garbage[] = {"not json", "[]", "{\"auths\":[]}", ""};
	struct registry_credentials c;
	struct error e = {0};

	for (size_t i = 0; i < sizeof(garbage) / sizeof(*garbage); i++) {
		write_config(garbage[i]);
		error_clear(&e);
		assert_int_equal(registry_credentials_lookup(path, "docker.io", &c, &e), -EBADMSG);
		assert_non_null(strstr(e.msg, path));
	}
	write_config("{}");
	assert_int_equal(registry_credentials_lookup(path, "docker.io", &c, &e), -ENOENT);
	/* A directory where the file should be. */
	unlink(path);
	mkdir(path, 0700);
	assert_int_equal(registry_credentials_lookup(path, "docker.io", &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "is not a regular file"));
	rmdir(path);
}

static void test_store(void **state)
{
	struct registry_credentials c = {"user", "secret"}, got;
	struct error e = {0};
	struct stat st;
	char d[128];

	/* The directory is made, private, and so is the file. */
	assert_int_equal(registry_credentials_store(path, "docker.io", &c, &e), 0);
	snprintf(d, sizeof(d), "%s/docker", dir);
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(strstr(read_config(), "\"https://index.docker.io/v1/\""));
	assert_non_null(strstr(read_config(), "dXNlcjpzZWNyZXQ="));
	assert_int_equal(registry_credentials_lookup(path, "docker.io", &got, &e), 0);
	assert_string_equal(got.password, "secret");

	/* Other entries and keys stay; an old spelling of the same host goes. */
	write_config("{\"auths\":{\"index.docker.io\":{\"auth\":\"YTpi\"},"
		     "\"ghcr.io\":{\"auth\":\"YTpi\"}},\"credsStore\":\"desktop\"}");
	chmod(path, 0644);
	assert_int_equal(registry_credentials_store(path, "https://index.docker.io/v1/", &c, &e),
			 0);
	assert_null(strstr(read_config(), "\"index.docker.io\""));
	assert_non_null(strstr(read_config(), "\"ghcr.io\""));
	assert_non_null(strstr(read_config(), "\"credsStore\": \"desktop\""));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(registry_credentials_store(path, "127.0.0.1:5000", &c, &e), 0);
	assert_non_null(strstr(read_config(), "\"127.0.0.1:5000\""));

	/* Logout: gone, and a second time there is nothing to remove. */
	assert_int_equal(registry_credentials_store(path, "127.0.0.1:5000", NULL, &e), 0);
	assert_int_equal(registry_credentials_lookup(path, "127.0.0.1:5000", &got, &e), -ENOENT);
	assert_int_equal(registry_credentials_store(path, "127.0.0.1:5000", NULL, &e), -ENOENT);
	assert_int_equal(registry_credentials_lookup(path, "ghcr.io", &got, &e), 0);
	unlink(path);
	assert_int_equal(registry_credentials_store(path, "ghcr.io", NULL, &e), -ENOENT);
	assert_int_equal(access(path, F_OK), -1);

	/* A file we cannot read as config.json is left alone. */
	write_config("garbage");
	assert_int_equal(registry_credentials_store(path, "ghcr.io", &c, &e), -EBADMSG);
	assert_string_equal(read_config(), "garbage");
	assert_int_equal(registry_credentials_store(path, "", &c, &e), -EINVAL);
}

static void test_auth_file_path(void **state)
{
	char buf[256];

	setenv("LAUNCHER_AUTH_FILE", "/x/auth.json", 1);
	assert_int_equal(registry_auth_file_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/x/auth.json");
	unsetenv("LAUNCHER_AUTH_FILE");
	setenv("DOCKER_CONFIG", "/d", 1);
	assert_int_equal(registry_auth_file_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/d/config.json");
	unsetenv("DOCKER_CONFIG");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(registry_auth_file_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.docker/config.json");
	unsetenv("HOME");
	assert_int_equal(registry_auth_file_path(buf, sizeof(buf)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_challenge_valid),
	    cmocka_unit_test(test_challenge_invalid),
	    cmocka_unit_test(test_challenge_bounds),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_error_summary),
	    cmocka_unit_test(test_normalize_host),
	    cmocka_unit_test(test_basic_auth),
	    cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store, setup, teardown),
	    cmocka_unit_test(test_auth_file_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
