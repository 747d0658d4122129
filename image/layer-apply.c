/* Applying a layer. The fd is read once: libarchive's gzip or zstd filter
 * with the "raw" format gives the decompressed stream, which is hashed
 * (the diff_id) on its way into a second libarchive reader that parses the
 * tar. Entries are applied with our own syscalls rather than
 * archive_write_disk, which knows neither whiteouts nor openat2: every
 * parent directory is opened with RESOLVE_IN_ROOT, so a symlink planted by
 * the layer (or by a lower one) resolves inside root, and the last
 * component is never followed. */
#include "layer-apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define SYMLINKS_MAX 40
#define READ_BLOCK (64 * 1024)
#define NAME_SHOWN_MAX 256
/* Paths this layer touched, its entries and their parents. */
#define TREE_NODES_MAX (4u * LAYER_ENTRIES_MAX)
#define NODE_NONE UINT32_MAX

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- What this layer put in place ----
 *
 * A tree of the paths this layer created or merged into, with their
 * parents: a whiteout or an opaque directory removes only what lower layers
 * left, and directories get their mode and mtime once all their entries
 * are written. Nodes are kept in one array and found by (parent, name)
 * through a hash index keyed with a random SipHash key, since the names
 * come from the layer. */

struct node {
	char *name;
	uint64_t hash;
	uint32_t parent;
	uint32_t depth;
	uint16_t name_len;
	bool dir_meta; /* mode and times are still to be applied */
	bool device;   /* a device this layer left out: nothing is there */
	mode_t mode;
	struct timespec times[2];
};

struct tree {
	struct node *nodes; /* nodes[0] is root */
	size_t len, cap;
	uint32_t *index; /* node number + 1; 0 is an empty slot */
	size_t index_cap;
	uint64_t key[2];
};

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3)                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13) ^ v0;                                                            \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16) ^ v2;                                                            \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21) ^ v0;                                                            \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17) ^ v2;                                                            \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

/* SipHash-1-3 of (parent, name). */
static uint64_t node_hash(const uint64_t key[2], uint32_t parent, const char *name, size_t len)
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ull, v1 = key[1] ^ 0x646f72616e646f6dull;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ull, v3 = key[1] ^ 0x7465646279746573ull;
	uint64_t total = len + 4, m = parent;
	unsigned have = 4;

	for (size_t i = 0;; i++) {
		if (have == 8) {
			v3 ^= m;
			SIPROUND(v0, v1, v2, v3);
			v0 ^= m;
			m = 0;
			have = 0;
		}
		if (i == len)
			break;
		m |= (uint64_t)(unsigned char)name[i] << (8 * have++);
	}
	m |= total << 56;
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static int tree_init(struct tree *t)
{
	if (getrandom(t->key, sizeof(t->key), GRND_NONBLOCK) != (ssize_t)sizeof(t->key)) {
		/* Without entropy the index still works; it is only easier to flood. */
		t->key[0] = now_ns();
		t->key[1] = (uintptr_t)t;
	}
	t->nodes = calloc(64, sizeof(*t->nodes));
	t->index = calloc(128, sizeof(*t->index));
	if (!t->nodes || !t->index)
		return -ENOMEM;
	t->cap = 64;
	t->index_cap = 128;
	t->nodes[0] = (struct node){.name = NULL, .parent = NODE_NONE};
	t->len = 1;
	return 0;
}

static void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->len; i++)
		free(t->nodes[i].name);
	free(t->nodes);
	free(t->index);
}

static void index_put(uint32_t *index, size_t cap, uint64_t hash, uint32_t n)
{
	size_t i = hash & (cap - 1);

	while (index[i])
		i = (i + 1) & (cap - 1);
	index[i] = n + 1;
}

