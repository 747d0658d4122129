#include "terminal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static int saved_fd = -1;

void terminal_restore(void)
{
	if (saved_fd >= 0) {
		tcsetattr(saved_fd, TCSAFLUSH, &saved);
		saved_fd = -1;
	}
}

int terminal_make_raw(int fd)
{
	struct termios raw;

	if (tcgetattr(fd, &saved) < 0)
		return -errno;
	raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return -errno;
	saved_fd = fd;
	atexit(terminal_restore);
	return 0;
}

bool terminal_size(int fd, uint16_t *ret_rows, uint16_t *ret_cols)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
		return false;
	*ret_rows = ws.ws_row;
	*ret_cols = ws.ws_col;
	return true;
}

bool terminal_size_any(uint16_t *ret_rows, uint16_t *ret_cols)
{
	for (int fd = 0; fd <= 2; fd++)
		if (terminal_size(fd, ret_rows, ret_cols))
			return true;
	return false;
}
