/* Removing images and collecting garbage on a temp store: what the index
 * reaches stays, the rest goes; held disks stay; rmi and prune follow
 * Docker's rules. */
#include <errno.h>
#include <time.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gc.h"
#include "remove.h"
#include "store.h"

static char root[64];

struct fixture {
	struct store s;
	char l1[STORE_DIGEST_MAX], l2[STORE_DIGEST_MAX];
	char c1[STORE_DIGEST_MAX], c2[STORE_DIGEST_MAX];
	char m1[STORE_DIGEST_MAX], m2[STORE_DIGEST_MAX];
};

static void put(struct store *s, const char *text, char *ret)
{
	struct error e = {0};

	assert_int_equal(store_blob_put(s, text, strlen(text), ret, &e), 0);
}

static void put_manifest(struct store *s, const char *config, const char *const *layers, size_t n,
			 char *ret)
{
	char text[2048];
	size_t len;

	len = (size_t)snprintf(text, sizeof(text),
			       "{\"schemaVersion\":2,\"mediaType\":\"application/"
			       "vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
			       "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
			       "\"size\":1},\"layers\":[",
			       config);
	for (size_t i = 0; i < n; i++)
		len +=
		    (size_t)snprintf(text + len, sizeof(text) - len,
				     "%s{\"mediaType\":\"application/"
				     "vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":1}",
				     i ? "," : "", layers[i]);
	snprintf(text + len, sizeof(text) - len, "]}");
	put(s, text, ret);
}

/* Two images sharing a layer: a (m1: c1, l1) and b (m2: c2, l1 l2). */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct error e = {0};

	snprintf(root, sizeof(root), "/tmp/test-gc.XXXXXX");
	assert_non_null(mkdtemp(root));
	assert_int_equal(store_open(&f->s, root, &e), 0);
	put(&f->s, "layer one", f->l1);
	put(&f->s, "layer two", f->l2);
	put(&f->s, "{\"config one\":1}", f->c1);
	put(&f->s, "{\"config two\":2}", f->c2);
	put_manifest(&f->s, f->c1, (const char *const[]){f->l1}, 1, f->m1);
	put_manifest(&f->s, f->c2, (const char *const[]){f->l1, f->l2}, 2, f->m2);
	assert_int_equal(store_tag(&f->s, "docker.io/library/a:latest", f->m1, &e), 0);
	assert_int_equal(store_tag(&f->s, "docker.io/library/b:latest", f->m2, &e), 0);
	/* Blob writes hold the ingest lock until store_close: let go of it, as
	 * the loading process would by exiting. */
	store_close(&f->s);
	*state = f;
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

static void touch(const char *rel)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("data", fp);
	fclose(fp);
}

