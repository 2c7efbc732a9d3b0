/* clock.h - monotonic milliseconds, for deadlines and grace periods. Internal. */
#ifndef PD_CLOCK_H
#define PD_CLOCK_H

#include <time.h>

static inline long pd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

#endif
