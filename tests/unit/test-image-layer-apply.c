/* image/layer-apply: layers written with libarchive in memory (plain, gzip
 * and zstd) and applied into temporary directories. What lands where,
 * whiteouts and opaque directories across two layers, replacement, the
 * diff_id, and hostile paths that must never reach outside root. The whole
 * suite runs twice: once as it is, once in a child where a seccomp filter
 * answers ENOSYS to openat2, so the component-by-component fallback is
 * tested the same way. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "digest.h"
#include "layer-apply.h"

#define MTIME 1500000000

enum filter { PLAIN, GZIP, ZSTD };

struct spec {
	const char *path;
	mode_t type; /* AE_IFREG, AE_IFDIR, ...; a hardlink is AE_IFREG */
	mode_t perm;
	const char *data; /* file content, symlink or hardlink target */
	size_t size;	  /* of data when it is not a string */
	bool hardlink;
	int64_t uid, gid;
	time_t mtime; /* 0: MTIME */
	long nsec;
	unsigned major, minor;
	const char *xattr_name, *xattr_value;
};

#define E_DIR(p, m)                                                                                \
	{                                                                                          \
		.path = (p), .type = AE_IFDIR, .perm = (m)                                         \
	}
#define E_FILE(p, m, d)                                                                            \
	{                                                                                          \
		.path = (p), .type = AE_IFREG, .perm = (m), .data = (d)                            \
	}
#define E_SYMLINK(p, t)                                                                            \
	{                                                                                          \
		.path = (p), .type = AE_IFLNK, .perm = 0777, .data = (t)                           \
	}
#define E_HARDLINK(p, t)                                                                           \
	{                                                                                          \
		.path = (p), .type = AE_IFREG, .perm = 0644, .data = (t), .hardlink = true         \
	}
#define E_WHITEOUT(p) E_FILE(p, 0, "")
#define COUNT(a) (sizeof(a) / sizeof(*(a)))

struct buf {
	char *data;
	size_t len, cap;
};

static void buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->data = realloc(b->data, b->cap);
		assert_non_null(b->data);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static la_ssize_t buf_write(struct archive *a, void *data, const void *p, size_t n)
{
	buf_append(data, p, n);
	return n;
}

static void tar_add(struct archive *a, const struct spec *s)
{
	struct archive_entry *entry = archive_entry_new();
	size_t size = s->size ? s->size : s->data ? strlen(s->data) : 0;

	archive_entry_set_pathname(entry, s->path);
	archive_entry_set_filetype(entry, s->type);
	archive_entry_set_perm(entry, s->perm);
	archive_entry_set_uid(entry, s->uid);
	archive_entry_set_gid(entry, s->gid);
	archive_entry_set_mtime(entry, s->mtime ? s->mtime : MTIME, s->nsec);
	if (s->hardlink)
		archive_entry_set_hardlink(entry, s->data);
	else if (s->type == AE_IFLNK)
		archive_entry_set_symlink(entry, s->data);
	if (s->type == AE_IFREG && !s->hardlink)
		archive_entry_set_size(entry, size);
	if (s->type == AE_IFCHR || s->type == AE_IFBLK) {
		archive_entry_set_rdevmajor(entry, s->major);
		archive_entry_set_rdevminor(entry, s->minor);
	}
	if (s->xattr_name)
		archive_entry_xattr_add_entry(entry, s->xattr_name, s->xattr_value,
					      strlen(s->xattr_value));
	assert_int_equal(archive_write_header(a, entry), ARCHIVE_OK);
	if (s->type == AE_IFREG && !s->hardlink && size)
		assert_int_equal(archive_write_data(a, s->data, size), (la_ssize_t)size);
	archive_entry_free(entry);
}

/* A tar of the entries in a format (ARCHIVE_FORMAT_TAR_*), padded to a
 * multiple of block bytes. */
static struct buf tar_build_as(const struct spec *s, size_t n, int format, int block)
{
	struct archive *a = archive_write_new();
	struct buf out = {0};

	assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_per_block(a, block), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &out, NULL, buf_write, NULL), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++)
		tar_add(a, &s[i]);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return out;
}

/* pax, padded to libarchive's default 10240-byte blocks. */
static struct buf tar_build(const struct spec *s, size_t n)
{
	return tar_build_as(s, n, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, 10240);
}

