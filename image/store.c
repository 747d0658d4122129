#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void store_default_root(char *buf, size_t size)
{
	const char *env = getenv("LAUNCHER_STORE");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (env && *env)
		snprintf(buf, size, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, size, "/var/lib/launcher");
	else if (xdg && *xdg)
		snprintf(buf, size, "%s/launcher", xdg);
	else
		snprintf(buf, size, "%s/.local/share/launcher", home ? home : "/tmp");
}
