/* Sizes as Docker prints them (go-units HumanSizeWithPrecision): decimal
 * units, "1.23MB". */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* precision: significant digits, 3 in `images`, 4 in prune's total. */
void human_size(uint64_t n, int precision, char *buf, size_t size);