static int tree_reserve(struct tree *t)
{
	if (t->len == t->cap) {
		struct node *nodes;

		if (t->cap >= TREE_NODES_MAX)
			return -E2BIG;
		nodes = reallocarray(t->nodes, t->cap * 2, sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
		t->nodes = nodes;
		t->cap *= 2;
	}
	if ((t->len + 1) * 2 > t->index_cap) {
		size_t cap = t->index_cap * 2;
		uint32_t *index = calloc(cap, sizeof(*index));

		if (!index)
			return -ENOMEM;
		for (size_t n = 1; n < t->len; n++)
			index_put(index, cap, t->nodes[n].hash, n);
		free(t->index);
		t->index = index;
		t->index_cap = cap;
	}
	return 0;
}

static uint32_t tree_child(const struct tree *t, uint32_t parent, const char *name, size_t len)
{
	uint64_t hash = node_hash(t->key, parent, name, len);

	for (size_t i = hash & (t->index_cap - 1); t->index[i]; i = (i + 1) & (t->index_cap - 1)) {
		const struct node *n = &t->nodes[t->index[i] - 1];

		if (n->hash == hash && n->parent == parent && n->name_len == len &&
		    memcmp(n->name, name, len) == 0)
			return t->index[i] - 1;
	}
	return NODE_NONE;
}

static int tree_add_child(struct tree *t, uint32_t parent, const char *name, size_t len)
{
	struct node *n;
	int r;

	r = tree_reserve(t);
	if (r < 0)
		return r;
	n = &t->nodes[t->len];
	*n = (struct node){
	    .name = strndup(name, len),
	    .hash = node_hash(t->key, parent, name, len),
	    .parent = parent,
	    .depth = t->nodes[parent].depth + 1,
	    .name_len = len,
	};
	if (!n->name)
		return -ENOMEM;
	index_put(t->index, t->index_cap, n->hash, t->len);
	return t->len++;
}

/* The node of a cleaned path ("" is root); with add, missing nodes are
 * added. Returns the node number, -ENOENT, or -errno. */
static int64_t tree_walk(struct tree *t, const char *path, bool add)
{
	uint32_t n = 0;

	while (*path) {
		const char *end = strchrnul(path, '/');
		uint32_t child = tree_child(t, n, path, end - path);

		if (child == NODE_NONE) {
			int r;

			if (!add)
				return -ENOENT;
			r = tree_add_child(t, n, path, end - path);
			if (r < 0)
				return r;
			child = r;
		}
		n = child;
		path = *end ? end + 1 : end;
	}
	return n;
}

/* The path of node n into buf (LAYER_PATH_MAX): every node comes from a
 * cleaned path shorter than that. */
static void tree_path(const struct tree *t, uint32_t n, char *buf)
{
	size_t len = 0;

	for (uint32_t i = n; i; i = t->nodes[i].parent)
		len += t->nodes[i].name_len + 1;
	len = len ? len - 1 : 0;
	buf[len] = '\0';
	for (uint32_t i = n; i; i = t->nodes[i].parent) {
		len -= t->nodes[i].name_len;
		memcpy(buf + len, t->nodes[i].name, t->nodes[i].name_len);
		if (len)
			buf[--len] = '/';
	}
}

/* ---- Paths ---- */

/* Cleans a tar path into "a/b/c": a leading "/" is dropped (the layer's "/"
 * is root), empty and "." components go, ".." takes the previous component
 * and may not climb above root. "" is root itself. The result is never
 * longer than the input. */
static int path_clean(const char *in, char *out)
{
	size_t len = 0;

	if (strlen(in) >= LAYER_PATH_MAX)
		return -ENAMETOOLONG;
	while (*in) {
		const char *end = strchrnul(in, '/');
		size_t n = end - in;

		if (n == 2 && in[0] == '.' && in[1] == '.') {
			if (len == 0)
				return -EXDEV;
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else if (n > NAME_MAX) {
			return -ENAMETOOLONG;
		} else if (n > 0 && !(n == 1 && in[0] == '.')) {
			if (len)
				out[len++] = '/';
			memcpy(out + len, in, n);
			len += n;
		}
		in = *end ? end + 1 : end;
	}
	out[len] = '\0';
	return 0;
}

/* Splits a cleaned, non-empty path in place into its parent ("" for root)
 * and returns the last component. */
static char *path_split(char *path, const char **ret_parent)
{
	char *slash = strrchr(path, '/');

	if (!slash) {
		*ret_parent = "";
		return path;
	}
	*slash = '\0';
	*ret_parent = path;
	return slash + 1;
}

/* A name from the layer, made fit for a message: bytes that could steer a
 * terminal are escaped, and a long name is cut short. */
static void name_shown(const char *in, char out[NAME_SHOWN_MAX])
{
	size_t len = 0;

	for (; *in && len + 8 < NAME_SHOWN_MAX; in++) {
		unsigned char c = *in;

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			len += snprintf(out + len, NAME_SHOWN_MAX - len, "\\x%02x", c);
		else
			out[len++] = c;
	}
	if (*in)
		len += snprintf(out + len, NAME_SHOWN_MAX - len, "...");
	out[len] = '\0';
}

/* ---- Resolving inside root ---- */

/* One layer_apply() call. */
struct applier {
	int root_fd;
	bool privileged;	/* euid 0: a failed chown is an error */
	bool without_openat2;	/* the kernel, or a seccomp filter, refused it */
	struct archive *stream; /* the layer, decompressed, as one raw entry */
	struct archive *tar;	/* the tar reader over stream */
	bool stream_eof;
	EVP_MD_CTX *md;
	uint64_t tar_bytes;
	uint64_t entries;
	uint64_t skipped_devices;
	uint64_t holes; /* bytes of sparse files' holes so far */
	struct tree tree;
};

static int openat2_dir(int root_fd, const char *path)
{
	struct open_how how = {
	    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	/* EAGAIN: a rename elsewhere raced the lookup of "..". */
	for (int i = 0; i < 16; i++) {
		long fd = syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));

		if (fd >= 0)
			return fd;
		if (errno != EAGAIN)
			return -errno;
	}
	return -EAGAIN;
}

/* ".." from cur, which stays at root when cur is root. */
static int walk_up(int root_fd, const struct stat *root_st, int *cur)
{
	struct stat st;
	int fd;

	if (fstat(*cur, &st) < 0)
		return -errno;
	if (st.st_dev == root_st->st_dev && st.st_ino == root_st->st_ino)
		return 0;
	fd = openat(*cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(*cur);
	*cur = fd;
	return 0;
}

/* Follows the symlink fd (an O_PATH fd) by splicing its target in front of
 * rest, into todo; an absolute target restarts at root. */
static int walk_symlink(int root_fd, int link_fd, const char *rest, char *todo, size_t size,
			int *cur)
{
	char target[LAYER_PATH_MAX];
	char next[2 * LAYER_PATH_MAX];
	ssize_t n;

	n = readlinkat(link_fd, "", target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	if (target[0] == '/') {
		int fd = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		close(*cur);
		*cur = fd;
	}
	if (bprintf(next, sizeof(next), "%s/%s", target, rest) < 0 || strlen(next) >= size)
		return -ENAMETOOLONG;
	memcpy(todo, next, strlen(next) + 1);
	return 0;
}

/* Opens the directory component p of cur, creating it when asked to. */
static int walk_open(int cur, const char *p, bool create)
{
	int fd = openat(cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if (mkdirat(cur, p, 0755) < 0) {
		if (errno != EEXIST)
			return -1;
	} else if (fchmodat(cur, p, 0755, 0) < 0) {
		return -1;
	}
	return openat(cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

/* What RESOLVE_IN_ROOT does, for kernels without openat2 (before 5.6): one
 * component at a time with O_NOFOLLOW; a symlink's target is read and
 * spliced into the rest of the path, "/" is root and ".." stops there.
 * With create, missing directories are made on the way. */
static int walk_dir(int root_fd, const char *path, bool create)
{
	_cleanup_close_ int cur = -1;
	char todo[2 * LAYER_PATH_MAX];
	char *p = todo;
	unsigned links = 0;
	struct stat root_st;
	int r;

	if (fstat(root_fd, &root_st) < 0)
		return -errno;
	cur = openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	r = bprintf(todo, sizeof(todo), "%s", path);
	if (r < 0)
		return r;
	while (*p) {
		char *end = strchrnul(p, '/');
		char *rest = *end ? end + 1 : end;
		_cleanup_close_ int fd = -1;
		struct stat st;

		*end = '\0';
		if (!*p || streq(p, ".")) {
			p = rest;
			continue;
		}
		if (streq(p, "..")) {
			r = walk_up(root_fd, &root_st, &cur);
			if (r < 0)
				return r;
			p = rest;
			continue;
		}
		fd = walk_open(cur, p, create);
		if (fd < 0 || fstat(fd, &st) < 0)
			return -errno;
		if (S_ISDIR(st.st_mode)) {
			close(cur);
			cur = TAKE_FD(fd);
			p = rest;
			continue;
		}
		if (!S_ISLNK(st.st_mode))
			return -ENOTDIR;
		if (++links > SYMLINKS_MAX)
			return -ELOOP;
		r = walk_symlink(root_fd, fd, rest, todo, sizeof(todo), &cur);
		if (r < 0)
			return r;
		p = todo;
	}
	return TAKE_FD(cur);
}

/* Opens the directory at a cleaned path as an O_PATH fd, resolving every
 * symlink as if root were "/". */
static int open_dir(struct applier *a, const char *path)
{
	if (!a->without_openat2) {
		int fd = openat2_dir(a->root_fd, path);

		/* Seccomp profiles older than openat2 answer EPERM for it. */
		if (fd != -ENOSYS && fd != -EPERM)
			return fd;
		a->without_openat2 = true;
	}
	return walk_dir(a->root_fd, path, false);
}

/* Opens the parent directory of an entry, creating the directories (0755)
 * that the layer does not list, as docker and containerd do; where a
 * symlink leads to a missing directory, that one is created, inside root. */
static int open_parent(struct applier *a, const char *parent)
{
	int fd = open_dir(a, parent);

	return fd == -ENOENT ? walk_dir(a->root_fd, parent, true) : fd;
}

/* ---- Removing ---- */

static int prune_entry(struct applier *a, int dfd, const char *name, uint32_t node);

/* Removes from the directory fd (which it takes) what this layer did not
 * put there: everything, when node is NODE_NONE. */
static int prune_dir(struct applier *a, int fd, uint32_t node)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		uint32_t child = NODE_NONE;
		int r;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (node != NODE_NONE)
			child = tree_child(&a->tree, node, de->d_name, strlen(de->d_name));
		r = prune_entry(a, dirfd(d), de->d_name, child);
		if (r < 0)
			return r;
	}
	return -errno;
}

/* Removes name from dfd unless this layer put it there (node is then not
 * NODE_NONE); of a directory of this layer, removes what lower layers left
 * inside. Never follows a symlink; a missing name is not an error. */
static int prune_entry(struct applier *a, int dfd, const char *name, uint32_t node)
{
	struct stat st;
	int fd, r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode)) {
		if (node != NODE_NONE)
			return 0;
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = prune_dir(a, fd, node);
	if (r < 0 || node != NODE_NONE)
		return r;
	return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

static int applier_remove_tree(struct applier *a, int dfd, const char *name)
{
	return prune_entry(a, dfd, name, NODE_NONE);
}

/* Makes way for a new entry: an existing directory stays when the entry is
 * a directory too (the two merge), anything else goes. */
static int make_way(struct applier *a, int pfd, const char *name, bool is_dir)
{
	struct stat st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (is_dir && S_ISDIR(st.st_mode))
		return 0;
	return applier_remove_tree(a, pfd, name);
}

/* ---- Whiteouts ---- */

/* ".wh..wh..opq" in dir: what lower layers left in dir goes, what this
 * layer put there (before or after the marker) stays. */
static int apply_opaque(struct applier *a, const char *dir, struct error *e)
{
	int64_t node = tree_walk(&a->tree, dir, true);
	int fd, rfd, r;

	if (node < 0)
		return error_errno(e, -node, "recording the opaque directory");
	fd = open_dir(a, dir);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return error_errno(e, -fd, "opening the opaque directory");
	rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(fd);
	if (rfd < 0)
		return error_errno(e, errno, "opening the opaque directory");
	r = prune_dir(a, rfd, node);
	return r < 0 ? error_errno(e, -r, "emptying the opaque directory") : 0;
}

/* ".wh.NAME" removes NAME, as lower layers left it, from the directory of
 * the whiteout. A whiteout creates nothing. Per the OCI spec it does not
 * hide what this same layer holds at that path. */
static int apply_whiteout(struct applier *a, char *path, const char *parent, char *base,
			  struct error *e)
{
	_cleanup_close_ int pfd = -1;
	const char *name = base + strlen(WHITEOUT_PREFIX);
	int64_t r;

	r = tree_walk(&a->tree, parent, true);
	if (r < 0)
		return error_errno(e, -r, "recording the whiteout");
	if (streq(base, WHITEOUT_OPAQUE))
		return apply_opaque(a, parent, e);
	/* Other ".wh..wh." names are aufs bookkeeping (hardlink dirs). */
	if (startswith(base, WHITEOUT_META_PREFIX))
		return 0;
	if (!*name || streq(name, ".") || streq(name, ".."))
		return error_set(e, EINVAL, "invalid whiteout");
	/* path becomes parent/NAME: the name moves over its ".wh." prefix. */
	memmove(base, name, strlen(name) + 1);
	if (tree_walk(&a->tree, path, false) >= 0)
		return 0;
	pfd = open_dir(a, parent);
	if (pfd == -ENOENT || pfd == -ENOTDIR)
		return 0;
	if (pfd < 0)
		return error_errno(e, -pfd, "opening the whiteout's directory");
	r = applier_remove_tree(a, pfd, base);
	return r < 0 ? error_errno(e, -r, "removing the whited-out path") : 0;
}

/* ---- Metadata ---- */

static void entry_times(struct archive_entry *entry, struct timespec ts[2])
{
	ts[1] = (struct timespec){.tv_nsec = UTIME_OMIT};
	if (archive_entry_mtime_is_set(entry))
		ts[1] =
		    (struct timespec){archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(entry))
		ts[0] =
		    (struct timespec){archive_entry_atime(entry), archive_entry_atime_nsec(entry)};
}

static int set_owner(struct applier *a, int pfd, const char *name, struct archive_entry *entry,
		     struct error *e)
{
	la_int64_t uid = archive_entry_uid(entry), gid = archive_entry_gid(entry);

	/* (uid_t)-1 would mean "leave as is" to chown. */
	if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
		return error_set(e, ERANGE, "owner %lld:%lld out of range", (long long)uid,
				 (long long)gid);
	if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (!a->privileged && (errno == EPERM || errno == EINVAL))
		return 0;
	return error_errno(e, errno, "chown to %lld:%lld", (long long)uid, (long long)gid);
}

/* user.* and security.* xattrs; trusted.* would steer overlayfs
 * (trusted.overlay.*) and security.selinux labels belong to the host's
 * policy, not to an image. */
static bool xattr_wanted(const char *name)
{
	return (startswith(name, "user.") || startswith(name, "security.")) &&
	       !streq(name, "security.selinux");
}

static int set_xattrs(struct applier *a, int fd, struct archive_entry *entry, struct error *e)
{
	const char *name;
	const void *value;
	size_t size;

	if (archive_entry_xattr_reset(entry) == 0)
		return 0;
	while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
		char shown[NAME_SHOWN_MAX];

		if (!name || !xattr_wanted(name))
			continue;
		if (fsetxattr(fd, name, value, size, 0) == 0 || errno == EOPNOTSUPP)
			continue;
		if (!a->privileged && errno == EPERM)
			continue;
		name_shown(name, shown);
		return error_errno(e, errno, "setting xattr \"%s\"", shown);
	}
	return 0;
}

/* ---- Entries ---- */

/* The tar reader's error, or the stream's when that is where it began. */
static int archive_fail(struct archive *ar, struct error *e, const char *what)
{
	const char *msg = archive_error_string(ar);
	int code = archive_errno(ar);

	return error_set(e, code > 0 ? code : EIO, "%s: %s", what,
			 msg ? msg : "unknown libarchive error");
}

/* The tar reader's error; EILSEQ before the first entry is libarchive's
 * "Unrecognized archive format", which gets a word on what a layer is. */
static int tar_fail(struct applier *a, struct error *e)
{
	if (!a->entries && archive_errno(a->tar) == EILSEQ)
		return archive_fail(a->tar, e,
				    "reading the layer (a tar stream: plain, gzip or zstd)");
	return archive_fail(a->tar, e, "reading the layer");
}

/* Copies the entry's data; *ret_bytes counts the bytes really stored. */
static int copy_data(struct applier *a, int fd, uint64_t *ret_bytes, struct error *e)
{
	*ret_bytes = 0;
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int r = archive_read_data_block(a->tar, &buf, &size, &off);

		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return archive_fail(a->tar, e, "reading the layer");
		/* Offsets leave holes where a sparse file has them. */
		while (size > 0) {
			ssize_t n = pwrite(fd, buf, size, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return error_errno(e, errno, "writing the file");
			buf = (const char *)buf + n;
			size -= n;
			off += n;
			*ret_bytes += (uint64_t)n;
		}
	}
}

static int apply_file(struct applier *a, int pfd, const char *name, struct archive_entry *entry,
		      struct error *e)
{
	_cleanup_close_ int fd = -1;
	struct timespec ts[2];
	uint64_t data;
	int r;

	fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_errno(e, errno, "creating the file");
	r = copy_data(a, fd, &data, e);
	if (r < 0)
		return r;
	/* A sparse file's holes cost nothing here, but the whole apparent size
	 * is read and written when the layers become a disk: bounded. */
	if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > 0 &&
	    (uint64_t)archive_entry_size(entry) > data) {
		a->holes += (uint64_t)archive_entry_size(entry) - data;
		if (a->holes > LAYER_HOLES_MAX)
			return error_set(
			    e, EFBIG,
			    "a sparse file of %lld bytes with %llu bytes of data: more "
			    "than %llu bytes of holes in one layer are refused",
			    (long long)archive_entry_size(entry), (unsigned long long)data,
			    (unsigned long long)LAYER_HOLES_MAX);
	}
	if (archive_entry_size_is_set(entry) && ftruncate(fd, archive_entry_size(entry)) < 0)
		return error_errno(e, errno, "setting the file's size");
	r = set_owner(a, pfd, name, entry, e);
	if (r < 0)
		return r;
	/* After chown, which clears set-user-ID and set-group-ID. */
	if (fchmod(fd, archive_entry_perm(entry) & 07777) < 0)
		return error_errno(e, errno, "chmod");
	r = set_xattrs(a, fd, entry, e);
	if (r < 0)
		return r;
	entry_times(entry, ts);
	if (futimens(fd, ts) < 0)
		return error_errno(e, errno, "setting times");
	return 0;
}

/* A directory gets its owner and xattrs now, its mode and times at the
 * end: its entries would change its mtime, and a read-only mode would
 * keep them out of it. */
static int apply_dir(struct applier *a, int pfd, const char *name, uint32_t node,
		     struct archive_entry *entry, struct error *e)
{
	_cleanup_close_ int fd = -1;
	struct node *n = &a->tree.nodes[node];
	int r;

	if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
		return error_errno(e, errno, "creating the directory");
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_errno(e, errno, "opening the directory");
	r = set_owner(a, pfd, name, entry, e);
	if (r < 0)
		return r;
	r = set_xattrs(a, fd, entry, e);
	if (r < 0)
		return r;
	n->dir_meta = true;
	n->mode = archive_entry_perm(entry) & 07777;
	entry_times(entry, n->times);
	return 0;
}

static int apply_symlink(struct applier *a, int pfd, const char *name, struct archive_entry *entry,
			 struct error *e)
{
	const char *target = archive_entry_symlink(entry);
	struct timespec ts[2];
	int r;

	if (!target)
		return error_set(e, EINVAL, "symlink without a target");
	if (symlinkat(target, pfd, name) < 0)
		return error_errno(e, errno, "creating the symlink");
	r = set_owner(a, pfd, name, entry, e);
	if (r < 0)
		return r;
	entry_times(entry, ts);
	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return error_errno(e, errno, "setting times");
	return 0;
}

/* A character or block device: what lower layers had at its path goes, and
 * nothing takes its place. mknod here would make a node of the host's
 * hardware, in a tree that root then reads and packs. */
static int skip_device(struct applier *a, int pfd, const char *name, uint32_t node, struct error *e)
{
	int r = make_way(a, pfd, name, false);

	if (r < 0)
		return error_errno(e, -r, "removing what was there");
	a->tree.nodes[node].device = true;
	a->skipped_devices++;
	return 0;
}

/* The link's metadata is its target's, which the layer gave already. A
 * link to a device the layer left out is left out too. */
static int apply_hardlink(struct applier *a, int pfd, const char *name, uint32_t node,
			  const char *path, struct archive_entry *entry, struct error *e)
{
	char target[LAYER_PATH_MAX], shown[NAME_SHOWN_MAX];
	_cleanup_close_ int tfd = -1;
	const char *tparent;
	int64_t tnode;
	char *tname;
	int r;

	name_shown(archive_entry_hardlink(entry), shown);
	r = path_clean(archive_entry_hardlink(entry), target);
	if (r == -EXDEV)
		return error_set(e, EXDEV, "hardlink target \"%s\": path escapes the root", shown);
	if (r < 0)
		return error_errno(e, -r, "hardlink target \"%s\"", shown);
	if (!*target || streq(target, path))
		return error_set(e, EINVAL, "hardlink target \"%s\": not a file of the layer",
				 shown);
	tnode = tree_walk(&a->tree, target, false);
	if (tnode >= 0 && a->tree.nodes[tnode].device)
		return skip_device(a, pfd, name, node, e);
	tname = path_split(target, &tparent);
	tfd = open_dir(a, tparent);
	if (tfd < 0)
		return error_errno(e, -tfd, "hardlink target \"%s\"", shown);
	r = make_way(a, pfd, name, false);
	if (r < 0)
		return error_errno(e, -r, "removing what was there");
	if (linkat(tfd, tname, pfd, name, 0) < 0)
		return error_errno(e, errno, "hardlink to \"%s\"", shown);
	return 0;
}

static int apply_fifo(struct applier *a, int pfd, const char *name, struct archive_entry *entry,
		      struct error *e)
{
	mode_t mode = archive_entry_perm(entry) & 07777;
	struct timespec ts[2];
	int r;

	if (mknodat(pfd, name, S_IFIFO | 0600, 0) < 0)
		return error_errno(e, errno, "mknod");
	r = set_owner(a, pfd, name, entry, e);
	if (r < 0)
		return r;
	/* name is the node just made, so following it is no risk. */
	if (fchmodat(pfd, name, mode, 0) < 0)
		return error_errno(e, errno, "chmod");
	entry_times(entry, ts);
	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return error_errno(e, errno, "setting times");
	return 0;
}

static int apply_typed(struct applier *a, int pfd, const char *name, uint32_t node,
		       struct archive_entry *entry, struct error *e)
{
	mode_t type = archive_entry_filetype(entry);
	int r;

	if (type == AE_IFCHR || type == AE_IFBLK)
		return skip_device(a, pfd, name, node, e);
	r = make_way(a, pfd, name, type == AE_IFDIR);
	if (r < 0)
		return error_errno(e, -r, "removing what was there");
	switch (type) {
	case AE_IFREG:
		return apply_file(a, pfd, name, entry, e);
	case AE_IFDIR:
		return apply_dir(a, pfd, name, node, entry, e);
	case AE_IFLNK:
		return apply_symlink(a, pfd, name, entry, e);
	case AE_IFIFO:
		return apply_fifo(a, pfd, name, entry, e);
	default:
		return error_set(e, EINVAL, "unsupported file type 0%o", (unsigned)type);
	}
}

static int apply_entry(struct applier *a, struct archive_entry *entry, struct error *e)
{
	const char *raw = archive_entry_pathname(entry), *parent;
	char path[LAYER_PATH_MAX], whole[LAYER_PATH_MAX], *name;
	_cleanup_close_ int pfd = -1;
	int64_t node;
	int r;

	if (!raw)
		return error_set(e, EINVAL, "no path");
	r = path_clean(raw, path);
	if (r == -EXDEV)
		return error_set(e, EXDEV, "path escapes the root");
	if (r < 0)
		return error_errno(e, -r, "bad path");
	/* Root's own metadata is its creator's business, not the layer's. */
	if (!*path)
		return 0;
	memcpy(whole, path, sizeof(whole));
	name = path_split(path, &parent);
	if (startswith(name, WHITEOUT_PREFIX))
		return apply_whiteout(a, whole, parent, whole + (name - path), e);
	node = tree_walk(&a->tree, whole, true);
	if (node < 0)
		return error_errno(e, -node, "recording the path");
	/* Set again if the entry is a directory, or a device left out. */
	a->tree.nodes[node].dir_meta = false;
	a->tree.nodes[node].device = false;
	pfd = open_parent(a, parent);
	if (pfd < 0)
		return error_errno(e, -pfd, "opening the parent directory");
	if (archive_entry_hardlink(entry))
		return apply_hardlink(a, pfd, name, node, whole, entry, e);
	return apply_typed(a, pfd, name, node, entry, e);
}

/* ---- The stream ---- */

/* The next block of the decompressed stream, hashed and counted; returns
 * 1, 0 at its end, or -EIO with the stream's error set. */
static int stream_next(struct applier *a, const void **ret_buf, size_t *ret_size)
{
	while (!a->stream_eof) {
		const void *buf;
		size_t size;
		la_int64_t off;
		int r = archive_read_data_block(a->stream, &buf, &size, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return -EIO;
		if (size == 0)
			continue;
		if (EVP_DigestUpdate(a->md, buf, size) != 1) {
			archive_set_error(a->stream, EIO, "SHA-256 failed");
			return -EIO;
		}
		a->tar_bytes += size;
		*ret_buf = buf;
		*ret_size = size;
		return 1;
	}
	a->stream_eof = true;
	return 0;
}

static la_ssize_t tar_read(struct archive *tar, void *data, const void **ret_buf)
{
	struct applier *a = data;
	size_t size = 0;
	int r;

	*ret_buf = NULL;
	r = stream_next(a, ret_buf, &size);
	if (r < 0) {
		const char *msg = archive_error_string(a->stream);
		int code = archive_errno(a->stream);

		archive_set_error(tar, code > 0 ? code : EIO, "%s", msg ? msg : "read error");
		return -1;
	}
	return size;
}

/* Only gzip and zstd, built in: libarchive would run an external program
 * for a filter it lacks, and OCI layers use no other. */
static int stream_open(struct applier *a, int fd, struct error *e)
{
	struct archive_entry *entry;

	a->md = EVP_MD_CTX_new();
	if (!a->md || EVP_DigestInit_ex(a->md, EVP_sha256(), NULL) != 1)
		return error_set(e, ENOMEM, "SHA-256 unavailable");
	a->stream = archive_read_new();
	a->tar = archive_read_new();
	if (!a->stream || !a->tar)
		return error_set(e, ENOMEM, "libarchive: out of memory");
	if (archive_read_support_filter_gzip(a->stream) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(a->stream) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a->stream) != ARCHIVE_OK ||
	    archive_read_support_format_tar(a->tar) != ARCHIVE_OK)
		return error_set(e, ENOTSUP, "libarchive lacks built-in gzip, zstd or tar");
	if (archive_read_open_fd(a->stream, fd, READ_BLOCK) != ARCHIVE_OK ||
	    archive_read_next_header(a->stream, &entry) != ARCHIVE_OK)
		return archive_fail(a->stream, e,
				    "reading the layer (a tar stream: plain, gzip or zstd)");
	if (archive_read_open(a->tar, a, NULL, tar_read, NULL) != ARCHIVE_OK)
		return tar_fail(a, e);
	return 0;
}

/* The hash covers the whole stream, with what follows the tar's end marker. */
static int stream_drain(struct applier *a, struct error *e)
{
	const void *buf;
	size_t size;
	int r;

	while ((r = stream_next(a, &buf, &size)) > 0)
		;
	return r < 0 ? archive_fail(a->stream, e, "reading the layer") : 0;
}

static int apply_entries(struct applier *a, struct error *e)
{
	for (;;) {
		struct archive_entry *entry;
		char shown[NAME_SHOWN_MAX];
		const char *raw;
		int r = archive_read_next_header(a->tar, &entry);

		if (r == ARCHIVE_EOF)
			return 0;
		/* ARCHIVE_WARN: a pax attribute it could not use, a name it could
		 * not convert; the entry is still there. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return tar_fail(a, e);
		if (++a->entries > LAYER_ENTRIES_MAX)
			return error_set(e, E2BIG, "layer has more than %d entries",
					 LAYER_ENTRIES_MAX);
		r = apply_entry(a, entry, e);
		if (r < 0) {
			raw = archive_entry_pathname(entry);
			name_shown(raw ? raw : "", shown);
			return error_prefix(e, "layer entry \"%s\"", shown);
		}
	}
}

struct pending_dir {
	uint32_t depth;
	uint32_t node;
};

static int deeper_first(const void *x, const void *y)
{
	const struct pending_dir *a = x, *b = y;

	return (a->depth < b->depth) - (a->depth > b->depth);
}

/* Mode and times of one directory, unless a later entry replaced it. */
static int finish_dir(struct applier *a, const struct node *n, char *path, struct error *e)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	char shown[NAME_SHOWN_MAX];
	const char *parent;
	char *name;

	name_shown(path, shown);
	name = path_split(path, &parent);
	pfd = open_dir(a, parent);
	if (pfd == -ENOENT || pfd == -ENOTDIR)
		return 0;
	if (pfd >= 0)
		fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd >= 0 && fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
		return 0;
	if (pfd < 0)
		errno = -pfd;
	if (fd < 0 || fchmod(fd, n->mode) < 0 || futimens(fd, n->times) < 0)
		return error_errno(e, errno, "directory \"%s\": setting its mode and times", shown);
	return 0;
}

/* Deepest first, so a parent's mode never stands in the way of its
 * children. */
static int finish_dirs(struct applier *a, struct error *e)
{
	_cleanup_free_ struct pending_dir *dirs = NULL;
	size_t count = 0;

	dirs = calloc(a->tree.len, sizeof(*dirs));
	if (!dirs)
		return error_set(e, ENOMEM, "out of memory");
	for (size_t i = 1; i < a->tree.len; i++)
		if (a->tree.nodes[i].dir_meta)
			dirs[count++] = (struct pending_dir){a->tree.nodes[i].depth, i};
	qsort(dirs, count, sizeof(*dirs), deeper_first);
	for (size_t i = 0; i < count; i++) {
		char path[LAYER_PATH_MAX];
		int r;

		tree_path(&a->tree, dirs[i].node, path);
		r = finish_dir(a, &a->tree.nodes[dirs[i].node], path, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static void applier_done(struct applier *a)
{
	archive_read_free(a->tar);
	archive_read_free(a->stream);
	EVP_MD_CTX_free(a->md);
	tree_free(&a->tree);
}

static int digest_hex(struct applier *a, char *buf, size_t size, struct error *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	size_t off;

	if (EVP_DigestFinal_ex(a->md, md, &len) != 1)
		return error_set(e, EIO, "SHA-256 failed");
	off = snprintf(buf, size, "sha256:");
	for (unsigned i = 0; i < len && off + 2 < size; i++)
		off += snprintf(buf + off, size - off, "%02x", md[i]);
	return 0;
}

int layer_apply(int fd, int root_fd, struct layer_apply_result *ret, struct error *e)
{
	_cleanup_(applier_done) struct applier a = {
	    .root_fd = root_fd,
	    .privileged = geteuid() == 0,
	};
	struct layer_apply_result result = {0};
	struct stat st;
	int r;

	if (fstat(root_fd, &st) < 0)
		return error_errno(e, errno, "layer root");
	if (!S_ISDIR(st.st_mode))
		return error_set(e, ENOTDIR, "layer root: not a directory");
	r = tree_init(&a.tree);
	if (r < 0)
		return error_errno(e, -r, "layer");
	r = stream_open(&a, fd, e);
	if (r < 0)
		return r;
	r = apply_entries(&a, e);
	if (r < 0)
		return r;
	r = stream_drain(&a, e);
	if (r < 0)
		return r;
	r = finish_dirs(&a, e);
	if (r < 0)
		return r;
	r = digest_hex(&a, result.diff_id, sizeof(result.diff_id), e);
	if (r < 0)
		return r;
	result.tar_bytes = a.tar_bytes;
	result.entries = a.entries;
	result.skipped_devices = a.skipped_devices;
	*ret = result;
	return 0;
}

int layer_apply_path(const char *layer_path, const char *root_path, struct layer_apply_result *ret,
		     struct error *e)
{
	_cleanup_close_ int fd = -1, root_fd = -1;

	fd = open(layer_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_errno(e, errno, "opening layer %s", layer_path);
	root_fd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return error_errno(e, errno, "opening %s", root_path);
	return layer_apply(fd, root_fd, ret, e);
}
