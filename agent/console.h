/* The serial console: the host keeps its log, so it carries the agent's
 * few lines (the ready line, fatal errors) and, with `launcher.debug` on
 * the kernel command line, a trace of connections. Each line is written
 * with one write(2) so lines of forked children do not interleave. */
#pragma once

#include <stdbool.h>

#include "error.h"

/* Puts /dev/console on stdout and stderr and /dev/null on stdin. */
int console_open(struct error *e);

/* Reads the kernel command line for `launcher.debug`. */
void console_read_cmdline(void);
bool console_debug_enabled(void);

/* A line as is. */
void console_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "launcher-agent: " and the line. */
void console_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like console_log, only with launcher.debug. */
void console_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
