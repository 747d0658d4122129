/* Time since boot (CLOCK_BOOTTIME), the agent's answer to "how long". */
#pragma once

#include <stdint.h>

uint64_t uptime_ms(void);
