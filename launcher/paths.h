/* Where the launcher keeps its runtime state. */
#pragma once

#include <stddef.h>

/* $LAUNCHER_RUN_ROOT, else /run/launcher for root, else
 * $XDG_RUNTIME_DIR/launcher (or /tmp/launcher-UID). */
void launcher_run_root(char *buf, size_t size);
