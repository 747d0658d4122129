#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void launcher_run_root(char *buf, size_t size)
{
	const char *env = getenv("LAUNCHER_RUN_ROOT");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, size, "/run/launcher");
	else if (xdg && *xdg)
		snprintf(buf, size, "%s/launcher", xdg);
	else
		snprintf(buf, size, "/tmp/launcher-%u", (unsigned)geteuid());
}
