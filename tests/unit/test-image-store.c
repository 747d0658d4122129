/* The image store: blobs checked by digest and size, atomic index changes,
 * corruption reported, never trusted. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"

#define HELLO_DIGEST "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static char root[64];

static int setup(void **state)
{
	struct store s;
	struct error e = {0};

	snprintf(root, sizeof(root), "/tmp/test-store.XXXXXX");
	assert_non_null(mkdtemp(root));
	assert_int_equal(store_open(&s, root, &e), 0);
	*state = malloc(sizeof(s));
	memcpy(*state, &s, sizeof(s));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	store_close(*state);
	free(*state);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_blob_put_read(void **state)
{
	struct store *s = *state;
	struct error e = {0};
	char digest[STORE_DIGEST_MAX], *buf;
	size_t len;

	assert_false(store_blob_exists(s, HELLO_DIGEST));
	assert_int_equal(store_blob_put(s, "hello", 5, digest, &e), 0);
	assert_string_equal(digest, HELLO_DIGEST);
	assert_true(store_blob_exists(s, HELLO_DIGEST));
	assert_int_equal(store_blob_read(s, HELLO_DIGEST, 100, &buf, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello");
	free(buf);
	/* Too big for what the caller allows. */
	assert_int_equal(store_blob_read(s, HELLO_DIGEST, 4, &buf, &len, &e), -EFBIG);
	/* A malformed digest never becomes a path. */
	assert_false(store_blob_exists(s, "sha256:../../etc/passwd"));
	assert_true(store_blob_open(s, "sha256:../x", &e) < 0);
}

static void test_blob_checks(void **state)
{
	struct store *s = *state;
	struct store_blob_writer w;
	struct error e = {0};

	assert_int_equal(store_blob_begin(s, &w, &e), 0);
	assert_int_equal(store_blob_write(&w, "hello", 5, &e), 0);
	assert_int_equal(store_blob_commit(s, &w, HELLO_DIGEST, 6, NULL, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "5 bytes, expected 6"));
	assert_int_equal(store_blob_begin(s, &w, &e), 0);
	assert_int_equal(store_blob_write(&w, "hellO", 5, &e), 0);
	assert_int_equal(store_blob_commit(s, &w, HELLO_DIGEST, 5, NULL, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "digest mismatch"));
	assert_false(store_blob_exists(s, HELLO_DIGEST));
}

static void test_blob_corrupt_on_disk(void **state)
{
	struct store *s = *state;
	struct error e = {0};
	char path[4096], *buf;
	size_t len;
	FILE *f;

	assert_int_equal(store_blob_put(s, "hello", 5, NULL, &e), 0);
	assert_int_equal(store_blob_path(s, HELLO_DIGEST, path, sizeof(path)), 0);
	f = fopen(path, "w");
	fputs("HELLO", f);
	fclose(f);
	assert_int_equal(store_blob_read(s, HELLO_DIGEST, 100, &buf, &len, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "corrupt"));
}

static void test_index(void **state)
{
	struct store *s = *state;
	struct error e = {0};
	char m[STORE_DIGEST_MAX];
	struct store_image *v;
	size_t n;

	assert_int_equal(store_list(s, &v, &n, &e), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(store_resolve(s, "docker.io/library/alpine:3.20", m, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "not found in the local store"));
	assert_int_equal(store_tag(s, "docker.io/library/alpine:3.20", HELLO_DIGEST, &e), 0);
	assert_int_equal(store_tag(s, "localhost/busybox:latest", HELLO_DIGEST, &e), 0);
	assert_int_equal(store_resolve(s, "docker.io/library/alpine:3.20", m, &e), 0);
	assert_string_equal(m, HELLO_DIGEST);
	assert_int_equal(store_list(s, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	free(v);
	assert_int_equal(store_untag(s, "docker.io/library/alpine:3.20", &e), 0);
	assert_int_equal(store_untag(s, "docker.io/library/alpine:3.20", &e), -ENOENT);
	assert_int_equal(store_list(s, &v, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "localhost/busybox:latest");
	free(v);
	assert_int_equal(store_tag(s, "x", "sha256:nothex", &e), -EINVAL);
}

static void test_index_corrupt(void **state)
{
	struct store *s = *state;
	struct error e = {0};
	char path[4200];
	struct store_image *v;
	size_t n;
	const char *bad[] = {
	    "{", "[]", "{\"images\": 3}",
	    "{\"images\": [{\"name\": \"a\", \"manifest\": \"sha256:00\", \"added\": 1}]}",
	    "{\"images\": [{\"name\": \"\", \"manifest\": \"" HELLO_DIGEST "\", \"added\": 1}]}",
	};

	snprintf(path, sizeof(path), "%s/index.json", root);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		assert_int_equal(store_list(s, &v, &n, &e), -EBADMSG);
		assert_non_null(strstr(e.msg, "corrupt"));
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_blob_put_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blob_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blob_corrupt_on_disk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_corrupt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
