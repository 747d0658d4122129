/* Image references as docker pull reads them: what each name means, how it
 * is printed back, and what a user is told when it is wrong. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reference.h"

#define HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DIGEST "sha256:" HEX

struct valid_case {
	const char *input;
	const char *domain, *path, *tag, *digest;
	bool short_name;
	const char *full;	/* image_ref_format */
	const char *repository; /* image_ref_repository_familiar */
	const char *familiar;	/* image_ref_format_familiar */
};

static const struct valid_case valid_cases[] = {
    {"alpine", "docker.io", "library/alpine", "latest", "", true, "docker.io/library/alpine:latest",
     "alpine", "alpine:latest"},
    {"alpine:3.20", "docker.io", "library/alpine", "3.20", "", true,
     "docker.io/library/alpine:3.20", "alpine", "alpine:3.20"},
    {"library/alpine", "docker.io", "library/alpine", "latest", "", true,
     "docker.io/library/alpine:latest", "alpine", "alpine:latest"},
    {"docker.io/alpine", "docker.io", "library/alpine", "latest", "", false,
     "docker.io/library/alpine:latest", "alpine", "alpine:latest"},
    {"docker.io/library/alpine", "docker.io", "library/alpine", "latest", "", false,
     "docker.io/library/alpine:latest", "alpine", "alpine:latest"},
    {"index.docker.io/library/alpine", "docker.io", "library/alpine", "latest", "", false,
     "docker.io/library/alpine:latest", "alpine", "alpine:latest"},
    {"index.docker.io/alpine:edge", "docker.io", "library/alpine", "edge", "", false,
     "docker.io/library/alpine:edge", "alpine", "alpine:edge"},
    {"docker.io/x/y", "docker.io", "x/y", "latest", "", false, "docker.io/x/y:latest", "x/y",
     "x/y:latest"},
    {"localhost/busybox:latest", "localhost", "busybox", "latest", "", false,
     "localhost/busybox:latest", "localhost/busybox", "localhost/busybox:latest"},
    {"localhost:5000/x/y:z", "localhost:5000", "x/y", "z", "", false, "localhost:5000/x/y:z",
     "localhost:5000/x/y", "localhost:5000/x/y:z"},
    {"ghcr.io/org/img@" DIGEST, "ghcr.io", "org/img", "", DIGEST, false, "ghcr.io/org/img@" DIGEST,
     "ghcr.io/org/img", "ghcr.io/org/img@" DIGEST},
    {"127.0.0.1:5000/a", "127.0.0.1:5000", "a", "latest", "", false, "127.0.0.1:5000/a:latest",
     "127.0.0.1:5000/a", "127.0.0.1:5000/a:latest"},
    {"[::1]:5000/a:b", "[::1]:5000", "a", "b", "", false, "[::1]:5000/a:b", "[::1]:5000/a",
     "[::1]:5000/a:b"},
    {"[2001:db8::1]/a", "[2001:db8::1]", "a", "latest", "", false, "[2001:db8::1]/a:latest",
     "[2001:db8::1]/a", "[2001:db8::1]/a:latest"},
    {"example.com:443/team/app:v1", "example.com:443", "team/app", "v1", "", false,
     "example.com:443/team/app:v1", "example.com:443/team/app", "example.com:443/team/app:v1"},
    {"a/b/c/d", "docker.io", "a/b/c/d", "latest", "", true, "docker.io/a/b/c/d:latest", "a/b/c/d",
     "a/b/c/d:latest"},
    {"foo__bar", "docker.io", "library/foo__bar", "latest", "", true,
     "docker.io/library/foo__bar:latest", "foo__bar", "foo__bar:latest"},
    {"foo---bar", "docker.io", "library/foo---bar", "latest", "", true,
     "docker.io/library/foo---bar:latest", "foo---bar", "foo---bar:latest"},
    {"x/a.b_c-d9", "docker.io", "x/a.b_c-d9", "latest", "", true, "docker.io/x/a.b_c-d9:latest",
     "x/a.b_c-d9", "x/a.b_c-d9:latest"},
    {"alpine:3.20@" DIGEST, "docker.io", "library/alpine", "3.20", DIGEST, true,
     "docker.io/library/alpine:3.20@" DIGEST, "alpine", "alpine:3.20@" DIGEST},
    {"x/y:t@" DIGEST, "docker.io", "x/y", "t", DIGEST, true, "docker.io/x/y:t@" DIGEST, "x/y",
     "x/y:t@" DIGEST},
    /* Tags may have uppercase letters, '_' first, dots and dashes. */
    {"alpine:_Latest.1-rc", "docker.io", "library/alpine", "_Latest.1-rc", "", true,
     "docker.io/library/alpine:_Latest.1-rc", "alpine", "alpine:_Latest.1-rc"},
    /* Only library/<name> is shortened on Docker Hub. */
    {"library/a/b", "docker.io", "library/a/b", "latest", "", true, "docker.io/library/a/b:latest",
     "library/a/b", "library/a/b:latest"},
    /* Docker reads a first component with uppercase letters as a registry. */
    {"Registry/app", "Registry", "app", "latest", "", false, "Registry/app:latest", "Registry/app",
     "Registry/app:latest"},
    /* Without a '/', a ':' starts the tag: this is the image "localhost". */
    {"localhost:5000", "docker.io", "library/localhost", "5000", "", true,
     "docker.io/library/localhost:5000", "localhost", "localhost:5000"},
};

