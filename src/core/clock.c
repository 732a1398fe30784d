/* The one monotonic clock of ciguard's deadlines and timings, and a sleep
 * that a signal does not cut short. */
#include <errno.h>
#include <time.h>

#include "core/core.h"
#include "core/banned.h"

long cg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cg_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
