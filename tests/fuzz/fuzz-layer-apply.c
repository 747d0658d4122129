/* Layer application (image/layer-apply.c): the input is one layer as a
 * registry hands it over (a tar, gzip or zstd, or anything at all), applied
 * as root would apply it, onto a fresh directory T/root.
 *
 * Checks, beyond not crashing: an error comes with a printable message and
 * leaves the result untouched; nothing is written beside root (T holds
 * root and the sentinels "outside" and "outside-dir", unchanged and with no
 * new links or entries), nor in the current directory, nor at a host path
 * a seed aims at; no device node is in root; no fd is leaked; a success
 * gives a well-formed diff_id, and for an uncompressed input the diff_id
 * and tar_bytes of the input itself. One T serves the whole process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fuzz.h"
#include "layer-apply.h"

#define SENTINEL "do not touch\n"
/* Where the seed "escape-abs-symlink" aims, were it to get out. */
#define HOST_TARGET "/tmp/layer-apply-fuzz-escaped"

/* What a failed layer_apply() leaves in its result: all of it. */
static const struct layer_apply_result untouched = {
    .diff_id = "untouched", .tar_bytes = 42, .entries = 42, .skipped_devices = 42};
static char base[64];
static char root[96];
static struct stat outside_st, outside_dir_st;
static char **cwd_names;
static size_t cwd_count;

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir, but "." and "..". */
static char **list_dir(const char *dir, size_t *ret_count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	FUZZ_CHECK(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		FUZZ_CHECK(names);
		names[n] = strdup(de->d_name);
		FUZZ_CHECK(names[n]);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	*ret_count = n;
	return names;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool same_names(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static int add_writable(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* FTW_DNR: unreadable, so not entered this time; the next pass does. */
	if (type == FTW_D || type == FTW_DNR)
		FUZZ_CHECK(chmod(path, 0700) == 0);
	return type == FTW_DNR;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	/* Layers are applied as root, yet never make a device on the host. */
	FUZZ_CHECK(type == FTW_DP || !(S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)));
	FUZZ_CHECK(remove(path) == 0);
	return 0;
}

/* Layers may leave directories 0555 or 0000, which only root walks into
 * and empties as it is: make them writable first, one level per pass. */
static void remove_tree(const char *path)
{
	int r;

	for (int i = 0; (r = nftw(path, add_writable, 16, FTW_PHYS)) == 1; i++)
		FUZZ_CHECK(i < LAYER_PATH_MAX);
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

static void write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	FUZZ_CHECK(close(fd) == 0);
}

static void check_file(const char *path, const char *content, const struct stat *was)
{
	char buf[64] = "";
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	FUZZ_CHECK(fd >= 0 && fstat(fd, &st) == 0);
	FUZZ_CHECK(read(fd, buf, sizeof(buf) - 1) == (ssize_t)strlen(content));
	close(fd);
	FUZZ_CHECK(strcmp(buf, content) == 0);
	FUZZ_CHECK(S_ISREG(st.st_mode) && st.st_nlink == 1);
	if (was)
		FUZZ_CHECK(st.st_ino == was->st_ino && st.st_mode == was->st_mode &&
			   st.st_uid == was->st_uid && st.st_gid == was->st_gid &&
			   st.st_mtim.tv_sec == was->st_mtim.tv_sec &&
			   st.st_mtim.tv_nsec == was->st_mtim.tv_nsec);
}

static void cleanup(void)
{
	if (base[0])
		remove_tree(base);
	free_names(cwd_names, cwd_count);
}

/* T with its sentinels, once per process; T is removed at exit. */
static void setup(void)
{
	char path[128];

	snprintf(base, sizeof(base), "/tmp/fuzz-layer-apply-XXXXXX");
	FUZZ_CHECK(mkdtemp(base));
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(path, sizeof(path), "%s/outside", base);
	write_file(path, SENTINEL);
	FUZZ_CHECK(lstat(path, &outside_st) == 0);
	snprintf(path, sizeof(path), "%s/outside-dir", base);
	FUZZ_CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/outside-dir/keep", base);
	write_file(path, SENTINEL);
	snprintf(path, sizeof(path), "%s/outside-dir", base);
	FUZZ_CHECK(lstat(path, &outside_dir_st) == 0);
	cwd_names = list_dir(".", &cwd_count);
	atexit(cleanup);
}

static void check_outside(void)
{
	static char *const want[] = {"outside", "outside-dir", "root"};
	static char *const want_dir[] = {"keep"};
	char path[128], **names;
	struct stat st;
	size_t n;

	names = list_dir(base, &n);
	FUZZ_CHECK(same_names(names, n, (char **)want, 3));
	free_names(names, n);
	snprintf(path, sizeof(path), "%s/outside", base);
	check_file(path, SENTINEL, &outside_st);
	snprintf(path, sizeof(path), "%s/outside-dir", base);
	FUZZ_CHECK(lstat(path, &st) == 0);
	FUZZ_CHECK(st.st_ino == outside_dir_st.st_ino && st.st_mode == outside_dir_st.st_mode &&
		   st.st_uid == outside_dir_st.st_uid);
	names = list_dir(path, &n);
	FUZZ_CHECK(same_names(names, n, (char **)want_dir, 1));
	free_names(names, n);
	snprintf(path, sizeof(path), "%s/outside-dir/keep", base);
	check_file(path, SENTINEL, NULL);

	names = list_dir(".", &n);
	FUZZ_CHECK(same_names(names, n, cwd_names, cwd_count));
	free_names(names, n);
	FUZZ_CHECK(lstat(HOST_TARGET, &st) < 0 && errno == ENOENT);
}

static bool valid_diff_id(const char *s)
{
	if (strnlen(s, 72) != 71 || strncmp(s, "sha256:", 7) != 0)
		return false;
	for (size_t i = 7; i < 71; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* gzip or zstd by their magic; anything else is read as it is. */
static bool compressed(const uint8_t *data, size_t size)
{
	return (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) ||
	       (size >= 4 && !memcmp(data, "\x28\xb5\x2f\xfd", 4));
}

static void check_result(const uint8_t *data, size_t size, int r,
			 const struct layer_apply_result *res, const struct error *e)
{
	char hex[DIGEST_HEX_LEN + 1];

	if (r < 0) {
		FUZZ_CHECK(e->code > 0 && r == -e->code);
		FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)));
		FUZZ_CHECK(e->msg[0] != '\0');
		FUZZ_CHECK(fuzz_text_printable(e->msg));
		FUZZ_CHECK(memcmp(res, &untouched, sizeof(*res)) == 0);
		return;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(valid_diff_id(res->diff_id));
	FUZZ_CHECK(res->tar_bytes >= 512);
	FUZZ_CHECK(res->entries <= LAYER_ENTRIES_MAX);
	FUZZ_CHECK(res->skipped_devices <= res->entries);
	if (!compressed(data, size)) {
		FUZZ_CHECK(res->tar_bytes == size);
		digest_sha256_hex(data, size, hex);
		FUZZ_CHECK(strcmp(res->diff_id + 7, hex) == 0);
	}
}

/* libFuzzer's own mutator: absent from the standalone driver, which never
 * calls the custom mutator below. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed);

/* The checksum of a tar header: its bytes summed, the checksum field
 * counted as spaces, written as six octal digits, NUL, space. */
static void tar_fix_checksum(uint8_t *h)
{
	unsigned sum = 8 * ' ';

	for (size_t i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? 0 : h[i];
	snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
	h[155] = ' ';
}

/* libarchive refuses a header whose checksum is wrong, and it is not
 * instrumented, so the fuzzer could not learn to fix one: after each
 * mutation, every 512-byte block that says "ustar" gets its checksum
 * right, and mutants reach the applier. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	(void)seed;
	size = LLVMFuzzerMutate(data, size, max_size);
	for (size_t off = 0; off + 512 <= size; off += 512)
		if (!memcmp(data + off + 257, "ustar", 5))
			tar_fix_checksum(data + off);
	return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layer_apply_result res = untouched;
	struct error e = {0};
	int fd, root_fd, next_fd, after_fd, r;

	if (!base[0])
		setup();
	FUZZ_CHECK(mkdir(root, 0755) == 0);
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = memfd_create("layer", MFD_CLOEXEC);
	FUZZ_CHECK(root_fd >= 0 && fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	next_fd = dup(fd);
	FUZZ_CHECK(next_fd >= 0 && close(next_fd) == 0);

	r = layer_apply(fd, root_fd, &res, &e);

	after_fd = dup(fd);
	FUZZ_CHECK(after_fd == next_fd); /* no fd leaked */
	close(after_fd);
	close(fd);
	close(root_fd);
	check_result(data, size, r, &res, &e);
	check_outside();
	remove_tree(root);
	return 0;
}