#define EXPECT_STR(input, what, got, want)                                                         \
	do {                                                                                       \
		if (strcmp((got), (want)) != 0)                                                    \
			fail_msg("%s: %s is \"%s\", want \"%s\"", (input), (what), (got), (want)); \
	} while (0)

static void check_valid(const struct valid_case *c)
{
	struct image_ref r, again;
	struct error e = {0};
	char buf[512];

	if (image_ref_parse(c->input, &r, &e) != 0)
		fail_msg("%s: %s", c->input, e.msg);
	EXPECT_STR(c->input, "domain", r.domain, c->domain);
	EXPECT_STR(c->input, "path", r.path, c->path);
	EXPECT_STR(c->input, "tag", r.tag, c->tag);
	EXPECT_STR(c->input, "digest", r.digest, c->digest);
	if (r.short_name != c->short_name)
		fail_msg("%s: short_name is %d", c->input, r.short_name);

	assert_int_equal(image_ref_format(&r, buf, sizeof(buf)), 0);
	EXPECT_STR(c->input, "full form", buf, c->full);
	assert_int_equal(image_ref_repository_familiar(&r, buf, sizeof(buf)), 0);
	EXPECT_STR(c->input, "familiar repository", buf, c->repository);
	assert_int_equal(image_ref_format_familiar(&r, buf, sizeof(buf)), 0);
	EXPECT_STR(c->input, "familiar form", buf, c->familiar);

	/* The full form reads back as the same reference. */
	assert_int_equal(image_ref_format(&r, buf, sizeof(buf)), 0);
	if (image_ref_parse(buf, &again, &e) != 0)
		fail_msg("%s: %s", buf, e.msg);
	EXPECT_STR(buf, "domain", again.domain, r.domain);
	EXPECT_STR(buf, "path", again.path, r.path);
	EXPECT_STR(buf, "tag", again.tag, r.tag);
	EXPECT_STR(buf, "digest", again.digest, r.digest);
}

static void test_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		check_valid(&valid_cases[i]);
}

