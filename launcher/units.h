/* Sizes and durations as Docker prints them (go-units). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* precision: significant digits, 3 in `images`, 4 in prune's total. */
void human_size(uint64_t n, int precision, char *buf, size_t size);

/* go-units HumanDuration: "Less than a second", "3 seconds", "About a
 * minute", "5 hours", "2 weeks"... Sizes: decimal units, "1.23MB". */
void human_duration(int64_t seconds, char *buf, size_t size);
