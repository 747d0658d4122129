/* Small helpers shared by the host and the agent. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Abort on out-of-memory: used only for small, bounded allocations. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
/* A NULL-terminated copy of the n strings of v (v may be NULL when n is 0). */
char **xstrv_dup(char *const *v, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* snprintf into a fixed buffer that fails with -ENAMETOOLONG instead of
 * truncating: for paths and names built from input. */
int bprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read or write exactly len bytes, retrying on EINTR and short transfers.
 * read_full returns the number of bytes read (less than len only at EOF)
 * or -errno. write_full returns 0 or -errno. */
ssize_t read_full(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);

int fd_set_nonblock(int fd, bool on);

/* The whole of a regular file of at most max bytes, NUL-terminated, into
 * *ret (malloc'd) and its length. Returns 0 or -errno: EFBIG when larger,
 * EINVAL when not a regular file. */
int read_file_bounded(const char *path, size_t max, char **ret, size_t *ret_len);

/* Replaces path with data in one step (a temporary file beside it, synced,
 * renamed over it): readers see the old content or the new, never a mix.
 * Returns 0 or -errno. */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* Removes dir and everything under it, not following symbolic links nor
 * crossing into other file systems. Returns 0 or -errno (ENOENT: there
 * was nothing). */
int remove_tree(const char *dir);

/* Makes s valid UTF-8 in place: each byte of an invalid or cut-off
 * sequence becomes '?' (text from a guest, or cut by snprintf, before it
 * goes into JSON, which must be UTF-8). */
void utf8_scrub(char *s);

/* mkdir -p: the missing parents (0755) and path itself (mode). Returns 0
 * (also when it exists) or -errno. */
int mkdir_p(const char *path, unsigned mode);

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

/* Parses a byte size such as "4096", "64k", "64M", "1G" (binary units).
 * Returns 0 or -EINVAL / -ERANGE. */
int parse_size(const char *s, uint64_t *ret);

/* Parses a decimal unsigned integer in [0, max]. Returns 0 or -EINVAL/-ERANGE. */
int parse_uint(const char *s, uint64_t max, uint64_t *ret);
