/* Finding the command to run the way execvp(3) does, but with the
 * container's PATH (from the process's environment, not the agent's) and
 * with Docker's wording when it is not found. Pure logic: the attempt
 * itself is a callback, so tests run it on the host. */
#pragma once

#include <stddef.h>

#include "message.h"

/* The value of key in a NULL-terminated "KEY=VALUE" list, or NULL. */
const char *exec_env_get(char *const *env, const char *key);

/* One attempt: returns the errno value of a failed execve(2). A real
 * attempt does not return when it succeeds; tests return 0, which ends
 * the search. */
typedef int (*exec_try_fn)(const char *path, void *userdata);

/* Tries file as is when it has a slash, else in each directory of
 * search_path (an empty entry is the working directory, as for execvp).
 * Directories where it is missing are skipped; where it is there but not
 * executable the search goes on and reports EACCES in the end. Returns 0
 * when try did, else the errno value to report: ENOENT when nothing was
 * found. */
int exec_search(const char *file, const char *search_path, exec_try_fn try, void *userdata);

/* What a user sees when exec_search failed with err, e.g.
 * `exec: "foo": executable file not found in $PATH`. */
void exec_error_message(const char *file, int err, char *buf, size_t size);
