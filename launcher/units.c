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

void human_duration(int64_t seconds, char *buf, size_t size)
{
	int64_t s = seconds, h = (seconds + 1800) / 3600; /* Docker rounds hours */

	if (s < 1)
		snprintf(buf, size, "Less than a second");
	else if (s < 60)
		snprintf(buf, size, "%lld second%s", (long long)s, s == 1 ? "" : "s");
	else if (s / 60 == 1)
		snprintf(buf, size, "About a minute");
	else if (s < 3600)
		snprintf(buf, size, "%lld minutes", (long long)(s / 60));
	else if (h == 1)
		snprintf(buf, size, "About an hour");
	else if (h < 48)
		snprintf(buf, size, "%lld hours", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, size, "%lld days", (long long)(h / 24));
	else if (h < 24 * 30 * 2)
		snprintf(buf, size, "%lld weeks", (long long)(h / 24 / 7));
	else if (h < 24 * 365 * 2)
		snprintf(buf, size, "%lld months", (long long)(h / 24 / 30));
	else
		snprintf(buf, size, "%lld years", (long long)(seconds / 3600 / 24 / 365));
}
