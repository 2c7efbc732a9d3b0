/* guard.h - the run's guard (guard.c). */
#ifndef PD_GUARD_H
#define PD_GUARD_H

#include <sys/types.h>

/* Start the guard, once (later calls do nothing). Before this process
 * becomes a subreaper: the guard must not end up as one of its children.
 * < 0 with the error set if it cannot be started. */
int pd_guard_start(void);

/* Watch the process group `pgid` (a child just started in a group of its
 * own): if this process dies before pd_guard_forget(pgid), the guard
 * stops the group (SIGTERM, SIGKILL after PD_GUARD_GRACE_MS). */
void pd_guard_watch(pid_t pgid);

/* The group `pgid` is gone (stopped and collected): nothing to watch. */
void pd_guard_forget(pid_t pgid);

#define PD_GUARD_GRACE_MS 3000

#endif
