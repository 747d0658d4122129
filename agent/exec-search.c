#include "exec-search.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *exec_env_get(char *const *env, const char *key)
{
	size_t n = strlen(key);

	for (char *const *p = env; p && *p; p++)
		if (strncmp(*p, key, n) == 0 && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

/* Errors that mean "not in this directory, look in the next one", as
 * glibc's execvp treats them. */
static bool try_next(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ESTALE || err == ENODEV ||
	       err == ETIMEDOUT || err == ENAMETOOLONG;
}

int exec_search(const char *file, const char *search_path, exec_try_fn try, void *userdata)
{
	bool denied = false;
	const char *dir;

	if (!file[0])
		return ENOENT;
	if (strchr(file, '/'))
		return try(file, userdata);
	if (!search_path)
		search_path = CONTAINER_DEFAULT_PATH;
	for (dir = search_path;; dir++) {
		const char *end = strchrnul(dir, ':');
		char path[PATH_MAX];
		int n, err;

		if (end == dir)
			n = snprintf(path, sizeof(path), "%s", file);
		else
			n = snprintf(path, sizeof(path), "%.*s/%s", (int)(end - dir), dir, file);
		if (n >= 0 && (size_t)n < sizeof(path)) {
			err = try(path, userdata);
			if (err == EACCES)
				denied = true;
			else if (!try_next(err))
				return err;
		}
		if (!*end)
			break;
		dir = end;
	}
	return denied ? EACCES : ENOENT;
}

void exec_error_message(const char *file, int err, char *buf, size_t size)
{
	if (err == ENOENT && !strchr(file, '/'))
		snprintf(buf, size, "exec: \"%s\": executable file not found in $PATH", file);
	else
		snprintf(buf, size, "exec: \"%s\": %s", file, strerror(err));
}
