/* The verbs of the launcher CLI, one file each (cmd-<verb>.c). Each takes
 * argv starting at its own name, prints its own output and returns the
 * process exit code. */
#pragma once

int cmd_check(int argc, char **argv);
int cmd_diag(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);

#include "exit-status.h"

/* Prints "launcher: MSG" to stderr. */
void launcher_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