static void test_repository(void **state)
{
	struct image_ref r;
	struct error e = {0};
	char buf[256];

	(void)state;
	assert_int_equal(image_ref_parse("alpine:3.20@" DIGEST, &r, &e), 0);
	assert_int_equal(image_ref_repository(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "docker.io/library/alpine");
	assert_int_equal(image_ref_parse("localhost:5000/x/y:z", &r, &e), 0);
	assert_int_equal(image_ref_repository(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "localhost:5000/x/y");
}

/* A reference built by hand with neither tag nor digest prints as its
 * repository alone. */
static void test_format_without_tag(void **state)
{
	struct image_ref r = {.domain = "docker.io", .path = "library/alpine"};
	char buf[64];

	(void)state;
	assert_int_equal(image_ref_format(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "docker.io/library/alpine");
	assert_int_equal(image_ref_format_familiar(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "alpine");
}

static void test_format_too_small(void **state)
{
	struct image_ref r;
	struct error e = {0};
	char buf[32];

	(void)state;
	assert_int_equal(image_ref_parse("alpine:3.20", &r, &e), 0);
	/* "docker.io/library/alpine:3.20" is 29 characters and a NUL. */
	assert_int_equal(image_ref_format(&r, buf, 30), 0);
	assert_string_equal(buf, "docker.io/library/alpine:3.20");
	assert_int_equal(image_ref_format(&r, buf, 29), -ENAMETOOLONG);
	assert_int_equal(image_ref_repository(&r, buf, 24), -ENAMETOOLONG);
	assert_int_equal(image_ref_repository_familiar(&r, buf, 6), -ENAMETOOLONG);
	assert_int_equal(image_ref_repository_familiar(&r, buf, 7), 0);
	assert_string_equal(buf, "alpine");
	assert_int_equal(image_ref_format_familiar(&r, buf, 11), -ENAMETOOLONG);
}

/* The longest names: 255 characters for domain "/" path, counted after
 * docker.io/library/ is added to a short name, and 128 for a tag. */
static void test_length_limits(void **state)
{
	char name[512], tag[129], buf[1024];
	struct image_ref r;
	struct error e = {0};

	(void)state;
	snprintf(name, sizeof(name), "localhost/%0245d", 0);
	assert_int_equal(image_ref_parse(name, &r, &e), 0);
	assert_int_equal(strlen(r.path), 245);
	assert_int_equal(image_ref_repository(&r, buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), 255);

	snprintf(name, sizeof(name), "%0237d", 0);
	assert_int_equal(image_ref_parse(name, &r, &e), 0);
	assert_int_equal(image_ref_repository(&r, buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), 255);
	assert_true(r.short_name);

	memset(tag, 'x', 128);
	tag[128] = '\0';
	snprintf(name, sizeof(name), "alpine:%s", tag);
	assert_int_equal(image_ref_parse(name, &r, &e), 0);
	assert_string_equal(r.tag, tag);
}

struct invalid_case {
	const char *input;
	const char *message; /* the whole message e.msg carries */
};

static const struct invalid_case invalid_cases[] = {
    {"", "invalid reference format: empty image name"},
    {"Alpine", "invalid reference format: repository name \"Alpine\" must be lowercase"},
    {"library/Alpine",
     "invalid reference format: repository name \"library/Alpine\" must be lowercase"},
    {"ghcr.io/Org/img", "invalid reference format: repository name \"Org/img\" must be lowercase"},
    {"-a", "invalid reference format: repository name \"-a\": each path component must start "
	   "and end with a letter or digit"},
    {"a-/b", "invalid reference format: repository name \"a-/b\": each path component must "
	     "start and end with a letter or digit"},
    {"a/", "invalid reference format: repository name \"a/\" has an empty path component"},
    {"/a", "invalid reference format: repository name \"/a\" has an empty path component"},
    {"a//b", "invalid reference format: repository name \"a//b\" has an empty path component"},
    {"a..b", "invalid reference format: repository name \"a..b\" has an invalid separator; use "
	     "one '.', one or two '_', or dashes"},
    {"a___b", "invalid reference format: repository name \"a___b\" has an invalid separator; "
	      "use one '.', one or two '_', or dashes"},
    {"a-_b", "invalid reference format: repository name \"a-_b\" has an invalid separator; use "
	     "one '.', one or two '_', or dashes"},
    {"a!b", "invalid reference format: repository name \"a!b\" contains invalid character '!'"},
    {"a b", "invalid reference format: repository name \"a b\" contains invalid character 0x20"},
    {":tag", "invalid reference format: \":tag\" has no repository name"},
    {"@" DIGEST, "invalid reference format: \"@" DIGEST "\" has no repository name"},
    {"alpine:", "invalid reference format: empty tag after ':'"},
    {"alpine:-x", "invalid reference format: tag \"-x\" must start with a letter, digit or '_'"},
    {"alpine:.x", "invalid reference format: tag \".x\" must start with a letter, digit or '_'"},
    {"alpine:a:b", "invalid reference format: tag \"a:b\" contains invalid character ':'; a "
		   "tag has letters, digits, '_', '.' and '-'"},
    {"alpine:a+b", "invalid reference format: tag \"a+b\" contains invalid character '+'; a "
		   "tag has letters, digits, '_', '.' and '-'"},
    {"alpine@", "invalid reference format: empty digest after '@'"},
    {"alpine@" HEX,
     "invalid reference format: invalid digest \"" HEX "\": expected sha256:<64 hex digits>"},
    {"alpine@sha256:abc",
     "invalid reference format: invalid digest \"sha256:abc\": sha256 has 64 hex digits, not 3"},
    {"alpine@sha256:" HEX "0", "invalid reference format: invalid digest \"sha256:" HEX
			       "0\": sha256 has 64 hex digits, not 65"},
    {"alpine@sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
     "invalid reference format: invalid digest "
     "\"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\": expected 64 "
     "lowercase hex digits"},
    {"alpine@sha256:" HEX "@" DIGEST, "invalid reference format: invalid digest \"sha256:" HEX
				      "@" DIGEST "\": sha256 has 64 hex digits, not 136"},
    {"alpine@sha512:" HEX HEX, "invalid reference format: unsupported digest algorithm "
			       "\"sha512\" (only sha256 is supported)"},
    {"alpine@md5:d41d8cd98f00b204e9800998ecf8427e",
     "invalid reference format: unsupported digest algorithm \"md5\" (only sha256 is "
     "supported)"},
    {"alpine@1sha:" HEX,
     "invalid reference format: invalid digest \"1sha:" HEX "\": expected sha256:<64 hex digits>"},
    {"http://x/y",
     "invalid reference format: \"http://x/y\" is a URL; name the image without a scheme, as "
     "in \"x/y\""},
    {"https://ghcr.io/org/img:1",
     "invalid reference format: \"https://ghcr.io/org/img:1\" is a URL; name the image "
     "without a scheme, as in \"ghcr.io/org/img:1\""},
    {" alpine", "invalid reference format: \" alpine\" has leading or trailing spaces"},
    {"alpine ", "invalid reference format: \"alpine \" has leading or trailing spaces"},
    {"alp\nine", "invalid reference format: control character 0x0a at position 4"},
    {"alpine\t", "invalid reference format: control character 0x09 at position 7"},
    {"alpine\x7f", "invalid reference format: control character 0x7f at position 7"},
    {HEX, "invalid reference format: \"" HEX "\" is a 64-digit hex ID, not a repository name"},
    /* A '.' makes the first component a registry, as in Docker. */
    {"a.b_c/d", "invalid reference format: registry \"a.b_c\" is not a valid host[:port]"},
    {"ex_ample.com/a",
     "invalid reference format: registry \"ex_ample.com\" is not a valid host[:port]"},
    {"-example.com/a",
     "invalid reference format: registry \"-example.com\" is not a valid host[:port]"},
    {"example..com/a",
     "invalid reference format: registry \"example..com\" is not a valid host[:port]"},
    {"localhost:/a", "invalid reference format: registry \"localhost:\" is not a valid "
		     "host[:port]"},
    {"localhost:http/a", "invalid reference format: registry \"localhost:http\" is not a "
			 "valid host[:port]"},
    {"[::1/a", "invalid reference format: registry \"[::1\" is not a valid host[:port]"},
    {"[]:5000/a", "invalid reference format: registry \"[]:5000\" is not a valid host[:port]"},
    {"[fe80::1%eth0]/a",
     "invalid reference format: registry \"[fe80::1%eth0]\" is not a valid host[:port]"},
};

static void check_invalid(const struct invalid_case *c)
{
	struct image_ref r = {.domain = "untouched"};
	struct error e = {0};
	int ret = image_ref_parse(c->input, &r, &e);

	if (ret != -EINVAL)
		fail_msg("\"%s\": returned %d, want -EINVAL", c->input, ret);
	assert_int_equal(e.code, EINVAL);
	EXPECT_STR(c->input, "message", e.msg, c->message);
	/* On failure the output is left as it was. */
	assert_string_equal(r.domain, "untouched");
}

static void test_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++)
		check_invalid(&invalid_cases[i]);
}

static void test_null(void **state)
{
	struct image_ref r;
	struct error e = {0};

	(void)state;
	assert_int_equal(image_ref_parse(NULL, &r, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid reference format: empty image name");
	/* Library callers may pass no error object. */
	assert_int_equal(image_ref_parse("Alpine", &r, NULL), -EINVAL);
}

static void expect_too_long(const char *name)
{
	struct error e = {0};
	struct image_ref r;

	assert_int_equal(image_ref_parse(name, &r, &e), -EINVAL);
	EXPECT_STR(name, "message", e.msg,
		   "invalid reference format: repository name must not be more than 255 characters "
		   "(it has 256)");
}

static void test_too_long(void **state)
{
	char name[600], tag[130];
	struct error e = {0};
	struct image_ref r;

	(void)state;
	snprintf(name, sizeof(name), "localhost/%0246d", 0);
	expect_too_long(name);
	/* docker.io/library/ counts: 238 characters make a 256-character name. */
	snprintf(name, sizeof(name), "%0238d", 0);
	expect_too_long(name);
	snprintf(name, sizeof(name), "%0238d:tag@%s", 0, DIGEST);
	expect_too_long(name);
	snprintf(name, sizeof(name), "registry.example/%0239d", 0);
	expect_too_long(name);

	memset(tag, 'x', 129);
	tag[129] = '\0';
	snprintf(name, sizeof(name), "alpine:%s", tag);
	assert_int_equal(image_ref_parse(name, &r, &e), -EINVAL);
	assert_string_equal(e.msg, "invalid reference format: tag is longer than 128 characters");

	/* A host name longer than any buffer is refused, not cut. */
	memset(name, 'h', 400);
	snprintf(name + 400, sizeof(name) - 400, ".io/a");
	assert_int_equal(image_ref_parse(name, &r, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "must not be more than 255 characters (it has 405)"));
}

static void test_digest_valid(void **state)
{
	(void)state;
	assert_true(image_digest_valid(DIGEST));
	assert_false(image_digest_valid(NULL));
	assert_false(image_digest_valid(""));
	assert_false(image_digest_valid(HEX));
	assert_false(image_digest_valid("sha256:"));
	assert_false(image_digest_valid("sha256:" HEX "0"));
	assert_false(image_digest_valid("sha256:e3b0"));
	assert_false(image_digest_valid("SHA256:" HEX));
	assert_false(image_digest_valid("sha512:" HEX HEX));
	assert_false(image_digest_valid(
	    "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	assert_false(image_digest_valid(
	    "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_repository),
	    cmocka_unit_test(test_format_without_tag),
	    cmocka_unit_test(test_format_too_small),
	    cmocka_unit_test(test_length_limits),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_null),
	    cmocka_unit_test(test_too_long),
	    cmocka_unit_test(test_digest_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