/* The bytes compressed as they are, with libarchive's "raw" format. */
static struct buf compress(const struct buf *in, enum filter filter)
{
	struct archive *a = archive_write_new();
	struct archive_entry *entry = archive_entry_new();
	struct buf out = {0};

	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	if (filter == GZIP)
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	else
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &out, NULL, buf_write, NULL), ARCHIVE_OK);
	archive_entry_set_pathname(entry, "layer");
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_size(entry, in->len);
	assert_int_equal(archive_write_header(a, entry), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, in->data, in->len), (la_ssize_t)in->len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(entry);
	return out;
}

static int memfd_of(const void *data, size_t len)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* A temporary directory holding root and, beside it, a file that hostile
 * layers aim at. */
struct sandbox {
	char dir[64];
	char root[96];
	char victim[96];
	int root_fd;
};

static void sandbox_new(struct sandbox *sb)
{
	int fd;

	snprintf(sb->dir, sizeof(sb->dir), "/tmp/test-layer-apply-XXXXXX");
	assert_non_null(mkdtemp(sb->dir));
	snprintf(sb->root, sizeof(sb->root), "%s/root", sb->dir);
	snprintf(sb->victim, sizeof(sb->victim), "%s/victim", sb->dir);
	assert_int_equal(mkdir(sb->root, 0755), 0);
	fd = open(sb->victim, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "safe", 4), 4);
	close(fd);
	sb->root_fd = open(sb->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sb->root_fd >= 0);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* Also checks that nothing but root and the intact victim is beside root. */
