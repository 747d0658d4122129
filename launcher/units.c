#include "units.h"

#include <stdio.h>

void human_size(uint64_t n, int precision, char *buf, size_t size)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	size_t i = 0;

	while (v >= 1000 && i + 1 < sizeof(units) / sizeof(*units)) {
		v /= 1000;
		i++;
	}
	snprintf(buf, size, "%.*g%s", precision, v, units[i]);
}
