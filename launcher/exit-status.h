/* The exit codes of `launcher run`, as Docker's: 125 when launcher itself
 * failed, 126 when the command cannot be executed, 127 when it is not
 * found, 128+N when a signal N killed it, else its own exit code. */
#pragma once

#include "message.h"

#define EXIT_LAUNCHER 125
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

/* For a `start` the agent refused with errno-style `code`. */
int exit_code_for_start_error(int code);

/* For a finished process. */
int exit_code_for_wait(const struct wait_result *w);
