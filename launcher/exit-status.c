#include "exit-status.h"

#include <errno.h>

int exit_code_for_start_error(int code)
{
	switch (code) {
	case ENOENT:
	case ENOTDIR:
		return EXIT_NOT_FOUND;
	case EACCES:
	case EPERM:
	case ENOEXEC:
	case EISDIR:
	case ETXTBSY:
		return EXIT_NOT_EXECUTABLE;
	default:
		return EXIT_LAUNCHER;
	}
}

int exit_code_for_wait(const struct wait_result *w)
{
	if (w->signal > 0)
		return 128 + w->signal;
	return w->exit_code & 0xff;
}
