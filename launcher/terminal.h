/* The host terminal of `launcher run -t`: raw mode while the container
 * owns it, restored on every way out. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Puts fd (a tty) into raw mode; remembers how to restore it. */
int terminal_make_raw(int fd);
/* Restores what terminal_make_raw changed; safe to call more than once. */
void terminal_restore(void);
/* The window size of fd, or false when it is not a terminal. */
bool terminal_size(int fd, uint16_t *ret_rows, uint16_t *ret_cols);
/* The size of whichever of stdin, stdout, stderr is a terminal. */
bool terminal_size_any(uint16_t *ret_rows, uint16_t *ret_cols);