static void sandbox_free(struct sandbox *sb)
{
	DIR *d = opendir(sb->dir);
	struct dirent *de;
	char buf[16] = "";
	int fd;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "root") && strcmp(de->d_name, "victim"))
			fail_msg("%s/%s was created outside root", sb->dir, de->d_name);
	closedir(d);
	fd = open(sb->victim, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s was removed", sb->victim);
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 4);
	assert_string_equal(buf, "safe");
	close(fd);
	close(sb->root_fd);
	nftw(sb->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int apply_tar(struct sandbox *sb, const struct buf *tar, enum filter filter,
		     struct layer_apply_result *res, struct error *e)
{
	struct buf packed = filter == PLAIN ? (struct buf){0} : compress(tar, filter);
	const struct buf *in = filter == PLAIN ? tar : &packed;
	int fd = memfd_of(in->data, in->len);
	int r;

	error_clear(e);
	r = layer_apply(fd, sb->root_fd, res, e);
	close(fd);
	free(packed.data);
	return r;
}

static int apply_specs(struct sandbox *sb, const struct spec *s, size_t n, enum filter filter,
		       struct error *e)
{
	struct buf tar = tar_build(s, n);
	struct layer_apply_result res;
	int r = apply_tar(sb, &tar, filter, &res, e);

	free(tar.data);
	return r;
}

#define APPLY_OK(sb, specs)                                                                        \
	do {                                                                                       \
		struct error _e = {0};                                                             \
		if (apply_specs(sb, specs, COUNT(specs), PLAIN, &_e) < 0)                          \
			fail_msg("applying %s: %s", #specs, _e.msg);                               \
	} while (0)

static void check_stat(int root, const char *path, struct stat *st)
{
	if (fstatat(root, path, st, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("%s: %s", path, strerror(errno));
}

static void check_file(int root, const char *path, const char *content, mode_t perm)
{
	char buf[256] = "";
	struct stat st;
	int fd;

	check_stat(root, path, &st);
	if (!S_ISREG(st.st_mode) || (st.st_mode & 07777) != perm)
		fail_msg("%s: mode 0%o, expected a file with 0%o", path, st.st_mode, perm);
	fd = openat(root, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
	close(fd);
	if (strcmp(buf, content))
		fail_msg("%s holds \"%s\", expected \"%s\"", path, buf, content);
}

static void check_dir(int root, const char *path, mode_t perm)
{
	struct stat st;

	check_stat(root, path, &st);
	if (!S_ISDIR(st.st_mode) || (st.st_mode & 07777) != perm)
		fail_msg("%s: mode 0%o, expected a directory with 0%o", path, st.st_mode, perm);
}

static void check_symlink(int root, const char *path, const char *target)
{
	char buf[256];
	ssize_t n = readlinkat(root, path, buf, sizeof(buf) - 1);

	if (n < 0)
		fail_msg("%s: not a symlink: %s", path, strerror(errno));
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

static void check_absent(int root, const char *path)
{
	struct stat st;

	if (fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
		fail_msg("%s exists", path);
	assert_int_equal(errno, ENOENT);
}

static void check_fails(struct sandbox *sb, const struct spec *s, size_t n, const char *msg)
{
	struct error e = {0};
	int r = apply_specs(sb, s, n, PLAIN, &e);

	if (r >= 0)
		fail_msg("applied, expected \"%s\"", msg);
	assert_int_equal(r, -e.code);
	if (!strstr(e.msg, msg))
		fail_msg("error \"%s\" does not say \"%s\"", e.msg, msg);
}

static void test_entry_types(void **state)
{
	static char big[300000];
	const struct spec layer[] = {
	    E_DIR("./", 0755),
	    {.path = "d/", .type = AE_IFDIR, .perm = 0750, .mtime = 1234567890},
	    {.path = "d/f",
	     .type = AE_IFREG,
	     .perm = 0640,
	     .data = "hello",
	     .mtime = 1234567890,
	     .nsec = 500000000,
	     .uid = 1234,
	     .gid = 5678},
	    E_FILE("d/suid", 04755, "#!/bin/sh\n"),
	    E_FILE("d/empty", 0600, ""),
	    {.path = "d/big", .type = AE_IFREG, .perm = 0644, .data = big, .size = sizeof(big)},
	    {.path = "d/l", .type = AE_IFLNK, .perm = 0777, .data = "f", .mtime = 1111111111},
	    E_SYMLINK("d/abs", "/nonexistent/target"),
	    E_HARDLINK("d/h", "d/f"),
	    {.path = "x",
	     .type = AE_IFREG,
	     .perm = 0644,
	     .data = "x",
	     .xattr_name = "user.test",
	     .xattr_value = "value"},
	    {.path = "x-trusted",
	     .type = AE_IFREG,
	     .perm = 0644,
	     .data = "x",
	     .xattr_name = "trusted.overlay.opaque",
	     .xattr_value = "y"},
	    {.path = "pipe", .type = AE_IFIFO, .perm = 0620},
	    E_FILE("implicit/parents/file", 0644, "deep"),
	};
	struct sandbox sb;
	struct stat st, st2;
	char value[16] = "";
	ssize_t n;
	int fd;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = 'a' + i % 26;
	sandbox_new(&sb);
	APPLY_OK(&sb, layer);

	check_stat(sb.root_fd, ".", &st);
	assert_int_equal(st.st_mode & 07777, 0755);
	check_dir(sb.root_fd, "d", 0750);
	check_file(sb.root_fd, "d/f", "hello", 0640);
	check_file(sb.root_fd, "d/suid", "#!/bin/sh\n", 04755);
	check_file(sb.root_fd, "d/empty", "", 0600);
	check_stat(sb.root_fd, "d/big", &st);
	assert_int_equal(st.st_size, sizeof(big));
	fd = openat(sb.root_fd, "d/big", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, value, 3, sizeof(big) - 3), 3);
	assert_memory_equal(value, big + sizeof(big) - 3, 3);
	close(fd);

	/* mtimes, the directory's too, though entries were added to it later */
	check_stat(sb.root_fd, "d/f", &st);
	assert_int_equal(st.st_mtim.tv_sec, 1234567890);
	assert_int_equal(st.st_mtim.tv_nsec, 500000000);
	if (geteuid() == 0) {
		assert_int_equal(st.st_uid, 1234);
		assert_int_equal(st.st_gid, 5678);
	}
	check_stat(sb.root_fd, "d", &st);
	assert_int_equal(st.st_mtim.tv_sec, 1234567890);
	check_stat(sb.root_fd, "d/l", &st);
	assert_int_equal(st.st_mtim.tv_sec, 1111111111);

	check_symlink(sb.root_fd, "d/l", "f");
	check_symlink(sb.root_fd, "d/abs", "/nonexistent/target");
	check_stat(sb.root_fd, "d/f", &st);
	check_stat(sb.root_fd, "d/h", &st2);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st.st_nlink, 2);

	fd = openat(sb.root_fd, "x", O_RDONLY | O_CLOEXEC);
	n = fgetxattr(fd, "user.test", value, sizeof(value) - 1);
	if (n >= 0 || errno != ENOTSUP) {
		assert_int_equal(n, 5);
		assert_memory_equal(value, "value", 5);
	}
	close(fd);
	fd = openat(sb.root_fd, "x-trusted", O_RDONLY | O_CLOEXEC);
	assert_int_equal(fgetxattr(fd, "trusted.overlay.opaque", value, sizeof(value)), -1);
	close(fd);

	check_stat(sb.root_fd, "pipe", &st);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0620);
	check_file(sb.root_fd, "implicit/parents/file", "deep", 0644);
	check_dir(sb.root_fd, "implicit/parents", 0755);
	sandbox_free(&sb);
}

/* Device nodes are never made on the host, even as root: the entries are
 * counted and left out, the rest of the layer is applied. A device over a
 * lower layer's file removes it; a hardlink to a device left out is left
 * out too. */
static void test_devices_skipped(void **state)
{
	const struct spec lower[] = {
	    E_DIR("dev/", 0755),
	    E_FILE("dev/console", 0644, "lower"),
	};
	const struct spec layer[] = {
	    E_DIR("dev/", 0755),
	    {.path = "dev/null", .type = AE_IFCHR, .perm = 0666, .major = 1, .minor = 3},
	    {.path = "dev/sda", .type = AE_IFBLK, .perm = 0660, .major = 8, .minor = 0},
	    {.path = "dev/initctl", .type = AE_IFIFO, .perm = 0600},
	    E_FILE("etc/hostname", 0644, "box\n"),
	    E_SYMLINK("dev/stdin", "/proc/self/fd/0"),
	};
	const struct spec upper[] = {
	    {.path = "dev/console", .type = AE_IFCHR, .perm = 0600, .major = 5, .minor = 1},
	    {.path = "dev/tty", .type = AE_IFCHR, .perm = 0666, .major = 5, .minor = 0},
	    E_HARDLINK("dev/tty-link", "dev/tty"),
	    /* a device replaced later in the same layer is not a device */
	    {.path = "dev/zero", .type = AE_IFCHR, .perm = 0666, .major = 1, .minor = 5},
	    E_FILE("dev/zero", 0644, "zero"),
	    E_HARDLINK("dev/zero-link", "dev/zero"),
	};
	struct buf tar = tar_build(layer, COUNT(layer));
	struct buf tar_upper = tar_build(upper, COUNT(upper));
	struct layer_apply_result res = {0};
	struct error e = {0};
	struct sandbox sb;
	struct stat st;

	sandbox_new(&sb);
	if (apply_tar(&sb, &tar, PLAIN, &res, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(res.skipped_devices, 2);
	assert_int_equal(res.entries, COUNT(layer));
	check_absent(sb.root_fd, "dev/null");
	check_absent(sb.root_fd, "dev/sda");
	check_dir(sb.root_fd, "dev", 0755);
	check_stat(sb.root_fd, "dev/initctl", &st);
	assert_true(S_ISFIFO(st.st_mode));
	check_symlink(sb.root_fd, "dev/stdin", "/proc/self/fd/0");
	check_file(sb.root_fd, "etc/hostname", "box\n", 0644);
	sandbox_free(&sb);

	sandbox_new(&sb);
	APPLY_OK(&sb, lower);
	if (apply_tar(&sb, &tar_upper, PLAIN, &res, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(res.skipped_devices, 4);
	check_absent(sb.root_fd, "dev/console");
	check_absent(sb.root_fd, "dev/tty");
	check_absent(sb.root_fd, "dev/tty-link");
	check_file(sb.root_fd, "dev/zero", "zero", 0644);
	check_file(sb.root_fd, "dev/zero-link", "zero", 0644);
	sandbox_free(&sb);
	free(tar.data);
	free(tar_upper.data);
}

/* The same layer, plain, gzip and zstd: the diff_id is the SHA-256 of the
 * whole uncompressed tar, with the padding after its end marker. */
static void check_diff_id(int block)
{
	const struct spec layer[] = {
	    E_DIR("etc/", 0755),
	    E_FILE("etc/hostname", 0644, "box\n"),
	    E_SYMLINK("etc/mtab", "/proc/mounts"),
	};
	const enum filter filters[] = {PLAIN, GZIP, ZSTD};
	struct buf tar =
	    tar_build_as(layer, COUNT(layer), ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, block);
	char expected[8 + DIGEST_HEX_LEN] = "sha256:";

	digest_sha256_hex(tar.data, tar.len, expected + 7);
	assert_int_equal(tar.len, block);
	for (size_t i = 0; i < COUNT(filters); i++) {
		struct layer_apply_result res = {0};
		struct error e = {0};
		struct sandbox sb;

		sandbox_new(&sb);
		if (apply_tar(&sb, &tar, filters[i], &res, &e) < 0)
			fail_msg("filter %d: %s", filters[i], e.msg);
		assert_string_equal(res.diff_id, expected);
		assert_int_equal(res.tar_bytes, tar.len);
		assert_int_equal(res.entries, 3);
		check_file(sb.root_fd, "etc/hostname", "box\n", 0644);
		check_symlink(sb.root_fd, "etc/mtab", "/proc/mounts");
		sandbox_free(&sb);
	}
	free(tar.data);
}

static void test_compression_and_diff_id(void **state)
{
	check_diff_id(10240);
	/* more padding than the tar reader reads ahead */
	check_diff_id(1024 * 1024);
}

/* Long names the way each tar dialect writes them: ustar's prefix field,
 * GNU's ././@LongLink entries, pax records. */
static void test_tar_formats(void **state)
{
	const int formats[] = {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FORMAT_TAR_GNUTAR,
			       ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE};
	char name[200], target[201];

	for (size_t i = 0; i < sizeof(name) - 1; i++)
		name[i] = i % 50 == 49 ? '/' : 'n';
	name[sizeof(name) - 1] = '\0';
	snprintf(target, sizeof(target), "/%s", name);
	for (size_t i = 0; i < COUNT(formats); i++) {
		const struct spec layer[] = {
		    E_FILE(name, 0644, "long"),
		    E_SYMLINK("link", formats[i] == ARCHIVE_FORMAT_TAR_USTAR ? "short" : target),
		};
		struct buf tar = tar_build_as(layer, COUNT(layer), formats[i], 10240);
		struct layer_apply_result res = {0};
		struct error e = {0};
		struct sandbox sb;

		sandbox_new(&sb);
		if (apply_tar(&sb, &tar, PLAIN, &res, &e) < 0)
			fail_msg("format %x: %s", formats[i], e.msg);
		check_file(sb.root_fd, name, "long", 0644);
		check_symlink(sb.root_fd, "link",
			      formats[i] == ARCHIVE_FORMAT_TAR_USTAR ? "short" : target);
		sandbox_free(&sb);
		free(tar.data);
	}
}

/* From a pipe (no seeking), through layer_apply_path's sibling: a file. */
static void test_pipe_and_path(void **state)
{
	const struct spec layer[] = {E_FILE("a", 0644, "pipe")};
	struct buf tar = tar_build(layer, COUNT(layer));
	struct buf gz = compress(&tar, GZIP);
	struct layer_apply_result res = {0};
	struct error e = {0};
	struct sandbox sb;
	char path[128];
	int p[2], fd;

	assert_true(gz.len < 65536);
	sandbox_new(&sb);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], gz.data, gz.len), (ssize_t)gz.len);
	close(p[1]);
	if (layer_apply(p[0], sb.root_fd, &res, &e) < 0)
		fail_msg("%s", e.msg);
	close(p[0]);
	assert_int_equal(res.tar_bytes, tar.len);
	check_file(sb.root_fd, "a", "pipe", 0644);
	sandbox_free(&sb);

	sandbox_new(&sb);
	snprintf(path, sizeof(path), "%s/root/layer.tar.gz", sb.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(write(fd, gz.data, gz.len), (ssize_t)gz.len);
	close(fd);
	if (layer_apply_path(path, sb.root, &res, &e) < 0)
		fail_msg("%s", e.msg);
	check_file(sb.root_fd, "a", "pipe", 0644);
	assert_int_equal(layer_apply_path("/nonexistent", sb.root, &res, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/nonexistent"));
	sandbox_free(&sb);
	free(tar.data);
	free(gz.data);
}

static void test_whiteouts(void **state)
{
	const struct spec lower[] = {
	    E_DIR("a/", 0755),
	    E_FILE("a/f1", 0644, "1"),
	    E_FILE("a/f2", 0644, "2"),
	    E_DIR("a/sub/", 0755),
	    E_FILE("a/sub/x", 0644, "x"),
	    E_DIR("b/", 0755),
	    E_FILE("b/lower", 0644, "l"),
	    E_DIR("b/keepdir/", 0755),
	    E_FILE("b/keepdir/old", 0644, "o"),
	    E_FILE("c", 0644, "c"),
	};
	const struct spec upper[] = {
	    E_WHITEOUT("a/.wh.f1"),
	    E_WHITEOUT("a/.wh.sub"),
	    E_WHITEOUT(".wh.c"),
	    E_WHITEOUT(".wh.missing"),
	    E_WHITEOUT("nodir/.wh.missing"),
	    E_DIR("b/", 0700),
	    E_FILE("b/before", 0644, "before"),
	    E_FILE("b/keepdir/mine", 0644, "mine"),
	    E_WHITEOUT("b/.wh..wh..opq"),
	    E_FILE("b/after", 0644, "after"),
	    /* the spec: a whiteout does not hide this same layer's file */
	    E_FILE("same", 0644, "same"),
	    E_WHITEOUT(".wh.same"),
	};
	struct sandbox sb;

	sandbox_new(&sb);
	APPLY_OK(&sb, lower);
	APPLY_OK(&sb, upper);
	check_absent(sb.root_fd, "a/f1");
	check_file(sb.root_fd, "a/f2", "2", 0644);
	check_absent(sb.root_fd, "a/sub");
	check_absent(sb.root_fd, "c");
	check_absent(sb.root_fd, "a/.wh.f1");
	check_absent(sb.root_fd, ".wh.missing");
	check_absent(sb.root_fd, "nodir");
	check_dir(sb.root_fd, "b", 0700);
	check_absent(sb.root_fd, "b/lower");
	check_absent(sb.root_fd, "b/.wh..wh..opq");
	check_file(sb.root_fd, "b/before", "before", 0644);
	check_file(sb.root_fd, "b/after", "after", 0644);
	check_file(sb.root_fd, "b/keepdir/mine", "mine", 0644);
	check_absent(sb.root_fd, "b/keepdir/old");
	check_file(sb.root_fd, "same", "same", 0644);
	sandbox_free(&sb);
}

static void test_opaque_root(void **state)
{
	const struct spec lower[] = {E_FILE("old", 0644, "o"), E_DIR("etc/", 0755),
				     E_FILE("etc/old", 0644, "o")};
	const struct spec upper[] = {E_FILE("etc/new", 0644, "n"), E_WHITEOUT(".wh..wh..opq"),
				     E_FILE("later", 0644, "l")};
	struct sandbox sb;

	sandbox_new(&sb);
	APPLY_OK(&sb, lower);
	APPLY_OK(&sb, upper);
	check_absent(sb.root_fd, "old");
	check_absent(sb.root_fd, "etc/old");
	check_file(sb.root_fd, "etc/new", "n", 0644);
	check_file(sb.root_fd, "later", "l", 0644);
	sandbox_free(&sb);
}

static void test_replacement(void **state)
{
	const struct spec lower[] = {
	    E_DIR("dir-then-file/", 0755),	E_FILE("dir-then-file/child", 0644, "c"),
	    E_FILE("file-then-dir", 0644, "f"), E_DIR("merge/", 0700),
	    E_FILE("merge/lower", 0644, "l"),	E_SYMLINK("link-then-dir", "merge"),
	    E_FILE("file", 0644, "old"),	E_HARDLINK("file-link", "file"),
	};
	const struct spec upper[] = {
	    E_FILE("dir-then-file", 0600, "now a file"),
	    E_DIR("file-then-dir/", 0711),
	    E_FILE("file-then-dir/inside", 0644, "i"),
	    E_DIR("merge/", 0755),
	    E_FILE("merge/upper", 0644, "u"),
	    E_DIR("link-then-dir/", 0755),
	    E_FILE("file", 0644, "new"),
	    E_FILE("twice", 0644, "first"),
	    E_FILE("twice", 0640, "second"),
	};
	struct sandbox sb;
	struct stat st;

	sandbox_new(&sb);
	APPLY_OK(&sb, lower);
	APPLY_OK(&sb, upper);
	check_file(sb.root_fd, "dir-then-file", "now a file", 0600);
	check_dir(sb.root_fd, "file-then-dir", 0711);
	check_file(sb.root_fd, "file-then-dir/inside", "i", 0644);
	check_dir(sb.root_fd, "merge", 0755);
	check_file(sb.root_fd, "merge/lower", "l", 0644);
	check_file(sb.root_fd, "merge/upper", "u", 0644);
	check_dir(sb.root_fd, "link-then-dir", 0755);
	check_absent(sb.root_fd, "link-then-dir/lower");
	/* a new file, not a write through the old inode's other link */
	check_file(sb.root_fd, "file", "new", 0644);
	check_file(sb.root_fd, "file-link", "old", 0644);
	check_stat(sb.root_fd, "file", &st);
	assert_int_equal(st.st_nlink, 1);
	check_file(sb.root_fd, "twice", "second", 0640);
	sandbox_free(&sb);
}

/* Each hostile layer in a fresh sandbox: an error, or a landing inside
 * root; sandbox_free checks that nothing appeared beside root and that the
 * victim beside it is intact. */
static void test_escapes_rejected(void **state)
{
	const struct spec dotdot[] = {E_FILE("../x", 0644, "x")};
	const struct spec inner_dotdot[] = {E_FILE("a/../../x", 0644, "x")};
	const struct spec dotdot_victim[] = {E_FILE("../victim", 0644, "pwned")};
	const struct spec hardlink_out[] = {E_HARDLINK("h", "../../etc/passwd")};
	const struct spec hardlink_abs[] = {E_SYMLINK("evil", "/"),
					    E_HARDLINK("h", "evil/etc/passwd")};
	struct sandbox sb;
	struct stat st;

	sandbox_new(&sb);
	check_fails(&sb, dotdot, COUNT(dotdot), "layer entry \"../x\": path escapes the root");
	check_fails(&sb, inner_dotdot, COUNT(inner_dotdot),
		    "layer entry \"a/../../x\": path escapes the root");
	check_fails(&sb, dotdot_victim, COUNT(dotdot_victim), "path escapes the root");
	check_fails(&sb, hardlink_out, COUNT(hardlink_out),
		    "hardlink target \"../../etc/passwd\": path escapes the root");
	/* resolves to root/etc/passwd, which is not there */
	check_fails(&sb, hardlink_abs, COUNT(hardlink_abs), "layer entry \"h\"");
	assert_true(fstatat(sb.root_fd, "h", &st, AT_SYMLINK_NOFOLLOW) < 0);
	sandbox_free(&sb);
}

static void check_not_on_host(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		unlink(path);
		fail_msg("%s was written on the host", path);
	}
}

struct escape_names {
	char evil[80], abs[80], climb[80], host[80];
};

static void apply_escapes(struct sandbox *sb, const struct escape_names *n)
{
	const struct spec layer[] = {
	    /* first: "up" is root, and root's opaque marker would take what
	     * the layer made by names other than its own */
	    E_SYMLINK("up", ".."),
	    E_WHITEOUT("up/.wh.victim"),
	    E_WHITEOUT("up/.wh..wh..opq"),
	    E_SYMLINK("evil", "/"),
	    E_FILE(n->evil, 0644, "evil"),
	    E_FILE(n->abs, 0600, "abs"),
	    E_SYMLINK("l", "../../.."),
	    E_FILE(n->climb, 0644, "climb"),
	    /* the sandbox by its path on the host: recreated inside root */
	    E_SYMLINK("host", n->host),
	    E_FILE("host/victim", 0644, "pwned"),
	    /* a file over a symlink replaces the symlink */
	    E_SYMLINK("over", sb->victim),
	    E_FILE("over", 0644, "pwned"),
	    /* a hardlink to a symlink links the symlink */
	    E_SYMLINK("passwd-link", "/etc/passwd"),
	    E_HARDLINK("hl", "passwd-link"),
	};

	APPLY_OK(sb, layer);
}

static void test_escapes_contained(void **state)
{
	struct escape_names n;
	struct sandbox sb;
	char inside[160];
	int pid = getpid();

	sandbox_new(&sb);
	snprintf(n.evil, sizeof(n.evil), "evil/etc/layer-apply-test-%d-evil", pid);
	snprintf(n.abs, sizeof(n.abs), "/etc/layer-apply-test-%d-abs", pid);
	snprintf(n.climb, sizeof(n.climb), "l/layer-apply-test-%d-climb", pid);
	snprintf(n.host, sizeof(n.host), "%s", sb.dir);
	apply_escapes(&sb, &n);
	check_not_on_host(n.evil + strlen("evil"));
	check_not_on_host(n.abs);
	check_not_on_host(n.climb + 1);
	check_file(sb.root_fd, n.evil + strlen("evil/"), "evil", 0644);
	check_file(sb.root_fd, n.abs + 1, "abs", 0600);
	check_file(sb.root_fd, n.climb + 2, "climb", 0644);
	snprintf(inside, sizeof(inside), "%s/victim", n.host + 1);
	check_file(sb.root_fd, inside, "pwned", 0644);
	check_file(sb.root_fd, "over", "pwned", 0644);
	check_symlink(sb.root_fd, "hl", "/etc/passwd");
	sandbox_free(&sb);
}

static void test_bad_input(void **state)
{
	const struct spec layer[] = {
	    E_FILE("a", 0644, "first"),
	    {.path = "big", .type = AE_IFREG, .perm = 0644, .data = (char[4096]){0}, .size = 4096}};
	struct buf tar = tar_build(layer, COUNT(layer));
	struct buf gz = compress(&tar, GZIP);
	struct buf cut = {.data = tar.data, .len = 512 * 4 + 100};
	struct buf gz_cut = {.data = gz.data, .len = gz.len / 2};
	struct buf garbage = {.data = (char[]){"this is not a layer, not even close to one\n"},
			      .len = 44};
	struct buf empty = {.data = (char[1]){0}, .len = 0};
	const struct {
		const struct buf *in;
		const char *what;
	} cases[] = {
	    {&cut, "truncated tar"},
	    {&gz_cut, "truncated gzip"},
	    {&garbage, "garbage"},
	    {&empty, "empty input"},
	};

	for (size_t i = 0; i < COUNT(cases); i++) {
		struct layer_apply_result res = {.entries = 42};
		struct error e = {0};
		struct sandbox sb;
		int r;

		sandbox_new(&sb);
		r = apply_tar(&sb, cases[i].in, PLAIN, &res, &e);
		if (r >= 0)
			fail_msg("%s was applied", cases[i].what);
		assert_int_equal(r, -e.code);
		if (strlen(e.msg) < 10)
			fail_msg("%s: a message too short: \"%s\"", cases[i].what, e.msg);
		assert_int_equal(res.entries, 42);
		sandbox_free(&sb);
	}
	free(tar.data);
	free(gz.data);
}

static void test_long_path(void **state)
{
	char path[LAYER_PATH_MAX + 100];
	const struct spec layer[] = {E_FILE(path, 0644, "x")};
	struct sandbox sb;

	for (size_t i = 0; i < sizeof(path) - 1; i++)
		path[i] = i % 100 == 99 ? '/' : 'a';
	path[sizeof(path) - 1] = '\0';
	sandbox_new(&sb);
	check_fails(&sb, layer, COUNT(layer), "File name too long");
	path[0] = '\x1b';
	check_fails(&sb, layer, COUNT(layer), "layer entry \"\\x1baaa");
	sandbox_free(&sb);
}

/* As nobody: devices are skipped, as ever, owners left as they fall, the rest is
 * there. Checked in a child, which reports through its exit status. */
static void test_unprivileged(void **state)
{
	const struct spec layer[] = {
	    {.path = "dev/null", .type = AE_IFCHR, .perm = 0666, .major = 1, .minor = 3},
	    {.path = "owned",
	     .type = AE_IFREG,
	     .perm = 0644,
	     .data = "o",
	     .uid = 1234,
	     .gid = 1234},
	    {.path = "pipe", .type = AE_IFIFO, .perm = 0600},
	    E_DIR("ro/", 0555),
	    E_FILE("ro/inside", 0644, "i"),
	};
	struct buf tar = tar_build(layer, COUNT(layer));
	struct sandbox sb;
	struct stat st;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	sandbox_new(&sb);
	assert_int_equal(chown(sb.root, 65534, 65534), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct layer_apply_result res;
		struct error e = {0};
		int fd = memfd_of(tar.data, tar.len);

		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		if (layer_apply(fd, sb.root_fd, &res, &e) < 0) {
			fprintf(stderr, "as nobody: %s\n", e.msg);
			_exit(3);
		}
		_exit(res.entries == COUNT(layer) ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	check_absent(sb.root_fd, "dev/null");
	check_stat(sb.root_fd, "owned", &st);
	assert_int_equal(st.st_uid, 65534);
	check_stat(sb.root_fd, "pipe", &st);
	assert_true(S_ISFIFO(st.st_mode));
	check_dir(sb.root_fd, "ro", 0555);
	check_file(sb.root_fd, "ro/inside", "i", 0644);
	sandbox_free(&sb);
	free(tar.data);
}

/* Makes openat2 fail with ENOSYS, as on kernels before 5.6. */
static bool refuse_openat2(void)
{
#if defined(__x86_64__)
	const unsigned arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	const unsigned arch = AUDIT_ARCH_AARCH64;
#else
	const unsigned arch = 0;
#endif
	struct sock_filter filter[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = COUNT(filter), .filter = filter};

	if (!arch || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return false;
	return syscall(SYS_openat2, AT_FDCWD, ".", NULL, 0) < 0 && errno == ENOSYS;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entry_types),	     cmocka_unit_test(test_compression_and_diff_id),
	    cmocka_unit_test(test_pipe_and_path),    cmocka_unit_test(test_whiteouts),
	    cmocka_unit_test(test_opaque_root),	     cmocka_unit_test(test_replacement),
	    cmocka_unit_test(test_escapes_rejected), cmocka_unit_test(test_escapes_contained),
	    cmocka_unit_test(test_bad_input),	     cmocka_unit_test(test_long_path),
	    cmocka_unit_test(test_unprivileged),     cmocka_unit_test(test_tar_formats),
	    cmocka_unit_test(test_devices_skipped),
	};
	int status, r;
	pid_t pid;

	r = cmocka_run_group_tests_name("layer-apply", tests, NULL, NULL);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (!refuse_openat2()) {
			fprintf(stderr, "cannot refuse openat2 with seccomp\n");
			_exit(1);
		}
		_exit(
		    cmocka_run_group_tests_name("layer-apply without openat2", tests, NULL, NULL));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return r || !WIFEXITED(status) || WEXITSTATUS(status);
}