static bool exists(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

static bool blob(struct fixture *f, const char *d)
{
	return store_blob_exists(&f->s, d);
}

#define HEX_Z "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define HEX_Y "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static void test_gc_reachability(void **state)
{
	struct fixture *f = *state;
	struct image_gc_result res;
	struct error e = {0};
	char orphan[STORE_DIGEST_MAX], c1disk[128], path[256];
	int hold;

	put(&f->s, "nobody's", orphan);
	store_close(&f->s);
	snprintf(c1disk, sizeof(c1disk), "rootfs/%s.erofs", f->c1 + 7);
	touch(c1disk);
	touch("rootfs/" HEX_Z ".erofs");
	touch("rootfs/" HEX_Z ".passwd");
	touch("rootfs/" HEX_Z ".group");
	touch("rootfs/" HEX_Y ".erofs");
	touch("rootfs/" HEX_Y ".passwd");
	snprintf(path, sizeof(path), "%s/rootfs/" HEX_Y ".erofs", root);
	hold = image_hold(path, &e);
	assert_true(hold >= 0);
	assert_true(image_disk_busy(path));

	assert_int_equal(image_gc(&f->s, &res, &e), 0);
	assert_false(res.blobs_skipped);
	assert_int_equal(res.blobs, 1);
	assert_int_equal(res.disks, 1);
	assert_int_equal(res.reclaimed, strlen("nobody's") + 3 * strlen("data"));
	assert_false(blob(f, orphan));
	assert_true(blob(f, f->m1) && blob(f, f->m2) && blob(f, f->c1) && blob(f, f->c2));
	assert_true(blob(f, f->l1) && blob(f, f->l2));
	assert_true(exists(c1disk));
	assert_false(exists("rootfs/" HEX_Z ".erofs") || exists("rootfs/" HEX_Z ".passwd") ||
		     exists("rootfs/" HEX_Z ".group"));
	/* Held by a container: kept, with its side files, until let go. */
	assert_true(exists("rootfs/" HEX_Y ".erofs") && exists("rootfs/" HEX_Y ".passwd"));
	close(hold);
	assert_false(image_disk_busy(path));
	assert_int_equal(image_gc(&f->s, &res, &e), 0);
	assert_false(exists("rootfs/" HEX_Y ".erofs") || exists("rootfs/" HEX_Y ".passwd"));

	/* Untagging b frees what only b used. */
	assert_int_equal(store_untag(&f->s, "docker.io/library/b:latest", &e), 0);
	assert_int_equal(image_gc(&f->s, &res, &e), 0);
	assert_false(blob(f, f->m2) || blob(f, f->c2) || blob(f, f->l2));
	assert_true(blob(f, f->m1) && blob(f, f->c1) && blob(f, f->l1));
}

static void test_gc_waits_for_writers(void **state)
{
	struct fixture *f = *state;
	struct store writer;
	struct image_gc_result res;
	struct error e = {0};
	char orphan[STORE_DIGEST_MAX];

	/* Another process is loading: its blobs are not in the index yet. */
	assert_int_equal(store_open(&writer, root, &e), 0);
	put(&writer, "being loaded", orphan);
	assert_int_equal(image_gc(&f->s, &res, &e), 0);
	assert_true(res.blobs_skipped);
	assert_true(blob(f, orphan));
	store_close(&writer);
	store_close(&f->s);
	assert_int_equal(image_gc(&f->s, &res, &e), 0);
	assert_false(res.blobs_skipped);
	assert_false(blob(f, orphan));
}

/* What interrupted writes left in tmp/ goes once it is an hour old. */
static void test_gc_tmp(void **state)
{
	struct fixture *f = *state;
	struct image_gc_result res;
	struct error e = {0};
	struct timespec old[2] = {{.tv_sec = time(NULL) - 7200}, {.tv_sec = time(NULL) - 7200}};
	char path[600];

	snprintf(path, sizeof(path), "%s/tmp/blob.old", root);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	snprintf(path, sizeof(path), "%s/tmp/load.old", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/tmp/load.old/x", root);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	snprintf(path, sizeof(path), "%s/tmp/load.old", root);
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	snprintf(path, sizeof(path), "%s/tmp/blob.new", root);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	store_close(&f->s);
	assert_int_equal(image_gc(&f->s, &res, &e), 0);
	assert_int_equal(res.tmp, 2);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/tmp/load.old", root);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/tmp/blob.old", root);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_gc_corrupt_manifest(void **state)
{
	struct fixture *f = *state;
	struct image_gc_result res;
	struct error e = {0};
	char path[4096];
	FILE *fp;

	assert_int_equal(store_blob_path(&f->s, f->m2, path, sizeof(path)), 0);
	fp = fopen(path, "w");
	fputs("{}", fp);
	fclose(fp);
	assert_true(image_gc(&f->s, &res, &e) < 0);
	assert_non_null(strstr(e.msg, f->m2));
	assert_true(blob(f, f->l2));
}

static void test_retag_leaves_dangling(void **state)
{
	struct fixture *f = *state;
	struct image_removal rm;
	struct store_image *v;
	struct error e = {0};
	size_t n;

	/* a now names m2: m1 stays, as <none>, until pruned. */
	assert_int_equal(store_tag(&f->s, "docker.io/library/a:latest", f->m2, &e), 0);
	assert_int_equal(store_list(&f->s, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[2].name, f->m1);
	free(v);
	/* A digest name is not added for an image that has a name. */
	assert_int_equal(store_tag(&f->s, f->m2, f->m2, &e), 0);
	assert_int_equal(store_list(&f->s, &v, &n, &e), 0);
	assert_int_equal(n, 3);
	free(v);

	assert_int_equal(image_prune(&f->s, false, &rm, &e), 0);
	assert_int_equal(rm.nuntagged, 0);
	assert_int_equal(rm.ndeleted, 1);
	assert_string_equal(rm.deleted[0], f->c1);
	image_removal_free(&rm);
	assert_false(blob(f, f->m1) || blob(f, f->c1));
	assert_true(blob(f, f->l1));

	/* Naming a dangling image makes it a named one. */
	assert_int_equal(store_untag(&f->s, "docker.io/library/a:latest", &e), 0);
	assert_int_equal(store_tag(&f->s, f->m1, f->m2, &e), -EINVAL); /* only its own digest */
	assert_int_equal(store_tag(&f->s, "docker.io/library/c:1", f->m2, &e), 0);
	assert_int_equal(image_prune(&f->s, true, &rm, &e), 0);
	assert_int_equal(rm.nuntagged, 2);
	assert_int_equal(rm.ndeleted, 1);
	image_removal_free(&rm);
	assert_false(blob(f, f->m2) || blob(f, f->l1) || blob(f, f->l2));
}

static void test_rmi(void **state)
{
	struct fixture *f = *state;
	struct image_removal rm;
	struct error e = {0};
	char id[16];

	assert_int_equal(image_remove(&f->s, "nosuch", false, &rm, &e), -ENOENT);
	assert_string_equal(e.msg, "No such image: nosuch");
	/* b has two names: removing one untags it, nothing more. */
	assert_int_equal(store_tag(&f->s, "example.com/other:1", f->m2, &e), 0);
	assert_int_equal(image_remove(&f->s, "b", false, &rm, &e), 0);
	assert_int_equal(rm.nuntagged, 1);
	assert_string_equal(rm.untagged[0], "docker.io/library/b:latest");
	assert_int_equal(rm.ndeleted, 0);
	image_removal_free(&rm);
	/* By ID, with names in two repositories: only when forced. */
	assert_int_equal(store_tag(&f->s, "docker.io/library/b:latest", f->m2, &e), 0);
	snprintf(id, sizeof(id), "%.12s", f->c2 + 7);
	assert_int_equal(image_remove(&f->s, id, false, &rm, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "must be forced) - image is referenced in multiple"));
	assert_int_equal(image_remove(&f->s, id, true, &rm, &e), 0);
	assert_int_equal(rm.nuntagged, 2);
	assert_int_equal(rm.ndeleted, 1);
	assert_string_equal(rm.deleted[0], f->c2);
	image_removal_free(&rm);
	assert_false(blob(f, f->m2) || blob(f, f->l2));
	/* The last name of an image deletes it. */
	assert_int_equal(image_remove(&f->s, "a", false, &rm, &e), 0);
	assert_int_equal(rm.nuntagged, 1);
	assert_int_equal(rm.ndeleted, 1);
	image_removal_free(&rm);
	assert_false(blob(f, f->l1));
}

static void test_rmi_in_use(void **state)
{
	struct fixture *f = *state;
	struct image_removal rm;
	struct error e = {0};
	char disk[4096], want[256];
	int hold;

	assert_int_equal(store_rootfs_path(&f->s, f->c1, disk, sizeof(disk)), 0);
	close(open(disk, O_WRONLY | O_CREAT, 0644));
	hold = image_hold(disk, &e);
	assert_true(hold >= 0);
	assert_int_equal(image_remove(&f->s, "a", false, &rm, &e), -EBUSY);
	snprintf(want, sizeof(want),
		 "conflict: unable to remove repository reference \"a\" (must force) - "
		 "container is using its referenced image %.12s",
		 f->c1 + 7);
	assert_string_equal(e.msg, want);
	assert_int_equal(image_prune(&f->s, true, &rm, &e), 0);
	assert_int_equal(rm.ndeleted, 1); /* b only */
	image_removal_free(&rm);
	assert_int_equal(image_remove(&f->s, "a", true, &rm, &e), 0);
	image_removal_free(&rm);
	assert_false(blob(f, f->m1));
	assert_int_equal(access(disk, F_OK), 0);
	close(hold);
	assert_int_equal(image_gc(&f->s, &rm.gc, &e), 0);
	assert_int_equal(access(disk, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_gc_reachability, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gc_waits_for_writers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gc_corrupt_manifest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gc_tmp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retag_leaves_dangling, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rmi, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rmi_in_use, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
