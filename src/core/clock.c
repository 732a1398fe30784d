/* The one monotonic clock of ciguard's deadlines and timings. */
#include <time.h>

#include "core/core.h"
#include "core/banned.h"

long cg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
