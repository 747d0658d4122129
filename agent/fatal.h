/* The agent never exits while it is PID 1: what cannot go on ends the VM. */
#pragma once

#include <stdnoreturn.h>

/* Prints "launcher-agent: fatal: ..." on the console and powers off. In a
 * forked child (or when run as an ordinary process) it exits instead. */
noreturn void agent_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sync(), then power the VM off. As an ordinary process: exit(0). */
noreturn void agent_power_off(void);
